import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiToken, Invitation, Membership, Organization, Site, User
from debriefs.policy import can_see_review_queue
from incidents.models import Incident
from seeding.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, PROVIDERS


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
    assert Incident.objects.count() == 5
    # something for the org admin to revoke (and confirm): once, however often the seed runs
    assert Invitation.objects.filter(email="new.guard@sentinel.example", revoked_at=None).count() == 1
    assert ApiToken.objects.filter(name="Demo CAD bridge", revoked_at=None).count() == 1
    assert User.objects.get(email="guard@sentinel.example").check_password(DEMO_PASSWORD)
    sentinel, harbor = (Organization.objects.get(name=n) for n in PROVIDERS.values())
    assert sentinel.debrief_reviewers == Organization.DebriefReviewers.SUPERVISOR_OR_ADMIN
    assert harbor.debrief_reviewers == Organization.DebriefReviewers.SUPERVISOR
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
