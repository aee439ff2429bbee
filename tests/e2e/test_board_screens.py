"""The liaison's control-room board at 1920x1080, read from two metres (issue 14, the hand walk's
remaining stumbles): a message sent from the board shows in its thread at once with the box still
focused; the timers carry their unit (and a screen reader's words, and a machine-readable duration);
recently cleared calls read whole in both densities; the sound control is a large switch that says
its state in words; the verification level is in words, not "AVS 2"."""

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Site, User
from dispatch import services as dispatch
from dispatch.models import Escalation
from seeding.demo.accounts import seed_accounts
from seeding.demo.board import seed_site_outlines
from tests.e2e.helpers import off_the_browser_thread
from tests.e2e.test_board import GUARD, LIAISON, _escalate, _open_board

pytestmark = pytest.mark.axe

LONG_DISPOSITION = (
    "Report taken at the loading bay; the two youths seen on camera were identified by the store's "
    "security manager, their parents were informed, no arrest, and the footage is requested for the "
    "insurer under the case number given."
)


def _stage() -> dict[str, str]:
    """Three open escalations to Metro (one accepted 4 minutes ago, one requested 72 minutes ago,
    one with the guard's messages) and two cleared ones, one with a long disposition."""
    seed_accounts()
    seed_site_outlines()
    liaison, guard = User.objects.get(email=LIAISON), User.objects.get(email=GUARD)
    assault = _escalate("northgate", "assault", 1, at_site=True)
    theft = dispatch.accept_escalation(escalation=_escalate("riverside", "theft", 3), by=liaison)
    old = _escalate("riverside", "suspicious-vehicle", 2, at_site=True)
    now = timezone.now()
    Escalation.objects.filter(pk=theft.pk).update(accepted_at=now - timedelta(minutes=4, seconds=5))
    Escalation.objects.filter(pk=old.pk).update(requested_at=now - timedelta(minutes=72, seconds=5))
    for text in ("Two men at the fire door, one with a crowbar.", "They are going round the back now."):
        dispatch.post_message(incident=assault.incident, by=guard, text=text)
    for category, disposition in (("vandalism", LONG_DISPOSITION), ("theft", "Gone on arrival.")):
        cleared = dispatch.accept_escalation(escalation=_escalate("northgate", category, 3), by=liaison)
        dispatch.clear_escalation(
            escalation=cleared, by=liaison, disposition=disposition, case_number="24-118832"
        )
    return {
        "assault": assault.incident.reference,
        "theft": theft.incident.reference,
        "old": old.incident.reference,
    }


def _rows(page):
    return page.get_by_role("list", name=re.compile("Open escalations")).get_by_role("listitem")


def test_a_message_sent_from_the_board_shows_in_its_thread_and_the_box_stays_focused(portal, browser, look):
    staged = off_the_browser_thread(_stage)
    page = _open_board(browser, portal)
    _rows(page).filter(has_text=staged["assault"]).click()
    panel = page.get_by_role("region", name="Escalation details")
    expect(panel.get_by_role("heading", level=2)).to_contain_text(staged["assault"])
    box = panel.get_by_label("Message to the guards and supervisors")
    text = "Unit 12 is two minutes out: keep the fire door shut."
    box.fill(text)
    panel.get_by_role("button", name="Send").click()

    def shown() -> list[dict[str, float]]:
        """The boxes of the sent message's copies that are inside the panel's visible part and on screen."""
        return page.evaluate(
            """([text]) => {
                const panel = document.querySelector('[data-panel]').getBoundingClientRect();
                return [...document.querySelectorAll('[data-panel] .chat-text, [data-panel] .note')]
                  .filter(n => n.textContent.trim() === text)
                  .map(n => n.getBoundingClientRect())
                  .filter(r => r.height > 0 && r.top >= panel.top && r.bottom <= panel.bottom
                          && r.top >= 0 && r.bottom <= innerHeight)
                  .map(r => ({y: r.y, height: r.height}));
            }""",
            [text],
        )

    seen: list[dict[str, float]] = []
    for _ in range(60):  # the send, the panel's redraw, and the socket's redraw after it
        page.wait_for_timeout(100)
        seen = shown()
        if seen and panel.locator(".chat-text, .note").filter(has_text=text).count():
            break
    assert seen, "the sent message is not in view in the panel after sending"
    page.wait_for_timeout(1500)  # the socket's own redraw for the message has come and gone
    assert shown(), "a redraw after sending scrolled the sent message out of view"
    expect(panel.get_by_label("Message to the guards and supervisors")).to_be_focused()
    expect(panel.get_by_label("Message to the guards and supervisors")).to_have_value("")
    thread = panel.get_by_role("list", name="Messages, the latest last")
    expect(thread.get_by_role("listitem").last).to_contain_text(text)
    assert page.evaluate("window.scrollY") == 0, "sending does not scroll the page"
    look(page, "the board's panel after sending a message")


