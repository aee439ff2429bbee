"""Who is told about debriefs and corrective actions (issue 13.7, 14.7): reviewers of a submitted
debrief by the provider's rule, the agency's liaisons when its account is wanted, and the owners
(and, when overdue, the supervisors) of corrective actions, each once."""

from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse

from accounts.models import Organization, Role
from debriefs import services
from debriefs.models import CorrectiveAction
from notifications.models import Channel, Kind, Notification, OutboxMessage, SentReminder
from tests.factories import member

pytestmark = pytest.mark.usefixtures("eager")


def told(kind, **filters):
    rows = OutboxMessage.objects.filter(kind=kind, recipient__isnull=False, **filters)
    return {message.recipient for message in rows}


def test_a_drafted_debrief_asks_the_agencys_liaisons_for_their_account(client, world, closed):
    second = member(Role.LIAISON, world.agency_x)
    drafted = services.draft_debrief(debrief=closed.debriefs.get())
    assert told(Kind.DEBRIEF, incident=drafted.incident) == {world.liaison_x, second}
    services.draft_debrief(debrief=drafted)  # drafted again: asked once
    assert OutboxMessage.objects.filter(kind=Kind.DEBRIEF, recipient=world.liaison_x).count() == 1
    assert not told(Kind.DEBRIEF, recipient=world.liaison_y)  # not escalated to agency Y


def test_a_submitted_debrief_reaches_its_reviewers_but_not_its_submitter(
    client, world, drafted, django_capture_on_commit_callbacks
):
    reviewer = member(Role.SUPERVISOR, world.provider_a)
    client.force_login(world.supervisor_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("debriefs:edit", args=[drafted.public_id]),
            {"edit_version": drafted.edit_version, "summary": "Jackets recovered", "then": "submit"},
        )
    assert response.status_code in (200, 302)
    drafted.refresh_from_db()
    assert drafted.status == "submitted", response
    assert told(Kind.DEBRIEF, incident=drafted.incident, reason__contains="review") == {reviewer}
    client.force_login(reviewer)
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert f"Debrief of {drafted.incident.reference}, version 1, waits for your review" in page


def test_org_admins_are_told_where_the_provider_lets_them_review(world, drafted):
    world.provider_a.debrief_reviewers = Organization.DebriefReviewers.SUPERVISOR_OR_ADMIN
    world.provider_a.save()
    services.submit_debrief(debrief=drafted, by=world.supervisor_a)
    assert told(Kind.DEBRIEF, incident=drafted.incident, reason__contains="review") == {world.admin_a}


def _action(world, closed, *, due: date) -> CorrectiveAction:
    return CorrectiveAction.objects.create(
        incident=closed,
        what="Fit a lock on the rack",
        owner=world.guard_a,
        due_date=due,
        created_by=world.supervisor_a,
    )


def _at(site, day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=site.zone)


def test_a_corrective_action_reminds_its_owner_before_it_falls_due_then_everyone_once_overdue(
    client, world, closed, settings, django_capture_on_commit_callbacks
):
    settings.ACTION_DUE_REMINDER_HOURS = 24
    due = date(2030, 6, 10)
    action = _action(world, closed, due=due)
    site = closed.site
    assert services.remind_corrective_actions(now=_at(site, due - timedelta(days=2), 12)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.remind_corrective_actions(now=_at(site, due - timedelta(days=1), 1)) == 1
    assert services.remind_corrective_actions(now=_at(site, due, 9)) == 0  # once while due
    assert told(Kind.ACTION) == {world.guard_a}
    assert {m.channel for m in OutboxMessage.objects.filter(kind=Kind.ACTION)} == {
        Channel.IN_APP,
        Channel.EMAIL,
    }
    assert "Due 10 Jun 2030" in Notification.objects.get(recipient=world.guard_a).title
    assert services.remind_corrective_actions(now=_at(site, due + timedelta(days=1), 0)) == 1
    assert services.remind_corrective_actions(now=_at(site, due + timedelta(days=3), 0)) == 0  # once overdue
    overdue = OutboxMessage.objects.filter(kind=Kind.ACTION, payload__title__startswith="Overdue")
    assert {m.recipient for m in overdue} == {world.guard_a, world.supervisor_a}
    assert SentReminder.objects.count() == 2
    action.due_date = due + timedelta(days=10)  # moved: reminded again when the new date comes
    action.save()
    assert services.remind_corrective_actions(now=_at(site, action.due_date, 8)) == 1
    client.force_login(world.guard_a)
    assert "corrective action for" in client.get(reverse("notifications:inbox")).content.decode()


def test_a_done_action_is_never_reminded(world, closed):
    action = _action(world, closed, due=date(2030, 6, 10))
    action.status = CorrectiveAction.Status.DONE
    action.save()
    assert services.remind_corrective_actions(now=_at(closed.site, date(2030, 6, 20), 12)) == 0
    assert not OutboxMessage.objects.filter(kind=Kind.ACTION).exists()


def test_each_action_sweep_makes_progress_past_a_batch_already_reminded(world, closed, settings, monkeypatch):
    from debriefs.services import notices

    settings.ACTION_DUE_REMINDER_HOURS = 24
    monkeypatch.setattr(notices, "REMINDER_BATCH", 2)
    due = date(2030, 6, 10)
    actions = [_action(world, closed, due=due) for _ in range(5)]
    site = closed.site
    overdue = _at(site, due + timedelta(days=1), 9)
    assert [services.remind_corrective_actions(now=overdue) for _ in range(4)] == [2, 2, 1, 0]
    reminded = {m.payload["title"] for m in OutboxMessage.objects.filter(kind=Kind.ACTION)}
    assert reminded == {f"Overdue since 10 Jun 2030: corrective action for {closed.reference}"}
    assert SentReminder.objects.count() == len(actions)
    # Coming due, then overdue: each sweep reminds the next batch, the ones done are skipped.
    later = date(2030, 7, 10)
    for _ in range(3):
        _action(world, closed, due=later)
    day_before = _at(site, later - timedelta(days=1), 9)
    assert [services.remind_corrective_actions(now=day_before) for _ in range(3)] == [2, 1, 0]
    after = _at(site, later + timedelta(days=1), 9)
    assert [services.remind_corrective_actions(now=after) for _ in range(3)] == [2, 1, 0]
    assert SentReminder.objects.count() == len(actions) + 3 * 2
