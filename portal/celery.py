import logging
import os
import threading
import time

from celery import Celery
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("watchpost")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
logger = logging.getLogger(__name__)

# Periodic tasks are declared here, beside the schedule they run on.
app.conf.beat_schedule = {
    "debriefs-resume-stalled": {"task": "debriefs.resume_stalled", "schedule": 60.0},
    # Notifications: escalation-policy timers are rows, fired here; the outbox sweep re-queues what
    # was left behind. Each expires before it could pile up in a queue without workers.
    "notifications-fire-due-timers": {
        "task": "notifications.fire_due_timers",
        "schedule": 2.0,
        "options": {"expires": 10},
    },
    "notifications-sweep-outbox": {
        "task": "notifications.sweep_outbox",
        "schedule": 5.0,
        "options": {"expires": 20},
    },
}


def run_schedule_in_process(stop: threading.Event, *, tick: float = 1.0) -> None:
    """The embedded default's beat: with tasks eager and no broker, run each scheduled task in this
    process at its interval until ``stop`` is set."""
    app.loader.import_default_modules()
    last: dict[str, float] = {}
    while not stop.wait(tick):
        for name, entry in app.conf.beat_schedule.items():
            now = time.monotonic()
            if now - last.get(name, float("-inf")) < float(entry["schedule"]):
                continue
            last[name] = now
            try:
                app.tasks[entry["task"]].apply()
            except Exception:
                logger.exception("in-process periodic task %s failed", name)
            finally:
                close_old_connections()


def start_embedded_beat() -> threading.Thread | None:
    """Start the in-process beat when tasks run eagerly (the embedded default); otherwise `make beat`
    runs the schedule."""
    if not app.conf.task_always_eager:
        return None
    thread = threading.Thread(
        target=run_schedule_in_process, args=(threading.Event(),), name="embedded-beat", daemon=True
    )
    thread.start()
    return thread
