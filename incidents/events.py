"""Incident events: their names, payloads and recipients. Sent only through publish_on_commit.

- ``incident.submitted``: a report reached the supervisors for the first time (filed as sent, or
  a draft sent later; a report sent back for more information and sent again is not submitted
  anew, so what follows a submission happens once per incident).
- ``incident.updated``: fields of a sent report changed.
- ``incident.status_changed``: every step of the lifecycle (TRANSITIONS).
- ``incident.closed``: a report closed with its resolution.
- ``evidence.added``: a file kept as evidence; a worker makes its thumbnail (a photo's, within the
  pixel budget). Its subject is ``(evidence pk,)``; it goes to no group.
- ``evidence.redacted``: a supervisor drew areas to hide from the agency on a photo; a worker renders
  the redacted preview. Its subject is ``(evidence pk,)``; it goes to no group.
- ``incident.info_requested``: a supervisor sent a report back to its reporter with a question;
  its subject also carries the question's timeline entry (the reporter is told of each question).
- ``incident.info_provided``: the reporter answered that question (and the report went back to
  the supervisors); its subject carries the answer's timeline entry (the one who asked is told).

Each goes to everyone watching the incident's page. Its ``subject`` is ``(incident pk, actor pk or
None)``: the arguments of its follow-up tasks (portal/celery.py FOLLOW_UPS), which re-fetch both.
"""

from accounts.models import User
from incidents.models import Evidence, Incident, TimelineEntry
from portal.realtime import Event


def incident_group(incident: Incident) -> str:
    return f"incident.{incident.public_id}"


def incident_payload(incident: Incident) -> dict[str, object]:
    return {
        "id": str(incident.public_id),
        "reference": incident.reference,
        "status": incident.status,
        "severity": incident.severity,
        "category": incident.category.name if incident.category else None,
        "site": incident.site.name,
        "version": incident.version,
    }


def incident_changed(incident: Incident, *, name: str, by: User | None) -> Event:
    """One of the events above, caused by ``by`` (None: the system)."""
    return Event(
        name=name,
        payload=incident_payload(incident),
        groups=(incident_group(incident),),
        subject=(incident.pk, by.pk if by else None),
    )


def evidence_added(evidence: Evidence) -> Event:
    """``evidence.added``: the thumbnail is made after the commit, never in the request."""
    return Event(
        name="evidence.added",
        payload={"id": str(evidence.public_id), "incident": str(evidence.incident.public_id)},
        subject=(evidence.pk,),
    )


def evidence_redacted(evidence: Evidence) -> Event:
    """``evidence.redacted``: the redacted preview is rendered after the commit, never in the request."""
    return Event(
        name="evidence.redacted",
        payload={"id": str(evidence.public_id), "incident": str(evidence.incident.public_id)},
        subject=(evidence.pk,),
    )


def info_requested(incident: Incident, *, by: User, entry: TimelineEntry) -> Event:
    """``incident.info_requested``: subject (incident pk, actor pk, the question's entry pk)."""
    return Event(
        name="incident.info_requested",
        payload=incident_payload(incident),
        groups=(incident_group(incident),),
        subject=(incident.pk, by.pk, entry.pk),
    )


def info_provided(incident: Incident, *, by: User, entry: TimelineEntry) -> Event:
    """``incident.info_provided``: subject (incident pk, actor pk, the answer's entry pk)."""
    return Event(
        name="incident.info_provided",
        payload=incident_payload(incident),
        groups=(incident_group(incident),),
        subject=(incident.pk, by.pk, entry.pk),
    )
