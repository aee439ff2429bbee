"""Drills end to end: the EXERCISE mark on every surface, lists and statistics without drills, a
real panic during a drill stays real, and the drill's debrief drafted when its window closes."""

import csv
import io
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from debriefs.models import Debrief
from dispatch import services as dispatch_services
from dispatch.events import escalation_payload
from exports import documents as exports_documents
from incidents import selectors as incident_selectors
from incidents.models import Category, Incident
from incidents.selectors import IncidentFilters
from notifications import services as notification_services
from notifications.models import Channel, OutboxMessage, Target
from preparedness import selectors, services
from preparedness.models import Drill, Scenario
from tests.factories import report
from tests.notifications.helpers import step

Exercise = Incident.Exercise


def test_a_report_filed_as_drill_is_marked_exercise_and_its_first_entry_says_so(world, drill):
    incident = report(world.guard_a, world.a1, as_drill=True)
    assert incident.exercise == Exercise.EXERCISE
    assert incident.cap_status == "Exercise"
    assert incident.timeline.order_by("pk").first().data["exercise"] == "exercise"
    assert list(selectors.drill_incidents(drill)) == [incident]


def test_as_drill_without_a_running_drill_is_refused_and_files_nothing(world, drill):
    before = Incident.objects.count()
    with pytest.raises(ValidationError, match="No drill is running at this site"):
        report(world.supervisor_a, world.a2, as_drill=True)  # the drill is at a1
    assert Incident.objects.count() == before


def test_a_report_outside_the_drill_at_its_site_says_it_is_real(world, drill):
    incident = report(world.supervisor_a, world.a1)  # not filed as drill, not marking participants
    assert incident.exercise == Exercise.REAL
    assert report(world.guard_b, world.b1).exercise == Exercise.NONE  # no drill at b1


def test_participants_reports_are_marked_when_the_drill_says_so_but_a_real_panic_stays_real(world, drill):
    Drill.objects.filter(pk=drill.pk).update(mark_participants=True)
    assert report(world.guard_a, world.a1).exercise == Exercise.EXERCISE
    panic = dispatch_services.press_panic(guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4())
    assert panic.incident.exercise == Exercise.REAL
    assert escalation_payload(panic.escalation)["incident"]["exercise"] == "real"
    texts = OutboxMessage.objects.filter(incident=panic.incident).exclude(payload={})
    assert texts.exists()
    assert all(m.payload["title"].startswith("REAL, not the drill") for m in texts if "title" in m.payload)
    assert all(m.payload["status"] == "Actual" for m in texts)


def test_a_panic_pressed_as_drill_is_an_exercise_and_without_a_drill_is_never_refused(world, drill):
    drilled = dispatch_services.press_panic(
        guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4(), as_drill=True
    )
    assert drilled.incident.exercise == Exercise.EXERCISE
    assert drilled.escalation is not None  # the chain runs as for real
    Drill.objects.filter(pk=drill.pk).update(cancelled_at=timezone.now())
    real = dispatch_services.press_panic(
        guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4(), as_drill=True
    )
    assert real.incident.exercise == Exercise.NONE


def test_lists_hide_drills_unless_asked_and_the_api_says_cap_status(world, drill, client):
    exercise = report(world.guard_a, world.a1, as_drill=True)
    real = report(world.guard_a, world.a1)
    listed = incident_selectors.list_incidents(for_user=world.supervisor_a)
    assert real in listed
    assert exercise not in listed
    included = incident_selectors.list_incidents(
        for_user=world.supervisor_a, filters=IncidentFilters(drills="include")
    )
    assert {real, exercise} <= set(included)
    only = incident_selectors.list_incidents(
        for_user=world.supervisor_a, filters=IncidentFilters(drills="only")
    )
    assert list(only) == [exercise]
    client.force_login(world.supervisor_a)
    page = client.get("/incidents/").content.decode()
    assert real.reference in page
    assert exercise.reference not in page
    page = client.get("/incidents/", {"drills": "include"}).content.decode()
    assert exercise.reference in page
    assert "EXERCISE" in page
    api = client.get("/api/v1/incidents/", {"drills": "only"}).json()
    assert [(row["reference"], row["cap_status"]) for row in api["results"]] == [
        (exercise.reference, "Exercise")
    ]


def test_drills_count_in_no_statistics(world, drill):
    theft = Category.objects.get(code="theft")
    report(world.guard_a, world.a1, as_drill=True, category=theft)
    report(world.guard_a, world.a1, as_drill=True, category=theft)
    report(world.guard_a, world.a1, category=theft)  # real (during the drill)
    rows = selectors.trend_summary(sites=world.a1.__class__.objects.filter(pk=world.a1.pk))
    assert [(row.category, row.count) for row in rows] == [(theft.name, 1)]
    uses = {c.code: c.uses for c in incident_selectors.list_categories_by_use(for_user=world.guard_a)}
    assert uses["theft"] == 1


