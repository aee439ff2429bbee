"""Who may open each endpoint: the declaration the authorization matrix checks.

Every named URL (pages, the API's router, allauth, the admin) and every websocket route has a rule
here; tests/test_access_matrix.py requests each one as every kind of user, on their own tenant's
object and on another tenant's, and compares what happens with the rule. A new endpoint without a
rule fails that test: add one line to ``ACCESS`` (or ``SOCKETS``) below. This is the one table of
expected outcomes for the whole product.

The rules only say what the user of each role should get; the decisions themselves are made by
the policy of the app that owns each model (incidents/policy.py, dispatch/policy.py,
notifications/policy.py, debriefs/policy.py, audit/policy.py, over the tenancy core in
accounts/policy.py), which the views, the API and the consumers ask.

How to read a rule: ``rule(ALLOWED_ROLES, tenant=..., finds=..., ...)``

- who is in ``allow`` gets through (a page, a redirect after a post, even a 400 or 409 for the
  minimal data the test posts: only the door is declared, not the form);
- a signed-in user who is not gets 403 (``refused``), an anonymous one the sign-in page (pages),
  401 (the API) or a closed socket (code 4403);
- ``tenant=True``: the URL names one tenant's object (an incident, a membership...). Who is not in
  ``finds`` (default: ``allow``) cannot even find it: 404. Nobody finds another tenant's object
  (404) except those in ``everywhere`` (platform admins, who see every tenant's incidents);
- ``role_first``: the view checks the role before it looks the object up, so a refused role gets
  403 whatever the object (org admin pages), instead of 404 for another tenant's.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Actor(StrEnum):
    GUARD = "guard"
    SUPERVISOR = "supervisor"
    PROVIDER_ADMIN = "provider_admin"
    LIAISON = "liaison"
    AGENCY_ADMIN = "agency_admin"
    PLATFORM = "platform"  # Django staff, in no organization
    NOBODY = "nobody"  # signed in, in no organization
    ANONYMOUS = "anonymous"


class Tenant(StrEnum):
    OWN = "own"  # the actor's organization's object (provider A, or agency X)
    OTHER = "other"  # another organization's (provider B, agency Y)


class Outcome(StrEnum):
    ALLOWED = "allowed"
    ADMITTED = "admitted"  # third-party views: past the sign-in; the app decides the rest
    FORBIDDEN = "403"
    NOT_FOUND = "404"
    LOGIN = "login"  # redirected to the sign-in page
    UNAUTHORIZED = "401"  # the API, without credentials
    CLOSED = "4403"  # a websocket closed at the handshake


GUARD, SUPERVISOR, PROVIDER_ADMIN = Actor.GUARD, Actor.SUPERVISOR, Actor.PROVIDER_ADMIN
LIAISON, AGENCY_ADMIN, PLATFORM, NOBODY = Actor.LIAISON, Actor.AGENCY_ADMIN, Actor.PLATFORM, Actor.NOBODY

PROVIDER_SIDE = frozenset({GUARD, SUPERVISOR, PROVIDER_ADMIN})
AGENCY_SIDE = frozenset({LIAISON, AGENCY_ADMIN})
MEMBERS = PROVIDER_SIDE | AGENCY_SIDE
SIGNED_IN = MEMBERS | {PLATFORM, NOBODY}
ORG_ADMINS = frozenset({PROVIDER_ADMIN, AGENCY_ADMIN})
# Who sees an escalated incident (and its evidence, escalation, debrief): both sides of it, and
# platform admins. The matrix's incidents are escalated, so the agency's people see them.
INCIDENT_VIEWERS = MEMBERS | {PLATFORM}
MESSAGING = frozenset({GUARD, SUPERVISOR, LIAISON})
# API tokens: org admins keep their organization's, liaisons their own (nobody issues a token acting
# as someone who must use a second factor but that person).
TOKEN_KEEPERS = ORG_ADMINS | {LIAISON}
# A bulletin: its agency's people, the guards and supervisors of the sites it reached, platform admins.
BULLETIN_VIEWERS = frozenset({GUARD, SUPERVISOR, LIAISON, AGENCY_ADMIN, PLATFORM})
# A site's safety profile: its provider's supervisors and admins, its partnering agency's people.
PROFILE_READERS = frozenset({SUPERVISOR, PROVIDER_ADMIN, LIAISON, AGENCY_ADMIN, PLATFORM})
# Preparedness: the provider's supervisors and admins write plans; both sides' staff run drills,
# briefings and community events; a site's plans and drills are seen by its people on both sides.
PROVIDER_STAFF = frozenset({SUPERVISOR, PROVIDER_ADMIN})
# Analytics: supervisors, liaisons and both sides' admins (their own side's), platform admins (all).
ANALYTICS = frozenset({SUPERVISOR, PROVIDER_ADMIN, LIAISON, AGENCY_ADMIN, PLATFORM})
STAFF = PROVIDER_STAFF | AGENCY_SIDE
PLAN_VIEWERS = MEMBERS | {PLATFORM}
BRIEFING_ATTENDEES = frozenset({GUARD, SUPERVISOR, LIAISON})


@dataclass(frozen=True)
class Rule:
    allow: frozenset[Actor]
    method: str = "GET"
    tenant: bool = False
    finds: frozenset[Actor] = frozenset()
    everywhere: frozenset[Actor] = frozenset()
    role_first: bool = False
    public: bool = False
    refused: Outcome = Outcome.FORBIDDEN
    fixed: Outcome | None = None
    subject: str = ""
    args: Mapping[str, str] = field(default_factory=dict)
    note: str = ""

    def expected(self, actor: Actor, tenant: Tenant, *, kind: str) -> Outcome:
        """What ``actor`` gets on ``tenant``'s object; ``kind``: "page", "api", "socket" or "third-party"."""
        if self.fixed is not None:
            return self.fixed
        allowed = Outcome.ALLOWED if kind != "third-party" else Outcome.ADMITTED
        if actor == Actor.ANONYMOUS:
            if self.public:
                return allowed
            return {"api": Outcome.UNAUTHORIZED, "socket": Outcome.CLOSED}.get(kind, Outcome.LOGIN)
        refused = Outcome.CLOSED if kind == "socket" else self.refused
        if actor in self.allow and not self.tenant:
            return allowed
        if not self.tenant or (self.role_first and actor not in self.allow):
            return refused
        found = actor in self.finds and (tenant == Tenant.OWN or actor in self.everywhere)
        if not found:
            return Outcome.CLOSED if kind == "socket" else Outcome.NOT_FOUND
        return allowed if actor in self.allow else refused


