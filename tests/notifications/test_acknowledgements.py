"""Delivery confirmed by a person (issue 16, item 2): receipts per recipient, the ladder climbs on a
missing human acknowledgement, the first acknowledgement wins, an exhausted ladder is broadcast
whatever anyone's settings say, and a guard cannot acknowledge their own panic."""

import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from dispatch import services as dispatch_services
from notifications import content, services
from notifications.models import (
    PERSON_CHANNELS,
    Alert,
    Channel,
    ChannelPreference,
    EscalationPolicy,
    EscalationTimer,
    Kind,
    Notification,
    NotificationProfile,
    OutboxMessage,
    Receipt,
    Target,
    Via,
)
from notifications.services import acknowledgements
from notifications.services.people import mark_received
from tests.factories import member, report
from tests.notifications.helpers import step

State = OutboxMessage.State


def alert_of(escalation):
    return Alert.objects.get(escalation=escalation, key=f"escalation:{escalation.public_id}")


def deliver_all():
    for pk in OutboxMessage.objects.filter(state=State.PENDING).values_list("pk", flat=True):
        services.deliver_message(message_id=pk, claim=f"test-{pk}")


def inbox_entry(user, escalation):
    return Notification.objects.get(recipient=user, message__escalation=escalation, message__kind=Kind.PAGE)


def later(escalation, seconds):
    return escalation.requested_at + timedelta(seconds=seconds)


# --- Receipts ---------------------------------------------------------------------------------


def test_a_page_goes_queued_sent_delivered_acknowledged_for_its_recipient(world, escalate):
    escalation = escalate()
    [message] = OutboxMessage.objects.filter(escalation=escalation, kind=Kind.PAGE, channel=Channel.IN_APP)
    assert message.receipt == Receipt.QUEUED
    deliver_all()
    message.refresh_from_db()
    assert message.receipt == Receipt.SENT  # in the inbox, but no page has said it arrived
    notification = inbox_entry(world.liaison_x, escalation)

    assert mark_received(user=world.liaison_x, notification_id=notification.pk)
    message.refresh_from_db()
    assert message.receipt == Receipt.DELIVERED

    acknowledgements.acknowledge_notification(user=world.liaison_x, notification_id=notification.pk)
    message.refresh_from_db()
    assert message.receipt == Receipt.ACKNOWLEDGED


def test_only_the_recipient_confirms_an_in_app_receipt(world, escalate):
    escalation = escalate()
    deliver_all()
    notification = inbox_entry(world.liaison_x, escalation)
    assert not mark_received(user=world.liaison_y, notification_id=notification.pk)
    assert not mark_received(user=world.supervisor_a, notification_id=notification.pk)
    assert OutboxMessage.objects.get(pk=notification.message_id).received_at is None


