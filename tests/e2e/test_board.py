"""The liaison's control-room board at 1920x1080 (issue 14, items 8 and 9): the map beside the rows
with a marker for every open escalation and the agency's sites, the filters, a row that says at once
that the provider closed its incident, recently cleared, the full history in a drawer without leaving
the board, and the density preference kept across a reload."""

import re
import uuid
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from accounts.models import ApiToken, Site, User
from accounts.services import issue_api_token
from dispatch import services as dispatch
from dispatch.models import Escalation
from incidents import services as incidents
from incidents.models import Category, Evidence
from seeding.demo.accounts import seed_accounts
from seeding.demo.board import seed_site_outlines
from tests.e2e.helpers import api_post, mark_document, off_the_browser_thread, same_document, sign_in
from tests.incidents import evidence_samples as samples

pytestmark = pytest.mark.axe

CONTROL_ROOM = {"viewport": {"width": 1920, "height": 1080}}
GUARD, SUPERVISOR, LIAISON = "guard@sentinel.example", "supervisor@sentinel.example", "liaison@metro.example"
METRO = "Metro Police Department"
LIVE = 5_000  # ms


def _escalate(site: str, category: str, severity: int, *, at_site: bool = False) -> Escalation:
    guard = User.objects.get(email=GUARD)
    where = Site.objects.get(code=site, provider=guard.membership.organization)
    position: dict[str, Any] = {"latitude": where.latitude, "longitude": where.longitude} if at_site else {}
    incident = incidents.report_incident(
        reporter=guard,
        site=where,
        idempotency_key=uuid.uuid4(),
        category=Category.objects.get(code=category),
        severity=severity,
        narrative=f"A {category} report at {where.name}.",
        **position,
    ).incident
    return dispatch.escalate_incident(incident=incident, by=User.objects.get(email=SUPERVISOR))


def _stage() -> dict[str, str]:
    """Four escalations to Metro: three open (one with a guard's unread message), one cleared. Some
    carry the incident's own position, the others are drawn at their site's."""
    seed_accounts()
    seed_site_outlines()
    liaison, guard = User.objects.get(email=LIAISON), User.objects.get(email=GUARD)
    assault = _escalate("northgate", "assault", 1, at_site=True)
    theft = _escalate("riverside", "theft", 3)
    vehicle = _escalate("riverside", "suspicious-vehicle", 2, at_site=True)
    cleared = _escalate("northgate", "vandalism", 3)
    dispatch.accept_escalation(escalation=theft, by=liaison)
    cleared = dispatch.accept_escalation(escalation=cleared, by=liaison)
    dispatch.clear_escalation(escalation=cleared, by=liaison, disposition="Report taken, no arrest.")
    dispatch.post_message(incident=vehicle.incident, by=guard, text="The van is leaving by the north ramp.")
    _, token = issue_api_token(
        user=User.objects.get(email=SUPERVISOR),
        by=User.objects.get(email="admin@sentinel.example"),
        name="Board test",
        scope=ApiToken.Scope.WRITE,
    )
    return {
        "assault": assault.incident.reference,
        "theft": theft.incident.reference,
        "theft_incident": str(theft.incident.public_id),
        "assault_incident": str(assault.incident.public_id),
        "vehicle": vehicle.incident.reference,
        "cleared": cleared.incident.reference,
        "token": token,
        "sites": str(Site.objects.filter(agency__name=METRO, is_active=True).count()),
    }


def _open_board(browser, portal):
    page = browser.new_context(**CONTROL_ROOM).new_page()
    sign_in(page, portal, LIAISON)
    page.goto(f"{portal}/board/")
    expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible()
    return page


