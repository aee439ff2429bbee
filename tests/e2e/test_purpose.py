"""Purpose-bound access in the browser (issue 21, part 4): on the control-room board the liaison
opens an escalation whose incident names a witness; the panel shows the incident without the name
and asks why; the purpose given, the panel draws the name, and the audit record holds the purpose."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from accounts.models import Site, User
from audit.models import AuditEvent
from dispatch import services as dispatch
from incidents import services as incidents
from incidents.models import Category
from seeding.demo.accounts import seed_accounts
from tests.e2e.helpers import off_the_browser_thread, sign_in

pytestmark = pytest.mark.axe

GUARD, SUPERVISOR, LIAISON = "guard@sentinel.example", "supervisor@sentinel.example", "liaison@metro.example"
WITNESS = "Dana Whitfield"
CONTROL_ROOM = {"viewport": {"width": 1920, "height": 1080}}


def _stage() -> dict[str, str]:
    seed_accounts()
    guard = User.objects.get(email=GUARD)
    site = Site.objects.get(code="riverside", provider=guard.membership.organization)
    incident = incidents.report_incident(
        reporter=guard,
        site=site,
        idempotency_key=uuid.uuid4(),
        category=Category.objects.get(code="theft"),
        severity=3,
        narrative="Bikes taken from the rack by the loading bay.",
        parties=[incidents.PartyInput(role="witness", description="Delivery driver", name=WITNESS)],
    ).incident
    dispatch.escalate_incident(incident=incident, by=User.objects.get(email=SUPERVISOR))
    return {"reference": incident.reference, "id": str(incident.public_id)}


def test_the_liaison_gives_a_purpose_in_the_board_panel_and_then_sees_the_people(portal, browser, look):
    staged = off_the_browser_thread(_stage)
    page = browser.new_context(**CONTROL_ROOM).new_page()
    sign_in(page, portal, LIAISON)
    page.goto(f"{portal}/board/")
    expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible()
    rows = page.get_by_role("list", name=re.compile("Open escalations"))
    rows.get_by_role("listitem").filter(has_text=staged["reference"]).get_by_role("button").first.click()
    panel = page.get_by_role("region", name="Escalation details")
    expect(panel.get_by_role("heading", level=2)).to_contain_text(staged["reference"])
    expect(panel).to_contain_text("Delivery driver")
    expect(panel).not_to_contain_text(WITNESS)
    question = panel.get_by_label(
        "Why are you opening this incident's people and files? (case number or reason)"
    )
    look(page, "the board's panel asking for a purpose")
    question.fill("Case 26-4410, stolen bikes")
    panel.get_by_role("button", name="Show the details").click()
    expect(panel).to_contain_text(WITNESS)
    expect(panel).to_contain_text("Your purpose: Case 26-4410, stolen bikes")

    def audited() -> list[dict]:
        return list(
            AuditEvent.objects.filter(action="personal_data.viewed", object_id=staged["id"]).values_list(
                "data", flat=True
            )
        )

    views = off_the_browser_thread(audited)
    assert views, "the view of the witness's name is audited"
    assert {view["purpose"] for view in views} == {"Case 26-4410, stolen bikes"}
    assert {view["via"] for view in views} == {"board"}
