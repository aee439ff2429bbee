"""The supervisor's desk (issue 14.5) at 1366x768: a guard presses the panic on their phone and the
supervisor's open home shows PANIC at once, first and in red, without a reload; the guard's cancel
takes it away again, live too."""

import re

import pytest
from playwright.sync_api import expect

from incidents.models import Incident
from seeding.demo.accounts import seed_accounts
from seeding.demo.incidents import seed_incidents
from tests.e2e.conftest import PHONE
from tests.e2e.helpers import mark_document, off_the_browser_thread, same_document, sign_in

pytestmark = pytest.mark.axe

GUARD, SUPERVISOR = "guard@sentinel.example", "supervisor@sentinel.example"
SUPERVISOR_SCREEN = {"viewport": {"width": 1366, "height": 768}}
LIVE = 5_000


def test_a_panic_pressed_on_the_guards_phone_shows_on_the_supervisors_open_desk(portal, browser, look):
    seed_accounts()
    desk = browser.new_context(**SUPERVISOR_SCREEN).new_page()
    sign_in(desk, portal, SUPERVISOR)
    panics = desk.locator('[data-desk-section="panics"]')
    expect(panics).to_contain_text("No active panic")
    mark_document(desk)

    guard = browser.new_context(**PHONE).new_page()
    sign_in(guard, portal, GUARD)
    box = guard.locator(".panic-bar").get_by_role("button", name="PANIC").bounding_box()
    assert box is not None
    guard.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    with guard.expect_response(lambda r: r.url.endswith("/panic/") and r.request.method == "POST") as sent:
        guard.mouse.down()  # pressed and held (2 s): sent while still held
    guard.mouse.up()
    assert sent.value.status == 201
    pressed = Incident.objects.get(category__code="panic")

    # Live, without a reload: the word PANIC, in red, with the guard, the site and the time.
    expect(panics).to_contain_text("PANIC — 1 active", timeout=LIVE)
    expect(panics).to_contain_text(f"{pressed.reporter} at {pressed.site.name}")
    expect(panics.locator("time")).to_have_text(re.compile(r"\d{2}:\d{2} [A-Z]{2,5}$"))
    # The desk's "Updated" stamp is the reader's clock with its zone named as the server names it
    # ("CST"), not a bare browser time nor "GMT-6".
    expect(desk.locator("[data-desk-status]")).to_have_text(
        re.compile(rf"^Updated \d{{2}}:\d{{2}}:\d{{2}} (?!AM|PM)[A-Z]{{2,5}} \({pressed.reference}\)$"),
        timeout=LIVE,
    )
    assert "desk-panic-active" in (panics.get_attribute("class") or "")
    background = panics.evaluate("(element) => getComputedStyle(element).backgroundColor")
    assert background == "rgb(185, 28, 28)"
    assert same_document(desk)
    # First on the page: above the police and the triage queue, which list the panic too.
    tops = desk.evaluate(
        """() => ["panics", "police", "triage"].map(
            (name) => document.querySelector(`[data-desk-section="${name}"]`).getBoundingClientRect().top)"""
    )
    assert tops == sorted(tops)
    expect(desk.locator('[data-desk-section="police"]')).to_contain_text(pressed.reference)
    expect(desk.locator("[data-desk-triage-total]")).to_have_text("1")
    look(desk, "the supervisor's desk with a panic", "supervisor-desk")

    # The guard's false press, cancelled in the window: the desk lets go of it, live.
    with guard.expect_response(lambda r: "/cancel/" in r.url):
        guard.get_by_role("button", name=re.compile(r"^Cancel: false alarm")).click()
    expect(panics).to_contain_text("No active panic", timeout=LIVE)
    assert same_document(desk)


def test_the_triage_queue_at_1366_keeps_each_reference_on_one_line(portal, browser):
    """Seen in `make run`: beside long categories, sites and reporters, "WP-2026-" over "000009"."""
    off_the_browser_thread(seed_accounts)
    off_the_browser_thread(seed_incidents)
    queue = browser.new_context(**SUPERVISOR_SCREEN).new_page()
    sign_in(queue, portal, SUPERVISOR)
    queue.goto(f"{portal}/incidents/triage/")
    references = queue.locator('td[data-label="Reference"]')
    assert references.count() >= 3
    cells = references.evaluate_all(
        """cells => cells.map((cell) => [getComputedStyle(cell).whiteSpace,
            cell.querySelector("a").getClientRects().length])"""
    )
    assert cells == [["nowrap", 1]] * len(cells)
