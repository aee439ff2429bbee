"""What the browser tests do as people do: sign in, check a page with axe-core, make photos, call the API."""

import hashlib
import json
import random
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from django.db import connections
from PIL import Image, ImageDraw

from seeding.demo.accounts import DEMO_PASSWORD, demo_totp_code
from tests.services import AXE

T = TypeVar("T")

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = ("serious", "critical")


def sign_in(page, portal: str, email: str) -> None:
    page.goto(f"{portal}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    pass_mfa(page)
    wait_signed_in(page)


def wait_signed_in(page, **kwargs: Any) -> None:
    """Signed in: the sign-out form is on the page (a guard's sits behind the header's "Menu")."""
    page.locator("form[action='/accounts/logout/']").wait_for(state="attached", **kwargs)


def sign_out(page) -> None:
    """Sign out as a person does: a guard opens the header's "Menu" first."""
    menu = page.locator("[data-nav-more]")
    if menu.count() and not menu.evaluate("details => details.open"):
        menu.locator("summary").click()
    page.get_by_role("button", name="Sign out").click()


def pass_mfa(page) -> None:
    """Liaisons and admins use MFA: enter the demo authenticator app's code when asked. A code is
    accepted once; a second sign-in within its 30 s window waits for the next code."""
    page.wait_for_load_state()
    for _ in range(2):
        if "/accounts/2fa/authenticate/" not in page.url:
            return
        page.get_by_label("Code").fill(demo_totp_code())
        page.get_by_role("button", name="Verify").click()
        page.wait_for_load_state()
        if "/accounts/2fa/authenticate/" in page.url:
            time.sleep(30 - time.time() % 30 + 0.5)


def accessibility_violations(page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 A/AA violations on the page as it is now, once it has loaded: a page
    still loading has its markup but not yet its stylesheets (a text can already be visible), and axe
    would then measure unstyled links (seen as 17 px tall navigation links, now and then, under load)."""
    page.wait_for_function("() => document.readyState === 'complete'")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated by the browser's devtools protocol, which the page's strict CSP does not govern
        # (a <script> tag added to the page would be refused, as any inline script must be).
        page.evaluate(AXE.read_text())
    return page.evaluate(
        """options => axe.run(document, options).then(result => result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
        })))""",
        {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )


def assert_accessible(page, what: str) -> None:
    """No serious or critical axe-core violation of WCAG 2.2 A/AA on the page."""
    blocking = [v for v in accessibility_violations(page) if v["impact"] in BLOCKING]
    lines = [
        f"- {v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(f"    {n['target']}: {n['summary']}" for n in v["nodes"][:5])
        for v in blocking
    ]
    assert not blocking, f"{what} ({page.url}) has accessibility problems:\n" + "\n".join(lines)


def make_photo(path: Path, *, seed: int) -> Path:
    """A small real photo-like image (PNG or JPEG by the file's suffix), different for each seed."""
    rng = random.Random(seed)
    image = Image.new("RGB", (320, 240), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(320), rng.randrange(240)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle((x, y, x + rng.randrange(10, 80), y + rng.randrange(10, 60)), fill=colour)
    image.save(path)
    return path


def sha256_of(path: Path | str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def api_post(portal: str, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST JSON to the portal's REST API as a token's user (an integration, not a browser)."""
    request = urllib.request.Request(
        f"{portal}/api/v1/{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def mark_document(page) -> None:
    """Tag the loaded document, so that a test can tell it was never reloaded or left."""
    page.evaluate("() => { window.storyMark = 'still here'; }")


def same_document(page) -> bool:
    return page.evaluate("() => window.storyMark === 'still here'")


def off_the_browser_thread(work: Callable[..., T], /, **kwargs: Any) -> T:
    """Run ``work`` (seeding through the services) in a thread of its own. Playwright's event loop
    runs in the test's thread, where the services' after-commit pushes to the channel layer cannot
    run; from another thread they do (and with Redis they reach the server's boards)."""

    def run() -> T:
        try:
            return work(**kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()
