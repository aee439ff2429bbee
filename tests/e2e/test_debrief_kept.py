"""Issue 14 item 7 at the supervisor's desk (1366 x 768): a corrective action refused for its past
due date leaves the page with everything typed still in it, the unsaved text above included."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from debriefs import services as debrief_services
from incidents import services as incident_services
from seeding.demo.accounts import seed_accounts
from tests.e2e.helpers import off_the_browser_thread, sign_in
from tests.e2e.test_story import GUARD, SUPERVISOR, file_report

pytestmark = pytest.mark.axe

SUPERVISOR_DESK = {"viewport": {"width": 1366, "height": 768}}


def drafted_debrief() -> str:
    seed_accounts()
    incident = file_report(site="riverside", category="theft", narrative="A man took two anoraks.")

    def close_and_draft() -> str:
        supervisor = User.objects.get(email=SUPERVISOR)
        closed = incident_services.close_incident(incident=incident, by=supervisor, resolution="Recovered.")
        debrief = debrief_services.request_debrief(incident=closed, by=supervisor)
        return str(debrief_services.draft_debrief(debrief=debrief).public_id)

    return off_the_browser_thread(close_and_draft)


def test_a_refused_corrective_action_keeps_every_typed_word(portal, browser, look):
    debrief_id = drafted_debrief()
    context = browser.new_context(**SUPERVISOR_DESK)
    page = context.new_page()
    sign_in(page, portal, SUPERVISOR)
    page.goto(f"{portal}/debriefs/{debrief_id}/")
    expect(page.get_by_role("heading", name="Edit the debrief")).to_be_visible()
    page.get_by_label("Strengths").fill("The guard radioed within a minute.")
    page.get_by_label("Areas for improvement").fill("The coat rack has no lock.")
    action = page.get_by_role("textbox", name="Corrective action")
    action.fill("Fit a lock to the coat rack.")
    guard = off_the_browser_thread(lambda: str(User.objects.get(email=GUARD).pk))
    page.get_by_label("Owner").select_option(guard)
    page.get_by_label("Due date").fill("2020-01-01")
    page.get_by_role("button", name="Add action", exact=True).click()

    # The summary at the top of the form names the field and links to it; the error is by the field too.
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()  # the page opens on it, wherever the form is
    expect(summary).to_contain_text("The due date cannot be in the past")
    expect(summary.get_by_role("link", name="Due date")).to_have_attribute("href", "#id_due_date")
    expect(page.get_by_text(re.compile(r"^The due date cannot be in the past"))).to_be_visible()
    expect(page.get_by_text("What you typed is kept")).to_be_visible()
    expect(page.get_by_label("Strengths")).to_have_value("The guard radioed within a minute.")
    expect(page.get_by_label("Areas for improvement")).to_have_value("The coat rack has no lock.")
    expect(action).to_have_value("Fit a lock to the coat rack.")
    expect(page.get_by_label("Owner")).to_have_value(guard)
    look(page, "the debrief page after a refused corrective action", "debrief-kept-after-error")

    page.get_by_label("Due date").fill("2099-01-01")
    page.get_by_role("button", name="Add action", exact=True).click()
    expect(page.get_by_text("Debrief saved with the new corrective action.")).to_be_visible()
    expect(page.get_by_label("Strengths")).to_have_value("The guard radioed within a minute.")
    expect(page.get_by_role("cell", name="Fit a lock to the coat rack.")).to_be_visible()
    context.close()
