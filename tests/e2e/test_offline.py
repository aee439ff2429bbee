"""The guard's phone without a network (issue 22, parts 1 and 2), at 390x844: the service worker
serves the report page offline; a report with a photo filed offline waits on the phone ("1 report
waiting to send") through closing the browser, and arrives exactly once, photo and hash included,
when the network returns; the panic button says at once that it was NOT sent."""

import re
import time

import pytest
from playwright.sync_api import expect

from incidents.models import Incident
from seeding.demo.accounts import seed_accounts
from tests.e2e.conftest import CHROMIUM_ARGS, PHONE
from tests.e2e.helpers import make_photo, sha256_of, sign_in
from tests.services import CHROMIUM

pytestmark = pytest.mark.axe

GUARD = "guard@sentinel.example"
LIVE = 10_000
NARRATIVE = "A man sleeping behind the generators in the basement car park, level -2."

CONTROLLED = "() => navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller !== null)"
KEPT_PAGE = """path => caches.keys()
    .then(names => Promise.all(names.map(name => caches.open(name).then(cache => cache.match(path)))))
    .then(found => found.some(Boolean))"""
OUTBOX_COUNT = """() => new Promise(resolve => {
    const open = indexedDB.open("watchpost-outbox");
    open.onsuccess = () => {
        const count = open.result.transaction("items").objectStore("items").count();
        count.onsuccess = () => resolve(count.result);
    };
})"""


def open_phone(browser, folder):
    """Chromium with a profile on disk, as a phone keeps its browser's data between uses."""
    return browser.browser_type.launch_persistent_context(
        str(folder), executable_path=CHROMIUM, args=CHROMIUM_ARGS, **PHONE
    )


def eventually(page, expression: str, arg=None, *, timeout_s: float = LIVE / 1000) -> None:
    """Wait until ``expression`` (which may return a promise) is true in the page. Playwright's
    wait_for_function takes a returned promise for a true value without awaiting it."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression, arg):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression} ({arg})"
        page.wait_for_timeout(100)


def installed(page, portal: str) -> None:
    """The service worker has installed, controls the page and has kept the guard's pages."""
    eventually(page, CONTROLLED)
    page.reload()
    assert page.evaluate("() => navigator.serviceWorker.controller !== null")
    for path in ("/", "/incidents/report/", "/offline/"):
        eventually(page, KEPT_PAGE, path)


def from_the_worker(page, url: str) -> None:
    """Open ``url`` and check that the service worker answered (the network being down)."""
    response = page.goto(url)
    assert response is not None
    assert response.from_service_worker, f"{url} did not come from the service worker"


