"""The escalation lifecycle: one table of transitions, one service per action, one lock per row."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Site, User
from dispatch import policy
from dispatch.models import Escalation, EscalationRule
from dispatch.services.board import record_board_event
from incidents import policy as incident_policy
from incidents import services as incident_services
from incidents.models import Category, Incident, TimelineEntry
from notifications import services as notification_services
from portal.text import clean_text

Status = Escalation.Status
Source = Escalation.Source
MAX_TEXT = 5_000


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


@dataclass(frozen=True)
class Step:
    sources: frozenset[str]
    target: str
    stamp: str


# requested -> accepted | rejected; accepted -> dispatched -> on scene -> cleared; cancelled by the provider.
STEPS: dict[str, Step] = {
    "accept": Step(frozenset({Status.REQUESTED}), Status.ACCEPTED, "accepted_at"),
    "reject": Step(frozenset({Status.REQUESTED}), Status.REJECTED, "rejected_at"),
    "dispatch": Step(frozenset({Status.ACCEPTED}), Status.DISPATCHED, "dispatched_at"),
    "on_scene": Step(frozenset({Status.ACCEPTED, Status.DISPATCHED}), Status.ON_SCENE, "on_scene_at"),
    "clear": Step(
        frozenset({Status.ACCEPTED, Status.DISPATCHED, Status.ON_SCENE}), Status.CLEARED, "cleared_at"
    ),
    "cancel": Step(frozenset(Escalation.OPEN), Status.CANCELLED, "cancelled_at"),
}


VERBS = {
    "accept": "accepted",
    "reject": "rejected",
    "dispatch": "marked dispatched",
    "on_scene": "marked on scene",
    "clear": "cleared",
    "cancel": "cancelled",
}


def _text(value: str, *, field: str, required: str | None = None) -> str:
    value = clean_text(value, field=field, limit=MAX_TEXT)
    if required and not value:
        raise ValidationError({field: required})
    return value


def _locked(escalation: Escalation) -> Escalation:
    return (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("incident", "incident__site", "incident__category", "agency")
        .get(pk=escalation.pk)
    )


def _last_actor(escalation: Escalation) -> str:
    entry = (
        escalation.incident.timeline.filter(kind=TimelineEntry.Kind.ESCALATION_UPDATED)
        .select_related("actor")
        .order_by("-pk")
        .first()
    )
    if entry is None or entry.actor is None:
        return ""
    return f" by {entry.actor} at {timezone.localtime(entry.at, escalation.incident.site.zone):%H:%M:%S}"


def _step(
    escalation: Escalation, *, action: str, by: User, expected_version: int | None, **fields: Any
) -> Escalation:
    step = STEPS[action]
    if escalation.status not in step.sources:
        # The usual cause: another liaison acted first. Say who and when.
        raise ValidationError(
            f"{escalation.incident.reference} is already {escalation.get_status_display().lower()}"
            f"{_last_actor(escalation)}; it cannot be {VERBS[action]} now.",
            code="invalid_transition",
        )
    if expected_version is not None and expected_version != escalation.version:
        raise ValidationError(
            f"{escalation.incident.reference} changed{_last_actor(escalation)}; reload before acting.",
            code="conflict",
        )
    now = timezone.now()
    previous = escalation.status
    escalation.status = step.target
    setattr(escalation, step.stamp, now)
    for name, value in fields.items():
        setattr(escalation, name, value)
    escalation.version += 1
    escalation.save()
    incident_services.add_timeline_entry(
        incident=escalation.incident,
        kind=TimelineEntry.Kind.ESCALATION_UPDATED,
        actor=by,
        escalation=str(escalation.public_id),
        agency=escalation.agency.name,
        old=previous,
        new=step.target,
        **{name: value for name, value in fields.items() if isinstance(value, str) and value},
    )
    record_board_event(escalation=escalation, name=f"escalation.{step.target}")
    notification_services.on_escalation_event(escalation=escalation, event=f"escalation.{step.target}", by=by)
    return escalation


def _respond(
    escalation: Escalation, *, action: str, by: User, expected_version: int | None = None, **fields: Any
) -> Escalation:
    current = _locked(escalation)
    _require(policy.can_respond_to_escalation(by, current), "Only the agency's liaisons respond.")
    return _step(current, action=action, by=by, expected_version=expected_version, **fields)


@transaction.atomic
def accept_escalation(*, escalation: Escalation, by: User, expected_version: int | None = None) -> Escalation:
    """A liaison takes the escalation on. When two accept at once, one wins; the other is told."""
    current = _respond(escalation, action="accept", by=by, expected_version=expected_version)
    current.accepted_by = by
    current.save(update_fields=["accepted_by"])
    return current


@transaction.atomic
def reject_escalation(*, escalation: Escalation, by: User, reason: str) -> Escalation:
    """A liaison declines the escalation, with the reason the provider will read."""
    reason = _text(reason, field="reason", required="Say why the agency will not respond.")
    return _respond(escalation, action="reject", by=by, rejection_reason=reason)


@transaction.atomic
def mark_dispatched(*, escalation: Escalation, by: User) -> Escalation:
    """Officers are on their way."""
    return _respond(escalation, action="dispatch", by=by)


@transaction.atomic
def mark_on_scene(*, escalation: Escalation, by: User) -> Escalation:
    """Officers have arrived."""
    return _respond(escalation, action="on_scene", by=by)


@transaction.atomic
def clear_escalation(
    *, escalation: Escalation, by: User, disposition: str, case_number: str = ""
) -> Escalation:
    """The police response is over: its disposition, and the police case number if one was opened."""
    disposition = _text(
        disposition, field="disposition", required="Give the disposition (what the police did)."
    )
    case_number = _text(case_number, field="case_number")[:40]
    return _respond(escalation, action="clear", by=by, disposition=disposition, case_number=case_number)


@transaction.atomic
def cancel_escalation(*, escalation: Escalation, by: User, reason: str) -> Escalation:
    """The provider withdraws the escalation, with a reason."""
    current = _locked(escalation)
    _require(
        policy.can_cancel_escalation(by, current), "Only the provider's supervisors cancel an escalation."
    )
    reason = _text(reason, field="reason", required="Say why the police are no longer needed.")
    return _step(current, action="cancel", by=by, expected_version=None, cancel_reason=reason)


@transaction.atomic
def clear_panic(*, escalation: Escalation, by: User) -> Escalation:
    """A supervisor confirms the guard is safe. The panic stays red until a liaison accepted it too."""
    current = _locked(escalation)
    _require(policy.can_cancel_escalation(by, current), "Only the provider's supervisors clear a panic.")
    if not current.is_panic:
        raise ValidationError("This escalation is not a panic.")
    if current.panic_cleared_at is not None:
        raise ValidationError("This panic was already cleared.")
    current.panic_cleared_at = timezone.now()
    current.panic_cleared_by = by
    current.version += 1
    current.save()
    incident_services.add_timeline_entry(
        incident=current.incident,
        kind=TimelineEntry.Kind.ESCALATION_UPDATED,
        actor=by,
        escalation=str(current.public_id),
        agency=current.agency.name,
        old=current.status,
        new=current.status,
        panic="cleared",
    )
    record_board_event(escalation=current, name="escalation.panic_cleared")
    notification_services.on_escalation_event(escalation=current, event="escalation.panic_cleared", by=by)
    return current


def _open(incident: Incident, *, by: User, source: str, reason: str) -> Escalation:
    if incident.site.agency_id is None:
        raise ValidationError(f"{incident.site} has no partnering agency to escalate to.")
    if incident.escalations.filter(status__in=Escalation.OPEN).exists():
        raise ValidationError(f"{incident.reference} is already escalated.")
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                incident=incident,
                agency_id=incident.site.agency_id,
                source=source,
                reason=reason,
                requested_by=by,
                requested_at=timezone.now(),
            )
    except IntegrityError:
        raise ValidationError(f"{incident.reference} is already escalated.") from None
    escalation = Escalation.objects.select_related("incident__site", "incident__category", "agency").get(
        pk=escalation.pk
    )
    incident_services.share_incident(incident=incident, agency=escalation.agency)
    incident_services.add_timeline_entry(
        incident=incident,
        kind=TimelineEntry.Kind.ESCALATED,
        actor=by,
        escalation=str(escalation.public_id),
        agency=escalation.agency.name,
        source=source,
        reason=reason,
    )
    record_board_event(escalation=escalation, name="escalation.requested")
    notification_services.on_escalation_event(escalation=escalation, event="escalation.requested", by=by)
    return escalation


@transaction.atomic
def escalate_incident(*, incident: Incident, by: User, reason: str = "") -> Escalation:
    """Hand an incident to the agency partnering with its site (supervisors; guards for severity 1)."""
    current = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("site", "category")
        .get(pk=incident.pk)
    )
    _require(policy.can_escalate_incident(by, current), "You may not escalate this incident.")
    source = Source.SUPERVISOR if incident_policy.can_triage_incident(by, current) else Source.GUARD
    return _open(current, by=by, source=source, reason=_text(reason, field="reason"))


def apply_escalation_rules(*, incident: Incident) -> Escalation | None:
    """Escalate a newly submitted report when its site's rule says so (inside the submitting transaction)."""
    if incident.status == Incident.Status.DRAFT or incident.site.agency_id is None:
        return None
    rule = EscalationRule.objects.filter(site_id=incident.site_id, is_active=True).first()
    if rule is None:
        return None
    by_severity = (
        rule.max_severity is not None
        and incident.severity is not None
        and incident.severity <= rule.max_severity
    )
    by_category = (
        incident.category_id is not None and rule.categories.filter(pk=incident.category_id).exists()
    )
    if not (by_severity or by_category):
        return None
    if incident.escalations.filter(status__in=Escalation.OPEN).exists():
        return None
    reason = "Site rule: " + ("severity" if by_severity else f"category {incident.category}")
    return _open(incident, by=incident.reporter, source=Source.RULE, reason=reason)


