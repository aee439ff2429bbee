"""The improvement plan: corrective actions, each with its owner and due date, tracked to done."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from debriefs import policy
from debriefs.models import CorrectiveAction
from debriefs.services.common import clean, require
from incidents import policy as incident_policy
from incidents.models import Incident
from portal import zones


def _owner(incident: Incident, owner: User) -> User:
    if not incident_policy.visible_incidents(owner).filter(pk=incident.pk).exists():
        raise ValidationError({"owner": "The owner must be someone who can see this incident."})
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
        incident=incident, what=what, owner=_owner(incident, owner), due_date=due_date, created_by=by
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


@transaction.atomic
def update_corrective_action(
    *, action: CorrectiveAction, by: User, status: str, verification: str = ""
) -> CorrectiveAction:
    """Track an action: in progress, or done with how its closure was verified."""
    current = CorrectiveAction.objects.select_for_update().select_related("incident__site").get(pk=action.pk)
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
    audit.record(
        action="corrective_action.completed" if done else "corrective_action.updated",
        actor=by,
        obj=current,
        incident=current.incident.reference,
        status=status,
    )
    return current
