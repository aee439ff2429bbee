"""Issue 21 item 2 in the browser: the supervisor drags on a photo's preview to draw an area the
police must not see; the drawn area fills the form's row (percent of the image), is outlined over
the photo, and is saved with a reason."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from accounts.models import User
from incidents import services
from incidents.models import Evidence
from seeding.demo.accounts import seed_accounts
from tests.e2e.conftest import DESKTOP
from tests.e2e.helpers import make_photo, off_the_browser_thread, sign_in
from tests.e2e.test_story import GUARD, SUPERVISOR, file_report
from tests.incidents.evidence_samples import ORIGIN


def photo_on_a_report(folder: Path) -> str:
    seed_accounts()
    incident = file_report(site="riverside", category="theft", narrative="A man took two anoraks.")
    data = make_photo(folder / "scene.jpg", seed=3).read_bytes()

    def add() -> str:
        evidence = services.add_evidence(
            incident=incident,
            by=User.objects.get(email=GUARD),
            upload=SimpleUploadedFile("scene.jpg", data, "image/jpeg"),
            client_sha256=None,
            origin=ORIGIN,
        )
        services.make_thumbnail(evidence=evidence)
        return str(evidence.public_id)

    return off_the_browser_thread(add)


@pytest.mark.usefixtures("portal")
def test_the_supervisor_draws_an_area_and_saves_it(portal, browser, tmp_path):
    evidence_id = photo_on_a_report(tmp_path)
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    sign_in(page, portal, SUPERVISOR)
    page.goto(f"{portal}/evidence/{evidence_id}/")
    image = page.locator("[data-redaction-image]")
    expect(image).to_be_visible()
    page.wait_for_load_state("load")  # the preview has its size
    box = image.bounding_box()
    assert box is not None

    # Drag from a quarter to a half of the photo, both ways.
    page.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.25)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.4, steps=4)
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5, steps=4)
    page.mouse.up()

    x = page.get_by_label("Area 1: x, percent from the left")
    width = page.get_by_label("Area 1: width, percent")
    assert abs(float(x.input_value()) - 25) < 2
    assert abs(float(width.input_value()) - 25) < 2
    expect(page.locator("[data-redaction-outlines] rect")).to_have_count(1)

    page.locator("#redaction-reason").fill("A bystander's face")
    page.get_by_role("button", name="Save the redaction").click()
    expect(page.get_by_text("1 area hidden from the police")).to_be_visible()
    expect(page.get_by_text("Redacted for the police").first).to_be_visible()
    expect(page.locator("[data-redaction-outlines] rect")).to_have_count(1)

    saved = off_the_browser_thread(lambda: Evidence.objects.get(public_id=evidence_id))
    assert len(saved.redactions) == 1
    (area,) = saved.redactions
    assert abs(area["x"] - 0.25) < 0.02
    assert abs(area["w"] - 0.25) < 0.02
    assert saved.redaction_reason == "A bystander's face"
    context.close()
