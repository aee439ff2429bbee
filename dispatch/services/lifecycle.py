"""The escalation lifecycle: opening one (by hand or by a site's rule), its steps, cancelling it and
clearing a panic, one lock per row.

``ACTIONS``, at the end, is the one table of what a person does to an escalation: the board page
and the API read it for the service to call and the fields to pass; these services read it for
the step's transition, its verb and who may take it. It lives beside the services it names, so
that neither has to import the other."""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization, Partnership, User
from accounts.policy import AnyUser
from dispatch import policy, selectors
from dispatch.models import Escalation, EscalationRule, RejectionCause, RuleCheck, VerificationLevel
from dispatch.services.common import clean, locked, record_change, require
from incidents import policy as incident_policy
from incidents import services as incident_services
from incidents.models import Incident, TimelineEntry

logger = logging.getLogger(__name__)
Status = Escalation.Status
Source = Escalation.Source
Kind = TimelineEntry.Kind
# The sweep looks this far back for a submitted report whose rule never ran.
SWEEP_WINDOW = timedelta(days=1)
SWEEP_BATCH = 200


def _about(escalation: Escalation) -> dict[str, str]:
    """What every timeline entry of an escalation names."""
    return {"escalation": str(escalation.public_id), "agency": escalation.agency.name}


def _last_actor(escalation: Escalation) -> str:
    entry = (
        escalation.incident.timeline.filter(kind=Kind.ESCALATION_UPDATED)
        .select_related("actor")
        .order_by("-pk")
        .first()
    )
    if entry is None or entry.actor is None:
        return ""
    return f" by {entry.actor} at {timezone.localtime(entry.at, escalation.incident.site.zone):%H:%M:%S %Z}"


def _locked_for(escalation: Escalation, *, action: str, by: User) -> Escalation:
    """The escalation locked for one of ACTIONS, once the table's rule lets ``by`` take it."""
    current = locked(escalation)
    require(ACTIONS[action].allowed(by, current), ACTIONS[action].refusal)
    return current


def _step(
    escalation: Escalation, *, action: str, by: User, expected_version: int | None = None, **fields: Any
) -> Escalation:
    step = ACTIONS[action].step
    assert step is not None, f"{action} changes no status"
    if escalation.status not in step.sources:
        # The usual cause: another liaison acted first. Say who and when.
        raise ValidationError(
            f"{escalation.incident.reference} is already {escalation.get_status_display().lower()}"
            f"{_last_actor(escalation)}; it cannot be {ACTIONS[action].verb} now.",
            code="invalid_transition",
        )
    if expected_version is not None and expected_version != escalation.version:
        raise ValidationError(
            f"{escalation.incident.reference} changed{_last_actor(escalation)}; reload before acting.",
            code="conflict",
        )
    previous = escalation.status
    escalation.status = step.target
    setattr(escalation, step.stamp, timezone.now())
    for name, value in fields.items():
        setattr(escalation, name, value)
    escalation.version += 1
    escalation.save()
    if step.target in ENDS_SHARE:
        _end_share(escalation, by=by)
    record_change(
        escalation,
        by=by,
        name=f"escalation.{step.target}",
        kind=Kind.ESCALATION_UPDATED,
        **_about(escalation),
        old=previous,
        new=step.target,
        **{name: value for name, value in fields.items() if isinstance(value, str) and value},
    )
    return escalation


# A rejected or cancelled escalation ends its agency's access to the incident (README, "Who sees what").
ENDS_SHARE = (Status.REJECTED, Status.CANCELLED)


def _end_share(escalation: Escalation, *, by: User) -> None:
    """End the agency's share, unless another escalation of the incident to it is open or cleared."""
    others = escalation.incident.escalations.filter(agency_id=escalation.agency_id).exclude(
        Q(pk=escalation.pk) | Q(status__in=ENDS_SHARE)
    )
    if others.exists():
        return
    outcome = "rejected" if escalation.status == Status.REJECTED else "cancelled"
    incident_services.end_share_for_escalation(
        incident=escalation.incident,
        agency_id=escalation.agency_id,
        by=by,
        reason=f"The escalation was {outcome}.",
    )


@transaction.atomic
def accept_escalation(*, escalation: Escalation, by: User, expected_version: int | None = None) -> Escalation:
    """A liaison takes the escalation on. When two accept at once, one wins; the other is told."""
    current = _locked_for(escalation, action="accept", by=by)
    return _step(current, action="accept", by=by, expected_version=expected_version, accepted_by=by)


