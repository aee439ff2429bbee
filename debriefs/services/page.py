"""What the debrief page sends in one go: the supervisors' text, perhaps a new corrective action, and
perhaps the submission. All of it is kept, or none (a refused action never costs the typed text)."""

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from accounts.models import User
from debriefs.models import Debrief
from debriefs.services.actions import add_corrective_action
from debriefs.services.lifecycle import submit_debrief, update_debrief


@dataclass(frozen=True)
class NewAction:
    what: str
    owner: User
    due_date: date


@transaction.atomic
def save_debrief(
    *,
    debrief: Debrief,
    by: User,
    expected_version: int | None,
    summary: str,
    strengths: str,
    improvements: str,
    action: NewAction | None = None,
    submit: bool = False,
) -> Debrief:
    """Save the debrief's text, add the corrective action typed beside it, then submit if asked."""
    saved = update_debrief(
        debrief=debrief,
        by=by,
        expected_version=expected_version,
        summary=summary,
        strengths=strengths,
        improvements=improvements,
    )
    if action is not None:
        add_corrective_action(
            incident=saved.incident, by=by, what=action.what, owner=action.owner, due_date=action.due_date
        )
    return submit_debrief(debrief=saved, by=by) if submit else saved
