"""What a notification says: title, text, short SMS text, link and webhook data, per event."""

from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from dispatch.events import escalation_payload
from dispatch.models import Escalation
from incidents.models import Incident

UPDATE_VERBS = {
    "escalation.requested": "escalated to {agency}",
    "escalation.accepted": "accepted by {agency}",
    "escalation.rejected": "declined by {agency}",
    "escalation.dispatched": "officers dispatched by {agency}",
    "escalation.on_scene": "officers on scene ({agency})",
    "escalation.cleared": "police response cleared ({agency})",
    "escalation.cancelled": "escalation withdrawn by {provider}",
    "escalation.panic_cleared": "panic cleared: the guard is safe ({provider})",
}


# Where people choose their channels (notifications:settings; a test keeps the two in step).
SETTINGS_PATH = "/notifications/settings/"


def incident_path(incident: Incident) -> str:
    return f"/incidents/{incident.public_id}/"


def absolute_url(path: str) -> str:
    return f"{settings.PUBLIC_URL}{path}"


def _one_line(text: str, limit: int = 180) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _what(escalation: Escalation) -> str:
    severity = escalation.incident.severity
    if escalation.is_panic:
        return "PANIC"
    return f"Severity {severity}" if severity else "Escalation"


def _local(escalation: Escalation) -> str:
    site = escalation.incident.site
    return f"{timezone.localtime(escalation.requested_at, site.zone):%H:%M:%S %Z}"


def page(escalation: Escalation, *, reason: str) -> dict[str, Any]:
    """A page: the escalation is waiting for a liaison to accept it."""
    incident = escalation.incident
    what = _what(escalation)
    category = incident.category.name if incident.category else "uncategorised"
    title = _one_line(f"{what}: {incident.reference} at {incident.site.name} needs a police liaison")
    text = (
        f"{what} — {incident.reference} ({category}) at {incident.site.name}, {incident.site.address}.\n"
        f"Escalated to {escalation.agency} at {_local(escalation)} and not accepted yet.\n"
        f"Why you are told: {reason}."
    )
    return {
        "event": "escalation.page",
        "title": title,
        "text": text,
        "sms": _one_line(
            f"Watchpost {what}: {incident.reference} at {incident.site.name}, not accepted", 120
        ),
        "path": incident_path(incident),
        "data": escalation_payload(escalation),
    }


def update(escalation: Escalation, *, event: str, by: User | None) -> dict[str, Any]:
    """A change in an escalation's life (requested, accepted, …, panic cleared)."""
    incident = escalation.incident
    verb = UPDATE_VERBS[event].format(agency=escalation.agency, provider=incident.site.provider)
    title = _one_line(f"{incident.reference}: {verb}")
    lines = [f"{incident.reference} at {incident.site.name}: {verb}" + (f" ({by})." if by else ".")]
    for label, value in (
        ("Reason", escalation.rejection_reason if event == "escalation.rejected" else ""),
        ("Reason", escalation.cancel_reason if event == "escalation.cancelled" else ""),
        ("Disposition", escalation.disposition if event == "escalation.cleared" else ""),
        ("Police case number", escalation.case_number if event == "escalation.cleared" else ""),
    ):
        if value:
            lines.append(f"{label}: {value}")
    return {
        "event": event,
        "title": title,
        "text": "\n".join(lines),
        "sms": _one_line(f"Watchpost: {title}", 120),
        "path": incident_path(incident),
        "data": escalation_payload(escalation),
    }


def message(escalation: Escalation, *, text: str, by: User, entry_id: int, at: str) -> dict[str, Any]:
    """A message posted on an escalated incident."""
    incident = escalation.incident
    return {
        "event": "message.posted",
        "title": _one_line(f"Message on {incident.reference} from {by}"),
        "text": text,
        "sms": _one_line(f"Watchpost {incident.reference}, {by}: {text}", 140),
        "path": incident_path(incident),
        "data": {
            "escalation": escalation_payload(escalation),
            "message": {"id": entry_id, "text": text, "author": str(by), "at": at},
        },
    }


def test_event(*, endpoint_name: str, by: User) -> dict[str, Any]:
    return {
        "event": "test",
        "title": f"Test event for {endpoint_name}",
        "text": f"Sent by {by} from the Watchpost portal to check this endpoint.",
        "path": "",
        "data": {"message": "This is a test event from Watchpost.", "sent_by": str(by)},
    }