@transaction.atomic
def reject_escalation(
    *, escalation: Escalation, by: User, reason: str, cause: str = RejectionCause.OTHER
) -> Escalation:
    """A liaison declines the escalation with an ASAP-shaped cause (and words for "other"), which
    the provider reads and the analytics keep."""
    current = _locked_for(escalation, action="reject", by=by)
    if cause not in RejectionCause.values:
        raise ValidationError({"cause": "Choose one of the listed causes."})
    required = "Say why the agency will not respond." if cause == RejectionCause.OTHER else None
    reason = clean(reason, field="reason", required=required)
    return _step(current, action="reject", by=by, rejection_reason=reason, rejection_cause=cause)


@transaction.atomic
def reescalate_to_fallback(*, escalation: Escalation, by: User) -> Escalation:
    """One action after the primary agency rejected an escalation as outside its jurisdiction: the
    incident goes to the site's next fallback agency (mutual aid), its partnership checked again."""
    current = _locked_for(escalation, action="reescalate", by=by)
    if current.status != Status.REJECTED or current.rejection_cause != RejectionCause.OUTSIDE_JURISDICTION:
        raise ValidationError(
            f"{current.incident.reference} goes to a fallback only once rejected as outside the jurisdiction."
        )
    incident = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("site", "category")
        .get(pk=current.incident_id)
    )
    fallback = selectors.next_fallback(escalation=current)
    if fallback is None:
        raise ValidationError(f"{incident.site} has no other agency to fall back on: nothing was escalated.")
    _require_partnership(incident, agency_id=fallback.pk)
    return open_escalation(
        incident,
        by=by,
        source=Source.SUPERVISOR,
        reason=f"Mutual aid: {current.agency} answered outside its jurisdiction.",
        agency=fallback,
    )


def _level(value: Any) -> int:
    try:
        level = int(value)
    except (TypeError, ValueError):
        level = -1
    if level not in VerificationLevel.values:
        raise ValidationError({"level": "Choose a verification level from 0 to 4."})
    return level


@transaction.atomic
def confirm_verification(*, escalation: Escalation, by: User, level: int | str | None) -> Escalation:
    """A supervisor confirms (or corrects) the suggested verification level; the board reorders."""
    current = _locked_for(escalation, action="verify", by=by)
    chosen = _level(level)
    if not current.is_open:
        raise ValidationError(f"{current.incident.reference} is no longer open: its level stays as it was.")
    previous = current.verification_level
    current.verification_level = chosen
    current.verification_confirmed_by = by
    current.verification_confirmed_at = timezone.now()
    current.version += 1
    current.save()
    record_change(
        current,
        by=by,
        name="escalation.verified",
        kind=Kind.ESCALATION_UPDATED,
        **_about(current),
        verification=str(chosen),
        old_verification=str(previous),
    )
    return current


@transaction.atomic
def mark_dispatched(*, escalation: Escalation, by: User) -> Escalation:
    """Officers are on their way."""
    return _step(_locked_for(escalation, action="dispatch", by=by), action="dispatch", by=by)


@transaction.atomic
def mark_on_scene(*, escalation: Escalation, by: User) -> Escalation:
    """Officers have arrived."""
    return _step(_locked_for(escalation, action="on_scene", by=by), action="on_scene", by=by)


@transaction.atomic
def clear_escalation(
    *, escalation: Escalation, by: User, disposition: str, case_number: str = ""
) -> Escalation:
    """The police response is over: its disposition, and the police case number if one was opened."""
    current = _locked_for(escalation, action="clear", by=by)
    disposition = clean(
        disposition, field="disposition", required="Give the disposition (what the police did)."
    )
    case_number = clean(case_number, field="case_number")[:40]
    return _step(current, action="clear", by=by, disposition=disposition, case_number=case_number)


@transaction.atomic
def cancel_escalation(*, escalation: Escalation, by: User, reason: str) -> Escalation:
    """The provider withdraws the escalation, with a reason."""
    current = _locked_for(escalation, action="cancel", by=by)
    reason = clean(reason, field="reason", required="Say why the police are no longer needed.")
    return _step(current, action="cancel", by=by, cancel_reason=reason)


def withdraw_escalation(escalation: Escalation, *, by: User, reason: str) -> Escalation:
    """Cancel a locked escalation for a service that checked its own rule first (the guard's
    cancel of a false panic press), in the caller's transaction: the same step, timeline entry and
    board event as a supervisor's cancel."""
    return _step(escalation, action="cancel", by=by, cancel_reason=reason)


@transaction.atomic
def clear_panic(*, escalation: Escalation, by: User) -> Escalation:
    """A supervisor confirms the guard is safe. The panic is no longer active (its
    escalation stays on the board while the police response is open)."""
    current = _locked_for(escalation, action="clear_panic", by=by)
    if not current.is_panic:
        raise ValidationError("This escalation is not a panic.")
    if current.panic_cleared_at is not None:
        raise ValidationError("This panic was already cleared.")
    current.panic_cleared_at = timezone.now()
    current.panic_cleared_by = by
    current.version += 1
    current.save()
    record_change(
        current,
        by=by,
        name="escalation.panic_cleared",
        kind=Kind.ESCALATION_UPDATED,
        **_about(current),
        old=current.status,
        new=current.status,
        panic="cleared",
    )
    return current


