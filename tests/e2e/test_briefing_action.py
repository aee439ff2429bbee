"""A joint briefing's decision becomes a corrective action in the browser (issue 18): the liaison
records a decision owned by the provider's supervisor with a due date on the briefing's page, the
supervisor finds it on the corrective actions page with the briefing it came from, marks it done,
and the briefing's page says so. Each page is checked with axe."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Organization, Site, User
from debriefs.models import CorrectiveAction
from preparedness import services as preparedness_services
from seeding.demo.accounts import seed_accounts
from tests.e2e.conftest import DESKTOP
from tests.e2e.helpers import off_the_browser_thread, sign_in
from tests.e2e.test_story import LIAISON, SUPERVISOR

pytestmark = pytest.mark.axe


def _briefing():
    supervisor = User.objects.get(email=SUPERVISOR)
    site = Site.objects.get(name="Riverside Mall")
    return preparedness_services.schedule_briefing(
        by=supervisor,
        provider=site.provider,
        agency=Organization.objects.get(pk=site.agency_id),
        title="Riverside weekly briefing",
        starts_at=timezone.now() + timedelta(days=1),
        sites=[site],
        attendees=[User.objects.get(email=LIAISON)],
    )


def test_a_briefings_decision_becomes_a_corrective_action_tracked_to_done(portal, browser, look):
    seed_accounts()
    briefing = off_the_browser_thread(_briefing)
    liaison = browser.new_context(**DESKTOP).new_page()
    sign_in(liaison, portal, LIAISON)
    liaison.goto(f"{portal}/preparedness/briefings/{briefing.public_id}/")
    decisions = liaison.get_by_role("region", name="Decisions and actions")
    decisions.get_by_label("Decision").fill("A guard at the east exit from 19:00.")
    decisions.get_by_label(re.compile("Owner of the corrective action")).select_option(
        label="Sentinel Supervisor (Sentinel Security)"
    )
    due = timezone.localdate() + timedelta(days=7)
    decisions.get_by_label("Due date").fill(due.isoformat())
    look(liaison, "the briefing's page with a decision to record")
    decisions.get_by_role("button", name="Record decision").click()
    expect(liaison.get_by_text("Decision recorded.")).to_be_visible()
    expect(decisions).to_contain_text("A guard at the east exit from 19:00.")
    expect(decisions).to_contain_text("Corrective action: Open")
    action = off_the_browser_thread(lambda: CorrectiveAction.objects.get())
    assert (action.owner.email, action.origin) == (SUPERVISOR, "briefing")

    supervisor = browser.new_context(**DESKTOP).new_page()
    sign_in(supervisor, portal, SUPERVISOR)
    supervisor.goto(f"{portal}/debriefs/actions/")
    row = supervisor.get_by_role("row").filter(has_text="A guard at the east exit from 19:00.")
    expect(row).to_be_visible()
    expect(row.get_by_role("link", name=re.compile("Briefing: Riverside weekly briefing"))).to_be_visible()
    look(supervisor, "the corrective actions page with a briefing's action")
    row.get_by_label("Status").select_option(label="Done")
    row.get_by_label("How closure was verified").fill("Rota checked for the week.")
    row.get_by_role("button", name="Update").click()
    expect(supervisor.get_by_text("Corrective action updated.")).to_be_visible()
    liaison.reload()
    expect(liaison.get_by_role("region", name="Decisions and actions")).to_contain_text(
        "Corrective action: Done (Rota checked for the week.)"
    )
