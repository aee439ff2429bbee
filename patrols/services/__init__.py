"""Every change patrols make goes through these functions."""

from patrols.services.joint import ask_for_joint_patrol, escalate_joint_patrol_report, joint_tour_of
from patrols.services.loneworker import (
    acknowledge_alert,
    check_in,
    next_checkin_due,
    sweep_checkins,
    update_settings,
)
from patrols.services.reports import (
    add_contact,
    build_report,
    deliver_send,
    remove_contact,
    render_html,
    request_site_report,
    resume_stalled,
    review_report,
    send_report,
)
from patrols.services.shifts import end_shift, save_notes, start_shift, sweep_overdue_shifts
from patrols.services.tours import (
    ScanResult,
    add_checkpoint,
    create_tour,
    ensure_rounds,
    normalise_code,
    record_scan,
    sweep_missed_rounds,
)

__all__ = [
    "ScanResult",
    "acknowledge_alert",
    "add_checkpoint",
    "add_contact",
    "ask_for_joint_patrol",
    "build_report",
    "check_in",
    "create_tour",
    "deliver_send",
    "end_shift",
    "ensure_rounds",
    "escalate_joint_patrol_report",
    "joint_tour_of",
    "next_checkin_due",
    "normalise_code",
    "record_scan",
    "remove_contact",
    "render_html",
    "request_site_report",
    "resume_stalled",
    "review_report",
    "save_notes",
    "send_report",
    "start_shift",
    "sweep_checkins",
    "sweep_missed_rounds",
    "sweep_overdue_shifts",
    "update_settings",
]