def test_the_board_maps_filters_and_shows_a_closed_incident_at_once(portal, browser, look, screenshot):
    staged = off_the_browser_thread(_stage)
    page = _open_board(browser, portal)
    rows = page.get_by_role("list", name=re.compile("Open escalations"))
    row = {
        name: rows.get_by_role("listitem").filter(has_text=staged[name])
        for name in ("assault", "theft", "vehicle")
    }
    mark_document(page)

    # The map: one marker per open escalation (each at its incident's or its site's position), and
    # every site of the agency drawn with its outline.
    board_map = page.get_by_role("group", name="Map of the open escalations and the agency's sites")
    expect(board_map.locator("[data-marker]")).to_have_count(3)
    expect(board_map.locator(".site-shape")).to_have_count(int(staged["sites"]))
    expect(board_map.locator(".site-outline")).to_have_count(int(staged["sites"]))
    assert board_map.locator("image").count() == 0, "no map tiles unless the operator set a tile server"
    for name in ("assault", "theft", "vehicle"):
        expect(board_map.locator("text.marker-label").filter(has_text=staged[name])).to_have_count(1)
    box = board_map.bounding_box()
    assert box["width"] > 700, "the map takes its half of a control-room screen"
    list_box = rows.bounding_box()
    assert box["x"] > list_box["x"] + list_box["width"] - 1, "the map is beside the list"

    # Rows: severity, police state and its age, verification, the unread marker.
    expect(row["assault"]).to_contain_text("Severity 1")
    expect(row["theft"]).to_contain_text("Accepted")
    expect(row["theft"]).to_contain_text("Awaiting the provider's review")
    expect(row["vehicle"]).to_contain_text("✉ New message")
    expect(row["theft"].locator(".state-age .age-short")).to_have_text(re.compile(r"^\d+ (s|min)$"))
    font = rows.locator(".ref").first.evaluate("node => parseFloat(getComputedStyle(node).fontSize)")
    assert font >= 24, f"references readable from two metres ({font}px)"
    recent = page.get_by_role("list", name=re.compile("Recently cleared"))
    expect(recent).to_contain_text(staged["cleared"])
    expect(recent).to_contain_text("Report taken, no arrest.")

    # Filters apply at once, to the rows and the map, and stay in the address.
    page.get_by_label("Severity", exact=True).select_option(label="1 · Life-threatening")
    expect(rows.get_by_role("listitem")).to_have_count(1)
    expect(row["assault"]).to_be_visible()
    expect(board_map.locator("[data-marker]")).to_have_count(1)
    assert "severity=1" in page.url
    page.get_by_label("Severity", exact=True).select_option("")
    page.get_by_label("State", exact=True).select_option(label="Accepted")
    expect(rows.get_by_role("listitem")).to_have_count(1)
    expect(row["theft"]).to_be_visible()
    page.get_by_role("link", name="Show all").click()
    page.get_by_label("Site", exact=True).select_option(label="Riverside Mall")
    expect(rows.get_by_role("listitem")).to_have_count(2)
    expect(page.get_by_text("2 of 3 open shown")).to_be_visible()
    page.get_by_role("link", name="Show all").click()
    expect(rows.get_by_role("listitem")).to_have_count(3)

    # The provider closes an incident the police are working: its row says so at once.
    api_post(
        portal,
        staged["token"],
        f"incidents/{staged['theft_incident']}/close/",
        {"resolution": "Store manager settled it.", "confirm": True},  # the police are still on it
    )
    expect(row["theft"]).to_contain_text("Incident closed by the provider", timeout=LIVE)
    # At the site's time, its zone named as the server names it ("CST"), not "GMT-6".
    expect(row["theft"]).to_contain_text(
        re.compile(r"closed by the provider at \d\d:\d\d [A-Z]{2,5}(?![+\-])")
    )
    expect(row["theft"]).to_contain_text("Accepted")  # the police's state is still the police's
    expect(row["theft"]).to_have_class(re.compile(r"\bclosed\b"))
    assert same_document(page)
    look(page, "the control-room board", "board")


