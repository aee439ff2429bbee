"""What the patrol services share: clocks, skew, places and alerts through notifications."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Site, User
from notifications.models import Channel, Kind
from notifications.services.alerts import person_messages, unique_people
from notifications.services.outbox import queue_messages
from patrols import events
from patrols.models import PatrolSettings
from portal.realtime import publish_on_commit

# Alerts about patrols reach people in-app and by email whatever they chose, and the channels they chose.
ALERT_CHANNELS = (Channel.IN_APP, Channel.EMAIL)


def announce_board(site: Site, cause: str) -> None:
    """Tell the provider's patrol boards, once the change commits, that the site's row moved."""
    publish_on_commit(events.patrol_board_changed(site_id=site.pk, provider_id=site.provider_id, cause=cause))


def settings_of(site: Site) -> PatrolSettings:
    """The site's patrol settings (an unsaved default when it has none)."""
    return PatrolSettings.objects.filter(site=site).first() or PatrolSettings(site=site)


def skew(*, device_at: datetime | None, received_at: datetime, site: Site) -> tuple[int | None, bool]:
    """Device time minus server time in seconds, and whether it is past the site's threshold. Never
    corrected: both times are kept and the difference is shown."""
    if device_at is None:
        return None, False
    seconds = round((device_at - received_at).total_seconds())
    return seconds, abs(seconds) > settings_of(site).skew_threshold_seconds


def coordinate(value: Any, *, limit: int, name: str) -> Decimal | None:
    """A latitude or longitude from the browser, or None; out of range or not a number: refused."""
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise ValidationError({name: f"The {name} is not a number."}) from None
    if not -limit <= number <= limit:
        raise ValidationError({name: f"The {name} is out of range."})
    return number


def local(moment: datetime, site: Site) -> str:
    return f"{timezone.localtime(moment, site.zone):%H:%M %Z}"


def alert(
    *, users: Iterable[User | None], key: str, title: str, text: str, path: str, kind: str = Kind.PATROL
) -> int:
    """Queue a patrol alert for these people: in-app and email always, plus their own channels.
    One key is sent once (the outbox's idempotency keys). Returns how many messages were queued."""
    people = unique_people(users)
    payload = {
        "event": "patrol.alert",
        "title": title[:200],
        "text": text,
        "sms": f"Watchpost: {title}"[:140],
        "path": path,
    }
    messages = person_messages(
        users=people,
        kind=kind,
        incident=None,
        payload=payload,
        key=key,
        reason=title,
        required=ALERT_CHANNELS,
    )
    return len(queue_messages(messages))
