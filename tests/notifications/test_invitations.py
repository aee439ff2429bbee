"""The invitation email goes through the outbox: written with the invitation, delivered after commit
with the outbox's retries, and its link forgotten once the delivery is final."""

import smtplib

from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Role
from notifications import services
from notifications.models import Channel, Kind, OutboxMessage
from notifications.senders.email import message_id
from notifications.services import outbox

State = OutboxMessage.State


def invite(world, email="nia@example.test"):
    return account_services.invite_member(
        invited_by=world.admin_a, organization=world.provider_a, email=email, role=Role.GUARD
    )


def test_the_email_is_an_outbox_row_of_the_inviting_transaction_sent_after_commit(
    world, django_capture_on_commit_callbacks, eager
):
    with django_capture_on_commit_callbacks() as callbacks:
        _, token = invite(world)
        message = OutboxMessage.objects.get(kind=Kind.INVITATION)
    assert [getattr(callback, "func", None) for callback in callbacks] == [outbox.enqueue]
    assert mail.outbox == []
    assert message.channel == Channel.EMAIL
    assert message.recipient is None
    assert message.address == message.recipient_label == "nia@example.test"
    assert message.incident is None
    assert message.state == State.PENDING
    assert account_services.invitation_url(token) in message.payload["text"]
    callbacks[0]()
    message.refresh_from_db()
    assert message.state == State.DELIVERED
    (email,) = mail.outbox
    assert email.to == ["nia@example.test"]
    assert email.subject == f"You are invited to Watchpost by {world.provider_a}"
    assert account_services.invitation_url(token) in email.body
    html, mime = email.alternatives[0]
    assert mime == "text/html"
    assert f'href="{account_services.invitation_url(token)}"' in html
    assert message.payload == {"subject": email.subject}  # the link is not kept once it is sent


def test_a_failed_send_is_tried_again_with_the_same_email(world, monkeypatch):
    _, token = invite(world)
    message = OutboxMessage.objects.get(kind=Kind.INVITATION)
    real_send = EmailMultiAlternatives.send

    def down(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("connection lost")

    monkeypatch.setattr(EmailMultiAlternatives, "send", down)
    outcome = services.deliver_message(message_id=message.pk, claim="t")
    assert outcome.state == State.PENDING
    message.refresh_from_db()
    assert message.last_error.startswith("Mail server: SMTPServerDisconnected")
    assert account_services.invitation_url(token) in message.payload["text"]  # kept for the next try
    monkeypatch.setattr(EmailMultiAlternatives, "send", real_send)
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert services.deliver_message(message_id=message.pk, claim="t").state == State.DELIVERED
    (email,) = mail.outbox
    assert account_services.invitation_url(token) in email.body
    assert email.extra_headers["Message-ID"] == message_id(message.idempotency_key)


def test_an_email_that_fails_for_good_forgets_its_link_too(world, monkeypatch, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 1
    _, token = invite(world)
    message = OutboxMessage.objects.get(kind=Kind.INVITATION)

    def refused(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"nia@example.test": (550, b"no such user")})

    monkeypatch.setattr(EmailMultiAlternatives, "send", refused)
    assert services.deliver_message(message_id=message.pk, claim="t").state == State.FAILED
    message.refresh_from_db()
    assert token not in str(message.payload)
    assert message.payload == {"subject": f"You are invited to Watchpost by {world.provider_a}"}


def test_each_invitation_is_one_message(world):
    first, _ = invite(world)
    second, _ = invite(world)  # inviting again revokes the first invitation and writes a new email
    keys = set(OutboxMessage.objects.filter(kind=Kind.INVITATION).values_list("idempotency_key", flat=True))
    assert keys == {f"invitation:{first.pk}", f"invitation:{second.pk}"}