def rule(
    allow: Iterable[Actor] = (),
    *,
    method: str = "GET",
    tenant: bool = False,
    finds: Iterable[Actor] | None = None,
    everywhere: Iterable[Actor] = (PLATFORM,),
    role_first: bool = False,
    public: bool = False,
    refused: Outcome = Outcome.FORBIDDEN,
    fixed: Outcome | None = None,
    subject: str = "",
    args: Mapping[str, str] | None = None,
    note: str = "",
) -> Rule:
    """A rule. ``subject`` names the kind of object when it is not the usual one ("draft": the
    guard's unsent report); ``args`` are fixed URL arguments (an action's name)."""
    allowed = frozenset(allow)
    return Rule(
        allow=allowed,
        method=method,
        tenant=tenant,
        finds=allowed if finds is None else frozenset(finds),
        everywhere=frozenset(everywhere),
        role_first=role_first,
        public=public,
        refused=refused,
        fixed=fixed,
        subject=subject,
        args=args or {},
        note=note,
    )


def anyone(*, method: str = "GET") -> Rule:
    """Public: signed in or not."""
    return rule(SIGNED_IN, method=method, public=True)


def org_admins(*, method: str = "GET", tenant: bool = False) -> Rule:
    """An organization's own admins, on their own organization's people and configuration.
    Platform admins manage organizations in the Django admin instead (403 here)."""
    return rule(ORG_ADMINS, method=method, tenant=tenant, role_first=True, everywhere=())


