"""The end-to-end story (issue 8): a guard's report with photos whose fingerprints survive to the
supervisor's download; triage and escalation to a liaison's live board, worked by keyboard; messages
both ways; the panic button; a board that loses its connection and misses nothing. Every page the
story visits is checked with axe-core, and the key ones are kept as screenshots."""

import re
import uuid
import zoneinfo
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from accounts.models import ApiToken, Site, User
from accounts.services import issue_api_token
from dispatch import services as dispatch_services
from dispatch.models import Escalation
from incidents import services
from incidents.models import Category, Incident
from seeding.demo.accounts import SITE_TIME_ZONE, seed_accounts
from tests.e2e.conftest import CONTROL_ROOM, DESKTOP, PHONE
from tests.e2e.helpers import (
    api_post,
    make_photo,
    mark_document,
    off_the_browser_thread,
    same_document,
    sha256_of,
    sign_in,
)

pytestmark = pytest.mark.axe

GUARD, SUPERVISOR, LIAISON = "guard@sentinel.example", "supervisor@sentinel.example", "liaison@metro.example"
LIVE = 5_000  # ms: how long a live update may take to show before the test calls it lost


def file_report(
    *, site: str, category: str, narrative: str, severity: int | None = None, location: str = ""
) -> Incident:
    """A guard's submitted report, filed through the real service (not through the page)."""

    def report() -> Incident:
        guard = User.objects.get(email=GUARD)
        return services.report_incident(
            reporter=guard,
            site=Site.objects.get(code=site, provider=guard.membership.organization),
            idempotency_key=uuid.uuid4(),
            category=Category.objects.get(code=category),
            severity=severity,
            location=location,
            narrative=narrative,
        ).incident

    return off_the_browser_thread(report)


def escalate(*, incident: Incident) -> Escalation:
    supervisor = User.objects.get(email=SUPERVISOR)
    return dispatch_services.escalate_incident(incident=incident, by=supervisor, reason="Seen on camera.")


