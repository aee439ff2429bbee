"""Shifts: a guard starts and ends one at a site (or a supervisor does it for them, with a reason)."""

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Site, User
from audit import services as audit
from notifications.selectors import list_provider_responders
from patrols import events, policy, selectors
from patrols.events import JointCause
from patrols.models import DailyReport, Shift
from patrols.services.common import alert, announce_board, coordinate, local
from patrols.services.joint import announce_joint_patrol
from patrols.services.loneworker import resolve_by_the_guard
from patrols.services.tours import close_rounds, ensure_rounds
from portal.realtime import publish_on_commit

MAX_SHIFT_HOURS = 16


def _planned_end(started_at: datetime, hours: Any) -> datetime:
    try:
        value = float(hours)
    except (TypeError, ValueError):
        raise ValidationError({"hours": "Say how many hours the shift is planned for."}) from None
    if not 0.5 <= value <= MAX_SHIFT_HOURS:
        raise ValidationError({"hours": f"A shift is planned for 0.5 to {MAX_SHIFT_HOURS} hours."})
    return started_at + timedelta(hours=value)


@transaction.atomic
def start_shift(
    *,
    guard: User,
    site: Site,
    by: User,
    hours: Any = 8,
    reason: str = "",
    latitude: Any = None,
    longitude: Any = None,
    now: datetime | None = None,
) -> Shift:
    """Start a guard's shift at one of their sites: by the guard, or by a supervisor of the site
    for them (with a reason). One open shift per guard, and only once the guard acknowledged the
    site's post orders and plans in force (settings.SHIFT_READINESS_RULE)."""
    now = now or timezone.now()
    reason = reason.strip()
    if by.pk == guard.pk:
        if not policy.can_work_at(guard, site):
            raise ValidationError({"site": "You can start a shift only at one of your sites."})
    else:
        if not policy.supervises_site(by, site):
            raise ValidationError("Only a supervisor of the site can start a shift for a guard.")
        if not policy.can_work_at(guard, site):
            raise ValidationError({"guard": f"{guard} is not assigned to {site}."})
        if not reason:
            raise ValidationError({"reason": "Say why you start the shift for the guard."})
    unread = selectors.unread_before_shift(guard=guard, site=site)
    if unread:
        who = "you have" if by.pk == guard.pk else f"{guard} has"
        names = "; ".join(f"{label} at {link}" for label, link in unread)
        raise ValidationError(
            {"site": f"Before a shift at {site} starts, {who} to read and acknowledge: {names}."}
        )
    shift = Shift(
        guard=guard,
        site=site,
        started_at=now,
        planned_end_at=_planned_end(now, hours),
        started_by=by,
        start_reason=reason[:300],
        start_latitude=coordinate(latitude, limit=90, name="latitude"),
        start_longitude=coordinate(longitude, limit=180, name="longitude"),
    )
    if Shift.objects.filter(guard=guard, ended_at__isnull=True).exists():
        raise ValidationError(f"{guard} already has a shift open: end it first.")
    try:
        with transaction.atomic():
            shift.save()
    except IntegrityError:
        raise ValidationError(f"{guard} already has a shift open: end it first.") from None
    ensure_rounds(shift=shift, now=now)
    announce_joint_patrol(shift=shift, cause=JointCause.STARTED)
    announce_board(site, "shift.started")
    audit.record(
        action="shift.started", actor=by, obj=shift, site=site.name, guard=guard.email, reason=reason
    )
    return shift


@transaction.atomic
def end_shift(
    *,
    shift: Shift,
    by: User,
    reason: str = "",
    notes: str | None = None,
    latitude: Any = None,
    longitude: Any = None,
    now: datetime | None = None,
) -> Shift:
    """End an open shift (the guard, or a supervisor with a reason); its daily activity report is
    built by a worker once this commits."""
    now = now or timezone.now()
    locked = Shift.objects.select_for_update().select_related("site", "guard").get(pk=shift.pk)
    reason = reason.strip()
    if locked.ended_at is not None:
        raise ValidationError("This shift has already ended.")
    if by.pk != locked.guard_id:
        if not policy.supervises_site(by, locked.site):
            raise ValidationError("Only the guard or a supervisor of the site can end this shift.")
        if not reason:
            raise ValidationError({"reason": "Say why you end the guard's shift."})
    ensure_rounds(shift=locked, now=now)
    locked.ended_at = now
    locked.ended_by = by
    locked.end_reason = reason[:300]
    if notes is not None:
        locked.notes = notes.strip()[:5000]
    locked.end_latitude = coordinate(latitude, limit=90, name="latitude")
    locked.end_longitude = coordinate(longitude, limit=180, name="longitude")
    locked.save()
    close_rounds(shift=locked, now=now)
    if by.pk == locked.guard_id:
        # Ending their own shift on the phone is the guard's sign of life, as a check-in is: an alert
        # still at the guard's step ends here instead of climbing the ladder after the shift.
        resolve_by_the_guard(shift=locked, now=now)
    report = DailyReport.objects.create(
        site=locked.site, day=timezone.localtime(locked.started_at, locked.site.zone).date(), shift=locked
    )
    publish_on_commit(events.report_requested(report))
    announce_joint_patrol(shift=locked, cause=JointCause.ENDED)
    announce_board(locked.site, "shift.ended")
    audit.record(action="shift.ended", actor=by, obj=locked, reason=reason)
    return locked


@transaction.atomic
def save_notes(*, shift: Shift, by: User, notes: str) -> Shift:
    """The guard's notes for the daily activity report (while the shift is open)."""
    if by.pk != shift.guard_id:
        raise ValidationError("Only the guard writes the shift's notes.")
    if shift.ended_at is not None:
        raise ValidationError("This shift has ended: its notes are in its report.")
    shift.notes = notes.strip()[:5000]
    shift.save(update_fields=["notes"])
    return shift


def sweep_overdue_shifts(*, now: datetime | None = None) -> int:
    """Shifts left open past their planned end: the site's supervisors are told, once per shift (the
    row's mark and the outbox's key). The shift stays open: only the guard or a supervisor ends it.
    Returns how many shifts were newly flagged."""
    now = now or timezone.now()
    due = Shift.objects.filter(
        ended_at__isnull=True, overdue_alerted_at__isnull=True, planned_end_at__lt=now
    ).values_list("pk", flat=True)
    flagged = 0
    for pk in list(due[:500]):
        with transaction.atomic():
            locked = Shift.objects.select_for_update().select_related("site", "guard").get(pk=pk)
            if locked.ended_at is not None or locked.overdue_alerted_at is not None:
                continue
            if locked.planned_end_at >= now:
                continue
            locked.overdue_alerted_at = now
            locked.save(update_fields=["overdue_alerted_at"])
            site = locked.site
            planned = local(locked.planned_end_at, site)
            people = list_provider_responders(provider_id=site.provider_id).people
            alert(
                users=[person for person in people if person.pk != locked.guard_id],
                key=f"patrol-shift-overdue:{locked.pk}",
                title=f"Shift still open: {locked.guard} at {site.name}, planned to end {planned}",
                text=(
                    f"{locked.guard}'s shift at {site.name} started {local(locked.started_at, site)} and "
                    f"was planned to end {planned}; it is still open. Reach the guard, or end the shift "
                    "for them with a reason on the patrol board."
                ),
                path="/patrols/board/",
            )
            audit.record(action="shift.overdue", actor=None, actor_label="patrols", obj=locked)
            announce_board(site, "shift.overdue")
            flagged += 1
    return flagged
