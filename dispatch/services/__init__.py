"""Every change to escalations, panics and incident messages goes through these functions."""

from dispatch.services.access_review import flag_unusual_access
from dispatch.services.board import announce_incident_change, mark_escalation_read, set_board_density
from dispatch.services.cad import CadResult, report_cad_status
from dispatch.services.cadcodes import CAD_CODE_LENGTH, save_cad_codes
from dispatch.services.common import next_board_sequence
from dispatch.services.floorplans import add_floor_plan, open_floor_plan
from dispatch.services.lifecycle import (
    ACTIONS,
    STEPS,
    Action,
    accept_escalation,
    apply_escalation_rules,
    cancel_escalation,
    clear_escalation,
    clear_panic,
    confirm_verification,
    escalate_incident,
    escalate_sighting,
    mark_dispatched,
    mark_on_scene,
    reescalate_to_fallback,
    reject_escalation,
    sweep_escalation_rules,
)
from dispatch.services.messages import post_message
from dispatch.services.panic import PanicResult, cancel_panic, move_panic, press_panic
from dispatch.services.profiles import TEXT_FIELDS as PROFILE_TEXT_FIELDS
from dispatch.services.profiles import record_profile_view, save_site_profile
from dispatch.services.watch import close_board_watch, open_board_watch, ping_board_watch

__all__ = [
    "ACTIONS",
    "CAD_CODE_LENGTH",
    "PROFILE_TEXT_FIELDS",
    "STEPS",
    "Action",
    "CadResult",
    "PanicResult",
    "accept_escalation",
    "add_floor_plan",
    "announce_incident_change",
    "apply_escalation_rules",
    "cancel_escalation",
    "cancel_panic",
    "clear_escalation",
    "clear_panic",
    "close_board_watch",
    "confirm_verification",
    "escalate_incident",
    "escalate_sighting",
    "flag_unusual_access",
    "mark_dispatched",
    "mark_escalation_read",
    "mark_on_scene",
    "move_panic",
    "next_board_sequence",
    "open_board_watch",
    "open_floor_plan",
    "ping_board_watch",
    "post_message",
    "press_panic",
    "record_profile_view",
    "reescalate_to_fallback",
    "reject_escalation",
    "report_cad_status",
    "save_cad_codes",
    "save_site_profile",
    "set_board_density",
    "sweep_escalation_rules",
]