def test_guard_reports_with_two_photos_and_the_supervisor_downloads_them_unchanged(
    portal, browser, look, tmp_path
):
    seed_accounts()
    file_report(site="riverside", category="hazard", narrative="Water leaking from the ceiling by the lifts.")
    photos = [
        make_photo(tmp_path / "north-doors.png", seed=1),
        make_photo(tmp_path / "jacket-rack.jpg", seed=2),
    ]

    guard = browser.new_context(**PHONE).new_page()
    guard.goto(f"{portal}/")
    expect(guard.get_by_role("heading", name="Sign in")).to_be_visible()
    look(guard, "the sign-in page", "sign-in")
    sign_in(guard, portal, GUARD)
    expect(guard.get_by_role("heading", level=1)).to_contain_text("Hello")
    look(guard, "the guard's home page")
    guard.get_by_role("link", name="Report an incident").click()

    expect(guard.get_by_role("heading", name="Report an incident")).to_be_visible()
    legends = guard.locator("form legend").all_inner_texts()
    assert legends[:2] == ["Category", "Severity"], "category and severity come first"
    guard.get_by_label("Theft / shoplifting").check()
    expect(guard.get_by_label("3 · Routine")).to_be_checked()  # severity follows the category
    guard.get_by_label("2 · Urgent").check()
    look(guard, "the report form", "report-form")
    guard.get_by_label("Site:", exact=True).select_option(label="Riverside Mall")
    shown = guard.get_by_label("When did it happen?").input_value()
    now = datetime.now(zoneinfo.ZoneInfo(SITE_TIME_ZONE)).replace(tzinfo=None)
    assert abs(datetime.fromisoformat(shown) - now) < timedelta(minutes=2), "the time defaults to now"
    guard.get_by_label("Where on the site?").fill("Level 1, Jackets & Co.")
    guard.get_by_label("What happened?").fill(
        "A man in a green anorak left with two leather jackets without paying, by the north doors."
    )
    guard.get_by_label("Photos, video, audio or PDF").set_input_files(photos)
    for photo in photos:
        # The browser fingerprints each file before sending it; it must agree with hashlib. The guard
        # sees the file ready to send; the hash is folded away until the fold is opened.
        row = guard.locator(".evidence-files li", has_text=f"{photo.name} (")
        expect(row).to_contain_text("ready to send")
        fold = row.locator("details[data-hash-fold]")
        hash_text = fold.get_by_text(f"SHA-256 {sha256_of(photo)[:12]}…")
        expect(hash_text).to_be_hidden()
        fold.get_by_text("Fingerprint for investigators").click()
        expect(hash_text).to_be_visible()
    look(guard, "the report form, filled in")
    guard.get_by_role("button", name="Send report").click()

    expect(guard.get_by_text("sent to your supervisors")).to_be_visible()
    reference = guard.get_by_role("heading", level=1).locator(".mono").inner_text()
    evidence = guard.get_by_role("region", name="Evidence")
    for photo in photos:
        expect(evidence.get_by_role("link", name=re.compile(re.escape(photo.name)))).to_be_visible()
    look(guard, "the guard's incident page")

    supervisor = browser.new_context(**DESKTOP, accept_downloads=True).new_page()
    sign_in(supervisor, portal, SUPERVISOR)
    supervisor.get_by_role("navigation", name="Main").get_by_role("link", name="Incidents").click()
    expect(supervisor.get_by_text("2 incidents.")).to_be_visible()
    supervisor.get_by_label("Search").fill("anorak")
    supervisor.get_by_role("button", name="Apply").click()
    expect(supervisor.get_by_role("status").filter(has_text="1 incident match")).to_be_visible()
    expect(supervisor.get_by_role("link", name=reference)).to_be_visible()
    look(supervisor, "the incident list, searched", "incident-list-search")
    supervisor.get_by_role("link", name=reference).click()
    expect(supervisor.get_by_role("heading", level=1)).to_contain_text(reference)
    look(supervisor, "the supervisor's incident page")
    incident_url = supervisor.url

    for index, photo in enumerate(photos):
        supervisor.goto(incident_url)
        evidence = supervisor.get_by_role("region", name="Evidence")
        evidence.get_by_role("link", name=re.compile(re.escape(photo.name))).click()
        expect(supervisor.get_by_role("heading", level=1)).to_have_text(photo.name)
        shown = supervisor.get_by_label("SHA-256 fingerprint").inner_text().strip()
        with supervisor.expect_download() as download:
            supervisor.get_by_role("link", name="Download the original").click()
        downloaded = sha256_of(download.value.path())
        assert shown == downloaded == sha256_of(photo), photo.name
        look(supervisor, f"the evidence page of {photo.name}", "evidence" if index == 0 else None)


