import io
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from dispatch import services as dispatch_services
from incidents import services
from incidents.models import Category, Incident, TimelineEntry
from notifications import services as notification_services
from tests.factories import report
from tests.notifications.helpers import step


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def report_data(world, **overrides):
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "site": world.a1.pk,
        "category": Category.objects.get(code="theft").pk,
        "severity": "3",
        "occurred_at": "2026-11-29T08:30",
        "location": "North entrance",
        "narrative": "Two jackets taken from the rack",
        "action": "submit",
    }
    data.update(overrides)
    return data


def test_guard_files_a_report_that_keeps_site_time(client, world):
    client.force_login(world.guard_a)
    page = client.get(reverse("incidents:report"))
    assert page.status_code == 200
    assert b'name="idempotency_key"' in page.content
    response = client.post(reverse("incidents:report"), report_data(world))
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("incidents:detail", args=[incident.public_id])
    assert incident.status == Incident.Status.SUBMITTED
    # 08:30 at a Europe/London site in November is 08:30 UTC.
    assert incident.occurred_at.isoformat() == "2026-11-29T08:30:00+00:00"
    detail = client.get(response.url)
    assert incident.reference.encode() in detail.content
    assert b"Europe/London" in detail.content


def test_a_double_submission_makes_one_incident(client, world):
    client.force_login(world.guard_a)
    data = report_data(world)
    client.post(reverse("incidents:report"), data)
    again = client.post(reverse("incidents:report"), data, follow=True)
    assert Incident.objects.count() == 1
    assert b"already received" in again.content


def test_bad_input_keeps_what_was_typed_and_writes_nothing(client, world):
    client.force_login(world.guard_a)
    response = client.post(
        reverse("incidents:report"), report_data(world, severity="9", narrative="keep me please")
    )
    assert response.status_code == 200
    assert b"keep me please" in response.content
    assert b"Select a valid choice" in response.content
    assert not Incident.objects.exists()


def test_a_draft_is_kept_and_finished_later(client, world):
    client.force_login(world.guard_a)
    client.post(reverse("incidents:report"), report_data(world, category="", severity="", action="draft"))
    draft = Incident.objects.get()
    assert draft.status == Incident.Status.DRAFT
    edit = reverse("incidents:edit", args=[draft.public_id])
    client.post(
        edit,
        {
            "version": draft.version,
            "category": Category.objects.get(code="fire").pk,
            "severity": "1",
            "occurred_at": "2026-11-29T08:30",
            "location": "",
            "narrative": "smoke",
        },
    )
    client.post(reverse("incidents:submit", args=[draft.public_id]), {"version": draft.version + 1})
    draft.refresh_from_db()
    assert draft.status == Incident.Status.SUBMITTED
    assert draft.severity == 1


