"""Live messages on an escalated incident, between the provider's people and the agency's."""

from django.db import transaction

from accounts.models import User
from dispatch import policy
from dispatch.services.common import clean, record_change, require
from incidents.models import Incident, TimelineEntry


@transaction.atomic
def post_message(*, incident: Incident, by: User, text: str) -> TimelineEntry:
    """A live message on an escalated incident: kept on the timeline, pushed to the incident's
    page and to the agency's boards."""
    require(policy.can_message_on_incident(by, incident), "You may not message on this incident.")
    text = clean(text, field="text", required="Write the message first.")
    escalation = (
        incident.escalations.select_related("incident__site", "incident__category", "agency")
        .order_by("-requested_at")
        .first()
    )
    assert escalation is not None  # the policy allows messages only on escalated incidents
    return record_change(escalation, by=by, name="message.posted", kind=TimelineEntry.Kind.MESSAGE, text=text)
