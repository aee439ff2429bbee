"""Every change to incidents, evidence and the timeline goes through these functions."""

from incidents.services.additions import add_note, add_party, add_vehicle
from incidents.services.evidence import add_evidence, make_thumbnail, open_evidence_file, record_custody
from incidents.services.intake import (
    NO_REPORTABLE_SITE,
    ReportResult,
    format_reference,
    next_reference,
    report_incident,
)
from incidents.services.lifecycle import (
    CONFIRM_CLOSE,
    TRANSITIONS,
    EditConflict,
    accept_incident,
    answer_question,
    close_incident,
    move_incident,
    reasons_to_confirm_closing,
    request_more_information,
    submit_incident,
    update_incident,
)
from incidents.services.purposes import give_purpose, record_personal_data_view
from incidents.services.redaction import clean_rectangles, redact_evidence, render_redacted_preview
from incidents.services.retention import apply_retention, lift_legal_hold, place_legal_hold
from incidents.services.sharing import end_share, end_share_for_escalation, release_party, share_incident
from incidents.services.timeline import add_timeline_entry
from incidents.services.validation import PartyInput, VehicleInput

__all__ = [
    "CONFIRM_CLOSE",
    "NO_REPORTABLE_SITE",
    "TRANSITIONS",
    "EditConflict",
    "PartyInput",
    "ReportResult",
    "VehicleInput",
    "accept_incident",
    "add_evidence",
    "add_note",
    "add_party",
    "add_timeline_entry",
    "add_vehicle",
    "answer_question",
    "apply_retention",
    "clean_rectangles",
    "close_incident",
    "end_share",
    "end_share_for_escalation",
    "format_reference",
    "give_purpose",
    "lift_legal_hold",
    "make_thumbnail",
    "move_incident",
    "next_reference",
    "open_evidence_file",
    "place_legal_hold",
    "reasons_to_confirm_closing",
    "record_custody",
    "record_personal_data_view",
    "redact_evidence",
    "release_party",
    "render_redacted_preview",
    "report_incident",
    "request_more_information",
    "share_incident",
    "submit_incident",
    "update_incident",
]
