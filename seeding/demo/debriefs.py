"""A demo debrief waiting for the agency's account (`manage.py seed_demo`, idempotent): an incident
escalated to the police, answered, cleared and closed, its debrief drafted from the timeline. The
agency's liaison finds it on their home page; the supervisor can edit it and add corrective actions."""

import uuid
from datetime import timedelta

from django.utils import timezone

from accounts.models import Role, Site, User
from debriefs import services as debrief_services
from dispatch import services as dispatch_services
from incidents import services as incident_services
from incidents.models import Category

KEY = uuid.UUID("0c7e4a52-31f6-4d0e-9a0b-5be1d3a5f6c1")


def seed_debriefs() -> int:
    """How many demo debriefs were made now (0 when they exist already)."""
    guard = User.objects.get(email="guard@sentinel.example")
    supervisor = User.objects.get(email="supervisor@sentinel.example")
    site = Site.objects.get(code="riverside", provider=guard.membership.organization)
    liaison = User.objects.filter(
        membership__organization=site.agency, membership__role=Role.LIAISON, is_active=True
    ).first()
    if site.agency is None or liaison is None:
        return 0
    result = incident_services.report_incident(
        reporter=guard,
        site=site,
        idempotency_key=KEY,
        category=Category.objects.get(code="theft"),
        severity=2,
        occurred_at=timezone.now() - timedelta(hours=3),
        location="Level 2, Phones4All",
        narrative="Two men grabbed three display phones and ran for the east exit; one was stopped.",
    )
    if not result.created:
        return 0
    incident = result.incident
    escalation = dispatch_services.escalate_incident(
        incident=incident, by=supervisor, reason="One suspect detained by staff at the east exit."
    )
    dispatch_services.accept_escalation(escalation=escalation, by=liaison)
    dispatch_services.mark_on_scene(escalation=escalation, by=liaison)
    dispatch_services.clear_escalation(
        escalation=escalation, by=liaison, disposition="One arrest; phones recovered.", case_number="24-11873"
    )
    closed = incident_services.close_incident(
        incident=incident, by=supervisor, resolution="Phones recovered; one suspect arrested by the police."
    )
    debrief = debrief_services.request_debrief(incident=closed, by=supervisor)
    debrief_services.draft_debrief(debrief=debrief)
    return 1
