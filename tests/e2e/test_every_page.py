"""Accessibility on every page (issue 14, item 10): each role signs in at its own screen size and
axe-core checks every page that role may open.

The list of pages is not written here: it is every GET page of the access table (tests/access.py)
that the role is allowed, plus allauth's pages (sign-in, password, MFA). A page added to the table
is visited by the next run; one that cannot be (a file, JSON, a fragment) must be excused below with
the reason, or ``test_every_page_is_visited_or_excused`` fails.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import ApiToken, Organization, Partnership, Role, Site, User
from analytics import services as analytics_services
from bulletins import services as bulletin_services
from debriefs import services as debrief_services
from debriefs.models import Debrief
from debriefs.tasks import request_debrief_task
from dispatch import services as dispatch_services
from incidents import services as incident_services
from incidents.models import Category
from notifications.models import EscalationPolicy, WebhookEndpoint
from patrols.models import DailyReport
from preparedness.models import CommunityEvent, Decision, Drill, Plan, PlanAttachment, Scenario
from preparedness.selectors import current_version
from seeding.demo.accounts import DEMO_PASSWORD, seed_accounts
from seeding.demo.notifications import seed_policies
from seeding.demo.patrols import seed_patrols
from seeding.demo.preparedness import seed_preparedness
from tests.access import ACCESS, PUBLIC_AUTH_PAGES, Actor, Outcome, Rule, Tenant
from tests.e2e.helpers import accessibility_violations, off_the_browser_thread, pass_mfa, wait_signed_in
from tests.incidents.evidence_samples import ORIGIN, jpeg
from tests.test_access_matrix import ENDPOINTS

pytestmark = pytest.mark.axe

SENTINEL, METRO = "Sentinel Security", "Metro Police Department"


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    actor: Actor
    viewport: dict[str, Any]

    @property
    def side(self) -> str:
        return "agency" if self.actor in (Actor.LIAISON, Actor.AGENCY_ADMIN) else "provider"


DESK = {"viewport": {"width": 1366, "height": 768}}
PEOPLE = [
    Person(
        "guard",
        "guard@sentinel.example",
        Actor.GUARD,
        {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    ),
    Person("supervisor", "supervisor@sentinel.example", Actor.SUPERVISOR, DESK),
    Person("liaison", "liaison@metro.example", Actor.LIAISON, {"viewport": {"width": 1920, "height": 1080}}),
    Person("provider admin", "admin@sentinel.example", Actor.PROVIDER_ADMIN, DESK),
    Person("agency admin", "admin@metro.example", Actor.AGENCY_ADMIN, DESK),
    Person("platform admin", "platform@watchpost.example", Actor.PLATFORM, DESK),
]

# Pages of the access table that are not HTML pages of their own, or that nobody may open.
EXCUSED = {
    "healthz": "JSON for load balancers",
    "webapp_manifest": "the web app manifest (JSON; tests/portal/test_webapp.py)",
    "service_worker": "the service worker (JavaScript; tests/portal/test_webapp.py, e2e/test_offline.py)",
    "account_signup": "no sign-up: 404 for everyone",
    "api-docs": "Swagger UI's own page (drf-spectacular), not the portal's",
    "incidents:evidence_download": "the evidence file itself",
    "incidents:evidence_thumbnail": "an image",
    "debriefs:pdf": "the PDF",
    "analytics:incidents_csv": "a CSV file",
    "analytics:incident_json": "a JSON file",
    "analytics:incident_pdf": "the incident report's PDF",
    "debriefs:status": "JSON the debrief page polls",
    "bulletins:live": "JSON the sites' pages redraw their bulletin banner and list from",
    "dispatch:floor_plan": "the floor plan file itself",
    "bulletins:cap": "the CAP 1.2 XML file (validated against the schema in tests/bulletins)",
    "bulletins:photo": "the photo itself (shown on the bulletin page, the banner and the list)",
    "bulletins:answers": "JSON the bulletin page redraws its receipts and sightings from",
    "patrols:qr_sheet": "the PDF",
    "patrols:report_pdf": "the PDF",
    "analytics:report_pdf": "the partnership report's PDF",
    "patrols:board_panel": "a fragment the patrol board redraws itself from (checked on the board)",
    "exports:status": "JSON the bundles page polls",
    "exports:ics214": "the ICS-214 PDF",
    "exports:drill_ics214": "the drill's ICS-214 PDF",
    "exports:download": "the bundle's ZIP",
    "exports:verifier": "the verification script (Python)",
    "exports:public_key": "the public key (PEM)",
    "dispatch:panel": "a fragment the board loads into its detail panel (checked on the board)",
    "notifications:desk": "a fragment the supervisor's home redraws its desk from (checked on the home)",
    "healthz_detail": "JSON of the heartbeats (their page, notifications:health, is visited)",
    "preparedness:attachment": "the PDF",
    "preparedness:drill_export": "a CSV file",
    "preparedness:briefing_ics": "an iCalendar file",
    # allauth's pages that the portal's settings switch off or that are no page
    "account_email": "one address per account, managed by org admins: allauth's email page is unused",
    "account_email_verification_sent": "email verification is off (ACCOUNT_EMAIL_VERIFICATION)",
    "account_confirm_email": "email verification is off (ACCOUNT_EMAIL_VERIFICATION)",
    "account_confirm_login_code": "sign-in by emailed code is off",
    "account_request_reauthentication_code": "re-authentication by emailed code is off",
    "account_confirm_reauthentication_code": "re-authentication by emailed code is off",
    "account_set_password": "everyone has a password: allauth sends this to the change page",
    "mfa_download_recovery_codes": "a text file",
    "account_reauthenticate": "reached only from the MFA pages' own re-authentication step",
    "mfa_reauthenticate": "reached only from the MFA pages' own re-authentication step",
    "mfa_authenticate": "checked during every sign-in with a second factor (sign_in below)",
}
# allauth's pages the test visits, and as whom (the anonymous ones once, without a session): some
# only for those with a second factor (guards and supervisors may set one up, and need not).
WITH_MFA = frozenset({Actor.LIAISON, Actor.PROVIDER_ADMIN, Actor.AGENCY_ADMIN, Actor.PLATFORM})
ALLAUTH_SIGNED_IN = {
    "account_logout": frozenset(Actor),
    "account_change_password": frozenset(Actor),
    "mfa_index": frozenset(Actor),
    "mfa_activate_totp": frozenset(Actor),
    "mfa_generate_recovery_codes": frozenset(Actor),
    "mfa_deactivate_totp": WITH_MFA,
    "mfa_view_recovery_codes": WITH_MFA,
}
ALLAUTH_ANONYMOUS = PUBLIC_AUTH_PAGES - {
    "account_email_verification_sent",
    "account_confirm_email",
    "account_logout",
}


def page_rules() -> dict[str, list[Rule]]:
    """The access table's GET rules of pages (the API is JSON)."""
    found: dict[str, list[Rule]] = {}
    for name, rules in ACCESS.items():
        if name.startswith("api:") or name == "api-schema":
            continue
        gets = [r for r in (rules if isinstance(rules, tuple) else (rules,)) if r.method == "GET"]
        if gets:
            found[name] = gets
    return found


