"""Celery edges of notifications: each takes ids, calls one service, and returns quietly when the
row is gone. Their schedule is in portal/celery.py."""

from typing import Any

from celery import shared_task

from notifications import services


@shared_task(
    bind=True,
    name=services.DELIVER_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # the outbox row counts tries (NOTIFY_MAX_ATTEMPTS)
    ignore_result=True,
)
def deliver_notification(self: Any, message_id: int) -> str | None:
    """Send one outbox message; on a passing failure, try again after the service's backoff."""
    eager = bool(self.request.is_eager)
    outcome = services.deliver_message(
        message_id=message_id, claim=self.request.id or "", retries_itself=not eager
    )
    if outcome.retry_in is not None and not eager:
        # Eager (embedded default): the in-process sweep retries instead of a blocking recursion.
        raise self.retry(countdown=outcome.retry_in)
    return outcome.state


@shared_task(name="notifications.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    """Queue again the messages left behind (broker down at commit, a worker lost mid-send)."""
    return services.sweep_outbox()


@shared_task(name="notifications.fire_due_timers", ignore_result=True)
def fire_due_timers() -> int:
    """Fire the escalation-policy steps that are due."""
    return services.fire_due_timers()