class PanicResult(NamedTuple):
    incident: Incident
    escalation: Escalation | None


@transaction.atomic
def press_panic(
    *,
    guard: User,
    site: Site | None,
    idempotency_key: uuid.UUID,
    latitude: Decimal | str | None = None,
    longitude: Decimal | str | None = None,
    accuracy_m: int | None = None,
    device_time: datetime | None = None,
) -> PanicResult:
    """One gesture: a severity-1 incident and its escalation at once. A retried press finds the
    first. Without a site, the guard's first assigned site; a location that does not parse is
    dropped rather than allowed to stop the panic."""
    site = site or policy.panic_sites(guard).first()
    _require(
        site is not None and policy.can_press_panic(guard, site),
        "The panic button works at the sites you are assigned to.",
    )
    assert site is not None
    fields: dict[str, Any] = {
        "reporter": guard,
        "site": site,
        "idempotency_key": idempotency_key,
        "submit": True,
        "device_time": device_time,
        "category": Category.objects.get(code="panic"),
        "severity": 1,
        "narrative": f"PANIC pressed by {guard} at {site}.",
    }
    location: dict[str, Any] = {
        "latitude": latitude,
        "longitude": longitude,
        "location_accuracy_m": accuracy_m,
    }
    try:
        result = incident_services.report_incident(**fields, **location)
    except ValidationError:
        result = incident_services.report_incident(**fields)
    incident = result.incident
    existing = incident.escalations.filter(source=Source.PANIC).first()
    if existing is not None or site.agency_id is None:
        return PanicResult(incident, existing)
    return PanicResult(incident, _open(incident, by=guard, source=Source.PANIC, reason="Panic button"))


