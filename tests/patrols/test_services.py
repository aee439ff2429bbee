"""Shifts, scans, rounds, check-ins and their alerts, through the services, with the clock in hand."""

import pytest
from django.core.exceptions import ValidationError

from notifications.models import Channel, Kind, OutboxMessage
from patrols import services
from patrols.models import LoneWorkerAlert, Scan, Shift, TourRound
from tests.patrols.conftest import at

pytestmark = pytest.mark.django_db


def _start(p, minutes=0, hours=8):
    return services.start_shift(
        guard=p.w.guard_a, site=p.w.a1, by=p.w.guard_a, hours=hours, now=at(p, minutes)
    )


def _scan(p, code, minutes, key=None, **kwargs):
    return services.record_scan(
        guard=kwargs.pop("guard", p.w.guard_a),
        code=code,
        idempotency_key=key or f"k-{code}-{minutes}",
        now=at(p, minutes),
        **kwargs,
    )


def test_a_whole_round_scanned_in_time_is_on_time(patrol):
    p = patrol
    shift = _start(p)
    first = _scan(p, p.gate.code, 5)
    assert first.accepted
    assert "Perimeter: 1 of 2" in first.message
    done = _scan(p, f"watchpost:checkpoint:{p.dock.code.lower()}", 20)
    assert "Perimeter round complete" in done.message
    (round_,) = TourRound.objects.filter(shift=shift, due_at=at(p, 30))
    assert round_.status == TourRound.Status.ON_TIME
    assert round_.completed_at == at(p, 20)


def test_the_typed_code_ignores_case_spaces_and_the_dash(patrol):
    p = patrol
    _start(p)
    typed = p.gate.code.replace("-", " ").lower()
    assert _scan(p, typed, 3).scan.checkpoint == p.gate


def test_another_sites_code_is_refused_and_recorded_even_with_its_token(patrol):
    """A guard of provider A cannot scan provider B's checkpoint, even holding its code."""
    p = patrol
    _start(p)
    result = _scan(p, p.other.code, 4)
    assert not result.accepted
    assert result.message == "This code is not a checkpoint of A1."
    assert "B lobby" not in result.message
    scan = Scan.objects.get(pk=result.scan.pk)
    assert scan.outcome == Scan.Outcome.REFUSED
    assert scan.checkpoint is None
    assert scan.code == p.other.code


def test_an_unknown_code_is_refused_and_recorded(patrol):
    p = patrol
    _start(p)
    result = _scan(p, "ZZZZZ-ZZZZZ", 4)
    assert not result.accepted
    assert result.message.startswith("Unknown code")
    assert Scan.objects.filter(outcome=Scan.Outcome.REFUSED, code="ZZZZZ-ZZZZZ").count() == 1


def test_a_double_scan_counts_once(patrol):
    p = patrol
    _start(p)
    first = _scan(p, p.gate.code, 5, key="same")
    again = _scan(p, p.gate.code, 5.1, key="same")
    tap = _scan(p, p.gate.code, 5.2, key="other")
    assert again.duplicate
    assert again.scan.pk == first.scan.pk
    assert tap.duplicate
    assert tap.scan.pk == first.scan.pk
    assert Scan.objects.count() == 1


def test_a_scan_outside_a_shift_asks_to_start_one(patrol):
    p = patrol
    with pytest.raises(ValidationError, match="start your shift"):
        _scan(p, p.gate.code, 1)
    assert not Scan.objects.exists()


def test_clock_skew_is_kept_and_shown_never_corrected(patrol):
    p = patrol
    _start(p)
    result = _scan(p, p.gate.code, 10, device_at=at(p, 10 + 5))
    scan = Scan.objects.get(pk=result.scan.pk)
    assert scan.device_at == at(p, 15)
    assert scan.received_at == at(p, 10)
    assert scan.skew_seconds == 300
    assert scan.skew_flagged
    assert "300 s ahead" in result.message
    small = _scan(p, p.dock.code, 12, device_at=at(p, 12.5))
    assert not Scan.objects.get(pk=small.scan.pk).skew_flagged


def test_an_ordered_tour_counts_only_the_next_stop(patrol):
    p = patrol
    p.tour.ordered = True
    p.tour.save()
    _start(p)
    result = _scan(p, p.dock.code, 3)
    assert result.accepted
    assert "scan North gate next" in result.message
    assert not TourRound.objects.get().visits.exists()


