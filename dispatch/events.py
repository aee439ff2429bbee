"""Board events: names, payloads and recipients. Sent only through publish_on_commit.

The names: ``escalation.requested``, ``escalation.<status>`` for each step (accepted, rejected,
dispatched, on_scene, cleared, cancelled), ``escalation.panic_cleared`` and ``message.posted``;
and ``panic.cancelled`` (a guard's false press, cancelled in its window: not a board event, its
subject is (incident pk, actor pk, timeline entry pk)).
Each event's subject is (escalation pk, actor pk, timeline entry pk): what the notification outbox's
in-transaction follow-ups (FOLLOW_UPS, portal/celery.py) fetch again.

``panic.pressed`` is no board event: it leaves every panic, with or without a police partner, so that
the provider's own people are alerted in the panic's transaction (subject: incident pk, guard pk,
escalation pk or None).

``escalation.incident_changed`` tells the boards that the provider's side of an escalated incident
changed (verified, more information asked, closed): dispatch's follow-up of ``incident.status_changed``.
It has no timeline entry of its own (the incident's has it) and no follow-ups: its subject is
(escalation pk, actor pk or None, None).

``access.flagged``: the periodic access review found unusual access to personal data by one of an
agency's people (dispatch/services/access_review.py); no board event, its subject is (flag pk,) and
notifications tells the agency's org admins in the flag's transaction."""

from typing import Any

from django.urls import reverse

from accounts.models import User
from dispatch.models import AccessFlag, BoardEvent, Escalation
from incidents.events import incident_group
from incidents.models import Evidence, Incident, TimelineEntry
from portal.realtime import Event


def board_group(agency_id: int) -> str:
    return f"board.{agency_id}"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


# Where the provider's supervisors are with an escalated incident, in the words a board shows (the
# incident's status). Not how verified the call is: that is the alarm validation level beside it, and
# "Not yet verified" under "Verified: seen by a guard" read as a contradiction on the board.
PROVIDER_REVIEW = {
    Incident.Status.SUBMITTED: "Awaiting the provider's review",
    Incident.Status.NEEDS_INFO: "Provider asked the guard for more",
    Incident.Status.ACCEPTED: "Accepted by the provider",
    Incident.Status.CLOSED: "Closed by the provider",
}
# When the police's current state began.
STATUS_STAMPS = {
    Escalation.Status.REQUESTED: "requested_at",
    Escalation.Status.ACCEPTED: "accepted_at",
    Escalation.Status.REJECTED: "rejected_at",
    Escalation.Status.DISPATCHED: "dispatched_at",
    Escalation.Status.ON_SCENE: "on_scene_at",
    Escalation.Status.CLEARED: "cleared_at",
    Escalation.Status.CANCELLED: "cancelled_at",
}


def _photo(incident: Incident) -> str | None:
    """The thumbnail of the incident's first photo (the list's evidence is prefetched)."""
    for item in incident.evidence.all():
        # The board is the agency's: an internal photo is never its thumbnail (incidents.disclosure).
        if item.kind == Evidence.Kind.PHOTO and item.thumbnail and not item.internal:
            return reverse("incidents:evidence_thumbnail", args=[item.public_id])
    return None


