"""An access flag for Metro Police Department's org admin to read (README, "Who sees what"): the
liaison opened the people of one incident after another among the agency's old, cleared cases, each
with a purpose, and the hourly review flagged it. Idempotent: once the agency has a flag, nothing."""

from django.conf import settings

from accounts.models import Organization, User
from dispatch import services as dispatch_services
from dispatch.models import AccessFlag, Escalation
from incidents import services
from incidents.models import Incident
from seeding.demo.accounts import AGENCIES


def seed_access_flag() -> int:
    metro = Organization.objects.get(name=AGENCIES["metro"])
    if AccessFlag.objects.filter(agency=metro).exists():
        return 0
    liaison = User.objects.get(email="liaison@metro.example")
    # Incidents whose escalations to Metro were all closed: opening them is outside open escalations.
    cleared = (
        Incident.objects.filter(escalations__agency=metro, escalations__status=Escalation.Status.CLEARED)
        .exclude(escalations__agency=metro, escalations__status__in=Escalation.OPEN)
        .distinct()
        .order_by("-received_at")[: settings.ACCESS_REVIEW_MANY_INCIDENTS]
    )
    for incident in cleared:
        services.record_personal_data_view(
            incident=incident, by=liaison, purpose="Looking through old cases", what="people", via="page"
        )
    return len(dispatch_services.flag_unusual_access())
