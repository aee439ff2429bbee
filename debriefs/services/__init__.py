"""Every change to debriefs and their corrective actions goes through these functions."""

from debriefs.services.actions import (
    add_briefing_action,
    add_corrective_action,
    handle_briefing_action,
    update_corrective_action,
)
from debriefs.services.lifecycle import (
    SECOND_PERSON,
    approve_debrief,
    contribute_as_agency,
    draft_debrief,
    request_changes,
    request_debrief,
    request_debrief_on_close,
    request_drill_debrief,
    revise_debrief,
    submit_debrief,
    update_debrief,
)
from debriefs.services.notices import remind_corrective_actions
from debriefs.services.page import NewAction, save_debrief
from debriefs.services.rendering import queue_pdf, render_html, render_pdf, resume_stalled

__all__ = [
    "SECOND_PERSON",
    "NewAction",
    "add_briefing_action",
    "add_corrective_action",
    "approve_debrief",
    "contribute_as_agency",
    "draft_debrief",
    "handle_briefing_action",
    "queue_pdf",
    "remind_corrective_actions",
    "render_html",
    "render_pdf",
    "request_changes",
    "request_debrief",
    "request_debrief_on_close",
    "request_drill_debrief",
    "resume_stalled",
    "revise_debrief",
    "save_debrief",
    "submit_debrief",
    "update_corrective_action",
    "update_debrief",
]
