from datetime import UTC, datetime, timedelta

from debriefs.intervals import DEFAULT_TARGETS, Moment, measure, moments

T0 = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def at(seconds):
    return T0 + timedelta(seconds=seconds)


def test_every_step_present():
    entries = [
        Moment("status_changed", at(40), {"old": "submitted", "new": "accepted"}),
        Moment("escalated", at(70), {}),
        Moment("escalation_updated", at(80), {"old": "requested", "new": "accepted"}),
        Moment("escalation_updated", at(200), {"old": "accepted", "new": "dispatched"}),
        Moment("escalation_updated", at(500), {"old": "dispatched", "new": "on_scene"}),
        Moment("escalation_updated", at(1400), {"old": "on_scene", "new": "cleared"}),
    ]
    found = moments(T0, entries)
    result = {m.key: (m.seconds, m.met) for m in measure(found, DEFAULT_TARGETS)}
    assert result == {
        "triage": (40.0, True),
        "escalation": (30.0, True),
        "acceptance": (10.0, True),
        "arrival": (420.0, None),
        "clearance": (900.0, None),
    }


def test_missing_steps_leave_named_gaps():
    entries = [Moment("status_changed", at(90), {"old": "submitted", "new": "closed"})]
    measured = {m.key: m for m in measure(moments(T0, entries), DEFAULT_TARGETS)}
    assert measured["triage"].seconds == 90.0
    assert measured["triage"].met is False
    assert measured["escalation"].seconds is None
    assert measured["escalation"].missing == "not escalated"
    assert measured["clearance"].missing == "no one on scene"


def test_a_panic_is_triaged_by_its_escalation_and_the_first_time_counts():
    entries = [
        Moment("escalated", at(1), {}),
        Moment("escalation_updated", at(9), {"old": "requested", "new": "accepted"}),
        Moment("status_changed", at(300), {"old": "submitted", "new": "accepted"}),
        Moment("escalation_updated", at(10), {"old": "accepted", "new": "accepted"}),
    ]
    measured = {m.key: m for m in measure(moments(T0, entries), {"acceptance": 5})}
    assert measured["triage"].seconds == 1.0
    assert measured["escalation"].seconds == 0.0
    assert measured["acceptance"].seconds == 8.0
    assert measured["acceptance"].met is False


def test_a_step_out_of_order_never_gives_a_negative_interval():
    entries = [
        Moment("escalated", at(50), {}),
        Moment("escalation_updated", at(40), {"new": "accepted"}),
    ]
    measured = {m.key: m for m in measure(moments(T0, entries), {})}
    assert measured["acceptance"].seconds == 0.0