def test_the_incident_page_and_the_board_payload_mark_the_exercise(world, drill, client):
    incident = report(world.guard_a, world.a1, as_drill=True)
    escalation = dispatch_services.escalate_incident(incident=incident, by=world.supervisor_a)
    payload = escalation_payload(escalation)
    assert (payload["incident"]["exercise"], payload["incident"]["cap_status"]) == ("exercise", "Exercise")
    board_event = escalation.board_events.order_by("sequence").last()
    assert board_event.payload["escalation"]["incident"]["exercise"] == "exercise"
    client.force_login(world.guard_a)
    page = client.get(f"/incidents/{incident.public_id}/").content.decode()
    assert "exercise-badge" in page
    assert "this incident is part of a drill" in page


def test_every_notification_text_and_the_webhook_payload_say_exercise(
    world, drill, escalate, agency_policy, sink, private_webhooks
):
    endpoint = notification_services.create_webhook_endpoint(
        by=world.admin_x, organization=world.agency_x, name="CAD", url=sink.url("/cad"), events=["page"]
    )
    endpoint.secret = sink.secret = "whsec_test"
    endpoint.save()
    agency_policy(step(0, channels=[Channel.IN_APP, Channel.EMAIL]), step(0, Target.WEBHOOKS))
    exercise = escalate(as_drill=True)
    messages = OutboxMessage.objects.filter(incident=exercise.incident)
    people = messages.exclude(channel=Channel.WEBHOOK)
    assert people.count() >= 2
    for message in people:
        assert message.payload["title"].startswith("EXERCISE — ")
        assert message.payload["text"].startswith("EXERCISE — ")
    hook = messages.get(channel=Channel.WEBHOOK)
    assert notification_services.deliver_message(message_id=hook.pk, claim="t").state == "delivered"
    (received,) = sink.received
    assert received.json["status"] == "Exercise"
    assert received.json["data"]["incident"]["cap_status"] == "Exercise"

    Drill.objects.filter(pk=drill.pk).update(cancelled_at=timezone.now())
    real = escalate()
    hook = OutboxMessage.objects.get(incident=real.incident, channel=Channel.WEBHOOK)
    notification_services.deliver_message(message_id=hook.pk, claim="t2")
    assert sink.received[-1].json["status"] == "Actual"
    assert not OutboxMessage.objects.filter(
        incident=real.incident, payload__title__startswith="EXERCISE"
    ).exists()


