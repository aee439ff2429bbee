"""Joint patrols: planned with the site's agency, for the site or an area of the provider's sites
partnered with it, followed live by its liaisons, and a report filed during one escalated to that
agency at once (incident.submitted's follow-up)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role, SiteAssignment
from dispatch.models import Escalation
from notifications.models import Channel, Kind, OutboxMessage
from patrols import services
from patrols.models import Tour
from patrols.selectors import list_joint_patrols
from portal.celery import FOLLOW_UPS
from tests.factories import SiteFactory, member, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def joint(patrol):
    p = patrol
    p.joint = services.create_tour(
        site=p.w.a1,
        by=p.w.supervisor_a,
        name="Joint night",
        checkpoints=[p.roof],
        interval_minutes=60,
        joint=True,
        officers="PC Ortiz",
    )
    return p


def test_a_joint_patrol_needs_the_sites_agency_and_its_officers(patrol):
    p = patrol
    with pytest.raises(ValidationError, match="Name the police officers"):
        services.create_tour(
            site=p.w.a1, by=p.w.supervisor_a, name="J", checkpoints=[p.gate], interval_minutes=60, joint=True
        )
    no_agency = p.w.a1.__class__.objects.create(
        provider=p.w.provider_a, name="Lonely", code="lonely", address="x"
    )
    checkpoint = services.add_checkpoint(site=no_agency, by=p.w.supervisor_a, name="Door")
    with pytest.raises(ValidationError, match="no partnering agency"):
        services.create_tour(
            site=no_agency,
            by=p.w.supervisor_a,
            name="J",
            checkpoints=[checkpoint],
            interval_minutes=60,
            joint=True,
            officers="PC X",
        )


def test_a_report_during_a_joint_patrol_is_escalated_to_its_agency_at_once(
    joint, eager, django_capture_on_commit_callbacks
):
    p = joint
    assert "patrols.escalate_joint_patrol_report" in FOLLOW_UPS["incident.submitted"].tasks
    services.start_shift(guard=p.w.guard_a, site=p.w.a1, by=p.w.guard_a)
    with django_capture_on_commit_callbacks(execute=True):
        incident = report(p.w.guard_a, p.w.a1, narrative="Man climbing the fence")
    (escalation,) = Escalation.objects.filter(incident=incident)
    assert escalation.agency == p.w.agency_x
    assert escalation.reason.startswith("Joint patrol Joint night with Agency X")
    # Running again escalates nothing more.
    assert services.escalate_joint_patrol_report(incident_id=incident.pk) is None
    assert Escalation.objects.filter(incident=incident).count() == 1


def test_a_report_outside_a_joint_patrol_is_not_escalated(patrol, eager, django_capture_on_commit_callbacks):
    p = patrol
    services.start_shift(guard=p.w.guard_a, site=p.w.a1, by=p.w.guard_a)
    with django_capture_on_commit_callbacks(execute=True):
        incident = report(p.w.guard_a, p.w.a1, narrative="Litter by the gate")
    assert not Escalation.objects.filter(incident=incident).exists()


def test_the_agency_follows_its_joint_patrols_live_and_no_other_agency_does(joint, client):
    p = joint
    services.start_shift(guard=p.w.guard_a, site=p.w.a1, by=p.w.guard_a)
    services.record_scan(guard=p.w.guard_a, code=p.roof.code, idempotency_key="j1")
    (running,) = list_joint_patrols(for_user=p.w.liaison_x)
    assert running.tour == p.joint
    assert running.last_scan.checkpoint == p.roof
    assert list_joint_patrols(for_user=p.w.liaison_y) == []
    assert list_joint_patrols(for_user=p.w.supervisor_a) == []
    client.force_login(p.w.liaison_x)
    page = client.get(reverse("patrols:joint") + "?panel=1")
    assert b"Roof door" in page.content
    assert b"PC Ortiz" in page.content
    client.force_login(p.w.liaison_y)
    assert b"Roof door" not in client.get(reverse("patrols:joint")).content


@pytest.fixture
def area(patrol):
    """A3: another site of provider A partnered with agency X, with a checkpoint; the guard of A1 is
    assigned to it too, and a joint patrol of A1 covers A1's roof door and A3's car park."""
    p = patrol
    p.a3 = SiteFactory(provider=p.w.provider_a, agency=p.w.agency_x, name="A3")
    SiteAssignment.objects.create(user=p.w.guard_a, site=p.a3)
    p.car_park = services.add_checkpoint(site=p.a3, by=p.w.supervisor_a, name="A3 car park")
    p.joint = services.create_tour(
        site=p.w.a1,
        by=p.w.supervisor_a,
        name="Joint area",
        checkpoints=[p.roof, p.car_park],
        interval_minutes=60,
        joint=True,
        officers="PC Ortiz, PC Chan",
    )
    return p


def test_a_joint_patrol_walks_an_area_of_the_providers_sites_partnered_with_its_agency(
    area, eager, client, django_capture_on_commit_callbacks
):
    p = area
    assert [found.name for found in p.joint.area] == ["A1", "A3"]
    services.start_shift(guard=p.w.guard_a, site=p.w.a1, by=p.w.guard_a)
    first = services.record_scan(guard=p.w.guard_a, code=p.roof.code, idempotency_key="r1")
    second = services.record_scan(guard=p.w.guard_a, code=p.car_park.code, idempotency_key="c1")
    assert first.accepted
    assert second.accepted
    assert "Joint area round complete" in second.message
    (running,) = list_joint_patrols(for_user=p.w.liaison_x)
    assert running.last_scan.checkpoint == p.car_park
    client.force_login(p.w.liaison_x)
    panel = client.get(reverse("patrols:joint") + "?panel=1").content.decode()
    assert "A1, A3" in panel
    assert "A3 car park (A3)" in panel
    # A report from the area's other site, during the patrol, goes to the agency at once.
    with django_capture_on_commit_callbacks(execute=True):
        incident = report(p.w.guard_a, p.a3, narrative="Car window smashed on level 1")
    (escalation,) = Escalation.objects.filter(incident=incident)
    assert escalation.agency == p.w.agency_x


def test_a_joint_patrols_area_is_only_its_providers_sites_partnered_with_its_agency(area, client):
    p = area
    tours = Tour.objects.count()
    # Provider B's checkpoint: refused, and B's site is not named.
    with pytest.raises(ValidationError, match="only sites your provider runs") as refused:
        services.create_tour(
            site=p.w.a1,
            by=p.w.supervisor_a,
            name="J",
            checkpoints=[p.roof, p.other],
            interval_minutes=60,
            joint=True,
            officers="PC X",
        )
    assert "B1" not in str(refused.value)
    assert "B lobby" not in str(refused.value)
    # Provider A's own site A2 is partnered with agency Y, not X.
    a2_door = services.add_checkpoint(site=p.w.a2, by=p.w.supervisor_a, name="A2 door")
    with pytest.raises(ValidationError, match="A2 is not"):
        services.create_tour(
            site=p.w.a1,
            by=p.w.supervisor_a,
            name="J",
            checkpoints=[p.roof, a2_door],
            interval_minutes=60,
            joint=True,
            officers="PC X",
        )
    # Only a joint patrol covers other sites.
    with pytest.raises(ValidationError, match="all of its site"):
        services.create_tour(
            site=p.w.a1, by=p.w.supervisor_a, name="J", checkpoints=[p.car_park], interval_minutes=60
        )
    # Through the page: B's checkpoint is not one the form may name; nothing is planned.
    client.force_login(p.w.supervisor_a)
    page = client.get(reverse("patrols:site", args=[p.w.a1.pk])).content.decode()
    assert "A3 car park (A3)" in page
    assert "B lobby" not in page
    assert "A2 door" not in page
    client.post(
        reverse("patrols:add_tour", args=[p.w.a1.pk]),
        {
            "name": "Sneaky",
            "checkpoints": [p.roof.pk, p.other.pk],
            "interval_minutes": "60",
            "joint": "1",
            "officers": "PC X",
        },
    )
    assert Tour.objects.count() == tours


def test_an_area_checkpoint_counts_only_on_the_joint_patrols_own_shifts(area):
    p = area
    # Provider B's guard, with the code of A3's checkpoint: refused and recorded.
    services.start_shift(guard=p.w.guard_b, site=p.w.b1, by=p.w.guard_b)
    refused = services.record_scan(guard=p.w.guard_b, code=p.car_park.code, idempotency_key="b1")
    assert not refused.accepted
    assert refused.scan.refusal == "This code is not a checkpoint of B1."
    # A guard on shift at A3 itself walks no joint patrol there: A3's code counts, A1's does not.
    guard = member(Role.GUARD, p.w.provider_a, sites=(p.a3,))
    services.start_shift(guard=guard, site=p.a3, by=guard)
    assert services.record_scan(guard=guard, code=p.car_park.code, idempotency_key="g1").accepted
    assert not services.record_scan(guard=guard, code=p.roof.code, idempotency_key="g2").accepted


def test_rising_incident_counts_are_offered_as_patrol_targets_and_a_liaison_asks_for_one(
    joint, eager, client, django_capture_on_commit_callbacks
):
    p = joint
    services.start_shift(guard=p.w.guard_a, site=p.w.a1, by=p.w.guard_a)
    # Six reports at A1 during the joint patrol: each escalated to agency X, so both sides count them,
    # against no history at all: A1 is rising (analytics' Poisson test); A2 is not.
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(6):
            report(p.w.guard_a, p.w.a1, narrative=f"Break-in attempt number {n}")
    client.force_login(p.w.supervisor_a)
    board = client.get(reverse("patrols:board")).content.decode()
    assert "Target patrols: rising incident counts" in board
    assert "A1</a>: 6 incidents" in board
    assert "Rising incident count" in client.get(reverse("patrols:site", args=[p.w.a1.pk])).content.decode()
    assert (
        "Rising incident count" not in client.get(reverse("patrols:site", args=[p.w.a2.pk])).content.decode()
    )
    client.force_login(p.w.liaison_y)
    assert "A1</strong>" not in client.get(reverse("patrols:joint")).content.decode()
    client.force_login(p.w.liaison_x)
    page = client.get(reverse("patrols:joint")).content.decode()
    assert "A1</strong> (Provider A): 6 incidents" in page
    # The liaison asks A's supervisors for a joint patrol there: alerted once a day.
    asked = OutboxMessage.objects.filter(kind=Kind.PATROL, recipient=p.w.supervisor_a, channel=Channel.IN_APP)
    client.post(reverse("patrols:ask_joint"), {"site": p.w.a1.pk, "reason": "Break-ins at night"})
    (message,) = asked
    assert message.payload["title"] == "Agency X asks for a joint patrol at A1"
    assert "Break-ins at night" in message.payload["text"]
    again = client.post(reverse("patrols:ask_joint"), {"site": p.w.a1.pk}, follow=True)
    assert "already asked for a joint patrol at A1 today" in again.content.decode()
    assert asked.count() == 1
    # B1 is partnered with agency Y: refused, nobody is told.
    before = OutboxMessage.objects.count()
    refused = client.post(reverse("patrols:ask_joint"), {"site": p.w.b1.pk}, follow=True)
    assert "Choose a site partnered with your agency" in refused.content.decode()
    assert OutboxMessage.objects.count() == before
