"""The guard's phone (issue 14, items 1-4), at 390x844: the panic bar never covers anything and is
sent from the site the guard is at, with a cancel window; the report form's first screen, its error
summary, its character counter and one report however often it is sent again from the back
button; the incident page's messages beside the message box; the incident list's folded filters."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from accounts.models import Site, User
from dispatch import services as dispatch_services
from dispatch.models import Escalation
from incidents import services
from incidents.models import Category, Incident
from notifications.models import Notification
from seeding.demo.accounts import seed_accounts
from seeding.demo.bulletins import seed_bulletins
from tests.e2e.conftest import PHONE
from tests.e2e.helpers import make_photo, off_the_browser_thread, sign_in

pytestmark = pytest.mark.axe

GUARD, SUPERVISOR, LIAISON = "guard@sentinel.example", "supervisor@sentinel.example", "liaison@metro.example"
NORTHGATE = {"latitude": 41.9003, "longitude": -87.6500}  # a few metres from Northgate Offices
LIVE = 5_000

# Every interactive element outside the panic bar, scrolled into view as a guard would (focus and
# scrolling keep clear of the bar), must not share a pixel with it.
OVERLAPS = """() => {
    const bar = document.querySelector(".panic-bar");
    const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, label.choice';
    const hits = [];
    for (const element of document.querySelectorAll(selector)) {
        if (bar.contains(element) || !element.checkVisibility()) continue;
        element.scrollIntoView({ block: "nearest" });
        const box = element.getBoundingClientRect();
        const panic = bar.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;
        const across = box.right > panic.left && box.left < panic.right;
        if (across && box.bottom > panic.top && box.top < panic.bottom) {
            const name = (element.innerText || element.name || element.id || "").trim().slice(0, 40);
            hits.push(`${element.tagName.toLowerCase()} "${name}"`);
        }
    }
    window.scrollTo(0, 0);
    return hits;
}"""

BAR_TOP = "() => document.querySelector('.panic-bar').getBoundingClientRect().top"


def file_report(*, site: str, narrative: str, category: str = "theft") -> Incident:
    def report() -> Incident:
        guard = User.objects.get(email=GUARD)
        return services.report_incident(
            reporter=guard,
            site=Site.objects.get(code=site, provider=guard.membership.organization),
            idempotency_key=uuid.uuid4(),
            category=Category.objects.get(code=category),
            narrative=narrative,
        ).incident

    return off_the_browser_thread(report)


def phone(browser, portal: str, **extra):
    page = browser.new_context(**PHONE, **extra).new_page()
    sign_in(page, portal, GUARD)
    return page


def assert_nothing_under_the_panic_bar(page, what: str) -> None:
    assert page.evaluate(OVERLAPS) == [], f"the panic bar covers something on {what}"


def test_the_panic_bar_never_covers_an_interactive_element_on_the_guards_pages(portal, browser, look):
    seed_accounts()
    incident = file_report(site="riverside", narrative="A man left with two jackets without paying.")
    off_the_browser_thread(
        lambda: dispatch_services.escalate_incident(
            incident=incident, by=User.objects.get(email=SUPERVISOR), reason="On camera."
        )
    )
    guard = phone(browser, portal)
    bar = guard.locator(".panic-bar")
    expect(bar.get_by_role("button", name="PANIC")).to_be_visible()
    assert_nothing_under_the_panic_bar(guard, "the home page")
    look(guard, "the guard's home page with the panic bar", "guard-home")

    guard.goto(f"{portal}/incidents/report/")
    guard.get_by_text(re.compile(r"^More categories")).click()  # the folded tiles too
    assert_nothing_under_the_panic_bar(guard, "the report form")
    # Scrolled to the end, the form's own buttons sit above the bar.
    guard.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    for name in ("Send report", "Keep as draft"):
        box = guard.get_by_role("button", name=name).bounding_box()
        assert box is not None
        assert box["y"] + box["height"] <= guard.evaluate(BAR_TOP), f"{name} is under the panic bar"

    guard.goto(f"{portal}/incidents/")
    assert_nothing_under_the_panic_bar(guard, "the incident list")
    guard.goto(f"{portal}/incidents/{incident.public_id}/")
    assert_nothing_under_the_panic_bar(guard, "the incident page")
    guard.goto(f"{portal}/notifications/")
    assert_nothing_under_the_panic_bar(guard, "the notification inbox")


def test_the_panic_site_is_the_last_reports_without_a_location_and_the_nearest_with_one(
    portal, browser, look, screenshot
):
    seed_accounts()
    file_report(site="riverside", narrative="Spill by the lifts.", category="hazard")

    # No location allowed: the site of the guard's last report, not the first in the list.
    guard = phone(browser, portal)
    expect(guard.get_by_label("Panic from")).to_have_value(str(Site.objects.get(code="riverside").pk))
    guard.context.close()

    # At Northgate with the location allowed: Northgate, before anything is pressed.
    guard = phone(browser, portal, geolocation=NORTHGATE, permissions=["geolocation"])
    northgate = Site.objects.get(code="northgate")
    expect(guard.get_by_label("Panic from")).to_have_value(str(northgate.pk), timeout=LIVE)

    panic = guard.locator(".panic-bar").get_by_role("button", name="PANIC")
    box = panic.bounding_box()
    assert box is not None
    guard.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    with guard.expect_response(lambda r: r.url.endswith("/panic/") and r.request.method == "POST") as sent:
        guard.mouse.down()
    guard.mouse.up()
    assert sent.value.status == 201
    expect(guard.get_by_role("status").filter(has_text="from Northgate Offices")).to_be_visible()
    pressed = Incident.objects.get(category__code="panic")
    assert pressed.site == northgate
    assert pressed.latitude is not None

    # The cancel window: one tap withdraws the police request; it is recorded and the guard is told.
    cancel = guard.get_by_role("button", name=re.compile(r"^Cancel: false alarm"))
    expect(cancel).to_be_visible()
    screenshot(guard, "panic-cancel")
    with guard.expect_response(lambda r: "/cancel/" in r.url) as cancelled:
        cancel.click()
    assert cancelled.value.status == 200
    expect(guard.get_by_role("status").filter(has_text="cancelled")).to_contain_text("police were told")
    escalation = Escalation.objects.get(incident=pressed)
    assert escalation.status == Escalation.Status.CANCELLED
    guard.wait_for_url(f"**/incidents/{pressed.public_id}/")
    expect(guard.get_by_role("region", name="Timeline")).to_contain_text("PANIC cancelled by")
    expect(guard.get_by_role("button", name="Cancel: false alarm")).to_have_count(0)
    # The page says at once that it is over, and offers nothing for a panic still on.
    expect(guard.locator(".incident-header")).to_contain_text("PANIC cancelled: false alarm")
    expect(guard.locator(".incident-header")).to_be_in_viewport()
    expect(guard.get_by_role("button", name="Move the PANIC")).to_have_count(0)
    expect(guard.locator(".panic-bar [data-panic-status]")).to_have_text("Press and hold 2 s")


def test_the_report_forms_first_screen_counter_and_error_summary(portal, browser, look, tmp_path):
    seed_accounts()
    guard = phone(browser, portal)
    guard.goto(f"{portal}/incidents/report/")
    bar_top = guard.evaluate(BAR_TOP)
    # What matters is on the first screen: the most used categories, severity and the photos.
    for locator in (
        guard.get_by_role("group", name="Category"),
        guard.get_by_role("group", name="Severity"),
        guard.get_by_label("Photos, video, audio or PDF"),
    ):
        box = locator.bounding_box()
        assert box is not None
        assert box["y"] + box["height"] <= bar_top, "not on the first screen"
    assert guard.locator(".choices-category").first.locator("label").count() == 6
    # Every tile's words stay inside it: "4 · Informational" ran into its tile's right edge.
    crowded = guard.evaluate(
        """() => [...document.querySelectorAll('.choice')].filter(tile => tile.offsetParent).map(tile => {
            const words = document.createRange();
            words.selectNodeContents(tile);
            const edge = tile.getBoundingClientRect().right - parseFloat(getComputedStyle(tile).paddingRight);
            return [tile.textContent.trim(), edge - words.getBoundingClientRect().right];
        }).filter(([, room]) => room < 0)"""
    )
    assert not crowded, f"words run into their tile's edge (px of room): {crowded}"
    expect(guard.get_by_text(re.compile(r"^More categories \(\d+\)"))).to_be_visible()

    guard.get_by_label("Photos, video, audio or PDF").set_input_files(
        [make_photo(tmp_path / "door.png", seed=3)]
    )
    expect(
        guard.get_by_role("list", name="Chosen photos").get_by_role("img", name="door.png")
    ).to_be_visible()
    guard.get_by_label("Photos, video, audio or PDF").set_input_files([])

    # A narrative longer than the limit is counted, not cut.
    narrative = guard.get_by_label("What happened?")
    narrative.fill("x" * 20_001)
    assert len(narrative.input_value()) == 20_001
    expect(guard.get_by_text("20,001 / 20,000 characters")).to_be_visible()
    look(guard, "the report form, over the limit")

    guard.get_by_label("Theft / shoplifting").check()
    guard.get_by_role("button", name="Send report").click()
    summary = guard.get_by_role("alert").filter(has_text="The report was not sent")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="What happened?")).to_be_visible()
    box = summary.bounding_box()
    assert box is not None
    assert 0 <= box["y"] < 844 / 2, "the summary is at the top of the screen"
    assert len(guard.get_by_label("What happened?").input_value()) == 20_001, "nothing typed is lost"
    assert not Incident.objects.exists()
    look(guard, "the report form with its error summary")


def test_back_and_send_again_files_one_report(portal, browser, look):
    seed_accounts()
    guard = phone(browser, portal)
    guard.goto(f"{portal}/incidents/report/")
    guard.get_by_label("Theft / shoplifting").check()
    guard.get_by_label("What happened?").fill("Two jackets taken from the rack by the north doors.")
    look(guard, "the report form", "report-form")
    guard.get_by_role("button", name="Send report").click()
    expect(guard.get_by_text("sent to your supervisors")).to_be_visible()
    first = Incident.objects.get()

    guard.go_back()
    expect(guard.get_by_role("heading", name="Report an incident")).to_be_visible()
    if not guard.get_by_label("Theft / shoplifting").is_checked():  # the browser may not keep it
        guard.get_by_label("Theft / shoplifting").check()
        guard.get_by_label("What happened?").fill("Two jackets taken from the rack by the north doors.")
    guard.get_by_role("button", name="Send report").click()
    expect(guard.get_by_text("was already received")).to_be_visible()
    assert Incident.objects.count() == 1
    assert guard.url.endswith(f"/incidents/{first.public_id}/")

    # A report opened afresh is a new one.
    guard.goto(f"{portal}/incidents/report/")
    guard.get_by_label("Trespass").check()
    guard.get_by_role("button", name="Send report").click()
    expect(guard.get_by_text("sent to your supervisors")).to_be_visible()
    assert Incident.objects.count() == 2


def test_messages_and_questions_next_to_the_message_box_and_the_list_folds_its_filters(
    portal, browser, look, screenshot
):
    seed_accounts()
    incident = file_report(site="riverside", narrative="A man left with two jackets without paying.")
    asked = file_report(site="northgate", narrative="Broken glass at the lobby door.", category="vandalism")

    def answer_and_ask() -> None:
        supervisor, liaison = User.objects.get(email=SUPERVISOR), User.objects.get(email=LIAISON)
        escalation = dispatch_services.escalate_incident(incident=incident, by=supervisor, reason="Camera")
        dispatch_services.accept_escalation(escalation=escalation, by=liaison)
        dispatch_services.mark_on_scene(escalation=escalation, by=liaison)
        for number in range(8):
            services.add_note(incident=incident, by=supervisor, text=f"Camera check {number}.")
        dispatch_services.post_message(incident=incident, by=liaison, text="Unit 14 is at the north doors.")
        current = Incident.objects.get(pk=asked.pk)
        services.accept_incident(incident=current, by=supervisor, expected_version=current.version)
        current = Incident.objects.get(pk=asked.pk)
        services.request_more_information(
            incident=current,
            by=supervisor,
            comment="Which door, east or west?",
            expected_version=current.version,
        )

    off_the_browser_thread(answer_and_ask)
    guard = phone(browser, portal)
    guard.goto(f"{portal}/incidents/{incident.public_id}/")
    police = guard.get_by_role("region", name="Police")
    message = police.get_by_text("Unit 14 is at the north doors.")
    expect(message).to_be_visible()
    box, field = (
        message.bounding_box(),
        police.get_by_label("Message to the police and your team").bounding_box(),
    )
    assert box is not None
    assert field is not None
    assert 0 < field["y"] - (box["y"] + box["height"]) < 200, "the message sits right above the message box"
    timeline = guard.get_by_role("region", name="Timeline")
    expect(timeline).to_contain_text("Requested → Accepted")
    expect(timeline).to_contain_text("Accepted → On scene")
    expect(guard.locator("main")).not_to_contain_text("on_scene")
    look(guard, "the guard's incident page, police and messages first", "incident-page")

    guard.goto(f"{portal}/incidents/{asked.public_id}/")
    question = guard.get_by_role("region", name="Your supervisor asks")
    expect(question).to_contain_text("Which door, east or west?")
    box = question.bounding_box()
    assert box is not None
    assert box["y"] < 844 / 2, "the question is on the first screen"
    expect(guard.locator("main")).not_to_contain_text("needs_info")

    guard.goto(f"{portal}/incidents/")
    own = guard.get_by_role("region", name="Your open reports")
    expect(own.get_by_role("row").nth(1)).to_contain_text(asked.reference)  # waiting for the guard: first
    filters = guard.get_by_role("search", name="Filter incidents")
    expect(filters.get_by_label("Search")).to_be_visible()
    expect(filters.get_by_label("Severity")).to_be_hidden()
    filters.get_by_text("Filters", exact=True).click()
    expect(filters.get_by_label("Severity")).to_be_visible()
    filters.get_by_label("Severity").select_option(label="1 · Life-threatening")
    filters.get_by_role("button", name="Apply").click()
    expect(guard.get_by_text("Filters (1 active)")).to_be_visible()
    guard.goto(f"{portal}/incidents/")
    look(guard, "the guard's incident list", "incident-list-phone")


def hold_the_panic(guard) -> None:
    panic = guard.locator(".panic-bar").get_by_role("button", name="PANIC")
    box = panic.bounding_box()
    assert box is not None
    guard.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    with guard.expect_response(lambda r: r.url.endswith("/panic/") and r.request.method == "POST") as sent:
        guard.mouse.down()
    guard.mouse.up()
    assert sent.value.status == 201


def panic_then_open_its_page(browser, portal, then):
    """The demo guard holds PANIC on the phone; ``then(incident)`` runs off the browser's thread
    (someone else acts on it); the guard then opens the panic's incident page."""
    seed_accounts()
    guard = phone(browser, portal)
    hold_the_panic(guard)
    pressed = Incident.objects.get(category__code="panic")
    off_the_browser_thread(then, incident=pressed)
    guard.goto(f"{portal}/incidents/{pressed.public_id}/")
    return guard


