"""What exports shows on pages other apps own: the incident page's links to its evidence bundles and
ICS-214, the drill page's link to its ICS-214, the evidence page's fixity line."""

from typing import Any

from django import template

from exports import policy
from exports.models import FixityCheck
from incidents.models import Evidence, Incident
from preparedness.models import Drill

register = template.Library()


@register.inclusion_tag("exports/_incident_link.html", takes_context=True)
def incident_export_link(context: template.Context, incident: Incident) -> dict[str, Any]:
    """The 'Evidence bundle' and 'ICS-214' buttons, for those who may have them."""
    user = context["request"].user
    return {
        "incident": incident,
        "shown": policy.can_export_incident(user, incident),
        "activity_log": policy.can_download_activity_log(user, incident),
    }


@register.inclusion_tag("exports/_evidence_fixity.html")
def evidence_fixity(evidence: Evidence) -> dict[str, Any]:
    """The evidence page's line on its stored copy: the last fixity check and what it found."""
    return {"check": FixityCheck.objects.filter(evidence=evidence).first(), "evidence": evidence}


@register.inclusion_tag("exports/_drill_link.html", takes_context=True)
def drill_activity_log_link(context: template.Context, drill: Drill) -> dict[str, Any]:
    """The drill page's 'Activity log (ICS-214, PDF)' link, once its window has opened."""
    return {"drill": drill, "shown": policy.can_download_drill_activity_log(context["request"].user, drill)}
