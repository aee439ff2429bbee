"""ICS-214 activity logs: a closed incident's, the form's blocks filled from its timeline in the site's
time zone, only for its provider's staff and the agencies it was escalated to; a drill's, marked
EXERCISE, from the drill's page for whoever may see the drill, once its window has opened."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AuditEvent
from dispatch import services as dispatch_services
from incidents import services as incident_services
from preparedness import services as preparedness_services
from preparedness.models import Scenario
from tests.factories import report

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(escalated):
    world = escalated.world
    incident_services.add_note(
        incident=escalated.incident, by=world.supervisor_a, text="CCTV saved for the police"
    )
    dispatch_services.accept_escalation(escalation=escalated.escalation, by=world.liaison_x)
    dispatch_services.clear_escalation(
        escalation=escalated.escalation,
        by=world.liaison_x,
        disposition="Suspect cautioned",
        case_number="MPD-4471",
    )
    incident_services.close_incident(
        incident=escalated.incident, by=world.supervisor_a, resolution="Jackets returned"
    )
    escalated.incident.refresh_from_db()
    return escalated


def _text(response) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_the_liaison_downloads_the_activity_log_of_a_closed_incident(client, closed):
    client.force_login(closed.world.liaison_x)

    response = client.get(reverse("exports:ics214", args=[closed.incident.public_id]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _text(response)
    for block in (
        "ACTIVITY LOG (ICS 214)",
        "1. Incident Name:",
        "2. Operational Period:",
        "6. Resources Assigned:",
        "7. Activity Log:",
        "8. Prepared by:",
    ):
        assert block in text
    assert closed.incident.reference in text
    assert "CCTV saved for the police" in text
    assert "Suspect cautioned MPD-4471" in text  # the police's clearance, from the timeline
    assert "requested → accepted" in text
    assert str(closed.world.liaison_x) in text  # a resource, and who prepared it
    assert f"({closed.incident.site.time_zone})" in text
    assert AuditEvent.objects.filter(action="incident.ics214_exported", actor=closed.world.liaison_x).exists()


def test_an_open_incident_has_no_activity_log_yet(client, escalated):
    client.force_login(escalated.world.supervisor_a)

    response = client.get(reverse("exports:ics214", args=[escalated.incident.public_id]))

    assert (response.status_code, response.content) == (
        409,
        b"The ICS-214 activity log is made for a closed incident.",
    )


@pytest.mark.parametrize(("who", "code"), [("guard_a", 403), ("liaison_y", 404), ("supervisor_b", 404)])
def test_others_do_not_get_it(client, closed, who, code):
    client.force_login(getattr(closed.world, who))

    assert client.get(reverse("exports:ics214", args=[closed.incident.public_id])).status_code == code


@pytest.fixture
def drill(world):
    """A fire drill running now at a1 (provider A, agency X), the guard and the liaison taking part,
    with one report filed in it and noted by the supervisor."""
    now = timezone.now()
    drill = preparedness_services.schedule_drill(
        by=world.supervisor_a,
        site=world.a1,
        scenario=Scenario.FIRE,
        title="Fire drill, north wing",
        objectives="Evacuate level 2.",
        starts_at=now - timedelta(minutes=30),
        ends_at=now + timedelta(minutes=30),
        participants=[world.guard_a, world.liaison_x],
    )
    drill.filed = report(world.guard_a, world.a1, as_drill=True, narrative="Smoke seen by the loading bay")
    incident_services.add_note(incident=drill.filed, by=world.supervisor_a, text="Level 2 evacuated in 4 min")
    return drill


def _drill_log(client, drill):
    return client.get(reverse("exports:drill_ics214", args=[drill.public_id]))


def test_the_drills_page_links_its_activity_log_marked_exercise(client, world, drill):
    client.force_login(world.supervisor_a)
    page = client.get(reverse("preparedness:drill", args=[drill.public_id])).content.decode()
    assert reverse("exports:drill_ics214", args=[drill.public_id]) in page

    response = _drill_log(client, drill)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _text(response)
    for block in (
        "ACTIVITY LOG (ICS 214)",
        "1. Incident Name:",
        "6. Resources Assigned:",
        "7. Activity Log:",
    ):
        assert block in text
    assert "EXERCISE · EXERCISE · EXERCISE" in text
    assert "Fire drill, north wing" in text
    assert "EXERCISE window opened" in text
    assert f"{drill.filed.reference} · Note · Level 2 evacuated in 4 min" in text
    assert str(world.liaison_x) in text  # a participant, among the resources assigned
    assert f"({world.a1.time_zone})" in text
    assert AuditEvent.objects.filter(action="drill.ics214_exported", actor=world.supervisor_a).exists()


def test_a_liaison_who_sees_the_drill_gets_it_with_only_the_references_of_incidents_not_shared(
    client, world, drill
):
    client.force_login(world.liaison_x)

    response = _drill_log(client, drill)

    assert response.status_code == 200
    text = _text(response)
    assert f"{drill.filed.reference} · EXERCISE report filed" in text
    assert "Level 2 evacuated" not in text  # the exercise incident was never escalated to agency X


def test_a_drill_not_started_or_cancelled_has_none_and_no_link(client, world, drill):
    later = preparedness_services.schedule_drill(
        by=world.supervisor_a,
        site=world.a1,
        scenario=Scenario.EVACUATION,
        title="Evacuation drill",
        objectives="Out in 5 min.",
        starts_at=timezone.now() + timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=1, hours=1),
    )
    client.force_login(world.supervisor_a)

    assert (_drill_log(client, later).status_code, _drill_log(client, later).content) == (
        409,
        b"The drill's ICS-214 activity log is made once its window opens.",
    )
    page = client.get(reverse("preparedness:drill", args=[later.public_id])).content.decode()
    assert "data-drill-ics214" not in page
    preparedness_services.cancel_drill(drill=drill, by=world.supervisor_a)
    assert _drill_log(client, drill).content == b"A cancelled drill has no activity log."
    assert not AuditEvent.objects.filter(action="drill.ics214_exported").exists()


@pytest.mark.parametrize("who", ["supervisor_b", "liaison_y", "guard_b"])
def test_who_may_not_see_the_drill_does_not_get_it(client, world, drill, who):
    client.force_login(getattr(world, who))

    assert _drill_log(client, drill).status_code == 404


def test_a_closed_exercise_incidents_activity_log_says_exercise(client, world, drill):
    incident_services.close_incident(incident=drill.filed, by=world.supervisor_a, resolution="Drill over")
    client.force_login(world.supervisor_a)

    response = client.get(reverse("exports:ics214", args=[drill.filed.public_id]))

    assert response.status_code == 200
    assert "EXERCISE · EXERCISE · EXERCISE" in _text(response)
