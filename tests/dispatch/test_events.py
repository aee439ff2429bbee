"""Every board event (dispatch/events.py): its name, payload, recipients, subject, and the
notification outbox's follow-up that runs inside the change's transaction (FOLLOW_UPS)."""

import uuid

import pytest
from django.core.exceptions import ValidationError

from dispatch import events, services
from dispatch.models import Escalation
from incidents.models import TimelineEntry
from notifications.models import Kind, OutboxMessage
from notifications.services import chains
from portal import realtime
from portal.celery import FOLLOW_UPS, FollowUps
from tests.factories import report

ESCALATION_HANDLER = "notifications.services.chains.handle_escalation_event"
MESSAGE_HANDLER = "notifications.services.chains.handle_message_posted"
DESK_HANDLER = "notifications.services.alerts.handle_escalation_desk"


class Published:
    """Runs a change; keeps the events that leave its transaction (instead of pushing them) and the
    in-transaction follow-ups' calls, each with how many events had left by then."""

    def __init__(self, monkeypatch, capture):
        self.events: list[realtime.Event] = []
        self.handled: list[tuple[str, realtime.Event, int]] = []
        self.capture = capture
        monkeypatch.setattr(realtime, "send_event", self.events.append)
        for name in ("handle_escalation_event", "handle_message_posted"):
            monkeypatch.setattr(chains, name, self._spy(name, getattr(chains, name)))

    def _spy(self, name, handler):
        def spy(event):
            self.handled.append((name, event, len(self.events)))
            return handler(event)

        return spy

    def __call__(self, change, *args, **kwargs):
        self.events.clear()
        self.handled.clear()
        with self.capture(execute=True):
            return change(*args, **kwargs)

    def board(self):
        return [event for event in self.events if event.name.startswith(("escalation.", "message."))]


@pytest.fixture
def published(monkeypatch, django_capture_on_commit_callbacks):
    return Published(monkeypatch, django_capture_on_commit_callbacks)


def requested(world, **fields):
    return services.escalate_incident(
        incident=report(world.guard_a, world.a1, **fields), by=world.supervisor_a
    )


def last_entry(escalation, kind):
    return escalation.incident.timeline.filter(kind=kind).latest("pk")


def assert_board_event(event, escalation, *, name, seq, by, entry):
    escalation = Escalation.objects.select_related("incident__site", "incident__category", "agency").get(
        pk=escalation.pk
    )
    assert event.name == name
    assert event.payload["seq"] == seq
    assert event.payload["event"] == name
    assert event.payload["escalation"] == events.escalation_payload(escalation)
    assert event.payload["escalation"]["id"] == str(escalation.public_id)
    assert event.payload["escalation"]["status"] == escalation.status
    assert event.payload["escalation"]["incident"]["reference"] == escalation.incident.reference
    assert event.groups == (f"board.{escalation.agency_id}", f"incident.{escalation.incident.public_id}")
    assert event.subject == (escalation.pk, by.pk, entry.pk)


def assert_written_in_the_transaction(published, event, handler):
    """The follow-up ran with this very event before anything left the transaction."""
    # An escalation's change also refreshes the provider's supervisors' desks (their home), after it.
    desk = (DESK_HANDLER,) if event.name.startswith("escalation.") else ()
    assert FOLLOW_UPS[event.name] == FollowUps(
        in_transaction=(f"notifications.services.chains.{handler}", *desk)
    )
    assert [(name, seen) for name, seen, _ in published.handled] == [(handler, event)]
    assert published.handled[0][2] == 0


def test_an_escalation_is_requested(world, published):
    escalation = published(requested, world)
    [event] = published.board()
    assert_board_event(
        event,
        escalation,
        name="escalation.requested",
        seq=1,
        by=world.supervisor_a,
        entry=last_entry(escalation, TimelineEntry.Kind.ESCALATED),
    )
    assert event.payload["escalation"]["source"] == Escalation.Source.SUPERVISOR
    assert set(event.payload) == {"seq", "event", "escalation"}
    assert_written_in_the_transaction(published, event, "handle_escalation_event")
    assert OutboxMessage.objects.filter(escalation=escalation, kind=Kind.PAGE).exists()  # the liaison's


# Each step: the actions before it, who takes it, the fields it is given, and the status it ends in.
STEPS = [
    ("accept", [], "liaison_x", {"version": 1}, "accepted"),
    ("reject", [], "liaison_x", {"reason": "Civil matter"}, "rejected"),
    ("dispatch", ["accept"], "liaison_x", {}, "dispatched"),
    ("on_scene", ["accept", "dispatch"], "liaison_x", {}, "on_scene"),
    ("clear", ["accept"], "liaison_x", {"disposition": "Report taken", "case_number": "26-1"}, "cleared"),
    ("cancel", ["accept"], "supervisor_a", {"reason": "False alarm"}, "cancelled"),
]


