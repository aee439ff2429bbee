"""What preparedness shows on pages other apps own: the drill running now (the report form) and the
emergency response plans that answer an incident (the incident page)."""

from typing import Any

from django import template

from incidents.models import Incident
from preparedness import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def running_drills(context: template.Context) -> list[Any]:
    """The drills running now at the user's sites."""
    return list(selectors.running_drills_for(user=context["request"].user))


@register.inclusion_tag("preparedness/_incident_plans.html", takes_context=True)
def incident_plans(context: template.Context, incident: Incident) -> dict[str, Any]:
    """The site's ERPs in force that match the incident's category, for everyone working it."""
    return {"plans": selectors.plans_for_incident(incident=incident, for_user=context["request"].user)}
