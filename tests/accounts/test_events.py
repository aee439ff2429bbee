"""Every account event: its name, payload, recipients, subject and follow-ups (accounts/events.py)."""

import pytest
from django.contrib.auth.signals import user_logged_out

from accounts import services
from accounts.models import Membership, Role
from notifications.models import OutboxMessage
from portal import realtime


@pytest.fixture
def sent(monkeypatch):
    """The events pushed once their transaction commits, instead of being pushed."""
    events: list[realtime.Event] = []
    monkeypatch.setattr(realtime, "send_event", events.append)
    return events


@pytest.fixture
def published(monkeypatch):
    """Every event accounts' services publish, in order (and published as usual)."""
    events: list[realtime.Event] = []

    def record(event, **kwargs):
        events.append(event)
        realtime.publish_on_commit(event, **kwargs)

    monkeypatch.setattr(services, "publish_on_commit", record)
    return events


def assert_session_ended(event, user):
    assert event.name == "session.ended"
    assert event.payload == {}
    assert event.groups == (f"user.{user.pk}",)
    assert event.subject == ()


def test_deactivation_and_a_role_change_end_the_persons_sessions(
    world, sent, django_capture_on_commit_callbacks
):
    membership = Membership.objects.get(user=world.guard_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_member(membership=membership, by=world.admin_a, role=Role.SUPERVISOR)
    [event] = sent
    assert_session_ended(event, world.guard_a)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.change_member(membership=membership, by=world.admin_a, role=Role.SUPERVISOR)
    assert sent == []  # the same role: the sockets' authorisation still holds
    with django_capture_on_commit_callbacks(execute=True):
        services.set_member_active(membership=membership, by=world.admin_a, active=False)
    [event] = sent
    assert_session_ended(event, world.guard_a)


def test_logging_out_ends_the_persons_sessions(world, sent, rf, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user_logged_out.send(sender=type(world.liaison_x), request=rf.get("/"), user=world.liaison_x)
    [event] = sent
    assert_session_ended(event, world.liaison_x)


def test_session_ended_has_no_follow_ups():
    assert realtime.follow_ups("session.ended") == realtime.FollowUps()


def test_an_invitation_publishes_its_token_to_the_outbox_writer_only(
    world, published, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = services.invite_member(
            invited_by=world.admin_a, organization=world.provider_a, email="nia@example.test", role=Role.GUARD
        )
    [event] = published
    assert event.name == "invitation.created"
    assert event.payload == {"id": invitation.pk, "organization": world.provider_a.pk, "role": Role.GUARD}
    assert token not in str(event.payload)
    assert event.groups == ()
    assert event.subject == (invitation.pk, services.invitation_url(token))  # the link, with its token
    assert sent == []  # nothing to push and no task: the token never reaches a queue
    message = OutboxMessage.objects.get(idempotency_key=f"invitation:{invitation.pk}")
    assert message.address == "nia@example.test"


def test_an_invitation_is_followed_by_its_email_in_the_same_transaction():
    follow_ups = realtime.follow_ups("invitation.created")
    assert follow_ups.in_transaction == ("notifications.services.invitations.queue_invitation_email",)
    assert follow_ups.tasks == ()
