"""What a debrief states as fact, drafted from the incident's timeline and records (JSON-ready)."""

from collections import Counter
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Membership
from debriefs.intervals import DEFAULT_TARGETS, Moment, measure, moments
from debriefs.models import ResponseTarget
from incidents.models import Incident, TimelineEntry
from notifications.models import OutboxMessage


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
        return f"{data.get('old')} → {data.get('new')}" + (f": {detail}" if detail else "")
    if entry.kind == TimelineEntry.Kind.ESCALATED:
        return f"to {data.get('agency')} ({data.get('source')})" + (
            f": {data['reason']}" if data.get("reason") else ""
        )
    if entry.kind == TimelineEntry.Kind.EVIDENCE_ADDED:
        return f"{data.get('name')} (SHA-256 {str(data.get('sha256', ''))[:16]}…)"
    return str(data.get("text") or data.get("comment") or data.get("description") or "")


def collect(incident: Incident) -> dict[str, Any]:
    incident = Incident.objects.select_related("site__agency", "category", "reporter").get(pk=incident.pk)
    zone = incident.site.zone
    entries = list(incident.timeline.select_related("actor").order_by("at", "pk"))
    memberships = {
        m.user_id: m
        for m in Membership.objects.filter(
            user_id__in={e.actor_id for e in entries if e.actor_id}
        ).select_related("organization")
    }
    received = incident.submitted_at or incident.received_at
    found = moments(received, [Moment(e.kind, e.at, e.data) for e in entries])
    intervals = measure(found, targets_for(incident))
    actions = Counter(e.actor_id for e in entries if e.actor_id)
    participants: list[dict[str, Any]] = []
    for entry in entries:
        if entry.actor_id and entry.actor_id not in {p["id"] for p in participants}:
            membership = memberships.get(entry.actor_id)
            participants.append(
                {
                    "id": entry.actor_id,
                    "name": str(entry.actor),
                    "role": membership.get_role_display() if membership else "Platform",
                    "organization": str(membership.organization) if membership else "",
                    "entries": actions[entry.actor_id],
                }
            )
    escalations = [
        {
            "agency": str(e.agency),
            "status": e.get_status_display(),
            "source": e.get_source_display(),
            "case_number": e.case_number,
            "disposition": e.disposition,
        }
        for e in incident.escalations.select_related("agency").order_by("requested_at")
    ]
    evidence = [
        {
            "name": e.original_name,
            "kind": e.get_kind_display(),
            "size": e.size,
            "sha256": e.sha256,
            "version": e.version,
        }
        for e in incident.evidence.order_by("uploaded_at", "pk")
    ]
    local = timezone.localtime(received, zone)
    police = (
        f"escalated to {escalations[0]['agency']} ({escalations[0]['status'].lower()})"
        if escalations
        else "not escalated"
    )
    summary = (
        f"{incident.category or 'Incident'} at {incident.site}, reported by {incident.reporter} "
        f"on {local:%d %b %Y at %H:%M} ({incident.site.time_zone}); {police}."
        + (f" Resolution: {incident.resolution}" if incident.resolution else "")
    )
    return {
        "reference": incident.reference,
        "site": str(incident.site),
        "time_zone": incident.site.time_zone,
        "category": str(incident.category or ""),
        "severity": incident.get_severity_display() if incident.severity else "",
        "summary": summary,
        "timeline": [
            {
                "at": entry.at.isoformat(),
                "local": f"{timezone.localtime(entry.at, zone):%d %b %H:%M:%S}",
                "actor": str(entry.actor) if entry.actor else "",
                "what": entry.get_kind_display(),
                "detail": _line(entry),
            }
            for entry in entries
        ],
        "intervals": [interval.as_json() for interval in intervals],
        "participants": participants,
        "escalations": escalations,
        "evidence": evidence,
        "notifications": [
            {
                "recipient": message.recipient_label,
                "channel": message.get_channel_display(),
                "at": f"{timezone.localtime(message.created_at, zone):%d %b %H:%M:%S}",
                "outcome": message.get_state_display()
                + (f" ({message.last_error[:80]})" if message.last_error else ""),
            }
            for message in OutboxMessage.objects.filter(incident=incident).order_by("created_at", "pk")
        ],
    }
