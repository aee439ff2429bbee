"""The outbox: written with the change, queued after commit, sent once, retried, swept."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications import services
from notifications.models import Channel, DeliveryAttempt, Kind, Notification, OutboxMessage, Target
from notifications.services import outbox
from portal.celery import app
from tests.notifications.helpers import step

State = OutboxMessage.State


def test_rows_are_written_with_the_change_and_delivery_is_queued_only_after_commit(
    world, escalate, django_capture_on_commit_callbacks, eager
):
    with django_capture_on_commit_callbacks() as callbacks:
        escalation = escalate()
        rows = list(OutboxMessage.objects.filter(escalation=escalation))
        assert rows, "written in the escalation's transaction"
        assert Notification.objects.count() == 0
    assert {m.state for m in rows} == {State.PENDING}
    assert any(getattr(c, "func", None) is outbox.enqueue for c in callbacks)
    for callback in callbacks:
        callback()
    assert {m.state for m in OutboxMessage.objects.filter(escalation=escalation)} == {State.DELIVERED}
    notification = Notification.objects.get(recipient=world.liaison_x)
    assert notification.url == f"/incidents/{escalation.incident.public_id}/"
    assert [m.to for m in mail.outbox] == [[world.liaison_x.email]]


def test_the_delivery_task_is_registered_under_the_name_the_service_queues(eager):
    task = app.tasks[services.DELIVER_TASK]
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True


def test_a_message_is_sent_at_most_once_per_key(world, escalate):
    escalation = escalate()
    email = OutboxMessage.objects.get(escalation=escalation, channel=Channel.EMAIL)
    assert services.deliver_message(message_id=email.pk, claim="a").state == State.DELIVERED
    assert services.deliver_message(message_id=email.pk, claim="b").state is None
    assert services.deliver_message(message_id=email.pk, claim="a").state is None
    assert len(mail.outbox) == 1
    # The same change replayed (a retried timer, say) does not write the message twice.
    again = OutboxMessage(
        kind=email.kind,
        channel=email.channel,
        recipient=email.recipient,
        idempotency_key=email.idempotency_key,
    )
    assert outbox.queue_messages([again]) == []


def test_a_task_redelivered_after_its_worker_died_takes_its_message_back(world, escalate):
    escalation = escalate()
    message = OutboxMessage.objects.get(escalation=escalation, channel=Channel.IN_APP)
    later = timezone.now() + timedelta(minutes=5)
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=State.SENDING, claimed_by="task-1", lease_until=later, attempts=1
    )
    assert services.deliver_message(message_id=message.pk, claim="task-2").state is None  # someone is on it
    assert services.deliver_message(message_id=message.pk, claim="task-1").state == State.DELIVERED
    message.refresh_from_db()
    assert message.attempts == 2
    details = list(
        DeliveryAttempt.objects.filter(message=message).order_by("number").values_list("ok", "detail")
    )
    assert details == [(False, "Interrupted: the worker was lost mid-send."), (True, "in the inbox")]


def test_a_failed_try_backs_off_and_the_last_one_fails_for_good(
    world, escalate, agency_policy, sink, private_webhooks, settings
):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    sink.status = 503
    services.create_webhook_endpoint(
        by=world.admin_x, organization=world.agency_x, name="Pager", url=sink.url(), events=["page"]
    )
    agency_policy(step(0, Target.WEBHOOKS))
    message = OutboxMessage.objects.get(escalation=escalate(), channel=Channel.WEBHOOK)
    outcome = services.deliver_message(message_id=message.pk, claim="t", retries_itself=True)
    message.refresh_from_db()
    assert outcome.state == State.PENDING
    assert 4 <= outcome.retry_in <= 6
    assert message.next_attempt_at > timezone.now()
    assert message.lease_until > message.next_attempt_at  # left to the Celery retry, not the sweeper
    assert message.last_error.startswith("HTTP 503")
    assert services.deliver_message(message_id=message.pk, claim="t").state is None  # not due yet
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert services.deliver_message(message_id=message.pk, claim="t").state == State.FAILED
    assert len(sink.received) == 2
    assert sink.received[0].body == sink.received[1].body  # the same bytes every try
    assert sink.received[0].key == sink.received[1].key == message.idempotency_key


def test_backoff_doubles_and_is_capped():
    assert 4 <= outbox.backoff(1) <= 6
    assert 8 <= outbox.backoff(2) <= 12
    assert outbox.backoff(30) <= outbox.BACKOFF_MAX * 1.2


def test_the_sweeper_queues_what_was_left_behind(world, escalate, eager):
    escalation = escalate()
    unqueued, lost = OutboxMessage.objects.filter(escalation=escalation).order_by("channel")
    past = timezone.now() - timedelta(seconds=1)
    OutboxMessage.objects.filter(pk=unqueued.pk).update(lease_until=None)  # the broker was down at commit
    OutboxMessage.objects.filter(pk=lost.pk).update(
        state=State.SENDING, claimed_by="dead", lease_until=past, attempts=1
    )
    assert services.sweep_outbox() == 2
    assert {m.state for m in OutboxMessage.objects.filter(escalation=escalation)} == {State.DELIVERED}
    lost.refresh_from_db()
    assert lost.attempts == 2
    assert services.sweep_outbox() == 0


def test_the_sweeper_leaves_messages_that_are_queued_or_being_sent(world, escalate):
    escalation = escalate()
    first, second = OutboxMessage.objects.filter(escalation=escalation)
    OutboxMessage.objects.filter(pk=second.pk).update(
        state=State.SENDING, lease_until=timezone.now() + timedelta(seconds=30)
    )
    assert first.lease_until > timezone.now()
    assert services.sweep_outbox() == 0


def test_when_the_broker_refuses_the_messages_wait_for_the_sweeper(world, escalate, monkeypatch, caplog):
    escalation = escalate()
    ids = list(OutboxMessage.objects.filter(escalation=escalation).values_list("pk", flat=True))

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(app.tasks[services.DELIVER_TASK], "apply_async", refuse)
    outbox.enqueue(ids)
    assert set(OutboxMessage.objects.filter(pk__in=ids).values_list("lease_until", flat=True)) == {None}
    assert "the sweeper will retry" in caplog.text


def test_a_test_event_goes_through_the_outbox(
    world, sink, private_webhooks, django_capture_on_commit_callbacks, eager
):
    sink.secret = "s"
    endpoint = services.create_webhook_endpoint(
        by=world.admin_x, organization=world.agency_x, name="CAD", url=sink.url(), events=["page"]
    )
    endpoint.secret = "s"
    endpoint.save()
    with django_capture_on_commit_callbacks(execute=True):
        message = services.send_test_event(endpoint=endpoint, by=world.admin_x)
    message.refresh_from_db()
    assert message.state == State.DELIVERED
    (received,) = sink.received
    assert received.signature_ok
    assert received.json["event"] == "test"
    assert message.kind == Kind.TEST


@pytest.mark.parametrize("state", [State.DELIVERED, State.CANCELLED])
def test_final_messages_are_never_sent_again(world, escalate, state):
    message = OutboxMessage.objects.filter(escalation=escalate()).first()
    OutboxMessage.objects.filter(pk=message.pk).update(state=state)
    assert services.deliver_message(message_id=message.pk, claim="x").state is None
    assert services.deliver_message(message_id=10**9, claim="x").state is None  # gone: quietly nothing
