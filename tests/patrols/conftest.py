from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from patrols import services
from patrols.models import ClientContact, PatrolSettings


@pytest.fixture
def patrol(world) -> SimpleNamespace:
    """Site A1 with three checkpoints, a 30-minute tour of two of them, a check-in every 20 minutes
    (5 min grace, 5 min steps, the agency last), a client contact; B1 with a checkpoint of its own."""
    w = world
    p = SimpleNamespace(w=w)
    p.gate = services.add_checkpoint(
        site=w.a1, by=w.supervisor_a, name="North gate", floor="G", area="Gatehouse"
    )
    p.dock = services.add_checkpoint(
        site=w.a1, by=w.supervisor_a, name="Loading dock", floor="G", area="Yard"
    )
    p.roof = services.add_checkpoint(site=w.a1, by=w.supervisor_a, name="Roof door", floor="5")
    p.tour = services.create_tour(
        site=w.a1, by=w.supervisor_a, name="Perimeter", checkpoints=[p.gate, p.dock], interval_minutes=30
    )
    p.other = services.add_checkpoint(site=w.b1, by=w.supervisor_b, name="B lobby")
    PatrolSettings.objects.create(
        site=w.a1, checkin_minutes=20, checkin_grace_minutes=5, ladder_step_minutes=5, escalate_to_agency=True
    )
    p.contact = ClientContact.objects.create(site=w.a1, name="Pat Client", email="pat@client.example")
    p.t0 = timezone.now().replace(microsecond=0) - timedelta(hours=3)
    return p


def at(p: SimpleNamespace, minutes: float) -> datetime:
    return p.t0 + timedelta(minutes=minutes)
