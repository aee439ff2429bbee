"""Issue 14 item 6 at the supervisor's screen (1366x768): closing an incident while its PANIC is
active asks for confirmation with the reason and keeps the typed resolution; "Guard is safe: clear
panic" answers with what it did."""

import uuid

import pytest
from playwright.sync_api import expect

from accounts.models import Site, User
from dispatch import services
from incidents.models import Incident
from seeding.demo.accounts import seed_accounts
from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.axe

GUARD, SUPERVISOR = "guard@sentinel.example", "supervisor@sentinel.example"
SUPERVISOR_SCREEN = {"viewport": {"width": 1366, "height": 768}}


def test_closing_during_a_panic_asks_first_and_clearing_the_panic_says_what_it_did(portal, browser, look):
    seed_accounts()
    guard = User.objects.get(email=GUARD)
    site = Site.objects.get(code="northgate", provider=guard.membership.organization)
    pressed = services.press_panic(guard=guard, site=site, idempotency_key=uuid.uuid4()).incident

    page = browser.new_context(**SUPERVISOR_SCREEN).new_page()
    sign_in(page, portal, SUPERVISOR)
    page.goto(f"{portal}/incidents/{pressed.public_id}/")
    triage = page.get_by_role("region", name="Triage")
    triage.get_by_label("Comment").fill("Guard answered the radio: false alarm at the loading bay.")
    triage.get_by_role("button", name="Close with resolution").click()

    # Asked first, with the reason and the resolution as typed; nothing closed yet.
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Close {pressed.reference}")
    expect(page.get_by_role("alert")).to_contain_text("PANIC is still active")
    expect(page.get_by_label("Resolution")).to_have_value(
        "Guard answered the radio: false alarm at the loading bay."
    )
    look(page, "the close confirmation during a panic")
    pressed.refresh_from_db()
    assert pressed.status != Incident.Status.CLOSED
    page.get_by_role("link", name="Keep it open").click()

    # Guard is safe: the answer says what was cleared and who was told.
    page.get_by_role("button", name="Guard is safe: clear panic").click()
    answer = page.get_by_role("status").filter(has_text="Panic cleared on")
    expect(answer).to_contain_text("you confirmed the guard is safe")
    expect(answer).to_contain_text("The PANIC is no longer active")
    expect(answer).to_contain_text(f"the guard who pressed it ({guard})")
    look(page, "the incident after the panic was cleared")
