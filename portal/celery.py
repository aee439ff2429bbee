"""The Celery app, the beat schedule, and the follow-up table: what runs when, in one place."""

import logging
import os
import threading
import time
from dataclasses import dataclass

from celery import Celery
from celery.schedules import BaseSchedule, crontab
from celery.signals import task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

# Celery's Django fixup, but a task leaves its database connection in the pool (portal/worker.py).
app = Celery("watchpost", fixups=["portal.worker:django_fixup"])
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _reads_may_use_the_replica(**_: object) -> None:
    """Each task starts with reads on the replica (when one is set), until it writes (portal/db.py)."""
    from portal import db

    db.forget_writes()


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
    # Dispatch: the access review flags unusual access to personal data to the agencies' org admins
    # (once per person, kind and day, so a run twice flags nothing twice).
    "dispatch-flag-unusual-access": {
        "task": "dispatch.flag_unusual_access",
        "schedule": 3600.0,
        "options": {"expires": 7200},
    },
    # Dispatch: the site rule of a recent report whose follow-up was lost.
    "dispatch-sweep-escalation-rules": {
        "task": "dispatch.sweep_escalation_rules",
        "schedule": 60.0,
        "options": {"expires": 120},
    },
    # Notifications: escalation-policy timers are rows, fired here; the outbox sweep re-queues what
    # was left behind. Each expires before it could pile up in a queue without workers.
    # Priority 0: ahead of any backlog of deliveries (CELERY_TASK_DEFAULT_PRIORITY in settings).
    "notifications-fire-due-timers": {
        "task": "notifications.fire_due_timers",
        "schedule": 2.0,
        "options": {"expires": 10, "priority": 0},
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
    # Delivery confirmed by a person: an alert whose ladder ran out unacknowledged is broadcast.
    "notifications-exhaust-due-alerts": {
        "task": "notifications.exhaust_due_alerts",
        "schedule": 5.0,
        "options": {"expires": 20, "priority": 0},
    },
    # Heartbeats: beat's tick, and a pong from each worker queue (the platform's health page).
    "notifications-beat-tick": {
        "task": "notifications.beat_tick",
        "schedule": 10.0,
        "options": {"expires": 20},
    },
    # The synthetic canary: a no-op unless CANARY_MINUTES is set (README, "Delivery canary").
    "notifications-run-canary": {
        "task": "notifications.run_canary",
        "schedule": 30.0,
        "options": {"expires": 60},
    },
    # Patrols: the timers are rows (tour rounds, check-ins and their ladders), fired here; reports
    # and sends left queued are queued again.
    "patrols-sweep": {"task": "patrols.sweep", "schedule": 15.0, "options": {"expires": 30, "priority": 0}},
    # Exports: evidence bundles asked for whose build was never started (their task was lost).
    "exports-resume-stalled": {
        "task": "exports.resume_stalled",
        "schedule": 60.0,
        "options": {"expires": 120},
    },
    # Exports: stored evidence re-hashed a few files per run (FIXITY_* settings), alerting on a change.
    "exports-sweep-fixity": {"task": "exports.sweep_fixity", "schedule": 60.0, "options": {"expires": 120}},
    # A new report's announcement to its supervisors is an after-commit task; one lost with the
    # broker (down at the commit, or restarted with it queued) is announced here instead.
    "notifications-sweep-report-announcements": {
        "task": "notifications.sweep_report_announcements",
        "schedule": 30.0,
        "options": {"expires": 60, "priority": 0},
    },
    # Preparedness: a drill's window closes (its debrief is asked for); residents' data of community
    # events past their retention is deleted.
    "preparedness-close-drills": {
        "task": "preparedness.close_drills",
        "schedule": 60.0,
        "options": {"expires": 120},
    },
    "preparedness-delete-resident-data": {
        "task": "preparedness.delete_resident_data",
        "schedule": 3600.0,
        "options": {"expires": 7200},
    },
    # Retention: every night, what each organization keeps no longer (closed incidents, evidence,
    # messages, audit records) is deleted in batches, each with its deletion-ledger row (README,
    # "Retention and legal hold"); legal holds and open incidents are never touched.
    "incidents-apply-retention": {
        "task": "incidents.apply_retention",
        "schedule": crontab(minute=30, hour=3),
        "options": {"expires": 3600},
    },
    # Analytics: on the 1st of the month, the month before's scorecard of every partnership as a
    # PDF for both organizations' admins (idempotent: one report per partnership and month).
    "analytics-queue-monthly-reports": {
        "task": "analytics.queue_monthly_reports",
        "schedule": crontab(minute=0, hour=6, day_of_month=1),
        "options": {"expires": 3600},
    },
    # Analytics: the trends' rollup places again the reports of the last two hours (a follow-up
    # lost with the broker); idempotent, each bucket recounted from its rows.
    "analytics-count-recent-incidents": {
        "task": "analytics.count_recent_incidents",
        "schedule": 600.0,
        "options": {"expires": 1200},
    },
    "notifications-sweep-outbox": {
        "task": "notifications.sweep_outbox",
        "schedule": 5.0,
        "options": {"expires": 20, "priority": 0},
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
# Analytics: the trends' rollup places a report once it is sent and again when it is edited or moved
# (its day, site, category or severity); a status change moves no count (no report goes back to draft).
_COUNTED = "analytics.count_incident"

FOLLOW_UPS: dict[str, FollowUps] = {
    "incident.closed": FollowUps(tasks=("debriefs.request_debrief",)),
    "incident.updated": FollowUps(tasks=(_COUNTED,)),
    "debrief.requested": FollowUps(tasks=("debriefs.draft_debrief",)),
    "debrief.drafted": FollowUps(tasks=("debriefs.render_debrief_pdf",)),
    # Preparedness: a drill's window closed; debriefs (its peer) drafts the drill's debrief
    # (subject: the first drill incident's pk, the drill's facts).
    "drill.closed": FollowUps(tasks=("debriefs.draft_drill_debrief",)),
    # Preparedness: a joint briefing's decision became a corrective action; debriefs (its peer, which
    # keeps every corrective action) writes it in the decision's transaction, so the decision never
    # says so without one and a refusal (an owner of neither side, a past due date) undoes both.
    "briefing.action_decided": FollowUps(
        in_transaction=("debriefs.services.actions.handle_briefing_action",)
    ),
    # Incidents: a photo's thumbnail is made by a worker, never in the upload's request.
    "evidence.added": FollowUps(tasks=("incidents.make_thumbnail",)),
    # Incidents: the agency's redacted copy of a photo, rendered by a worker from the original.
    "evidence.redacted": FollowUps(tasks=("incidents.render_redacted_preview",)),
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
            # Patrols: a report filed during a joint patrol goes to the patrol's agency at once.
            "patrols.escalate_joint_patrol_report",
            _COUNTED,
        )
    ),
    # Dispatch: the boards show an escalated incident verified, sent back or closed at once.
    "incident.status_changed": FollowUps(
        tasks=("dispatch.announce_incident_change", "notifications.announce_triage")
    ),
    "incident.info_requested": FollowUps(tasks=("notifications.notify_info_requested",)),
    # The guard's answer reaches the supervisor who asked (subject: incident, guard, answer's entry).
    "incident.info_provided": FollowUps(tasks=("notifications.notify_info_provided",)),
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
    # Notifications: the agency's org admins are told of an access flag, in the flag's transaction
    # (subject: the flag's pk).
    "access.flagged": FollowUps(in_transaction=("notifications.services.alerts.handle_access_flagged",)),
    "message.posted": FollowUps(in_transaction=("notifications.services.chains.handle_message_posted",)),
    # Patrols: a shift's end (or a supervisor's request) builds its daily activity report; a send
    # emails its PDF to one client contact (subject: the report's or the send's pk).
    "daily_report.requested": FollowUps(tasks=("patrols.build_daily_report",)),
    "daily_report.send_requested": FollowUps(tasks=("patrols.send_daily_report",)),
    # Exports: a worker builds the bundle asked for, into a file, never in the request (subject: bundle).
    "bundle.requested": FollowUps(tasks=("exports.build_bundle",)),
    # Analytics: a worker builds a partnership's scorecard PDF (subject: the report's pk).
    "partnership_report.requested": FollowUps(tasks=("analytics.build_partnership_report",)),
}


def run_schedule_in_process(stop: threading.Event, *, tick: float = 1.0) -> None:
    """The embedded default's beat: with tasks eager and no broker, run each scheduled task in this
    process at its interval until ``stop`` is set."""
    app.loader.import_default_modules()
    last: dict[str, float] = {}
    started = app.now()
    # A calendar entry (crontab) runs at its next time after this process started, not at start.
    calendar = {
        name: started for name, e in app.conf.beat_schedule.items() if isinstance(e["schedule"], BaseSchedule)
    }
    while not stop.wait(tick):
        for name, entry in app.conf.beat_schedule.items():
            now = time.monotonic()
            if name in calendar:
                if not entry["schedule"].is_due(calendar[name]).is_due:
                    continue
                calendar[name] = app.now()
            elif now - last.get(name, float("-inf")) < float(entry["schedule"]):
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
