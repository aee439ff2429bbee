"""A joint patrol, live for the agency (issue 23): the liaison's *Joint patrols* page is a socket;
as the guard, on the phone, starts the Northgate patrol and scans a checkpoint there and one at
Riverside Mall (its area), the panel shows it without a reload; the liaison then asks for a joint
patrol at another site."""

import pytest
from playwright.sync_api import expect

from patrols.models import Checkpoint
from seeding.demo.accounts import seed_accounts
from seeding.demo.patrols import seed_patrols
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.helpers import mark_document, off_the_browser_thread, same_document, sign_in

pytestmark = pytest.mark.axe

LIAISON, GUARD, SUPERVISOR = "liaison@metro.example", "guard@sentinel.example", "supervisor@sentinel.example"
LIVE = 5_000  # ms
POLL = 15_000  # ms: the fallback poll every 10 s, and a margin


def seed() -> dict[str, str]:
    seed_accounts()
    seed_patrols()
    return {c.name: c.code for c in Checkpoint.objects.filter(name__in=["Lobby", "North entrance"])}


def scan(phone, code: str) -> None:
    phone.get_by_label("Or type the code under the QR code").fill(code)
    phone.get_by_role("button", name="Record scan").click()


def test_the_liaison_follows_a_joint_patrol_live_over_its_area(portal, browser, look):
    codes = off_the_browser_thread(seed)
    desk = browser.new_context(**DESKTOP).new_page()
    sign_in(desk, portal, LIAISON)
    desk.goto(f"{portal}/patrols/joint/")
    expect(desk.get_by_role("status").filter(has_text="Live")).to_be_visible(timeout=LIVE)
    panel = desk.locator("[data-board-panel]")
    expect(panel).to_contain_text("No joint patrol is running.")
    look(desk, "the liaison's joint patrols, none running")
    mark_document(desk)

    # The provider's supervisor watches the patrol board, live too.
    board = browser.new_context(**DESKTOP).new_page()
    sign_in(board, portal, SUPERVISOR)
    board.goto(f"{portal}/patrols/board/")
    expect(board.get_by_role("status").filter(has_text="Live")).to_be_visible(timeout=LIVE)
    expect(board.get_by_text("Nobody is on duty.")).to_be_visible()
    mark_document(board)
    phone = browser.new_context(**PHONE).new_page()
    sign_in(phone, portal, GUARD)
    phone.get_by_role("link", name="Shift").click()
    phone.get_by_label("Site").select_option(label="Northgate Offices")
    phone.get_by_role("button", name="Start shift").click()
    expect(phone.get_by_text("Shift started at Northgate Offices.")).to_be_visible()
    expect(panel).to_contain_text("Northgate Offices, Riverside Mall", timeout=LIVE)
    duty = board.get_by_role("table", name="Guards on duty, by site")
    expect(duty).to_contain_text("Sentinel Guard", timeout=LIVE)
    assert same_document(board), "the board was redrawn live, not by reloading the page"
    look(board, "the supervisors' live patrol board")
    expect(panel).to_contain_text("none yet")
    scan(phone, codes["Lobby"])
    expect(phone.get_by_text("Lobby scanned at")).to_be_visible()
    expect(panel).to_contain_text("Lobby at", timeout=LIVE)
    scan(phone, codes["North entrance"])
    expect(phone.get_by_text("North entrance scanned at")).to_be_visible()
    expect(panel).to_contain_text("North entrance (Riverside Mall) at", timeout=LIVE)
    expect(panel).to_contain_text("Officer Dana Ortiz")
    assert same_document(desk), "the panel was redrawn live, not by reloading the page"
    look(desk, "the liaison's joint patrol running", "patrol-joint-live")

    desk.get_by_label("Site").select_option(label="Riverside Mall (Sentinel Security)")
    desk.get_by_label("Why (optional)").fill("Car break-ins after closing")
    desk.get_by_role("button", name="Ask the provider for a joint patrol").click()
    expect(desk.get_by_text("for a joint patrol at Riverside Mall.")).to_be_visible()
    look(desk, "the liaison's joint patrols after asking for one")


def test_without_its_socket_the_joint_patrols_page_says_so_and_polls(portal, browser):
    codes = off_the_browser_thread(seed)
    desk = browser.new_context(**DESKTOP).new_page()
    # The socket never opens (a proxy that drops websockets): every attempt is closed at once.
    desk.route_web_socket("**/ws/patrols/joint/", lambda socket: socket.close())
    sign_in(desk, portal, LIAISON)
    desk.goto(f"{portal}/patrols/joint/")
    expect(desk.get_by_role("status").filter(has_text="Connection lost")).to_be_visible(timeout=LIVE)
    mark_document(desk)
    phone = browser.new_context(**PHONE).new_page()
    sign_in(phone, portal, GUARD)
    phone.get_by_role("link", name="Shift").click()
    phone.get_by_label("Site").select_option(label="Northgate Offices")
    phone.get_by_role("button", name="Start shift").click()
    scan(phone, codes["Lobby"])
    expect(phone.get_by_text("Lobby scanned at")).to_be_visible()
    # The 10-second fallback poll brings it (no push can).
    expect(desk.locator("[data-board-panel]")).to_contain_text("Lobby at", timeout=POLL)
    assert same_document(desk)
