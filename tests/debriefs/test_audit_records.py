"""Debrief edits, submission, review, approval and revision, and corrective actions, are audited."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from debriefs.models import CorrectiveAction
from tests.audit.recorded import assert_verifies, last_id, record_of
from tests.factories import member


def test_debrief_edit_submission_changes_approval_and_revision_are_recorded(client, world, drafted):
    second = member(Role.SUPERVISOR, world.provider_a)
    client.force_login(world.supervisor_a)
    start = last_id()
    edit = reverse("debriefs:edit", args=[drafted.public_id])
    client.post(
        edit, {"edit_version": 1, "summary": "S", "strengths": "", "improvements": "", "then": "save"}
    )
    edited = record_of("debrief.edited", after=start)
    assert (edited.actor, edited.organization) == (world.supervisor_a, world.provider_a)
    assert (edited.object_type, edited.object_id) == ("debriefs.debrief", str(drafted.public_id))
    client.post(
        edit, {"edit_version": 2, "summary": "S", "strengths": "", "improvements": "", "then": "submit"}
    )
    assert record_of("debrief.submitted", after=start).actor == world.supervisor_a
    client.force_login(second)
    review = reverse("debriefs:review", args=[drafted.public_id])
    client.post(review, {"decision": "changes", "comment": "Name the unit"})
    changes = record_of("debrief.changes_requested", after=start)
    assert (changes.actor, changes.object_id) == (second, str(drafted.public_id))
    client.force_login(world.supervisor_a)
    client.post(
        edit, {"edit_version": 3, "summary": "S2", "strengths": "", "improvements": "", "then": "submit"}
    )
    client.force_login(second)
    client.post(review, {"decision": "approve", "comment": ""})
    approved = record_of("debrief.approved", after=start)
    assert (approved.actor, approved.organization) == (second, world.provider_a)
    client.post(reverse("debriefs:revise", args=[drafted.public_id]))
    revised = record_of("debrief.revised", after=start)
    revision = drafted.incident.debriefs.get(version=2)
    assert (revised.object_id, revised.data["revises"]) == (str(revision.public_id), str(drafted.public_id))
    assert_verifies()


def test_the_agencys_account_is_recorded(client, world, drafted):
    client.force_login(world.liaison_x)
    start = last_id()
    client.post(
        reverse("debriefs:agency", args=[drafted.public_id]),
        {"edit_version": drafted.edit_version, "agency_contribution": "Unit 12 on scene"},
    )
    event = record_of("debrief.agency_contributed", after=start)
    assert (event.actor, event.organization, event.object_id) == (
        world.liaison_x,
        world.agency_x,
        str(drafted.public_id),
    )


def test_corrective_actions_are_recorded_when_added_updated_and_completed(client, world, drafted):
    client.force_login(world.supervisor_a)
    start = last_id()
    due = timezone.localdate() + timedelta(days=3)
    client.post(
        reverse("debriefs:add_action", args=[drafted.incident.public_id]),
        {"what": "Lock the rack", "owner": world.guard_a.pk, "due_date": due.isoformat()},
    )
    action = CorrectiveAction.objects.get()
    created = record_of("corrective_action.created", after=start)
    assert (created.actor, created.organization, created.object_id) == (
        world.supervisor_a,
        world.provider_a,
        str(action.public_id),
    )
    assert created.data == {
        "incident": drafted.incident.reference,
        "owner": world.guard_a.email,
        "due_date": str(due),
    }
    client.force_login(world.guard_a)
    update = reverse("debriefs:update_action", args=[action.public_id])
    client.post(update, {"status": "in_progress", "verification": ""})
    assert record_of("corrective_action.updated", after=start).data["status"] == "in_progress"
    client.post(update, {"status": "done", "verification": "Seen locked"})
    completed = record_of("corrective_action.completed", after=start)
    assert (completed.actor, completed.organization) == (world.guard_a, world.provider_a)
    assert_verifies()