def test_after_a_panic_its_whole_status_is_on_screen_and_the_page_still_makes_room(portal, browser, look):
    seed_accounts()
    guard = phone(browser, portal)
    guard.goto(f"{portal}/incidents/report/")  # the longest page: the bar grows over nothing
    hold_the_panic(guard)
    status = guard.locator(".panic-bar [data-panic-status]")
    expect(status).to_contain_text("Sent from")
    expect(status).to_contain_text("supervisors on duty")
    # Every line of it inside the viewport and not clipped by the bar.
    box = status.bounding_box()
    assert box is not None
    assert box["y"] >= guard.evaluate(BAR_TOP)
    assert box["y"] + box["height"] <= 844, "the status runs off the bottom of the screen"
    assert status.evaluate("e => e.scrollHeight <= e.clientHeight + 1"), "the status is cut inside the bar"
    bar = guard.locator(".panic-bar").bounding_box()
    assert bar is not None
    assert bar["y"] + bar["height"] <= 844 + 1
    assert_nothing_under_the_panic_bar(guard, "the report form after a panic")
    look(guard, "the panic bar after sending, its whole status readable")


def test_the_guards_header_fits_the_phone_with_the_unread_count_and_the_rest_behind_menu(
    portal, browser, look, eager
):
    seed_accounts()
    incident = file_report(
        site="northgate", narrative="Broken glass at the lobby door.", category="vandalism"
    )

    def ask() -> int:
        supervisor = User.objects.get(email=SUPERVISOR)
        current = Incident.objects.get(pk=incident.pk)
        services.accept_incident(incident=current, by=supervisor, expected_version=current.version)
        current = Incident.objects.get(pk=incident.pk)
        services.request_more_information(
            incident=current, by=supervisor, comment="Which door?", expected_version=current.version
        )
        return Notification.objects.filter(recipient__email=GUARD, read_at=None).count()

    unread = off_the_browser_thread(ask)  # eager: the question's notification is made at commit
    assert unread > 0
    guard = phone(browser, portal)
    # Nothing of the header is off-screen: no sideways scrolling, no hidden items.
    assert guard.evaluate("() => document.documentElement.scrollWidth") <= 390
    for selector in (".site-header", ".site-header .nav-list"):
        assert guard.locator(selector).first.evaluate("e => e.scrollWidth <= e.clientWidth"), selector
    menu = guard.locator("[data-nav-more] > summary")
    expect(menu).to_be_visible()
    expect(menu.locator("[data-unread-count]")).to_have_text(str(unread))
    for locator in (menu, guard.get_by_role("link", name="Shift", exact=True)):
        box = locator.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
    look(guard, "the guard's header with its Menu")

    menu.click()
    for locator in (
        guard.get_by_role("link", name=re.compile(rf"^Notifications {unread}")),
        guard.get_by_role("link", name="Two-factor"),
        guard.get_by_role("button", name="Sign out"),
    ):
        expect(locator).to_be_visible()
        box = locator.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
        assert box["y"] + box["height"] <= guard.evaluate(BAR_TOP)
    look(guard, "the guard's Menu open")
    guard.get_by_role("button", name="Sign out").click()
    guard.wait_for_url("**/accounts/login/**")


