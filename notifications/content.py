"""What a notification says: title, text, short SMS text, link and webhook data, per event."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from dispatch.events import escalation_payload
from dispatch.models import Escalation
from incidents.models import Incident
from notifications.models import Alert

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


@dataclass(frozen=True)
class AlertStyle:
    """How one kind of alert looks and sounds, so that nobody takes a drill or a test for a panic:
    its title starts with ``prefix``, and the page plays ``sound`` (a WebAudio tone pattern in
    static/js/alert-sounds.js; no audio file, nothing the strict CSP has to allow)."""

    name: str
    prefix: str
    sound: str


ALERT_STYLES: dict[str, AlertStyle] = {
    "panic": AlertStyle("PANIC", "PANIC", "panic"),
    "escalation": AlertStyle("Escalation", "ESCALATION", "escalation"),
    "bulletin": AlertStyle("Police bulletin", "BULLETIN", "bulletin"),
    "patrol": AlertStyle("Missed checkpoint or check-in", "MISSED CHECK-IN", "checkin"),
    "test": AlertStyle("Test", "TEST, NOT A REAL ALERT", "test"),
    "exhausted": AlertStyle("Unacknowledged alert", "NOBODY ACKNOWLEDGED", "exhausted"),
    "canary": AlertStyle("Delivery canary", "TEST, NOT A REAL ALERT", "test"),
}
# Notification kinds that are alerts, by the style they take (a page takes the panic's when it is one).
ALERT_OF_KIND = {
    "panic": "panic",
    "page": "escalation",
    "bulletin": "bulletin",
    "patrol": "patrol",
    "test": "test",
    "exhausted": "exhausted",
    "canary": "canary",
}


def alert_style(kind: str, payload: dict[str, Any] | None = None) -> AlertStyle | None:
    """The style of a notification that is an alert (None for the rest: updates, messages...)."""
    name = (payload or {}).get("alert") or ALERT_OF_KIND.get(kind)
    return ALERT_STYLES.get(name) if name else None


def alert_name(kind: str) -> str:
    style = alert_style(kind)
    return style.name if style else "Alert"


def _titled(style: str, text: str) -> str:
    return _one_line(f"{ALERT_STYLES[style].prefix}: {text}")


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


def _panic(escalation: Escalation) -> str:
    """Every text about an active panic says so first; once a supervisor confirmed the guard is safe,
    a message or update on it no longer shouts PANIC at the guard and the supervisors."""
    return "PANIC " if escalation.panic_active else ""


def _at(incident: Incident, moment: datetime | None) -> str:
    moment = moment or timezone.now()
    return f"{timezone.localtime(moment, incident.site.zone):%H:%M %Z}"


def _local(escalation: Escalation) -> str:
    site = escalation.incident.site
    return f"{timezone.localtime(escalation.requested_at, site.zone):%H:%M:%S %Z}"


def page(escalation: Escalation, *, reason: str) -> dict[str, Any]:
    """A page: the escalation is waiting for a liaison to accept it."""
    incident = escalation.incident
    what = _what(escalation)
    category = incident.category.name if incident.category else "uncategorised"
    style = "panic" if escalation.is_panic else "escalation"
    title = _titled(
        style,
        f"{incident.reference} at {incident.site.name} needs a police liaison"
        + ("" if escalation.is_panic else f" ({what})"),
    )
    text = (
        f"{what} — {incident.reference} ({category}) at {incident.site.name}, {incident.site.address}.\n"
        f"Escalated to {escalation.agency} at {_local(escalation)} and not accepted yet.\n"
        f"Why you are told: {reason}."
    )
    return {
        "event": "escalation.page",
        "alert": style,
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
    title = _one_line(f"{_panic(escalation)}{incident.reference}: {verb}")
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
        "title": _one_line(f"{_panic(escalation)}Message on {incident.reference} from {by}"),
        "text": text,
        "sms": _one_line(f"Watchpost {_panic(escalation)}{incident.reference}, {by}: {text}", 140),
        "path": incident_path(incident),
        "data": {
            "escalation": escalation_payload(escalation),
            "message": {"id": entry_id, "text": text, "author": str(by), "at": at},
        },
    }


def test_event(*, endpoint_name: str, by: User) -> dict[str, Any]:
    return {
        "event": "test",
        "alert": "test",
        "title": _titled("test", f"Test event for {endpoint_name}"),
        "text": f"Sent by {by} from the Watchpost portal to check this endpoint.",
        "path": "",
        "data": {"message": "This is a test event from Watchpost.", "sent_by": str(by)},
    }


def _incident_data(incident: Incident) -> dict[str, Any]:
    return {
        "id": str(incident.public_id),
        "reference": incident.reference,
        "severity": incident.severity,
        "category": incident.category.name if incident.category else None,
        "site": incident.site.name,
        "status": incident.status,
    }


def panic(incident: Incident, *, guard: User, police: str, tier: str) -> dict[str, Any]:
    """A panic, to the provider's own people (the police are paged by their policy in parallel)."""
    site = incident.site
    where = f"{site.name}, {site.address}"
    if incident.location:
        where += f" ({incident.location})"
    police_line = (
        f"Police: sent to {police}." if police else "Police: NOT alerted (the site has no police partner)."
    )
    return {
        "event": "panic.pressed",
        "alert": "panic",
        "title": _titled("panic", f"{guard} at {site.name} ({incident.reference})"),
        "text": (
            f"PANIC pressed by {guard} at {_at(incident, incident.received_at)} — {where}.\n"
            f"{police_line}\nYou are told as one of the provider's {tier}. Call the guard now."
        ),
        "sms": _one_line(f"Watchpost PANIC: {guard} at {site.name} {incident.reference}. {police_line}", 140),
        "path": incident_path(incident),
        "data": _incident_data(incident),
    }


