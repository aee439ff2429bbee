"""The time-zone rule in the browser: a liaison chooses the zone of their own views, the page names
it, and a notification arriving live in the inbox is stamped in that zone, as the server shows it."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from accounts.models import Site, User
from incidents import services
from incidents.models import Category, Incident
from seeding.demo.accounts import seed_accounts
from seeding.demo.notifications import seed_policies
from tests.e2e.conftest import DESKTOP
from tests.e2e.helpers import off_the_browser_thread, sign_in

pytestmark = pytest.mark.axe

GUARD, SUPERVISOR, LIAISON = "guard@sentinel.example", "supervisor@sentinel.example", "liaison@metro.example"
LIVE = 10_000  # ms


def submitted_report() -> Incident:
    def report() -> Incident:
        guard = User.objects.get(email=GUARD)
        return services.report_incident(
            reporter=guard,
            site=Site.objects.get(code="riverside", provider=guard.membership.organization),
            idempotency_key=uuid.uuid4(),
            category=Category.objects.get(code="theft"),
            narrative="A man left with two jackets without paying.",
        ).incident

    return off_the_browser_thread(report)


def test_a_liaison_s_own_zone_stamps_the_live_inbox(portal, browser, look):
    seed_accounts()
    seed_policies()
    incident = submitted_report()

    liaison = browser.new_context(**DESKTOP).new_page()
    sign_in(liaison, portal, LIAISON)
    liaison.get_by_role("contentinfo").get_by_role("link", name="America/Chicago").click()
    expect(liaison.get_by_role("heading", name="Your time zone")).to_be_visible()
    look(liaison, "the time-zone page")
    liaison.get_by_label("Time zone of your own views").select_option("Pacific/Auckland")
    liaison.get_by_role("button", name="Save").click()
    expect(liaison.get_by_text("Your own views now show Pacific/Auckland time.")).to_be_visible()
    expect(liaison.get_by_role("contentinfo")).to_contain_text("yours: Pacific/Auckland")
    liaison.goto(f"{portal}/notifications/")
    expect(liaison.get_by_role("heading", name="Notifications", exact=True)).to_be_visible()

    supervisor = browser.new_context(**DESKTOP).new_page()
    sign_in(supervisor, portal, SUPERVISOR)
    supervisor.goto(f"{portal}/incidents/{incident.public_id}/")
    supervisor.get_by_role("region", name="Triage").get_by_role("button", name="Accept").click()
    expect(supervisor.get_by_text(f"{incident.reference} accepted.")).to_be_visible()
    supervisor.get_by_role("button", name="Escalate to Metro Police Department").click()
    expect(supervisor.get_by_text(f"{incident.reference} escalated to Metro")).to_be_visible()

    newest = liaison.locator("[data-notification-list] > li").first
    expect(newest).to_contain_text(incident.reference, timeout=LIVE)
    expect(newest).to_contain_text(re.compile(r"\w{3} \d{1,2} \w{3}( \d{4})? \d{2}:\d{2}:\d{2} NZ[DS]T"))
