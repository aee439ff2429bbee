"""What dispatch shows on pages other apps own: an incident's police response, for the incident page."""

from typing import Any

from django import template

from accounts import policy as account_policy
from dispatch import policy, selectors
from dispatch.models import RejectionCause, VerificationLevel
from incidents.models import Incident

register = template.Library()


@register.inclusion_tag("dispatch/_incident_police.html", takes_context=True)
def incident_police(context: template.Context, incident: Incident) -> dict[str, Any]:
    """The incident's escalations with the police's state, and the controls the user may use on them."""
    user = context["request"].user
    escalations = list(selectors.list_incident_escalations(incident_id=incident.pk, for_user=user))
    can_message = policy.can_message_on_incident(user, incident)
    recent, total = selectors.list_recent_messages(incident=incident) if escalations else ([], 0)
    pressed = policy.can_cancel_panic(user, incident) and selectors.is_panic(incident)
    # Active: not cancelled by the guard, not cleared as "guard is safe", not closed.
    active = pressed and selectors.panic_state(incident) == "active"
    cancellable = active and selectors.panic_cancellable(incident)
    cancellation = selectors.get_panic_cancellation(incident=incident)
    return {
        "incident": incident,
        "escalations": escalations,
        "can_escalate": policy.can_escalate_incident(user, incident)
        and not any(escalation.is_open for escalation in escalations),
        # Every escalation listed is this incident's: who may cancel one may cancel each.
        "can_cancel": any(policy.can_cancel_escalation(user, escalation) for escalation in escalations),
        "can_message": can_message,
        # The police write to the provider's people; the provider's people to the police and each other.
        "message_label": "Message to the guards and supervisors"
        if getattr(account_policy.organization_of(user), "is_agency", False)
        else "Message to the police and your team",
        # The guard of an active PANIC reads and writes to the police on the first screen.
        "messages_first": active and can_message,
        "recent_messages": recent,
        "earlier_messages": total - len(recent),
        # A cancelled PANIC says what happened: when, by whom, and who was told of the cancellation.
        "panic_cancellation": cancellation,
        "panic_told": [
            *dict.fromkeys(
                f"{escalation.agency}'s board (its request withdrawn)"
                for escalation in escalations
                if escalation.is_panic
            ),
            *selectors.list_panic_alerted(incident=incident),
        ]
        if cancellation
        else [],
        "panic_cancel_until": selectors.panic_cancel_deadline(incident) if cancellable else None,
        "move_sites": list(policy.panic_sites(user)) if active else [],
        "verification_levels": VerificationLevel.choices,
        # Rejected as outside the jurisdiction: the agency one action re-escalates to (mutual aid).
        "fallbacks": [
            (escalation.pk, selectors.next_fallback(escalation=escalation))
            for escalation in escalations
            if escalation.rejection_cause == RejectionCause.OUTSIDE_JURISDICTION
        ],
    }


@register.inclusion_tag("dispatch/_stale_profiles.html", takes_context=True)
def stale_site_profiles(context: template.Context) -> dict[str, Any]:
    """A supervisor's home flags the sites whose safety profile is overdue or never verified."""
    user = context["request"].user
    rows = selectors.list_profile_sites(for_user=user) if policy.can_list_site_profiles(user) else []
    return {"stale": [(site, profile) for site, profile in rows if profile.is_stale()]}


@register.inclusion_tag("dispatch/_panic_badge.html")
def panic_badge(incident: Incident) -> dict[str, Any]:
    """A panic's state as a badge wherever the incident is listed: an active PANIC is unmistakable,
    and a cancelled or cleared one is not taken for one still waiting."""
    return {"state": selectors.panic_state(incident)}
