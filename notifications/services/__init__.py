"""Every change notifications make goes through these functions."""

from notifications.services.alerts import (
    alert_panic,
    announce_triage,
    notify,
    notify_info_provided,
    notify_info_requested,
    notify_panic_cancelled,
    notify_report_submitted,
    remind_stale_escalations,
    send_reminder,
    sweep_report_announcements,
)
from notifications.services.chains import fire_due_timers, fire_timer, on_escalation_event, on_message_posted
from notifications.services.configuration import (
    StepInput,
    create_webhook_endpoint,
    delete_escalation_policy,
    delete_webhook_endpoint,
    rotate_webhook_secret,
    save_escalation_policy,
    send_test_event,
    set_at_once_levels,
    update_webhook_endpoint,
)
from notifications.services.outbox import DELIVER_TASK, Outcome, deliver_message, queue_messages, sweep_outbox
from notifications.services.people import mark_all_read, mark_read, save_notification_settings, set_on_duty

__all__ = [
    "DELIVER_TASK",
    "Outcome",
    "StepInput",
    "alert_panic",
    "announce_triage",
    "create_webhook_endpoint",
    "delete_escalation_policy",
    "delete_webhook_endpoint",
    "deliver_message",
    "fire_due_timers",
    "fire_timer",
    "mark_all_read",
    "mark_read",
    "notify",
    "notify_info_provided",
    "notify_info_requested",
    "notify_panic_cancelled",
    "notify_report_submitted",
    "on_escalation_event",
    "on_message_posted",
    "queue_messages",
    "remind_stale_escalations",
    "rotate_webhook_secret",
    "save_escalation_policy",
    "save_notification_settings",
    "send_reminder",
    "send_test_event",
    "set_at_once_levels",
    "set_on_duty",
    "sweep_outbox",
    "sweep_report_announcements",
    "update_webhook_endpoint",
]
