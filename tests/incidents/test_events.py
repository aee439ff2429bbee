"""Every incident event: its name, payload, recipients, subject and follow-ups (incidents/events.py)."""

import pytest

from incidents import services
from portal import realtime
from tests.factories import report


class Published:
    """Runs a change and keeps the events that leave its transaction, in order, instead of pushing them."""

    def __init__(self, monkeypatch, capture):
        self.events: list[realtime.Event] = []
        self.capture = capture
        monkeypatch.setattr(realtime, "send_event", self.events.append)

    def __call__(self, change, *args, **kwargs):
        self.events.clear()
        with self.capture(execute=True):
            return change(*args, **kwargs)


@pytest.fixture
def published(monkeypatch, django_capture_on_commit_callbacks):
    return Published(monkeypatch, django_capture_on_commit_callbacks)


def names(events):
    return [event.name for event in events]


def payload(incident):
    incident.refresh_from_db()
    return {
        "id": str(incident.public_id),
        "reference": incident.reference,
        "status": incident.status,
        "severity": incident.severity,
        "category": incident.category.name,
        "site": incident.site.name,
        "version": incident.version,
    }


def test_a_report_filed_as_sent_is_submitted_with_its_reporter(world, published):
    incident = published(report, world.guard_a, world.a1)
    assert names(published.events) == ["incident.submitted"]
    [event] = published.events
    assert event.payload == payload(incident)
    assert event.groups == (f"incident.{incident.public_id}",)
    assert event.subject == (incident.pk, world.guard_a.pk)


def test_a_draft_is_submitted_when_it_is_sent(world, published):
    draft = published(report, world.guard_a, world.a1, submit=False)
    assert published.events == []
    sent = published(services.submit_incident, incident=draft, by=world.guard_a)
    assert names(published.events) == ["incident.status_changed", "incident.submitted"]
    submitted = published.events[-1]
    assert submitted.payload == payload(sent)
    assert submitted.payload["status"] == "submitted"
    assert submitted.groups == (f"incident.{sent.public_id}",)
    assert submitted.subject == (sent.pk, world.guard_a.pk)


def test_a_report_sent_again_after_a_question_is_not_submitted_anew(world, published):
    incident = report(world.guard_a, world.a1)
    services.request_more_information(incident=incident, by=world.supervisor_a, comment="Which exit?")
    published(services.submit_incident, incident=incident, by=world.guard_a)
    assert names(published.events) == ["incident.status_changed"]


def test_what_follows_a_submission_a_question_a_status_change_and_a_closing():
    assert realtime.follow_ups("incident.submitted").tasks == (
        "dispatch.apply_escalation_rules",
        "notifications.notify_report_submitted",
        "notifications.announce_triage",
        "patrols.escalate_joint_patrol_report",  # a report during a joint patrol goes to its agency
        "analytics.count_incident",  # the trends' rollup places it
    )
    assert realtime.follow_ups("incident.closed").tasks == ("debriefs.request_debrief",)
    # The boards show an escalated incident verified, sent back or closed (docs/board.md); triage moves.
    assert realtime.follow_ups("incident.status_changed").tasks == (
        "dispatch.announce_incident_change",
        "notifications.announce_triage",
    )
    assert realtime.follow_ups("incident.info_requested").tasks == ("notifications.notify_info_requested",)
    names = ("incident.submitted", "incident.closed", "incident.updated", "incident.status_changed")
    for name in (*names, "incident.info_requested"):
        assert realtime.follow_ups(name).in_transaction == (), name
    assert realtime.follow_ups("incident.updated").tasks == ("analytics.count_incident",)


def test_closing_publishes_the_status_change_then_the_closing(world, published):
    incident = report(world.guard_a, world.a1)
    closed = published(
        services.close_incident, incident=incident, by=world.supervisor_a, resolution="Jackets found"
    )
    assert names(published.events) == ["incident.status_changed", "incident.closed"]
    changed, done = published.events
    assert changed.payload == done.payload == payload(closed)
    assert done.payload["status"] == "closed"
    assert changed.groups == done.groups == (f"incident.{closed.public_id}",)
    assert done.subject == (closed.pk, world.supervisor_a.pk)


def test_triage_steps_publish_the_status_change(world, published):
    incident = report(world.guard_a, world.a1)
    accepted = published(services.accept_incident, incident=incident, by=world.supervisor_a)
    assert names(published.events) == ["incident.status_changed"]
    [event] = published.events
    assert event.payload == payload(accepted)
    assert event.payload["status"] == "accepted"
    assert event.groups == (f"incident.{accepted.public_id}",)
    assert event.subject == (accepted.pk, world.supervisor_a.pk)
    asked = published(
        services.request_more_information, incident=accepted, by=world.supervisor_a, comment="Which exit?"
    )
    assert names(published.events) == ["incident.status_changed", "incident.info_requested"]
    assert published.events[0].payload["status"] == "needs_info"
    question = asked.timeline.get(kind="info_requested")
    info = published.events[1]
    assert info.payload == payload(asked)
    assert info.groups == (f"incident.{asked.public_id}",)
    assert info.subject == (asked.pk, world.supervisor_a.pk, question.pk)


def test_an_edit_of_a_sent_report_publishes_the_update_and_a_draft_edit_nothing(world, published):
    incident = report(world.guard_a, world.a1)
    updated = published(
        services.update_incident,
        incident=incident,
        by=world.supervisor_a,
        expected_version=incident.version,
        narrative="Three jackets, not two.",
    )
    assert names(published.events) == ["incident.updated"]
    [event] = published.events
    assert event.payload == payload(updated)
    assert event.payload["version"] == 2
    assert event.groups == (f"incident.{updated.public_id}",)
    assert event.subject == (updated.pk, world.supervisor_a.pk)
    draft = report(world.guard_a, world.a1, submit=False)
    published(
        services.update_incident, incident=draft, by=world.guard_a, expected_version=None, narrative="Later"
    )
    assert published.events == []


def test_an_answer_to_the_question_publishes_the_status_change_then_the_answer_for_the_asker(
    world, published
):
    incident = report(world.guard_a, world.a1)
    services.request_more_information(incident=incident, by=world.supervisor_a, comment="Which exit?")
    entry = published(services.answer_question, incident=incident, by=world.guard_a, text="The east one")
    assert names(published.events) == ["incident.status_changed", "incident.info_provided"]
    answered = published.events[1]
    assert answered.payload == payload(incident)
    assert answered.payload["status"] == "submitted"
    assert answered.groups == (f"incident.{incident.public_id}",)
    assert answered.subject == (incident.pk, world.guard_a.pk, entry.pk)
    assert realtime.follow_ups("incident.info_provided").tasks == ("notifications.notify_info_provided",)
    assert realtime.follow_ups("incident.info_provided").in_transaction == ()