def test_a_report_filed_offline_waits_through_a_closed_browser_and_arrives_once(
    portal, browser, look, screenshot, tmp_path
):
    seed_accounts()
    photo = make_photo(tmp_path / "pipe.jpg", seed=22)
    profile = tmp_path / "profile"

    phone = open_phone(browser, profile)
    guard = phone.new_page()
    sign_in(guard, portal, GUARD)
    guard.goto(f"{portal}/incidents/report/")
    installed(guard, portal)

    phone.set_offline(True)
    # Pages the worker did not keep: its offline page (the worker's own fetch fails too).
    from_the_worker(guard, f"{portal}/notifications/")
    expect(guard.get_by_role("heading", name="No network")).to_be_visible()
    look(guard, "the offline page")
    # The report form: the kept copy.
    from_the_worker(guard, f"{portal}/incidents/report/")
    expect(guard.get_by_role("heading", name="Report an incident")).to_be_visible()

    guard.get_by_label("Trespass").check()
    guard.get_by_label("What happened?").fill(NARRATIVE)
    guard.get_by_label("Photos, video, audio or PDF").set_input_files([photo])
    expect(guard.get_by_text("pipe.jpg", exact=False).filter(has_text="ready to send")).to_be_visible()
    guard.get_by_role("button", name="Send report").click()

    kept = guard.get_by_role("status").filter(has_text="No network: the report is saved on this phone.")
    expect(kept).to_be_visible()
    outbox = guard.get_by_role("region", name=re.compile("waiting to send"))
    expect(outbox.get_by_role("heading")).to_have_text("1 report waiting to send")
    expect(outbox).to_contain_text("A man sleeping behind the generators")
    expect(outbox).to_contain_text("1 file")
    # The form is ready for another report, with a key of its own.
    expect(guard.get_by_label("What happened?")).to_have_value("")
    look(guard, "the report form with a report kept on the phone", "offline-report-kept")
    assert not Incident.objects.exists()

    # Closing the browser (its session cookie with it) loses nothing.
    guard.close()
    phone.close()
    phone = open_phone(browser, profile)
    phone.set_offline(True)
    guard = phone.new_page()
    from_the_worker(guard, f"{portal}/")
    outbox = guard.get_by_role("region", name=re.compile("waiting to send"))
    expect(outbox.get_by_role("heading")).to_have_text("1 report waiting to send")
    expect(outbox).to_contain_text("No network")
    look(guard, "the kept home page with the outbox", "offline-outbox")
    assert not Incident.objects.exists()

    # The network returns; the guard signs in again (the session ended with the browser) and the
    # report goes, once.
    phone.set_offline(False)
    sign_in(guard, portal, GUARD)
    # The sign-in dropped the pages kept for the one before; the guard's are kept again at once.
    eventually(guard, KEPT_PAGE, "/incidents/report/")
    sent = guard.get_by_role("status").filter(has_text="Sent from this phone")
    expect(sent).to_contain_text("sent to your supervisors", timeout=LIVE)
    expect(guard.locator("[data-outbox]")).to_be_hidden()
    incident = Incident.objects.get()
    assert incident.narrative == NARRATIVE
    assert incident.status == Incident.Status.SUBMITTED
    evidence = incident.evidence.get()
    assert evidence.original_name == "pipe.jpg"
    assert evidence.sha256 == sha256_of(photo)
    look(guard, "the home page after the outbox sent the report")

    # Nothing is sent twice: the outbox is empty, and another page (which sends on load) files nothing.
    assert guard.evaluate(OUTBOX_COUNT) == 0
    guard.goto(f"{portal}/incidents/report/")
    guard.wait_for_load_state("networkidle")
    assert Incident.objects.count() == 1
    phone.close()


def test_a_kept_report_the_server_refuses_opens_again_with_everything_typed(portal, browser, look, tmp_path):
    seed_accounts()
    photo = make_photo(tmp_path / "door.jpg", seed=7)
    guard = browser.new_context(**PHONE).new_page()
    sign_in(guard, portal, GUARD)
    guard.goto(f"{portal}/incidents/report/")
    guard.context.set_offline(True)
    guard.get_by_label("Trespass").check()
    guard.get_by_label("Where on the site?").fill("Loading bay, level -2")
    guard.get_by_label("What happened?").fill("x" * 20_001)  # over the limit: counted, not cut
    guard.get_by_label("Photos, video, audio or PDF").set_input_files([photo])
    expect(guard.get_by_text("door.jpg", exact=False).filter(has_text="ready to send")).to_be_visible()
    guard.get_by_role("button", name="Send report").click()
    expect(guard.get_by_role("heading", name="1 report waiting to send")).to_be_visible()

    # Back online, the server refuses it: it stays, with the reason and a way back to it.
    guard.context.set_offline(False)
    outbox = guard.get_by_role("region", name="1 report to correct")
    expect(outbox).to_contain_text("Not accepted: What happened?", timeout=LIVE)
    expect(outbox).to_contain_text("at most 20000 characters")
    guard.evaluate("() => window.scrollTo(0, 0)")
    look(guard, "the outbox with a refused report", "offline-refused")
    assert not Incident.objects.exists()

    outbox.get_by_role("link", name="Open it again to correct and send").click()
    refused = guard.get_by_role("alert").filter(has_text="The report was not accepted")
    expect(refused).to_contain_text("What happened?: Ensure this value has at most 20000 characters")
    expect(refused).to_be_focused()
    # Everything as typed: the category, the place, the text, the photo.
    expect(guard.get_by_label("Trespass")).to_be_checked()
    expect(guard.get_by_label("Where on the site?")).to_have_value("Loading bay, level -2")
    assert guard.get_by_label("What happened?").input_value() == "x" * 20_001
    assert guard.get_by_label("Photos, video, audio or PDF").evaluate(
        "input => [...input.files].map(f => `${f.name}:${f.size}`)"
    ) == [f"door.jpg:{photo.stat().st_size}"]
    expect(guard.get_by_text("door.jpg", exact=False).filter(has_text="ready to send")).to_be_visible()
    look(guard, "a refused report opened again from the outbox")

    guard.get_by_label("What happened?").fill("A man climbed the fence of the loading bay and ran off north.")
    guard.get_by_role("button", name="Send report").click()
    guard.wait_for_url(re.compile(r"/incidents/[0-9a-f-]{36}/$"), timeout=LIVE)
    incident = Incident.objects.get()
    assert guard.url.endswith(f"/incidents/{incident.public_id}/")
    assert incident.narrative == "A man climbed the fence of the loading bay and ran off north."
    assert incident.location == "Loading bay, level -2"
    assert incident.status == Incident.Status.SUBMITTED
    assert incident.evidence.get().sha256 == sha256_of(photo)
    assert guard.evaluate(OUTBOX_COUNT) == 0
    expect(guard.locator("[data-outbox]")).to_be_hidden()
    guard.context.close()