def incident(
    allow: Iterable[Actor] = INCIDENT_VIEWERS,
    *,
    method: str = "GET",
    args: Mapping[str, str] | None = None,
    note: str = "",
) -> Rule:
    """An escalated incident, or its evidence, escalation or debrief: whoever sees it finds it."""
    return rule(allow, method=method, tenant=True, finds=INCIDENT_VIEWERS, args=args, note=note)


def draft(*, method: str = "GET") -> Rule:
    """A guard's unsent report: nobody but its reporter sees it, platform admins included."""
    return rule({GUARD}, method=method, tenant=True, everywhere=(), subject="draft")


POST = "POST"

# URL name -> its rule, or several (different methods or fixed arguments of one URL).
ACCESS: dict[str, Rule | tuple[Rule, ...]] = {
    # portal
    "home": rule(SIGNED_IN),
    "healthz": anyone(),
    "healthz_detail": rule({PLATFORM}, note="the heartbeats behind /healthz"),
    # The installable guard app: its manifest, its service worker and the page shown offline hold no data.
    "webapp_manifest": anyone(),
    "service_worker": anyone(),
    "offline": anyone(),
    "notifications:health": rule({PLATFORM}, note="the platform's heartbeats"),
    "account_signup": rule(fixed=Outcome.NOT_FOUND, note="no sign-up, only invitations: 404 for all"),
    "api-schema": rule(SIGNED_IN, note="the API's kind: 401 for anonymous"),
    "api-docs": rule(SIGNED_IN),
    # accounts: people, invitations, API tokens
    "accounts:people": org_admins(),
    "accounts:invite": org_admins(),
    "accounts:member_edit": org_admins(tenant=True),
    # destructive actions: GET is the confirmation page ("Are you sure…"), POST does it
    "accounts:member_set_active": (org_admins(tenant=True), org_admins(method=POST, tenant=True)),
    "accounts:invitation_revoke": (org_admins(tenant=True), org_admins(method=POST, tenant=True)),
    "accounts:invitation_accept": anyone(),
    "accounts:tokens": rule(TOKEN_KEEPERS, note="org admins: the organization's; liaisons: their own"),
    "accounts:token_issue": rule(TOKEN_KEEPERS),
    "accounts:token_revoke": tuple(
        rule(TOKEN_KEEPERS, method=m, tenant=True, role_first=True, everywhere=(), note="a liaison's own")
        for m in ("GET", POST)
    ),
    # incidents
    "incidents:list": rule(SIGNED_IN),
    "incidents:report": rule({GUARD, SUPERVISOR}),
    "incidents:triage": rule({SUPERVISOR}),
    "incidents:detail": (incident(), draft()),
    "incidents:edit": incident({SUPERVISOR, PROVIDER_ADMIN}),
    "incidents:submit": draft(method=POST),
    "incidents:answer": incident({GUARD}, method=POST, note="the reporter answers the supervisor's question"),
    "incidents:triage_action": incident({SUPERVISOR}, method=POST),
    "incidents:add_note": incident(PROVIDER_SIDE, method=POST),
    "incidents:add_party": incident(PROVIDER_SIDE, method=POST),
    "incidents:add_vehicle": incident(PROVIDER_SIDE, method=POST),
    # privacy: a supervisor releases a party's redacted fields to an agency, or ends its share
    "incidents:release_party": incident({SUPERVISOR}, method=POST),
    "incidents:end_share": incident({SUPERVISOR}, method=POST),
    "incidents:legal_hold": incident(
        PROVIDER_STAFF, method=POST, note="the provider's supervisors and org admins place and lift it"
    ),
    "incidents:give_purpose": incident(
        method=POST, note="an agency's reader states a purpose; the provider's side is told it needs none"
    ),
    "incidents:evidence_upload": incident(PROVIDER_SIDE, method=POST),
    "incidents:evidence_detail": incident(),
    "incidents:evidence_download": incident(),
    "incidents:evidence_thumbnail": incident(),
    # privacy: a supervisor or admin of the provider hides areas of a photo from the agency
    "incidents:evidence_redact": incident(PROVIDER_STAFF, method=POST),
    # dispatch: the board, escalations, messages, panic
    "dispatch:board": rule(AGENCY_SIDE),
    "dispatch:history": rule(AGENCY_SIDE),
    "dispatch:preferences": rule(AGENCY_SIDE, method=POST),
    "dispatch:panel": incident(),
    "dispatch:access_flags": rule(
        {AGENCY_ADMIN}, note="the access review's flags, for the agency's org admins"
    ),
    "dispatch:act": (
        incident({LIAISON}, method=POST, args={"action": "accept"}),
        incident({SUPERVISOR}, method=POST, args={"action": "cancel"}),
    ),
    "dispatch:escalate": incident({SUPERVISOR}, method=POST),
    "dispatch:message": incident(MESSAGING, method=POST),
    "dispatch:panic": rule({GUARD}, method=POST),
    "dispatch:panic_cancel": incident({GUARD}, method=POST, note="the guard who pressed it"),
    "dispatch:panic_move": incident({GUARD}, method=POST, note="the guard who pressed it"),
    "dispatch:cad_codes": (rule(AGENCY_SIDE), rule({AGENCY_ADMIN}, method=POST)),
    "dispatch:site_profiles": rule(PROFILE_READERS),
    "dispatch:floor_plan_add": rule({SUPERVISOR}, method=POST, tenant=True, finds=PROFILE_READERS),
    "dispatch:floor_plan": rule(PROFILE_READERS, tenant=True),
    "dispatch:site_profile": (
        rule(PROFILE_READERS, tenant=True),
        rule(
            {SUPERVISOR}, method=POST, tenant=True, finds=PROFILE_READERS, note="the provider's supervisors"
        ),
    ),
    # bulletins: the matrix's are each agency's, to its own tenant's provider
    "bulletins:list": rule(BULLETIN_VIEWERS, note="provider org admins are not on site: none"),
    "bulletins:live": rule({GUARD, SUPERVISOR}),
    "bulletins:new": (rule({LIAISON}), rule({LIAISON}, method=POST)),
    "bulletins:detail": rule(BULLETIN_VIEWERS, tenant=True),
    "bulletins:cap": rule(BULLETIN_VIEWERS, tenant=True),
    "bulletins:photo": rule(BULLETIN_VIEWERS, tenant=True, note="its audience only; downloads audited"),
    "bulletins:answers": rule({LIAISON, AGENCY_ADMIN, PLATFORM}, tenant=True, finds=BULLETIN_VIEWERS),
    "bulletins:read": rule({GUARD, SUPERVISOR}, method=POST, tenant=True, finds=BULLETIN_VIEWERS),
    "bulletins:sighting": rule({GUARD, SUPERVISOR}, method=POST, tenant=True, finds=BULLETIN_VIEWERS),
    "bulletins:update": (
        rule({LIAISON}, tenant=True, finds=BULLETIN_VIEWERS),
        rule({LIAISON}, method=POST, tenant=True, finds=BULLETIN_VIEWERS),
    ),
    "bulletins:cancel": rule({LIAISON}, method=POST, tenant=True, finds=BULLETIN_VIEWERS),
    # notifications
    "notifications:inbox": rule(SIGNED_IN),
    "notifications:read": rule(SIGNED_IN, method=POST, tenant=True, everywhere=(), note="one's own"),
    "notifications:read_all": rule(SIGNED_IN, method=POST),
    "notifications:acknowledge": rule(
        SIGNED_IN, method=POST, tenant=True, everywhere=(), note="one's own; 409 when it asks for none"
    ),
    "notifications:acknowledge_incident": incident(method=POST),
    "notifications:settings": rule(SIGNED_IN),
    "accounts:time_zone": rule(SIGNED_IN, note="one's own zone"),
    "accounts:retention": (
        rule(ORG_ADMINS, note="one's own organization's periods; platform admins use the Django admin"),
        rule(ORG_ADMINS, method=POST),
    ),
    "accounts:debrief_rule": (
        rule({PROVIDER_ADMIN}, note="the provider's own rule; platform admins use the Django admin"),
        rule({PROVIDER_ADMIN}, method=POST),
    ),
    "notifications:duty": rule({LIAISON, SUPERVISOR}, method=POST),
    "notifications:desk": rule(
        {SUPERVISOR}, note="the supervisor's desk panels (their home fetches them live)"
    ),
    "notifications:policies": org_admins(),
    "notifications:policy_new": org_admins(),
    "notifications:policy_levels": rule(
        {AGENCY_ADMIN},
        method=POST,
        role_first=True,
        everywhere=(),
        note="an agency's admins only: a provider's admin is refused (403)",
    ),
    "notifications:policy_edit": org_admins(tenant=True),
    "notifications:policy_delete": (org_admins(tenant=True), org_admins(method=POST, tenant=True)),
    "notifications:endpoints": org_admins(),
    "notifications:endpoint_new": org_admins(),
    "notifications:endpoint": org_admins(tenant=True),
    "notifications:endpoint_test": org_admins(method=POST, tenant=True),
    "notifications:endpoint_rotate": (org_admins(tenant=True), org_admins(method=POST, tenant=True)),
    "notifications:endpoint_delete": (org_admins(tenant=True), org_admins(method=POST, tenant=True)),
    # debriefs (of a closed, escalated incident) and corrective actions
    # analytics: counts of what the policy lets each side count
    "analytics:dashboard": rule({SUPERVISOR, PROVIDER_ADMIN, LIAISON, AGENCY_ADMIN, PLATFORM}),
    "analytics:incidents_csv": rule({SUPERVISOR, PROVIDER_ADMIN, LIAISON, AGENCY_ADMIN, PLATFORM}),
    "analytics:incident_json": incident(),
    "analytics:incident_pdf": incident(),
    # a partnership's scorecard and its reports: both sides of the pair (the role before the pair)
    "analytics:partnerships": rule(ANALYTICS),
    "analytics:scorecard": rule(ANALYTICS, tenant=True, role_first=True),
    "analytics:request_report": rule(ANALYTICS, method=POST, tenant=True, role_first=True),
    "analytics:report": rule(ANALYTICS, tenant=True, role_first=True),
    "analytics:report_pdf": rule(ANALYTICS, tenant=True, role_first=True),
    "debriefs:index": rule(MEMBERS),
    "debriefs:actions": rule(SIGNED_IN),
    "debriefs:agency_queue": rule({LIAISON}),
    "debriefs:update_action": rule(
        {GUARD, SUPERVISOR},
        method=POST,
        tenant=True,
        finds=PROVIDER_SIDE,
        everywhere=(),
        note="the matrix's action is owned by the guard",
    ),
    "debriefs:detail": incident(),
    "debriefs:status": incident(),
    "debriefs:pdf": incident(),
    "debriefs:edit": incident({SUPERVISOR}, method=POST),
    "debriefs:agency": incident({LIAISON}, method=POST),
    "debriefs:review": incident(
        {SUPERVISOR}, method=POST, note="and org admins where the provider lets them (not the default)"
    ),
    "debriefs:revise": incident({SUPERVISOR}, method=POST),
    "debriefs:incident": incident(),
    "debriefs:request": incident({SUPERVISOR}, method=POST),
    "debriefs:add_action": incident({SUPERVISOR}, method=POST),
    # patrols: the guard's shift on the phone, the supervisors' board and sites, daily activity reports
    "patrols:shift": rule({GUARD}),
    "patrols:start": rule({GUARD}, method=POST),
    "patrols:scan": rule({GUARD}, method=POST),
    "patrols:check_in": rule({GUARD}, method=POST),
    "patrols:notes": rule({GUARD}, method=POST),
    "patrols:end": rule({GUARD}, method=POST),
    "patrols:board": rule({SUPERVISOR, PROVIDER_ADMIN}),
    "patrols:board_panel": rule({SUPERVISOR, PROVIDER_ADMIN}),
    "patrols:joint": rule(AGENCY_SIDE, note="the agency's own joint patrols"),
    "patrols:ask_joint": rule(AGENCY_SIDE, method=POST, note="only for a site partnered with the agency"),
    "patrols:end_for": rule(
        {SUPERVISOR, PROVIDER_ADMIN},
        method=POST,
        tenant=True,
        role_first=True,
        everywhere=(),
        note="the service then asks for a supervisor and a reason",
    ),
    "patrols:acknowledge": rule(
        {SUPERVISOR, LIAISON},
        method=POST,
        tenant=True,
        finds={GUARD, SUPERVISOR, PROVIDER_ADMIN, LIAISON, PLATFORM},
        note="never the guard's own; the liaison once the ladder reached the agency",
    ),
    "patrols:site": rule({SUPERVISOR, PROVIDER_ADMIN}, tenant=True, everywhere=()),
    "patrols:qr_sheet": rule({SUPERVISOR, PROVIDER_ADMIN}, tenant=True, everywhere=()),
    "patrols:start_for": rule(
        {SUPERVISOR, PROVIDER_ADMIN}, method=POST, tenant=True, role_first=True, everywhere=()
    ),
    "patrols:add_checkpoint": rule({SUPERVISOR, PROVIDER_ADMIN}, method=POST, tenant=True, everywhere=()),
    "patrols:add_tour": rule({SUPERVISOR, PROVIDER_ADMIN}, method=POST, tenant=True, everywhere=()),
    "patrols:update_settings": rule({SUPERVISOR, PROVIDER_ADMIN}, method=POST, tenant=True, everywhere=()),
    "patrols:request_report": rule({SUPERVISOR, PROVIDER_ADMIN}, method=POST, tenant=True, everywhere=()),
    "patrols:add_contact": rule(
        {PROVIDER_ADMIN}, method=POST, tenant=True, finds={SUPERVISOR, PROVIDER_ADMIN}, everywhere=()
    ),
    "patrols:remove_contact": rule(
        {PROVIDER_ADMIN}, method=POST, tenant=True, finds={SUPERVISOR, PROVIDER_ADMIN}, everywhere=()
    ),
    "patrols:daily_report": rule(
        PROVIDER_SIDE | {PLATFORM}, tenant=True, note="a guard: their own shifts' reports"
    ),
    "patrols:report_pdf": rule(PROVIDER_SIDE | {PLATFORM}, tenant=True),
    "patrols:review": rule({SUPERVISOR}, method=POST, tenant=True, finds=PROVIDER_SIDE | {PLATFORM}),
    "patrols:send": rule({SUPERVISOR}, method=POST, tenant=True, finds=PROVIDER_SIDE | {PLATFORM}),
    # preparedness: plans, drills, briefings, community events (and the public registration page)
    "preparedness:index": rule(MEMBERS),
    "preparedness:acknowledge": rule({GUARD}),
    "preparedness:plan_create": rule(PROVIDER_STAFF),
    "preparedness:plan": rule(PLAN_VIEWERS, tenant=True),
    "preparedness:plan_new_version": rule(PROVIDER_STAFF, method=POST, tenant=True, finds=PLAN_VIEWERS),
    "preparedness:version_action": (
        rule({GUARD}, method=POST, tenant=True, finds=PLAN_VIEWERS, args={"action": "acknowledge"}),
        rule(AGENCY_SIDE, method=POST, tenant=True, finds=PLAN_VIEWERS, args={"action": "approve"}),
        rule(STAFF, method=POST, tenant=True, finds=PLAN_VIEWERS, args={"action": "comment"}),
        rule(PROVIDER_STAFF, method=POST, tenant=True, finds=PLAN_VIEWERS, args={"action": "edit"}),
    ),
    "preparedness:attachment": rule(PLAN_VIEWERS, tenant=True),
    "preparedness:drill_create": rule(STAFF),
    "preparedness:drill": rule(PLAN_VIEWERS, tenant=True, note="the site's people, and the participants"),
    "preparedness:drill_cancel": rule(STAFF, method=POST, tenant=True, finds=PLAN_VIEWERS),
    "preparedness:drill_participants": rule(STAFF, method=POST, tenant=True, finds=PLAN_VIEWERS),
    "preparedness:drill_export": rule(STAFF, tenant=True, finds=PLAN_VIEWERS),
    "preparedness:briefing_create": rule(STAFF, note="staff of an organization with a partner"),
    "preparedness:briefing": rule(MEMBERS, tenant=True, everywhere=(), note="staff and attendees"),
    "preparedness:briefing_ics": rule(MEMBERS, tenant=True, everywhere=()),
    "preparedness:briefing_action": (
        rule(
            BRIEFING_ATTENDEES,
            method=POST,
            tenant=True,
            finds=MEMBERS,
            everywhere=(),
            args={"action": "rsvp"},
        ),
        rule(STAFF, method=POST, tenant=True, finds=MEMBERS, everywhere=(), args={"action": "minutes"}),
    ),
    "preparedness:decision_action": rule(
        STAFF,
        method=POST,
        tenant=True,
        finds=MEMBERS,
        everywhere=(),
        args={"action": "assign"},
        note="the briefing's staff; the guard owns the action (tracked on debriefs' actions page)",
    ),
    "preparedness:event_create": rule(STAFF),
    "preparedness:event": rule(STAFF, tenant=True, everywhere=(), note="organizers: staff and hosts"),
    "preparedness:event_action": rule(
        STAFF, method=POST, tenant=True, everywhere=(), args={"action": "attendance"}
    ),
    "preparedness:public_event": rule(
        SIGNED_IN, tenant=True, public=True, finds=SIGNED_IN, everywhere=SIGNED_IN, note="no sign-in"
    ),
    # audit
    # exports: signed evidence bundles of an escalated incident; each side sees its own people's
    # bundles (the matrix makes one on each side); what an investigator needs is public
    "exports:incident": (
        incident({SUPERVISOR, LIAISON}, note="the provider's supervisors, the agency's liaisons"),
        incident({SUPERVISOR, LIAISON}, method=POST),
    ),
    "exports:ics214": rule(
        {SUPERVISOR, PROVIDER_ADMIN, LIAISON, AGENCY_ADMIN},
        tenant=True,
        finds=INCIDENT_VIEWERS,
        subject="closed",
        note="a closed incident's ICS-214 PDF",
    ),
    "exports:drill_ics214": rule(
        PLAN_VIEWERS, tenant=True, note="a drill's ICS-214 PDF (EXERCISE): whoever sees the drill"
    ),
    "exports:status": rule({SUPERVISOR, LIAISON}, tenant=True, everywhere=(), note="its side's bundle"),
    "exports:download": rule({SUPERVISOR, LIAISON}, tenant=True, everywhere=()),
    "exports:verify": anyone(),
    "exports:verifier": anyone(),
    "exports:public_key": anyone(),
    "audit:trail": rule(ORG_ADMINS | {PLATFORM}),
    # the API (anonymous: 401)
    "api:api-root": rule(SIGNED_IN),
    "api:incident-list": (
        rule(SIGNED_IN),
        rule({GUARD, SUPERVISOR}, method=POST, note="own site in the body"),
    ),
    "api:incident-detail": (incident(), draft(), incident({SUPERVISOR, PROVIDER_ADMIN}, method="PATCH")),
    "api:incident-submit": draft(method=POST),
    "api:incident-accept": incident({SUPERVISOR}, method=POST),
    "api:incident-request-info": incident({SUPERVISOR}, method=POST),
    "api:incident-close": incident({SUPERVISOR}, method=POST),
    "api:incident-timeline": incident(),
    "api:incident-notes": (incident(), incident(PROVIDER_SIDE, method=POST)),
    "api:incident-parties": (incident(), incident(PROVIDER_SIDE, method=POST)),
    "api:incident-vehicles": (incident(), incident(PROVIDER_SIDE, method=POST)),
    "api:incident-evidence": (incident(), incident(PROVIDER_SIDE, method=POST)),
    "api:evidence-detail": incident(),
    "api:evidence-download": incident(),
    "api:category-list": rule(SIGNED_IN),
    "api:category-detail": rule(SIGNED_IN),
    "api:site-list": rule(SIGNED_IN),
    "api:site-detail": rule(INCIDENT_VIEWERS, tenant=True),
    "api:escalation-list": (
        rule(SIGNED_IN),
        incident({SUPERVISOR}, method=POST, note="incident in the body"),
    ),
    "api:escalation-detail": incident(),
    "api:escalation-step": (
        incident({LIAISON}, method=POST, args={"step": "accept"}),
        incident({SUPERVISOR}, method=POST, args={"step": "cancel"}),
    ),
    "api:escalation-messages": incident(MESSAGING, method=POST),
    "api:eido-detail": incident(
        {SUPERVISOR, PROVIDER_ADMIN, LIAISON, AGENCY_ADMIN}, note="an escalated incident as a NENA EIDO"
    ),
    "api:escalation-cad-status": incident(
        {LIAISON}, method=POST, note="the agency's CAD, with a liaison's token"
    ),
    "api:panic-list": rule({GUARD}, method=POST),
    "api:board-event-list": rule(AGENCY_SIDE),
    "api:bulletin-list": rule(BULLETIN_VIEWERS),
    "api:bulletin-detail": rule(BULLETIN_VIEWERS, tenant=True),
    "api:bulletin-read": rule({GUARD, SUPERVISOR}, method=POST, tenant=True, finds=BULLETIN_VIEWERS),
    "api:shift-list": (rule(SIGNED_IN, note="each sees only their own"), rule({GUARD}, method=POST)),
    "api:shift-detail": rule(PROVIDER_SIDE | {PLATFORM}, tenant=True, note="a guard: their own shifts"),
    "api:shift-end": rule({GUARD, SUPERVISOR}, method=POST, tenant=True, finds=PROVIDER_SIDE | {PLATFORM}),
    "api:scan-list": rule({GUARD}, method=POST),
    "api:check-in-list": rule({GUARD}, method=POST),
    "api:daily-report-list": rule(SIGNED_IN, note="each sees only their own"),
    "api:daily-report-detail": rule(PROVIDER_SIDE | {PLATFORM}, tenant=True),
    "api:daily-report-pdf": rule(PROVIDER_SIDE | {PLATFORM}, tenant=True),
}

