"""Drills: scheduled by both sides, run through the real chain, closed at the end of the window."""

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Site, User
from audit import services as audit
from portal.realtime import publish_on_commit
from preparedness import events, policy, selectors
from preparedness.models import Drill, Scenario
from preparedness.services.common import require, text

MAX_WINDOW_HOURS = 24


@transaction.atomic
def schedule_drill(
    *,
    by: User,
    site: Site,
    scenario: str,
    title: str,
    objectives: str,
    starts_at: datetime,
    ends_at: datetime,
    participants: Iterable[User] = (),
    mark_participants: bool = False,
) -> Drill:
    """A drill at a site in a time window, with participants from the provider and the agency."""
    require(
        policy.can_schedule_drill(by, site),
        "Drills are scheduled by the site's provider's supervisors and its agency's liaisons.",
    )
    if scenario not in Scenario.values:
        raise ValidationError({"scenario": "Choose the drill's scenario."})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": "The window ends after it starts."})
    if (ends_at - starts_at).total_seconds() > MAX_WINDOW_HOURS * 3600:
        raise ValidationError({"ends_at": f"A drill's window is at most {MAX_WINDOW_HOURS} hours."})
    if ends_at <= timezone.now():
        raise ValidationError({"ends_at": "The window has already ended."})
    overlapping = Drill.objects.filter(
        site=site, cancelled_at__isnull=True, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if overlapping.exists():
        raise ValidationError({"starts_at": "Another drill runs at this site in that window."})
    people = list(participants)
    allowed = set(policy.drill_people_for_site(site).values_list("pk", flat=True))
    if any(person.pk not in allowed for person in people):
        raise ValidationError({"participants": "Participants come from the site's provider and agency."})
    drill = Drill.objects.create(
        site=site,
        scenario=scenario,
        title=text(title, "title", 200, required=True),
        objectives=text(objectives, "objectives", 4000, required=True),
        starts_at=starts_at,
        ends_at=ends_at,
        mark_participants=mark_participants,
        scheduled_by=by,
    )
    drill.participants.set(people)
    audit.record(action="drill.scheduled", actor=by, obj=drill, site=site.pk)
    return drill


@transaction.atomic
def add_participants(*, drill: Drill, by: User, people: Iterable[User]) -> Drill:
    """More people of the site's provider and agency take part (before the window closes)."""
    current = Drill.objects.select_for_update().select_related("site").get(pk=drill.pk)
    require(policy.can_schedule_drill(by, current.site), "Only the drill's organizers add participants.")
    if current.cancelled_at or current.closed_at:
        raise ValidationError("The drill is over.")
    chosen = list(people)
    if not chosen:
        raise ValidationError("Choose the people who take part.")
    allowed = set(policy.drill_people_for_site(current.site).values_list("pk", flat=True))
    if any(person.pk not in allowed for person in chosen):
        raise ValidationError({"participants": "Participants come from the site's provider and agency."})
    current.participants.add(*chosen)
    audit.record(action="drill.participants_added", actor=by, obj=current, added=len(chosen))
    return current


@transaction.atomic
def cancel_drill(*, drill: Drill, by: User) -> Drill:
    """Call a drill off before its window ends (nothing is marked from then on)."""
    current = Drill.objects.select_for_update().select_related("site").get(pk=drill.pk)
    require(policy.can_schedule_drill(by, current.site), "Only the drill's organizers cancel it.")
    if current.cancelled_at or current.closed_at:
        raise ValidationError("The drill is over already.")
    current.cancelled_at = timezone.now()
    current.save(update_fields=["cancelled_at"])
    audit.record(action="drill.cancelled", actor=by, obj=current)
    return current


@transaction.atomic
def close_drill(*, drill: Drill, now: datetime | None = None) -> bool:
    """Close a drill whose window ended, once: ``drill.closed`` asks debriefs for its debrief."""
    now = now or timezone.now()
    current = (
        Drill.objects.select_for_update()
        .select_related("site")
        .filter(pk=drill.pk, closed_at__isnull=True, cancelled_at__isnull=True, ends_at__lte=now)
        .first()
    )
    if current is None:
        return False
    current.closed_at = now
    current.save(update_fields=["closed_at"])
    incident_ids = list(selectors.drill_incidents(current).values_list("pk", flat=True))
    real = list(selectors.real_incidents_during(current).values_list("reference", flat=True))
    audit.record(action="drill.closed", actor=None, obj=current, incidents=len(incident_ids))
    publish_on_commit(events.drill_closed(current, incident_ids, real))
    return True


def close_due_drills(*, now: datetime | None = None) -> int:
    """The periodic close: every drill whose window ended (each in its own transaction)."""
    now = now or timezone.now()
    return sum(close_drill(drill=drill, now=now) for drill in selectors.drills_to_close(now=now))
