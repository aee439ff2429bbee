"""Every change to escalations, panics and incident messages goes through these functions."""

from dispatch.services.board import announce_incident_change, mark_escalation_read, set_board_density
from dispatch.services.common import next_board_sequence
from dispatch.services.lifecycle import (
    ACTIONS,
    STEPS,
    Action,
    accept_escalation,
    apply_escalation_rules,
    cancel_escalation,
    clear_escalation,
    clear_panic,
    escalate_incident,
    mark_dispatched,
    mark_on_scene,
    reject_escalation,
    sweep_escalation_rules,
)
from dispatch.services.messages import post_message
from dispatch.services.panic import PanicResult, cancel_panic, move_panic, press_panic

__all__ = [
    "ACTIONS",
    "STEPS",
    "Action",
    "PanicResult",
    "accept_escalation",
    "announce_incident_change",
    "apply_escalation_rules",
    "cancel_escalation",
    "cancel_panic",
    "clear_escalation",
    "clear_panic",
    "escalate_incident",
    "mark_dispatched",
    "mark_escalation_read",
    "mark_on_scene",
    "move_panic",
    "next_board_sequence",
    "post_message",
    "press_panic",
    "reject_escalation",
    "set_board_density",
    "sweep_escalation_rules",
]