def test_the_panic_button_offline_says_it_was_not_sent_and_sends_when_the_network_returns(
    portal, browser, look
):
    seed_accounts()
    guard = browser.new_context(**PHONE).new_page()
    sign_in(guard, portal, GUARD)
    guard.context.set_offline(True)
    status = guard.locator(".panic-bar [data-panic-status]")
    panic = guard.locator(".panic-bar").get_by_role("button", name="PANIC")
    box = panic.bounding_box()
    assert box is not None
    guard.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    guard.mouse.down()
    expect(status).to_contain_text("No network — panic NOT sent. Use your radio or phone. Retrying…")
    guard.mouse.up()
    look(guard, "the panic bar without a network", "panic-offline")
    guard.wait_for_timeout(2500)  # it keeps trying, and still says so
    expect(status).to_contain_text("panic NOT sent")
    expect(status).not_to_contain_text("Sent from")
    assert not Incident.objects.filter(category__code="panic").exists()

    guard.context.set_offline(False)
    expect(status).to_contain_text("Sent from", timeout=LIVE)
    assert Incident.objects.filter(category__code="panic").count() == 1
    guard.context.close()


def test_a_report_posted_when_the_network_fails_unannounced_is_kept_by_the_service_worker(
    portal, browser, look, tmp_path
):
    """The phone believes it is online (a Wi-Fi with no way out): the form is posted as usual, the
    worker's request fails, and the worker keeps the report, files and key included."""
    seed_accounts()
    photo = make_photo(tmp_path / "gate.png", seed=5)
    context = browser.new_context(**PHONE)
    # navigator.onLine says true whatever the network does, as on such a Wi-Fi.
    context.add_init_script("Object.defineProperty(Navigator.prototype, 'onLine', { get: () => true });")
    guard = context.new_page()
    sign_in(guard, portal, GUARD)
    guard.goto(f"{portal}/incidents/report/")
    installed(guard, portal)

    guard.get_by_label("Trespass").check()
    guard.get_by_label("What happened?").fill("Gate forced open at the loading bay.")
    guard.get_by_label("Photos, video, audio or PDF").set_input_files([photo])
    expect(guard.get_by_text("gate.png", exact=False).filter(has_text="ready to send")).to_be_visible()
    context.set_offline(True)
    guard.get_by_role("button", name="Send report").click()
    guard.wait_for_url("**/incidents/report/?queued=1")
    expect(guard.get_by_role("status").filter(has_text="the report is saved on this phone")).to_be_visible()
    expect(guard.get_by_role("heading", name="1 report waiting to send")).to_be_visible()
    assert not Incident.objects.exists()

    context.set_offline(False)
    guard.get_by_role("button", name="Send now").click()
    expect(guard.get_by_role("status").filter(has_text="Sent from this phone")).to_be_visible(timeout=LIVE)
    incident = Incident.objects.get()
    assert incident.narrative == "Gate forced open at the loading bay."
    assert incident.evidence.get().sha256 == sha256_of(photo)
    context.close()
