"""Escalation policies at work: who is paged when, what stops the chain, who is told of changes."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from accounts.models import Role
from dispatch import services as dispatch_services
from dispatch.models import Escalation
from notifications import services
from notifications.models import Channel, EscalationTimer, Kind, Notification, OutboxMessage, Target
from tests.factories import member
from tests.notifications.helpers import step

State = OutboxMessage.State


def pages(escalation):
    return OutboxMessage.objects.filter(escalation=escalation, kind=Kind.PAGE)


def sent(messages):
    """Who got what, as a multiset: the order of pages within one step is not part of the contract."""
    return Counter((m.recipient_label, str(m.channel), str(m.state)) for m in messages)


def expected(*rows):
    return Counter((label, str(channel), str(state)) for label, channel, state in rows)


def test_a_request_pages_the_first_step_at_once_and_sets_timers_for_the_later_ones(
    world, escalate, agency_policy
):
    endpoint = services.create_webhook_endpoint(
        by=world.admin_x,
        organization=world.agency_x,
        name="CAD",
        url="https://cad.example/hook",
        events=["page"],
    )
    agency_policy(
        step(0, channels=[Channel.IN_APP, Channel.EMAIL], required=[Channel.IN_APP]),
        step(60, Target.PERSON, channels=[Channel.SMS], required=[Channel.SMS], person=world.admin_x),
        step(60, Target.WEBHOOKS),
        step(180, Target.PROVIDER_SUPERVISORS, channels=[Channel.IN_APP]),
    )
    escalation = escalate()
    assert sent(pages(escalation)) == expected(
        (str(world.liaison_x), Channel.EMAIL, State.PENDING),
        (str(world.liaison_x), Channel.IN_APP, State.PENDING),
    )
    timers = EscalationTimer.objects.filter(escalation=escalation).order_by("due_at", "pk")
    assert [(t.due_at - escalation.requested_at).total_seconds() for t in timers] == [60, 60, 180]
    assert all(t.state == EscalationTimer.State.PENDING for t in timers)

    assert services.fire_due_timers(now=escalation.requested_at + timedelta(seconds=59)) == 0
    services.fire_due_timers(now=escalation.requested_at + timedelta(seconds=61))
    later = pages(escalation).exclude(recipient=world.liaison_x)
    assert sent(later) == expected(
        (str(world.admin_x), Channel.SMS, State.PENDING),
        ("Webhook CAD", "webhook", State.PENDING),
    )
    assert later.get(channel=Channel.WEBHOOK).endpoint == endpoint
    assert services.fire_due_timers(now=escalation.requested_at + timedelta(seconds=61)) == 0  # fired once


def test_acceptance_stops_the_chain_at_once(world, escalate, agency_policy):
    agency_policy(step(0), step(60, Target.ORG_ADMINS), step(180, Target.PROVIDER_SUPERVISORS))
    escalation = escalate()
    dispatch_services.accept_escalation(escalation=escalation, by=world.liaison_x)

    timers = EscalationTimer.objects.filter(escalation=escalation)
    assert {t.state for t in timers} == {EscalationTimer.State.CANCELLED}
    assert "accepted by" in timers.first().note
    (page,) = pages(escalation)
    assert page.state == State.CANCELLED
    assert page.last_error.startswith("Stopped: accepted by")

    services.fire_due_timers(now=escalation.requested_at + timedelta(hours=1))
    assert pages(escalation).count() == 1  # no later step was written


@pytest.mark.parametrize("action", ["reject", "cancel"])
def test_rejection_and_cancellation_stop_it_too(world, escalate, agency_policy, action):
    agency_policy(step(0), step(60, Target.ORG_ADMINS))
    escalation = escalate()
    if action == "reject":
        dispatch_services.reject_escalation(escalation=escalation, by=world.liaison_x, reason="No units")
    else:
        dispatch_services.cancel_escalation(escalation=escalation, by=world.supervisor_a, reason="Resolved")
    assert not EscalationTimer.objects.filter(escalation=escalation, state="pending").exists()
    assert not pages(escalation).filter(state=State.PENDING).exists()


def test_nothing_is_sent_after_acceptance_even_when_its_delivery_was_already_queued(
    world, escalate, agency_policy, django_capture_on_commit_callbacks, eager
):
    agency_policy(step(0, channels=[Channel.IN_APP, Channel.EMAIL]))
    with django_capture_on_commit_callbacks() as queued:
        escalation = escalate()
    dispatch_services.accept_escalation(escalation=escalation, by=world.liaison_x)
    for callback in queued:
        callback()  # the deliveries queued at the request run only now
    assert not Notification.objects.filter(recipient=world.liaison_x).exists()
    assert [m.to for m in mail.outbox] == []
    assert {m.state for m in pages(escalation)} == {State.CANCELLED}


def test_a_page_is_checked_against_its_escalation_at_delivery(world, escalate, agency_policy):
    """An acceptance that commits after the page was written (by a timer racing it, say) still wins."""
    agency_policy(step(0, channels=[Channel.EMAIL]))
    escalation = escalate()
    (page,) = pages(escalation)
    Escalation.objects.filter(pk=escalation.pk).update(status=Escalation.Status.ACCEPTED)
    outcome = services.deliver_message(message_id=page.pk, claim="task-1")
    page.refresh_from_db()
    assert outcome.state == State.CANCELLED
    assert page.last_error == "Not sent: the escalation was accepted first."
    assert mail.outbox == []


def test_a_timer_does_not_fire_once_the_escalation_is_accepted(world, escalate, agency_policy):
    agency_policy(step(0), step(60, Target.ORG_ADMINS))
    escalation = escalate()
    Escalation.objects.filter(pk=escalation.pk).update(status=Escalation.Status.ACCEPTED)
    services.fire_due_timers(now=escalation.requested_at + timedelta(seconds=61))
    timer = EscalationTimer.objects.get(escalation=escalation)
    assert timer.state == EscalationTimer.State.CANCELLED
    assert pages(escalation).count() == 1


def test_off_duty_liaisons_are_not_paged_but_still_see_the_board(client, world, escalate, agency_policy):
    colleague = member(Role.LIAISON, world.agency_x)
    services.set_on_duty(user=world.liaison_x, on_duty=False)
    agency_policy(step(0))
    escalation = escalate()
    assert [m.recipient for m in pages(escalation)] == [colleague]
    client.force_login(world.liaison_x)
    response = client.get("/board/")
    assert response.status_code == 200
    assert escalation.incident.reference in response.content.decode()


def test_nobody_on_duty_is_written_in_the_log(world, escalate, agency_policy):
    services.set_on_duty(user=world.liaison_x, on_duty=False)
    agency_policy(step(0))
    (page,) = pages(escalate())
    assert page.state == State.SKIPPED
    assert page.recipient_label == "On-duty liaisons of Agency X"


def test_preferences_are_respected_but_the_policys_required_channels_still_go(world, escalate, agency_policy):
    services.save_notification_settings(
        user=world.liaison_x,
        phone="+447700900123",
        choices={
            (Kind.PAGE, Channel.IN_APP): False,
            (Kind.PAGE, Channel.EMAIL): False,
            (Kind.PAGE, Channel.SMS): False,
        },
    )
    agency_policy(step(0, channels=[Channel.IN_APP, Channel.EMAIL, Channel.SMS], required=[Channel.SMS]))
    assert sent(pages(escalate())) == expected((str(world.liaison_x), Channel.SMS, State.PENDING))


def test_updates_reach_the_provider_side_by_their_chosen_channels_never_the_actor(world, escalate):
    colleague = member(Role.SUPERVISOR, world.provider_a)
    services.save_notification_settings(
        user=colleague,
        phone="",
        choices={(Kind.UPDATE, Channel.EMAIL): True, (Kind.UPDATE, Channel.IN_APP): True},
    )
    escalation = escalate()
    dispatch_services.accept_escalation(escalation=escalation, by=world.liaison_x)
    updates = OutboxMessage.objects.filter(
        escalation=escalation, kind=Kind.UPDATE, payload__event="escalation.accepted"
    )
    assert sent(updates) == expected(
        (str(colleague), Channel.EMAIL, State.PENDING),
        (str(colleague), Channel.IN_APP, State.PENDING),
        (str(world.supervisor_a), Channel.IN_APP, State.PENDING),
    )
    requested = OutboxMessage.objects.filter(escalation=escalation, payload__event="escalation.requested")
    assert world.supervisor_a not in {m.recipient for m in requested}  # the one who escalated


def test_without_a_policy_the_agency_default_pages_on_duty_liaisons_in_app_and_by_email(world, escalate):
    assert sent(pages(escalate())) == expected(
        (str(world.liaison_x), Channel.EMAIL, State.PENDING),
        (str(world.liaison_x), Channel.IN_APP, State.PENDING),
    )


def test_a_sites_policy_replaces_the_default_and_a_provider_policy_runs_beside_it(
    world, escalate, agency_policy
):
    agency_policy(step(0))
    agency_policy(step(0, Target.ORG_ADMINS), site=world.a1)
    agency_policy(step(30, Target.PROVIDER_SUPERVISORS), organization=world.provider_a, by=world.admin_a)
    escalation = escalate()
    assert [m.recipient for m in pages(escalation)] == [world.admin_x]
    (timer,) = EscalationTimer.objects.filter(escalation=escalation)
    assert timer.plan["owner_id"] == world.provider_a.pk


def test_pages_go_only_to_people_who_may_see_the_incident(world, escalate, agency_policy):
    agency_policy(step(0, Target.PROVIDER_SUPERVISORS))
    escalation = escalate()
    assert [m.recipient for m in pages(escalation)] == [world.supervisor_a]  # not supervisor_b


def test_a_message_from_the_police_reaches_the_provider_side_and_the_guard_who_reported(world, escalate):
    escalation = escalate()
    assert escalation.incident.reporter == world.guard_a
    dispatch_services.accept_escalation(escalation=escalation, by=world.liaison_x)
    dispatch_services.post_message(incident=escalation.incident, by=world.liaison_x, text="Units 2 min out")
    messages = OutboxMessage.objects.filter(kind=Kind.MESSAGE)
    assert {(m.recipient, m.channel) for m in messages} == {
        (world.supervisor_a, Channel.IN_APP),
        (world.guard_a, Channel.IN_APP),
    }
    assert {m.payload["text"] for m in messages} == {"Units 2 min out"}
    dispatch_services.post_message(incident=escalation.incident, by=world.supervisor_a, text="Thanks")
    reply = OutboxMessage.objects.filter(kind=Kind.MESSAGE).latest("pk")
    assert reply.recipient == world.liaison_x  # the accepting liaison


def test_a_step_may_name_only_the_organizations_own_people(world, agency_policy):
    with pytest.raises(ValidationError, match="one of your organization's active people"):
        agency_policy(step(0, Target.PERSON, person=world.liaison_y))
    with pytest.raises(ValidationError, match="choose who it notifies"):
        agency_policy(step(0, Target.ON_DUTY_LIAISONS), organization=world.provider_a, by=world.admin_a)
    with pytest.raises(ValidationError, match="required channel must also be one the step uses"):
        agency_policy(step(0, channels=[Channel.IN_APP], required=[Channel.SMS]))