def test_timers_have_units_for_the_eye_the_ear_and_the_machine(portal, browser, look):
    staged = off_the_browser_thread(_stage)
    page = _open_board(browser, portal)
    theft = _rows(page).filter(has_text=staged["theft"])
    old = _rows(page).filter(has_text=staged["old"])
    state_age = theft.locator("time.state-age")
    expect(state_age.locator(".age-short")).to_have_text(re.compile(r"^[45] min$"))
    assert re.fullmatch(r"PT[45]M", state_age.get_attribute("datetime") or "")
    expect(state_age.locator(".age-long")).to_have_text(re.compile(r"^accepted for [45] minutes$"))
    expect(state_age.locator(".age-short")).to_have_attribute("aria-hidden", "true")
    escalated = old.locator("time.age")
    expect(escalated.locator(".age-short")).to_have_text(re.compile(r"^1 h 1[23] min$"))
    assert re.fullmatch(r"PT1H1[23]M", escalated.get_attribute("datetime") or "")
    expect(escalated.locator(".age-long")).to_have_text(re.compile(r"^escalated 1 hour 1[23] minutes ago$"))
    # A fresh one counts its seconds with their unit, and ticks.
    fresh = _rows(page).filter(has_text=staged["assault"]).locator("time.age .age-short")
    expect(fresh).to_have_text(re.compile(r"^(\d+ s|\d+ min)$"))
    # The row reads the verification level in words; the standard's term only in the tooltip.
    for row in (theft, old):
        expect(row).not_to_contain_text(re.compile(r"\bAVS\b"))
        level = row.locator(".verification-level")
        expect(level).to_have_text(
            re.compile(r"^(Reported, not seen|Verified: .+|Confirmed threat to life|No call .+)")
        )
        expect(level).to_have_attribute("title", re.compile(r"TMA-AVS-01"))
    look(page, "the board with its timers")


def _clipped(page) -> list[str]:
    """The elements of "Recently cleared" whose text is cut (wider inside than shown) or that run past
    the section's sides."""
    return page.evaluate(
        """() => {
            const section = document.querySelector('[data-recent-wrap]').getBoundingClientRect();
            return [...document.querySelectorAll('[data-recent] *')].filter(n => {
                const r = n.getBoundingClientRect();
                if (!r.width) return false;
                const cut = n.clientWidth > 0 && n.scrollWidth > n.clientWidth + 1;
                const out = r.left < section.left - 1 || r.right > section.right + 1;
                return cut || out;
            }).map(n => `${n.className || n.tagName}: ${n.textContent.trim().slice(0, 60)}`);
        }"""
    )