def test_a_missed_round_alerts_the_supervisors_once_and_a_late_one_is_marked(patrol):
    p = patrol
    shift = _start(p)
    _scan(p, p.gate.code, 5)
    assert services.sweep_missed_rounds(now=at(p, 39)) == 0  # due 30, 10 min tolerance
    assert services.sweep_missed_rounds(now=at(p, 41)) == 1
    assert services.sweep_missed_rounds(now=at(p, 42)) == 0
    alerts = OutboxMessage.objects.filter(kind=Kind.PATROL, recipient=p.w.supervisor_a)
    assert set(alerts.values_list("channel", flat=True)) == {Channel.IN_APP, Channel.EMAIL}
    assert "Loading dock" in alerts.first().payload["text"]
    assert not OutboxMessage.objects.filter(kind=Kind.PATROL, recipient=p.w.supervisor_b).exists()
    first = TourRound.objects.get(shift=shift, due_at=at(p, 30))
    assert first.status == TourRound.Status.MISSED
    # The guard completes it late: the scan counts, the round says late.
    _scan(p, p.dock.code, 44)
    first.refresh_from_db()
    assert first.status == TourRound.Status.LATE
    assert first.completed_at == at(p, 44)


def test_a_missed_checkin_climbs_the_ladder_and_stops_on_acknowledgement(patrol):
    p = patrol
    shift = _start(p)
    # Due at 20, grace 5: nothing at 24, an alert to the guard at 26, once.
    assert services.sweep_checkins(now=at(p, 24)) == (0, 0)
    assert services.sweep_checkins(now=at(p, 26)) == (1, 0)
    assert services.sweep_checkins(now=at(p, 27)) == (0, 0)
    alert = LoneWorkerAlert.objects.get(shift=shift)
    assert alert.step == LoneWorkerAlert.Step.GUARD
    assert OutboxMessage.objects.filter(recipient=p.w.guard_a, kind=Kind.PATROL).exists()
    assert not OutboxMessage.objects.filter(recipient=p.w.supervisor_a, kind=Kind.PATROL).exists()
    # Five minutes on, the supervisors; five more, the agency (the site's policy), panic-grade.
    assert services.sweep_checkins(now=at(p, 31)) == (0, 1)
    assert OutboxMessage.objects.filter(recipient=p.w.supervisor_a, kind=Kind.PATROL).count() == 2
    with pytest.raises(ValidationError, match="cannot acknowledge your own alert"):
        services.acknowledge_alert(alert_row=alert, by=p.w.guard_a)
    assert services.sweep_checkins(now=at(p, 36)) == (0, 1)
    assert OutboxMessage.objects.filter(recipient=p.w.liaison_x, kind=Kind.PANIC).exists()
    assert not OutboxMessage.objects.filter(recipient=p.w.liaison_y).exists()
    services.acknowledge_alert(alert_row=alert, by=p.w.supervisor_a)
    before = OutboxMessage.objects.count()
    assert services.sweep_checkins(now=at(p, 60)) == (0, 0)
    assert OutboxMessage.objects.count() == before
    alert.refresh_from_db()
    assert alert.acknowledged_by == p.w.supervisor_a
    assert alert.next_step_at is None
    with pytest.raises(ValidationError, match="already acknowledged"):
        services.acknowledge_alert(alert_row=alert, by=p.w.supervisor_a)


def test_checking_in_resets_the_timer_and_closes_an_alert_only_the_guard_has_seen(patrol):
    p = patrol
    shift = _start(p)
    services.check_in(guard=p.w.guard_a, idempotency_key="c1", now=at(p, 15))
    assert services.sweep_checkins(now=at(p, 26)) == (0, 0)  # next due 35
    assert services.sweep_checkins(now=at(p, 41)) == (1, 0)
    services.check_in(guard=p.w.guard_a, idempotency_key="c2", now=at(p, 42))
    alert = LoneWorkerAlert.objects.get(shift=shift)
    assert alert.resolved_by_checkin_at == at(p, 42)
    assert not alert.is_open
    assert services.sweep_checkins(now=at(p, 50)) == (0, 0)
    assert not OutboxMessage.objects.filter(recipient=p.w.supervisor_a).exists()


def test_the_guard_ending_their_own_shift_closes_an_alert_only_they_have_seen(patrol):
    """Ending the shift on the phone is the guard's sign of life: the alert at the guard's step ends
    there, and no ladder climbs to the supervisors and the police after the shift (it did)."""
    p = patrol
    shift = _start(p)
    assert services.sweep_checkins(now=at(p, 26)) == (1, 0)
    services.end_shift(shift=shift, by=p.w.guard_a, now=at(p, 28))
    alert = LoneWorkerAlert.objects.get(shift=shift)
    assert alert.resolved_by_checkin_at == at(p, 28)
    assert not alert.is_open
    assert services.sweep_checkins(now=at(p, 31)) == (0, 0)
    assert services.sweep_checkins(now=at(p, 36)) == (0, 0)
    assert not OutboxMessage.objects.filter(recipient=p.w.supervisor_a, kind=Kind.PATROL).exists()
    assert not OutboxMessage.objects.filter(recipient=p.w.liaison_x, kind=Kind.PANIC).exists()


