"""The transactional outbox: messages are rows written with the change that causes them; Celery
delivers them after commit, and a periodic sweep picks up whatever was left behind.

A message is claimed with one conditional UPDATE before it is sent, so two workers never send it
at once; a worker that dies mid-send leaves the row ``sending`` until its lease ends, then the
sweeper offers it again. Receivers get the same idempotency key on every try."""

import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from dispatch.models import Escalation
from incidents.models import Incident
from notifications import content, senders
from notifications.models import DeliveryAttempt, Kind, OutboxMessage
from portal.celery import app

logger = logging.getLogger(__name__)

State = OutboxMessage.State
DELIVER_TASK = "notifications.deliver"
BACKOFF_BASE = 5.0  # seconds before the second try; doubles each time
BACKOFF_MAX = 600.0
# When the broker is down, fail fast and leave the work to the sweeper rather than hold the request.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
SWEEP_LIMIT = 500


def _lease(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)


def backoff(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failed ones (with jitter against herds)."""
    delay = min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX)
    return delay * random.uniform(0.8, 1.2)  # noqa: S311  (jitter, not security)


def queue_messages(messages: Sequence[OutboxMessage]) -> list[OutboxMessage]:
    """Store the messages in the current transaction and queue their delivery after it commits.
    A message whose idempotency key is already stored is not stored again."""
    if not messages:
        return []
    now = timezone.now()
    keys = [message.idempotency_key for message in messages]
    known = set(
        OutboxMessage.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True)
    )
    fresh: dict[str, OutboxMessage] = {}
    incident_ids = {message.incident_id for message in messages if message.incident_id}
    marks = dict(Incident.objects.filter(pk__in=incident_ids).values_list("pk", "exercise"))
    for message in messages:
        if message.incident_id in marks:
            message.payload = content.mark_exercise(message.payload, marks[message.incident_id])
        if message.idempotency_key in known or message.idempotency_key in fresh:
            continue
        message.next_attempt_at = now
        message.lease_until = _lease(now) if message.state == State.PENDING else None
        fresh[message.idempotency_key] = message
    created = OutboxMessage.objects.bulk_create(list(fresh.values()))
    pending = [message.pk for message in created if message.state == State.PENDING]
    if pending:
        transaction.on_commit(partial(enqueue, pending))
    return created


def enqueue(message_ids: Sequence[int]) -> None:
    """Queue one delivery task per message. If the broker cannot be reached, the messages are
    marked unqueued and the sweeper queues them when it can."""
    task = app.tasks[DELIVER_TASK]
    for index, message_id in enumerate(message_ids):
        try:
            task.apply_async(args=(message_id,), retry=True, retry_policy=PUBLISH_RETRY)
        except Exception:
            logger.exception("could not queue notification delivery; the sweeper will retry")
            left = list(message_ids[index:])
            OutboxMessage.objects.filter(pk__in=left, state=State.PENDING).update(lease_until=None)
            return


@dataclass(frozen=True)
class Outcome:
    """What one delivery run did: ``state`` None when there was nothing for it to do."""

    state: str | None
    retry_in: float | None = None


def _claim(message_id: int, claim: str, now: datetime) -> tuple[bool, bool]:
    """Take the message for this run. Returns (claimed, was_interrupted)."""
    fields = {
        "state": State.SENDING,
        "claimed_by": claim,
        "lease_until": _lease(now),
        "attempts": F("attempts") + 1,
        "updated_at": now,
    }
    rows = OutboxMessage.objects.filter(pk=message_id)
    if rows.filter(state=State.PENDING, next_attempt_at__lte=now).update(**fields):
        return True, False
    # Sending already: this very task redelivered after its worker died (acks_late), or a sender
    # whose lease ran out.
    stale = Q(claimed_by=claim) | Q(lease_until__lt=now)
    if claim and rows.filter(stale, state=State.SENDING).update(**fields):
        return True, True
    return False, False


def _stop_reason(message: OutboxMessage) -> str:
    """A page is sent only while its escalation still waits for acceptance (checked at delivery)."""
    escalation = message.escalation
    if message.kind != Kind.PAGE or escalation is None:
        return ""
    alert = message.alert
    if alert is not None and alert.acknowledged_at is not None:
        return f"Not sent: acknowledged by {alert.acknowledged_by or 'a person'} first."
    if escalation.status == Escalation.Status.REQUESTED:
        return ""
    return f"Not sent: the escalation was {escalation.get_status_display().lower()} first."


def deliver_message(*, message_id: int, claim: str, retries_itself: bool = False) -> Outcome:
    """Send one outbox message once: claim it, check it is still wanted, send, record the try.
    ``retries_itself``: the caller schedules the next try (a Celery retry) when one is due."""
    now = timezone.now()
    claimed, interrupted = _claim(message_id, claim, now)
    if not claimed:
        return Outcome(None)
    # The recipient's membership and organization too: the access check at delivery
    # (senders.send) reads them, one query each otherwise.
    message = OutboxMessage.objects.select_related(
        "recipient__membership__organization", "endpoint", "escalation", "incident", "alert__acknowledged_by"
    ).get(pk=message_id)
    if interrupted:
        _log(
            message,
            number=message.attempts - 1,
            ok=False,
            detail="Interrupted: the worker was lost mid-send.",
        )
    stop = _stop_reason(message)
    if stop:
        _close(message, claim, state=State.CANCELLED, error=stop)
        return Outcome(State.CANCELLED)
    started = time.perf_counter()
    try:
        result = senders.send(message)
    except Exception as error:
        logger.exception("notification %s: sender crashed", message.pk)
        result = senders.SendResult.failed(f"{error.__class__.__name__}: {error}")
    _log(
        message,
        number=message.attempts,
        ok=result.ok,
        detail=result.detail,
        status_code=result.status_code,
        duration_ms=round((time.perf_counter() - started) * 1000),
    )
    done = timezone.now()
    if result.ok:
        # Delivered wins even over a later claimant's failure: the receiver has it.
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=State.DELIVERED,
            delivered_at=done,
            last_error="",
            lease_until=None,
            updated_at=done,
            **_spent(message),
        )
        return Outcome(State.DELIVERED)
    if result.skipped:
        _close(message, claim, state=State.SKIPPED, error=result.detail)
        return Outcome(State.SKIPPED)
    if result.permanent or message.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        _close(message, claim, state=State.FAILED, error=result.detail)
        return Outcome(State.FAILED)
    delay = backoff(message.attempts)
    retry_at = done + timedelta(seconds=delay)
    OutboxMessage.objects.filter(pk=message.pk, state=State.SENDING, claimed_by=claim).update(
        state=State.PENDING,
        next_attempt_at=retry_at,
        # A Celery retry is on its way: the sweeper leaves the message to it for a lease.
        lease_until=_lease(retry_at) if retries_itself else None,
        last_error=result.detail,
        updated_at=done,
    )
    return Outcome(State.PENDING, retry_in=delay)


def _close(message: OutboxMessage, claim: str, *, state: str, error: str) -> None:
    OutboxMessage.objects.filter(pk=message.pk, state=State.SENDING, claimed_by=claim).update(
        state=state, last_error=error, lease_until=None, updated_at=timezone.now(), **_spent(message)
    )


def _spent(message: OutboxMessage) -> dict[str, Any]:
    """What a message no longer keeps once its delivery is final: an invitation's link is a live
    credential (the invitation itself keeps only its hash), so only the email's subject stays."""
    if message.kind != Kind.INVITATION:
        return {}
    return {"payload": {"subject": message.payload.get("subject", "")}}


def _log(
    message: OutboxMessage,
    *,
    number: int,
    ok: bool,
    detail: str,
    status_code: int | None = None,
    duration_ms: int = 0,
) -> None:
    DeliveryAttempt.objects.create(
        message=message,
        number=max(number, 1),
        at=timezone.now(),
        ok=ok,
        detail=detail[:2000],
        status_code=status_code,
        duration_ms=duration_ms,
    )


def queue_backlog() -> int | None:
    """How many tasks wait in the workers' queue (every priority), or None if the broker cannot say."""
    try:
        with app.connection_for_read() as connection:
            channel: Any = connection.default_channel  # kombu's virtual channel (Redis, memory)
            declared = channel.queue_declare(queue=app.conf.task_default_queue, passive=True)
            return int(declared.message_count)
    except Exception:
        return None


def sweep_outbox(*, now: datetime | None = None, limit: int = SWEEP_LIMIT) -> int:
    """Queue again what was left behind: due messages nobody queued (broker down at commit, a retry
    that could not be queued), messages whose task was lost (its lease ran out before any worker
    took it: Redis restarted with it queued) and messages whose sender died. Returns how many.

    While the queue holds tasks, a message whose lease ran out before a worker took it may well be
    one of them, and a second task would only wait behind the first: it gets another lease instead,
    and is queued again once the queue is empty (its task was lost). Otherwise each sweep adds a task
    per waiting message to the very backlog that delays them (the fault run saw 12,000 queued for
    3,000 messages, nearly all for ones already sent)."""
    now = now or timezone.now()
    stale = Q(state=State.SENDING, lease_until__lt=now)
    due = Q(state=State.PENDING, next_attempt_at__lte=now)
    lapsed = due & Q(lease_until__lt=now)
    backlog = queue_backlog()
    if backlog:  # None: no such queue any more (Redis restarted empty) or no broker: queue them
        OutboxMessage.objects.filter(lapsed).update(lease_until=_lease(now))
        waiting = due & Q(lease_until__isnull=True)
    else:
        waiting = due & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    rows = list(
        OutboxMessage.objects.filter(stale | waiting)
        .order_by("next_attempt_at")
        .values_list("pk", "state")[:limit]
    )
    if not rows:
        return 0
    ids = [pk for pk, _ in rows]
    lost = [pk for pk, state in rows if state == State.SENDING]
    for message in OutboxMessage.objects.filter(stale, pk__in=lost):
        _log(message, number=message.attempts, ok=False, detail="Interrupted: the worker was lost mid-send.")
    OutboxMessage.objects.filter(stale, pk__in=lost).update(
        state=State.PENDING,
        claimed_by="",
        last_error="The last try was interrupted; trying again.",
        updated_at=now,
    )
    OutboxMessage.objects.filter(pk__in=ids, state=State.PENDING).update(lease_until=_lease(now))
    enqueue(ids)
    return len(ids)


def cancel_pages(*, escalation: Escalation, reason: str) -> int:
    """Stop every page of the escalation not yet sent (in the transaction that accepts it)."""
    return OutboxMessage.objects.filter(escalation=escalation, kind=Kind.PAGE, state=State.PENDING).update(
        state=State.CANCELLED, last_error=reason, lease_until=None, updated_at=timezone.now()
    )


def forget_addresses(*, key_prefix: str) -> int:
    """Erase the addresses and words of the messages whose key starts with ``key_prefix`` (a higher
    app's personal data kept for a set time: community events' residents); the rows stay, counted."""
    return OutboxMessage.objects.filter(idempotency_key__startswith=key_prefix).update(
        address="", recipient_label="(deleted)", payload={}, updated_at=timezone.now()
    )
