"""The debriefs list as its users meet it: the supervisor follows the drafts of their provider, and
every list names a version and its state in words."""

import pytest
from django.urls import reverse

from accounts.models import Role
from tests.debriefs.test_views import _submit
from tests.factories import member


def _in_progress(page) -> str:
    html = page.content.decode()
    start = html.find("data-in-progress")
    assert start != -1, "the list of debriefs being written is missing"
    return html[start : html.find("</section>", start)]


def test_the_supervisor_sees_the_draft_with_its_state(client, world, drafted):
    client.force_login(world.supervisor_a)
    section = _in_progress(client.get(reverse("debriefs:index")))
    assert drafted.incident.reference in section
    assert '<span class="badge" data-state="draft">Draft</span>' in section
    assert "Version 1 \u00b7 Draft" in section
    assert reverse("debriefs:detail", args=[drafted.public_id]) in section


def test_another_supervisor_of_the_provider_sees_it_too(client, world, drafted):
    client.force_login(member(Role.SUPERVISOR, world.provider_a))
    assert drafted.incident.reference in _in_progress(client.get(reverse("debriefs:index")))


def test_the_submitter_still_finds_what_waits_for_another_reviewer(client, world, drafted):
    _submit(client, world, drafted)
    section = _in_progress(client.get(reverse("debriefs:index")))
    assert "Version 1 \u00b7 Submitted for review" in section
    # The second supervisor has it in the review queue, not twice.
    client.force_login(member(Role.SUPERVISOR, world.provider_a))
    page = client.get(reverse("debriefs:index"))
    assert drafted.incident.reference not in _in_progress(page)
    assert page.content.decode().count(drafted.incident.reference) == 1


def test_the_list_is_empty_with_a_reason_before_any_draft(client, world):
    client.force_login(world.supervisor_a)
    assert "No debrief is being written" in _in_progress(client.get(reverse("debriefs:index")))


def test_the_providers_org_admin_follows_the_drafts_too(client, world, drafted):
    client.force_login(world.admin_a)
    section = _in_progress(client.get(reverse("debriefs:index")))
    assert drafted.incident.reference in section
    assert "Version 1 \u00b7 Draft" in section
    assert client.get(reverse("debriefs:detail", args=[drafted.public_id])).status_code == 200


def test_another_providers_supervisor_sees_only_their_own(client, world, drafted):
    client.force_login(world.supervisor_b)
    page = client.get(reverse("debriefs:index"))
    assert "No debrief is being written" in _in_progress(page)
    assert drafted.incident.reference.encode() not in page.content


@pytest.mark.parametrize("who", ["guard_a", "liaison_x", "liaison_y"])
def test_nobody_else_gets_the_drafts(client, world, drafted, who):
    client.force_login(getattr(world, who))
    page = client.get(reverse("debriefs:index"))
    assert page.status_code == 200
    assert b"data-in-progress" not in page.content
    if who != "liaison_x":  # the agency's liaison is asked for its account (below)
        assert drafted.incident.reference.encode() not in page.content


def test_the_liaison_reads_the_version_in_words(client, world, drafted):
    client.force_login(world.liaison_x)
    for name in ("debriefs:index", "debriefs:agency_queue"):
        html = client.get(reverse(name)).content.decode()
        assert drafted.incident.reference in html
        assert "Version 1 \u00b7 Draft" in html
        assert "v1, draft" not in html


def test_the_debrief_page_names_its_versions_in_words(client, world, drafted):
    client.force_login(world.supervisor_a)
    html = client.get(reverse("debriefs:detail", args=[drafted.public_id])).content.decode()
    assert "Version 1 \u00b7 Draft" in html
    assert "v1 (draft)" not in html
    assert f"<title>Debrief {drafted.incident.reference}, version 1" in html
    assert "Download PDF (version 1)" in html or "Download PDF" not in html
    assert " v1" not in html
