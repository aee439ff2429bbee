"""Issue 17's story in the browser: a liaison publishes a vehicle BOLO, the guard's phone shows it
live (no reload), the guard marks it read and reports a sighting, and the liaison's board shows the
sighting's escalation with the site's safety profile; every page checked with axe-core."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Site, User
from dispatch import services as dispatch_services
from seeding.demo.accounts import seed_accounts
from tests.e2e.conftest import CONTROL_ROOM, PHONE
from tests.e2e.helpers import mark_document, off_the_browser_thread, same_document, sign_in
from tests.incidents.evidence_samples import png

pytestmark = pytest.mark.axe

GUARD, LIAISON = "guard@sentinel.example", "liaison@metro.example"
LIVE = 5_000  # ms
TITLE = "Grey Ford Transit, ram-raid suspects"


def keep_profile() -> None:
    supervisor = User.objects.get(email="supervisor@sentinel.example")
    site = Site.objects.get(code="riverside", provider=supervisor.membership.organization)
    dispatch_services.save_site_profile(
        site=site,
        by=supervisor,
        texts={
            "access_points": "Main gate on River Rd; loading bay B at the rear.",
            "emergency_contacts": "Control room 555-0100",
        },
        reverify_days=180,
        verified=True,
    )


def test_a_bolo_reaches_the_guard_live_and_a_sighting_reaches_the_board_with_the_site_profile(
    portal, browser, look, screenshot
):
    seed_accounts()
    off_the_browser_thread(keep_profile)

    guard = browser.new_context(**PHONE).new_page()
    sign_in(guard, portal, GUARD)
    guard.goto(f"{portal}/bulletins/")
    expect(guard.get_by_role("heading", level=1)).to_have_text("Police bulletins")
    expect(guard.get_by_text("No live bulletins for your sites.")).to_be_visible()
    look(guard, "the guard's bulletins, none live")
    mark_document(guard)

    liaison = browser.new_context(**CONTROL_ROOM).new_page()
    sign_in(liaison, portal, LIAISON)
    liaison.goto(f"{portal}/bulletins/new/")
    look(liaison, "the new bulletin form")
    liaison.get_by_label("Kind").select_option("vehicle")
    liaison.get_by_label("Title").fill(TITLE)
    liaison.get_by_label("Description").fill("Grey Ford Transit, roof rack, dented rear door.")
    liaison.get_by_label("Plate (vehicles)").fill("KX19 TRN")
    liaison.get_by_label("What not to do").fill("Do not approach, call it in.")
    expires = timezone.localtime(timezone.now() + timedelta(days=1), timezone.get_fixed_timezone(0))
    liaison.get_by_label("Expires").fill(expires.strftime("%Y-%m-%dT%H:%M"))
    liaison.get_by_label("Photos").set_input_files(
        files=[{"name": "van.png", "mimeType": "image/png", "buffer": png((96, 64))}]
    )
    liaison.get_by_role("button", name="Publish").click()
    expect(liaison.get_by_text(re.compile(r"Bulletin published to \d+ sites"))).to_be_visible()
    photo = liaison.get_by_role("img", name=re.compile("Photo 1 of the bulletin: van.png"))
    expect(photo).to_be_visible()
    assert photo.evaluate("image => image.naturalWidth") == 96  # served to its publisher
    look(liaison, "the published bulletin", "bulletin-liaison")
    mark_document(liaison)

    # On the guard's phone, live: the banner and the list, without a reload.
    live_list = guard.locator("[data-bulletin-live-list]")
    expect(live_list.get_by_role("heading", name=re.compile(TITLE))).to_be_visible(timeout=LIVE)
    expect(guard.get_by_role("region", name=re.compile("Police bulletins: 1 live"))).to_be_visible()
    expect(live_list).to_contain_text("Do not: Do not approach, call it in.")
    assert same_document(guard)
    thumbnail = live_list.get_by_role("img", name=re.compile("Photo of the bulletin"))
    expect(thumbnail).to_be_visible()
    assert thumbnail.evaluate("image => image.naturalWidth") == 96  # served to the audience
    expect(guard.locator(".panic-bar")).to_be_in_viewport()  # the live list comes in above it
    look(guard, "the guard's live bulletin", "bulletin-guard")

    read_at = re.compile(r" at \w{3} \d{1,2} \w{3} \d{2}:\d{2} [A-Z]{2,5}")  # "at Wed 2 Dec 14:05 CST"
    read_column = liaison.locator("[data-receipts-site] td:nth-child(2)")
    expect(read_column.filter(has_text=read_at)).to_have_count(0)
    live_list.get_by_role("button", name="Mark read").click()
    expect(guard.get_by_text(f"Marked read: {TITLE}.")).to_be_visible()
    expect(live_list).to_contain_text("You have read it.")
    # The liaison's bulletin page shows the receipt live, without a reload.
    expect(read_column.filter(has_text=read_at)).to_have_count(1, timeout=LIVE)
    guard_name = off_the_browser_thread(lambda: str(User.objects.get(email=GUARD)))
    expect(read_column.filter(has_text=read_at)).to_contain_text(guard_name)
    assert same_document(liaison)

    live_list.get_by_role("link", name="Sighted: report it").click()
    guard.get_by_label("At which site").select_option(label="Riverside Mall")
    guard.get_by_label("What you saw").fill("The van stopped by the loading bay, two men inside.")
    guard.get_by_label("Where exactly").fill("Loading bay B")
    look(guard, "the bulletin with its sighting form")
    guard.get_by_role("button", name="Report the sighting").click()
    expect(
        guard.get_by_text(re.compile(r"Sighting reported as .* and escalated to Metro Police Department"))
    ).to_be_visible()
    reference = re.search(r"reported as (\S+) and", guard.get_by_role("status").first.inner_text()).group(1)

    # The liaison's board: the sighting's escalation, its panel with the site's profile.
    liaison.goto(f"{portal}/board/")
    rows = liaison.get_by_role("list", name=re.compile("Open escalations"))
    row = rows.get_by_role("button", name=re.compile(reference))
    expect(row).to_be_visible()
    row.click()
    panel = liaison.get_by_role("region", name="Escalation details")
    expect(panel.get_by_role("heading", level=2)).to_contain_text(reference)
    profile = panel.get_by_role("region", name=re.compile("Site profile: Riverside Mall"))
    expect(profile).to_contain_text("Main gate on River Rd")
    expect(profile).to_contain_text("Verified")
    look(liaison, "the board with the sighting and the site profile", "bulletin-board-profile")

    # And on the bulletin: who of which site read it.
    liaison.goto(f"{portal}/bulletins/")
    liaison.get_by_role("link", name=TITLE).first.click()
    receipts = liaison.get_by_role("region", name=re.compile("Read receipts"))
    expect(receipts).to_contain_text("Riverside Mall")
    expect(receipts.get_by_role("listitem").filter(has_text=reference)).to_have_count(1)
    look(liaison, "the bulletin's read receipts")
