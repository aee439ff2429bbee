from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken, Invitation, Membership, Organization, Site, User
from bulletins.selectors import list_live_bulletins
from debriefs.models import CorrectiveAction
from debriefs.policy import can_see_review_queue
from debriefs.selectors import list_awaiting_agency
from debriefs.services import remind_corrective_actions
from dispatch.models import AccessFlag, SiteProfile
from incidents.models import Evidence, Incident, InvolvedParty, PartyRelease, TimelineEntry
from notifications.models import Kind, Notification, OutboxMessage
from patrols.models import Checkpoint, ClientContact, DailyReport, Shift, Tour, TourRound
from preparedness.models import Briefing, CommunityEvent, Decision, Drill, Plan, PlanVersion, Scenario
from preparedness.selectors import current_version
from seeding.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, PROVIDERS
from seeding.demo.board import STORIES
from seeding.demo.bulletins import BOLO_TITLE
from seeding.demo.incidents import INTERNAL_NOTE, VICTIM


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_complete(settings, capsys, client):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    assert Organization.objects.filter(kind="provider").count() == 2
    assert Organization.objects.filter(kind="agency").count() == 2
    assert Site.objects.count() == 5
    assert Membership.objects.count() == len(DEMO_ACCOUNTS) == 10
    assert User.objects.filter(is_staff=True).count() == 1
    history = Incident.objects.filter(narrative__endswith="reported by the patrol.").count()
    assert history > 1500  # two years of closed incidents for the analytics (seeding/demo/history.py)
    assert Incident.objects.count() == 9 + len(STORIES) + history
    # Preparedness: an approved (frozen) ERP, a scheduled drill, a briefing with minutes, a public event.
    fire = Plan.objects.get(scenario=Scenario.FIRE)
    assert current_version(fire).status == PlanVersion.Status.APPROVED
    assert Plan.objects.count() == 3
    assert Drill.objects.filter(starts_at__gt=timezone.now(), closed_at=None).count() == 1
    assert Briefing.objects.exclude(minutes="").count() == 1
    assert Decision.objects.filter(status=Decision.Status.OPEN).count() == 2
    # ...whose two decisions are corrective actions, one owned by the police, on the actions page.
    from_briefing = CorrectiveAction.objects.filter(origin=CorrectiveAction.Origin.BRIEFING)
    assert {a.owner.email for a in from_briefing} == {"liaison@metro.example", "supervisor@sentinel.example"}
    assert CommunityEvent.objects.filter(starts_at__gt=timezone.now()).count() == 1
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
    # A live BOLO on the guard's phone, and a profile beside every escalation (one of them overdue).
    guard = User.objects.get(email="guard@sentinel.example")
    assert [b.title for b in list_live_bulletins(for_user=guard)] == [BOLO_TITLE]
    assert list_live_bulletins(for_user=guard).get().photos.count() == 1
    assert SiteProfile.objects.count() == 5
    # The escalated lobby photo has a bystander's face hidden from the police (a redacted preview).
    (redacted,) = Evidence.objects.exclude(redactions=[])
    assert redacted.incident.escalations.exists()
    assert len(redacted.redactions) == 1
    assert [p.site.code for p in SiteProfile.objects.all() if p.state == "stale"] == ["pier9"]
    # An access flag for Metro's org admin to read, with its evidence: once, however often the seed runs.
    (flag,) = AccessFlag.objects.all()
    assert (flag.kind, flag.user.email, flag.evidence["incidents"]) == (
        AccessFlag.Kind.MANY_INCIDENTS,
        "liaison@metro.example",
        settings.ACCESS_REVIEW_MANY_INCIDENTS,
    )
    client.force_login(User.objects.get(email="admin@metro.example"))
    assert "Looking through old cases" in client.get(reverse("dispatch:access_flags")).content.decode()
    output = capsys.readouterr().out
    assert "liaison@metro.example" in output
    assert DEMO_PASSWORD in output


@pytest.mark.django_db
def test_the_demo_event_page_takes_a_residents_registration(settings, client):
    settings.DEBUG = True
    settings.COMMUNITY_FORM_MIN_SECONDS = 0
    call_command("seed_demo")
    event = CommunityEvent.objects.get()
    page = client.get(f"/community/{event.public_id}/")
    assert page.status_code == 200
    assert "Riverside safety open house" in page.content.decode()
    token = page.context["form"]["token"].value()
    response = client.post(
        f"/community/{event.public_id}/",
        {"name": "Ada", "email": "ada@example.org", "token": token, "website": ""},
    )
    assert "you are registered" in response.content.decode()
    assert event.registrations.count() == 1


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
    assert CorrectiveAction.objects.filter(origin=CorrectiveAction.Origin.INCIDENT).count() == 1
    assert CorrectiveAction.objects.count() == 3  # and the briefing's two, due in a week and in four
    assert remind_corrective_actions() == 1
    assert remind_corrective_actions() == 0


