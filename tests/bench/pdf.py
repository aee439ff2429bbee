"""The debrief PDF of an incident with a long timeline, rendered by a real Celery worker process
(prefork, one child, as `make worker` starts it), timed from queueing to the stored PDF."""

import re
import time
import uuid
from typing import Any

from celery import current_app
from django.utils import timezone

from debriefs.models import Debrief
from debriefs.tasks import render_debrief_pdf_task
from dispatch import services as dispatch_services
from incidents import services as incident_services
from incidents.models import Incident
from tests.bench import world as bench_world
from tests.bench.common import DATA_DIR, PYTHON, Scale, say, server_environment, summary_ms
from tests.processes import spawn, wait_for_text

RENDERS = 5  # warm renders after the first (cold) one
QUEUE = "bench-pdf"
SUCCEEDED = re.compile(r"Task debriefs\.render_debrief_pdf\[[^\]]+\] succeeded in ([0-9.]+)s")


def incident_with_timeline(world: bench_world.World, entries: int) -> Incident:
    """A report escalated, worked with messages and notes, cleared and closed: ``entries`` entries."""
    liaison = world.liaisons[0]
    supervisor = world.supervisor
    incident = bench_world.submitted_incidents(world, 1)[0]
    incident = incident_services.accept_incident(incident=incident, by=supervisor)
    escalation = dispatch_services.escalate_incident(
        incident=incident, by=supervisor, reason="Van seen again"
    )
    dispatch_services.accept_escalation(escalation=escalation, by=liaison)
    dispatch_services.mark_dispatched(escalation=escalation, by=liaison)
    for n in range(40):
        author = liaison if n % 2 else supervisor
        dispatch_services.post_message(incident=incident, by=author, text=f"Update {n}: van heading north.")
    dispatch_services.mark_on_scene(escalation=escalation, by=liaison)
    dispatch_services.clear_escalation(escalation=escalation, by=liaison, disposition="Two arrested")
    while incident.timeline.count() < entries - 1:
        incident_services.add_note(
            incident=incident, by=supervisor, text="Reviewed CCTV from camera 7; stills added to the file."
        )
    return incident


def _wait_requested(incident: Incident, timeout: float = 120) -> Debrief:
    """The debrief the closing's follow-up asks for, in the worker."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        debrief = Debrief.objects.filter(incident=incident).first()
        if debrief is not None:
            return debrief
        time.sleep(0.02)
    raise RuntimeError("the worker asked for no debrief in time")


def _wait_rendered(debrief: Debrief, after: Any, timeout: float = 120) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        debrief.refresh_from_db(fields=["pdf_status", "pdf_generated_at", "pdf_error"])
        if debrief.pdf_status == Debrief.Pdf.FAILED:
            raise RuntimeError(f"PDF failed: {debrief.pdf_error}")
        if (
            debrief.pdf_status == Debrief.Pdf.READY
            and debrief.pdf_generated_at
            and debrief.pdf_generated_at > after
        ):
            return time.monotonic() - started
        time.sleep(0.02)
    raise RuntimeError("the worker rendered no PDF in time")


def run(scale: Scale) -> dict[str, Any]:
    world = bench_world.build(liaisons=1, guards=2)
    say(f"pdf: an incident with {scale.timeline} timeline entries (through the services)")
    incident = incident_with_timeline(world, scale.timeline)
    log = DATA_DIR / "pdf-worker.log"
    command = [
        PYTHON,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "--loglevel=INFO",
        "--concurrency=1",
        "-Q",
        QUEUE,
    ]
    saved = current_app.conf.task_default_queue
    current_app.conf.task_default_queue = QUEUE
    try:
        with spawn(command, server_environment(CELERY_QUEUE=QUEUE), log) as worker:
            wait_for_text(log, "ready.", worker, timeout=120)
            say("pdf: closing the incident: the worker drafts the debrief and renders its PDF")
            before = timezone.now()
            started = time.monotonic()
            incident_services.close_incident(
                incident=incident, by=world.supervisor, resolution="Van recovered"
            )
            debrief = _wait_requested(incident)
            _wait_rendered(debrief, before)
            first = time.monotonic() - started
            renders = []
            for _ in range(RENDERS):
                before = timezone.now()
                render_debrief_pdf_task.apply_async(args=(debrief.pk,), task_id=str(uuid.uuid4()))
                renders.append(_wait_rendered(debrief, before))
            time.sleep(0.5)
            in_worker = [float(value) for value in SUCCEEDED.findall(log.read_text(errors="replace"))]
    finally:
        current_app.conf.task_default_queue = saved
    debrief.refresh_from_db()
    return {
        "timeline_entries": incident.timeline.count(),
        "pdf_bytes": debrief.pdf.size if debrief.pdf else 0,
        "first_seconds": round(first, 2),
        "render_ms": summary_ms(renders),
        "task_seconds_in_worker": in_worker,
    }
