"""An agency webhook that asks for EIDO receives the escalated incident as a NENA-STA-021 document
(valid against the project's EIDO schema written from the standard, docs/eido/eido-schema.yaml), signed
like every webhook; one that did not ask keeps the envelope."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dispatch import services as dispatch_services
from notifications import services
from notifications.models import Channel, Kind, OutboxMessage, Target, WebhookEndpoint
from tests.exports.eido_schema import problems_of
from tests.notifications.helpers import step

pytestmark = pytest.mark.django_db
State = OutboxMessage.State


def _endpoint(world, sink, *, format: str, path: str) -> WebhookEndpoint:
    endpoint = services.create_webhook_endpoint(
        by=world.admin_x,
        organization=world.agency_x,
        name=f"CAD {format}",
        url=sink.url(path),
        events=[Kind.PAGE, Kind.UPDATE],
        format=format,
    )
    endpoint.secret = sink.secret
    endpoint.save()
    return endpoint


@pytest.fixture
def hooked(world, agency_policy, sink, private_webhooks):
    sink.secret = "whsec_eido"
    agency_policy(step(0, Target.WEBHOOKS))
    return (
        _endpoint(world, sink, format=WebhookEndpoint.Format.EIDO, path="/eido"),
        _endpoint(world, sink, format=WebhookEndpoint.Format.WATCHPOST, path="/plain"),
    )


def _deliver_all(escalation) -> None:
    for message in OutboxMessage.objects.filter(escalation=escalation, channel=Channel.WEBHOOK):
        if message.state != State.DELIVERED:
            assert services.deliver_message(message_id=message.pk, claim="t").state == State.DELIVERED


def test_the_page_to_an_eido_endpoint_is_the_incidents_eido_and_valid_against_the_eido_schema(
    world, escalate, hooked, sink
):
    escalation = escalate(narrative="Two jackets taken at the entrance")
    _deliver_all(escalation)

    pages = {
        received.path: received
        for received in sink.received
        if received.headers["Watchpost-Event"] == "escalation.page"
    }
    eido, plain = pages["/eido"], pages["/plain"]
    assert eido.signature_ok
    assert eido.headers["Watchpost-Status"] == "Actual"
    document = eido.json
    assert problems_of(document) == []
    assert document["$id"] == f"urn:watchpost:eido:{escalation.incident.public_id}"
    assert escalation.incident.reference in str(document["incidentComponent"])
    agencies = {agency["agencyJcard"] for agency in document["agencyComponent"]}
    assert {"Provider A", "Agency X"} <= agencies
    assert plain.json["data"]["incident"]["reference"] == escalation.incident.reference
    assert "eidoVersion" not in plain.json


def test_each_status_update_sends_the_eido_as_it_is_then(world, escalate, hooked, sink):
    escalation = escalate()
    _deliver_all(escalation)
    dispatch_services.accept_escalation(escalation=escalation, by=world.liaison_x)
    dispatch_services.clear_escalation(
        escalation=escalation, by=world.liaison_x, disposition="Suspect cautioned", case_number="MPD-77"
    )
    _deliver_all(escalation)

    updates = [
        received
        for received in sink.received
        if received.path == "/eido" and received.headers["Watchpost-Event"] == "escalation.cleared"
    ]
    assert len(updates) == 1
    assert updates[0].signature_ok
    document = updates[0].json
    assert problems_of(document) == []
    assert "MPD-77" in str(document)
    assert "Suspect cautioned" in str(document)


def test_a_retry_sends_the_same_bytes(world, escalate, hooked, sink):
    sink.status = 503
    escalation = escalate()
    message = OutboxMessage.objects.get(escalation=escalation, endpoint=hooked[0], kind=Kind.PAGE)
    services.deliver_message(message_id=message.pk, claim="t")
    sink.status = 200
    message.refresh_from_db()
    assert message.state == State.PENDING  # 503: tried again later
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    services.deliver_message(message_id=message.pk, claim="t2")

    first, second = (received for received in sink.received if received.key == message.idempotency_key)
    assert first.body == second.body
    assert problems_of(second.json) == []


def test_an_unknown_format_is_refused_and_nothing_is_saved(world, private_webhooks, sink):
    with pytest.raises(ValidationError, match="format"):
        services.create_webhook_endpoint(
            by=world.admin_x,
            organization=world.agency_x,
            name="CAD",
            url=sink.url(),
            events=[Kind.PAGE],
            format="xml",
        )
    assert not WebhookEndpoint.objects.exists()


def test_the_agency_admin_chooses_eido_on_the_endpoints_page(client, world, private_webhooks, sink):
    client.force_login(world.admin_x)
    response = client.post(
        "/notifications/webhooks/new/",
        {"name": "CAD", "url": sink.url(), "events": [Kind.PAGE], "format": "eido", "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.format == WebhookEndpoint.Format.EIDO
    page = client.get(response["Location"])
    assert b'value="eido" selected' in page.content or b'value="eido" checked' in page.content
