import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization, Role
from debriefs import services
from debriefs.models import Debrief
from tests.factories import member, report


def test_the_supervisor_edits_submits_and_a_second_approves_then_downloads(client, world, drafted):
    second = member(Role.SUPERVISOR, world.provider_a)
    client.force_login(world.supervisor_a)
    page = client.get(reverse("debriefs:detail", args=[drafted.public_id]))
    assert page.status_code == 200
    assert b"Escalated \xe2\x86\x92 accepted" in page.content
    client.post(
        reverse("debriefs:edit", args=[drafted.public_id]),
        {
            "edit_version": 1,
            "summary": "Shoplifting handled",
            "strengths": "Fast call",
            "improvements": "Rack",
            "then": "submit",
        },
    )
    drafted.refresh_from_db()
    assert drafted.status == Debrief.Status.SUBMITTED
    client.force_login(second)
    queue = client.get(reverse("debriefs:index"))
    assert drafted.incident.reference.encode() in queue.content
    client.post(reverse("debriefs:review", args=[drafted.public_id]), {"decision": "approve", "comment": ""})
    drafted.refresh_from_db()
    assert drafted.status == Debrief.Status.APPROVED
    services.render_pdf(debrief=drafted)
    response = client.get(reverse("debriefs:pdf", args=[drafted.public_id]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    page = client.get(reverse("debriefs:detail", args=[drafted.public_id]))
    drafted.refresh_from_db()
    assert drafted.pdf_sha256.encode() in page.content


def test_progress_is_reported_while_generating(client, world, closed):
    debrief = closed.debriefs.get()
    client.force_login(world.supervisor_a)
    page = client.get(reverse("debriefs:detail", args=[debrief.public_id]))
    assert b"Generating the draft" in page.content
    assert client.get(reverse("debriefs:status", args=[debrief.public_id])).json()["status"] == "generating"


@pytest.mark.parametrize("who", ["supervisor_b", "guard_b", "liaison_y"])
def test_outsiders_get_404(client, world, drafted, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("debriefs:detail", args=[drafted.public_id])).status_code == 404
    assert client.get(reverse("debriefs:status", args=[drafted.public_id])).status_code == 404


def test_the_liaison_reads_and_writes_the_agency_part(client, world, drafted):
    client.force_login(world.liaison_x)
    page = client.get(reverse("debriefs:detail", args=[drafted.public_id]))
    assert b"The agency&#x27;s account" in page.content or b"The agency's account" in page.content
    client.post(
        reverse("debriefs:agency", args=[drafted.public_id]),
        {"edit_version": drafted.edit_version, "agency_contribution": "Unit 12 on scene in 6 min"},
    )
    drafted.refresh_from_db()
    assert drafted.agency_contribution == "Unit 12 on scene in 6 min"


def test_the_pdf_is_404_until_ready(client, world, drafted):
    client.force_login(world.supervisor_a)
    assert client.get(reverse("debriefs:pdf", args=[drafted.public_id])).status_code == 404


def test_actions_page_and_update(client, world, drafted):
    action = services.add_corrective_action(
        incident=drafted.incident,
        by=world.supervisor_a,
        what="Lock rack",
        owner=world.guard_a,
        due_date=timezone.localdate() + timedelta(days=1),
    )
    client.force_login(world.guard_a)
    assert b"Lock rack" in client.get(reverse("debriefs:actions")).content
    client.post(
        reverse("debriefs:update_action", args=[action.public_id]),
        {"status": "done", "verification": "Seen locked", "next": reverse("debriefs:actions")},
    )
    action.refresh_from_db()
    assert action.status == "done"


def _submit(client, world, drafted):
    client.force_login(world.supervisor_a)
    client.post(
        reverse("debriefs:edit", args=[drafted.public_id]),
        {"edit_version": 1, "summary": "S", "strengths": "", "improvements": "", "then": "submit"},
    )
    drafted.refresh_from_db()
    assert drafted.status == Debrief.Status.SUBMITTED


def test_the_author_is_told_why_they_cannot_approve(client, world, drafted):
    _submit(client, world, drafted)
    page = client.get(reverse("debriefs:detail", args=[drafted.public_id]))
    assert b"You submitted this debrief, so you cannot approve it" in page.content
    assert b"a second person must approve it (another supervisor)" in page.content
    assert b'value="approve"' not in page.content
    client.post(reverse("debriefs:review", args=[drafted.public_id]), {"decision": "approve", "comment": ""})
    drafted.refresh_from_db()
    assert drafted.status == Debrief.Status.SUBMITTED


def test_the_org_admin_approves_where_the_provider_chose_it(client, world, drafted):
    _submit(client, world, drafted)
    client.force_login(world.admin_a)
    page = client.get(reverse("debriefs:detail", args=[drafted.public_id]))
    assert page.status_code == 200
    assert b'value="approve"' not in page.content
    assert (
        client.post(
            reverse("debriefs:review", args=[drafted.public_id]), {"decision": "approve", "comment": ""}
        ).status_code
        == 403
    )
    world.provider_a.debrief_reviewers = Organization.DebriefReviewers.SUPERVISOR_OR_ADMIN
    world.provider_a.save()
    assert drafted.incident.reference.encode() in client.get(reverse("debriefs:index")).content
    page = client.get(reverse("debriefs:detail", args=[drafted.public_id]))
    assert b'value="approve"' in page.content
    client.post(reverse("debriefs:review", args=[drafted.public_id]), {"decision": "approve", "comment": ""})
    drafted.refresh_from_db()
    assert drafted.status == Debrief.Status.APPROVED
    assert drafted.approved_by == world.admin_a
    client.force_login(world.supervisor_a)
    page = client.get(reverse("debriefs:detail", args=[drafted.public_id]))
    assert b"You submitted this debrief" not in page.content


def test_the_debrief_speaks_in_words_and_names_the_zone(client, world, closed):
    """The timeline said "submitted → closed", the intervals "(no on scene)", and the notifications'
    times carried no zone."""
    from incidents.models import Incident
    from notifications.models import Channel, Kind, OutboxMessage

    world.a1.time_zone = "America/Chicago"
    world.a1.save(update_fields=["time_zone"])
    OutboxMessage.objects.create(
        kind=Kind.PAGE,
        channel=Channel.EMAIL,
        recipient=world.supervisor_a,
        recipient_label=str(world.supervisor_a),
        incident=closed,
        idempotency_key="words-test",
        next_attempt_at=timezone.now(),
    )
    bare = report(world.guard_a, world.a1, narrative="Nobody came")
    bare.status = Incident.Status.CLOSED
    bare.save(update_fields=["status"])
    debrief = services.draft_debrief(debrief=closed.debriefs.get())
    client.force_login(world.supervisor_a)
    page = client.get(reverse("debriefs:detail", args=[debrief.public_id])).content.decode()
    assert "Submitted → Closed: Jackets recovered" in page
    assert "submitted → closed" not in page
    assert "Requested → Accepted" in page
    assert re.search(r"\d\d [A-Z][a-z]{2} \d\d:\d\d:\d\d C[SD]T", page)
    empty = Debrief.objects.create(incident=bare)
    empty = services.draft_debrief(debrief=empty)
    page = client.get(reverse("debriefs:detail", args=[empty.public_id])).content.decode()
    assert "Not measured: not escalated" in page
    assert "(no " not in page


def test_a_refused_debrief_save_opens_with_a_summary_that_links_to_each_field(client, world, drafted):
    client.force_login(world.supervisor_a)
    before = (
        drafted.summary,
        drafted.strengths,
        drafted.edit_version,
        drafted.incident.corrective_actions.count(),
    )
    response = client.post(
        reverse("debriefs:edit", args=[drafted.public_id]),
        {
            "edit_version": drafted.edit_version,
            "summary": "",
            "strengths": "Fast call to the police",
            "improvements": "",
            "what": "Lock the jacket rack",
            "owner": world.supervisor_a.pk,
            "due_date": "",
            "then": "save",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    form_opens = html.index('id="debrief-edit"')
    at = html.index("data-error-summary")
    assert form_opens < at < html.index('id="id_summary"'), "the summary opens the form, above its fields"
    summary = html[at : html.index("</div>", at)]
    assert "The debrief was not saved: please check" in summary
    assert '<a href="#id_summary">Summary</a>: This field is required.' in summary
    assert '<a href="#id_due_date">Due date</a>: This field is required.' in summary
    assert 'id="id_due_date"' in html, "each link leads to a field on the page"
    assert "Fast call to the police" in html, "nothing typed is lost"
    assert "Lock the jacket rack" in html, "nothing typed is lost"
    drafted.refresh_from_db()
    assert (
        drafted.summary,
        drafted.strengths,
        drafted.edit_version,
        drafted.incident.corrective_actions.count(),
    ) == before


def test_a_debrief_saved_as_typed_shows_no_summary(client, world, drafted):
    client.force_login(world.supervisor_a)
    page = client.get(reverse("debriefs:detail", args=[drafted.public_id]))
    assert page.status_code == 200
    assert b"data-error-summary" not in page.content