def test_on_an_active_panic_the_police_messages_and_the_box_are_on_the_first_screen(portal, browser, look):
    """The guard who pressed PANIC talks to the police before anything else: the police's message
    and the message box sit above the panic bar without scrolling (they were under the site mover,
    the escalation's details and the verification level)."""

    def police_write(incident: Incident) -> None:
        liaison = User.objects.get(email=LIAISON)
        dispatch_services.post_message(
            incident=incident, by=liaison, text="Units two minutes out. Stay inside."
        )

    guard = panic_then_open_its_page(browser, portal, police_write)
    assert guard.evaluate("() => window.scrollY") == 0
    bar_top = guard.evaluate(BAR_TOP)
    police = guard.get_by_role("region", name="Police")
    said = police.locator(".messages-list").get_by_text("Units two minutes out. Stay inside.")
    box = guard.get_by_label("Message to the police and your team")
    send = police.get_by_role("button", name="Send message")
    expect(said).to_be_visible()
    look(guard, "the guard's incident page during a PANIC, messages first", "guard-panic-messages")
    active = guard.locator(".incident-header").get_by_text("PANIC active")
    for name, element in (
        ("the PANIC active badge", active),
        ("the police's message", said),
        ("the message box", box),
        ("Send message", send),
    ):
        expect(element).to_be_visible()
        where = element.bounding_box()
        assert where is not None
        assert where["y"] + where["height"] <= bar_top, (
            f"{name} is below the first screen ({where}, bar at {bar_top})"
        )
    # On every other page the bar says the PANIC is on, and leads back to it.
    guard.get_by_role("link", name="Home").click()
    status = guard.locator(".panic-bar [data-panic-status]")
    expect(status).to_contain_text("PANIC active since")
    status.get_by_role("link", name="open it").click()
    expect(guard.locator(".incident-header")).to_contain_text("PANIC active")


