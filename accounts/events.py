"""Account events: a user's own group, which every socket of theirs joins."""

from portal.realtime import Event


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def session_ended(user_id: int) -> Event:
    """``session.ended``: every socket of the user closes (logout, deactivation, role change)."""
    return Event(name="session.ended", payload={}, groups=(user_group(user_id),))