def escalation_payload(escalation: Escalation) -> dict[str, Any]:
    """What a board (and an incident page) needs to draw one escalation."""
    incident = escalation.incident
    site = incident.site
    return {
        "id": str(escalation.public_id),
        "status": escalation.status,
        "status_label": escalation.get_status_display(),
        "source": escalation.source,
        "is_panic": escalation.is_panic,
        "panic_active": escalation.panic_active,
        # "Guard is safe": when a supervisor cleared the panic, and who (the row says so in words).
        "panic_cleared_at": _iso(escalation.panic_cleared_at),
        "panic_cleared_by": str(escalation.panic_cleared_by) if escalation.panic_cleared_by_id else None,
        "reason": escalation.reason,
        "rejection_reason": escalation.rejection_reason,
        "rejection_cause": escalation.rejection_cause,
        "rejection_cause_label": escalation.get_rejection_cause_display()
        if escalation.rejection_cause
        else "",
        "verification_level": escalation.verification_level,
        "verification_label": escalation.get_verification_level_display(),
        "verification_confirmed": escalation.verification_confirmed_at is not None,
        "cancel_reason": escalation.cancel_reason,
        "disposition": escalation.disposition,
        "case_number": escalation.case_number,
        "version": escalation.version,
        "requested_at": _iso(escalation.requested_at),
        "accepted_at": _iso(escalation.accepted_at),
        "dispatched_at": _iso(escalation.dispatched_at),
        "on_scene_at": _iso(escalation.on_scene_at),
        "cleared_at": _iso(escalation.cleared_at),
        "status_since": _iso(getattr(escalation, STATUS_STAMPS[Escalation.Status(escalation.status)]))
        or _iso(escalation.requested_at),
        "incident": {
            "id": str(incident.public_id),
            "reference": incident.reference,
            # A drill's incident: "exercise" (CAP status Exercise); "real": filed during a drill, not in it.
            "exercise": incident.exercise,
            "cap_status": incident.cap_status,
            "severity": incident.severity,
            "category": incident.category.name if incident.category else None,
            "site": site.name,
            "site_address": site.address,
            "time_zone": site.time_zone,
            "location": incident.location,
            "latitude": str(incident.latitude) if incident.latitude is not None else None,
            "longitude": str(incident.longitude) if incident.longitude is not None else None,
            "narrative": incident.narrative,
            "occurred_at": _iso(incident.occurred_at),
            "status": incident.status,
            "provider_review": PROVIDER_REVIEW.get(
                Incident.Status(incident.status), incident.get_status_display()
            ),
            "closed_at": _iso(incident.closed_at),
            "site_id": site.pk,
            "site_latitude": str(site.latitude) if site.latitude is not None else None,
            "site_longitude": str(site.longitude) if site.longitude is not None else None,
            "photo": _photo(incident),
        },
    }


def board_payload(escalation: Escalation, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a board event stores: the escalation as it stands, and the event's own extra fields."""
    return {"escalation": escalation_payload(escalation), **(extra or {})}


def message_payload(entry: TimelineEntry, *, by: User, side: str) -> dict[str, Any]:
    """A message on an escalated incident, as a ``message.posted`` event carries it."""
    return {
        "id": entry.pk,
        "text": entry.data["text"],
        "author": str(by),
        "side": side,
        "at": entry.at.isoformat(),
    }


INCIDENT_CHANGED = "escalation.incident_changed"


def board_event(
    record: BoardEvent, escalation: Escalation, *, by: User | None, entry: TimelineEntry | None
) -> Event:
    """A numbered board event: to the agency's boards and to everyone watching the incident."""
    return Event(
        name=record.name,
        payload=as_message(record),
        groups=(board_group(record.agency_id), incident_group(escalation.incident)),
        subject=(escalation.pk, by.pk if by else None, entry.pk if entry else None),
    )


def panic_pressed(incident: Incident, *, guard: User, escalation: Escalation | None) -> Event:
    """``panic.pressed``: to the incident's page; its follow-up alerts the provider's people."""
    return Event(
        name="panic.pressed",
        payload={"incident": str(incident.public_id), "reference": incident.reference},
        groups=(incident_group(incident),),
        subject=(incident.pk, guard.pk, escalation.pk if escalation is not None else None),
    )


def as_message(record: BoardEvent) -> dict[str, Any]:
    """The JSON a board receives for one event, live or replayed: the same either way."""
    return {"seq": record.sequence, "event": record.name, **record.payload}


def panic_cancelled(
    incident: Incident, *, by: User, entry: TimelineEntry, escalation: Escalation | None
) -> Event:
    """A guard cancelled a false panic press: to the incident's page (the board hears the
    escalation's own ``escalation.cancelled``); its follow-ups tell whoever the panic alerted."""
    return Event(
        name="panic.cancelled",
        payload={
            "event": "panic.cancelled",
            "incident": {"id": str(incident.public_id), "reference": incident.reference},
            "site": incident.site.name,
            "by": str(by),
            "at": entry.at.isoformat(),
            "escalation": str(escalation.public_id) if escalation is not None else None,
        },
        groups=(incident_group(incident),),
        subject=(incident.pk, by.pk, entry.pk),
    )


def access_flagged(flag: AccessFlag) -> Event:
    """``access.flagged``: for the agency's org admins (FOLLOW_UPS), not for any board."""
    return Event(
        name="access.flagged",
        payload={"id": flag.pk, "agency": flag.agency_id, "kind": flag.kind, "user": flag.user_id},
        subject=(flag.pk,),
    )