def file_report(**fields: Any) -> incident_services.ReportResult:
    """File a report (incidents.services.report_incident) and apply the site's escalation rule."""
    with transaction.atomic():
        result = incident_services.report_incident(**fields)
        if result.created:
            apply_escalation_rules(incident=result.incident)
    return result


@transaction.atomic
def send_report(*, incident: Incident, by: User, expected_version: int | None = None) -> Incident:
    """Send a draft (incidents.services.submit_incident) and apply the site's escalation rule."""
    sent = incident_services.submit_incident(incident=incident, by=by, expected_version=expected_version)
    apply_escalation_rules(incident=sent)
    return sent


@transaction.atomic
def post_message(*, incident: Incident, by: User, text: str) -> TimelineEntry:
    """A live message on an escalated incident: kept on the timeline, pushed to the incident's
    page and to the agency's boards."""
    _require(policy.can_message_on_incident(by, incident), "You may not message on this incident.")
    text = _text(text, field="text", required="Write the message first.")
    entry = incident_services.add_timeline_entry(
        incident=incident, kind=TimelineEntry.Kind.MESSAGE, actor=by, text=text
    )
    escalation = (
        incident.escalations.select_related("incident__site", "incident__category", "agency")
        .order_by("-requested_at")
        .first()
    )
    assert escalation is not None  # the policy allows messages only on escalated incidents
    record_board_event(
        escalation=escalation,
        name="message.posted",
        extra={
            "message": {
                "id": entry.pk,
                "text": text,
                "author": str(by),
                "side": "agency" if policy.board_agency(by) else "provider",
                "at": entry.at.isoformat(),
            }
        },
    )
    notification_services.on_message_posted(escalation=escalation, entry=entry, by=by)
    return entry
