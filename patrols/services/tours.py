"""Tours on a shift: the rounds they owe (rows), the scans that visit them, and the missed ones."""

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from notifications.selectors import list_provider_responders
from patrols import policy
from patrols.events import JointCause
from patrols.models import CODE_PREFIX, Checkpoint, RoundVisit, Scan, Shift, Tour, TourRound
from patrols.services.common import alert, announce_board, coordinate, local, skew
from patrols.services.joint import announce_joint_patrol

# A second scan of the same checkpoint within this many seconds is the same scan (a double tap).
DOUBLE_SCAN_SECONDS = 30
MAX_ROUNDS_PER_SHIFT = 200


def _parse_times(values: list[str]) -> list[time]:
    return sorted(time.fromisoformat(value) for value in values)


def _schedule(shift: Shift, tour: Tour) -> list[tuple[datetime, datetime]]:
    """(starts, due) of each round the tour asks of the shift, up to its planned (or actual) end."""
    end = shift.ended_at or shift.planned_end_at
    rounds: list[tuple[datetime, datetime]] = []
    if tour.interval_minutes:
        step = timedelta(minutes=tour.interval_minutes)
        starts = shift.started_at
        while starts < end and len(rounds) < MAX_ROUNDS_PER_SHIFT:
            rounds.append((starts, starts + step))
            starts += step
        return rounds
    zone = shift.site.zone
    day = timezone.localtime(shift.started_at, zone).date()
    starts = shift.started_at
    while day <= timezone.localtime(end, zone).date() and len(rounds) < MAX_ROUNDS_PER_SHIFT:
        for moment in _parse_times(tour.times):
            due = datetime.combine(day, moment, tzinfo=zone)
            if shift.started_at < due <= end:
                rounds.append((starts, due))
                starts = due
        day += timedelta(days=1)
    return rounds


def ensure_rounds(*, shift: Shift, now: datetime) -> list[TourRound]:
    """Create the rounds of the shift's tours that have started by ``now`` (idempotent)."""
    created = []
    if shift.ended_at is not None and shift.ended_at < now:
        now = shift.ended_at
    for tour in Tour.objects.filter(site_id=shift.site_id, is_active=True):
        for starts, due in _schedule(shift, tour):
            if starts > now:
                break
            round_, made = TourRound.objects.get_or_create(
                shift=shift,
                tour=tour,
                due_at=due,
                defaults={
                    "starts_at": starts,
                    "deadline_at": due + timedelta(minutes=tour.tolerance_minutes),
                },
            )
            if made:
                created.append(round_)
    return created


def normalise_code(text: str) -> str:
    """What a camera read or a guard typed, as the checkpoint's code: prefix, case and spaces ignored."""
    value = text.strip()
    if value.lower().startswith(CODE_PREFIX):
        value = value[len(CODE_PREFIX) :]
    value = re.sub(r"[\s-]", "", value).upper()
    return f"{value[:5]}-{value[5:]}" if len(value) == 10 else value


@dataclass
class ScanResult:
    scan: Scan
    duplicate: bool = False
    message: str = ""
    visited: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.scan.outcome == Scan.Outcome.ACCEPTED


def _visit(scan: Scan, shift: Shift, checkpoint: Checkpoint, now: datetime) -> tuple[list[str], list[str]]:
    """Count the scan for each open round of the shift that wants this checkpoint (ordered tours:
    only as the next stop). Returns what it counted for and what it could not count for."""
    visited: list[str] = []
    notes: list[str] = []
    rounds = (
        TourRound.objects.select_for_update()
        .filter(
            shift=shift, completed_at__isnull=True, starts_at__lte=now, tour__stops__checkpoint=checkpoint
        )
        .exclude(status=TourRound.Status.MISSED, completed_at__isnull=False)
        .select_related("tour")
        .order_by("due_at")
    )
    seen_tours: set[int] = set()
    for round_ in rounds:
        if round_.tour_id in seen_tours or round_.visits.filter(checkpoint=checkpoint).exists():
            continue
        stops = list(round_.tour.stops.values_list("checkpoint_id", flat=True))
        done = set(round_.visits.values_list("checkpoint_id", flat=True))
        if round_.tour.ordered:
            expected = next(stop for stop in stops if stop not in done)
            if expected != checkpoint.pk:
                name = Checkpoint.objects.get(pk=expected).name
                notes.append(f"{round_.tour.name} is walked in order: scan {name} next.")
                seen_tours.add(round_.tour_id)
                continue
        seen_tours.add(round_.tour_id)
        RoundVisit.objects.create(round=round_, checkpoint=checkpoint, scan=scan)
        done.add(checkpoint.pk)
        if done >= set(stops):
            round_.completed_at = now
            round_.status = TourRound.Status.ON_TIME if now <= round_.deadline_at else TourRound.Status.LATE
            round_.save(update_fields=["completed_at", "status"])
            late = " (late)" if round_.status == TourRound.Status.LATE else ""
            visited.append(f"{round_.tour.name} round complete{late}")
        else:
            visited.append(f"{round_.tour.name}: {len(done)} of {len(stops)}")
    return visited, notes


