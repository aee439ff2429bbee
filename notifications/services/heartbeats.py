"""Heartbeats: beat records its tick, and asks every worker queue for a pong that the worker
records; the outbox, the webhook endpoints and the boards are read from their own rows
(selectors.list_heartbeats). The optional synthetic canary (CANARY_MINUTES, off by default) sends
a test alert through one channel to one recipient and tells the platform admins when it did not
arrive in time: measured at arrival (SMTP acceptance, the in-app page's receipt), not at sending."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from notifications import content
from notifications.models import Channel, Heartbeat, Kind, OutboxMessage, Receipt, SentReminder
from notifications.services.alerts import person_messages
from notifications.services.outbox import queue_messages

CANARY_KEY = "canary:"
CANARY_VERDICT = "canary-verdict:"
ARRIVED = (Receipt.DELIVERED, Receipt.ACKNOWLEDGED)


def record_heartbeat(*, name: str, now: datetime | None = None, **detail: object) -> Heartbeat:
    """The signal ``name`` was seen now (beat's tick, a queue's pong)."""
    now = now or timezone.now()
    heartbeat, _ = Heartbeat.objects.update_or_create(name=name, defaults={"at": now, "detail": detail})
    return heartbeat


def record_queue_pong(*, queue: str, asked_at: datetime, now: datetime | None = None) -> Heartbeat:
    """A worker on ``queue`` ran the pong that beat asked for at ``asked_at``."""
    now = now or timezone.now()
    lag_ms = max(round((now - asked_at).total_seconds() * 1000), 0)
    return record_heartbeat(name=f"queue:{queue}", now=now, lag_ms=lag_ms)


def canary_recipient() -> User | None:
    """The account CANARY_RECIPIENT names (its email address), if it is active."""
    email = settings.CANARY_RECIPIENT
    if not email:
        return None
    return User.objects.filter(is_active=True, email__iexact=email).first()


def arrived_at(message: OutboxMessage) -> datetime | None:
    """When the canary reached its recipient: the page's receipt in-app, the channel's acceptance else."""
    if message.receipt not in ARRIVED:
        return None
    return message.received_at if message.channel == Channel.IN_APP else message.delivered_at


def _judge(message: OutboxMessage, now: datetime) -> bool | None:
    """True: arrived in time; False: missed the deadline; None: still within it."""
    deadline = message.created_at + timedelta(seconds=settings.CANARY_DEADLINE_SECONDS)
    arrival = arrived_at(message)
    if arrival is not None and arrival <= deadline:
        return True
    return False if now >= deadline else None


@transaction.atomic
def _record_verdict(message: OutboxMessage, *, arrived: bool, now: datetime) -> list[OutboxMessage]:
    _, first = SentReminder.objects.get_or_create(key=f"{CANARY_VERDICT}{message.pk}")
    if not first:
        return []
    arrival = arrived_at(message)
    record_heartbeat(
        name="canary",
        now=now,
        arrived=arrived,
        channel=message.channel,
        sent_at=message.created_at.isoformat(),
        seconds=None if arrival is None else round((arrival - message.created_at).total_seconds(), 1),
    )
    if arrived:
        return []
    admins = User.objects.filter(is_active=True, is_staff=True).order_by("pk")
    return queue_messages(
        person_messages(
            users=admins,
            kind=Kind.CANARY,
            incident=None,
            payload=content.canary_missed(
                channel=message.get_channel_display(),
                recipient=message.recipient_label,
                sent_at=message.created_at,
                deadline=settings.CANARY_DEADLINE_SECONDS,
            ),
            key=f"canary-missed:{message.pk}",
            reason="The delivery canary did not arrive in time",
            offered=(Channel.IN_APP, Channel.EMAIL),
            required=(Channel.IN_APP, Channel.EMAIL),
        )
    )


def run_canary(*, now: datetime | None = None) -> int:
    """Judge the canaries sent (alert the platform admins about one that missed its deadline), then
    send the next when CANARY_MINUTES have passed. Returns how many canaries it sent (0 or 1)."""
    if settings.CANARY_MINUTES <= 0:
        return 0
    now = now or timezone.now()
    judged = SentReminder.objects.filter(key__startswith=CANARY_VERDICT).values_list("key", flat=True)
    done = {int(key.removeprefix(CANARY_VERDICT)) for key in judged}
    outstanding = OutboxMessage.objects.filter(kind=Kind.CANARY, idempotency_key__startswith=CANARY_KEY)
    for message in outstanding.exclude(pk__in=done).order_by("pk"):
        verdict = _judge(message, now)
        if verdict is not None:
            _record_verdict(message, arrived=verdict, now=now)
    recipient = canary_recipient()
    if recipient is None:
        return 0
    last = outstanding.order_by("-created_at").values_list("created_at", flat=True).first()
    if last is not None and now - last < timedelta(minutes=settings.CANARY_MINUTES):
        return 0
    with transaction.atomic():
        sent = queue_messages(
            person_messages(
                users=[recipient],
                kind=Kind.CANARY,
                incident=None,
                payload=content.canary(channel=settings.CANARY_CHANNEL, sent_at=now),
                key=f"{CANARY_KEY}{now:%Y%m%dT%H%M%S}",
                reason=f"The delivery canary, every {settings.CANARY_MINUTES} min",
                offered=(settings.CANARY_CHANNEL,),
                required=(settings.CANARY_CHANNEL,),
            )
        )
    return len(sent)
