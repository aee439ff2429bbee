"""Account events: a user's own group, which every socket of theirs joins, and invitations."""

from typing import TYPE_CHECKING

from portal.realtime import Event

if TYPE_CHECKING:  # accounts/apps.py imports this module before the models are ready
    from accounts.models import Invitation


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def session_ended(user_id: int) -> Event:
    """``session.ended``: every socket of the user closes (logout, deactivation, role change)."""
    return Event(name="session.ended", payload={}, groups=(user_group(user_id),))


def invitation_created(invitation: "Invitation", *, url: str) -> Event:
    """``invitation.created``: pushed to nobody; its follow-up writes the email with the link.

    The subject is ``(invitation pk, link)``: the link carries the raw token, which exists only at
    creation (the invitation keeps its hash), and the address the inviting request came to (a worker
    knows neither); it reaches the email in the inviting transaction, never a queue or a push.
    """
    return Event(
        name="invitation.created",
        payload={"id": invitation.pk, "organization": invitation.organization_id, "role": invitation.role},
        subject=(invitation.pk, url),
    )
