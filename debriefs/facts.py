"""What a debrief states as fact, drafted from the incident's timeline and records (JSON-ready)."""

from collections import Counter
from datetime import datetime, tzinfo
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Membership
from debriefs.intervals import DEFAULT_TARGETS, Moment, measure, moments
from debriefs.models import ResponseTarget
from dispatch.models import Escalation
from incidents import disclosure
from incidents.models import Incident, TimelineEntry
from notifications.models import Kind, OutboxMessage


def targets_for(incident: Incident) -> dict[str, int]:
    """Targets per interval: the site's, else its agency's, else the defaults."""
    targets = dict(DEFAULT_TARGETS)
    scope = Q(site_id=incident.site_id)
    if incident.site.agency_id:
        scope |= Q(agency_id=incident.site.agency_id, site__isnull=True)
    # Agency targets first, then the site's, so the site's win.
    for target in ResponseTarget.objects.filter(scope).order_by(F("site_id").asc(nulls_first=True)):
        targets[target.interval] = target.seconds
    return targets


def _status_words(kind: str) -> dict[str, str]:
    """A status change names the statuses as people read them (Submitted → Closed), not their codes."""
    choices = Escalation.Status if kind == TimelineEntry.Kind.ESCALATION_UPDATED else Incident.Status
    return {str(value): str(label) for value, label in choices.choices}


def _line(entry: TimelineEntry) -> str:
    data = entry.data
    if entry.kind == TimelineEntry.Kind.FIELD_CHANGED:
        return f"{data.get('field')}: {data.get('old') or '—'} → {data.get('new') or '—'}"
    if entry.kind in (TimelineEntry.Kind.STATUS_CHANGED, TimelineEntry.Kind.ESCALATION_UPDATED):
        detail = (
            data.get("resolution")
            or data.get("disposition")
            or data.get("comment")
            or data.get("rejection_reason")
        )
        words = _status_words(entry.kind)
        old, new = (words.get(str(data.get(k)), str(data.get(k) or "—")) for k in ("old", "new"))
        return f"{old} → {new}" + (f": {detail}" if detail else "")
    if entry.kind == TimelineEntry.Kind.ESCALATED:
        return f"to {data.get('agency')} ({data.get('source')})" + (
            f": {data['reason']}" if data.get("reason") else ""
        )
    if entry.kind == TimelineEntry.Kind.EVIDENCE_ADDED:
        return f"{data.get('name')} (SHA-256 {str(data.get('sha256', ''))[:16]}…)"
    return str(data.get("text") or data.get("comment") or data.get("description") or "")


def drill(described: dict[str, Any]) -> dict[str, Any]:
    """A drill's part of its debrief (HSEEP): the objectives, and each exercise incident's measured
    intervals against its targets, with the misses as the improvement actions to consider."""
    rows = []
    misses = []
    for incident in (
        Incident.objects.filter(pk__in=described.get("incidents", ()))
        .select_related("site", "category")
        .order_by("received_at", "pk")
    ):
        entries = list(incident.timeline.order_by("at", "pk"))
        measured = intervals(incident, incident.submitted_at or incident.received_at, entries)
        rows.append(
            {"reference": incident.reference, "category": str(incident.category or ""), "intervals": measured}
        )
        misses += [
            f"{incident.reference}: {m['label']} took {m['seconds']:.0f} s "
            f"against a target of {m['target']} s"
            for m in measured
            if m["met"] is False
        ]
    return {
        **{
            key: described.get(key)
            for key in ("id", "title", "scenario", "site", "objectives", "starts_at", "ends_at")
        },
        "real_during": described.get("real_during", []),
        "incidents": rows,
        "misses": misses,
    }


def collect(incident: Incident) -> dict[str, Any]:
    """Everything a debrief states as fact about the incident, as it is now."""
    incident = Incident.objects.select_related("site__agency", "category", "reporter").get(pk=incident.pk)
    zone = incident.site.zone
    # A debrief is the provider's and the agencies' joint account: no internal item enters it.
    entries = list(disclosure.timeline(incident, disclosure.JOINT))
    received = incident.submitted_at or incident.received_at
    escalations = escalation_rows(incident)
    return {
        "reference": incident.reference,
        "site": str(incident.site),
        "time_zone": incident.site.time_zone,
        "category": str(incident.category or ""),
        "severity": incident.get_severity_display() if incident.severity else "",
        "summary": summary(incident, received, police_response(escalations)),
        "timeline": [timeline_row(entry, zone) for entry in entries],
        "intervals": intervals(incident, received, entries),
        "participants": participants(entries),
        "escalations": escalations,
        "evidence": evidence(incident),
        "notifications": notifications(incident, zone),
    }


