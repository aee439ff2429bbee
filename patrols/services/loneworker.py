"""Lone-worker check-ins: one tap "I'm OK" every N minutes; a missed one raises an alert that climbs
a ladder (the guard, then the supervisors, then the agency if the site says so) until someone other
than the guard acknowledges it. The timers are rows (``next_step_at``), fired by the beat."""

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from notifications.models import Kind
from notifications.selectors import list_on_duty_liaisons, list_provider_responders
from patrols import policy
from patrols.models import CheckIn, LoneWorkerAlert, PatrolSettings, Shift
from patrols.services.common import alert, announce_board, coordinate, local, settings_of, skew

BOARD_PATH = "/patrols/board/"
SETTING_RANGES = {
    "checkin_minutes": (5, 12 * 60, "A check-in interval is 5 minutes to 12 hours (empty: no check-ins)."),
    "checkin_grace_minutes": (0, 120, "A grace period is 0 to 120 minutes."),
    "ladder_step_minutes": (1, 120, "A ladder step is 1 to 120 minutes."),
    "skew_threshold_seconds": (5, 3600, "A clock-skew threshold is 5 seconds to an hour."),
}


def _whole(value: Any) -> int | str | None:
    """A whole number from a form or the API, None for empty, or the text when it is not one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return str(value)
    try:
        return int(str(value).strip())
    except ValueError:
        return str(value)


@transaction.atomic
def update_settings(
    *,
    site: Any,
    by: User,
    checkin_minutes: Any,
    checkin_grace_minutes: Any,
    ladder_step_minutes: Any,
    escalate_to_agency: bool,
    skew_threshold_seconds: Any,
) -> PatrolSettings:
    """A site's lone-worker rules, set by its supervisors or org admins: a check-in every N minutes
    (or none), the grace before an alert, the ladder's step, whether the partnering agency is the
    ladder's last step, the clock-skew threshold. Bad input changes nothing."""
    if not policy.manages_site(by, site):
        raise ValidationError("You can change patrol settings only at a site you manage.")
    given = {
        "checkin_minutes": checkin_minutes,
        "checkin_grace_minutes": checkin_grace_minutes,
        "ladder_step_minutes": ladder_step_minutes,
        "skew_threshold_seconds": skew_threshold_seconds,
    }
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in given.items():
        low, high, message = SETTING_RANGES[name]
        number = _whole(value)
        if number is None and name == "checkin_minutes":
            clean[name] = None
        elif not isinstance(number, int) or not low <= number <= high:
            errors[name] = message
        else:
            clean[name] = number
    if escalate_to_agency and site.agency_id is None:
        errors["escalate_to_agency"] = f"{site} has no partnering agency to escalate to."
    if errors:
        raise ValidationError(errors)
    clean["escalate_to_agency"] = bool(escalate_to_agency)
    rules, _ = PatrolSettings.objects.select_for_update().get_or_create(site=site)
    changes = {
        name: [getattr(rules, name), value] for name, value in clean.items() if getattr(rules, name) != value
    }
    for name, value in clean.items():
        setattr(rules, name, value)
    rules.save()
    if changes:
        audit.record(action="patrols.settings_changed", actor=by, obj=rules, changes=changes)
    return rules


def next_checkin_due(shift: Shift) -> datetime | None:
    """When the guard's next check-in is due, or None (the site asks for none)."""
    minutes = settings_of(shift.site).checkin_minutes
    if not minutes or shift.ended_at is not None:
        return None
    return (shift.last_checkin_at or shift.started_at) + timedelta(minutes=minutes)


@transaction.atomic
def check_in(
    *,
    guard: User,
    idempotency_key: str,
    device_at: datetime | None = None,
    latitude: Any = None,
    longitude: Any = None,
    now: datetime | None = None,
) -> CheckIn:
    """The guard's "I'm OK" on their open shift. It resets the check-in timer and closes an alert
    that has not yet gone past the guard; once others were told, only they acknowledge it."""
    now = now or timezone.now()
    key = (idempotency_key or "").strip()[:64]
    if not key:
        raise ValidationError({"idempotency_key": "A check-in needs its idempotency key."})
    shift = (
        Shift.objects.select_for_update()
        .select_related("site")
        .filter(guard=guard, ended_at__isnull=True)
        .first()
    )
    if shift is None:
        raise ValidationError("You are not on a shift: start your shift first.")
    earlier = CheckIn.objects.filter(shift=shift, idempotency_key=key).first()
    if earlier is not None:
        return earlier
    skew_seconds, flagged = skew(device_at=device_at, received_at=now, site=shift.site)
    checkin = CheckIn(
        shift=shift,
        device_at=device_at,
        received_at=now,
        skew_seconds=skew_seconds,
        skew_flagged=flagged,
        latitude=coordinate(latitude, limit=90, name="latitude"),
        longitude=coordinate(longitude, limit=180, name="longitude"),
        idempotency_key=key,
    )
    try:
        with transaction.atomic():
            checkin.save()
    except IntegrityError:
        return CheckIn.objects.get(shift=shift, idempotency_key=key)
    shift.last_checkin_at = now
    shift.save(update_fields=["last_checkin_at"])
    announce_board(shift.site, "checked_in")
    resolve_by_the_guard(shift=shift, now=now)
    return checkin


