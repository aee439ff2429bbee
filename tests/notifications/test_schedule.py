"""The beat schedule names real tasks, and the embedded default runs it in process."""

import threading
from datetime import timedelta

import pytest
from celery.schedules import BaseSchedule
from django.utils import timezone

from notifications.models import OutboxMessage
from portal.celery import app, run_schedule_in_process


def test_every_scheduled_task_exists_and_expires_before_piling_up():
    app.loader.import_default_modules()
    notifications = {k: v for k, v in app.conf.beat_schedule.items() if k.startswith("notifications-")}
    assert {entry["task"] for entry in notifications.values()} == {
        "notifications.fire_due_timers",
        "notifications.sweep_outbox",
        "notifications.remind_stale_escalations",
        "notifications.exhaust_due_alerts",
        "notifications.beat_tick",
        "notifications.run_canary",
        "notifications.sweep_report_announcements",
    }
    # Pages and retries within seconds; reminders (minutes late by nature) within a minute; a report
    # whose announcement was lost within a minute.
    reminders = {"notifications.remind_stale_escalations", "debriefs.remind_corrective_actions"}
    # Heartbeats and the canary: often enough for their thresholds (HEARTBEAT_BEAT_SLOW is 30 s).
    health = {"notifications.beat_tick", "notifications.run_canary"}
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks
        if isinstance(entry["schedule"], BaseSchedule):
            # A calendar entry (analytics' report on the 1st): not run late the next day.
            assert 0 < entry["options"]["expires"] <= 24 * 3600
            continue
        if entry["task"] in reminders:
            assert entry["schedule"] <= 300
        elif entry["task"] in health:
            assert entry["schedule"] <= 30
        elif entry["task"] == "notifications.sweep_report_announcements":
            assert entry["schedule"] <= 60
        elif entry["task"].startswith("notifications."):
            assert entry["schedule"] <= 5
        assert entry.get("options", {}).get("expires", entry["schedule"] + 1) > entry["schedule"]
    assert reminders <= {entry["task"] for entry in app.conf.beat_schedule.values()}
    # The ladder's timers and the outbox sweep go ahead of a backlog of deliveries (Redis priorities).
    # So do the other timers that are rows: the exhausted ladders' broadcast and the patrols' sweep.
    for name in (
        "notifications-fire-due-timers",
        "notifications-sweep-outbox",
        "notifications-exhaust-due-alerts",
        "patrols-sweep",
    ):
        assert app.conf.beat_schedule[name]["options"]["priority"] < app.conf.task_default_priority


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_embedded_beat_sweeps_the_outbox_in_process(world, escalate, eager):
    """Its own thread and database connection, as in the daphne process of `make run`."""
    escalation = escalate()
    OutboxMessage.objects.filter(escalation=escalation).update(
        lease_until=None, next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    stop = threading.Event()
    thread = threading.Thread(target=run_schedule_in_process, args=(stop,), kwargs={"tick": 0.05})
    thread.start()
    try:
        deadline = timezone.now() + timedelta(seconds=10)
        while timezone.now() < deadline:
            if not OutboxMessage.objects.filter(escalation=escalation).exclude(state="delivered").exists():
                break
            stop.wait(0.1)
    finally:
        stop.set()
        thread.join(5)
    assert set(OutboxMessage.objects.filter(escalation=escalation).values_list("state", flat=True)) == {
        "delivered"
    }
