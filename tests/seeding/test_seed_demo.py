import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiToken, Invitation, Membership, Organization, Site, User
from debriefs.models import CorrectiveAction
from debriefs.policy import can_see_review_queue
from debriefs.selectors import list_awaiting_agency
from debriefs.services import remind_corrective_actions
from incidents.models import Incident, TimelineEntry
from notifications.models import Kind, Notification
from seeding.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, PROVIDERS
from seeding.demo.board import STORIES


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_complete(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    assert Organization.objects.filter(kind="provider").count() == 2
    assert Organization.objects.filter(kind="agency").count() == 2
    assert Site.objects.count() == 5
    assert Membership.objects.count() == len(DEMO_ACCOUNTS) == 10
    assert User.objects.filter(is_staff=True).count() == 1
    assert Incident.objects.count() == 9 + len(STORIES)
    # A drafted debrief of an escalated incident waits for the agency's account (its liaison's home).
    (waiting,) = list_awaiting_agency(for_user=User.objects.get(email="liaison@metro.example"))
    assert waiting.status == "draft"
    assert waiting.facts
    # The guard's phone in `make run`: a question waiting for the guard, a conversation with the police.
    assert Incident.objects.filter(status=Incident.Status.NEEDS_INFO).count() == 2
    assert TimelineEntry.objects.filter(kind=TimelineEntry.Kind.MESSAGE).count() == 4  # + board's unread
    # something for the org admin to revoke (and confirm): once, however often the seed runs
    assert Invitation.objects.filter(email="new.guard@sentinel.example", revoked_at=None).count() == 1
    assert ApiToken.objects.filter(name="Demo CAD bridge", revoked_at=None).count() == 1
    assert User.objects.get(email="guard@sentinel.example").check_password(DEMO_PASSWORD)
    sentinel, harbor = (Organization.objects.get(name=n) for n in PROVIDERS.values())
    assert sentinel.debrief_reviewers == Organization.DebriefReviewers.SUPERVISOR_OR_ADMIN
    assert harbor.debrief_reviewers == Organization.DebriefReviewers.SUPERVISOR_OR_ADMIN
    assert can_see_review_queue(User.objects.get(email="admin@sentinel.example"))
    output = capsys.readouterr().out
    assert "liaison@metro.example" in output
    assert DEMO_PASSWORD in output


@pytest.mark.django_db
def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_the_demo_spans_two_zones(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    assert set(Site.objects.values_list("time_zone", flat=True)) == {"America/Chicago", "America/Detroit"}
    assert Incident.objects.filter(site__time_zone="America/Detroit").exists()
    assert Organization.objects.get(name="Lake County Sheriff's Office").time_zone == "America/Detroit"
    assert Organization.objects.get(name="Sentinel Security").time_zone == "America/Chicago"


@pytest.mark.django_db
def test_seed_demo_shows_who_is_told_what(settings, eager, django_capture_on_commit_callbacks):
    """The demo's notifications: the supervisors told of reports, a guard asked a question, and a
    corrective action due tomorrow whose owner is reminded once."""
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    call_command("seed_demo")
    harbor_guard = User.objects.get(email="guard@harbor.example")
    question = Notification.objects.get(recipient=harbor_guard, kind=Kind.INFO_REQUEST)
    assert "stairwell" in question.body
    supervisor = User.objects.get(email="supervisor@sentinel.example")
    assert Notification.objects.filter(recipient=supervisor, kind=Kind.REPORT).exists()
    assert CorrectiveAction.objects.count() == 1
    assert remind_corrective_actions() == 1
    assert remind_corrective_actions() == 0
