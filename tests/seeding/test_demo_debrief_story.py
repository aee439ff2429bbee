"""The demo's debrief story works in `make run` (issue 13.8): with one supervisor per provider, a
seeded debrief is submitted by the supervisor and approved over HTTP by the org admin, the second
pair of eyes each demo provider's rule names; never by its submitter."""

import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Site, User
from debriefs.models import Debrief
from incidents import services as incident_services
from incidents.models import Category, Incident

pytestmark = pytest.mark.usefixtures("eager")


@pytest.fixture
def seeded(db, settings, django_capture_on_commit_callbacks):
    """seed_demo with what follows its commits (the closed incident's debrief requested and drafted)."""
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")


def submit_and_approve(client, debrief: Debrief, *, supervisor: str, reviewer: str) -> Debrief:
    client.force_login(User.objects.get(email=supervisor))
    response = client.post(
        reverse("debriefs:edit", args=[debrief.public_id]),
        {"edit_version": debrief.edit_version, "summary": "Leak found and fixed.", "then": "submit"},
    )
    assert response.status_code in (200, 302)
    debrief.refresh_from_db()
    assert debrief.status == Debrief.Status.SUBMITTED
    # the submitter cannot approve it ...
    client.post(reverse("debriefs:review", args=[debrief.public_id]), {"decision": "approve"})
    debrief.refresh_from_db()
    assert debrief.status == Debrief.Status.SUBMITTED
    # ... the org admin, the second pair of eyes, can: it is waiting in their review queue
    client.force_login(User.objects.get(email=reviewer))
    queue = client.get(reverse("debriefs:index")).content.decode()
    assert debrief.incident.reference in queue
    response = client.post(
        reverse("debriefs:review", args=[debrief.public_id]), {"decision": "approve"}, follow=True
    )
    assert "Debrief approved." in response.content.decode()
    debrief.refresh_from_db()
    assert debrief.status == Debrief.Status.APPROVED
    return debrief


def test_the_seeded_sentinel_debrief_is_approved_by_its_org_admin(client, seeded):
    hazard = Incident.objects.get(reporter__email="guard@sentinel.example", category__code="hazard")
    debrief = hazard.debriefs.get()
    assert debrief.status == Debrief.Status.DRAFT  # drafted by the follow-up of the seeded close
    submit_and_approve(
        client, debrief, supervisor="supervisor@sentinel.example", reviewer="admin@sentinel.example"
    )


def test_a_harbor_debrief_is_approved_by_its_org_admin(client, seeded, django_capture_on_commit_callbacks):
    supervisor = User.objects.get(email="supervisor@harbor.example")
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_services.report_incident(
            reporter=User.objects.get(email="guard@harbor.example"),
            site=Site.objects.get(code="harborpoint"),
            idempotency_key=uuid.uuid4(),
            submit=True,
            category=Category.objects.get(code="hazard"),
            severity=2,
            occurred_at=timezone.now() - timedelta(minutes=20),
            location="Loading dock",
            narrative="Oil spill by the dock door.",
        ).incident
        incident_services.accept_incident(incident=incident, by=supervisor)
        incident_services.close_incident(incident=incident, by=supervisor, resolution="Cleaned up.")
    submit_and_approve(
        client,
        incident.debriefs.get(),
        supervisor="supervisor@harbor.example",
        reviewer="admin@harbor.example",
    )
