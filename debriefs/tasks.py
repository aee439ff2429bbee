from celery import shared_task

from debriefs import services
from debriefs.models import Debrief


@shared_task(
    name="debriefs.draft_debrief",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def draft_debrief_task(debrief_id: int) -> None:
    """Draft a debrief's facts from its incident's timeline (idempotent)."""
    debrief = Debrief.objects.filter(pk=debrief_id).first()
    if debrief is not None:
        services.draft_debrief(debrief=debrief)


@shared_task(name="debriefs.render_debrief_pdf", acks_late=True, reject_on_worker_lost=True, max_retries=2)
def render_debrief_pdf_task(debrief_id: int) -> None:
    """Render a debrief's PDF (idempotent: rendering again replaces the file and its hash)."""
    debrief = Debrief.objects.filter(pk=debrief_id).first()
    if debrief is not None:
        services.render_pdf(debrief=debrief)


@shared_task(name="debriefs.resume_stalled")
def resume_stalled_task() -> int:
    """Queue again the drafting or rendering that a lost message or a dead worker left behind."""
    return services.resume_stalled()
