"""A guard's whole shift on a phone (issue 23): start it, scan two checkpoints by typing their codes
(headless Chromium has no camera), check in, end it; the supervisor then sees the daily activity
report, reviews it and sends it to the site's client contact."""

import pytest
import segno
from playwright.sync_api import expect

from accounts.models import Site, User
from patrols import services as patrol_services
from patrols.models import Checkpoint, Shift
from seeding.demo.accounts import seed_accounts
from seeding.demo.patrols import seed_patrols
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.helpers import off_the_browser_thread, sign_in
from tests.e2e.test_story import GUARD, SUPERVISOR
from tests.processes import ROOT

pytestmark = pytest.mark.axe

BUILT = 60_000  # ms: the report is built by a worker (or in process without Redis)


def seed() -> list[tuple[str, str]]:
    seed_accounts()
    seed_patrols()
    points = Checkpoint.objects.filter(site__code="riverside", name__in=["North entrance", "Loading dock"])
    return sorted((c.name, c.code) for c in points)


def test_a_guard_walks_a_shift_on_the_phone_and_the_supervisor_sends_its_report(portal, browser, look):
    points = off_the_browser_thread(seed)
    phone = browser.new_context(**PHONE).new_page()
    sign_in(phone, portal, GUARD)
    phone.get_by_role("link", name="Shift").click()
    phone.get_by_label("Site").select_option(label="Riverside Mall")
    look(phone, "the guard's shift page before the shift")
    phone.get_by_role("button", name="Start shift").click()
    expect(phone.get_by_text("Shift started at Riverside Mall.")).to_be_visible()
    look(phone, "the guard's shift page on duty", "patrol-phone-on-duty")
    for name, code in points:
        phone.get_by_label("Or type the code under the QR code").fill(code.lower().replace("-", " "))
        phone.get_by_role("button", name="Record scan").click()
        expect(phone.get_by_text(f"{name} scanned at")).to_be_visible()
    phone.get_by_role("button", name="I'm OK").click()
    expect(phone.get_by_text("Checked in at")).to_be_visible()
    phone.get_by_label("Notes for the daily activity report").fill(
        "Fire door on level 2 propped open; closed it."
    )
    phone.get_by_role("button", name="End shift").click()
    # A round of another of the site's tours (the demo's, by the time of day) may be open with its
    # checkpoints unscanned: then the guard is asked first, with them named, and ends it anyway.
    ended, anyway = (
        phone.get_by_text("Shift ended."),
        phone.get_by_role("button", name="End the shift anyway"),
    )
    expect(ended.or_(anyway)).to_be_visible()
    if anyway.is_visible():
        expect(phone.get_by_text("not scanned in this round of").first).to_be_visible()
        look(phone, "the end-shift confirmation naming what is unwalked")
        anyway.click()
    expect(ended).to_be_visible()
    expect(phone.get_by_role("button", name="Start shift")).to_be_visible()

    desk = browser.new_context(**DESKTOP).new_page()
    sign_in(desk, portal, SUPERVISOR)
    desk.get_by_role("link", name="Patrols").click()
    look(desk, "the patrol board", "patrol-board")
    desk.get_by_role("link", name="Riverside Mall").first.click()
    look(desk, "the site's patrols page")
    desk.get_by_role("link", name="Patrol board").click()
    desk.locator("[data-board-panel] a", has_text="Riverside Mall").filter(has_text="·").first.click()
    expect(desk.get_by_text("Fire door on level 2 propped open")).to_be_visible(timeout=BUILT)
    for name, _ in points:
        expect(desk.get_by_text(name).first).to_be_visible()
    desk.get_by_role("button", name="Mark as reviewed").click()
    look(desk, "the daily activity report", "patrol-report")
    desk.get_by_role("button", name="Send report").click()
    expect(desk.get_by_text("Sending to facilities@riverside-mall.example.")).to_be_visible()


