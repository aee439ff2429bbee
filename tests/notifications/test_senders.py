"""Each channel against a real receiver: signed webhooks, the SMS adapter, email, in-app."""

import ipaddress
import json

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import services
from notifications.models import (
    Channel,
    Kind,
    Notification,
    NotificationProfile,
    OutboxMessage,
    Target,
    WebhookEndpoint,
)
from notifications.senders import email as email_sender
from notifications.senders import sms, webhook
from tests.notifications.helpers import WRAPPED_PRIVATE, step
from tests.notifications.sinks import SmtpSink, verify

State = OutboxMessage.State


@pytest.fixture
def hooked(world, agency_policy, sink, private_webhooks):
    sink.secret = "whsec_test"
    endpoint = services.create_webhook_endpoint(
        by=world.admin_x, organization=world.agency_x, name="CAD", url=sink.url("/cad?x=1"), events=["page"]
    )
    endpoint.secret = sink.secret
    endpoint.save()
    agency_policy(step(0, Target.WEBHOOKS))
    return endpoint


def test_a_webhook_is_json_signed_over_timestamp_and_body(world, escalate, hooked, sink):
    escalation = escalate()
    message = OutboxMessage.objects.get(escalation=escalation, channel=Channel.WEBHOOK)
    assert services.deliver_message(message_id=message.pk, claim="t").state == State.DELIVERED
    (received,) = sink.received
    assert received.path == "/cad?x=1"
    assert received.signature_ok
    assert received.headers["Watchpost-Event"] == "escalation.page"
    assert received.headers["Content-Type"] == "application/json"
    assert received.key == message.idempotency_key
    body = received.json
    assert body["id"] == message.idempotency_key
    assert body["data"]["incident"]["reference"] == escalation.incident.reference
    assert not verify("another-secret", received.headers, received.body)
    assert not verify(sink.secret, received.headers, received.body + b" ")
    attempt = message.delivery_attempts.get()
    assert (attempt.ok, attempt.status_code) == (True, 200)


def test_the_signature_is_what_the_docs_say():
    assert webhook.sign("secret", 1700000000, b'{"a":1}') == (
        "v1=" + __import__("hmac").new(b"secret", b'1700000000.{"a":1}', "sha256").hexdigest()
    )


def test_webhooks_may_not_reach_private_networks_unless_allowed(world, escalate, hooked, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    message = OutboxMessage.objects.get(escalation=escalate(), channel=Channel.WEBHOOK)
    assert services.deliver_message(message_id=message.pk, claim="t").state == State.FAILED
    message.refresh_from_db()
    assert "private" in message.last_error


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://cad.example/", "full https:// URL"),
        ("http://cad.example/", "https:// only"),
        ("https://user:pw@cad.example/", "credentials"),
        ("https://127.0.0.1/", "private network"),
        ("https://10.1.2.3/", "private network"),
        ("https://localhost/", "private network"),
    ],
)
def test_endpoint_urls_are_checked_when_saved(world, settings, url, problem):
    settings.WEBHOOK_REQUIRE_HTTPS = True
    with pytest.raises(ValidationError, match=problem):
        services.create_webhook_endpoint(
            by=world.admin_x, organization=world.agency_x, name="x", url=url, events=["page"]
        )


def test_an_endpoint_switched_off_before_delivery_is_skipped_with_the_reason(world, escalate, hooked):
    message = OutboxMessage.objects.get(escalation=escalate(), channel=Channel.WEBHOOK)
    hooked.is_active = False
    hooked.save()
    assert services.deliver_message(message_id=message.pk, claim="t").state == State.SKIPPED


def sms_page(world, escalate, agency_policy):
    agency_policy(step(0, channels=[Channel.SMS], required=[Channel.SMS]))
    return OutboxMessage.objects.get(escalation=escalate(), channel=Channel.SMS)


def test_without_an_sms_provider_sms_is_skipped_with_a_clear_reason(world, escalate, agency_policy, settings):
    settings.SMS_PROVIDER_URL = ""
    message = sms_page(world, escalate, agency_policy)
    assert services.deliver_message(message_id=message.pk, claim="t").state == State.SKIPPED
    message.refresh_from_db()
    assert message.last_error == "SMS is not configured on this server (SMS_PROVIDER_URL is unset)."


def test_the_json_sms_provider_gets_the_number_text_and_key(world, escalate, agency_policy, sink, settings):
    settings.SMS_PROVIDER_URL = sink.url("/v1/messages")
    settings.SMS_API_KEY = "sms-key"
    settings.SMS_FROM = "+15550100000"
    sink.reply = {"id": "msg-42"}
    NotificationProfile.objects.create(user=world.liaison_x, phone="+447700900123")
    message = sms_page(world, escalate, agency_policy)
    assert services.deliver_message(message_id=message.pk, claim="t").state == State.DELIVERED
    (received,) = sink.received
    assert received.headers["Authorization"] == "Bearer sms-key"
    assert received.key == message.idempotency_key
    body = json.loads(received.body)
    assert body["to"] == "+447700900123"
    assert body["from"] == "+15550100000"
    assert body["text"].startswith("Watchpost Severity")
    assert body["text"].endswith(f"/incidents/{message.incident.public_id}/")
    assert "msg-42" in message.delivery_attempts.get().detail


def test_an_sms_the_provider_refuses_fails_for_good_and_no_number_is_skipped(
    world, escalate, agency_policy, sink, settings
):
    settings.SMS_PROVIDER_URL = sink.url()
    sink.status = 422
    message = sms_page(world, escalate, agency_policy)
    assert services.deliver_message(message_id=message.pk, claim="t").state == State.SKIPPED  # no number yet
    NotificationProfile.objects.create(user=world.liaison_x, phone="+447700900123")
    OutboxMessage.objects.filter(pk=message.pk).update(state=State.PENDING)
    assert services.deliver_message(message_id=message.pk, claim="t").state == State.FAILED
    assert isinstance(sms.configured_provider(), sms.JsonHttpProvider)


