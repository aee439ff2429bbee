"""Celery edges of dispatch: each takes ids, calls one service, and returns quietly when the row is
gone. What queues them is in portal/celery.py (FOLLOW_UPS and the beat schedule)."""

from celery import shared_task
from django.db import OperationalError

from accounts.models import User
from dispatch import services


@shared_task(
    name="dispatch.apply_escalation_rules",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),  # a lock timeout or a lost connection: it passes
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def apply_escalation_rules(incident_id: int, actor_id: int | None = None) -> None:
    """Apply the site's escalation rule to a submitted report (idempotent: it escalates once)."""
    services.apply_escalation_rules(
        incident_id=incident_id, by=User.objects.filter(pk=actor_id).first() if actor_id else None
    )


@shared_task(name="dispatch.sweep_escalation_rules", ignore_result=True)
def sweep_escalation_rules() -> int:
    """Apply the rule to the recent reports whose task was lost (broker down at commit, a dead worker)."""
    return services.sweep_escalation_rules()


@shared_task(
    name="dispatch.announce_incident_change",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
def announce_incident_change(incident_id: int, actor_id: int | None = None) -> None:
    """Tell the boards that an escalated incident was verified, sent back or closed (idempotent)."""
    services.announce_incident_change(
        incident_id=incident_id, by=User.objects.filter(pk=actor_id).first() if actor_id else None
    )


@shared_task(name="dispatch.flag_unusual_access", ignore_result=True)
def flag_unusual_access() -> int:
    """The hourly access review: flag unusual access to personal data to the agencies' org admins."""
    return len(services.flag_unusual_access())