def allauth_pages() -> set[str]:
    return {e.name for e in ENDPOINTS if e.module.startswith("allauth.")}


def test_every_page_is_visited_or_excused():
    """A new page in tests/access.py (or a new allauth page) is visited by this file or excused."""
    pages = set(page_rules()) | allauth_pages()
    visited = (set(page_rules()) | set(ALLAUTH_SIGNED_IN) | ALLAUTH_ANONYMOUS) - set(EXCUSED)
    missing = pages - visited - set(EXCUSED)
    assert not missing, f"visit these pages in {__file__} or excuse them with a reason: {sorted(missing)}"
    assert not set(EXCUSED) - pages, f"excuses for pages that no longer exist: {set(EXCUSED) - pages}"
    assert set(ALLAUTH_SIGNED_IN) | ALLAUTH_ANONYMOUS <= pages


# --- The world every page shows -------------------------------------------------------------------


def seed() -> SimpleNamespace:
    """Sentinel Security and Metro PD with one of everything a page can show: an escalated incident
    with a photo, a closed one with its debrief and corrective action, a draft, pending invitations,
    API tokens, webhook endpoints and escalation policies."""
    seed_accounts()
    seed_policies()
    for user in User.objects.filter(authenticator__type=Authenticator.Type.TOTP):
        RecoveryCodes.activate(user)
    by_email = {u.email: u for u in User.objects.filter(email__endswith=".example")}
    guard, supervisor = by_email["guard@sentinel.example"], by_email["supervisor@sentinel.example"]
    liaison, provider_admin = by_email["liaison@metro.example"], by_email["admin@sentinel.example"]
    agency_admin = by_email["admin@metro.example"]
    provider, agency = Organization.objects.get(name=SENTINEL), Organization.objects.get(name=METRO)
    site = Site.objects.get(code="riverside", provider=provider)
    w = SimpleNamespace()

    def report(narrative: str, *, submit: bool = True):
        return incident_services.report_incident(
            reporter=guard,
            site=site,
            idempotency_key=uuid.uuid4(),
            submit=submit,
            category=Category.objects.get(code="theft"),
            narrative=narrative,
            location="North doors",
        ).incident

    w.draft = report("Two people arguing by the food court.", submit=False)
    w.incident = report("A man took two jackets from the rack by the entrance.")
    w.evidence = incident_services.add_evidence(
        incident=w.incident,
        by=guard,
        upload=SimpleUploadedFile("north-doors.jpg", jpeg((320, 240)), "image/jpeg"),
        client_sha256=None,
        origin=ORIGIN,
    )
    w.escalation = dispatch_services.escalate_incident(
        incident=w.incident, by=supervisor, reason="Suspect still in the mall"
    )
    dispatch_services.post_message(incident=w.incident, by=liaison, text="Unit on the way.")

    w.closed = report("Broken window at the loading bay.")
    escalation = dispatch_services.escalate_incident(incident=w.closed, by=supervisor)
    dispatch_services.accept_escalation(escalation=escalation, by=liaison)
    dispatch_services.clear_escalation(escalation=escalation, by=liaison, disposition="Report taken")
    incident_services.close_incident(incident=w.closed, by=supervisor, resolution="Window boarded up")
    request_debrief_task(w.closed.pk, supervisor.pk)  # done already in process; a worker may be later
    w.debrief = debrief_services.draft_debrief(debrief=Debrief.objects.get(incident=w.closed))
    w.action = debrief_services.add_corrective_action(
        incident=w.closed,
        by=supervisor,
        what="Fit a lock to the loading bay door",
        owner=guard,
        due_date=timezone.localdate() + timedelta(days=7),
    )

    dispatch_services.save_site_profile(
        site=site,
        by=supervisor,
        texts={"access_points": "Main gate on River Rd", "emergency_contacts": "Control room 555-0100"},
        reverify_days=180,
        verified=True,
    )
    w.site = site
    w.bulletin = bulletin_services.publish_bulletin(
        by=liaison,
        data=bulletin_services.BulletinInput(
            kind="vehicle",
            title="Grey Ford Transit",
            description="Roof rack, dented rear door.",
            plate="KX19 TRN",
            dont_text="Do not approach.",
            expires_at=timezone.now() + timedelta(days=1),
        ),
    )
    bulletin_services.mark_bulletin_read(bulletin=w.bulletin, by=guard)
    seed_patrols()
    w.site = site
    w.report = DailyReport.objects.get(site=site)
    w.partnership = Partnership.objects.get(provider=provider, agency=agency)
    w.partnership_report = analytics_services.build_partnership_report(
        report=analytics_services.request_partnership_report(
            partnership=w.partnership, by=supervisor, month=timezone.localdate()
        )
    )

    w.members = {
        "provider": guard.membership.pk,
        "agency": liaison.membership.pk,
    }
    w.invitations, w.invitation_tokens, w.tokens, w.endpoints, w.policies = {}, {}, {}, {}, {}
    for side, organization, admin, role, holder, issuer in (
        ("provider", provider, provider_admin, Role.GUARD, guard, provider_admin),
        ("agency", agency, agency_admin, Role.LIAISON, liaison, liaison),
    ):
        invitation, w.invitation_tokens[side] = account_services.invite_member(
            invited_by=admin, organization=organization, email=f"new-{side}@example.org", role=role
        )
        w.invitations[side] = invitation.pk
        w.tokens[side] = account_services.issue_api_token(
            user=holder, by=issuer, name="CAD bridge", scope=ApiToken.Scope.READ
        )[0].pk
        w.endpoints[side] = WebhookEndpoint.objects.create(
            organization=organization,
            name="Duty pager",
            url="https://pager.example.org/hook",
            secret="s" * 40,
            events=["page"],
            created_by=admin,
        ).public_id
        policy = EscalationPolicy.objects.filter(organization=organization).first()
        if policy is None:
            policy = EscalationPolicy.objects.create(
                organization=organization, site=site, name="Riverside nights", updated_by=admin
            )
        w.policies[side] = policy.pk
    # Preparedness: the demo's plans (the fire ERP approved and acknowledged), drill, briefing, event.
    seed_preparedness()
    w.plan = Plan.objects.get(site=site, scenario=Scenario.FIRE)
    w.version = current_version(w.plan)
    w.attachment = PlanAttachment.objects.create(
        version=w.version,
        name="floor-plan.pdf",
        content=b"%PDF-1.4",
        sha256="0" * 64,
        size=8,
        added_by=supervisor,
    )
    w.drill = Drill.objects.get(site=site)
    w.decision = Decision.objects.filter(briefing__provider=provider).first()
    w.briefing = w.decision.briefing
    w.event = CommunityEvent.objects.get(provider=provider)
    return w


