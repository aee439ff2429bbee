"""The beat schedule names real tasks, and the embedded default runs it in process."""

import threading
from datetime import timedelta

import pytest
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
    }
    # Pages and retries within seconds; reminders (minutes late by nature) within a minute.
    reminders = {"notifications.remind_stale_escalations", "debriefs.remind_corrective_actions"}
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks
        if entry["task"] in reminders:
            assert entry["schedule"] <= 300
        elif entry["task"].startswith("notifications."):
            assert entry["schedule"] <= 5
        assert entry.get("options", {}).get("expires", entry["schedule"] + 1) > entry["schedule"]
    assert reminders <= {entry["task"] for entry in app.conf.beat_schedule.values()}


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
