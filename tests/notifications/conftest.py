import pytest

from dispatch import services as dispatch_services
from notifications import services
from notifications.senders import email as email_sender
from tests.factories import report
from tests.notifications.sinks import HttpSink, SmtpSink


@pytest.fixture
def escalate(world):
    """Escalate a fresh report at a site (a1: provider A → agency X) through the real services."""

    def _escalate(site=None, by=None, **fields):
        site = site or world.a1
        guard = world.guard_b if site == world.b1 else world.guard_a
        incident = report(guard, site, **fields)
        return dispatch_services.escalate_incident(incident=incident, by=by or world.supervisor_a)

    return _escalate


@pytest.fixture
def agency_policy(world):
    """Give agency X a default escalation policy made of ``steps``."""

    def _policy(*steps, site=None, organization=None, by=None):
        return services.save_escalation_policy(
            by=by or world.admin_x,
            organization=organization or world.agency_x,
            name="Paging",
            site=site,
            steps=list(steps),
        )

    return _policy


@pytest.fixture
def sink():
    receiver = HttpSink(secret="").start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp():
    server = SmtpSink()
    server.controller.start()
    yield server
    server.controller.stop()
    email_sender.close_connection()  # this process's kept session was to this server


@pytest.fixture
def private_webhooks(settings):
    """Let webhooks reach the sink on 127.0.0.1 (the SSRF guard forbids it by default)."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
