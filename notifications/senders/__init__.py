"""One sender per channel: each takes an outbox message and reports a SendResult."""

from collections.abc import Callable

from notifications import policy
from notifications.models import Channel, OutboxMessage
from notifications.senders import email, in_app, sms, webhook
from notifications.senders.base import SendResult

SENDERS: dict[str, Callable[[OutboxMessage], SendResult]] = {
    Channel.IN_APP: in_app.send,
    Channel.EMAIL: email.send,
    Channel.SMS: sms.send,
    Channel.WEBHOOK: webhook.send,
}


def send(message: OutboxMessage) -> SendResult:
    """Send one message on its channel; a person who may no longer see the incident is skipped."""
    # An email to an address (an invitee) is for no account yet: there is no account to check.
    if message.channel != Channel.WEBHOOK and not message.address:
        recipient = message.recipient
        if recipient is None or not recipient.is_active:
            return SendResult.skip("The recipient's account is gone or deactivated.")
        if message.incident is not None and not policy.can_be_notified_about(recipient, message.incident):
            return SendResult.skip(f"{recipient} may no longer see this incident.")
    return SENDERS[message.channel](message)


__all__ = ["SENDERS", "SendResult", "send"]
