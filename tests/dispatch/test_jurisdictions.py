"""Routing: jurisdictions as polygons (plain geometry), the suggested agency, fallback re-escalation."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Partnership
from dispatch import geometry, selectors, services
from dispatch.models import Escalation, Jurisdiction, RejectionCause, SiteFallback
from tests.factories import AgencyFactory, report

SQUARE = [[41.0, -88.0], [41.0, -87.0], [42.0, -87.0], [42.0, -88.0]]
# A "U": its notch (41.5, -87.5) is outside although between its arms.
U_SHAPE = [[41, -88], [42, -88], [42, -87.6], [41.4, -87.6], [41.4, -87.4], [42, -87.4], [42, -87], [41, -87]]


@pytest.mark.parametrize(
    ("polygon", "point", "inside"),
    [
        (SQUARE, (41.5, -87.5), True),
        (SQUARE, (42.5, -87.5), False),
        (SQUARE, (41.0, -87.5), True),  # on an edge
        (SQUARE, (42.0, -87.0), True),  # a corner
        (U_SHAPE, (41.2, -87.5), True),  # the bottom of the U
        (U_SHAPE, (41.8, -87.5), False),  # the notch
        (U_SHAPE, (41.8, -87.8), True),  # an arm
        (SQUARE[:2], (41.5, -87.5), False),  # not a polygon
    ],
)
def test_polygon_containment(polygon, point, inside):
    assert geometry.contains(polygon, point) is inside


@pytest.mark.django_db
def test_a_sites_suggested_agency_comes_from_its_coordinates(world):
    Jurisdiction.objects.create(agency=world.agency_y, name="North", area=SQUARE)
    world.a1.latitude, world.a1.longitude = "41.5", "-87.5"
    world.a1.save()
    assert selectors.suggest_agency(site=world.a1) == world.agency_y
    world.a1.latitude = "43"
    world.a1.save()
    assert selectors.suggest_agency(site=world.a1) is None
    assert selectors.suggest_agency(site=world.a2) is None  # no coordinates


def _rejected(world, cause=RejectionCause.OUTSIDE_JURISDICTION):
    escalation = services.escalate_incident(incident=report(world.guard_a, world.a1), by=world.supervisor_a)
    return services.reject_escalation(escalation=escalation, by=world.liaison_x, reason="", cause=cause)


@pytest.mark.django_db
def test_outside_the_jurisdiction_goes_to_the_fallback_in_one_action(client, world):
    SiteFallback.objects.create(site=world.a1, agency=world.agency_y, position=1)
    rejected = _rejected(world)
    client.force_login(world.supervisor_a)
    page = client.get(reverse("incidents:detail", kwargs={"incident_id": rejected.incident.public_id}))
    assert "Re-escalate to Agency Y (mutual aid)" in page.content.decode()
    client.post(reverse("dispatch:act", kwargs={"escalation_id": rejected.public_id, "action": "reescalate"}))
    fallback = rejected.incident.escalations.get(status=Escalation.Status.REQUESTED)
    assert fallback.agency == world.agency_y
    assert list(selectors.list_board_escalations(for_user=world.liaison_y)) == [fallback]
    with pytest.raises(ValidationError, match="no other agency"):
        services.reescalate_to_fallback(escalation=rejected, by=world.supervisor_a)


@pytest.mark.django_db
def test_only_an_outside_jurisdiction_rejection_by_a_supervisor_falls_back(world):
    SiteFallback.objects.create(site=world.a1, agency=world.agency_y, position=1)
    duplicate = _rejected(world, cause=RejectionCause.DUPLICATE)
    with pytest.raises(ValidationError, match="outside the jurisdiction"):
        services.reescalate_to_fallback(escalation=duplicate, by=world.supervisor_a)
    outside = _rejected(world)
    for person in (world.guard_a, world.liaison_x):
        with pytest.raises(PermissionDenied):
            services.reescalate_to_fallback(escalation=outside, by=person)


@pytest.mark.django_db
def test_a_fallback_without_an_active_partnership_is_skipped(world):
    agency_z = AgencyFactory(name="Agency Z")  # no partnership with provider A
    SiteFallback.objects.create(site=world.a1, agency=agency_z, position=1)
    SiteFallback.objects.create(site=world.a1, agency=world.agency_y, position=2)
    rejected = _rejected(world)
    assert selectors.next_fallback(escalation=rejected) == world.agency_y
    Partnership.objects.filter(provider=world.provider_a, agency=world.agency_y).update(is_active=False)
    with pytest.raises(ValidationError):
        services.reescalate_to_fallback(escalation=rejected, by=world.supervisor_a)
    assert rejected.incident.escalations.count() == 1
