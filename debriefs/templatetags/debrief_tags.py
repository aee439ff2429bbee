"""What debriefs shows on pages other apps own: the liaison's home lists what waits for the agency;
the analytics page shows the response times against the targets debriefs keeps; a briefing's page
(preparedness) shows the corrective action each decision became."""

from datetime import timedelta
from typing import Any

from django import template
from django.utils import timezone

from debriefs import policy, selectors

register = template.Library()


@register.inclusion_tag("debriefs/_awaiting_agency.html", takes_context=True)
def debriefs_awaiting_agency(context: template.Context, limit: int = 5) -> dict[str, Any]:
    """The debriefs waiting for the user's agency's account (the first few, and how many)."""
    user = context["request"].user
    if not policy.can_see_agency_queue(user):
        return {"shown": False}
    waiting = selectors.list_awaiting_agency(for_user=user)
    return {"shown": True, "debriefs": list(waiting[:limit]), "count": waiting.count()}


@register.inclusion_tag("debriefs/_briefing_action.html", takes_context=True)
def briefing_action(context: template.Context, decision_id: Any) -> dict[str, Any]:
    """The corrective action a briefing's decision became, as far as the user may see it."""
    user = context["request"].user
    action = selectors.list_corrective_actions(for_user=user).filter(origin_ref=decision_id).first()
    return {"action": action}


DRILLS_NOTE = (
    "Drills are left out: an incident marked EXERCISE counts in no figure here (its drill's debrief"
    " measures it)."
)


@register.inclusion_tag("debriefs/_response_times.html", takes_context=True)
def response_times(context: template.Context, months: int = 12) -> dict[str, Any]:
    """The police intervals' p50 and p90 against their targets, grouped as the page's ``?by=`` says."""
    request = context["request"]
    if not policy.can_see_response_times(request.user):
        return {"shown": False}
    by = request.GET.get("by", "site")
    problem = ""
    if by not in selectors.GROUPINGS:
        problem = (
            f"There is no grouping \u201c{by}\u201d: shown by site. Group by site, agency, category or month."
        )
        by = "site"
    since = timezone.now() - timedelta(days=30 * months)
    figures = selectors.get_response_times(for_user=request.user, since=since, by=by)
    return {
        "shown": True,
        "figures": figures,
        "by": by,
        "groupings": selectors.GROUPINGS,
        "problem": problem,
        "drills_note": DRILLS_NOTE,
        "months": months,
    }


@register.filter
def duration(seconds: float | None) -> str:
    """Seconds as people say them: 45 s, 4 min 05 s, 1 h 20 min."""
    if seconds is None:
        return "\u2014"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


@register.simple_tag
def partnership_actions(provider_id: int, agency_id: int) -> selectors.PartnershipActions:
    """For a partnership's scorecard (analytics), which has already checked who may see it:
    ``{% partnership_actions provider_id agency_id as actions %}``."""
    return selectors.count_partnership_actions(provider_id=provider_id, agency_id=agency_id)