ARGS: dict[str, Callable[[SimpleNamespace, str, Person | None, str], Any]] = {
    # (world, URL name, person, the rule's subject) -> the argument
    "incident_id": lambda w, name, p, subject: (
        (
            w.draft if subject == "draft" else w.closed if name.startswith("debriefs:") else w.incident
        ).public_id
    ),
    "evidence_id": lambda w, name, p, subject: w.evidence.public_id,
    "escalation_id": lambda w, name, p, subject: w.escalation.public_id,
    "debrief_id": lambda w, name, p, subject: w.debrief.public_id,
    "action_id": lambda w, name, p, subject: w.action.public_id,
    "membership_id": lambda w, name, p, subject: w.members[p.side if p else "provider"],
    "invitation_id": lambda w, name, p, subject: w.invitations[p.side if p else "provider"],
    "token": lambda w, name, p, subject: w.invitation_tokens[p.side if p else "provider"],
    "token_id": lambda w, name, p, subject: w.tokens[p.side if p else "provider"],
    "policy_id": lambda w, name, p, subject: w.policies[p.side if p else "provider"],
    "endpoint_id": lambda w, name, p, subject: w.endpoints[p.side if p else "provider"],
    "bulletin_id": lambda w, name, p, subject: w.bulletin.public_id,
    "site_id": lambda w, name, p, subject: w.site.pk,
    "report_id": lambda w, name, p, subject: w.report.public_id,
    "partnership_id": lambda w, name, p, subject: w.partnership.pk,
    "partnership_report_id": lambda w, name, p, subject: w.partnership_report.public_id,
    "plan_id": lambda w, name, p, subject: w.plan.public_id,
    "version_id": lambda w, name, p, subject: w.version.public_id,
    "attachment_id": lambda w, name, p, subject: w.attachment.public_id,
    "drill_id": lambda w, name, p, subject: w.drill.public_id,
    "briefing_id": lambda w, name, p, subject: w.briefing.public_id,
    "decision_id": lambda w, name, p, subject: w.decision.public_id,
    "event_id": lambda w, name, p, subject: w.event.public_id,
}
PARAMS = {e.name: e.params for e in ENDPOINTS}