def panic_cancelled(incident: Incident, *, by: User, at: datetime) -> dict[str, Any]:
    """A false panic press, cancelled by the guard in the window: to everyone the panic alerted."""
    site = incident.site
    return {
        "event": "panic.cancelled",
        "title": _one_line(f"PANIC cancelled: {by} at {site.name} ({incident.reference})"),
        "text": (
            f"PANIC cancelled by {by} at {_at(incident, at)}: a false press at {site.name}. "
            "Any police request was withdrawn. Confirm with the guard, then close the incident."
        ),
        "sms": _one_line(
            f"Watchpost PANIC cancelled: {by} at {site.name} {incident.reference}, false press.", 140
        ),
        "path": incident_path(incident),
        "data": _incident_data(incident),
    }


def panic_confirmation(incident: Incident, *, people: list[str], tier: str, police: str) -> str:
    """What the guard's screen says after a panic: exactly who was alerted."""
    ours = f"your {tier}: {', '.join(people)}" if people else ""
    if not police and not ours:
        return (
            f"PANIC {incident.reference} recorded, but NOBODY could be alerted: no police partner and "
            "nobody at your organization to tell. Call the emergency number now."
        )
    if not police:
        return (
            f"PANIC {incident.reference} sent to {ours}. No police partner for this site: "
            "call the emergency number for the police."
        )
    if not ours:
        return f"PANIC {incident.reference} sent to {police}. Nobody at your organization could be alerted."
    return f"PANIC {incident.reference} sent to {police} and to {ours}."


def report_submitted(incident: Incident, *, tier: str) -> dict[str, Any]:
    """A submitted report waiting in the triage queue."""
    category = incident.category.name if incident.category else "uncategorised"
    severity = f"severity {incident.severity}" if incident.severity else "no severity"
    return {
        "event": "incident.submitted",
        "title": _one_line(f"New report {incident.reference}: {category}, {severity}, {incident.site.name}"),
        "text": (
            f"{incident.reporter} sent {incident.reference} ({category}, {severity}) at {incident.site.name} "
            f"at {_at(incident, incident.submitted_at)}. It waits in the triage queue.\n"
            f"You are told as one of the provider's {tier}."
        ),
        "sms": _one_line(f"Watchpost: new report {incident.reference} at {incident.site.name}", 120),
        "path": incident_path(incident),
        "data": _incident_data(incident),
    }


