"""A real Celery worker on Redis and PostgreSQL runs the patrol timers (the beat's own task, sent
with the test's clock): a missed round and a missed check-in alert once, at the right time, the
ladder climbs and stops on acknowledgement; the shift's report is built and sent by the worker."""

import ast
import time
import uuid

import pytest

from notifications.models import Kind, OutboxMessage
from patrols import services
from patrols.models import DailyReport, LoneWorkerAlert, ReportSend, TourRound
from patrols.tasks import sweep_task
from portal.celery import app
from tests.patrols.conftest import at
from tests.processes import base_environ, database_url, spawn, wait_for_text

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def queue():
    saved = (app.conf.task_default_queue, app.conf.task_always_eager)
    app.conf.task_default_queue = f"test-{uuid.uuid4().hex[:8]}"
    app.conf.task_always_eager = False
    yield app.conf.task_default_queue
    app.conf.task_default_queue, app.conf.task_always_eager = saved


class Worker:
    def __init__(self, process, log):
        self.process, self.log = process, log

    def sweep(self, p, minutes: float) -> dict[str, int]:
        """The beat's task, run by the worker at the test's time; its result as the worker logged it
        (the project keeps no result backend)."""
        sent = sweep_task.apply_async(args=(at(p, minutes).isoformat(),))
        marker = f"patrols.sweep[{sent.id}] succeeded in "
        wait_for_text(self.log, marker, self.process)
        line = next(line for line in self.log.read_text().splitlines() if marker in line)
        return ast.literal_eval(line.split(marker, 1)[1].split(": ", 1)[1].strip())


def wait(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def patrol_alerts(user) -> int:
    return OutboxMessage.objects.filter(recipient=user, kind=Kind.PATROL).count()


def test_the_worker_fires_the_patrol_timers_once_and_builds_and_sends_the_report(
    patrol, tmp_path, queue, settings
):
    p = patrol
    env = base_environ(
        DATABASE_URL=database_url(),
        DATA_DIR=str(tmp_path),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        CELERY_QUEUE=queue,
        WORKER_CONCURRENCY="1",
    )
    log = tmp_path / "worker.log"
    with spawn(["make", "-s", "worker"], env, log) as worker:
        wait_for_text(log, "ready.", worker, timeout=120)
        w = Worker(worker, log)
        shift = services.start_shift(guard=p.w.guard_a, site=p.w.a1, by=p.w.guard_a, hours=1, now=at(p, 0))
        services.record_scan(guard=p.w.guard_a, code=p.gate.code, idempotency_key="w1", now=at(p, 5))
        # Check-in due at 20 (+5 grace); round due at 30 (+10 tolerance).
        assert w.sweep(p, 24) == {
            "missed_rounds": 0,
            "missed_checkins": 0,
            "ladder_steps": 0,
            "overdue_shifts": 0,
            "resumed": 0,
        }
        assert w.sweep(p, 26)["missed_checkins"] == 1
        assert w.sweep(p, 26)["missed_checkins"] == 0
        assert patrol_alerts(p.w.guard_a) == 2  # in-app and email
        assert patrol_alerts(p.w.supervisor_a) == 0
        assert w.sweep(p, 31)["ladder_steps"] == 1
        assert patrol_alerts(p.w.supervisor_a) == 2
        assert w.sweep(p, 41) == {
            "missed_rounds": 1,
            "missed_checkins": 0,
            "ladder_steps": 1,
            "overdue_shifts": 0,
            "resumed": 0,
        }
        assert patrol_alerts(p.w.supervisor_a) == 4  # the missed round too
        assert OutboxMessage.objects.filter(recipient=p.w.liaison_x, kind=Kind.PANIC).exists()
        alert = LoneWorkerAlert.objects.get(shift=shift)
        services.acknowledge_alert(alert_row=alert, by=p.w.supervisor_a)
        before = OutboxMessage.objects.count()
        assert w.sweep(p, 55)["ladder_steps"] == 0
        assert OutboxMessage.objects.count() == before
        assert TourRound.objects.get(shift=shift, due_at=at(p, 30)).status == TourRound.Status.MISSED
        # Planned to end at 60: past it the supervisors are told once, by the same sweep.
        assert w.sweep(p, 61)["overdue_shifts"] == 1
        assert w.sweep(p, 62)["overdue_shifts"] == 0
        assert (
            OutboxMessage.objects.filter(
                recipient=p.w.supervisor_a, payload__title__startswith="Shift still open"
            ).count()
            == 2
        )

        services.end_shift(shift=shift, by=p.w.guard_a, notes="Worker shift")
        assert wait(
            lambda: DailyReport.objects.filter(shift=shift, status=DailyReport.Status.READY).exists()
        ), log.read_text()[-3000:]
        report = DailyReport.objects.get(shift=shift)
        services.review_report(report=report, by=p.w.supervisor_a)
        (send,) = services.send_report(report=report, by=p.w.supervisor_a, contacts=[p.contact])
        assert wait(lambda: ReportSend.objects.get(pk=send.pk).state == ReportSend.State.SENT), (
            log.read_text()[-3000:]
        )
    assert "pat@client.example" in log.read_text()  # the worker's console mail backend printed it
