"""What notifications shows on pages other apps own: an incident's notification log, for the incident page."""

from typing import Any

from django import template

from incidents.models import Incident
from notifications import selectors

register = template.Library()


@register.inclusion_tag("notifications/_incident_log.html", takes_context=True)
def incident_notifications(context: template.Context, incident: Incident) -> dict[str, Any]:
    """Who was told about the incident, how, and what became of each message."""
    user = context["request"].user
    return {
        "incident": incident,
        "notification_log": selectors.list_incident_notifications(incident=incident, for_user=user),
    }


@register.inclusion_tag("notifications/_desk.html", takes_context=True)
def supervisor_desk(context: template.Context) -> dict[str, Any]:
    """The supervisor's live desk: active panics, open police responses, the triage queue."""
    return {"desk": selectors.get_desk(for_user=context["request"].user)}
