"""Every change to escalations, panics and incident messages goes through these functions."""

from dispatch.services.board import next_board_sequence, record_board_event
from dispatch.services.escalation import (
    STEPS,
    PanicResult,
    accept_escalation,
    apply_escalation_rules,
    cancel_escalation,
    clear_escalation,
    clear_panic,
    escalate_incident,
    file_report,
    mark_dispatched,
    mark_on_scene,
    post_message,
    press_panic,
    reject_escalation,
    send_report,
)

__all__ = [
    "STEPS",
    "PanicResult",
    "accept_escalation",
    "apply_escalation_rules",
    "cancel_escalation",
    "clear_escalation",
    "clear_panic",
    "escalate_incident",
    "file_report",
    "mark_dispatched",
    "mark_on_scene",
    "next_board_sequence",
    "post_message",
    "press_panic",
    "record_board_event",
    "reject_escalation",
    "send_report",
]