def url_of(w: SimpleNamespace, name: str, person: Person | None, rule: Rule | None = None) -> str:
    subject = rule.subject if rule else ""
    kwargs = {param: ARGS[param](w, name, person, subject) for param in PARAMS[name]}
    return reverse(name, kwargs=kwargs)


def pages_for(w: SimpleNamespace, person: Person) -> list[tuple[str, str]]:
    """(what, URL) of every page the person may open, public ones aside (visited without a session)."""
    pages = []
    for name, rules in sorted(page_rules().items()):
        if name in EXCUSED:
            continue
        for rule in rules:
            if rule.public or rule.expected(person.actor, Tenant.OWN, kind="page") != Outcome.ALLOWED:
                continue
            what = f"{name} ({rule.subject})" if rule.subject else name
            pages.append((what, url_of(w, name, person, rule)))
    pages += [(name, reverse(name)) for name, who in sorted(ALLAUTH_SIGNED_IN.items()) if person.actor in who]
    if person.actor == Actor.PLATFORM:
        pages.append(("admin:index", reverse("admin:index")))
    return pages


def public_pages(w: SimpleNamespace) -> list[tuple[str, str]]:
    pages = [
        (name, url_of(w, name, None))
        for name, rules in sorted(page_rules().items())
        if name not in EXCUSED and any(rule.public for rule in rules)
    ]
    for name in sorted(ALLAUTH_ANONYMOUS):
        if name == "account_reset_password_from_key":
            pages.append((name, reverse(name, kwargs={"uidb36": "1", "key": "expired-key"})))
        else:
            pages.append((name, reverse(name)))
    return pages


# --- Looking at them ------------------------------------------------------------------------------


def problems_on(page, what: str) -> list[str]:
    blocking = [v for v in accessibility_violations(page) if v["impact"] in ("serious", "critical")]
    return [
        f"{what} ({page.url}): {v['id']} ({v['impact']}): {v['help']}: "
        + "; ".join(n["target"] for n in v["nodes"][:4])
        for v in blocking
    ]


