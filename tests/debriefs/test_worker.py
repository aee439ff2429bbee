"""A real Celery worker process, consuming from Redis, asks for the debrief of a closed incident,
drafts it and renders its PDF."""

import io
import time
import uuid

import pytest
from pypdf import PdfReader

from debriefs.models import Debrief
from dispatch import services as dispatch_services
from incidents import services as incident_services
from portal.celery import app
from tests.factories import report
from tests.processes import base_environ, database_url, spawn, wait_for_text

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def queue():
    """A queue of this test's own, so that no other worker takes its tasks; tasks go to the broker."""
    saved = (app.conf.task_default_queue, app.conf.task_always_eager)
    app.conf.task_default_queue = f"test-{uuid.uuid4().hex[:8]}"
    app.conf.task_always_eager = False
    yield app.conf.task_default_queue
    app.conf.task_default_queue, app.conf.task_always_eager = saved


def test_a_worker_drafts_and_renders_the_debrief_of_a_closed_incident(world, tmp_path, queue, settings):
    env = base_environ(
        DATABASE_URL=database_url(),
        DATA_DIR=str(tmp_path),
        CELERY_QUEUE=queue,
        EVIDENCE_ROOT=str(tmp_path / "evidence"),
        WORKER_CONCURRENCY="1",
    )
    log = tmp_path / "worker.log"
    with spawn(["make", "-s", "worker"], env, log) as worker:
        wait_for_text(log, "ready.", worker, timeout=120)
        incident = report(world.guard_a, world.a1, narrative="Door 3 forced open")
        escalation = dispatch_services.escalate_incident(incident=incident, by=world.supervisor_a)
        dispatch_services.accept_escalation(escalation=escalation, by=world.liaison_x)
        incident_services.close_incident(
            incident=incident, by=world.supervisor_a, resolution="Door repaired", confirmed=True
        )
        deadline = time.monotonic() + 60
        # The debrief is asked for by the closing's follow-up, in the worker.
        while not Debrief.objects.filter(incident=incident).exists() and time.monotonic() < deadline:
            time.sleep(0.3)
        debrief = Debrief.objects.get(incident=incident)
        while time.monotonic() < deadline:
            debrief.refresh_from_db()
            if debrief.pdf_status in (Debrief.Pdf.READY, Debrief.Pdf.FAILED):
                break
            time.sleep(0.3)
        assert debrief.status == Debrief.Status.DRAFT, log.read_text()[-3000:]
        assert debrief.pdf_status == Debrief.Pdf.READY, (debrief.pdf_error, log.read_text()[-3000:])
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(debrief.pdf.open("rb").read())).pages)
    assert incident.reference in text
    assert "Received → triaged" in text
    assert "Door repaired" in text
