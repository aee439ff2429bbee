"""Celery edges of notifications: each takes ids, calls one service, and returns quietly when the
row is gone. Their schedule is in portal/celery.py."""

from datetime import datetime
from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from incidents.models import Incident, TimelineEntry
from notifications import services
from notifications.services import acknowledgements, heartbeats


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


@shared_task(name="notifications.sweep_report_announcements", ignore_result=True)
def sweep_report_announcements() -> int:
    """Announce recent reports whose own task was lost (the fault run found them: docs/RELIABILITY.md)."""
    return services.sweep_report_announcements()


# Follow-ups of incidents' events (portal/celery.py FOLLOW_UPS): after the commit, idempotent.


@shared_task(
    name="notifications.notify_report_submitted",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def notify_report_submitted(incident_id: int, actor_id: int | None = None) -> int:
    """Tell the provider's supervisors of a submitted report (once, however often it runs)."""
    incident = Incident.objects.select_related("site__provider", "category", "reporter").filter(
        pk=incident_id
    )
    found = incident.first()
    return len(services.notify_report_submitted(incident=found)) if found else 0


@shared_task(
    name="notifications.notify_info_requested", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def notify_info_requested(incident_id: int, actor_id: int | None = None, entry_id: int | None = None) -> int:
    """Tell a guard of a supervisor's question about their report (once per question)."""
    entry = TimelineEntry.objects.select_related("incident__site", "actor").filter(pk=entry_id or 0).first()
    if entry is None or entry.incident_id != incident_id:
        return 0
    return len(services.notify_info_requested(incident=entry.incident, entry=entry))


@shared_task(
    name="notifications.notify_info_provided", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def notify_info_provided(incident_id: int, actor_id: int | None = None, entry_id: int | None = None) -> int:
    """Tell the supervisor who asked of the guard's answer (once per answer)."""
    entry = TimelineEntry.objects.select_related("incident__site", "actor").filter(pk=entry_id or 0).first()
    if entry is None or entry.incident_id != incident_id:
        return 0
    return len(services.notify_info_provided(incident=entry.incident, entry=entry))


@shared_task(
    name="notifications.announce_triage", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def announce_triage(incident_id: int, actor_id: int | None = None) -> None:
    """Push the provider's triage count to its supervisors' open pages."""
    incident = Incident.objects.select_related("site").filter(pk=incident_id).first()
    if incident is not None:
        services.announce_triage(incident=incident)


@shared_task(name="notifications.remind_stale_escalations", ignore_result=True)
def remind_stale_escalations() -> int:
    """Remind liaisons of accepted escalations left without a dispatch or on-scene update."""
    return services.remind_stale_escalations()


@shared_task(name="notifications.exhaust_due_alerts", ignore_result=True)
def exhaust_due_alerts() -> int:
    """Broadcast the alerts whose ladder ran out without a human acknowledgement."""
    return acknowledgements.exhaust_due_alerts()


@shared_task(name="notifications.beat_tick", ignore_result=True)
def beat_tick() -> int:
    """Beat's own heartbeat, and a pong asked of every worker queue (HEARTBEAT_QUEUES)."""
    now = timezone.now()
    heartbeats.record_heartbeat(name="beat", now=now)
    for queue in settings.HEARTBEAT_QUEUES:
        queue_pong.apply_async(args=(queue, now.isoformat()), queue=queue, expires=60)
    return len(settings.HEARTBEAT_QUEUES)


@shared_task(name="notifications.queue_pong", ignore_result=True)
def queue_pong(queue: str, asked_at: str) -> None:
    """A worker of ``queue`` answers beat: the queue is drained, and how fast."""
    heartbeats.record_queue_pong(queue=queue, asked_at=datetime.fromisoformat(asked_at))


@shared_task(name="notifications.run_canary", ignore_result=True)
def run_canary() -> int:
    """The synthetic canary (off unless CANARY_MINUTES is set): judge the last, send the next."""
    return heartbeats.run_canary()
