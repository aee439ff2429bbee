from types import SimpleNamespace

import pytest

from debriefs import services
from debriefs.tasks import request_debrief_task
from dispatch import services as dispatch_services
from incidents import services as incident_services
from portal import realtime
from tests.factories import report


@pytest.fixture
def closed(world):
    """An escalated, accepted, cleared and closed incident of provider A, agency X, its debrief asked for."""
    incident = report(world.guard_a, world.a1, narrative="Two jackets taken")
    escalation = dispatch_services.escalate_incident(incident=incident, by=world.supervisor_a)
    dispatch_services.accept_escalation(escalation=escalation, by=world.liaison_x)
    dispatch_services.mark_on_scene(escalation=escalation, by=world.liaison_x)
    dispatch_services.clear_escalation(escalation=escalation, by=world.liaison_x, disposition="Report taken")
    incident_services.close_incident(incident=incident, by=world.supervisor_a, resolution="Jackets recovered")
    # The closing's follow-up (after commit, which a test's transaction never reaches), run here.
    request_debrief_task(incident.pk, world.supervisor_a.pk)
    incident.refresh_from_db()
    return incident


@pytest.fixture
def drafted(closed):
    debrief = closed.debriefs.get()
    return services.draft_debrief(debrief=debrief)


@pytest.fixture
def sent(monkeypatch):
    """What leaves a transaction once it commits: the events pushed (``sent.events``) and the tasks
    queued after them (``sent.tasks``: name and arguments), recorded instead of run."""
    sent = SimpleNamespace(events=[], tasks=[])
    push = realtime.send_event

    def send_event(event: realtime.Event) -> None:
        sent.events.append(event)
        push(event)

    def task(name: str) -> SimpleNamespace:
        return SimpleNamespace(apply_async=lambda args: sent.tasks.append((name, tuple(args))))

    monkeypatch.setattr(realtime, "send_event", send_event)
    monkeypatch.setattr(realtime, "_task", task)
    return sent
