"""The navigation leads each person to the pages they may use: the audit trail and the second factor
were reachable only by typing their address."""

import pytest
from django.urls import reverse

TRAIL = reverse("audit:trail")
MFA = reverse("mfa_index")


@pytest.mark.parametrize(
    ("who", "sees_trail"),
    [
        ("guard_a", False),
        ("supervisor_a", False),
        ("liaison_x", False),
        ("admin_a", True),
        ("admin_x", True),
        ("platform", True),
    ],
)
def test_the_audit_trail_is_in_the_navigation_of_those_who_may_read_it(client, world, who, sees_trail):
    client.force_login(getattr(world, who))
    page = client.get(reverse("home"), follow=True).content.decode()
    assert (f'href="{TRAIL}"' in page) is sees_trail
    assert f'href="{MFA}"' in page
    if sees_trail:
        assert client.get(TRAIL).status_code == 200


def test_the_second_factor_page_opens_from_the_link(client, world):
    client.force_login(world.liaison_x)
    assert client.get(MFA).status_code == 200


DEBRIEFS = reverse("debriefs:index")


@pytest.mark.parametrize(
    ("who", "admins_review", "sees_debriefs"),
    [
        ("guard_a", True, False),
        ("supervisor_a", False, True),
        ("liaison_x", False, True),
        ("admin_a", False, False),
        ("admin_a", True, True),
        ("admin_x", True, False),
    ],
)
def test_the_debriefs_are_in_the_navigation_of_those_who_review_them(
    client, world, who, admins_review, sees_debriefs
):
    """The org admin who reviews debriefs (debrief_reviewers = supervisor_or_admin) found the review
    queue only by its address or a notification."""
    from accounts.models import Organization

    if admins_review:
        world.provider_a.debrief_reviewers = Organization.DebriefReviewers.SUPERVISOR_OR_ADMIN
        world.provider_a.save(update_fields=["debrief_reviewers"])
    client.force_login(getattr(world, who))
    page = client.get(reverse("home"), follow=True).content.decode()
    assert (f'href="{DEBRIEFS}"' in page) is sees_debriefs
    if sees_debriefs:
        assert client.get(DEBRIEFS).status_code == 200
