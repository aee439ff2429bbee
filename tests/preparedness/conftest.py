from datetime import timedelta

import pytest
from django.utils import timezone

from preparedness import services
from preparedness.models import Briefing, Scenario
from tests.notifications.conftest import agency_policy, escalate, private_webhooks, sink  # noqa: F401


@pytest.fixture
def drill(world):
    """A drill running now at site a1 (provider A, agency X), the guard and the liaison taking part."""
    now = timezone.now()
    return services.schedule_drill(
        by=world.supervisor_a,
        site=world.a1,
        scenario=Scenario.FIRE,
        title="Fire drill, north wing",
        objectives="Accept the escalation within 2 minutes.\nEvacuate level 2.",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(minutes=55),
        participants=[world.guard_a, world.liaison_x],
    )


@pytest.fixture
def briefing(world):
    return services.schedule_briefing(
        by=world.supervisor_a,
        provider=world.provider_a,
        agency=world.agency_x,
        title="Monthly joint briefing",
        starts_at=timezone.now() + timedelta(days=3),
        duration_minutes=45,
        recurrence=Briefing.Recurrence.MONTHLY,
        location="A1 control room",
        agenda="1. Trends\n2. Drills",
        sites=[world.a1],
        attendees=[world.liaison_x, world.guard_a],
    )
