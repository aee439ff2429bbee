"""The improvement plan: corrective actions, each with its owner and due date, tracked to done.

Actions come from an incident's debrief (``add_corrective_action``) or from a joint briefing's
decision: preparedness publishes ``briefing.action_decided`` and ``handle_briefing_action`` (its
in-transaction follow-up, portal/celery.py) writes the action in the decision's transaction."""

import uuid
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from audit import services as audit
from debriefs import policy
from debriefs.models import CorrectiveAction
from debriefs.services.common import clean, require
from incidents import policy as incident_policy
from incidents.models import Incident
from portal import zones
from portal.realtime import Event


def _owner(incident: Incident, owner: User) -> User:
    if not incident_policy.visible_incidents(owner).filter(pk=incident.pk).exists():
        raise ValidationError(
            {
                "owner": "The owner must be someone who can see this incident: the provider's people "
                "or those of an agency it was escalated to."
            }
        )
    return owner


@transaction.atomic
def add_corrective_action(
    *, incident: Incident, by: User, what: str, owner: User, due_date: date
) -> CorrectiveAction:
    """Add an item to the improvement plan."""
    require(
        policy.can_write_debrief(by, incident), "Only the provider's supervisors plan corrective actions."
    )
    what = clean(what, "what")
    if not what:
        raise ValidationError({"what": "Say what will change."})
    today = zones.local_today(incident.site.zone)
    if due_date < today:
        when = f"{today.day} {today:%b %Y}"
        message = f"The due date cannot be in the past: it is {when} at {incident.site}."
        raise ValidationError({"due_date": message})
    action = CorrectiveAction.objects.create(
        incident=incident,
        what=what,
        owner=_owner(incident, owner),
        due_date=due_date,
        created_by=by,
        provider_id=incident.site.provider_id,
    )
    audit.record(
        action="corrective_action.created",
        actor=by,
        obj=action,
        incident=incident.reference,
        owner=owner.email,
        due_date=due_date.isoformat(),
    )
    return action


def _organization(pk: Any, field: str) -> Organization:
    found = Organization.objects.filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise ValidationError({field: "The briefing's organization is gone."})
    return found


@transaction.atomic
def add_briefing_action(
    *,
    decision_id: uuid.UUID | str,
    by: User,
    what: str,
    owner: User,
    due_date: date,
    provider: Organization,
    agency: Organization,
    label: str,
    path: str,
    time_zone: str,
) -> CorrectiveAction:
    """A joint briefing's decision as a corrective action, owned by someone of either organization:
    one per decision (asked again, the same action)."""
    existing = CorrectiveAction.objects.filter(origin_ref=decision_id).first()
    if existing is not None:
        return existing
    require(
        policy.can_plan_briefing_action(by, provider_id=provider.pk, agency_id=agency.pk),
        "Only the two organizations' staff turn a briefing's decision into an action.",
    )
    what = clean(what, "what")
    if not what:
        raise ValidationError({"what": "Say what will change."})
    if not policy.may_own_briefing_action(owner, provider_id=provider.pk, agency_id=agency.pk):
        raise ValidationError(
            {"owner": f"The owner must be one of the active people of {provider} or {agency}."}
        )
    zone = zones.zone(time_zone)
    today = zones.local_today(zone)
    if due_date < today:
        raise ValidationError({"due_date": f"The due date cannot be in the past: it is {today:%d %b %Y}."})
    action = CorrectiveAction.objects.create(
        origin=CorrectiveAction.Origin.BRIEFING,
        origin_ref=decision_id,
        origin_label=label[:300],
        origin_path=path[:200],
        provider=provider,
        agency=agency,
        time_zone=zone.key,
        what=what,
        owner=owner,
        due_date=due_date,
        created_by=by,
    )
    audit.record(
        action="corrective_action.created",
        actor=by,
        obj=action,
        briefing=label[:300],
        owner=owner.email,
        due_date=due_date.isoformat(),
    )
    return action


def handle_briefing_action(event: Event) -> None:
    """``briefing.action_decided`` (preparedness): the decision's corrective action, written in the
    decision's transaction, so that a decision never says "corrective action" without one and a
    refusal here (an owner of neither organization, a past due date) undoes the decision's change."""
    facts = event.payload
    by = User.objects.filter(pk=facts["by"]).first()
    owner = User.objects.filter(pk=facts["owner"]).first()
    if by is None or owner is None:
        raise ValidationError({"owner": "Choose who owns the action."})
    add_briefing_action(
        decision_id=facts["decision"],
        by=by,
        what=facts["what"],
        owner=owner,
        due_date=date.fromisoformat(facts["due_date"]),
        provider=_organization(facts["provider"], "provider"),
        agency=_organization(facts["agency"], "agency"),
        label=facts["label"],
        path=facts["path"],
        time_zone=facts["time_zone"],
    )


@transaction.atomic
def update_corrective_action(
    *, action: CorrectiveAction, by: User, status: str, verification: str = ""
) -> CorrectiveAction:
    """Track an action: in progress, or done with how its closure was verified."""
    current = CorrectiveAction.objects.select_for_update().get(pk=action.pk)
    require(policy.can_update_corrective_action(by, current), "Only its owner and the supervisors update it.")
    if status not in CorrectiveAction.Status.values:
        raise ValidationError({"status": "Choose open, in progress or done."})
    verification = clean(verification, "verification")
    if status == CorrectiveAction.Status.DONE and not verification:
        raise ValidationError({"verification": "Say how closing it was verified."})
    current.status = status
    current.verification = verification or current.verification
    current.closed_at = timezone.now() if status == CorrectiveAction.Status.DONE else None
    current.save()
    done = status == CorrectiveAction.Status.DONE
    source: dict[str, Any] = {"incident" if current.incident_id else "briefing": current.source}
    audit.record(
        action="corrective_action.completed" if done else "corrective_action.updated",
        actor=by,
        obj=current,
        status=status,
        **source,
    )
    return current
