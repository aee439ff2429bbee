"""Large evidence is fingerprinted without loading it into memory (issue 22, part 3's hash): the
report form hashes a chosen file 4 MiB at a time with the incremental SHA-256 kept from npm
(@noble/hashes), and the hash it sends equals hashlib's."""

import hashlib
import os

import pytest
from playwright.sync_api import expect

from seeding.demo.accounts import seed_accounts
from tests.e2e.conftest import PHONE
from tests.e2e.helpers import sign_in
from tests.processes import ROOT

pytestmark = pytest.mark.axe

GUARD = "guard@sentinel.example"
CHUNK = 4 * 1024 * 1024
# Every read of a file's bytes, by the size of what was read at once.
WATCH_READS = """(() => {
    const read = Blob.prototype.arrayBuffer;
    window.largestRead = 0;
    Blob.prototype.arrayBuffer = function () {
        window.largestRead = Math.max(window.largestRead, this.size);
        return read.call(this);
    };
})();"""
HASH_IN_PAGE = """async (sizes) => {
    const { sha256 } = await import(new URL("/static/js/evidence.js", location.href).href);
    const out = [];
    for (const size of sizes) {
        const bytes = new Uint8Array(size).map((_, i) => i & 255);
        out.push(await sha256(new File([bytes], "sample.bin")));
    }
    return out;
}"""


def pattern(size: int) -> bytes:
    return (bytes(range(256)) * (size // 256 + 1))[:size]


def test_a_large_video_is_hashed_in_slices_and_agrees_with_hashlib(portal, browser, look, tmp_path):
    seed_accounts()
    video = tmp_path / "stairwell.mp4"
    video.write_bytes(os.urandom(6 * CHUNK + 12345))  # 24 MiB and a bit: seven slices
    context = browser.new_context(**PHONE)
    context.add_init_script(WATCH_READS)
    guard = context.new_page()
    sign_in(guard, portal, GUARD)
    guard.goto(f"{portal}/incidents/report/")

    guard.get_by_label("Photos, video, audio or PDF").set_input_files([video])
    expect(guard.get_by_text("stairwell.mp4", exact=False).filter(has_text="ready to send")).to_be_visible(
        timeout=60_000
    )
    sent = guard.locator("input[type=hidden][name=evidence_sha256]").input_value()
    assert sent == hashlib.sha256(video.read_bytes()).hexdigest()
    largest = guard.evaluate("() => window.largestRead")
    assert 0 < largest <= CHUNK, f"read {largest} bytes at once: the file was loaded whole"
    look(guard, "the report form with a large video fingerprinted")

    # The slices' edges: empty, one byte, one slice exactly, a slice and a byte, two slices.
    sizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK]
    assert guard.evaluate(HASH_IN_PAGE, sizes) == [hashlib.sha256(pattern(n)).hexdigest() for n in sizes]
    context.close()


def test_the_vendored_hash_modules_are_the_pinned_npm_packages():
    """static/vendor/noble-hashes/ is @noble/hashes as package-lock.json pins it, byte for byte."""
    package = ROOT / "node_modules/@noble/hashes"  # npm ci (make setup-browser), as axe-core
    vendored = ROOT / "static/vendor/noble-hashes"
    for name in ("sha2.js", "_md.js", "_u64.js", "utils.js", "LICENSE"):
        assert (vendored / name).read_bytes() == (package / name).read_bytes(), name