def test_the_full_history_opens_over_the_board_without_leaving_it(portal, browser, look, screenshot):
    staged = off_the_browser_thread(_stage)
    page = _open_board(browser, portal)
    mark_document(page)
    page.keyboard.press("h")
    drawer = page.get_by_role("dialog", name=f"{METRO} — full history")
    expect(drawer).to_be_visible()
    table = drawer.get_by_role("table")
    for name in ("assault", "theft", "vehicle", "cleared"):
        expect(table).to_contain_text(staged[name])
    look(page, "the board's history drawer", "board-history")
    drawer.get_by_label("State", exact=True).select_option(label="Cleared")
    drawer.get_by_role("button", name="Show").click()
    expect(table.get_by_role("row")).to_have_count(2)  # the header and the cleared one
    expect(table).to_contain_text("Report taken, no arrest.")
    table.get_by_role("link", name=staged["cleared"]).click()
    expect(drawer).to_be_hidden()
    panel = page.get_by_role("region", name="Escalation details")
    expect(panel.get_by_role("heading", level=2)).to_contain_text(staged["cleared"])
    assert same_document(page)
    # On its own, the history is a page too (no JavaScript needed).
    page.goto(f"{portal}/board/history/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{METRO} — full history")
    look(page, "the history page")


def test_the_density_is_remembered_for_the_user_across_a_reload(portal, browser, look, screenshot):
    staged = off_the_browser_thread(_stage)
    page = _open_board(browser, portal)
    # Readable from two metres (issue 14 item 9): the filters and the density switch are large
    # targets in large type.
    sizes = page.locator("[data-filters] select, [data-filters] button, button[aria-pressed]").evaluate_all(
        "els => els.filter(e => e.getClientRects().length)"  # those shown (the no-script Apply is not)
        ".map(e => [e.getBoundingClientRect().height, parseFloat(getComputedStyle(e).fontSize)])"
    )
    assert len(sizes) >= 4, sizes  # site, severity and state filters, and the density switch

    # A photo sent by the provider (through the API, so the server keeps the file and its worker makes
    # the thumbnail) shows in its row, loaded; the rows without one say so.
    sent = requests.post(
        f"{portal}/api/v1/incidents/{staged['assault_incident']}/evidence/",
        headers={"Authorization": f"Bearer {staged['token']}"},
        files={"file": ("scene.jpg", samples.jpeg(), "image/jpeg")},
        timeout=10,
    )
    assert sent.status_code == 201, sent.text
    photo = Evidence.objects.get(public_id=sent.json()["id"])
    for _ in range(100):
        photo.refresh_from_db()
        if photo.thumbnail_status == Evidence.Preview.READY:
            break
        page.wait_for_timeout(100)
    assert photo.thumbnail_status == Evidence.Preview.READY
    page.reload()
    thumb = page.get_by_role("img", name=f"Photo of {staged['assault']}")
    expect(thumb).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    expect(page.locator(".thumb-none").first).to_have_text("No photo")
    for height, font in sizes:
        assert height >= 40, f"a board control is {height} px tall"
        assert font >= 16, f"a board control's text is {font} px"
    rows = page.get_by_role("list", name=re.compile("Open escalations"))
    comfortable = rows.get_by_role("listitem").first.bounding_box()["height"]
    compact = page.get_by_role("button", name="Compact", exact=True)
    expect(compact).to_have_attribute("aria-pressed", "false")
    compact.click()
    expect(compact).to_have_attribute("aria-pressed", "true")
    expect(page.locator("body")).to_have_class(re.compile(r"\bdensity-compact\b"))
    page.reload()
    expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible()
    expect(page.locator("body")).to_have_class(re.compile(r"\bdensity-compact\b"))
    expect(page.get_by_role("button", name="Compact", exact=True)).to_have_attribute("aria-pressed", "true")
    dense = rows.get_by_role("listitem").first.bounding_box()["height"]
    assert dense < comfortable * 0.8, f"compact rows are smaller ({dense} vs {comfortable})"
    look(page, "the board, compact", "board-compact")
    page.get_by_role("button", name="Comfortable", exact=True).click()
    expect(page.locator("body")).to_have_class(re.compile(r"\bdensity-comfortable\b"))