def info_requested(incident: Incident, *, question: str, by: User) -> dict[str, Any]:
    """A supervisor's question about the guard's own report."""
    return {
        "event": "incident.info_requested",
        "title": _one_line(f"{by} asks about your report {incident.reference}"),
        "text": f"{question}\nAnswer it on the report's page (or edit the report and send it again).",
        "sms": _one_line(f"Watchpost: {by} asks about {incident.reference}: {question}", 140),
        "path": incident_path(incident),
        "data": _incident_data(incident),
    }


def info_provided(incident: Incident, *, question: str, answer: str, by: User) -> dict[str, Any]:
    """The guard's answer to the supervisor's question; the report is back in the triage queue."""
    return {
        "event": "incident.info_provided",
        "title": _one_line(f"{by} answered your question about {incident.reference}"),
        "text": f"You asked: {question}\n{by} answered: {answer}\nThe report is back in the triage queue.",
        "sms": _one_line(f"Watchpost: {by} answered about {incident.reference}: {answer}", 140),
        "path": incident_path(incident),
        "data": _incident_data(incident),
    }


def stale_escalation(escalation: Escalation, *, minutes: int) -> dict[str, Any]:
    """An accepted escalation with no dispatch or on-scene update for a while."""
    incident = escalation.incident
    title = _one_line(
        f"{_panic(escalation)}{incident.reference}: accepted {minutes} min ago, no dispatch or on scene yet"
    )
    return {
        "event": "escalation.stale",
        "title": title,
        "text": (
            f"{_panic(escalation)}{incident.reference} at {incident.site.name} was accepted by "
            f"{escalation.accepted_by or 'a liaison'} at {_at(incident, escalation.accepted_at)} and has "
            "had no dispatch or on-scene update since. Update the board, or hand it over."
        ),
        "sms": _one_line(f"Watchpost: {title}", 140),
        "path": incident_path(incident),
        "data": escalation_payload(escalation),
    }


def exhausted(alert: Alert) -> dict[str, Any]:
    """An alert nobody acknowledged, to every admin and supervisor: it must not end in silence."""
    incident = alert.incident
    what = alert_name(alert.kind)
    if alert.escalation is not None and alert.escalation.is_panic:
        what = "PANIC"
    since = _at(incident, alert.created_at)
    return {
        "event": "alert.exhausted",
        "alert": "exhausted",
        "title": _titled("exhausted", f"{what} {incident.reference} at {incident.site.name}"),
        "text": (
            f"{what} — {incident.reference} at {incident.site.name}, {incident.site.address}.\n"
            f"Raised at {since} and every step of its ladder was sent, but nobody has acknowledged it.\n"
            "You are told as an admin or supervisor: open the incident to acknowledge it and act."
        ),
        "sms": _one_line(
            f"Watchpost NOBODY ACKNOWLEDGED {what} {incident.reference} at {incident.site.name}", 140
        ),
        "path": incident_path(incident),
        "data": {"alert": str(alert.public_id), "incident": _incident_data(incident)},
    }


def canary(*, channel: str, sent_at: datetime) -> dict[str, Any]:
    """The synthetic canary: a test alert through one channel, checked for arrival in time."""
    return {
        "event": "canary",
        "alert": "canary",
        "title": _titled("canary", f"delivery check by {channel}, sent {sent_at:%H:%M:%S} UTC"),
        "text": "Watchpost checks that alerts arrive. Nothing to do: this is not a real alert.",
        "sms": f"Watchpost TEST, not a real alert: delivery check {sent_at:%H:%M:%S} UTC",
        "path": "",
        "data": {},
    }