# The clock when the demo is seeded, in Riverside's zone: the evening (its shift, a day earlier,
# spanned the roof check's 22:00 round, so the demo missed two rounds, and a test failed by the
# time of day), the small hours, and the morning.
@pytest.mark.django_db
@pytest.mark.parametrize("clock", ["21:17", "01:40", "09:30"])
def test_the_demo_shift_misses_one_round_whenever_it_is_seeded(eager, clock):
    from seeding.demo.accounts import seed_accounts
    from seeding.demo.patrols import SHIFT_STARTS, seed_patrols

    seed_accounts()
    riverside = Site.objects.get(code="riverside")
    zone = ZoneInfo(riverside.time_zone)
    hour, minute = map(int, clock.split(":"))
    today = timezone.localdate(timezone=zone) - timedelta(days=1)  # a clock in the past
    now = datetime.combine(today, time(hour, minute), tzinfo=zone)
    seed_patrols(now=now)
    assert list(
        TourRound.objects.filter(status=TourRound.Status.MISSED).values_list("tour__name", flat=True)
    ) == ["Perimeter"]
    (shift,) = Shift.objects.all()
    assert shift.started_at.astimezone(zone).time() == SHIFT_STARTS
    assert shift.started_at.astimezone(zone).date() == today - timedelta(days=1)


@pytest.mark.django_db
def test_the_demo_has_patrols_to_walk(settings, eager, django_capture_on_commit_callbacks):
    """Riverside has checkpoints and tours; yesterday's shift missed a round (the supervisors were
    alerted) and its daily activity report waits for review, with a client contact to send it to."""
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    call_command("seed_demo")
    assert Checkpoint.objects.filter(site__code="riverside").count() == 4
    assert Tour.objects.filter(site__code="riverside").count() == 2
    joint = Tour.objects.get(site__code="northgate")
    assert joint.agency.name == "Metro Police Department"
    assert [site.code for site in joint.area] == ["northgate", "riverside"]
    assert ClientContact.objects.filter(site__code="riverside").count() == 1
    assert TourRound.objects.filter(status=TourRound.Status.MISSED).count() == 1
    supervisor = User.objects.get(email="supervisor@sentinel.example")
    assert OutboxMessage.objects.filter(recipient=supervisor, kind=Kind.PATROL).exists()
    (report,) = DailyReport.objects.all()
    assert report.status == DailyReport.Status.READY
    assert report.pdf_sha256


@pytest.mark.django_db
def test_the_demos_escalated_report_hides_its_internal_note_and_the_victims_contact_until_released(
    settings, client
):
    settings.DEBUG = True
    call_command("seed_demo")
    victim = InvolvedParty.objects.get(name=VICTIM.name)
    incident = victim.incident
    assert incident.escalations.filter(status="dispatched").exists()
    assert incident.timeline.filter(internal=True, data__text=INTERNAL_NOTE).exists()
    page = reverse("incidents:detail", args=[incident.public_id])
    client.force_login(User.objects.get(email="liaison@metro.example"))
    purpose = reverse("incidents:give_purpose", args=[incident.public_id])
    assert VICTIM.name not in client.get(page).content.decode()  # the liaison says why first
    client.post(purpose, {"purpose": "Case 24-11873"})
    text = client.get(page).content.decode()
    assert VICTIM.name in text
    assert VICTIM.contact not in text
    assert INTERNAL_NOTE not in text
    supervisor = User.objects.get(email="supervisor@sentinel.example")
    client.force_login(supervisor)
    text = client.get(page).content.decode()
    assert VICTIM.contact in text
    assert INTERNAL_NOTE in text
    client.post(
        reverse("incidents:release_party", args=[incident.public_id]),
        {"party": victim.pk, "agency": incident.site.agency_id, "reason": "Statement for case 24-11873"},
    )
    assert PartyRelease.objects.filter(party=victim).exists()
    client.force_login(User.objects.get(email="liaison@metro.example"))
    client.post(purpose, {"purpose": "Case 24-11873"})
    assert VICTIM.contact in client.get(page).content.decode()
    call_command("seed_demo")  # idempotent: the victim is not added twice
    assert InvolvedParty.objects.filter(name=VICTIM.name).count() == 1
