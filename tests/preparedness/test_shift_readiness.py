"""A shift starts only once the guard acknowledged the site's post orders and plans in force (the
rule patrols asks by name): through the service and through the guard's shift page."""

import pytest
from django.core.exceptions import ValidationError

from patrols import services as patrols
from patrols.models import Shift
from preparedness import selectors, services
from preparedness.models import Plan, Scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(world):
    plan = services.create_plan(
        by=world.supervisor_a,
        site=world.a1,
        kind=Plan.Kind.POST_ORDERS,
        title="A1 post orders",
        sections=[("Gate", "<p>Check every badge.</p>")],
    )
    services.publish_post_orders(version=selectors.latest_version(plan), by=world.supervisor_a)
    return plan


def _approved_erp(world, site):
    plan = services.create_plan(
        by=world.supervisor_a,
        site=site,
        kind=Plan.Kind.ERP,
        scenario=Scenario.FIRE,
        title=f"Fire at {site.name}",
        sections=[("Alarm", "<p>Press the red button.</p>")],
    )
    version = selectors.latest_version(plan)
    services.submit_for_approval(version=version, by=world.supervisor_a)
    services.approve_version(version=version, by=world.liaison_x)
    return plan


def test_a_shift_waits_for_the_sites_plans_in_force_to_be_acknowledged(world, orders):
    erp = _approved_erp(world, world.a1)
    with pytest.raises(ValidationError) as refused:
        patrols.start_shift(guard=world.guard_a, site=world.a1, by=world.guard_a)
    message = " ".join(refused.value.messages)
    assert "you have to read and acknowledge" in message
    assert f"A1 post orders (version 1) at /preparedness/plans/{orders.public_id}/" in message
    assert f"Fire at {world.a1.name} (version 1) at /preparedness/plans/{erp.public_id}/" in message
    assert not Shift.objects.exists()
    # A supervisor starting it for the guard is held to the same rule.
    with pytest.raises(ValidationError, match=f"{world.guard_a} has to read and acknowledge"):
        patrols.start_shift(guard=world.guard_a, site=world.a1, by=world.supervisor_a, reason="Phone broken")
    assert not Shift.objects.exists()

    services.acknowledge_version(version=selectors.current_version(orders), by=world.guard_a)
    with pytest.raises(ValidationError, match="Fire at") as still:
        patrols.start_shift(guard=world.guard_a, site=world.a1, by=world.guard_a)
    assert "A1 post orders" not in " ".join(still.value.messages)
    services.acknowledge_version(version=selectors.current_version(erp), by=world.guard_a)
    shift = patrols.start_shift(guard=world.guard_a, site=world.a1, by=world.guard_a)
    assert shift.site == world.a1


def test_a_new_version_in_force_is_read_before_the_next_shift(world, orders):
    services.acknowledge_version(version=selectors.current_version(orders), by=world.guard_a)
    first = patrols.start_shift(guard=world.guard_a, site=world.a1, by=world.guard_a)
    patrols.end_shift(shift=first, by=world.guard_a)
    second = services.start_new_version(plan=orders, by=world.supervisor_a)
    services.publish_post_orders(version=second, by=world.supervisor_a)
    with pytest.raises(ValidationError, match=r"A1 post orders \(version 2\)"):
        patrols.start_shift(guard=world.guard_a, site=world.a1, by=world.guard_a)
    assert Shift.objects.count() == 1
    # A draft is not in force: it holds nobody up.
    services.start_new_version(plan=orders, by=world.supervisor_a)
    services.acknowledge_version(version=second, by=world.guard_a)
    assert patrols.start_shift(guard=world.guard_a, site=world.a1, by=world.guard_a).ended_at is None


def test_another_sites_plans_do_not_hold_up_a_shift_here(world):
    plan = services.create_plan(
        by=world.supervisor_a,
        site=world.a2,
        kind=Plan.Kind.POST_ORDERS,
        title="A2 post orders",
        sections=[("Desk", "<p>Sign the book.</p>")],
    )
    services.publish_post_orders(version=selectors.latest_version(plan), by=world.supervisor_a)
    world.guard_a.site_assignments.create(site=world.a2)
    with pytest.raises(ValidationError, match="A2 post orders"):
        patrols.start_shift(guard=world.guard_a, site=world.a2, by=world.guard_a)
    assert patrols.start_shift(guard=world.guard_a, site=world.a1, by=world.guard_a).site == world.a1


def test_the_shift_page_links_what_to_read_and_refuses_the_start_until_it_is_read(world, orders, client):
    client.force_login(world.guard_a)
    page = client.get("/patrols/").content.decode()
    assert "Read before your shift" in page
    assert f'<a href="/preparedness/plans/{orders.public_id}/">A1 post orders (version 1)</a>' in page
    refused = client.post("/patrols/start/", {"site": world.a1.pk, "hours": "8"}, follow=True)
    text = refused.content.decode()
    assert "you have to read and acknowledge: A1 post orders (version 1)" in text
    assert not Shift.objects.exists()
    plan_page = client.get(f"/preparedness/plans/{orders.public_id}/").content.decode()
    assert "I have read version 1" in plan_page
    version = selectors.current_version(orders)
    client.post(f"/preparedness/plans/{orders.public_id}/versions/{version.public_id}/acknowledge/")
    assert "Read before your shift" not in client.get("/patrols/").content.decode()
    started = client.post("/patrols/start/", {"site": world.a1.pk, "hours": "8"}, follow=True)
    assert f"Shift started at {world.a1}" in started.content.decode()
    assert Shift.objects.get().guard == world.guard_a
