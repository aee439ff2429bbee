"""What the agency is sent (README, "Who sees what"): no notification text or webhook payload, EIDO or
plain, carries an internal note or party or a field the partnership's profile withholds."""

import json

import pytest
from django.forms.models import model_to_dict

from dispatch import services as dispatch_services
from incidents import services as incident_services
from notifications.models import Channel, OutboxMessage, Target, WebhookEndpoint
from tests.factories import report
from tests.notifications.helpers import step
from tests.notifications.test_eido_webhook import _deliver_all, _endpoint

pytestmark = pytest.mark.django_db

SECRET = "HR-checking-internal"
PHONE = "+44 7700 900456"


@pytest.fixture
def escalation(world, agency_policy, sink, private_webhooks):
    sink.secret = "whsec_privacy"
    agency_policy(step(0, Target.WEBHOOKS))
    _endpoint(world, sink, format=WebhookEndpoint.Format.EIDO, path="/eido")
    _endpoint(world, sink, format=WebhookEndpoint.Format.WATCHPOST, path="/plain")
    incident = report(world.guard_a, world.a1, narrative="Man trying car doors")
    incident_services.add_party(
        incident=incident,
        by=world.supervisor_a,
        party=incident_services.PartyInput(
            role="victim", description="Car owner", name="Priya Shah", contact=PHONE
        ),
    )
    incident_services.add_party(
        incident=incident,
        by=world.supervisor_a,
        party=incident_services.PartyInput(role="witness", description=SECRET, internal=True),
    )
    incident_services.add_note(incident=incident, by=world.supervisor_a, text=f"Note {SECRET}", internal=True)
    incident_services.add_note(incident=incident, by=world.supervisor_a, text="Desk has the footage")
    return dispatch_services.escalate_incident(incident=incident, by=world.supervisor_a, reason="On camera")


def test_webhook_payloads_carry_no_internal_item_and_no_withheld_field(world, escalation, sink):
    _deliver_all(escalation)
    dispatch_services.accept_escalation(escalation=escalation, by=world.liaison_x)
    _deliver_all(escalation)
    bodies = {received.path: received.body.decode() for received in sink.received}
    assert set(bodies) == {"/eido", "/plain"}
    assert "Priya Shah" in bodies["/eido"]  # the victim is named; only the contact is withheld
    assert "Desk has the footage" in bodies["/eido"]  # a shared note goes
    for body in [received.body.decode() for received in sink.received]:
        assert SECRET not in body
        assert PHONE not in body
        assert "7700900456" not in body  # nor as the EIDO's call-back URI (tel:+447700900456)


def test_notification_texts_to_the_agency_carry_none_either(world, escalation):
    messages = OutboxMessage.objects.filter(escalation=escalation)
    assert messages.filter(channel=Channel.WEBHOOK).exists()
    stored = json.dumps([model_to_dict(message) for message in messages], default=str)
    assert SECRET not in stored
    assert PHONE not in stored
