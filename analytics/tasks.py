from celery import shared_task
from django.utils import timezone

from analytics import counts, services
from analytics.models import PartnershipReport


@shared_task(
    name="analytics.build_partnership_report",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
)
def build_partnership_report_task(report_id: int) -> None:
    """Build a partnership report's PDF (idempotent: building again replaces it, the admins are
    told once)."""
    report = PartnershipReport.objects.filter(pk=report_id).first()
    if report is not None:
        services.build_partnership_report(report=report)


@shared_task(name="analytics.queue_monthly_reports", acks_late=True)
def queue_monthly_reports_task() -> int:
    """The 1st of the month: the month before's report of every active partnership."""
    return services.queue_monthly_reports(today=timezone.localdate())


@shared_task(
    name="analytics.count_incident",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def count_incident_task(incident_id: int, actor_id: int | None = None) -> None:
    """Place a report that was sent, edited, moved or changed status in the trends' rollup
    (idempotent: its buckets are recounted from their rows; a report gone is taken out)."""
    counts.count_incidents(incident_ids=[incident_id])


@shared_task(name="analytics.count_recent_incidents", acks_late=True)
def count_recent_incidents_task() -> int:
    """Place again the reports of the last hours: what a follow-up lost with the broker missed."""
    return counts.count_recent(since=timezone.now() - counts.RECENT)