def intervals(incident: Incident, received: datetime, entries: list[TimelineEntry]) -> list[dict[str, Any]]:
    """Each response interval measured from the timeline against the incident's targets."""
    found = moments(received, [Moment(e.kind, e.at, e.data) for e in entries])
    return [interval.as_json() for interval in measure(found, targets_for(incident))]


def timeline_row(entry: TimelineEntry, zone: tzinfo) -> dict[str, Any]:
    """One timeline entry as the debrief shows it, in the site's time zone."""
    return {
        "at": entry.at.isoformat(),
        "local": f"{timezone.localtime(entry.at, zone):%d %b %H:%M:%S}",
        "actor": str(entry.actor) if entry.actor else "",
        "what": entry.get_kind_display(),
        "detail": _line(entry),
    }


def participants(entries: list[TimelineEntry]) -> list[dict[str, Any]]:
    """Everyone who acted on the timeline, in order of first action, with their role and count."""
    actors = {e.actor_id: e.actor for e in entries if e.actor_id}
    counts = Counter(e.actor_id for e in entries if e.actor_id)
    memberships = {
        m.user_id: m for m in Membership.objects.filter(user_id__in=actors).select_related("organization")
    }
    rows = []
    for actor_id, actor in actors.items():
        membership = memberships.get(actor_id)
        rows.append(
            {
                "id": actor_id,
                "name": str(actor),
                "role": membership.get_role_display() if membership else "Platform",
                "organization": str(membership.organization) if membership else "",
                "entries": counts[actor_id],
            }
        )
    return rows


def escalation_rows(incident: Incident) -> list[dict[str, Any]]:
    """The incident's escalations to agencies, oldest first."""
    return [
        {
            "agency": str(e.agency),
            "status": e.get_status_display(),
            "source": e.get_source_display(),
            "case_number": e.case_number,
            "disposition": e.disposition,
        }
        for e in incident.escalations.select_related("agency").order_by("requested_at")
    ]


def police_response(escalations: list[dict[str, Any]]) -> str:
    """The police response in a few words: the first escalation and how it stands."""
    if not escalations:
        return "not escalated"
    return f"escalated to {escalations[0]['agency']} ({escalations[0]['status'].lower()})"


def evidence(incident: Incident) -> list[dict[str, Any]]:
    """The evidence files, in the order they were uploaded, with their hashes."""
    return [
        {
            "name": e.original_name,
            "kind": e.get_kind_display(),
            "size": e.size,
            "sha256": e.sha256,
            "version": e.version,
        }
        for e in disclosure.shown_evidence(incident.evidence.all(), disclosure.JOINT).order_by(
            "uploaded_at", "pk"
        )
    ]


AFTERWARDS = (Kind.DEBRIEF, Kind.ACTION)


def notifications(incident: Incident, zone: tzinfo) -> list[dict[str, Any]]:
    """Every notification sent about the incident's response, to whom, how, and what came of it
    (not those about its debrief and corrective actions, which come after it)."""
    return [
        {
            "recipient": message.recipient_label,
            "channel": message.get_channel_display(),
            "at": f"{timezone.localtime(message.created_at, zone):%d %b %H:%M:%S %Z}",
            "outcome": message.get_state_display()
            + (f" ({message.last_error[:80]})" if message.last_error else ""),
        }
        for message in OutboxMessage.objects.filter(incident=incident)
        .exclude(kind__in=AFTERWARDS)
        .order_by("created_at", "pk")
    ]


def summary(incident: Incident, received: datetime, police: str) -> str:
    """The drafted summary: what, where, by whom, when (the site's time), the police, the resolution."""
    local = timezone.localtime(received, incident.site.zone)
    return (
        f"{incident.category or 'Incident'} at {incident.site}, reported by {incident.reporter} "
        f"on {local:%d %b %Y at %H:%M} ({incident.site.time_zone}); {police}."
        + (f" Resolution: {incident.resolution}" if incident.resolution else "")
    )