def test_supervisor_escalates_and_the_liaison_works_the_board_by_keyboard_and_messages_the_guard(
    portal, browser, look
):
    seed_accounts()
    earlier = file_report(site="northgate", category="trespass", narrative="Two people climbed the fence.")
    off_the_browser_thread(escalate, incident=earlier)
    incident = file_report(
        site="riverside",
        category="theft",
        severity=2,
        location="Level 1, Jackets & Co.",
        narrative="A man in a green anorak left with two leather jackets without paying.",
    )

    board = browser.new_context(**CONTROL_ROOM).new_page()
    sign_in(board, portal, LIAISON)
    board.goto(f"{portal}/board/")
    expect(board.get_by_role("status").filter(has_text="Live")).to_be_visible()
    rows = board.get_by_role("list", name=re.compile("Open escalations"))
    expect(rows.get_by_role("listitem")).to_have_count(1)
    mark_document(board)

    guard = browser.new_context(**PHONE).new_page()
    sign_in(guard, portal, GUARD)
    guard.goto(f"{portal}/incidents/{incident.public_id}/")
    police = guard.get_by_role("region", name="Police")
    expect(police).to_contain_text("Not escalated")
    mark_document(guard)

    supervisor = browser.new_context(**DESKTOP).new_page()
    sign_in(supervisor, portal, SUPERVISOR)
    supervisor.get_by_role("navigation", name="Main").get_by_role("link", name="Triage").click()
    expect(supervisor.get_by_role("heading", name="Triage queue")).to_be_visible()
    look(supervisor, "the triage queue", "triage-queue")
    supervisor.get_by_role("link", name=incident.reference).click()
    supervisor.get_by_role("region", name="Triage").get_by_role("button", name="Accept").click()
    expect(supervisor.get_by_text(f"{incident.reference} accepted.")).to_be_visible()
    supervisor.get_by_label("Why the police are needed (optional)").fill("Suspect still in the car park.")
    supervisor.get_by_role("button", name="Escalate to Metro Police Department").click()
    expect(supervisor.get_by_text(f"{incident.reference} escalated to Metro")).to_be_visible()
    look(supervisor, "the supervisor's incident page, escalated")

    # The new escalation appears without a reload, above the older, less severe one.
    expect(rows.get_by_role("listitem")).to_have_count(2, timeout=LIVE)
    expect(rows.get_by_role("listitem").first).to_contain_text(incident.reference)
    expect(rows.get_by_role("listitem").first).to_contain_text("Requested")
    assert same_document(board)

    # Keyboard only: j/k move the selection, a accepts the selected row, Enter opens its details.
    newest = rows.get_by_role("button", name=re.compile(incident.reference))
    board.keyboard.press("j")
    expect(newest).to_be_focused()
    board.keyboard.press("j")
    expect(rows.get_by_role("button", name=re.compile(earlier.reference))).to_be_focused()
    board.keyboard.press("k")
    expect(newest).to_be_focused()
    board.keyboard.press("a")
    expect(newest).to_contain_text("Accepted", timeout=LIVE)
    expect(newest).to_be_focused()
    board.keyboard.press("Enter")
    panel = board.get_by_role("region", name="Escalation details")
    expect(panel.get_by_role("heading", level=2)).to_contain_text(incident.reference)
    expect(panel).to_contain_text("A man in a green anorak")
    expect(police.get_by_text("Accepted", exact=True)).to_be_visible(timeout=LIVE)
    assert same_document(guard)

    # Messages both ways, each seen live on the other side.
    guard.get_by_label("Message to the police and your team").fill("He is heading for the bus stop.")
    guard.get_by_role("button", name="Send message").click()
    # The liaison reads it in the thread under the message box (the timeline below keeps it too).
    thread = panel.get_by_role("list", name="Messages, the latest last")
    expect(thread.get_by_text("He is heading for the bus stop.")).to_be_visible(timeout=LIVE)
    board.keyboard.press("m")
    reply = panel.get_by_label("Message to the guards and supervisors")
    expect(reply).to_be_focused()
    board.keyboard.type("Unit 14 is two minutes out.")
    board.keyboard.press("Tab")
    expect(panel.get_by_role("button", name=re.compile("^Send"))).to_be_focused()
    board.keyboard.press("Enter")
    timeline = guard.get_by_role("region", name="Timeline")
    expect(timeline.get_by_text("Unit 14 is two minutes out.")).to_be_visible(timeout=LIVE)
    expect(reply).to_have_value("")
    expect(reply).to_be_focused()
    expect(thread.get_by_text("Unit 14 is two minutes out.")).to_be_visible(timeout=LIVE)
    assert same_document(guard)
    assert same_document(board)
    look(board, "the board with its detail panel", "board-panel")
    timeline.evaluate("section => section.scrollIntoView()")  # the conversation, for the screenshot
    look(guard, "the guard's incident page, live", "incident-page")

    # Escape closes the details and gives the focus back to the row.
    board.keyboard.press("Escape")
    expect(panel.get_by_role("heading", level=2)).to_have_count(0)
    expect(rows.get_by_role("button", name=re.compile(incident.reference))).to_be_focused()
    # The list of keys is six Shift+Tabs away (past the list itself, "Show all" and the three
    # filters) and opens with Enter.
    for _ in range(6):
        board.keyboard.press("Shift+Tab")
    keys = board.get_by_role("button", name="Keys")
    expect(keys).to_be_focused()
    board.keyboard.press("Enter")
    expect(keys).to_have_attribute("aria-expanded", "true")
    expect(board.get_by_text(re.compile(r"next · .* previous"))).to_be_visible()


