import pytest

from debriefs import services
from dispatch import services as dispatch_services
from tests.factories import report


@pytest.fixture
def closed(world):
    """An escalated, accepted, cleared and closed incident of provider A, agency X."""
    incident = report(world.guard_a, world.a1, narrative="Two jackets taken")
    escalation = dispatch_services.escalate_incident(incident=incident, by=world.supervisor_a)
    dispatch_services.accept_escalation(escalation=escalation, by=world.liaison_x)
    dispatch_services.mark_on_scene(escalation=escalation, by=world.liaison_x)
    dispatch_services.clear_escalation(escalation=escalation, by=world.liaison_x, disposition="Report taken")
    services.close_incident(incident=incident, by=world.supervisor_a, resolution="Jackets recovered")
    incident.refresh_from_db()
    return incident


@pytest.fixture
def drafted(closed):
    debrief = closed.debriefs.get()
    return services.draft_debrief(debrief=debrief)