def _on_joint_area(shift: Shift, checkpoint: Checkpoint) -> bool:
    """A checkpoint of another site counts on the shift when one of the shift's site's joint patrols
    covers it (its area: the provider's own sites partnered with the same agency)."""
    return Tour.objects.filter(
        site_id=shift.site_id, agency__isnull=False, is_active=True, stops__checkpoint=checkpoint
    ).exists()


def record_scan(
    *,
    guard: User,
    code: str,
    idempotency_key: str,
    method: str = Scan.Method.TYPED,
    device_at: datetime | None = None,
    latitude: Any = None,
    longitude: Any = None,
    now: datetime | None = None,
) -> ScanResult:
    """Record a guard's scan of a checkpoint code during their open shift. An unknown code or one of
    another site is refused and recorded; the same key (or the same checkpoint again within
    seconds) counts once; the device's clock is kept beside the server's, its skew shown."""
    now = now or timezone.now()
    key = (idempotency_key or "").strip()[:64]
    if not key:
        raise ValidationError({"idempotency_key": "A scan needs its idempotency key."})
    if method not in Scan.Method.values:
        raise ValidationError({"method": "Unknown scan method."})
    text = (code or "").strip()[:120]
    if not text:
        raise ValidationError({"code": "Scan a code, or type the code printed under it."})
    with transaction.atomic():
        earlier = Scan.objects.filter(guard=guard, idempotency_key=key).select_related("checkpoint").first()
        if earlier is not None:
            return ScanResult(earlier, duplicate=True, message="Already recorded: this scan counts once.")
        shift = (
            Shift.objects.select_for_update()
            .select_related("site")
            .filter(guard=guard, ended_at__isnull=True)
            .first()
        )
        if shift is None:
            raise ValidationError("You are not on a shift: start your shift, then scan.")
        ensure_rounds(shift=shift, now=now)
        skew_seconds, flagged = skew(device_at=device_at, received_at=now, site=shift.site)
        scan = Scan(
            guard=guard,
            shift=shift,
            code=text,
            method=method,
            device_at=device_at,
            received_at=now,
            skew_seconds=skew_seconds,
            skew_flagged=flagged,
            latitude=coordinate(latitude, limit=90, name="latitude"),
            longitude=coordinate(longitude, limit=180, name="longitude"),
            idempotency_key=key,
        )
        checkpoint = Checkpoint.objects.filter(code=normalise_code(text), is_active=True).first()
        if checkpoint is None:
            scan.outcome, scan.refusal = Scan.Outcome.REFUSED, "Unknown code: nothing on your tour has it."
        elif checkpoint.site_id != shift.site_id and not _on_joint_area(shift, checkpoint):
            # Not the other site's name: a code of another tenant tells the guard nothing about it.
            scan.outcome, scan.refusal = (
                Scan.Outcome.REFUSED,
                f"This code is not a checkpoint of {shift.site}.",
            )
        else:
            recent = Scan.objects.filter(
                shift=shift,
                checkpoint=checkpoint,
                outcome=Scan.Outcome.ACCEPTED,
                received_at__gte=now - timedelta(seconds=DOUBLE_SCAN_SECONDS),
            ).first()
            if recent is not None:
                return ScanResult(
                    recent, duplicate=True, message=f"{checkpoint.name}: already scanned, counts once."
                )
            scan.outcome, scan.checkpoint = Scan.Outcome.ACCEPTED, checkpoint
        try:
            with transaction.atomic():
                scan.save()
        except IntegrityError:
            earlier = Scan.objects.get(guard=guard, idempotency_key=key)
            return ScanResult(earlier, duplicate=True, message="Already recorded: this scan counts once.")
        if scan.outcome == Scan.Outcome.REFUSED:
            return ScanResult(scan, message=scan.refusal)
        assert checkpoint is not None
        visited, notes = _visit(scan, shift, checkpoint, now)
        announce_joint_patrol(shift=shift, cause=JointCause.SCANNED)
        announce_board(shift.site, "checkpoint.scanned")
    parts = [f"{checkpoint.name} scanned at {local(now, shift.site)}.", *visited, *notes]
    if flagged:
        ahead = "ahead" if (skew_seconds or 0) > 0 else "behind"
        parts.append(f"Your phone's clock is {abs(skew_seconds or 0)} s {ahead}: both times are kept.")
    return ScanResult(scan, message=" ".join(parts), visited=visited)