def test_report_with_a_photo_attaches_it_and_sends(client, world):
    client.force_login(world.guard_a)
    photo = io.BytesIO(png_bytes())
    photo.name = "door.png"
    response = client.post(reverse("incidents:report"), {**report_data(world), "evidence": [photo]})
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert incident.status == Incident.Status.SUBMITTED
    assert incident.evidence.count() == 1
    kinds = list(incident.timeline.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["created", "evidence_added", "status_changed", "submitted"]


def test_a_refused_file_keeps_the_report_as_a_draft(client, world):
    client.force_login(world.guard_a)
    fake = io.BytesIO(b"<html><script>alert(1)</script></html>")
    fake.name = "photo.jpg"
    response = client.post(
        reverse("incidents:report"), {**report_data(world), "evidence": [fake]}, follow=True
    )
    incident = Incident.objects.get()
    assert incident.status == Incident.Status.DRAFT
    assert incident.narrative == "Two jackets taken from the rack"
    assert b"kept as a draft" in response.content
    assert not incident.evidence.exists()


def test_the_edit_conflict_is_shown_not_overwritten(client, world):
    incident = report(world.guard_a, world.a1, narrative="original")
    client.force_login(world.supervisor_a)
    stale = incident.version
    form = {
        "category": incident.category_id,
        "severity": "3",
        "occurred_at": "2026-11-29T08:30",
        "location": "",
    }
    edit = reverse("incidents:edit", args=[incident.public_id])
    assert client.post(edit, {**form, "version": stale, "narrative": "first"}).status_code == 302
    response = client.post(edit, {**form, "version": stale, "narrative": "second"})
    assert response.status_code == 409
    assert b"after you opened it" in response.content
    incident.refresh_from_db()
    assert incident.narrative == "first"


def test_supervisor_triages_from_the_queue(client, world):
    incident = report(world.guard_a, world.a1, severity=2)
    client.force_login(world.supervisor_a)
    queue = client.get(reverse("incidents:triage"))
    assert incident.reference.encode() in queue.content
    url = reverse("incidents:triage_action", args=[incident.public_id])
    client.post(url, {"action": "request_info", "version": incident.version, "comment": "Which rack?"})
    incident.refresh_from_db()
    assert incident.status == Incident.Status.NEEDS_INFO
    client.post(url, {"action": "close", "version": incident.version, "comment": ""}, follow=True)
    incident.refresh_from_db()
    assert incident.status == Incident.Status.NEEDS_INFO
    client.post(url, {"action": "close", "version": incident.version, "comment": "Recovered by staff"})
    incident.refresh_from_db()
    assert incident.status == Incident.Status.CLOSED


def test_closing_without_a_resolution_says_so_beside_the_comment_box(client, world):
    """The triage card is far down a long incident page: the refusal comes back in it, beside the box,
    with its summary (a flash at the page's top left the supervisor looking for what was wrong)."""
    incident = report(world.guard_a, world.a1, severity=3)
    client.force_login(world.supervisor_a)
    url = reverse("incidents:triage_action", args=[incident.public_id])
    response = client.post(url, {"action": "close", "version": incident.version, "comment": "  "})
    assert response.status_code == 400
    page = response.content.decode()
    card = page[page.index('id="triage"') :]
    assert "data-error-summary" in card
    assert 'href="#id_comment"' in card
    field = card[card.index('id="field-comment"') :]
    assert "Say how the incident was resolved." in field[: field.index("</div>")]
    incident.refresh_from_db()
    assert incident.status == Incident.Status.SUBMITTED
    asked = client.post(url, {"action": "request_info", "version": incident.version, "comment": ""})
    assert asked.status_code == 400
    assert b"Say what information is missing." in asked.content


@pytest.mark.parametrize("who", ["guard_b", "supervisor_b", "liaison_x", "admin_x"])
def test_other_tenants_get_404(client, world, who):
    incident = report(world.guard_a, world.a1)
    client.force_login(getattr(world, who))
    assert client.get(reverse("incidents:detail", args=[incident.public_id])).status_code == 404
    assert (
        client.post(reverse("incidents:add_note", args=[incident.public_id]), {"text": "x"}).status_code
        == 404
    )
    assert not TimelineEntry.objects.filter(kind="note_added").exists()


def test_personal_data_is_shown_to_the_provider(client, world):
    from incidents import services

    incident = report(world.guard_a, world.a1)
    services.add_party(
        incident=incident,
        by=world.guard_a,
        party=services.PartyInput(role="witness", description="Cashier", name="Ann Lee", contact="555-0100"),
    )
    client.force_login(world.supervisor_a)
    assert b"Ann Lee" in client.get(reverse("incidents:detail", args=[incident.public_id])).content


def test_list_search_and_filters(client, world):
    hit = report(world.guard_a, world.a1, narrative="Jackets taken")
    miss = report(world.guard_a, world.a1, narrative="Leak in car park")
    client.force_login(world.supervisor_a)
    response = client.get(reverse("incidents:list"), {"q": "jackets"})
    assert hit.reference.encode() in response.content
    assert miss.reference.encode() not in response.content
    response = client.get(reverse("incidents:list"), {"severity": "9"})
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content


def test_the_filters_count_only_what_narrows_the_list(client, world):
    """The form sends its drills select at its default ("hide"): counting it said "2 active" for one."""
    client.force_login(world.guard_a)
    page = client.get(
        reverse("incidents:list"), {"q": "", "severity": "1", "drills": "hide"}
    ).content.decode()
    assert "Filters (1 active)" in page
    page = client.get(reverse("incidents:list"), {"severity": "1", "drills": "include"}).content.decode()
    assert "Filters (2 active)" in page


@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_costs_the_same_queries_whatever_the_rows(
    client, world, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        report(world.guard_a, world.a1)
    client.force_login(world.supervisor_a)
    client.get(reverse("incidents:list"))  # the session's first request also records its last use
    # 14: the page, the navigation's unread and triage counts, one's own open reports first, and the
    # live police bulletins' banner (one query).
    with django_assert_max_num_queries(14):
        response = client.get(reverse("incidents:list"))
    assert response.status_code == 200


def test_guards_and_liaisons_cannot_reach_the_triage_queue(client, world):
    for who in ("guard_a", "liaison_x"):
        client.force_login(getattr(world, who))
        assert client.get(reverse("incidents:triage")).status_code == 403


def test_the_incident_page_shows_the_police_and_who_was_notified_through_their_apps_tags(client, world):
    notification_services.save_escalation_policy(
        by=world.admin_x, organization=world.agency_x, name="Paging", site=None, steps=[step(0)]
    )
    incident = report(world.guard_a, world.a1)
    dispatch_services.escalate_incident(incident=incident, by=world.supervisor_a)
    client.force_login(world.supervisor_a)
    response = client.get(reverse("incidents:detail", args=[incident.public_id]))
    used = [template.name for template in response.templates]
    assert "dispatch/_incident_police.html" in used
    assert "notifications/_incident_log.html" in used
    page = response.content.decode()
    assert "data-escalation-status>Requested</span>" in page
    assert "Cancel escalation" in page
    assert "Send message" in page
    assert "Escalate to" not in page
    assert "Who was notified" in page
    assert str(world.liaison_x) in page
    client.force_login(world.guard_a)
    page = client.get(reverse("incidents:detail", args=[incident.public_id])).content.decode()
    assert "data-escalation-status>Requested</span>" in page
    assert "Cancel escalation" not in page


def test_the_incident_page_costs_the_same_queries_whatever_its_timeline(client, world):
    incident = report(world.guard_a, world.a1)
    dispatch_services.escalate_incident(incident=incident, by=world.supervisor_a)
    client.force_login(world.supervisor_a)
    url = reverse("incidents:detail", args=[incident.public_id])
    client.get(url)  # the session's first request also records its last use
    counts = []
    for notes in (2, 20):
        while incident.timeline.filter(kind=TimelineEntry.Kind.NOTE_ADDED).count() < notes:
            services.add_note(incident=incident, by=world.supervisor_a, text="Still on site.")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
