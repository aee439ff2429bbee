"""Notifications in the access policy: who manages, who reads, who sees an incident's log."""

import pytest

from accounts.models import Role
from notifications import policy, services
from notifications.models import Notification, OutboxMessage
from tests.factories import member
from tests.notifications.helpers import step


@pytest.mark.parametrize(
    ("who", "organization", "allowed"),
    [
        ("admin_x", "agency_x", True),
        ("admin_x", "agency_y", False),
        ("admin_x", "provider_a", False),
        ("admin_a", "provider_a", True),
        ("liaison_x", "agency_x", False),
        ("supervisor_a", "provider_a", False),
        ("nobody", "agency_x", False),
        ("platform", "agency_x", True),
    ],
)
def test_org_admins_manage_their_own_organizations_notifications(world, who, organization, allowed):
    assert policy.can_manage_notifications(getattr(world, who), getattr(world, organization)) is allowed


def test_managed_rows_stay_within_the_organization(world):
    mine = services.save_escalation_policy(
        by=world.admin_x, organization=world.agency_x, name="X", site=None, steps=[step(0)]
    )
    assert list(policy.managed_escalation_policies(world.admin_x)) == [mine]
    assert not policy.managed_escalation_policies(world.admin_a).exists()
    assert not policy.managed_escalation_policies(world.liaison_x).exists()
    assert list(policy.policy_sites(world.admin_x, world.agency_x)) == [world.a1]
    assert set(policy.policy_sites(world.admin_a, world.provider_a)) == {world.a1, world.a2}
    assert not policy.policy_sites(world.admin_a, world.agency_x).exists()
    assert set(policy.policy_people(world.admin_x, world.agency_x)) == {world.admin_x, world.liaison_x}


def test_each_person_sees_only_their_own_notifications_and_whoever_sees_the_incident_its_log(world, escalate):
    escalation = escalate()
    for message in OutboxMessage.objects.filter(escalation=escalation):
        services.deliver_message(message_id=message.pk, claim="t")
    assert policy.visible_notifications(world.liaison_x).count() == 1
    assert not policy.visible_notifications(world.liaison_y).exists()
    assert not policy.visible_notifications(world.admin_x).exists()
    assert Notification.objects.count() == 1
    incident = escalation.incident
    for who in ("guard_a", "supervisor_a", "liaison_x", "admin_x"):
        assert policy.incident_notification_log(getattr(world, who), incident).exists(), who
    for who in ("guard_b", "supervisor_b", "liaison_y", "nobody"):
        assert not policy.incident_notification_log(getattr(world, who), incident).exists(), who


def test_only_liaisons_and_supervisors_go_on_duty(world):
    assert policy.can_go_on_duty(world.liaison_x)
    assert policy.can_go_on_duty(world.supervisor_a)
    assert not policy.can_go_on_duty(world.admin_x)
    assert not policy.can_go_on_duty(world.guard_a)


def test_notifiable_people_agrees_with_the_one_by_one_rule(world, escalate):
    people = [getattr(world, name) for name in vars(world) if not name[0].isupper()]
    people = [p for p in people if hasattr(p, "email")]
    member_guard = member(Role.GUARD, world.provider_a)  # of the provider, but not at the site
    incident = escalate().incident
    everyone = [*people, member_guard]
    expected = [p for p in everyone if policy.can_be_notified_about(p, incident)]
    assert policy.notifiable_people(everyone, incident) == expected
    assert {p.pk for p in expected} >= {world.guard_a.pk, world.supervisor_a.pk, world.liaison_x.pk}
    assert member_guard not in expected