def sweep_missed_rounds(*, now: datetime | None = None) -> int:
    """Rounds past their deadline are missed: the site's supervisors are alerted, once per round.
    Returns how many rounds were marked missed."""
    now = now or timezone.now()
    for shift in Shift.objects.filter(ended_at__isnull=True).select_related("site"):
        with transaction.atomic():
            ensure_rounds(shift=shift, now=now)
    missed = 0
    due = TourRound.objects.filter(status=TourRound.Status.OPEN, deadline_at__lt=now).values_list(
        "pk", flat=True
    )
    for pk in list(due[:500]):
        with transaction.atomic():
            round_ = (
                TourRound.objects.select_for_update()
                .select_related("shift__site__provider", "shift__guard", "tour")
                .get(pk=pk)
            )
            if round_.status != TourRound.Status.OPEN or round_.deadline_at >= now:
                continue
            round_.status = TourRound.Status.MISSED
            round_.missed_alerted_at = now
            round_.save(update_fields=["status", "missed_alerted_at"])
            _alert_missed_round(round_)
            if round_.tour.agency_id is not None:
                announce_joint_patrol(shift=round_.shift, cause=JointCause.MISSED)
            announce_board(round_.shift.site, "round.missed")
            missed += 1
    return missed


def close_rounds(*, shift: Shift, now: datetime) -> None:
    """At a shift's end: rounds not yet due are not owed; those due and not walked are missed
    (and alerted) now rather than at their deadline."""
    shift.rounds.filter(status=TourRound.Status.OPEN, due_at__gt=now).delete()
    for round_ in (
        TourRound.objects.select_for_update()
        .filter(shift=shift, status=TourRound.Status.OPEN)
        .select_related("shift__site__provider", "shift__guard", "tour")
    ):
        round_.status = TourRound.Status.MISSED
        round_.missed_alerted_at = now
        round_.save(update_fields=["status", "missed_alerted_at"])
        _alert_missed_round(round_)


def _alert_missed_round(round_: TourRound) -> None:
    shift, site = round_.shift, round_.shift.site
    done = set(round_.visits.values_list("checkpoint_id", flat=True))
    left = [
        stop.checkpoint.name
        for stop in round_.tour.stops.select_related("checkpoint")
        if stop.checkpoint_id not in done
    ]
    title = f"Missed checkpoints: {round_.tour.name} at {site.name}, due {local(round_.due_at, site)}"
    text = (
        f"{shift.guard} did not complete {round_.tour.name} at {site.name} "
        f"by {local(round_.deadline_at, site)} "
        f"(due {local(round_.due_at, site)}, {round_.tour.tolerance_minutes} min tolerance). "
        f"Not scanned: {', '.join(left) or 'none'}."
    )
    responders = list_provider_responders(provider_id=site.provider_id)
    alert(
        users=responders.people,
        key=f"patrol-missed:{round_.pk}",
        title=title,
        text=text,
        path="/patrols/board/",
    )


# --- Setting up: checkpoints and tours (supervisors and org admins of the site) ------------------


