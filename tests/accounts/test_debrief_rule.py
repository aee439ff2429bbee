"""A provider's org admin chooses its debrief review rule (issue 13.8): on their own page, audited;
nobody else may, and a rule that does not exist is refused with a clear message and changes nothing."""

import pytest
from django.urls import reverse

from accounts.models import Organization
from audit.models import AuditEvent

URL = reverse("accounts:debrief_rule")
SUPERVISOR = Organization.DebriefReviewers.SUPERVISOR
SUPERVISOR_OR_ADMIN = Organization.DebriefReviewers.SUPERVISOR_OR_ADMIN


def rule_of(organization):
    organization.refresh_from_db()
    return organization.debrief_reviewers


def test_the_org_admin_chooses_the_rule_and_it_is_audited(client, world):
    client.force_login(world.admin_a)
    home = client.get(reverse("home")).content.decode()
    assert URL in home  # reachable from the org admin's home
    page = client.get(URL).content.decode()
    assert "another supervisor</strong>" in page
    response = client.post(URL, {"debrief_reviewers": SUPERVISOR_OR_ADMIN}, follow=True)
    assert "Debriefs are now approved by: another supervisor or an org admin." in response.content.decode()
    assert rule_of(world.provider_a) == SUPERVISOR_OR_ADMIN
    assert rule_of(world.provider_b) == SUPERVISOR  # only their own organization
    event = AuditEvent.objects.get(action="organization.debrief_reviewers_changed")
    assert event.actor == world.admin_a
    assert event.organization_id == world.provider_a.pk
    assert event.data["before"] == SUPERVISOR
    assert event.data["after"] == SUPERVISOR_OR_ADMIN
    client.post(URL, {"debrief_reviewers": SUPERVISOR_OR_ADMIN})  # unchanged: no new record
    assert AuditEvent.objects.filter(action="organization.debrief_reviewers_changed").count() == 1


@pytest.mark.parametrize("value", ["anyone", "", "SUPERVISOR"])
def test_a_rule_that_does_not_exist_is_refused_and_changes_nothing(client, world, value):
    client.force_login(world.admin_a)
    response = client.post(URL, {"debrief_reviewers": value})
    assert response.status_code == 200
    text = response.content.decode()
    assert "is not a review rule" in text or "Choose who may approve a debrief." in text
    assert rule_of(world.provider_a) == SUPERVISOR
    assert not AuditEvent.objects.filter(action="organization.debrief_reviewers_changed").exists()


@pytest.mark.parametrize("who", ["supervisor_a", "guard_a", "liaison_x", "admin_x"])
def test_nobody_but_the_providers_org_admin_may_choose(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"debrief_reviewers": SUPERVISOR_OR_ADMIN}).status_code == 403
    assert rule_of(world.provider_a) == SUPERVISOR
    assert not AuditEvent.objects.filter(action="organization.debrief_reviewers_changed").exists()


def test_another_providers_admin_changes_only_their_own(client, world):
    client.force_login(world.admin_b)
    client.post(URL, {"debrief_reviewers": SUPERVISOR_OR_ADMIN})
    assert rule_of(world.provider_b) == SUPERVISOR_OR_ADMIN
    assert rule_of(world.provider_a) == SUPERVISOR


def test_the_chosen_rule_lets_the_org_admin_approve(client, world):
    """The rule the page sets is the one the debriefs app applies."""
    from debriefs.policy import can_see_review_queue

    assert not can_see_review_queue(world.admin_a)
    client.force_login(world.admin_a)
    client.post(URL, {"debrief_reviewers": SUPERVISOR_OR_ADMIN})
    world.admin_a.membership.organization.refresh_from_db()
    assert can_see_review_queue(world.admin_a)


def test_the_service_refuses_an_unknown_rule_and_another_organizations_admin(world):
    from django.core.exceptions import PermissionDenied, ValidationError

    from accounts import services

    with pytest.raises(ValidationError, match="is not a review rule"):
        services.set_debrief_reviewers(organization=world.provider_a, rule="anyone", by=world.admin_a)
    with pytest.raises(PermissionDenied):
        services.set_debrief_reviewers(
            organization=world.provider_a, rule=SUPERVISOR_OR_ADMIN, by=world.admin_b
        )
    with pytest.raises(PermissionDenied):  # agencies have no debriefs to approve
        services.set_debrief_reviewers(
            organization=world.agency_x, rule=SUPERVISOR_OR_ADMIN, by=world.admin_x
        )
    assert rule_of(world.provider_a) == SUPERVISOR
    assert not AuditEvent.objects.filter(action="organization.debrief_reviewers_changed").exists()
