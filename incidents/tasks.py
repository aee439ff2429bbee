from datetime import timedelta

from celery import shared_task

from incidents import selectors, services
from incidents.models import Evidence
from incidents.services import retention

STALLED_AFTER = timedelta(minutes=2)


@shared_task(name="incidents.make_thumbnail", acks_late=True, reject_on_worker_lost=True, max_retries=2)
def make_thumbnail_task(evidence_id: int) -> None:
    """Make an evidence photo's thumbnail, within the pixel budget (idempotent)."""
    evidence = Evidence.objects.filter(pk=evidence_id).first()
    if evidence is not None:
        services.make_thumbnail(evidence=evidence)


@shared_task(
    name="incidents.render_redacted_preview", acks_late=True, reject_on_worker_lost=True, max_retries=2
)
def render_redacted_preview_task(evidence_id: int) -> None:
    """Render the agency's redacted copy of a photo's preview (idempotent)."""
    evidence = Evidence.objects.filter(pk=evidence_id).first()
    if evidence is not None:
        services.render_redacted_preview(evidence=evidence)


@shared_task(name="incidents.sweep_thumbnails")
def sweep_thumbnails_task() -> int:
    """Queue again the thumbnails and redacted copies a lost message or a dead worker left pending."""
    stalled = selectors.list_stalled_thumbnails(older_than=STALLED_AFTER)
    for evidence_id in stalled:
        make_thumbnail_task.delay(evidence_id)
    redacted = selectors.list_stalled_redacted_previews(older_than=STALLED_AFTER)
    for evidence_id in redacted:
        render_redacted_preview_task.delay(evidence_id)
    return len(stalled) + len(redacted)


@shared_task(name="incidents.apply_retention", acks_late=True, ignore_result=True)
def apply_retention_task() -> int:
    """Delete what every organization keeps no longer, with the deletion ledger (idempotent: what is
    gone is no longer due); return how many items went."""
    return retention.apply_retention().total