def test_every_rows_reference_starts_its_second_line_in_comfortable_rows(portal, browser):
    """An operator scanning the column finds every reference in the same place: below the badges,
    however short they are (a panic's shorter badges had its reference up beside them)."""

    def stage_with_a_panic() -> dict[str, str]:
        staged = _stage()
        guard = User.objects.get(email=GUARD)
        site = Site.objects.get(code="riverside", provider=guard.membership.organization)
        pressed = dispatch.press_panic(guard=guard, site=site, idempotency_key=uuid.uuid4())
        return {**staged, "panic": pressed.incident.reference}

    staged = off_the_browser_thread(stage_with_a_panic)
    page = _open_board(browser, portal)
    expect(_rows(page)).to_have_count(4)
    places = page.evaluate(
        """() => [...document.querySelectorAll('[data-board-list] .board-row')].map(row => {
            const badges = row.querySelector('.verification-level').getBoundingClientRect();
            const ref = row.querySelector('.ref').getBoundingClientRect();
            const main = row.querySelector('.row-body').getBoundingClientRect();
            return [row.querySelector('.ref').textContent, Math.round(ref.top - badges.bottom),
                    Math.round(ref.left - main.left)];
        })"""
    )
    assert {reference for reference, _, _ in places} == set(staged.values())
    for reference, below, indent in places:
        assert below >= 0, f"{reference} is beside its badges: {places}"
        assert indent <= 1, f"{reference} starts {indent} px into its line: {places}"


def test_recently_cleared_reads_whole_in_both_densities(portal, browser, look):
    off_the_browser_thread(_stage)
    page = _open_board(browser, portal)
    recent = page.get_by_role("list", name=re.compile("Recently cleared"))
    expect(recent.get_by_role("listitem")).to_have_count(2)
    for density in ("Comfortable", "Compact"):
        page.get_by_role("button", name=density, exact=True).click()
        expect(page.locator("body")).to_have_class(re.compile(rf"\bdensity-{density.lower()}\b"))
        expect(recent).to_contain_text(LONG_DISPOSITION)
        assert not _clipped(page), f"text is cut in Recently cleared ({density}): {_clipped(page)}"
        indents = page.evaluate(
            """() => [...document.querySelectorAll('[data-recent] .recent-main')].map(button => {
                const style = getComputedStyle(button);
                const start = button.getBoundingClientRect().left + parseFloat(style.borderLeftWidth)
                    + parseFloat(style.paddingLeft);
                const lefts = [...button.children].map(n => n.getBoundingClientRect().left - start);
                return Math.round(Math.max(...lefts));
            })"""
        )
        # Read from the left like the open rows above (a short call was centred in its wide row).
        assert len(indents) == 2
        assert max(indents) <= 2, f"Recently cleared lines start {indents} px in ({density})"
        disposition = recent.locator(".disposition").filter(has_text="Report taken")
        assert disposition.evaluate(
            "n => n.scrollWidth <= n.clientWidth + 1 && n.scrollHeight <= n.clientHeight + 1"
        )
    look(page, "the board, compact, with its cleared calls")


def test_the_sound_switch_is_large_says_its_state_and_is_remembered(portal, browser, look):
    off_the_browser_thread(_stage)
    page = _open_board(browser, portal)
    switch = page.get_by_role("switch", name=re.compile(r"^Sound for severity 1 and PANIC"))
    box = switch.bounding_box()
    assert box is not None
    assert box["width"] >= 44, f"the sound switch is {box}"
    assert box["height"] >= 44, f"the sound switch is {box}"
    font = switch.evaluate("n => parseFloat(getComputedStyle(n).fontSize)")
    assert font >= 16, f"the sound switch's words are {font} px"
    expect(switch).to_have_attribute("aria-checked", "false")
    expect(switch).to_contain_text("Sound off")
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")
    expect(switch).to_contain_text("Sound on")
    page.reload()
    expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible()
    expect(switch).to_have_attribute("aria-checked", "true")
    expect(switch).to_contain_text("Sound on")
    page.locator("[data-board-list]").focus()
    page.keyboard.press("s")
    expect(switch).to_contain_text("Sound off")
    expect(switch).to_have_attribute("aria-checked", "false")
    look(page, "the board with the sound switch")