def test_an_email_accepted_by_smtp_is_delivered(world, escalate, smtp, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    escalation = escalate()
    deliver_all()
    email = OutboxMessage.objects.get(escalation=escalation, kind=Kind.PAGE, channel=Channel.EMAIL)
    assert email.state == State.DELIVERED
    assert email.receipt == Receipt.DELIVERED
    assert len(smtp.wait_for(1)) == 1


# --- The ladder climbs on a missing human acknowledgement, not on a missing send -----------------


def test_the_ladder_climbs_although_every_page_was_delivered(world, escalate, agency_policy):
    agency_policy(step(0), step(60, Target.ORG_ADMINS))
    escalation = escalate()
    deliver_all()
    notification = inbox_entry(world.liaison_x, escalation)
    mark_received(user=world.liaison_x, notification_id=notification.pk)  # delivered, not acknowledged

    services.fire_due_timers(now=later(escalation, 61))
    assert OutboxMessage.objects.filter(
        escalation=escalation, kind=Kind.PAGE, recipient=world.admin_x
    ).exists()


def test_the_first_acknowledgement_stops_the_ladder(world, escalate, agency_policy):
    agency_policy(step(0), step(60, Target.ORG_ADMINS), step(120, Target.PROVIDER_SUPERVISORS))
    escalation = escalate()
    deliver_all()
    result = acknowledgements.acknowledge_notification(
        user=world.liaison_x, notification_id=inbox_entry(world.liaison_x, escalation).pk
    )
    assert result.won
    alert = alert_of(escalation)
    assert (alert.acknowledged_by, alert.acknowledged_via) == (world.liaison_x, Via.INBOX)

    assert services.fire_due_timers(now=later(escalation, 600)) == 0
    timers = EscalationTimer.objects.filter(escalation=escalation)
    assert {t.state for t in timers} == {EscalationTimer.State.CANCELLED}
    assert "acknowledged by" in timers.first().note
    assert not OutboxMessage.objects.filter(
        escalation=escalation, kind=Kind.PAGE, recipient=world.admin_x
    ).exists()
    # The escalation still waits for a liaison to accept it: acknowledging is not accepting.
    escalation.refresh_from_db()
    assert escalation.status == escalation.Status.REQUESTED
    # Nor does an acknowledged alert end in a broadcast.
    assert acknowledgements.exhaust_due_alerts(now=later(escalation, 10_000)) == 0


def test_a_second_acknowledgement_changes_nothing_and_says_who_was_first(world, escalate):
    second = member(Role.LIAISON, world.agency_x)
    escalation = escalate()
    deliver_all()
    acknowledgements.acknowledge_notification(
        user=world.liaison_x, notification_id=inbox_entry(world.liaison_x, escalation).pk
    )
    result = acknowledgements.acknowledge_notification(
        user=second, notification_id=inbox_entry(second, escalation).pk
    )
    assert not result.won
    assert result.message.startswith(f"Already acknowledged by {world.liaison_x}")
    assert alert_of(escalation).acknowledged_by == world.liaison_x


def test_accepting_on_the_board_is_an_acknowledgement(world, escalate, agency_policy):
    agency_policy(step(0), step(60, Target.ORG_ADMINS))
    escalation = escalate()
    dispatch_services.accept_escalation(escalation=escalation, by=world.liaison_x)
    alert = alert_of(escalation)
    assert (alert.acknowledged_by, alert.acknowledged_via) == (world.liaison_x, Via.BOARD)


def test_opening_the_incident_acknowledges_the_alerts_sent_to_the_person(world, escalate, client):
    escalation = escalate()
    deliver_all()
    client.force_login(world.liaison_x)
    page = client.get(reverse("incidents:detail", args=[escalation.incident.public_id]))
    assert b"data-alert-ack" in page.content  # the page's script posts it once the page is seen
    answer = client.post(
        reverse("notifications:acknowledge_incident", args=[escalation.incident.public_id]),
        {"via": "opened"},
        HTTP_ACCEPT="application/json",
    )
    assert answer.status_code == 200
    assert answer.json()["message"] == "Acknowledged: the alert stops climbing."
    alert = alert_of(escalation)
    assert (alert.acknowledged_by, alert.acknowledged_via) == (world.liaison_x, Via.OPENED)
    # Acknowledged: the banner is gone for everyone.
    assert (
        b"data-alert-ack"
        not in client.get(reverse("incidents:detail", args=[escalation.incident.public_id])).content
    )


def test_someone_the_alert_was_not_sent_to_cannot_acknowledge_it(world, escalate):
    escalation = escalate()
    with pytest.raises(PermissionDenied, match="not sent to you"):
        acknowledgements.acknowledge_alert(alert=alert_of(escalation), by=world.admin_a, via=Via.MESSAGE)
    assert alert_of(escalation).acknowledged_at is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_acknowledgements_at_once_one_wins(world):
    second = member(Role.LIAISON, world.agency_x)
    escalation = dispatch_services.escalate_incident(
        incident=report(world.guard_a, world.a1), by=world.supervisor_a
    )
    alert = alert_of(escalation)
    barrier = threading.Barrier(2)
    outcomes: list[tuple[str, bool]] = []

    def acknowledge(person):
        try:
            barrier.wait()
            result = acknowledgements.acknowledge_alert(alert=alert, by=person, via=Via.MESSAGE)
            outcomes.append((str(person), result.won))
        finally:
            connection.close()

    threads = [threading.Thread(target=acknowledge, args=(who,)) for who in (world.liaison_x, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won for _, won in outcomes) == [False, True]
    [winner] = [who for who, won in outcomes if won]
    alert.refresh_from_db()
    assert str(alert.acknowledged_by) == winner
    # One timeline entry, one acknowledgement.
    assert escalation.incident.timeline.filter(data__acknowledged=str(alert.public_id)).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_acknowledgement_and_an_acceptance_at_once_never_deadlock_and_one_wins(world):
    second = member(Role.LIAISON, world.agency_x)  # paged with the first
    escalation = dispatch_services.escalate_incident(
        incident=report(world.guard_a, world.a1), by=world.supervisor_a
    )
    alert = alert_of(escalation)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(action):
        try:
            barrier.wait()
            action()
        except ValidationError:
            pass
        except BaseException as error:  # a deadlock would surface here
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=run,
            args=(lambda: dispatch_services.accept_escalation(escalation=escalation, by=world.liaison_x),),
        ),
        threading.Thread(
            target=run,
            args=(lambda: acknowledgements.acknowledge_alert(alert=alert, by=second, via=Via.MESSAGE),),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    alert.refresh_from_db()
    assert alert.acknowledged_by in (world.liaison_x, second)
    assert escalation.incident.timeline.filter(data__acknowledged=str(alert.public_id)).count() == 1


# --- A guard cannot acknowledge their own panic -------------------------------------------------


def test_a_guard_cannot_acknowledge_their_own_panic(world, client):
    result = dispatch_services.press_panic(guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4())
    alert = Alert.objects.get(key=f"panic:{result.incident.public_id}")
    assert alert.raised_by == world.guard_a
    with pytest.raises(ValidationError, match="You pressed this panic: a supervisor has to acknowledge it"):
        acknowledgements.acknowledge_alert(alert=alert, by=world.guard_a, via=Via.OPENED)
    # Through the incident page too: nothing to acknowledge for the guard, and nothing changes.
    client.force_login(world.guard_a)
    answer = client.post(
        reverse("notifications:acknowledge_incident", args=[result.incident.public_id]),
        {"via": "opened"},
        HTTP_ACCEPT="application/json",
    )
    assert answer.json()["message"] == "Nothing here waits for your acknowledgement."
    alert.refresh_from_db()
    assert alert.acknowledged_at is None

    # A supervisor the panic alerted can.
    assert acknowledgements.acknowledge_alert(alert=alert, by=world.supervisor_a, via=Via.INBOX).won


# --- An exhausted ladder never ends silently -----------------------------------------------------


def exhausted_to(alert):
    return {
        (message.recipient, str(message.channel))
        for message in OutboxMessage.objects.filter(alert=alert, kind=Kind.EXHAUSTED, recipient__isnull=False)
    }


def test_an_unacknowledged_ladder_is_broadcast_to_every_admin_and_supervisor_on_every_channel(
    world, escalate, agency_policy
):
    agency_policy(step(0), step(60, Target.ORG_ADMINS))
    escalation = escalate()
    alert = alert_of(escalation)
    assert alert.exhausts_at == pytest.approx(
        alert.created_at + timedelta(seconds=60 + settings.ALERT_ACK_SECONDS), abs=timedelta(seconds=2)
    )
    services.fire_due_timers(now=later(escalation, 61))
    # Not before the last step has had its time.
    assert acknowledgements.exhaust_due_alerts(now=alert.exhausts_at - timedelta(seconds=1)) == 0
    assert acknowledgements.exhaust_due_alerts(now=alert.exhausts_at) == 1
    people = {world.supervisor_a, world.admin_a, world.admin_x}
    assert exhausted_to(alert) == {(person, channel) for person in people for channel in PERSON_CHANNELS}
    alert.refresh_from_db()
    assert alert.exhausted_at is not None
    entry = escalation.incident.timeline.get(data__exhausted=str(alert.public_id))
    assert "broadcast to every admin and supervisor" in entry.data["text"]
    # Once: a second sweep sends nothing more.
    assert acknowledgements.exhaust_due_alerts(now=alert.exhausts_at + timedelta(minutes=5)) == 0
    # Another tenant's people are never told.
    assert not OutboxMessage.objects.filter(
        alert=alert, recipient__in=[world.supervisor_b, world.admin_b]
    ).exists()


def test_no_setting_can_turn_the_broadcast_off(world, escalate, agency_policy):
    """Every channel switched off for every kind, off duty, the policy switched off after the
    request: the broadcast still goes to each of them on every channel."""
    agency_policy(step(0))
    people = [world.supervisor_a, world.admin_a, world.admin_x]
    for person in people:
        NotificationProfile.objects.update_or_create(
            user=person, defaults={"on_duty": False, "phone": "+447700900123"}
        )
        for kind in Kind.values:
            for channel in PERSON_CHANNELS:
                ChannelPreference.objects.update_or_create(
                    user=person, kind=kind, channel=channel, defaults={"enabled": False}
                )
    escalation = escalate()
    EscalationPolicy.objects.filter(organization=world.agency_x).update(is_active=False)
    alert = alert_of(escalation)
    acknowledgements.exhaust_due_alerts(now=alert.exhausts_at)
    assert exhausted_to(alert) == {(person, channel) for person in people for channel in PERSON_CHANNELS}
    # The settings page never offers the broadcast as a choice, and the service refuses it.
    with pytest.raises(ValidationError, match="Unknown choice"):
        services.save_notification_settings(
            user=world.supervisor_a, phone="", choices={(Kind.EXHAUSTED, Channel.EMAIL): False}
        )


def test_a_ladder_stopped_by_rejection_is_not_broadcast(world, escalate):
    escalation = escalate()
    dispatch_services.reject_escalation(escalation=escalation, by=world.liaison_x, reason="Not ours")
    alert = alert_of(escalation)
    assert alert.closed_at is not None
    assert acknowledgements.exhaust_due_alerts(now=alert.exhausts_at) == 0


def test_an_unacknowledged_panic_is_broadcast_too(world):
    result = dispatch_services.press_panic(guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4())
    alert = Alert.objects.get(key=f"panic:{result.incident.public_id}")
    swept = acknowledgements.exhaust_due_alerts(
        now=timezone.now() + timedelta(seconds=settings.ALERT_ACK_SECONDS + 1)
    )
    assert swept == 2  # the provider's panic alert and the police's escalation of it
    recipients = {person for person, _ in exhausted_to(alert)}
    assert recipients == {world.supervisor_a, world.admin_a, world.admin_x}
    assert world.guard_a not in recipients


# --- Kinds of alert look and sound different ----------------------------------------------------


def test_each_kind_of_alert_has_its_own_title_prefix_and_sound():
    styles = [content.ALERT_STYLES[name] for name in ("panic", "escalation", "bulletin", "patrol", "test")]
    assert len({style.prefix for style in styles}) == len(styles)
    assert len({style.sound for style in styles}) == len(styles)
    assert "TEST" in content.ALERT_STYLES["test"].prefix
    assert "PANIC" not in content.ALERT_STYLES["test"].prefix
    sounds = (Path(settings.BASE_DIR) / "static/js/alert-sounds.js").read_text()
    for style in content.ALERT_STYLES.values():
        assert f"  {style.sound}: {{" in sounds, f"no tone pattern for {style.sound}"


def test_a_test_event_is_titled_as_a_test_and_a_panic_page_as_a_panic(world, escalate):
    title = content.test_event(endpoint_name="CAD", by=world.admin_x)["title"]
    assert title.startswith("TEST, NOT A REAL ALERT:")
    page = content.page(escalate(), reason="step 1")
    assert page["title"].startswith("ESCALATION:")
    result = dispatch_services.press_panic(guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4())
    panic_page = OutboxMessage.objects.filter(escalation=result.escalation, kind=Kind.PAGE).first()
    assert panic_page.payload["title"].startswith("PANIC:")
    panic_alert = OutboxMessage.objects.filter(incident=result.incident, kind=Kind.PANIC).first()
    assert panic_alert.payload["title"].startswith("PANIC:")
    assert content.alert_style(Kind.PAGE, panic_page.payload).sound == "panic"
    assert content.alert_style(Kind.PAGE, page).sound == "escalation"