def canary_missed(*, channel: str, recipient: str, sent_at: datetime, deadline: int) -> dict[str, Any]:
    """The canary did not arrive in time: a real problem, for the platform admins."""
    return {
        "event": "canary.missed",
        "alert": "exhausted",
        "title": _one_line(f"Delivery canary by {channel} to {recipient} did not arrive within {deadline} s"),
        "text": (
            f"The test alert sent at {sent_at:%H:%M:%S} UTC by {channel} to {recipient} has not arrived "
            f"after {deadline} s. Alerts by {channel} may be failing: check the platform's health page."
        ),
        "sms": _one_line(f"Watchpost: the {channel} delivery canary did not arrive within {deadline} s", 140),
        "path": "/notifications/health/",
        "data": {},
    }


def written(*, event: str, title: str, text: str, path: str) -> dict[str, Any]:
    """A notification whose words a higher app wrote (debriefs, corrective actions)."""
    return {
        "event": event,
        "title": _one_line(title),
        "text": text,
        "sms": _one_line(f"Watchpost: {title}", 140),
        "path": path,
        "data": {},
    }


# A drill's incident says EXERCISE before anything else in every text, and its webhook payload
# carries CAP 1.2's status; a real event filed during a drill says that it is real.
DRILL_PREFIXES = {Incident.Exercise.EXERCISE: "EXERCISE — ", Incident.Exercise.REAL: "REAL, not the drill — "}


def mark_exercise(payload: dict[str, Any], exercise: str) -> dict[str, Any]:
    """``payload`` with the drill's mark on its texts and ``status`` (Exercise or Actual) on it."""
    marked = dict(payload)
    prefix = DRILL_PREFIXES.get(Incident.Exercise(exercise or ""), "")
    for name in ("title", "text", "sms", "subject"):
        if prefix and isinstance(marked.get(name), str) and not marked[name].startswith(prefix):
            marked[name] = prefix + marked[name]
    marked["status"] = "Exercise" if exercise == Incident.Exercise.EXERCISE else "Actual"
    return marked


# The webhook delivery log, in words: what each event is, and what a failed delivery means.
EVENT_LABELS = {
    "test": "Test event",
    "escalation.page": "Page",
    "message.posted": "Message",
    "panic.pressed": "PANIC",
    "panic.cancelled": "PANIC cancelled",
    "incident.submitted": "Report submitted",
    "incident.info_requested": "More information requested",
    "escalation.stale": "Escalation waiting too long",
    "bulletin.published": "Police bulletin",
}


def event_label(event: str) -> str:
    """An event's name as the log shows it (a police status change as its verb), else its code."""
    if event in EVENT_LABELS:
        return EVENT_LABELS[event]
    if event in UPDATE_VERBS:
        return "Police response: " + UPDATE_VERBS[event].split(" (")[0].format(
            agency="the agency", provider="us"
        )
    return event


DELIVERY_PROBLEMS = (
    (
        ("gaierror", "Name or service not known", "nodename nor servname"),
        "The address's host name could not be found.",
    ),
    (
        ("ConnectionRefusedError", "Connection refused"),
        "The server refused the connection: nothing listens at that address.",
    ),
    (("timed out", "TimeoutError", "timeout"), "The server did not answer in time."),
    (
        ("CERTIFICATE_VERIFY_FAILED", "SSLCertVerificationError"),
        "The server's certificate could not be verified.",
    ),
    (("SSLError", "SSL:"), "The secure connection to the server failed."),
    (("ConnectionResetError", "RemoteDisconnected", "BrokenPipeError"), "The server closed the connection."),
    (("Network is unreachable", "No route to host"), "The server's network could not be reached."),
)


def delivery_words(detail: str, *, ok: bool, status_code: int | None) -> str:
    """What a delivery attempt's result means, for the person reading the log (the raw detail is
    kept beside it)."""
    if ok:
        return f"Delivered: the server answered HTTP {status_code}." if status_code else "Delivered."
    if status_code:
        return f"The server answered HTTP {status_code}, an error."
    for markers, words in DELIVERY_PROBLEMS:
        if any(marker in detail for marker in markers):
            return words
    return detail or "The delivery failed."