def test_panic_needs_a_hold_and_reaches_the_board_in_red_within_a_second(portal, browser, look):
    seed_accounts()
    board = browser.new_context(**CONTROL_ROOM).new_page()
    sign_in(board, portal, LIAISON)
    board.goto(f"{portal}/board/")
    expect(board.get_by_role("status").filter(has_text="Live")).to_be_visible()
    panic_rows = board.locator(".board-row.panic")
    # When the first red row appears, by the board's own clock (test instrumentation, not the app's).
    board.evaluate(
        """() => new MutationObserver(() => {
            if (!window.panicSeenAt && document.querySelector(".board-row.panic")) {
                window.panicSeenAt = Date.now();
            }
        }).observe(document.body, {childList: true, subtree: true})"""
    )
    mark_document(board)

    guard = browser.new_context(**PHONE).new_page()
    sign_in(guard, portal, GUARD)
    panic = guard.get_by_role("button", name="PANIC")
    expect(panic).to_be_visible()
    look(guard, "the guard's home page with the panic button", "guard-home")
    presses: list[str] = []
    guard.on("request", lambda request: presses.append(request.url) if "/panic/" in request.url else None)

    # A stray tap sends nothing, not even after the hold time has passed.
    panic.tap()
    expect(guard.get_by_role("status").filter(has_text="Not sent")).to_be_visible()
    guard.wait_for_timeout(2_500)  # longer than the hold: proves no timer was left running
    assert presses == []
    expect(panic_rows).to_have_count(0)

    # Press and hold: sent once the ring is full (2 s).
    box = panic.bounding_box()
    assert box is not None
    guard.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    with guard.expect_response(lambda r: "/panic/" in r.url and r.request.method == "POST") as sent:
        guard.mouse.down()
    guard.mouse.up()
    assert sent.value.status == 201
    sent.value.finished()
    timing = sent.value.request.timing
    returned_at = timing["startTime"] + timing["responseEnd"]
    expect(panic_rows).to_have_count(1, timeout=1_000)
    expect(panic_rows.first).to_contain_text("PANIC")
    latency = board.evaluate("() => window.panicSeenAt") - returned_at
    print(f"panic: POST returned -> red row on the board: {latency:.0f} ms")
    assert latency < 1_000
    assert len(presses) == 1
    assert same_document(board)
    # The status line names who was alerted: the police and the supervisors, in parallel.
    alerted = re.compile(r"PANIC \S+ sent to .+ and to your supervisors on duty: ")
    expect(guard.get_by_role("status").filter(has_text=alerted)).to_be_visible()
    look(board, "the board with a panic", "board-panic")

    # The guard lands on the panic's incident page, which shows the police's answer live.
    guard.wait_for_url("**/incidents/*/")
    police = guard.get_by_role("region", name="Police")
    expect(police).to_contain_text("PANIC active")
    expect(police.get_by_role("status").filter(has_text="Live")).to_be_visible()
    mark_document(guard)
    board.keyboard.press("j")
    board.keyboard.press("a")
    expect(panic_rows.first).to_contain_text("Accepted", timeout=LIVE)
    expect(police.get_by_text("Accepted", exact=True)).to_be_visible(timeout=LIVE)
    assert same_document(guard)
    look(guard, "the guard's panic incident page, accepted")


def test_a_board_that_was_offline_catches_up_without_a_reload(portal, browser, look):
    seed_accounts()
    supervisor = User.objects.get(email=SUPERVISOR)
    _, token = issue_api_token(
        user=supervisor,
        by=User.objects.get(email="admin@sentinel.example"),
        name="CAD bridge",
        scope=ApiToken.Scope.WRITE,
    )
    first = file_report(site="riverside", category="vandalism", narrative="Glass door smashed.")
    second = file_report(site="northgate", category="suspicious-person", narrative="Man trying car doors.")

    board = browser.new_context(**CONTROL_ROOM)
    page = board.new_page()
    sign_in(page, portal, LIAISON)
    page.goto(f"{portal}/board/")
    connection = page.get_by_role("status").filter(has_text=re.compile("Live|Connection lost"))
    expect(connection).to_have_text("Live")
    rows = page.get_by_role("list", name=re.compile("Open escalations"))
    mark_document(page)

    board.set_offline(True)
    expect(connection).to_contain_text("Connection lost")
    for incident in (first, second):
        escalation = api_post(portal, token, "escalations/", {"incident": str(incident.public_id)})
        assert escalation["status"] == "requested"
    expect(rows).to_contain_text("No open escalations")
    look(page, "the board, offline", "board-offline")

    board.set_offline(False)
    expect(connection).to_have_text("Live", timeout=LIVE)
    for incident in (first, second):
        expect(rows.get_by_role("listitem").filter(has_text=incident.reference)).to_be_visible(timeout=LIVE)
    expect(page.get_by_text("2 open")).to_be_visible()
    assert same_document(page)
    look(page, "the board, back online")
