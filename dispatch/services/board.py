"""The board's own writes: telling the boards that the provider's side of an incident changed, what a
watcher has read, and each watcher's display preference."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.policy import AnyUser
from dispatch import events, policy
from dispatch.models import BoardEvent, BoardPreference, BoardRead, Escalation
from dispatch.services.common import locked, record_board_event, require
from incidents.models import Incident, IncidentShare


def _shown_status(escalation: Escalation) -> str | None:
    """The incident status the agency's boards were last told for this escalation."""
    last = (
        BoardEvent.objects.filter(escalation=escalation)
        .order_by("-sequence")
        .values_list("payload", flat=True)
        .first()
    )
    if not isinstance(last, dict):
        return None
    return last.get("escalation", {}).get("incident", {}).get("status")


@transaction.atomic
def announce_incident_change(*, incident_id: int, by: User | None = None) -> list[BoardEvent]:
    """Tell the boards of every agency the incident was escalated to that its provider's side
    changed (verified, more information asked, closed): an ``escalation.incident_changed`` event per
    escalation. Safe to run again: a board already told the incident's current status is not told twice."""
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        return []
    recorded = []
    # An agency whose share ended (rejected, cancelled, or ended by the provider) hears no later change.
    sharing = IncidentShare.objects.filter(IncidentShare.in_force(), incident_id=incident_id).values(
        "agency_id"
    )
    for escalation in Escalation.objects.filter(incident_id=incident_id, agency_id__in=sharing).order_by(
        "pk"
    ):
        current = locked(escalation)  # one announcement at a time per escalation
        if _shown_status(current) == current.incident.status:
            continue
        recorded.append(record_board_event(current, by=by, name=events.INCIDENT_CHANGED))
    return recorded


def mark_escalation_read(*, escalation: Escalation, by: AnyUser) -> None:
    """The watcher opened the escalation's details: its messages so far are read."""
    if not isinstance(by, User) or not policy.can_watch_escalation(by, escalation):
        return
    BoardRead.objects.update_or_create(user=by, escalation=escalation, defaults={"read_at": timezone.now()})


def set_board_density(*, user: User, density: str) -> BoardPreference:
    """Compact or comfortable rows on the user's board, on every screen they sign in on."""
    require(policy.board_agency(user) is not None, "The live board is for the agency's liaisons.")
    if density not in BoardPreference.Density.values:
        choices = ", ".join(f"'{value}'" for value in BoardPreference.Density.values)
        raise ValidationError({"density": f"Choose {choices}."})
    preference, _ = BoardPreference.objects.update_or_create(user=user, defaults={"density": density})
    return preference
