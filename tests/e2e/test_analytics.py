"""The analytics dashboard in the browser: a supervisor and a liaison each see the charts drawn,
open every chart's table view, reach the charts with the keyboard, and axe finds nothing serious."""

import re

import pytest
from playwright.sync_api import expect

from seeding.demo.accounts import seed_accounts
from seeding.demo.history import seed_history
from tests.e2e.conftest import DESKTOP
from tests.e2e.helpers import off_the_browser_thread, sign_in

pytestmark = pytest.mark.axe

CHARTS = ("months-chart", "weeks-chart", "matrix-chart", "hotspot-map")


def _seeded() -> int:
    seed_accounts()
    return seed_history()


def _check_dashboard(page, portal: str) -> dict[str, int]:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Analytics").click()
    expect(page.get_by_role("heading", name="Analytics", exact=True)).to_be_visible()
    for chart in CHARTS:
        image = page.locator(f"svg#{chart}")
        expect(image).to_be_visible()
        assert image.get_attribute("role") == "img"
        assert image.locator("rect").count() > 0
    summaries = page.locator("details[data-table-view] > summary")
    assert summaries.count() == len(CHARTS)
    for index in range(summaries.count()):
        summaries.nth(index).click()
    month_rows = page.get_by_role("table", name="Incidents per month").locator("tbody tr")
    expect(month_rows).to_have_count(12)
    counts = [int(t) for t in month_rows.locator("td:nth-child(2)").all_inner_texts()]
    # The keyboard reaches the first chart after the page's links.
    page.locator("svg#months-chart").focus()
    assert page.evaluate("() => document.activeElement.id") == "months-chart"
    return {"total": int(page.locator("[data-total]").inner_text()), "months": sum(counts)}


def test_supervisor_and_liaison_see_their_charts_with_tables(portal, browser, look):
    assert off_the_browser_thread(_seeded) > 1500

    supervisor = browser.new_context(**DESKTOP).new_page()
    sign_in(supervisor, portal, "supervisor@sentinel.example")
    theirs = _check_dashboard(supervisor, portal)
    assert theirs["total"] == theirs["months"] > 300
    look(supervisor, "the supervisor's analytics", "analytics-dashboard")

    liaison = browser.new_context(**DESKTOP).new_page()
    sign_in(liaison, portal, "liaison@metro.example")
    agency = _check_dashboard(liaison, portal)
    assert 0 < agency["total"] < theirs["total"]  # only what was escalated to Metro
    expect(
        liaison.get_by_text("Counts of what was escalated to Metro Police Department only")
    ).to_be_visible()
    look(liaison, "the liaison's analytics", "analytics-liaison")

    # The partnership's scorecard: the same figures on both sides, each band said in words.
    figures = []
    for page, who in ((supervisor, "supervisor"), (liaison, "liaison")):
        page.get_by_role("link", name="Partnership scorecards").click()
        page.get_by_role("link", name="Sentinel Security and Metro Police Department").click()
        table = page.get_by_role("table", name=re.compile("The partnership's figures"))
        expect(table).to_be_visible()
        rows = page.get_by_role("table", name=re.compile("Escalations per month")).locator("tbody tr")
        expect(rows).to_have_count(6)
        for band in page.locator("[data-band]").all():
            assert band.inner_text().split(":")[0] in ("Green", "Amber", "Red")
        figures.append(table.inner_text().lower())  # each side's theme sets the headings' case
        look(
            page,
            f"the {who}'s partnership scorecard",
            "partnership-scorecard" if who == "supervisor" else None,
        )
    assert figures[0] == figures[1]
    assert "none decided" not in figures[0]  # the demo's last month has escalations
