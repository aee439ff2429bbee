from celery import shared_task

from accounts.models import User
from debriefs import services
from debriefs.models import Debrief
from incidents.models import Incident


@shared_task(
    name="debriefs.request_debrief",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def request_debrief_task(incident_id: int, actor_id: int | None) -> None:
    """Ask for the debrief of a closed incident (idempotent: one request however often it runs;
    nothing for an incident that is gone or not closed)."""
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is not None:
        closed_by = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
        services.request_debrief_on_close(incident=incident, closed_by=closed_by)


@shared_task(
    name="debriefs.draft_drill_debrief",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def draft_drill_debrief_task(incident_id: int | None, drill: dict[str, object]) -> None:
    """``drill.closed``: the drill's debrief, on its first exercise incident (nothing when no
    incident was filed in the drill: nothing was measured)."""
    incident = Incident.objects.filter(pk=incident_id).first() if incident_id is not None else None
    if incident is not None:
        services.request_drill_debrief(incident=incident, drill=drill)


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


@shared_task(name="debriefs.remind_corrective_actions", ignore_result=True)
def remind_corrective_actions_task() -> int:
    """Remind owners (and, when overdue, supervisors) of corrective actions; each reminder once."""
    return services.remind_corrective_actions()