def test_after_guard_is_safe_the_guards_incident_page_shows_the_panic_cleared(portal, browser, look):

    def clear(incident: Incident) -> None:
        supervisor = User.objects.get(email=SUPERVISOR)
        dispatch_services.clear_panic(escalation=Escalation.objects.get(incident=incident), by=supervisor)

    guard = panic_then_open_its_page(browser, portal, clear)
    police = guard.get_by_role("region", name="Police")
    expect(police).to_contain_text("PANIC cleared")
    expect(police).to_contain_text("Guard is safe: cleared by")
    expect(police).not_to_contain_text("PANIC active")
    expect(guard.get_by_role("button", name="Move the PANIC")).to_have_count(0)
    expect(guard.get_by_role("button", name=re.compile("Cancel: false alarm"))).to_have_count(0)
    look(guard, "the guard's incident page after guard is safe")


# A socket that never opens: a phone on a slow or captive network, before the connection says anything.
STALLED_SOCKET = """window.WebSocket = class {
    constructor() { this.readyState = 0; }
    addEventListener() {}
    send() {}
    close() {}
};"""


def test_the_incident_page_shows_no_empty_red_pill_while_its_socket_is_still_connecting(
    portal, browser, look
):
    """The live indicator shows words ("Live", "Connection lost since …") once the socket says
    something; before that it showed an empty red pill under the message box."""
    seed_accounts()
    incident = file_report(site="riverside", narrative="A man left with two jackets without paying.")
    guard = phone(browser, portal)
    guard.add_init_script(STALLED_SOCKET)
    guard.goto(f"{portal}/incidents/{incident.public_id}/")
    indicator = guard.locator("[data-live-status] [data-connection]")
    expect(indicator).to_have_count(1)
    expect(indicator).to_have_text("")
    expect(indicator).to_be_hidden()
    look(guard, "the guard's incident page while its socket connects")


def test_the_photo_field_is_on_the_report_forms_first_screen_under_a_live_bulletin(portal, browser, look):
    """With the demo's BOLO live over every page, the photo field fell under the panic bar on the
    phone's first screen: a guard in a hurry did not see where the photo goes."""
    seed_accounts()
    seed_bulletins()
    guard = phone(browser, portal)
    guard.goto(f"{portal}/incidents/report/")
    expect(guard.locator("[data-bulletin-banner]")).to_contain_text("BOLO")
    box = guard.get_by_label("Photos, video, audio or PDF").bounding_box()
    assert box is not None
    bar_top = guard.evaluate(BAR_TOP)
    assert box["y"] + box["height"] <= bar_top, f"the photo field is under the panic bar: {box}"
    look(guard, "the report form under a live bulletin", "report-phone-bulletin")
