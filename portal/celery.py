"""The Celery app, the beat schedule, and the follow-up table: what runs when, in one place."""

import logging
import os
import threading
import time
from dataclasses import dataclass

from celery import Celery
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("watchpost")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
logger = logging.getLogger(__name__)

# Periodic tasks are declared here, beside the schedule they run on.
app.conf.beat_schedule = {
    # The audit log's one sealer (an advisory lock keeps it one): chains the committed records in
    # order and checkpoints the head outside the database (docs/audit.md).
    "audit-seal-records": {"task": "audit.seal_records", "schedule": 2.0, "options": {"expires": 10}},
    "debriefs-resume-stalled": {"task": "debriefs.resume_stalled", "schedule": 60.0},
    # Incidents: evidence thumbnails whose task was lost.
    "incidents-sweep-thumbnails": {
        "task": "incidents.sweep_thumbnails",
        "schedule": 60.0,
        "options": {"expires": 120},
    },
    # Dispatch: the site rule of a recent report whose follow-up was lost.
    "dispatch-sweep-escalation-rules": {
        "task": "dispatch.sweep_escalation_rules",
        "schedule": 60.0,
        "options": {"expires": 120},
    },
    # Notifications: escalation-policy timers are rows, fired here; the outbox sweep re-queues what
    # was left behind. Each expires before it could pile up in a queue without workers.
    "notifications-fire-due-timers": {
        "task": "notifications.fire_due_timers",
        "schedule": 2.0,
        "options": {"expires": 10},
    },
    # Reminders: accepted escalations without a police update, corrective actions due or overdue.
    # Each reminder is recorded when sent (SentReminder), so a run twice sends nothing twice.
    "notifications-remind-stale-escalations": {
        "task": "notifications.remind_stale_escalations",
        "schedule": 60.0,
        "options": {"expires": 120},
    },
    "debriefs-remind-corrective-actions": {
        "task": "debriefs.remind_corrective_actions",
        "schedule": 300.0,
        "options": {"expires": 600},
    },
    "notifications-sweep-outbox": {
        "task": "notifications.sweep_outbox",
        "schedule": 5.0,
        "options": {"expires": 20},
    },
}


@dataclass(frozen=True)
class FollowUps:
    """What other work an event causes: Celery tasks (by name) queued after the commit with the
    event's subject as arguments, and functions (dotted paths) called with the event inside the
    publisher's transaction (the outbox only; see portal/realtime.py)."""

    tasks: tuple[str, ...] = ()
    in_transaction: tuple[str, ...] = ()


_ESCALATION_OUTBOX = FollowUps(
    in_transaction=(
        "notifications.services.chains.handle_escalation_event",
        # The provider's supervisors' desks (their home) follow the police's state.
        "notifications.services.alerts.handle_escalation_desk",
    )
)

# Follow-ups by event name. A lower app publishes; the higher app's task or outbox writer is named
# here, so the lower app never imports it. Every task here is idempotent (it may run twice).
FOLLOW_UPS: dict[str, FollowUps] = {
    "incident.closed": FollowUps(tasks=("debriefs.request_debrief",)),
    "debrief.requested": FollowUps(tasks=("debriefs.draft_debrief",)),
    "debrief.drafted": FollowUps(tasks=("debriefs.render_debrief_pdf",)),
    # Incidents: a photo's thumbnail is made by a worker, never in the upload's request.
    "evidence.added": FollowUps(tasks=("incidents.make_thumbnail",)),
    "invitation.created": FollowUps(
        in_transaction=("notifications.services.invitations.queue_invitation_email",)
    ),
    # Dispatch: a submitted report meets its site's escalation rule (subject: incident, actor).
    # Notifications: the provider's supervisors are told of it; every status change moves the live
    # triage count; a question reaches the report's author (subject: incident, actor, entry).
    "incident.submitted": FollowUps(
        tasks=(
            "dispatch.apply_escalation_rules",
            "notifications.notify_report_submitted",
            "notifications.announce_triage",  # a report filed as sent changes no status
        )
    ),
    # Dispatch: the boards show an escalated incident verified, sent back or closed at once.
    "incident.status_changed": FollowUps(
        tasks=("dispatch.announce_incident_change", "notifications.announce_triage")
    ),
    "incident.info_requested": FollowUps(tasks=("notifications.notify_info_requested",)),
    # A panic alerts the provider's own people in the panic's transaction, beside the police's pages
    # (subject: incident, guard, escalation or None); the guard's screen says who was alerted.
    "panic.pressed": FollowUps(in_transaction=("notifications.services.alerts.handle_panic_pressed",)),
    # A false press cancelled in its window: everyone the panic alerted is told, by the channels it
    # reached them by, in the cancel's transaction (subject: incident, guard, timeline entry).
    "panic.cancelled": FollowUps(in_transaction=("notifications.services.alerts.handle_panic_cancelled",)),
    # Notifications: an escalation's pages, timers and updates, and a message's notices, are part of
    # the change (subject: escalation, actor, timeline entry), so they are written in its transaction.
    "escalation.requested": _ESCALATION_OUTBOX,
    "escalation.accepted": _ESCALATION_OUTBOX,
    "escalation.rejected": _ESCALATION_OUTBOX,
    "escalation.dispatched": _ESCALATION_OUTBOX,
    "escalation.on_scene": _ESCALATION_OUTBOX,
    "escalation.cleared": _ESCALATION_OUTBOX,
    "escalation.cancelled": _ESCALATION_OUTBOX,
    "escalation.panic_cleared": _ESCALATION_OUTBOX,
    "message.posted": FollowUps(in_transaction=("notifications.services.chains.handle_message_posted",)),
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