def _crowd() -> dict[str, str]:
    """Issue 14 fix: five open escalations at one site (two of them panics) and one elsewhere, as in
    the walk where the map's labels stacked on each other."""
    seed_accounts()
    seed_site_outlines()
    guard = User.objects.get(email=GUARD)
    riverside = Site.objects.get(code="riverside", provider=guard.membership.organization)
    refs = {
        "vehicle": _escalate("riverside", "suspicious-vehicle", 2, at_site=True),
        "theft": _escalate("riverside", "theft", 3),
        "assault": _escalate("northgate", "assault", 1, at_site=True),
    }
    first = dispatch.press_panic(guard=guard, site=riverside, idempotency_key=uuid.uuid4()).escalation
    second = dispatch.press_panic(guard=guard, site=riverside, idempotency_key=uuid.uuid4()).escalation
    assert first is not None
    assert second is not None
    _, token = issue_api_token(
        user=User.objects.get(email=SUPERVISOR),
        by=User.objects.get(email="admin@sentinel.example"),
        name="Board test",
        scope=ApiToken.Scope.WRITE,
    )
    return {
        "token": token,
        **{name: e.incident.reference for name, e in refs.items()},
        "panic": first.incident.reference,
        "panic_id": str(first.public_id),
        "other_panic": second.incident.reference,
    }


def _boxes_overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_markers_at_one_site_spread_so_every_label_reads(portal, browser, look, screenshot):
    """Finding 10: markers sharing a place are spread; no two marker labels overlap (element boxes)."""
    staged = off_the_browser_thread(_crowd)
    page = _open_board(browser, portal)
    board_map = page.get_by_role("group", name="Map of the open escalations and the agency's sites")
    labels = board_map.locator("text.marker-label")
    expect(labels).to_have_count(5)
    for name in ("vehicle", "theft", "assault", "panic", "other_panic"):
        expect(labels.filter(has_text=staged[name])).to_have_count(1)
    boxes = [labels.nth(i).bounding_box() for i in range(5)]
    texts = [labels.nth(i).text_content() for i in range(5)]
    for i, a in enumerate(boxes):
        for j in range(i + 1, 5):
            assert not _boxes_overlap(a, boxes[j]), f"{texts[i]} and {texts[j]} overlap: {a} {boxes[j]}"
    # No marker (its dot, ring and label) covers a site's name: a marker moved down sat on "Riverside Mall".
    markers = board_map.locator("[data-marker]")
    sites = board_map.locator("text.site-label")
    expect(sites.first).to_be_visible()
    site_boxes = [(sites.nth(i).text_content(), sites.nth(i).bounding_box()) for i in range(sites.count())]
    for i in range(markers.count()):
        marker = markers.nth(i).bounding_box()
        for name, site in site_boxes:
            assert not _boxes_overlap(marker, site), f"a marker covers the site name {name}: {marker} {site}"
    # Every site's name marks its own site: it is nearer its site's place than any other site's (in
    # the map's units). Placed after the markers, a name was pushed down a crowded site's column of
    # markers and read as the name of the site below.
    places = board_map.locator("g.site-shape[data-y]").evaluate_all(
        """groups => groups.map(g => ({name: g.querySelector('title').textContent,
            x: +g.dataset.x, y: +g.dataset.y,
            lx: +g.querySelector('text.site-label').getAttribute('x'),
            ly: +g.querySelector('text.site-label').getAttribute('y')}))"""
    )
    assert len(places) >= 2
    for site in places:
        nearest = min(
            places, key=lambda other: (other["x"] - site["lx"]) ** 2 + (other["y"] - site["ly"]) ** 2
        )
        assert nearest["name"] == site["name"], f"{site['name']}'s name is nearer {nearest['name']}: {places}"
        assert abs(site["ly"] - site["y"]) <= 58 + 3 * 22, f"{site['name']}'s name is far from it: {site}"
        assert 22 <= site["ly"] <= 560 - 8, f"{site['name']}'s name is cut by the map's edge: {site}"
    # A moved marker is still clickable and opens its escalation.
    board_map.locator("[data-marker]").filter(has_text=staged["theft"]).click()
    panel = page.get_by_role("region", name="Escalation details")
    expect(panel.get_by_role("heading", level=2)).to_contain_text(staged["theft"])
    look(page, "the board with a crowded site")


