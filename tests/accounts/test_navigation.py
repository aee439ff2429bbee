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