def open_escalation(
    incident: Incident, *, by: User, source: str, reason: str, agency: Organization | None = None
) -> Escalation:
    """Hand the incident to its site's agency (or ``agency``: a bulletin's publisher), in the
    caller's transaction (the services' own)."""
    agency_id = agency.pk if agency is not None else incident.site.agency_id
    if agency_id is None:
        raise ValidationError(f"{incident.site} has no partnering agency to escalate to.")
    if incident.escalations.filter(status__in=Escalation.OPEN).exists():
        raise ValidationError(f"{incident.reference} is already escalated.")
    level, reasons = selectors.suggest_verification(incident)
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                verification_level=level,
                verification_suggested=level,
                incident=incident,
                agency_id=agency_id,
                provider_id=incident.provider_id,
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
    incident_services.share_incident(
        incident=incident, agency=escalation.agency, reason=reason or f"Escalated ({source})."
    )
    record_change(
        escalation,
        by=by,
        name="escalation.requested",
        kind=Kind.ESCALATED,
        **_about(escalation),
        source=source,
        reason=reason,
        verification=str(level),
        verification_because=", ".join(reasons),
    )
    return escalation


@transaction.atomic
def escalate_incident(*, incident: Incident, by: User, reason: str = "") -> Escalation:
    """Hand an incident to the agency partnering with its site (supervisors; guards for severity 1)."""
    current = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("site", "category")
        .get(pk=incident.pk)
    )
    if policy.is_cancelled_panic(current):
        raise ValidationError(
            f"{current.reference} is a PANIC cancelled as a false alarm: it is not escalated again. "
            "If help is needed, press PANIC again or report what is happening."
        )
    require(policy.can_escalate_incident(by, current), "You may not escalate this incident.")
    _require_partnership(current, agency_id=current.site.agency_id)
    source = Source.SUPERVISOR if incident_policy.can_triage_incident(by, current) else Source.GUARD
    return open_escalation(current, by=by, source=source, reason=clean(reason, field="reason"))


def _require_partnership(incident: Incident, *, agency_id: int | None) -> None:
    """A partnership is checked again when an escalation is asked for: one made inactive since the
    site was set up refuses it, with the reason (a panic is never refused: it goes out regardless)."""
    if (
        agency_id is not None
        and not Partnership.objects.filter(
            provider_id=incident.site.provider_id, agency_id=agency_id, is_active=True
        ).exists()
    ):
        raise ValidationError(
            f"{incident.site.provider} has no active partnership with that agency: nothing was escalated."
        )


@transaction.atomic
def escalate_sighting(*, incident: Incident, by: User, agency: Organization, reason: str) -> Escalation:
    """A guard's sighting of an agency's bulletin goes to that agency at once (the guard's own
    report: no triage first, whatever its severity)."""
    current = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("site__provider", "category")
        .get(pk=incident.pk)
    )
    require(
        current.reporter_id == by.pk and incident_policy.can_view_incident(by, current),
        "Only the guard who reported the sighting escalates it.",
    )
    _require_partnership(current, agency_id=agency.pk)
    return open_escalation(
        current, by=by, source=Source.BULLETIN, reason=clean(reason, field="reason"), agency=agency
    )


def _rule_matches(incident: Incident) -> str | None:
    """Why the site's active rule escalates this report ("severity", "category Fire"), or None."""
    rule = EscalationRule.objects.filter(site_id=incident.site_id, is_active=True).first()
    if rule is None:
        return None
    if (
        rule.max_severity is not None
        and incident.severity is not None
        and incident.severity <= rule.max_severity
    ):
        return "severity"
    if incident.category_id is not None and rule.categories.filter(pk=incident.category_id).exists():
        return f"category {incident.category}"
    return None


@transaction.atomic
def apply_escalation_rules(*, incident_id: int, by: User | None = None) -> Escalation | None:
    """Escalate a submitted report when its site's rule says so, and record that the rule ran. Safe
    to run again: a rule never escalates an incident twice, nor one already escalated (a panic's)."""
    incident = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("site", "category", "reporter")
        .filter(pk=incident_id)
        .first()
    )
    if incident is None or incident.status == Incident.Status.DRAFT:
        return None
    RuleCheck.objects.update_or_create(incident=incident, defaults={"checked_at": timezone.now()})
    if incident.status == Incident.Status.CLOSED or incident.site.agency_id is None:
        return None
    why = _rule_matches(incident)
    escalated = incident.escalations.filter(
        Q(status__in=Escalation.OPEN) | Q(source__in=[Source.RULE, Source.PANIC])
    ).exists()
    if why is None or escalated:
        return None
    return open_escalation(
        incident, by=by or incident.reporter, source=Source.RULE, reason=f"Site rule: {why}"
    )


