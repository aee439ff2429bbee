"""The periodic access review (dispatch/services/access_review.py) on synthetic access patterns: a
liaison who opens many incidents' personal data outside open escalations, or opens it at hours odd
for them, is flagged to the agency's org admins with the evidence; a normal pattern is not."""

from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import get_time_zone
from audit.models import AuditEvent
from dispatch import services as dispatch_services
from dispatch.models import AccessFlag
from dispatch.tasks import flag_unusual_access
from incidents import services
from notifications.models import Kind, OutboxMessage
from tests.factories import report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _review_settings(settings):
    settings.ACCESS_REVIEW_MANY_INCIDENTS = 5
    settings.ACCESS_REVIEW_WINDOW_HOURS = 24
    settings.ACCESS_REVIEW_HISTORY_DAYS = 30
    settings.ACCESS_REVIEW_ODD_HOUR_PERCENT = 5
    settings.ACCESS_REVIEW_MIN_HISTORY = 40


@contextmanager
def at(moment: datetime):
    """The audit records written inside are dated ``moment`` (a synthetic history)."""
    real = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = real


def opened(world, incident, *, purpose="Case 2026/0042", user=None):
    services.record_personal_data_view(
        incident=incident, by=user or world.liaison_x, purpose=purpose, what="people", via="page"
    )


def incidents(world, count):
    return [report(world.guard_a, world.a1, narrative=f"Report {index}") for index in range(count)]


def test_many_incidents_outside_open_escalations_are_flagged_to_the_agencys_admins(client, world):
    made = incidents(world, 5)
    for incident in made:
        opened(world, incident, purpose=f"Trawl {incident.reference}")

    flags = dispatch_services.flag_unusual_access()

    assert [flag.kind for flag in flags] == [AccessFlag.Kind.MANY_INCIDENTS]
    flag = flags[0]
    assert flag.user == world.liaison_x
    assert flag.agency == world.agency_x
    assert flag.evidence["incidents"] == 5
    assert {access["purpose"] for access in flag.evidence["accesses"]} == {
        f"Trawl {incident.reference}" for incident in made
    }
    assert {access["incident"] for access in flag.evidence["accesses"]} == {i.reference for i in made}
    told = OutboxMessage.objects.filter(kind=Kind.ACCESS)
    assert {message.recipient for message in told} == {world.admin_x}  # not the liaison, not provider A
    assert {message.channel for message in told} == {"in_app", "email"}
    assert str(world.liaison_x) in told.first().payload["title"]
    assert AuditEvent.objects.filter(action="access.flagged", organization=world.agency_x).count() == 1

    client.force_login(world.admin_x)
    page = client.get(reverse("dispatch:access_flags")).content.decode()
    assert str(world.liaison_x) in page
    assert "Trawl" in page  # the evidence: the purposes given, access by access
    client.force_login(world.liaison_x)
    assert client.get(reverse("dispatch:access_flags")).status_code == 403


def test_the_review_flags_once_a_day_however_often_it_runs(world):
    for incident in incidents(world, 5):
        opened(world, incident)
    assert flag_unusual_access() == 1
    assert flag_unusual_access() == 0
    assert AccessFlag.objects.count() == 1
    assert OutboxMessage.objects.filter(kind=Kind.ACCESS).count() == 2  # in-app and email, once


def test_incidents_under_an_open_escalation_are_the_agencys_work_and_not_flagged(world):
    busy = incidents(world, 7)
    for incident in busy[:3]:
        dispatch_services.escalate_incident(incident=incident, by=world.supervisor_a, reason="CCTV")
    for incident in busy:
        opened(world, incident)
        opened(world, incident)  # twice: distinct incidents count, not reads

    # 4 outside open escalations, under the 5 the review flags.
    assert dispatch_services.flag_unusual_access() == []


def test_accesses_after_an_escalation_ended_count_as_outside_it(world):
    ended = incidents(world, 5)
    for incident in ended:
        escalation = dispatch_services.escalate_incident(
            incident=incident, by=world.supervisor_a, reason="CCTV"
        )
        dispatch_services.accept_escalation(escalation=escalation, by=world.liaison_x)
        dispatch_services.clear_escalation(escalation=escalation, by=world.liaison_x, disposition="Done")
        opened(world, incident)
    flags = dispatch_services.flag_unusual_access()
    assert [flag.kind for flag in flags] == [AccessFlag.Kind.MANY_INCIDENTS]


def _history(world, incident, *, hours, now, count=45):
    """``count`` accesses over the 30 days before the window, at these hours of the liaison's day."""
    zone = get_time_zone(for_user=world.liaison_x)
    local = now.astimezone(zone)
    for index in range(count):
        day = local - timedelta(days=2 + index % 28)
        moment = day.replace(hour=hours[index % len(hours)], minute=10)
        with at(moment):
            opened(world, incident)


def test_access_at_an_hour_odd_for_the_person_is_flagged_with_the_hours_shares(world):
    incident = incidents(world, 1)[0]
    now = timezone.now()
    zone = get_time_zone(for_user=world.liaison_x)
    _history(world, incident, hours=[9, 11, 14, 16], now=now)
    night = (now.astimezone(zone) - timedelta(hours=2)).replace(hour=3, minute=30)
    if night > now:
        night -= timedelta(days=1)
    with at(night):
        opened(world, incident, purpose="Looking at my neighbour")

    flags = dispatch_services.flag_unusual_access(now=now)

    assert [flag.kind for flag in flags] == [AccessFlag.Kind.ODD_HOURS]
    evidence = flags[0].evidence
    assert evidence["history"] == 45
    assert evidence["hour_shares"] == {"03": 0.0}
    assert [access["purpose"] for access in evidence["accesses"]] == ["Looking at my neighbour"]
    assert evidence["accesses"][0]["incident"] == incident.reference


def test_a_normal_pattern_is_not_flagged(world):
    incident = incidents(world, 1)[0]
    now = timezone.now()
    zone = get_time_zone(for_user=world.liaison_x)
    hour = now.astimezone(zone).hour
    # Their usual hours, and the same hour today: nothing odd; one incident: not many.
    _history(world, incident, hours=[hour, (hour + 1) % 24, (hour - 1) % 24], now=now)
    for _ in range(3):
        opened(world, incident)

    assert dispatch_services.flag_unusual_access(now=now + timedelta(seconds=1)) == []
    assert not OutboxMessage.objects.filter(kind=Kind.ACCESS).exists()


def test_too_short_a_history_flags_no_odd_hour(world, settings):
    settings.ACCESS_REVIEW_MIN_HISTORY = 100
    incident = incidents(world, 1)[0]
    now = timezone.now()
    zone = get_time_zone(for_user=world.liaison_x)
    _history(world, incident, hours=[9, 11, 14, 16], now=now)
    night = (now.astimezone(zone) - timedelta(hours=2)).replace(hour=3, minute=30)
    if night > now:
        night -= timedelta(days=1)
    with at(night):
        opened(world, incident)
    assert dispatch_services.flag_unusual_access(now=now) == []


def test_the_providers_people_are_not_reviewed(world):
    for incident in incidents(world, 6):
        opened(world, incident, user=world.supervisor_a)  # not audited as purpose-bound at all
    assert dispatch_services.flag_unusual_access() == []