def sign_in(page, portal: str, person: Person) -> list[str]:
    page.goto(f"{portal}/accounts/login/")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    found = []
    if "/accounts/2fa/authenticate/" in page.url:
        found = problems_on(page, f"the second-factor step ({person.name})")
        pass_mfa(page)  # and waits for the next code if this one was taken
    try:
        wait_signed_in(page, timeout=10_000)
    except Exception as error:
        raise AssertionError(f"{person.name} not signed in: {page.url}\n{page.inner_text('main')}") from error
    return found


def visit(page, portal: str, what: str, url: str) -> list[str]:
    response = page.goto(f"{portal}{url}")
    page.wait_for_load_state()
    if response is None or response.status >= 400:
        return [f"{what} ({url}): HTTP {response.status if response else 'no response'}"]
    return problems_on(page, what) + too_wide(page, what)


def too_wide(page, what: str) -> list[str]:
    """The page fits its person's screen: nothing makes the whole page scroll sideways (a wide
    table scrolls in its own box, if at all). Names the first elements that stick out past it."""
    width = page.evaluate("() => document.documentElement.clientWidth")
    scrolled = page.evaluate("() => document.documentElement.scrollWidth")
    if scrolled <= width:
        return []
    out = page.evaluate(
        """(width) => [...document.querySelectorAll("main *, header *")]
          .filter(el => el.getBoundingClientRect().right > width + 1)
          .filter(el => !el.parentElement || el.parentElement.getBoundingClientRect().right <= width + 1)
          .slice(0, 4)
          .map(el => `${el.tagName.toLowerCase()}${el.className ? "." + String(el.className) : ""}`
                     + ` ends at ${Math.round(el.getBoundingClientRect().right)} px`)""",
        width,
    )
    return [f"{what} ({page.url}): {scrolled} px wide on a {width}-px screen: {'; '.join(out)}"]


# Screens kept for README.md (docs/screenshots/): (person, page) -> name.
SHOTS = {("agency admin", "notifications:policy_edit"): "policy-edit"}


def test_every_page_of_every_role_passes_axe_at_its_screen_size(portal, browser, screenshot):
    w = off_the_browser_thread(seed)
    problems: list[str] = []
    context = browser.new_context(**DESK)
    page = context.new_page()
    for what, url in public_pages(w):
        problems += visit(page, portal, f"{what} (signed out)", url)
    context.close()
    visited = 0
    for person in PEOPLE:
        context = browser.new_context(**person.viewport)
        page = context.new_page()
        problems += sign_in(page, portal, person)
        for what, url in pages_for(w, person):
            problems += visit(page, portal, f"{what} as the {person.name}", url)
            visited += 1
            if (person.name, what) in SHOTS:
                screenshot(page, SHOTS[person.name, what])
        context.close()
    assert visited > 60, visited
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def test_destructive_actions_look_destructive_and_ask_first(portal, browser, screenshot):
    """Deactivating someone is red (not the blue of 'Edit'), opens 'Are you sure…', and only its
    button there does it; 'Cancel' changes nothing."""
    off_the_browser_thread(seed_accounts)
    admin = next(p for p in PEOPLE if p.actor == Actor.PROVIDER_ADMIN)
    context = browser.new_context(**admin.viewport)
    page = context.new_page()
    sign_in(page, portal, admin)
    page.goto(f"{portal}/people/")
    deactivate = page.get_by_role("link", name="Deactivate guard@sentinel.example")
    edit = page.get_by_role("link", name="Edit guard@sentinel.example")
    colour = "el => getComputedStyle(el).color"
    assert deactivate.evaluate(colour) != edit.evaluate(colour)
    danger = page.evaluate(
        """() => { const probe = document.createElement("span"); probe.style.color = "var(--error)";
        document.body.append(probe); const colour = getComputedStyle(probe).color; probe.remove();
        return colour; }"""
    )
    assert deactivate.evaluate(colour) == danger
    deactivate.click()
    page.get_by_role("heading", name="What will happen").wait_for()
    assert "Are you sure you want to deactivate" in page.inner_text("main")
    assert problems_on(page, "the confirmation page") == []
    screenshot(page, "confirm-deactivate")
    page.get_by_role("link", name="Cancel, keep it as it is").click()
    page.wait_for_url(f"{portal}/people/")
    assert User.objects.get(email="guard@sentinel.example").is_active
    page.get_by_role("link", name="Deactivate guard@sentinel.example").click()
    page.get_by_role("button", name="Deactivate").click()
    page.get_by_text("deactivated.").wait_for()
    assert not User.objects.get(email="guard@sentinel.example").is_active
    assert page.get_by_role("link", name="Reactivate guard@sentinel.example").is_visible()
    context.close()