# Websocket routes (portal/routing.py), by their route's name.
SOCKETS: dict[str, Rule] = {
    "board": rule(AGENCY_SIDE),
    "incident": incident(),
    "bulletins": rule(
        {GUARD, SUPERVISOR} | AGENCY_SIDE,
        note="a guard's or supervisor's joins their own sites' groups; an agency's people its own group",
    ),
    "notifications": rule(
        SIGNED_IN, note="supervisors' sockets also join their own provider's triage group (live count)"
    ),
    "patrols_joint": rule(AGENCY_SIDE, note="joins its own agency's joint-patrol group only"),
    "patrols_board": rule(
        {SUPERVISOR, PROVIDER_ADMIN}, note="joins its own provider's patrol-board group only"
    ),
}

# Third-party URLs: one rule for each app's every URL. The admin (its namespace): staff only,
# everyone else is sent to its sign-in page; what a platform admin may do inside is Django's model
# permissions (tests/portal/test_admin.py). allauth (its views' module): its pages for a signed-in
# user ask for a session; sign-in, password reset and MFA-at-sign-in pages are for anyone.
ADMIN = rule({PLATFORM}, refused=Outcome.LOGIN)
ADMIN_DOORS = {
    "admin:login": rule(SIGNED_IN, note="signed in first (the portal's login), then staff only"),
    "admin:logout": rule(SIGNED_IN, note="sends a non-staff user to the admin's index"),
}
ALLAUTH = rule(SIGNED_IN)
PUBLIC_AUTH_PAGES = frozenset(
    {
        "account_login",
        "account_logout",
        "account_inactive",
        "account_email_verification_sent",
        "account_confirm_email",
        "account_reset_password",
        "account_reset_password_done",
        "account_reset_password_from_key",
        "account_reset_password_from_key_done",
    }
)


def rules_for(name: str, module: str) -> tuple[tuple[Rule, ...], str] | None:
    """The rules of a URL (by its name and its view's module) and its kind, or None if undeclared."""
    if name in ACCESS:
        found = ACCESS[name]
        kind = "api" if name.startswith(("api:", "api-schema")) else "page"
        return (found if isinstance(found, tuple) else (found,)), kind
    if name.startswith("admin:"):
        return (ADMIN_DOORS.get(name, ADMIN),), "third-party"
    if module.startswith("allauth."):
        return (anyone() if name in PUBLIC_AUTH_PAGES else ALLAUTH,), "third-party"
    return None
