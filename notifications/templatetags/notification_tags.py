"""What notifications shows on pages other apps own: an incident's notification log, for the incident page."""

from typing import Any

from django import template

from incidents.models import Incident
from notifications import content, selectors

register = template.Library()


@register.inclusion_tag("notifications/_incident_log.html", takes_context=True)
def incident_notifications(context: template.Context, incident: Incident) -> dict[str, Any]:
    """Who was told about the incident, how, and what became of each message."""
    user = context["request"].user
    return {
        "incident": incident,
        "notification_log": selectors.list_incident_notifications(incident=incident, for_user=user),
        "alerts": selectors.list_incident_alerts(incident=incident, for_user=user),
        "to_acknowledge": list(selectors.list_alerts_to_acknowledge(user=user, incident_id=incident.pk)),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("notifications/_desk.html", takes_context=True)
def supervisor_desk(context: template.Context) -> dict[str, Any]:
    """The supervisor's live desk: active panics, open police responses, the triage queue."""
    request = context["request"]
    return {"desk": selectors.get_desk(for_user=request.user), "request": request}


@register.inclusion_tag("notifications/_guard_phone.html", takes_context=True)
def guard_phone(context: template.Context, incident: Incident) -> dict[str, Any]:
    """On an active PANIC, the guard's phone number as a tel: link for the provider's staff."""
    return {
        "incident": incident,
        "phone": selectors.get_guard_phone(incident=incident, for_user=context["request"].user),
    }


@register.filter
def event_label(event: str) -> str:
    """A webhook event's name in words ("Test event", "Page")."""
    return content.event_label(str(event or ""))


@register.simple_tag
def delivery_words(attempt: Any) -> str:
    """A delivery attempt's result in words ("The address's host name could not be found.")."""
    return content.delivery_words(attempt.detail or "", ok=attempt.ok, status_code=attempt.status_code)