def test_the_camera_decoder_reads_a_checkpoint_qr_where_there_is_no_barcode_detector(portal, browser):
    """Headless Chromium on Linux has no BarcodeDetector: the shift page's own code loads jsQR from
    the portal (under its CSP) and reads a checkpoint's printed QR code (segno, as the sheet prints
    it) drawn on a canvas, as it reads camera frames."""
    points = off_the_browser_thread(seed)
    _name, code = points[0]
    qr_text = off_the_browser_thread(lambda: Checkpoint.objects.get(code=code).qr_text)
    image = segno.make(qr_text, error="m").png_data_uri(scale=6, border=4)
    phone = browser.new_context(**PHONE).new_page()
    refused: list[str] = []
    phone.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security" in message.text else None,
    )
    sign_in(phone, portal, GUARD)
    phone.get_by_role("link", name="Shift").click()
    phone.get_by_label("Site").select_option(label="Riverside Mall")
    phone.get_by_role("button", name="Start shift").click()
    expect(phone.get_by_text("Shift started at Riverside Mall.")).to_be_visible()
    assert phone.evaluate("'BarcodeDetector' in window") is False
    # The camera's button is offered (getUserMedia exists) though there is no BarcodeDetector.
    expect(phone.get_by_role("button", name="Scan with the camera")).to_be_visible()
    decoded = phone.evaluate(
        """async (image) => {
            const script = document.querySelector("script[src*='patrol']").src;
            const { loadJsQR, readFrame } = await import(script);
            const form = document.querySelector("[data-scan-form]");
            const decode = await loadJsQR(form.dataset.jsqrSrc);
            const picture = new Image();
            picture.src = image;
            await picture.decode();
            return readFrame(decode, picture, document.createElement("canvas"));
        }""",
        image,
    )
    assert decoded == code
    # Another QR (not a checkpoint's) is not taken for one.
    other = segno.make("https://example.org/not-a-checkpoint").png_data_uri(scale=6, border=4)
    assert (
        phone.evaluate(
            """async (image) => {
                const { readFrame } = await import(document.querySelector("script[src*='patrol']").src);
                const picture = new Image();
                picture.src = image;
                await picture.decode();
                return readFrame(window.jsQR, picture, document.createElement("canvas"));
            }""",
            other,
        )
        is None
    )
    assert refused == []
    # The file served is the pinned npm package's (package-lock.json), byte for byte.
    served = phone.request.get(
        phone.evaluate(
            "new URL(document.querySelector('[data-scan-form]').dataset.jsqrSrc, location.href).href"
        )
    )
    assert served.ok
    assert served.body() == (ROOT / "node_modules/jsqr/dist/jsQR.js").read_bytes()
    assert (ROOT / "static/vendor/jsqr/jsQR.js").read_bytes() == served.body()


def test_the_supervisor_starts_a_shift_for_a_guard_from_a_fold_a_live_push_leaves_alone(
    portal, browser, look
):
    """On the patrol board "start a shift for a guard" is folded under its site, with its fields
    named on screen; while it is unfolded, a live push (the guard's own shift at another site
    started and ended) does not redraw the board over what the supervisor typed."""
    off_the_browser_thread(seed)
    desk = browser.new_context(**DESKTOP).new_page()
    sign_in(desk, portal, SUPERVISOR)
    desk.get_by_role("link", name="Patrols").click()
    sites = desk.get_by_role("region", name="Sites")
    why = sites.get_by_label("Why (kept in the shift's record)")
    expect(why).to_have_count(2)  # the sites with a guard: Northgate and Riverside
    expect(why.first).to_be_hidden()  # folded: the list of sites reads as a list
    riverside = sites.get_by_role("listitem").filter(has=desk.get_by_role("link", name="Riverside Mall"))
    riverside.get_by_text("Start a shift for a guard here").click()
    riverside.get_by_label("Why (kept in the shift's record)").fill(
        "Guard's phone is broken; started by phone call."
    )
    desk.locator(
        "h1"
    ).click()  # nothing in the fold has the focus now: only its being unfolded holds the board

    def elsewhere() -> None:
        guard = User.objects.get(email=GUARD)
        northgate = Site.objects.get(code="northgate")
        shift = patrol_services.start_shift(guard=guard, site=northgate, by=guard, hours=1)
        patrol_services.end_shift(shift=shift, by=guard)

    off_the_browser_thread(elsewhere)
    desk.wait_for_timeout(1500)  # a push redraws the board within a few hundred ms
    expect(riverside.get_by_label("Why (kept in the shift's record)")).to_have_value(
        "Guard's phone is broken; started by phone call."
    )
    look(desk, "the patrol board with the start-for fold open")
    riverside.get_by_role("button", name="Start the shift").click()
    on_duty = desk.get_by_role("region", name="On duty now")
    expect(on_duty).to_contain_text("Riverside Mall")
    shift = off_the_browser_thread(lambda: Shift.objects.get(ended_at__isnull=True))
    assert shift.start_reason == "Guard's phone is broken; started by phone call."