def test_the_drill_export_marks_every_row_exercise(world, drill, client):
    incident = report(world.guard_a, world.a1, as_drill=True)
    report(world.guard_a, world.a1)  # real: not in the drill's export
    client.force_login(world.supervisor_a)
    response = client.get(f"/preparedness/drills/{drill.public_id}/export.csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(row["status"], row["reference"]) for row in rows] == [("Exercise", incident.reference)]
    client.force_login(world.guard_a)
    assert client.get(f"/preparedness/drills/{drill.public_id}/export.csv").status_code == 403


def test_the_incident_exports_mark_a_drill_and_say_a_real_event_during_it_is_real(world, drill, client):
    drilled = report(world.guard_a, world.a1, as_drill=True)
    real = report(world.supervisor_a, world.a1)  # filed during the drill, not part of it
    client.force_login(world.supervisor_a)

    def rows(query=""):
        response = client.get(f"/analytics/export/incidents.csv{query}")
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        return {row["Reference"]: row for row in csv.DictReader(io.StringIO(text))}

    assert list(rows()) == [real.reference]  # as the list: drills hidden unless asked for
    both = rows("?drills=include")
    assert (both[drilled.reference]["CAP status"], both[drilled.reference]["Drill"]) == (
        "Exercise",
        "EXERCISE",
    )
    assert (both[real.reference]["CAP status"], both[real.reference]["Drill"]) == (
        "Actual",
        "REAL, not part of the drill",
    )
    assert list(rows("?drills=only")) == [drilled.reference]
    document = client.get(f"/incidents/{drilled.public_id}/export.json").json()
    assert (document["cap_status"], document["drill"]) == ("Exercise", "exercise")
    assert exports_documents.incident_document(drilled, evidence=[])["cap_status"] == "Exercise"
    assert exports_documents.incident_document(real, evidence=[])["drill"] == "real"


def test_the_drill_debrief_is_drafted_when_the_window_closes_once(
    world, drill, eager, django_capture_on_commit_callbacks
):
    first = report(world.guard_a, world.a1, as_drill=True)
    escalation = dispatch_services.escalate_incident(incident=first, by=world.supervisor_a)
    dispatch_services.accept_escalation(escalation=escalation, by=world.liaison_x)
    second = report(world.guard_a, world.a1, as_drill=True)
    real = report(world.supervisor_a, world.a1)
    assert services.close_due_drills(now=drill.ends_at - timedelta(seconds=1)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.close_due_drills(now=drill.ends_at + timedelta(seconds=1)) == 1
    debrief = Debrief.objects.get(incident=first)
    assert debrief.status == Debrief.Status.DRAFT
    assert debrief.drill["id"] == str(drill.public_id)
    facts = debrief.facts["drill"]
    assert facts["objectives"].startswith("Accept the escalation within 2 minutes")
    assert [row["reference"] for row in facts["incidents"]] == [first.reference, second.reference]
    acceptance = next(i for i in facts["incidents"][0]["intervals"] if i["key"] == "acceptance")
    assert acceptance["seconds"] is not None
    assert acceptance["target"]
    assert facts["real_during"] == [real.reference]
    assert debrief.facts["summary"].startswith("EXERCISE: debrief of the drill")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.close_due_drills(now=drill.ends_at + timedelta(minutes=5)) == 0
    assert Debrief.objects.filter(incident=first).count() == 1


def test_the_drills_misses_are_drafted_as_improvement_actions(
    world, drill, eager, django_capture_on_commit_callbacks
):
    slow = report(world.guard_a, world.a1, as_drill=True)
    three_minutes_ago = timezone.now() - timedelta(minutes=3)  # inside the window, which began 5 ago
    Incident.objects.filter(pk=slow.pk).update(received_at=three_minutes_ago, submitted_at=three_minutes_ago)
    dispatch_services.escalate_incident(incident=slow, by=world.supervisor_a)  # triaged now: ~180 s
    with django_capture_on_commit_callbacks(execute=True):
        assert services.close_due_drills(now=drill.ends_at + timedelta(seconds=1)) == 1
    debrief = Debrief.objects.get(incident=slow)
    (miss,) = [m for m in debrief.facts["drill"]["misses"] if "Received → triaged" in m]
    assert miss.startswith(f"{slow.reference}: Received → triaged took ")
    assert miss.endswith("against a target of 60 s")
    assert debrief.improvements.startswith("Improvement actions to consider:\n- ")
    assert miss in debrief.improvements


def test_only_the_sites_supervisors_and_liaisons_schedule_and_windows_do_not_overlap(world, drill):
    now = timezone.now()
    fields = {
        "site": world.a1,
        "scenario": Scenario.LOCKDOWN,
        "title": "Lockdown",
        "objectives": "Lock the doors.",
        "starts_at": now + timedelta(hours=2),
        "ends_at": now + timedelta(hours=3),
    }
    for outsider in (world.guard_a, world.liaison_y, world.supervisor_b):
        with pytest.raises(PermissionDenied):
            services.schedule_drill(by=outsider, **fields)
    assert services.schedule_drill(by=world.liaison_x, **fields).scheduled_by == world.liaison_x
    with pytest.raises(ValidationError, match="Another drill runs"):
        services.schedule_drill(by=world.supervisor_a, **fields)
    with pytest.raises(ValidationError, match="Participants come from"):
        services.schedule_drill(
            by=world.supervisor_a,
            **{**fields, "starts_at": now + timedelta(hours=5), "ends_at": now + timedelta(hours=6)},
            participants=[world.guard_b],
        )


def test_the_drill_page_links_the_debrief_only_once_it_is_drafted(world, drill, client):
    """A closed drill's page said "open the drill's debrief" before the worker had drafted it, and the
    link led to "No debrief yet" (the drill's browser test met it in CI, where a worker drafts)."""
    first = report(world.guard_a, world.a1, as_drill=True)
    Drill.objects.filter(pk=drill.pk).update(closed_at=timezone.now())  # closed; no debrief drafted yet
    client.force_login(world.supervisor_a)
    page = client.get(f"/preparedness/drills/{drill.public_id}/").content.decode()
    assert f"being drafted on {first.reference}" in page
    debrief_url = reverse("debriefs:incident", args=[first.public_id])
    assert debrief_url not in page
    Debrief.objects.create(incident=first)
    page = client.get(f"/preparedness/drills/{drill.public_id}/").content.decode()
    assert "being drafted" not in page
    assert f'href="{debrief_url}"' in page