def resolve_by_the_guard(*, shift: Shift, now: datetime) -> int:
    """The guard's own sign of life (a check-in, or ending their own shift) closes the shift's alerts
    that have not yet gone past the guard; once others were told, only they acknowledge one.
    Returns how many were closed."""
    return LoneWorkerAlert.objects.filter(
        shift=shift,
        step=LoneWorkerAlert.Step.GUARD,
        acknowledged_at__isnull=True,
        resolved_by_checkin_at__isnull=True,
    ).update(resolved_by_checkin_at=now, next_step_at=None)


@transaction.atomic
def acknowledge_alert(
    *, alert_row: LoneWorkerAlert, by: User, now: datetime | None = None
) -> LoneWorkerAlert:
    """Someone other than the guard confirms they are safe: the ladder stops."""
    now = now or timezone.now()
    locked = (
        LoneWorkerAlert.objects.select_for_update()
        .select_related("shift__site", "shift__guard")
        .get(pk=alert_row.pk)
    )
    if not policy.can_acknowledge(by, locked):
        if by.pk == locked.shift.guard_id:
            raise ValidationError(
                "You cannot acknowledge your own alert: a supervisor confirms you are safe."
            )
        raise ValidationError("You may not acknowledge this alert.")
    if not locked.is_open:
        raise ValidationError("This alert was already acknowledged.")
    locked.acknowledged_at = now
    locked.acknowledged_by = by
    locked.next_step_at = None
    locked.save(update_fields=["acknowledged_at", "acknowledged_by", "next_step_at"])
    audit.record(action="loneworker.acknowledged", actor=by, obj=locked, guard=locked.shift.guard.email)
    announce_board(locked.shift.site, "alert.acknowledged")
    return locked


def _tell(alert_row: LoneWorkerAlert) -> int:
    """Notify the ladder's current step (each step once: its key)."""
    shift, site = alert_row.shift, alert_row.shift.site
    announce_board(site, "alert.raised" if alert_row.step == LoneWorkerAlert.Step.GUARD else "alert.climbed")
    due = local(alert_row.due_at, site)
    key = f"loneworker:{alert_row.pk}:step{alert_row.step}"
    if alert_row.step == LoneWorkerAlert.Step.GUARD:
        return alert(
            users=[shift.guard],
            key=key,
            title=f"Check in now: your check-in at {site.name} was due {due}",
            text="Tap I'm OK on your shift page. If you do not, your supervisors are told next.",
            path="/patrols/",
        )
    title = f"Missed check-in: {shift.guard} at {site.name}, due {due}"
    text = (
        f"{shift.guard} has not checked in at {site.name} since "
        f"{local(shift.last_checkin_at or shift.started_at, site)} (due {due}). "
        "Reach them, then acknowledge the alert on the patrol board."
    )
    if alert_row.step == LoneWorkerAlert.Step.SUPERVISORS:
        people = list_provider_responders(provider_id=site.provider_id).people
        return alert(
            users=[p for p in people if p.pk != shift.guard_id],
            key=key,
            title=title,
            text=text,
            path=BOARD_PATH,
        )
    assert site.agency_id is not None
    return alert(
        users=list_on_duty_liaisons(agency_id=site.agency_id),
        key=key,
        title=f"PANIC-grade: {title}",
        text=text + f" Escalated to {site.agency} by the site's lone-worker policy.",
        path=BOARD_PATH,
        kind=Kind.PANIC,
    )


def _last_step(shift: Shift) -> int:
    rules = settings_of(shift.site)
    if rules.escalate_to_agency and shift.site.agency_id is not None:
        return LoneWorkerAlert.Step.AGENCY
    return LoneWorkerAlert.Step.SUPERVISORS


def sweep_checkins(*, now: datetime | None = None) -> tuple[int, int]:
    """Raise an alert for each missed check-in (once per due time), then move each open alert whose
    timer is due one step up its ladder. Returns (raised, climbed)."""
    now = now or timezone.now()
    raised = climbed = 0
    for shift in Shift.objects.filter(ended_at__isnull=True).select_related("site", "guard"):
        due = next_checkin_due(shift)
        if due is None:
            continue
        rules = settings_of(shift.site)
        if now < due + timedelta(minutes=rules.checkin_grace_minutes):
            continue
        with transaction.atomic():
            row, created = LoneWorkerAlert.objects.get_or_create(
                shift=shift,
                due_at=due,
                defaults={
                    "raised_at": now,
                    "next_step_at": now + timedelta(minutes=rules.ladder_step_minutes),
                },
            )
            if created:
                _tell(row)
                audit.record(
                    action="loneworker.missed",
                    actor=None,
                    actor_label="patrols",
                    obj=row,
                    guard=shift.guard.email,
                )
                raised += 1
    due_alerts = LoneWorkerAlert.objects.filter(
        acknowledged_at__isnull=True, resolved_by_checkin_at__isnull=True, next_step_at__lte=now
    ).values_list("pk", flat=True)
    for pk in list(due_alerts[:500]):
        with transaction.atomic():
            row = (
                LoneWorkerAlert.objects.select_for_update()
                .select_related("shift__site", "shift__guard")
                .get(pk=pk)
            )
            if not row.is_open or row.next_step_at is None or row.next_step_at > now:
                continue
            last = _last_step(row.shift)
            if row.step >= last:
                row.next_step_at = None
                row.save(update_fields=["next_step_at"])
                continue
            row.step += 1
            minutes = settings_of(row.shift.site).ladder_step_minutes
            row.next_step_at = now + timedelta(minutes=minutes) if row.step < last else None
            row.save(update_fields=["step", "next_step_at"])
            _tell(row)
            climbed += 1
    return raised, climbed
