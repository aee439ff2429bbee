"""The handover (issue 20's done-when): on the demo's accounts, the liaison opens an escalated
incident, exports a signed bundle for a case number, watches it being built, downloads it, and the
standalone script (no Django) verifies it against the fingerprint the portal publishes."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from dispatch import services as dispatch_services
from seeding.demo.accounts import seed_accounts
from tests.e2e.conftest import DESKTOP
from tests.e2e.helpers import off_the_browser_thread, sha256_of, sign_in
from tests.e2e.test_story import LIAISON, SUPERVISOR, file_report
from tests.exports.helpers import run_script
from tests.incidents.evidence_samples import pdf

pytestmark = pytest.mark.axe

BUILT = 60_000  # ms: by the worker (or in process without Redis)


def seed() -> tuple[str, str]:
    seed_accounts()
    incident = file_report(site="riverside", category="theft", narrative="A man took two anoraks.")
    off_the_browser_thread(
        dispatch_services.escalate_incident,
        incident=incident,
        by=User.objects.get(email=SUPERVISOR),
        reason="On camera",
    )
    return str(incident.public_id), incident.reference


def test_the_liaison_exports_a_bundle_and_the_standalone_script_verifies_it(portal, browser, look, tmp_path):
    incident_id, reference = seed()
    context = browser.new_context(**DESKTOP, accept_downloads=True)
    page = context.new_page()
    # The supervisor adds the receipt on the page (the portal's own storage keeps it).
    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(pdf())
    sign_in(page, portal, SUPERVISOR)
    page.goto(f"{portal}/incidents/{incident_id}/")
    page.get_by_label("Add photos, video, audio or PDF").set_input_files(str(receipt))
    page.get_by_role("button", name="Add evidence").click()
    expect(page.get_by_text("receipt.pdf").first).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, portal, LIAISON)
    page.goto(f"{portal}/incidents/{incident_id}/")
    page.get_by_role("link", name="Evidence bundle").click()
    expect(page.get_by_role("heading", name=re.compile("Evidence bundles for"))).to_be_visible()

    purpose = page.get_by_label("Purpose")
    expect(purpose).to_have_attribute("required", "")
    purpose.fill("   ")  # past the browser's check: the server refuses it and says why
    page.get_by_role("button", name="Export the bundle").click()
    expect(page.get_by_text("Say why the bundle is exported")).to_be_visible()
    page.get_by_label("Purpose").fill("Metro PD case 2026-4471")
    page.get_by_role("button", name="Export the bundle").click()
    download_link = page.get_by_role("link", name=re.compile("Download the bundle"))
    expect(download_link).to_be_visible(timeout=BUILT)  # the page follows the worker's progress
    fingerprint = page.locator("section[aria-labelledby=verify] code").first.inner_text()
    look(page, "the incident's bundles", "exports-ready")

    with page.expect_download() as download:
        download_link.click()
    path = tmp_path / "bundle.zip"
    download.value.save_as(path)
    context.close()

    result = run_script(path, "--fingerprint", fingerprint)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "purpose 'Metro PD case 2026-4471'" in result.stdout
    assert reference in result.stdout
    assert "evidence/" in result.stdout  # the receipt, hashed
    assert f"SHA-256 {sha256_of(receipt)}" in result.stdout
    assert "VERIFIED" in result.stdout
