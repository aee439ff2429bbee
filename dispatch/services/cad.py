"""Status from an agency's CAD (APCO/CSAA ANS 2.101-style: accepted or rejected with a cause,
dispatched, on scene, cleared with disposition and case number), through the API with its token.

Each report drives the same lifecycle services as the board, so it lands on the timeline, the board
and the outbox alike. It is keyed by an idempotency key or the CAD's own event id: the same key again
changes nothing and gets the first answer. A report that the escalation is already at or past (a
retry, or a message that arrived out of order) changes nothing; the lifecycle never moves backwards.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from dispatch import policy
from dispatch.models import CadReport, Escalation
from dispatch.services.common import clean, locked
from dispatch.services.lifecycle import (
    accept_escalation,
    clear_escalation,
    mark_dispatched,
    mark_on_scene,
    reject_escalation,
)

Status = Escalation.Status
REPORTABLE = (Status.ACCEPTED, Status.REJECTED, Status.DISPATCHED, Status.ON_SCENE, Status.CLEARED)
# How far along the police response is: a report at or below the current rank changes nothing.
RANK: dict[str, int] = {
    Status.REQUESTED: 0,
    Status.ACCEPTED: 1,
    Status.DISPATCHED: 2,
    Status.ON_SCENE: 3,
    Status.CLEARED: 4,
}
KEY_LENGTH = 100


@dataclass(frozen=True)
class CadResult:
    report: CadReport
    escalation: Escalation
    replayed: bool


def _same(report: CadReport, *, escalation: Escalation, status: str) -> bool:
    return report.escalation_id == escalation.pk and report.status == status


def _cause(cause: str, code: str) -> str:
    text = clean(cause, field="cause", required="Give the cause of the rejection (free text).")
    return f"{text} (cause code {code})" if code else text


def _refuse(escalation: Escalation, status: str) -> ValidationError:
    reference = escalation.incident.reference
    current = escalation.get_status_display().lower()
    if escalation.status == Status.CANCELLED:
        why = f"{reference} was withdrawn by the provider; a {status} report changes nothing"
    elif escalation.status == Status.REJECTED:
        why = f"{reference} was rejected by the agency; it cannot be {status} now"
    else:
        why = f"{reference} is already {current}; it cannot be rejected now"
    return ValidationError(why, code="invalid_transition")


def _advance(
    escalation: Escalation, *, by: User, status: str, disposition: str, case_number: str
) -> list[str]:
    """Take the steps from the escalation's status to ``status``: acceptance first if the CAD never
    said so (dispatched implies accepted); never a step the CAD did not report otherwise."""
    steps = []
    current = escalation
    if current.status == Status.REQUESTED:
        current = accept_escalation(escalation=current, by=by)
        steps.append(Status.ACCEPTED)
    if status == Status.DISPATCHED and current.status == Status.ACCEPTED:
        current = mark_dispatched(escalation=current, by=by)
        steps.append(Status.DISPATCHED)
    elif status == Status.ON_SCENE:
        current = mark_on_scene(escalation=current, by=by)
        steps.append(Status.ON_SCENE)
    elif status == Status.CLEARED:
        current = clear_escalation(
            escalation=current, by=by, disposition=disposition, case_number=case_number
        )
        steps.append(Status.CLEARED)
    return [str(step) for step in steps]


@transaction.atomic
def report_cad_status(
    *,
    escalation: Escalation,
    by: User,
    key: str,
    status: str,
    cause: str = "",
    cause_code: str = "",
    disposition: str = "",
    case_number: str = "",
) -> CadResult:
    """Apply one status the agency's CAD reported for its escalation (idempotent by ``key``)."""
    if not policy.can_respond_to_escalation(by, escalation):
        raise PermissionDenied("Only the agency's liaisons (and their CAD's tokens) report its status.")
    key = (key or "").strip()
    if not key or len(key) > KEY_LENGTH or not key.isprintable():
        raise ValidationError(
            {
                "event_id": "Give an Idempotency-Key header or the CAD's event_id "
                f"(1 to {KEY_LENGTH} characters)."
            }
        )
    if status not in REPORTABLE:
        raise ValidationError({"status": f"Report one of: {', '.join(REPORTABLE)}."})
    current = locked(escalation)
    earlier = CadReport.objects.filter(agency_id=current.agency_id, key=key).first()
    if earlier is not None:
        if not _same(earlier, escalation=current, status=status):
            raise ValidationError(
                f"The key {key!r} was already used for another report ({earlier.status} of another "
                "escalation or status): send a new key for a new report.",
                code="conflict",
            )
        return CadResult(report=earlier, escalation=current, replayed=True)
    cause_code = clean(cause_code, field="cause_code")[:40]
    case_number = clean(case_number, field="case_number")[:40]
    if status == Status.REJECTED:
        if current.status == Status.REJECTED:
            steps: list[str] = []
        elif current.status != Status.REQUESTED:
            raise _refuse(current, status)
        else:
            reject_escalation(escalation=current, by=by, reason=_cause(cause, cause_code))
            steps = [str(Status.REJECTED)]
    elif current.status in (Status.REJECTED, Status.CANCELLED):
        raise _refuse(current, status)
    elif RANK[status] <= RANK[current.status]:
        steps = []  # a retry, or an earlier message arriving late: never backwards
    else:
        if status == Status.CLEARED:
            clean(disposition, field="disposition", required="Give the disposition (what the police did).")
        steps = _advance(current, by=by, status=status, disposition=disposition, case_number=case_number)
    after = Escalation.objects.get(pk=current.pk)
    try:
        with transaction.atomic():
            report = CadReport.objects.create(
                agency_id=current.agency_id,
                key=key,
                escalation=current,
                status=status,
                cause=cause[:2000],
                cause_code=cause_code,
                disposition=disposition[:2000],
                case_number=case_number,
                outcome=CadReport.Outcome.APPLIED if steps else CadReport.Outcome.ALREADY,
                steps=steps,
                status_after=after.status,
                reported_by=by,
                received_at=timezone.now(),
            )
    except IntegrityError:  # the same key from a concurrent retry of another escalation
        raise ValidationError(f"The key {key!r} is being used by another report.", code="conflict") from None
    return CadResult(report=report, escalation=after, replayed=False)
