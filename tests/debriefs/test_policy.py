import pytest

from accounts.models import Organization, Role
from debriefs import policy
from tests.factories import member


def test_debriefs_are_for_members_and_the_review_queue_for_supervisors(world):
    for who in ("guard_a", "supervisor_a", "admin_a", "liaison_x", "admin_x"):
        assert policy.can_open_debriefs(getattr(world, who))
    assert not policy.can_open_debriefs(world.platform)
    assert not policy.can_open_debriefs(world.nobody)
    assert policy.can_see_review_queue(world.supervisor_a)
    for who in ("guard_a", "admin_a", "liaison_x", "platform", "nobody"):
        assert not policy.can_see_review_queue(getattr(world, who))


def test_org_admins_see_the_review_queue_only_where_their_provider_lets_them_review(world):
    world.provider_a.debrief_reviewers = Organization.DebriefReviewers.SUPERVISOR_OR_ADMIN
    world.provider_a.save()
    world.admin_a.refresh_from_db()
    assert policy.can_see_review_queue(world.admin_a)
    assert policy.can_see_review_queue(world.supervisor_a)
    for who in ("guard_a", "admin_b", "liaison_x", "admin_x", "platform", "nobody"):
        assert not policy.can_see_review_queue(getattr(world, who))


@pytest.mark.parametrize(
    ("rule", "admin_approves"),
    [
        (Organization.DebriefReviewers.SUPERVISOR, False),
        (Organization.DebriefReviewers.SUPERVISOR_OR_ADMIN, True),
    ],
)
def test_four_eyes_follows_the_providers_rule_and_never_lets_the_submitter_approve(
    world, drafted, rule, admin_approves
):
    world.provider_a.debrief_reviewers = rule
    world.provider_a.save()
    second = member(Role.SUPERVISOR, world.provider_a)
    drafted.submitted_by = world.supervisor_a
    assert policy.can_approve_debrief(second, drafted)
    assert policy.can_approve_debrief(world.admin_a, drafted) is admin_approves
    assert not policy.can_approve_debrief(world.supervisor_a, drafted)
    for who in ("guard_a", "admin_b", "supervisor_b", "liaison_x", "admin_x", "platform", "nobody"):
        assert not policy.can_approve_debrief(getattr(world, who), drafted)
    drafted.submitted_by = world.admin_a
    assert not policy.can_approve_debrief(world.admin_a, drafted)
