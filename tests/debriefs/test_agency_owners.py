"""A corrective action may be owned by the police's side: the people of an agency the incident was
escalated to are offered as owners, own and close the action; an agency it never reached cannot."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from debriefs import selectors, services
from debriefs.models import CorrectiveAction

pytestmark = pytest.mark.django_db


def test_the_escalated_agencys_liaison_is_offered_owns_and_closes_an_action(client, world, drafted):
    incident = drafted.incident
    owners = set(selectors.list_action_owners(incident=incident))
    assert {world.guard_a, world.supervisor_a, world.liaison_x} <= owners
    assert world.liaison_y not in owners
    assert world.guard_b not in owners

    client.force_login(world.supervisor_a)
    page = client.get(reverse("debriefs:detail", args=[drafted.public_id])).content.decode()
    assert f'<option value="{world.liaison_x.pk}">{world.liaison_x}</option>' in page
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    client.post(
        reverse("debriefs:add_action", args=[incident.public_id]),
        {"what": "Patrol car past the rack at closing", "owner": world.liaison_x.pk, "due_date": due},
    )
    action = CorrectiveAction.objects.get()
    assert action.owner == world.liaison_x

    client.force_login(world.liaison_x)
    assert b"Patrol car past the rack at closing" in client.get(reverse("debriefs:actions")).content
    client.post(
        reverse("debriefs:update_action", args=[action.public_id]),
        {"status": "done", "verification": "Logged on three nights", "next": reverse("debriefs:actions")},
    )
    action.refresh_from_db()
    assert action.status == CorrectiveAction.Status.DONE


def test_an_agency_the_incident_never_reached_cannot_own_its_action(client, world, drafted):
    with pytest.raises(ValidationError, match="an agency it was escalated to"):
        services.add_corrective_action(
            incident=drafted.incident,
            by=world.supervisor_a,
            what="Y patrols the car park",
            owner=world.liaison_y,
            due_date=timezone.localdate() + timedelta(days=7),
        )
    client.force_login(world.supervisor_a)
    refused = client.post(
        reverse("debriefs:add_action", args=[drafted.incident.public_id]),
        {
            "what": "Y patrols the car park",
            "owner": world.liaison_y.pk,
            "due_date": (timezone.localdate() + timedelta(days=7)).isoformat(),
        },
    )
    assert refused.status_code == 400
    assert not CorrectiveAction.objects.exists()
