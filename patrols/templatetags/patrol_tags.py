"""What patrols shows on pages other apps own: a partnership's scorecard (analytics) shows its tour
and daily-activity-report compliance."""

from datetime import date

from django import template

from patrols import selectors

register = template.Library()


@register.simple_tag
def partnership_patrols(
    provider_id: int, agency_id: int, first: date, last: date
) -> selectors.PatrolCompliance:
    """For a partnership's scorecard, which has already checked who may see it:
    ``{% partnership_patrols provider_id agency_id first last as patrols %}``."""
    return selectors.partnership_patrol_compliance(
        provider_id=provider_id, agency_id=agency_id, first=first, last=last
    )
