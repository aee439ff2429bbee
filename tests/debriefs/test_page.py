"""The debrief page never loses what was typed: a refused save shows the page again with every field
as it was sent; and the liaisons see the debriefs waiting for their agency's account."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from debriefs.models import CorrectiveAction, Debrief
from tests.factories import member


def typed(world, **extra):
    data = {
        "edit_version": 1,
        "summary": "Shoplifting handled",
        "strengths": "Radio call within a minute",
        "improvements": "The rack has no lock",
        "what": "Fit a lock to the rack",
        "owner": world.guard_a.pk,
        "due_date": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "then": "add_action",
    }
    data.update(extra)
    return data


def test_a_past_due_date_keeps_the_action_and_the_unsaved_text(client, world, drafted):
    client.force_login(world.supervisor_a)
    response = client.post(reverse("debriefs:edit", args=[drafted.public_id]), typed(world))
    assert response.status_code == 400
    page = response.content.decode()
    assert "The due date cannot be in the past" in page
    for text in ("Radio call within a minute", "The rack has no lock", "Fit a lock to the rack"):
        assert text in page
    assert "What you typed is kept" in page
    drafted.refresh_from_db()
    assert (drafted.strengths, drafted.edit_version) == ("", 1)  # all or nothing
    assert not CorrectiveAction.objects.exists()


def test_adding_an_action_saves_the_text_typed_above_it(client, world, drafted):
    client.force_login(world.supervisor_a)
    due = timezone.localdate() + timedelta(days=7)
    response = client.post(reverse("debriefs:edit", args=[drafted.public_id]), typed(world, due_date=due))
    assert response.status_code == 302
    drafted.refresh_from_db()
    assert drafted.strengths == "Radio call within a minute"
    assert CorrectiveAction.objects.get().due_date == due


def test_saving_with_an_action_typed_adds_it_and_a_bad_one_keeps_everything(client, world, drafted):
    client.force_login(world.supervisor_a)
    edit = reverse("debriefs:edit", args=[drafted.public_id])
    response = client.post(edit, typed(world, then="save", owner=""))
    assert response.status_code == 400
    assert "Fit a lock to the rack" in response.content.decode()
    assert not CorrectiveAction.objects.exists()
    untouched = typed(world, then="save", what="", due_date="", owner="")
    assert client.post(edit, untouched).status_code == 302
    drafted.refresh_from_db()
    assert drafted.improvements == "The rack has no lock"


def test_a_conflicting_save_keeps_the_text(client, world, drafted):
    client.force_login(world.supervisor_a)
    data = typed(world, then="save", what="", due_date="", owner="", edit_version=99)
    response = client.post(reverse("debriefs:edit", args=[drafted.public_id]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Someone else changed this debrief" in page
    assert "Radio call within a minute" in page


def test_a_refused_action_on_a_submitted_debrief_keeps_the_action(client, world, drafted):
    client.force_login(world.supervisor_a)
    client.post(
        reverse("debriefs:edit", args=[drafted.public_id]),
        typed(world, then="submit", what="", due_date="", owner=""),
    )
    drafted.refresh_from_db()
    assert drafted.status == Debrief.Status.SUBMITTED
    response = client.post(
        reverse("debriefs:add_action", args=[drafted.incident.public_id]),
        {"what": "Fit a lock", "owner": world.guard_a.pk, "due_date": "2001-01-01"},
    )
    assert response.status_code == 400
    assert "Fit a lock" in response.content.decode()
    assert "The due date cannot be in the past" in response.content.decode()


def test_the_author_reads_the_four_eyes_rule_before_submitting(client, world, drafted):
    client.force_login(world.supervisor_a)
    page = client.get(reverse("debriefs:detail", args=[drafted.public_id])).content.decode()
    assert "You cannot approve a debrief you submit. A second person must approve it" in page
    assert "another supervisor" in page
    # The jargon stays out of the words people read (issue 14): at most in a fold.
    assert "Four eyes" not in page
    assert "four eyes" not in page


def test_the_liaison_sees_the_debriefs_waiting_for_the_agencys_account(client, world, drafted):
    client.force_login(world.liaison_x)
    reference = drafted.incident.reference
    assert reference in client.get(reverse("debriefs:agency_queue")).content.decode()
    assert reference in client.get(reverse("home")).content.decode()
    assert reference in client.get(reverse("debriefs:index")).content.decode()
    client.post(
        reverse("debriefs:agency", args=[drafted.public_id]),
        {"edit_version": drafted.edit_version, "agency_contribution": "Unit 12 on scene in 6 min"},
    )
    assert reference not in client.get(reverse("debriefs:agency_queue")).content.decode()
    assert "No debrief is waiting" in client.get(reverse("home")).content.decode()


def test_other_agencies_and_the_provider_do_not_get_the_list(client, world, drafted):
    client.force_login(world.liaison_y)
    assert drafted.incident.reference not in client.get(reverse("debriefs:agency_queue")).content.decode()
    client.force_login(world.supervisor_a)
    assert client.get(reverse("debriefs:agency_queue")).status_code == 403
    assert "waiting for your agency" not in client.get(reverse("debriefs:index")).content.decode()
    client.force_login(member(Role.ORG_ADMIN, world.agency_x))
    assert client.get(reverse("debriefs:agency_queue")).status_code == 403


def test_text_sent_after_someone_submitted_the_debrief_is_still_shown(client, world, drafted):
    client.force_login(world.supervisor_a)
    edit = reverse("debriefs:edit", args=[drafted.public_id])
    client.post(edit, typed(world, then="submit", what="", due_date="", owner="", strengths=""))
    response = client.post(edit, typed(world, then="save", what="", due_date="", owner="", edit_version=2))
    assert response.status_code == 400
    page = response.content.decode()
    assert "it cannot be edited now" in page
    assert "Radio call within a minute" in page


def test_the_corrective_action_form_is_reached_from_the_top_of_the_page(client, world, drafted):
    client.force_login(world.supervisor_a)
    page = client.get(reverse("debriefs:detail", args=[drafted.public_id])).content.decode()
    jump = page.index('href="#actions-heading"')
    form = page.index('id="actions-heading"')
    # The link sits in the status card above everything; the form right under the debrief's text,
    # before the long document (intervals, timeline) instead of after it.
    assert jump < page.index('id="edit-heading"') < form < page.index("Response intervals")
    assert form < page.index("<h2>Timeline")


def test_who_cannot_add_an_action_gets_no_jump_link(client, world, drafted):
    client.force_login(world.liaison_x)
    page = client.get(reverse("debriefs:detail", args=[drafted.public_id])).content.decode()
    assert 'href="#actions-heading"' not in page
    assert 'id="actions-heading"' not in page
