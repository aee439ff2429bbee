from datetime import datetime

from celery import shared_task
from django.utils import timezone

from patrols import services
from patrols.models import DailyReport, ReportSend


@shared_task(
    name="patrols.build_daily_report",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
)
def build_daily_report_task(report_id: int) -> None:
    """Build a daily activity report's content and PDF (idempotent: building again replaces them)."""
    report = DailyReport.objects.filter(pk=report_id).first()
    if report is not None:
        services.build_report(report=report)


@shared_task(name="patrols.send_daily_report", acks_late=True, reject_on_worker_lost=True, max_retries=3)
def send_daily_report_task(send_id: int) -> None:
    """Email one daily activity report to one client contact (a send already sent is not sent again)."""
    send = ReportSend.objects.filter(pk=send_id).first()
    if send is not None:
        services.deliver_send(send=send)


@shared_task(name="patrols.sweep")
def sweep_task(now: str | None = None) -> dict[str, int]:
    """The patrol timers (rows): missed tour rounds, missed check-ins and their ladders, stalled
    reports, shifts left open past their end. ``now`` (ISO 8601) is for tests that drive the clock;
    the beat sends none."""
    moment = datetime.fromisoformat(now) if now else timezone.now()
    raised, climbed = services.sweep_checkins(now=moment)
    return {
        "missed_rounds": services.sweep_missed_rounds(now=moment),
        "missed_checkins": raised,
        "ladder_steps": climbed,
        "overdue_shifts": services.sweep_overdue_shifts(now=moment),
        "resumed": services.resume_stalled(),
    }


@shared_task(
    name="patrols.escalate_joint_patrol_report",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def escalate_joint_patrol_report_task(incident_id: int, actor_id: int | None = None) -> None:
    """A report filed during a joint patrol is escalated to the patrol's agency (idempotent)."""
    services.escalate_joint_patrol_report(incident_id=incident_id)