def test_a_supervisor_ending_the_shift_leaves_the_guards_alert_climbing(patrol):
    """A supervisor's end is no sign of the guard's life: the unanswered alert still climbs."""
    p = patrol
    shift = _start(p)
    assert services.sweep_checkins(now=at(p, 26)) == (1, 0)
    services.end_shift(shift=shift, by=p.w.supervisor_a, reason="Guard not answering", now=at(p, 28))
    assert LoneWorkerAlert.objects.get(shift=shift).is_open
    assert services.sweep_checkins(now=at(p, 31)) == (0, 1)
    assert OutboxMessage.objects.filter(recipient=p.w.supervisor_a, kind=Kind.PATROL).exists()


def test_one_open_shift_per_guard_and_only_at_their_sites(patrol):
    p = patrol
    with pytest.raises(ValidationError):
        services.start_shift(guard=p.w.guard_a, site=p.w.a2, by=p.w.guard_a)
    with pytest.raises(ValidationError):
        services.start_shift(guard=p.w.guard_a, site=p.w.b1, by=p.w.guard_a)
    _start(p)
    with pytest.raises(ValidationError, match="already has a shift open"):
        _start(p, 1)
    assert Shift.objects.count() == 1


def test_a_supervisor_starts_and_ends_a_shift_for_a_guard_with_a_reason(patrol):
    p = patrol
    with pytest.raises(ValidationError, match="why"):
        services.start_shift(guard=p.w.guard_a, site=p.w.a1, by=p.w.supervisor_a)
    with pytest.raises(ValidationError):
        services.start_shift(guard=p.w.guard_a, site=p.w.a1, by=p.w.supervisor_b, reason="not mine")
    shift = services.start_shift(guard=p.w.guard_a, site=p.w.a1, by=p.w.supervisor_a, reason="Phone broken")
    assert shift.started_by == p.w.supervisor_a
    assert shift.start_reason == "Phone broken"
    with pytest.raises(ValidationError, match="why"):
        services.end_shift(shift=shift, by=p.w.supervisor_a)
    services.end_shift(shift=shift, by=p.w.supervisor_a, reason="Relieved early")
    shift.refresh_from_db()
    assert shift.ended_by == p.w.supervisor_a
    assert shift.daily_report is not None


def test_a_shift_past_its_planned_end_is_flagged(patrol):
    p = patrol
    shift = _start(p, 0, hours=1)  # three hours ago, for an hour
    assert shift.is_overdue


def test_checkpoints_and_tours_only_at_a_managed_site(patrol):
    p = patrol
    for by in (p.w.guard_a, p.w.supervisor_b, p.w.liaison_x):
        with pytest.raises(ValidationError):
            services.add_checkpoint(site=p.w.a1, by=by, name="Sneaky")
    with pytest.raises(ValidationError, match="all of its site"):
        services.create_tour(
            site=p.w.a1, by=p.w.supervisor_a, name="Mixed", checkpoints=[p.gate, p.other], interval_minutes=30
        )
    with pytest.raises(ValidationError):
        services.create_tour(
            site=p.w.a1,
            by=p.w.supervisor_a,
            name="Both",
            checkpoints=[p.gate],
            interval_minutes=30,
            times=["22:00"],
        )


def test_checkpoint_codes_are_random_not_guessable(patrol):
    p = patrol
    codes = {p.gate.code, p.dock.code, p.roof.code, p.other.code}
    assert len(codes) == 4
    assert all(len(code) == 11 and code[5] == "-" for code in codes)
    assert str(p.gate.pk) not in p.gate.code.split("-")


def test_a_shift_left_open_past_its_end_alerts_the_supervisors_once(patrol):
    p = patrol
    shift = _start(p, hours=1)
    assert services.sweep_overdue_shifts(now=at(p, 59)) == 0
    assert services.sweep_overdue_shifts(now=at(p, 61)) == 1
    assert services.sweep_overdue_shifts(now=at(p, 75)) == 0
    shift.refresh_from_db()
    assert shift.overdue_alerted_at == at(p, 61)
    assert shift.is_open  # flagged, never ended by the sweep
    told = OutboxMessage.objects.filter(kind=Kind.PATROL, payload__title__startswith="Shift still open")
    assert set(told.filter(recipient=p.w.supervisor_a).values_list("channel", flat=True)) == {
        Channel.IN_APP,
        Channel.EMAIL,
    }
    assert p.w.a1.name in told.first().payload["title"]
    assert not told.filter(recipient=p.w.supervisor_b).exists()  # another provider's supervisor
    assert not told.filter(recipient=p.w.guard_a).exists()
    # A shift ended on time is never flagged.
    services.end_shift(shift=shift, by=p.w.guard_a, now=at(p, 76))
    other = services.start_shift(guard=p.w.guard_a, site=p.w.a1, by=p.w.guard_a, hours=1, now=at(p, 80))
    services.end_shift(shift=other, by=p.w.guard_a, now=at(p, 130))
    assert services.sweep_overdue_shifts(now=at(p, 200)) == 0
    assert told.count() == 2