def test_email_has_text_and_html_with_the_incident_link(world, escalate, settings):
    settings.PUBLIC_URL = "https://watchpost.example.org"
    escalation = escalate()
    message = OutboxMessage.objects.get(escalation=escalation, channel=Channel.EMAIL, kind=Kind.PAGE)
    assert services.deliver_message(message_id=message.pk, claim="t").state == State.DELIVERED
    (email,) = mail.outbox
    link = f"https://watchpost.example.org/incidents/{escalation.incident.public_id}/"
    assert email.to == [world.liaison_x.email]
    assert escalation.incident.reference in email.subject
    assert link in email.body
    html, mime = email.alternatives[0]
    assert mime == "text/html"
    assert f'href="{link}"' in html
    assert email.extra_headers["Message-ID"].endswith("@watchpost.example.org>")
    assert "https://watchpost.example.org/notifications/settings/" in email.body


def test_in_app_lands_once_in_the_inbox_and_is_pushed_after_commit(
    world, escalate, django_capture_on_commit_callbacks
):
    message = OutboxMessage.objects.get(escalation=escalate(), channel=Channel.IN_APP)
    with django_capture_on_commit_callbacks() as callbacks:
        services.deliver_message(message_id=message.pk, claim="t")
    assert Notification.objects.filter(recipient=world.liaison_x).count() == 1
    assert len(callbacks) == 1  # the live push, after the inbox row commits


def test_a_person_who_lost_access_is_skipped(world, escalate):
    message = OutboxMessage.objects.get(escalation=escalate(), channel=Channel.EMAIL)
    world.liaison_x.membership.delete()
    assert services.deliver_message(message_id=message.pk, claim="t").state == State.SKIPPED
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("address", "reaches"),
    [
        ("64:ff9b::808:808", "8.8.8.8"),
        ("::8.8.8.8", "8.8.8.8"),
        ("::ffff:8.8.8.8", "8.8.8.8"),
        ("::ffff:0:808:808", "8.8.8.8"),
        ("2002:808:808::1", "8.8.8.8"),
        ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", "65.54.227.120 8.8.8.8"),
        ("2001:4860:4860::8888", "2001:4860:4860::8888"),
        ("8.8.8.8", "8.8.8.8"),
    ],
)
def test_the_guard_judges_what_an_address_reaches(address, reaches, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    parsed = ipaddress.ip_address(address)
    assert " ".join(str(a) for a in webhook.reached(parsed)) == reaches
    assert webhook.address_allowed(parsed)


@pytest.mark.parametrize("url", WRAPPED_PRIVATE)
def test_a_stored_endpoint_on_a_wrapped_private_address_is_never_called(
    world, escalate, hooked, url, settings
):
    """An endpoint saved before the guard knew these forms: the send is refused before connecting."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    WebhookEndpoint.objects.filter(pk=hooked.pk).update(url=url)
    message = OutboxMessage.objects.get(escalation=escalate(), channel=Channel.WEBHOOK)
    assert services.deliver_message(message_id=message.pk, claim="t").state == State.FAILED
    message.refresh_from_db()
    assert "private network" in message.last_error
    assert not message.delivery_attempts.filter(ok=True).exists()


def test_emails_go_over_one_kept_smtp_session_and_a_new_one_when_the_server_dropped_it(
    world, escalate, settings
):
    smtp = SmtpSink()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", smtp.port, False
    first, second, third = (
        OutboxMessage.objects.get(escalation=escalate(), channel=Channel.EMAIL, kind=Kind.PAGE)
        for _ in range(3)
    )
    smtp.controller.start()
    try:
        for message in (first, second):
            assert services.deliver_message(message_id=message.pk, claim="t").state == State.DELIVERED
        assert len(smtp.wait_for(2)) == 2
        assert smtp.sessions == 1  # connect, EHLO and QUIT once, not once per email
    finally:
        smtp.controller.stop()  # the server goes away with the kept connection, and comes back
    again = SmtpSink(port=smtp.port)
    again.controller.start()
    try:
        assert services.deliver_message(message_id=third.pk, claim="t").state == State.DELIVERED
        assert len(again.wait_for(1)) == 1
        assert again.sessions == 1
    finally:
        again.controller.stop()
        email_sender.close_connection()
    assert OutboxMessage.objects.get(pk=third.pk).attempts == 1  # sent on its first try


def test_a_delivery_reads_the_recipients_membership_with_the_message_and_stores_the_inbox_entry_once(
    world, escalate
):
    message = OutboxMessage.objects.get(escalation=escalate(), channel=Channel.IN_APP)
    with CaptureQueriesContext(connection) as queries:
        assert services.deliver_message(message_id=message.pk, claim="t").state == State.DELIVERED
    statements = [query["sql"] for query in queries.captured_queries]
    inbox = [sql.split()[0] for sql in statements if '"notifications_notification"' in sql]
    assert inbox == ["INSERT", "SELECT"]  # the entry, then the unread count: no read before the insert
    assert not [sql for sql in statements if sql.startswith("SELECT") and 'FROM "accounts_membership"' in sql]
    # Delivered again (a worker lost after the insert): still one entry, and the caller's transaction
    # (the test's) is still usable.
    OutboxMessage.objects.filter(pk=message.pk).update(state=State.PENDING)
    assert services.deliver_message(message_id=message.pk, claim="t2").state == State.DELIVERED
    assert Notification.objects.filter(message=message).count() == 1
