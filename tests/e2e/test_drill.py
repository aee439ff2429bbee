"""A drill end to end (issue 18): the supervisor schedules it and adds the liaison, the guard files a
report as part of it (the panic bar offers "drill", unticked), the liaison's board shows the row
striped and marked EXERCISE and accepts it, and when the window closes the drill's debrief appears on
its page. Each page is checked with axe."""

import re
import zoneinfo
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import Incident
from preparedness import services as preparedness_services
from preparedness.models import Drill
from seeding.demo.accounts import SITE_TIME_ZONE, seed_accounts
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.helpers import off_the_browser_thread, sign_in
from tests.e2e.test_story import GUARD, LIAISON, LIVE, SUPERVISOR

pytestmark = pytest.mark.axe


def _site_time(moment) -> str:
    return timezone.localtime(moment, zoneinfo.ZoneInfo(SITE_TIME_ZONE)).strftime("%Y-%m-%dT%H:%M")


def test_a_drill_runs_from_the_schedule_to_its_debrief(portal, browser, look):
    seed_accounts()
    now = timezone.now()
    supervisor = browser.new_context(**DESKTOP).new_page()
    sign_in(supervisor, portal, SUPERVISOR)
    supervisor.get_by_role("navigation", name="Main").get_by_role("link", name="Preparedness").click()
    supervisor.get_by_role("link", name="Schedule a drill").click()
    supervisor.get_by_label("Site:", exact=True).select_option(label="Riverside Mall")
    supervisor.get_by_label("Scenario").select_option(label="Fire")
    supervisor.get_by_label("Title").fill("Fire drill: food court")
    supervisor.get_by_label("Objectives").fill("The liaison accepts the escalation within 2 minutes.")
    supervisor.get_by_label("Starts (site time)").fill(_site_time(now - timedelta(minutes=2)))
    supervisor.get_by_label("Ends (site time)").fill(_site_time(now + timedelta(minutes=30)))
    supervisor.get_by_label(re.compile("Sentinel Guard")).check()
    look(supervisor, "the drill's schedule form")
    supervisor.get_by_role("button", name="Schedule").click()
    expect(supervisor.get_by_text("Drill “Fire drill: food court” scheduled.")).to_be_visible()
    supervisor.get_by_label(re.compile("Metro Liaison")).check()
    supervisor.get_by_role("button", name="Add participants").click()
    expect(supervisor.get_by_text("Participants added.")).to_be_visible()
    expect(supervisor.get_by_role("region", name="Participants")).to_contain_text("Metro Liaison")
    expect(supervisor.get_by_text("running now")).to_be_visible()
    look(supervisor, "the drill's page", "drill-page")
    drill_url = supervisor.url

    guard = browser.new_context(**PHONE).new_page()
    sign_in(guard, portal, GUARD)
    guard.goto(f"{portal}/incidents/report/")
    expect(guard.get_by_role("note").filter(has_text="EXERCISE window open")).to_be_visible()
    # The panic bar offers the drill too, unticked: a press without it is a real panic.
    panic_drill = guard.get_by_label(re.compile("Drill panic: Riverside Mall"))
    expect(panic_drill).to_be_visible()
    expect(panic_drill).not_to_be_checked()
    guard.get_by_text(re.compile("More categories")).click()
    guard.get_by_label("Fire / smoke").check()
    guard.get_by_label("Site:", exact=True).select_option(label="Riverside Mall")
    guard.get_by_label("This is a drill (EXERCISE)").check()
    guard.get_by_label("What happened?").fill("Drill: smoke in the food court kitchen.")
    look(guard, "the report form during a drill", "report-form-drill")
    guard.get_by_role("button", name="Send report").click()
    expect(guard.get_by_text("sent to your supervisors")).to_be_visible()
    expect(guard.get_by_text("this incident is part of a drill")).to_be_visible()
    look(guard, "the guard's drill incident")
    incident = off_the_browser_thread(lambda: Incident.objects.get())
    assert incident.exercise == Incident.Exercise.EXERCISE

    board = browser.new_context(**DESKTOP).new_page()
    sign_in(board, portal, LIAISON)
    board.goto(f"{portal}/board/")
    expect(board.get_by_role("status").filter(has_text="Live")).to_be_visible()
    # The supervisor escalates it as any report (the whole chain runs as for real).
    supervisor.goto(f"{portal}/incidents/{incident.public_id}/")
    expect(supervisor.get_by_text("this incident is part of a drill")).to_be_visible()
    supervisor.get_by_role("button", name="Escalate to Metro Police Department").click()
    expect(supervisor.get_by_text(f"{incident.reference} escalated to Metro")).to_be_visible()
    rows = board.get_by_role("list", name=re.compile("Open escalations"))
    row = rows.get_by_role("listitem").filter(has_text=incident.reference)
    expect(row).to_be_visible(timeout=LIVE)
    expect(row).to_contain_text("EXERCISE")
    expect(row).to_have_class(re.compile(r"\bexercise\b"))
    stripes = row.evaluate("item => getComputedStyle(item).backgroundImage")
    assert "repeating-linear-gradient" in stripes
    look(board, "the board with a drill's row", "board-exercise")
    board.keyboard.press("j")  # the board's keys: select the row, then accept it
    expect(row.get_by_role("button", name=re.compile(incident.reference))).to_be_focused()
    board.keyboard.press("a")
    expect(row).to_contain_text("Accepted", timeout=LIVE)

    def close_the_window() -> int:
        drill = Drill.objects.get()
        Drill.objects.filter(pk=drill.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
        return preparedness_services.close_due_drills()

    assert off_the_browser_thread(close_the_window) == 1
    supervisor.goto(drill_url)
    link = supervisor.get_by_role("link", name="open the drill's debrief")
    for _ in range(20):  # a worker (CI) drafts it a moment later
        if link.count():
            break
        supervisor.wait_for_timeout(500)
        supervisor.reload()
    link.click()
    expect(supervisor.get_by_text("Drill: Fire drill: food court")).to_be_visible(timeout=LIVE)
    expect(supervisor.get_by_text("The liaison accepts the escalation within 2 minutes.")).to_be_visible()
    expect(supervisor.get_by_role("cell", name="Escalated → accepted").first).to_be_visible()
    look(supervisor, "the drill's debrief", "drill-debrief")
