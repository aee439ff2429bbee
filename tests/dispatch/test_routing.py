"""Routing at escalation time: an inactive partnership is checked again and refused."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Partnership
from dispatch import services
from dispatch.models import Escalation
from tests.factories import report

pytestmark = pytest.mark.django_db


def test_an_inactive_partnership_refuses_the_escalation(world):
    incident = report(world.guard_a, world.a1)
    Partnership.objects.filter(provider=world.provider_a, agency=world.agency_x).update(is_active=False)
    with pytest.raises(ValidationError, match="no active partnership"):
        services.escalate_incident(incident=incident, by=world.supervisor_a)
    assert not Escalation.objects.exists()


def test_a_sighting_to_an_agency_without_a_partnership_is_refused(world):
    incident = report(world.guard_b, world.b1)
    with pytest.raises(ValidationError, match="no active partnership"):
        services.escalate_sighting(incident=incident, by=world.guard_b, agency=world.agency_x, reason="Seen")
    assert not Escalation.objects.exists()
