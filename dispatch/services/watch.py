"""Which boards are watching: each open board socket keeps a row with its last ping, so that the
provider's supervisors see when an agency with an open panic has no board watching (docs/board.md)."""

from datetime import datetime

from django.utils import timezone

from accounts.models import User
from dispatch.models import BoardWatch


def open_board_watch(
    *, channel_name: str, user: User, agency_id: int, now: datetime | None = None
) -> BoardWatch:
    """A board socket opened (or reopened under the same channel name): it is watching from now."""
    now = now or timezone.now()
    watch, _ = BoardWatch.objects.update_or_create(
        channel_name=channel_name,
        defaults={
            "user": user,
            "agency_id": agency_id,
            "opened_at": now,
            "last_ping_at": now,
            "closed_at": None,
        },
    )
    return watch


def ping_board_watch(*, channel_name: str, now: datetime | None = None) -> bool:
    """The board's client pinged (every 25 s): it is still watching. False if its row is gone."""
    now = now or timezone.now()
    return bool(
        BoardWatch.objects.filter(channel_name=channel_name, closed_at__isnull=True).update(last_ping_at=now)
    )


def close_board_watch(*, channel_name: str, now: datetime | None = None) -> None:
    """The board socket closed: it no longer watches (the row stays, with its last ping)."""
    now = now or timezone.now()
    BoardWatch.objects.filter(channel_name=channel_name, closed_at__isnull=True).update(closed_at=now)