def sweep_escalation_rules() -> int:
    """Apply the site's rule to every report whose rule never ran (a lost task). Returns how many."""
    unchecked = list(selectors.list_unchecked_reports(since=timezone.now() - SWEEP_WINDOW)[:SWEEP_BATCH])
    for incident_id in unchecked:
        try:
            apply_escalation_rules(incident_id=incident_id)
        except (ValidationError, DatabaseError):
            # One report's failure must not hold back the others; it is tried again next time.
            logger.exception("the escalation rule of incident %s failed", incident_id)
    return len(unchecked)


@dataclass(frozen=True)
class Step:
    """A change of status: from which statuses, to which, and the time it stamps."""

    sources: frozenset[str]
    target: str
    stamp: str


# What each action's fields are called in the page's forms and the API's body: the service's keyword
# for it, and its value when it is not sent.
FIELDS: dict[str, tuple[str, Any]] = {
    "version": ("expected_version", None),
    "reason": ("reason", ""),
    "disposition": ("disposition", ""),
    "case_number": ("case_number", ""),
    "cause": ("cause", RejectionCause.OTHER),
    "level": ("level", None),
}


@dataclass(frozen=True)
class Action:
    """One thing a person does to an escalation: its service, the fields it takes, how a refusal
    names it, who may (dispatch/policy.py), and the step it takes (None: the status stays)."""

    name: str
    service: Callable[..., Escalation]
    verb: str
    allowed: Callable[[AnyUser, Escalation], bool]
    refusal: str
    step: Step | None = None
    fields: tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        """The API's spelling of the name (a URL path segment)."""
        return self.name.replace("_", "-")

    def take(self, *, escalation: Escalation, by: User, values: Mapping[str, Any]) -> Escalation:
        """Call the service with the fields this action takes from ``values`` (a form's or a body's)."""
        arguments = {FIELDS[name][0]: values.get(name, FIELDS[name][1]) for name in self.fields}
        return self.service(escalation=escalation, by=by, **arguments)


RESPOND = "Only the agency's liaisons respond."
_UNDER_WAY = frozenset({Status.ACCEPTED, Status.DISPATCHED, Status.ON_SCENE})

# requested -> accepted | rejected; accepted -> dispatched -> on scene -> cleared; cancelled by the
# provider; a panic cleared by the provider once the guard is safe.
ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action(
            "accept",
            accept_escalation,
            "accepted",
            policy.can_respond_to_escalation,
            RESPOND,
            Step(frozenset({Status.REQUESTED}), Status.ACCEPTED, "accepted_at"),
            fields=("version",),
        ),
        Action(
            "reject",
            reject_escalation,
            "rejected",
            policy.can_respond_to_escalation,
            RESPOND,
            Step(frozenset({Status.REQUESTED}), Status.REJECTED, "rejected_at"),
            fields=("reason", "cause"),
        ),
        Action(
            "dispatch",
            mark_dispatched,
            "marked dispatched",
            policy.can_respond_to_escalation,
            RESPOND,
            Step(frozenset({Status.ACCEPTED}), Status.DISPATCHED, "dispatched_at"),
        ),
        Action(
            "on_scene",
            mark_on_scene,
            "marked on scene",
            policy.can_respond_to_escalation,
            RESPOND,
            Step(frozenset({Status.ACCEPTED, Status.DISPATCHED}), Status.ON_SCENE, "on_scene_at"),
        ),
        Action(
            "clear",
            clear_escalation,
            "cleared",
            policy.can_respond_to_escalation,
            RESPOND,
            Step(_UNDER_WAY, Status.CLEARED, "cleared_at"),
            fields=("disposition", "case_number"),
        ),
        Action(
            "cancel",
            cancel_escalation,
            "cancelled",
            policy.can_cancel_escalation,
            "Only the provider's supervisors cancel an escalation.",
            Step(frozenset(Escalation.OPEN), Status.CANCELLED, "cancelled_at"),
            fields=("reason",),
        ),
        Action(
            "reescalate",
            reescalate_to_fallback,
            "re-escalated to the fallback agency",
            policy.can_cancel_escalation,
            "Only the provider's supervisors re-escalate.",
        ),
        Action(
            "verify",
            confirm_verification,
            "given a verification level",
            policy.can_confirm_verification,
            "Only the provider's supervisors confirm the verification level.",
            fields=("level",),
        ),
        Action(
            "clear_panic",
            clear_panic,
            "cleared as safe",
            policy.can_cancel_escalation,
            "Only the provider's supervisors clear a panic.",
        ),
    )
}

# The steps alone, by action (the scale seeder replays them on rows it writes itself).
STEPS: dict[str, Step] = {name: action.step for name, action in ACTIONS.items() if action.step is not None}
