"""The invitation email, as an outbox message: written in the inviting transaction, delivered with
the outbox's retries.

The link carries the invitation's raw token, which nothing else keeps (the invitation stores its
hash): the message holds the rendered email until its delivery is final, then only its subject.
"""

from django.conf import settings
from django.template.loader import render_to_string

from accounts.models import Invitation
from notifications.models import Channel, Kind, OutboxMessage
from notifications.services.outbox import queue_messages
from portal.realtime import Event


def queue_invitation_email(event: Event) -> None:
    """``invitation.created`` (an in-transaction follow-up): the email with the link, to the outbox."""
    invitation_id, url = event.subject  # the link, made where the request came in
    invitation = Invitation.objects.select_related("organization", "invited_by").get(pk=invitation_id)
    context = {
        "invitation": invitation,
        "url": url,
        "valid_days": settings.INVITATION_VALID_DAYS,
    }
    queue_messages(
        [
            OutboxMessage(
                kind=Kind.INVITATION,
                channel=Channel.EMAIL,
                address=invitation.email,
                recipient_label=invitation.email[:200],
                reason=f"Invited by {invitation.invited_by}"[:200],
                payload={
                    "subject": f"You are invited to Watchpost by {invitation.organization}",
                    "text": render_to_string("accounts/email/invitation.txt", context),
                    "html": render_to_string("accounts/email/invitation.html", context),
                },
                idempotency_key=f"invitation:{invitation.pk}",
            )
        ]
    )