@transaction.atomic
def add_checkpoint(
    *,
    site: Any,
    by: User,
    name: str,
    floor: str = "",
    area: str = "",
    instructions: str = "",
    latitude: Any = None,
    longitude: Any = None,
) -> Checkpoint:
    """A new checkpoint of a site the user manages, with a fresh random code."""
    if not policy.manages_site(by, site):
        raise ValidationError("You can add checkpoints only to a site you manage.")
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the checkpoint."})
    if Checkpoint.objects.filter(site=site, name__iexact=name).exists():
        raise ValidationError({"name": f"{site} already has a checkpoint called {name}."})
    checkpoint = Checkpoint.objects.create(
        site=site,
        name=name[:120],
        floor=floor.strip()[:40],
        area=area.strip()[:120],
        instructions=instructions.strip(),
        latitude=coordinate(latitude, limit=90, name="latitude"),
        longitude=coordinate(longitude, limit=180, name="longitude"),
    )
    audit.record(action="checkpoint.added", actor=by, obj=checkpoint, site=site.name)
    return checkpoint


def _area_refusal(*, site: Any, by: User, checkpoints: list[Checkpoint], joint: bool) -> str:
    """Why these checkpoints cannot make the tour, or "". A tour walks its own site; a joint patrol
    may cover an area: other active sites of the same provider, partnered with the same agency,
    that the planner manages. Another tenant's site is never named."""
    others = {checkpoint.site_id for checkpoint in checkpoints if checkpoint.site_id != site.pk}
    if not others:
        return ""
    if not joint:
        return "A tour's checkpoints are all of its site (a joint patrol may cover several sites)."
    area = {
        found.pk: found
        for found in policy.managed_sites(by).filter(
            pk__in=others, provider_id=site.provider_id, is_active=True
        )
    }
    if set(area) != others:
        return "A joint patrol covers only sites your provider runs and you manage."
    unpartnered = sorted(found.name for found in area.values() if found.agency_id != site.agency_id)
    if unpartnered:
        return (
            f"A joint patrol with {site.agency} covers only sites partnered with it: "
            f"{', '.join(unpartnered)} {'is' if len(unpartnered) == 1 else 'are'} not."
        )
    return ""


@transaction.atomic
def create_tour(
    *,
    site: Any,
    by: User,
    name: str,
    checkpoints: list[Checkpoint],
    ordered: bool = False,
    interval_minutes: int | None = None,
    times: list[str] | None = None,
    tolerance_minutes: int = 10,
    joint: bool = False,
    officers: str = "",
) -> Tour:
    """A tour of a site's checkpoints, every N minutes of a shift or at set times; a joint patrol
    is planned with the site's partnering agency, its officers named, and may take checkpoints of
    the provider's other sites partnered with that agency (an area). Shifts at ``site`` walk it."""
    if not policy.manages_site(by, site):
        raise ValidationError("You can plan tours only at a site you manage.")
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Name the tour."
    if not checkpoints:
        errors["checkpoints"] = "Choose the tour's checkpoints."
    else:
        refusal = _area_refusal(site=site, by=by, checkpoints=checkpoints, joint=joint)
        if refusal:
            errors["checkpoints"] = refusal
    clean_times: list[str] = []
    for value in times or []:
        try:
            clean_times.append(time.fromisoformat(value.strip()).strftime("%H:%M"))
        except ValueError:
            errors["times"] = f"{value!r} is not a time like 22:30."
    if bool(interval_minutes) == bool(clean_times):
        errors["interval_minutes"] = "Give either an interval in minutes or set times, not both."
    elif interval_minutes is not None and not 5 <= interval_minutes <= 24 * 60:
        errors["interval_minutes"] = "An interval is 5 minutes to 24 hours."
    if not 0 <= tolerance_minutes <= 240:
        errors["tolerance_minutes"] = "A tolerance is 0 to 240 minutes."
    if joint and site.agency_id is None:
        errors["joint"] = f"{site} has no partnering agency to patrol with."
    if joint and not officers.strip():
        errors["officers"] = "Name the police officers taking part."
    if errors:
        raise ValidationError(errors)
    tour = Tour.objects.create(
        site=site,
        name=name.strip()[:120],
        ordered=ordered,
        interval_minutes=interval_minutes or None,
        times=sorted(set(clean_times)),
        tolerance_minutes=tolerance_minutes,
        agency_id=site.agency_id if joint else None,
        officers=officers.strip()[:300] if joint else "",
        created_by=by,
    )
    for position, checkpoint in enumerate(dict.fromkeys(checkpoints), start=1):
        tour.stops.create(checkpoint=checkpoint, position=position)
    audit.record(action="tour.created", actor=by, obj=tour, site=site.name)
    return tour