def _far_east() -> None:
    """A call whose position is far east of the agency's sites (a guard's phone with a poor fix): the
    map fits it, and the sites' names then stand at the map's left edge."""
    seed_accounts()
    seed_site_outlines()
    guard = User.objects.get(email=GUARD)
    riverside = Site.objects.get(code="riverside", provider=guard.membership.organization)
    assert riverside.longitude is not None
    incident = incidents.report_incident(
        reporter=guard,
        site=riverside,
        idempotency_key=uuid.uuid4(),
        category=Category.objects.get(code="theft"),
        severity=3,
        narrative="Reported from a phone whose position is far off.",
        latitude=riverside.latitude,
        longitude=riverside.longitude + 3,
    ).incident
    dispatch.escalate_incident(incident=incident, by=User.objects.get(email=SUPERVISOR))


def test_a_site_at_the_maps_edge_keeps_its_whole_name(portal, browser, look):
    """Walk finding: a site at the map's left edge had its name centred on it, half of it cut off
    ("hgate Offices"). Every name lies inside the map's 1000 units, in both of its widths."""
    off_the_browser_thread(_far_east)
    page = _open_board(browser, portal)
    board_map = page.get_by_role("group", name="Map of the open escalations and the agency's sites")
    names = board_map.locator("text.site-label")
    expect(names.first).to_be_visible()

    def sticking_out() -> list[list[Any]]:
        return names.evaluate_all(
            """texts => texts.map(t => { const b = t.getBBox(); return [t.textContent, b.x, b.x + b.width]; })
                .filter(([, left, right]) => left < 0 || right > 1000)"""
        )

    assert not sticking_out(), f"site names cut by the map's edge (map units): {sticking_out()}"
    look(page, "the board's map with a call far from its site")
    page.locator(".board-row").first.click()  # the panel opens and the map narrows
    panel = page.get_by_role("region", name="Escalation details")
    expect(panel.get_by_role("heading", level=2)).to_be_visible()
    assert not sticking_out(), f"with the panel open: {sticking_out()}"


def test_a_cleared_panic_turns_into_guard_safe_live_and_after_reload(portal, browser, look, screenshot):
    """Finding 3: after "Guard is safe: clear panic" the row is no longer a red PANIC but says who
    cleared it and when, live over the board socket and after a reload; it stays while the police
    response is open."""
    staged = off_the_browser_thread(_crowd)
    page = _open_board(browser, portal)
    rows = page.get_by_role("list", name=re.compile("Open escalations"))
    row = rows.get_by_role("listitem").filter(has_text=staged["panic"])
    expect(row).to_have_class(re.compile(r"\bpanic\b"))
    expect(row).to_contain_text("PANIC")

    # The supervisor's "Guard is safe: clear panic", through the portal (as the desk's button does).
    api_post(portal, staged["token"], f"escalations/{staged['panic_id']}/steps/clear-panic/", {})
    supervisor = str(User.objects.get(email=SUPERVISOR))
    safe = re.compile(rf"Guard safe: panic cleared by {re.escape(supervisor)} at \d\d:\d\d")
    expect(row).to_contain_text(safe, timeout=LIVE)
    expect(row).not_to_have_class(re.compile(r"\bpanic\b"))
    expect(row.locator(".panic-badge")).to_have_count(0)
    expect(row).to_contain_text("Requested")  # still there: the police have not finished
    board_map = page.get_by_role("group", name="Map of the open escalations and the agency's sites")
    expect(board_map.locator(".marker-panic")).to_have_count(1)  # only the other panic still rings
    page.reload()
    expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible()
    expect(row).to_contain_text(safe)
    expect(row).not_to_have_class(re.compile(r"\bpanic\b"))
    # The other, still active panic leads the board.
    expect(rows.get_by_role("listitem").first).to_contain_text(staged["other_panic"])
    row.click()
    panel = page.get_by_role("region", name="Escalation details")
    expect(panel).to_contain_text(re.compile(rf"Guard safe: panic cleared +by {re.escape(supervisor)}"))
    expect(panel).not_to_contain_text("Police response by")
    look(page, "the board after a panic was cleared", "board-panic-cleared")