@pytest.mark.parametrize(("action", "before", "who", "values", "status"), STEPS, ids=[s[0] for s in STEPS])
def test_each_step_is_an_event_named_for_the_status_it_reaches(
    world, published, action, before, who, values, status
):
    escalation = requested(world)
    for earlier in before:
        services.ACTIONS[earlier].take(escalation=escalation, by=world.liaison_x, values={})
    by = getattr(world, who)
    published(services.ACTIONS[action].take, escalation=escalation, by=by, values=values)
    [event] = published.board()
    assert_board_event(
        event,
        escalation,
        name=f"escalation.{status}",
        seq=2 + len(before),
        by=by,
        entry=last_entry(escalation, TimelineEntry.Kind.ESCALATION_UPDATED),
    )
    assert event.payload["escalation"]["status"] == status
    assert_written_in_the_transaction(published, event, "handle_escalation_event")


def test_a_panic_is_requested_by_the_guard_and_cleared_by_a_supervisor(world, published):
    panic = published(services.press_panic, guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4())
    [event] = published.board()
    assert_board_event(
        event,
        panic.escalation,
        name="escalation.requested",
        seq=1,
        by=world.guard_a,
        entry=last_entry(panic.escalation, TimelineEntry.Kind.ESCALATED),
    )
    assert event.payload["escalation"]["is_panic"] is True

    published(services.clear_panic, escalation=panic.escalation, by=world.supervisor_a)
    [event] = published.board()
    assert_board_event(
        event,
        panic.escalation,
        name="escalation.panic_cleared",
        seq=2,
        by=world.supervisor_a,
        entry=last_entry(panic.escalation, TimelineEntry.Kind.ESCALATION_UPDATED),
    )
    assert event.payload["escalation"]["panic_active"] is False  # the guard is safe
    assert event.payload["escalation"]["panic_cleared_by"] == str(world.supervisor_a)
    assert event.payload["escalation"]["panic_cleared_at"]
    assert_written_in_the_transaction(published, event, "handle_escalation_event")


@pytest.mark.parametrize("police", [True, False])
def test_every_panic_publishes_panic_pressed_whose_alert_is_written_in_its_transaction(
    world, published, police
):
    site = world.a1
    if not police:
        site.agency = None
        site.save()
    panic = published(services.press_panic, guard=world.guard_a, site=site, idempotency_key=uuid.uuid4())
    [event] = [event for event in published.events if event.name == "panic.pressed"]
    incident = panic.incident
    assert event.payload == {"incident": str(incident.public_id), "reference": incident.reference}
    assert event.groups == (f"incident.{incident.public_id}",)
    escalation_pk = panic.escalation.pk if police else None
    assert event.subject == (incident.pk, world.guard_a.pk, escalation_pk)
    assert FOLLOW_UPS["panic.pressed"] == FollowUps(
        in_transaction=("notifications.services.alerts.handle_panic_pressed",)
    )
    # Written before the commit: the alert and the timeline's record of who was alerted.
    assert OutboxMessage.objects.filter(
        incident=incident, kind=Kind.PANIC, recipient=world.supervisor_a
    ).exists()
    assert incident.timeline.get(kind=TimelineEntry.Kind.ALERTED).data["text"] == panic.alerted
    again = published(
        services.press_panic, guard=world.guard_a, site=site, idempotency_key=incident.idempotency_key
    )
    assert [event.name for event in published.events if event.name == "panic.pressed"] == []  # a retry: once
    assert again.alerted == panic.alerted


@pytest.mark.parametrize(("who", "side"), [("guard_a", "provider"), ("liaison_x", "agency")])
def test_a_message_is_posted_with_its_author_and_side(world, published, who, side):
    escalation = requested(world)
    services.accept_escalation(escalation=escalation, by=world.liaison_x)
    by = getattr(world, who)
    entry = published(services.post_message, incident=escalation.incident, by=by, text=" Heading north ")
    [event] = published.board()
    assert_board_event(event, escalation, name="message.posted", seq=3, by=by, entry=entry)
    assert event.payload["message"] == {
        "id": entry.pk,
        "text": "Heading north",
        "author": str(by),
        "side": side,
        "at": entry.at.isoformat(),
    }
    assert_written_in_the_transaction(published, event, "handle_message_posted")
    assert OutboxMessage.objects.filter(idempotency_key__startswith=f"message:{entry.pk}:").exists()


def test_a_refused_change_publishes_nothing_and_writes_nothing(world, published):
    escalation = requested(world)
    outbox = OutboxMessage.objects.count()
    with pytest.raises(ValidationError):
        published(services.mark_on_scene, escalation=escalation, by=world.liaison_x)
    assert published.events == published.handled == []
    assert OutboxMessage.objects.count() == outbox
