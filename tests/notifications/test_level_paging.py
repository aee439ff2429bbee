"""An agency sets, per verification level (AVS-01 shaped, 0-4), whether its policy pages everyone at
once: at such a level every step is paged when the escalation is requested; at the others the
ladder climbs step by step."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from dispatch.models import VerificationLevel
from incidents.models import Category
from notifications import selectors, services
from notifications.models import Channel, EscalationTimer, Kind, OutboxMessage, Target
from tests.notifications.helpers import step

pytestmark = pytest.mark.django_db


@pytest.fixture
def ladder(world, agency_policy):
    """Agency X: its on-duty liaisons at once, its admin by SMS after 5 minutes."""
    return agency_policy(
        step(0),
        step(300, Target.PERSON, channels=[Channel.SMS], required=[Channel.SMS], person=world.admin_x),
    )


def paged(escalation):
    return set(
        OutboxMessage.objects.filter(escalation=escalation, kind=Kind.PAGE).values_list(
            "recipient_id", flat=True
        )
    )


def pending_timers(escalation):
    return EscalationTimer.objects.filter(escalation=escalation, state=EscalationTimer.State.PENDING)


def test_level_4_pages_every_step_at_once_when_the_agency_set_it(world, escalate, ladder):
    services.set_at_once_levels(by=world.admin_x, organization=world.agency_x, levels=[4])
    escalation = escalate(narrative="He pulled a knife on the guard at the loading bay.")
    assert escalation.verification_level == VerificationLevel.THREAT_TO_LIFE
    assert paged(escalation) == {world.liaison_x.pk, world.admin_x.pk}
    assert not pending_timers(escalation).exists()
    sms = OutboxMessage.objects.get(escalation=escalation, recipient=world.admin_x)
    assert sms.channel == Channel.SMS
    assert "level 4 pages everyone at once" in sms.reason


def test_level_1_waits_for_its_steps_when_the_agency_did_not_set_it(world, escalate, ladder):
    services.set_at_once_levels(by=world.admin_x, organization=world.agency_x, levels=[4])
    escalation = escalate(category=Category.objects.get(code="alarm"), narrative="Zone 3 alarm, nobody seen.")
    assert escalation.verification_level == VerificationLevel.UNVERIFIED
    assert paged(escalation) == {world.liaison_x.pk}
    timer = pending_timers(escalation).get()
    assert (timer.due_at - escalation.requested_at).total_seconds() == 300
    services.fire_due_timers(now=timer.due_at)
    assert paged(escalation) == {world.liaison_x.pk, world.admin_x.pk}


def test_without_any_setting_even_level_4_climbs_the_ladder(world, escalate, ladder):
    escalation = escalate(narrative="The guard was punched and is bleeding.")
    assert escalation.verification_level == VerificationLevel.THREAT_TO_LIFE
    assert paged(escalation) == {world.liaison_x.pk}
    assert pending_timers(escalation).count() == 1


def test_only_an_agencys_own_admins_set_it_and_bad_levels_change_nothing(world):
    services.set_at_once_levels(by=world.admin_x, organization=world.agency_x, levels=[3, 4])
    with pytest.raises(ValidationError, match="from 0 to 4"):
        services.set_at_once_levels(by=world.admin_x, organization=world.agency_x, levels=[4, 5])
    with pytest.raises(PermissionDenied):
        services.set_at_once_levels(by=world.liaison_x, organization=world.agency_x, levels=[])
    with pytest.raises(PermissionDenied):
        services.set_at_once_levels(by=world.admin_x, organization=world.agency_y, levels=[])
    with pytest.raises(ValidationError, match="Only an agency"):
        services.set_at_once_levels(by=world.admin_a, organization=world.provider_a, levels=[4])
    assert selectors.at_once_levels(organization_id=world.agency_x.pk) == {3, 4}
    change = AuditEvent.objects.get(action="escalation_policy.levels_changed")
    assert (change.data["before"], change.data["after"]) == ([], [3, 4])


def test_the_agency_admin_sets_the_levels_on_the_policies_page(client, world):
    url = reverse("notifications:policy_levels")
    client.force_login(world.admin_x)
    response = client.post(url, {"levels": ["2", "4"]}, follow=True)
    assert "Levels paged at once: 2, 4." in response.content.decode()
    assert selectors.at_once_levels(organization_id=world.agency_x.pk) == {2, 4}
    page = client.get(reverse("notifications:policies")).content.decode()
    assert 'value="4" id="id_levels_4" checked' in page or 'value="4" checked' in page
    assert client.post(url, {"levels": ["9"]}, follow=True).status_code == 200
    assert selectors.at_once_levels(organization_id=world.agency_x.pk) == {2, 4}
    client.force_login(world.admin_a)
    assert client.post(url, {"levels": ["4"]}).status_code == 403
    assert (
        "Verification levels paged at once"
        not in client.get(reverse("notifications:policies")).content.decode()
    )