def test_selecting_a_row_keeps_the_filters_and_the_panels_actions_in_view(portal, browser, look, screenshot):
    """Finding 11 at 1920x1080: selecting a row does not scroll the page away from the list's header and
    filters; the panel's actions (the clear fields with Clear) and the message box are on screen."""
    staged = off_the_browser_thread(_crowd)
    page = _open_board(browser, portal)
    rows = page.get_by_role("list", name=re.compile("Open escalations"))
    panel = page.get_by_role("region", name="Escalation details")
    # The lowest row (the least urgent) so that a page scroll would show.
    last = rows.get_by_role("listitem").last
    expect(last).to_contain_text(staged["theft"])
    last.click()
    expect(panel.get_by_role("heading", level=2)).to_contain_text(staged["theft"])

    def on_screen(*controls) -> None:
        height = page.viewport_size["height"]
        shown = panel.bounding_box()
        assert shown is not None
        for control in controls:
            box = control.bounding_box()
            assert box is not None
            assert box["y"] >= 0, f"{control} is above the screen: {box}"
            assert box["y"] + box["height"] <= height, f"{control} is below the screen: {box}"
            assert box["y"] + box["height"] <= shown["y"] + shown["height"], f"{control} is cut by the panel"
            assert box["x"] >= shown["x"], f"{control} starts left of the panel: {box}"
            assert box["x"] + box["width"] <= shown["x"] + shown["width"], (
                f"{control} runs past the panel: {box}"
            )
            assert control.evaluate("e => e.tagName !== 'BUTTON' || e.scrollWidth <= e.clientWidth + 1"), (
                f"{control} is squeezed: its words are cut inside it"
            )

    on_screen(  # requested: accept or reject, and the message box
        panel.get_by_role("button", name="Accept"),
        panel.get_by_role("button", name="Reject"),
        panel.get_by_label("Message to the guards and supervisors"),
        panel.get_by_role("button", name="Send"),
    )
    # Reject's cause, reason and button share the panel's width, also where the panel is narrower (a
    # 1680-px control-room screen, or a panel with a scrollbar): the button stays inside the panel.
    page.set_viewport_size({"width": 1680, "height": 1050})
    reject = panel.get_by_role("button", name="Reject").bounding_box()
    narrower = panel.bounding_box()
    assert reject is not None
    assert narrower is not None
    assert reject["x"] + reject["width"] <= narrower["x"] + narrower["width"], (
        f"Reject runs past the panel: {reject}"
    )
    assert panel.evaluate("node => node.scrollWidth <= node.clientWidth"), "the panel scrolls sideways"
    assert panel.get_by_role("button", name="Reject").evaluate(
        "button => button.scrollWidth <= button.clientWidth + 1"
    ), "Reject is squeezed: its words are cut inside it"
    page.set_viewport_size(CONTROL_ROOM["viewport"])
    panel.get_by_role("button", name="Accept").click()
    clear = panel.get_by_role("group", name="Clear the call")
    expect(clear).to_be_visible()
    assert page.evaluate("window.scrollY") == 0, "selecting does not scroll the page"
    for control in (page.get_by_label("Severity", exact=True), page.get_by_label("State", exact=True)):
        expect(control).to_be_in_viewport()
    on_screen(
        clear.get_by_label("Disposition"),
        clear.get_by_label("Police case number (optional)"),
        clear.get_by_role("button", name="Clear"),
        panel.get_by_role("button", name="On scene"),
        panel.get_by_label("Message to the guards and supervisors"),
        panel.get_by_role("button", name="Send"),
    )
    expect(clear.get_by_role("button", name="On scene")).to_have_count(0)
    expect(panel).to_contain_text(
        "Escalated by a supervisor"
    )  # the source in words, not a stray "Supervisor"
    # The map beside the open panel still reads from the control room's chair (it was 176 px tall).
    drawn = page.locator(".board-map .map").bounding_box()
    assert drawn is not None
    assert drawn["height"] >= 250, f"the map is a strip while the panel is open: {drawn}"
    look(page, "the board's panel at 1920x1080", "board-panel-fits")
