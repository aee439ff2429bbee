"""The authorization matrix: every endpoint, as every role, on its own tenant's and another's objects.

Every named URL of the URL conf (pages, the API's router, allauth, the admin) and every websocket
route is requested as each kind of user, on an object of the user's own tenant (provider A, agency X)
and on one of another tenant (provider B, agency Y), and what happens is compared with the rule
declared in tests/access.py. A URL without a rule fails, naming where to declare it. Allowed
answers must not contain the other tenant's data.

The world is built once for the module (inside a transaction that is rolled back at the end); each
request runs in a savepoint that is rolled back, so one allowed POST never changes what the next
request sees.
"""

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.cookies import SimpleCookie
from types import SimpleNamespace
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponse
from django.test import Client, override_settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import ApiToken, Partnership, Role, Site
from analytics import services as analytics_services
from bulletins import services as bulletin_services
from debriefs import services as debrief_services
from debriefs.models import Debrief
from debriefs.tasks import request_debrief_task
from dispatch import services as dispatch_services
from exports import services as export_services
from exports.signing import generate_key_file
from incidents import services as incident_services
from notifications.models import Channel, EscalationPolicy, Kind, Notification, OutboxMessage, WebhookEndpoint
from patrols import services as patrol_services
from patrols.models import ClientContact, DailyReport, LoneWorkerAlert
from portal.routing import websocket_urlpatterns
from preparedness import services as preparedness_services
from preparedness.models import CommunityEvent, Drill, Plan, Registration, Scenario
from tests.access import ACCESS, AGENCY_SIDE, SOCKETS, Actor, Outcome, Rule, Tenant, rules_for
from tests.factories import member, report
from tests.incidents.evidence_samples import ORIGIN, jpeg, png
from tests.world import build_world

# One client for every request: each new one would load the middleware again (WhiteNoise scans
# the static files); its cookies are set anew for each request.
CLIENT = Client(raise_request_exception=False)
LEAK = "Qwzxv"  # in every text of the other tenant: an allowed answer to one of ours must not show it
# The redacted/internal column: in an internal note, an internal party and an internal photo's name,
# and in a victim's contact (hidden by the default redaction profile). No answer the agency's people
# get, on any endpoint, may show either.
INTERNAL = "Zkvq-internal"
REDACTED = "Zkvq-victim-phone"
ACTORS = list(Actor)
USERS = {
    Actor.GUARD: "guard_a",
    Actor.SUPERVISOR: "supervisor_a",
    Actor.PROVIDER_ADMIN: "admin_a",
    Actor.LIAISON: "liaison_x",
    Actor.AGENCY_ADMIN: "admin_x",
    Actor.PLATFORM: "platform",
    Actor.NOBODY: "nobody",
}
TENANT_PARAMS = {
    "incident_id",
    "evidence_id",
    "escalation_id",
    "debrief_id",
    "bundle_id",
    "action_id",
    "membership_id",
    "invitation_id",
    "token_id",
    "notification_id",
    "policy_id",
    "endpoint_id",
    "bulletin_id",
    "photo_id",
    "site_id",
    "plan_id",
    "floor_plan_id",
    "shift_id",
    "alert_id",
    "contact_id",
    "report_id",
    "partnership_id",
    "partnership_report_id",
    "version_id",
    "attachment_id",
    "drill_id",
    "briefing_id",
    "decision_id",
    "event_id",
    "id",
    "pk",
}


# --- The endpoints ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str
    module: str
    params: tuple[str, ...]

    def __str__(self) -> str:
        return self.name


def _walk(patterns: list[Any], namespace: str = "", params: tuple[str, ...] = ()) -> Iterator[Any]:
    for pattern in patterns:
        groups = params + tuple(pattern.pattern.regex.groupindex)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, inner, groups)
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield name, namespace, pattern, groups


def discover() -> tuple[list[Endpoint], list[str]]:
    """Every named URL (the first pattern of each name: format suffixes are the same view), and
    the unnamed ones outside the admin (whose own redirects and catch-all need no name)."""
    endpoints: dict[str, Endpoint] = {}
    unnamed = []
    for name, namespace, pattern, params in _walk(get_resolver().url_patterns):
        if not name:
            if namespace != "admin":
                unnamed.append(str(pattern.pattern))
            continue
        if name not in endpoints and "format" not in params:
            endpoints[name] = Endpoint(name, pattern.callback.__module__, params)
    return list(endpoints.values()), unnamed


ENDPOINTS, UNNAMED = discover()
SOCKET_ROUTES = {route.name: route for route in websocket_urlpatterns}


def test_every_url_has_a_name_and_a_rule():
    assert not UNNAMED, f"name these URL patterns (the access rules go by name): {UNNAMED}"
    missing = [e.name for e in ENDPOINTS if rules_for(e.name, e.module) is None]
    assert not missing, f"declare who may open {missing} in tests/access.py (ACCESS)"
    sockets = [str(route.pattern) for name, route in SOCKET_ROUTES.items() if name not in SOCKETS]
    assert not sockets, (
        f"name these websocket routes and declare them in tests/access.py (SOCKETS): {sockets}"
    )


def test_no_rule_outlives_its_url():
    names = {e.name for e in ENDPOINTS}
    assert not set(ACCESS) - names, f"rules for URLs that no longer exist: {set(ACCESS) - names}"
    assert not set(SOCKETS) - set(SOCKET_ROUTES), "rules for websocket routes that no longer exist"


# --- The world -------------------------------------------------------------------------------


def _tenant(w: SimpleNamespace, *, mark: str, provider, agency, site, people) -> SimpleNamespace:
    """One tenant's objects: an escalated incident with a photo, a closed one with its debrief and
    corrective action, invitations, API tokens, webhook endpoints and escalation policies."""
    guard, supervisor, admin, liaison, agency_admin = people
    t = SimpleNamespace(site=site, mark=mark, guard=guard)
    t.draft = report(guard, site, submit=False, narrative=f"{mark} draft")
    t.incident = report(
        guard,
        site,
        narrative=f"{mark} took two jackets",
        location=f"{mark} loading bay",
        parties=[
            incident_services.PartyInput(role="witness", description=f"{mark} tall", name=f"{mark} Doe")
        ],
    )
    incident_services.add_note(incident=t.incident, by=supervisor, text=f"{mark} note")
    incident_services.add_note(incident=t.incident, by=supervisor, text=f"{mark} {INTERNAL}", internal=True)
    t.victim = incident_services.add_party(
        incident=t.incident,
        by=supervisor,
        party=incident_services.PartyInput(
            role="victim", description=f"{mark} victim", name=f"{mark} Roe", contact=f"{mark} {REDACTED}"
        ),
    )
    incident_services.add_party(
        incident=t.incident,
        by=supervisor,
        party=incident_services.PartyInput(
            role="witness", description=f"{mark} {INTERNAL}", name=f"{mark} {INTERNAL}", internal=True
        ),
    )
    incident_services.add_evidence(
        incident=t.incident,
        by=supervisor,
        upload=SimpleUploadedFile(f"{INTERNAL}.jpg", jpeg((32, 24)), "image/jpeg"),
        client_sha256=None,
        origin=ORIGIN,
        internal=True,
    )
    t.evidence = incident_services.add_evidence(
        incident=t.incident,
        by=guard,
        upload=SimpleUploadedFile("photo.jpg", jpeg((64, 48)), "image/jpeg"),
        client_sha256=None,
        origin=ORIGIN,
    )
    t.escalation = dispatch_services.escalate_incident(
        incident=t.incident, by=supervisor, reason=f"{mark} why"
    )
    t.incident.refresh_from_db()

    t.closed = report(guard, site, narrative=f"{mark} broken window")
    escalation = dispatch_services.escalate_incident(incident=t.closed, by=supervisor)
    dispatch_services.accept_escalation(escalation=escalation, by=liaison)
    dispatch_services.clear_escalation(escalation=escalation, by=liaison, disposition=f"{mark} report taken")
    incident_services.close_incident(incident=t.closed, by=supervisor, resolution=f"{mark} window fixed")
    request_debrief_task(t.closed.pk, supervisor.pk)
    t.debrief = debrief_services.draft_debrief(debrief=Debrief.objects.get(incident=t.closed))
    t.debrief.pdf.save("debrief.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    t.debrief.pdf_status = Debrief.Pdf.READY
    t.debrief.save()
    t.action = debrief_services.add_corrective_action(
        incident=t.closed,
        by=supervisor,
        what=f"{mark} fix the lock",
        owner=guard,
        due_date=timezone.localdate() + timedelta(days=7),
    )

    t.bulletin = bulletin_services.publish_bulletin(
        by=liaison,
        data=bulletin_services.BulletinInput(
            kind="vehicle",
            title=f"{mark} grey van",
            description=f"{mark} dented door",
            expires_at=timezone.now() + timedelta(days=1),
        ),
        audience="providers",
        providers=[provider],
        photos=[SimpleUploadedFile("van.png", png(), "image/png")],
    )

    t.floor_plan = dispatch_services.add_floor_plan(
        site=site,
        by=supervisor,
        upload=SimpleUploadedFile("plan.png", png(), "image/png"),
        name=f"{mark} plan",
    )

    # Patrols: an ended shift with its daily activity report (a PDF), an open one whose missed
    # check-in climbed to the agency, a client contact and a checkpoint.
    ended = patrol_services.start_shift(guard=guard, site=site, by=guard)
    patrol_services.add_checkpoint(site=site, by=supervisor, name=f"{mark} gate")
    patrol_services.end_shift(shift=ended, by=guard, notes=f"{mark} quiet night")
    t.report = DailyReport.objects.get(shift=ended)
    t.report.pdf.save("dar.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    t.report.status = DailyReport.Status.READY
    t.report.save()
    t.shift = patrol_services.start_shift(guard=guard, site=site, by=guard)
    t.alert = LoneWorkerAlert.objects.create(
        shift=t.shift, due_at=timezone.now(), raised_at=timezone.now(), step=LoneWorkerAlert.Step.AGENCY
    )
    t.contact = ClientContact.objects.create(
        site=site, name=f"{mark} client", email=f"{mark}@client.example".lower()
    )
    # A bundle of the escalated incident made on each side (each side sees its own people's).
    t.bundles = {
        side: export_services.build_bundle(
            bundle=export_services.request_bundle(
                incident=t.incident, by=by, purpose=f"{mark} case", origin=ORIGIN
            )
        )
        for side, by in (("provider", supervisor), ("agency", liaison))
    }

    # The pair's scorecard and a report of it, asked for by the provider's supervisor.
    t.partnership = Partnership.objects.get(provider=provider, agency=agency)
    t.partnership_report = analytics_services.build_partnership_report(
        report=analytics_services.request_partnership_report(
            partnership=t.partnership, by=supervisor, month=timezone.localdate()
        )
    )

    t.members = {"provider": guard.membership, "agency": liaison.membership}
    t.invitations, t.invitation_tokens, t.api_tokens, t.endpoints, t.policies = {}, {}, {}, {}, {}
    for side, organization, by, role, user in (
        ("provider", provider, admin, Role.GUARD, guard),
        ("agency", agency, agency_admin, Role.LIAISON, liaison),
    ):
        t.invitations[side], t.invitation_tokens[side] = account_services.invite_member(
            invited_by=by, organization=organization, email=f"{mark}-{side}@example.test".lower(), role=role
        )
        # A liaison issues their own token (an admin may not act as them).
        issuer = user if role == Role.LIAISON else by
        t.api_tokens[side], _ = account_services.issue_api_token(
            user=user, by=issuer, name=f"{mark} CAD", scope=ApiToken.Scope.WRITE
        )
        t.endpoints[side] = WebhookEndpoint.objects.create(
            organization=organization,
            name=f"{mark} pager",
            url="https://pager.example.test/hook",
            secret="s" * 40,
            events=["page"],
            created_by=by,
        )
        t.policies[side] = EscalationPolicy.objects.create(
            organization=organization, site=site, name=f"{mark} policy", updated_by=by
        )
    _preparedness(t, mark=mark, provider=provider, agency=agency, site=site, people=people)
    return t


def _preparedness(t: SimpleNamespace, *, mark: str, provider, agency, site, people) -> None:
    """One tenant's ERP (approved, with a PDF, acknowledged by its guard), drill, briefing with an
    action owned by the guard, and community event with a resident's registration."""
    guard, supervisor, _admin, liaison, _agency_admin = people
    t.plan = preparedness_services.create_plan(
        by=supervisor,
        site=site,
        kind=Plan.Kind.ERP,
        scenario=Scenario.FIRE,
        title=f"{mark} fire plan",
        sections=[(f"{mark} alarm", f"<p>{mark} press the button</p>")],
    )
    t.version = t.plan.versions.get()
    t.attachment = preparedness_services.attach_file(
        version=t.version, by=supervisor, upload=SimpleUploadedFile("map.pdf", b"%PDF-1.4 map")
    )
    preparedness_services.submit_for_approval(version=t.version, by=supervisor)
    preparedness_services.approve_version(version=t.version, by=liaison)
    preparedness_services.acknowledge_version(version=t.version, by=guard)
    now = timezone.now()
    t.drill = preparedness_services.schedule_drill(
        by=supervisor,
        site=site,
        scenario=Scenario.EVACUATION,
        title=f"{mark} evacuation drill",
        objectives=f"{mark} evacuate",
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, hours=1),
        participants=[guard, liaison],
    )
    # A drill whose window is over (moved back after scheduling, which refuses a past window): the
    # one whose ICS-214 the matrix asks for.
    t.past_drill = preparedness_services.schedule_drill(
        by=supervisor,
        site=site,
        scenario=Scenario.FIRE,
        title=f"{mark} fire drill",
        objectives=f"{mark} evacuate",
        starts_at=now + timedelta(days=4),
        ends_at=now + timedelta(days=4, hours=1),
        participants=[guard, liaison],
    )
    Drill.objects.filter(pk=t.past_drill.pk).update(
        starts_at=now - timedelta(days=4), ends_at=now - timedelta(days=4) + timedelta(hours=1)
    )
    t.past_drill.refresh_from_db()
    t.briefing = preparedness_services.schedule_briefing(
        by=supervisor,
        provider=provider,
        agency=agency,
        title=f"{mark} briefing",
        starts_at=now + timedelta(days=3),
        agenda=f"{mark} agenda",
        attendees=[guard, liaison],
    )
    t.decision = preparedness_services.record_decision(
        briefing=t.briefing,
        by=supervisor,
        decision=f"{mark} light the gate",
        owner=guard,
        due_date=timezone.localdate() + timedelta(days=7),
    )
    t.event = preparedness_services.create_community_event(
        by=supervisor,
        provider=provider,
        agency=agency,
        kind=CommunityEvent.Kind.OPEN_HOUSE,
        title="Open house",  # public: no tenant mark on what anyone may read
        description="Meet the guards and the police.",
        site=site,
        starts_at=now + timedelta(days=9),
        ends_at=now + timedelta(days=9, hours=2),
        capacity=50,
        hosts=[supervisor, liaison],
    )
    Registration.objects.create(event=t.event, name=f"{mark} Resident", email=f"{mark.lower()}@example.test")


def _notification_for(user, mark: str) -> Notification:
    message = OutboxMessage.objects.create(
        kind=Kind.MESSAGE,
        channel=Channel.IN_APP,
        recipient=user,
        recipient_label=str(user),
        idempotency_key=f"matrix-{user.pk}",
        state=OutboxMessage.State.DELIVERED,
        next_attempt_at=timezone.now(),
    )
    return Notification.objects.create(
        recipient=user, message=message, kind=Kind.MESSAGE, title=f"{mark} message on an incident"
    )


def build_matrix() -> SimpleNamespace:
    w = build_world()
    w.platform.is_superuser = True  # as the demo's platform admin
    w.platform.save()
    w.admin_y = member(Role.ORG_ADMIN, w.agency_y)
    for user in (w.guard_b, w.supervisor_b, w.admin_b, w.liaison_y, w.admin_y):
        user.full_name = f"{LEAK} {user.full_name}"
        user.save()
    m = SimpleNamespace(world=w)
    m.own = _tenant(
        w,
        mark="Ours",
        provider=w.provider_a,
        agency=w.agency_x,
        site=w.a1,
        people=(w.guard_a, w.supervisor_a, w.admin_a, w.liaison_x, w.admin_x),
    )
    m.other = _tenant(
        w,
        mark=LEAK,
        provider=w.provider_b,
        agency=w.agency_y,
        site=w.b1,
        people=(w.guard_b, w.supervisor_b, w.admin_b, w.liaison_y, w.admin_y),
    )
    m.notifications = {
        user.pk: _notification_for(user, mark)
        for user, mark in [(getattr(w, name), "Ours") for name in USERS.values()] + [(w.guard_b, LEAK)]
    }
    m.users = {actor: getattr(w, name) for actor, name in USERS.items()}
    m.sessions = {}
    for actor, user in m.users.items():
        CLIENT.force_login(user)
        if actor in AGENCY_SIDE:
            # The agency's readers have said why they open their incident's personal data (asked once
            # per incident per session): the matrix checks the doors behind that question; the
            # question itself is tests/incidents/test_purpose.py's.
            CLIENT.post(
                reverse("incidents:give_purpose", args=[m.own.incident.public_id]), {"purpose": "Matrix"}
            )
        m.sessions[actor] = CLIENT.cookies[settings.SESSION_COOKIE_NAME].value
        CLIENT.cookies = SimpleCookie()
    return m


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker, tmp_path_factory):
    folder = tmp_path_factory.mktemp("matrix")
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            MEDIA_ROOT=folder / "media",
            EVIDENCE_ROOT=folder / "evidence",
            EXPORTS_ROOT=folder / "exports",
            EXPORT_SIGNING_KEY="",
            EXPORT_SIGNING_KEY_FILE=folder / "export-signing-key.pem",
        ),
        transaction.atomic(),
    ):
        generate_key_file(folder / "export-signing-key.pem")
        yield build_matrix()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _file_roots():
    """The files are the module's, made with its world (per-test folders would hide them)."""


# --- How to build a URL's arguments and a POST's data ------------------------------------------


@dataclass
class Case:
    name: str
    actor: Actor
    tenant: Tenant
    m: SimpleNamespace
    subject: str = ""

    @property
    def t(self) -> SimpleNamespace:
        return self.m.own if self.tenant == Tenant.OWN else self.m.other

    @property
    def side(self) -> str:
        return "agency" if self.actor in AGENCY_SIDE else "provider"

    @property
    def user(self):
        return self.m.users.get(self.actor)

    @property
    def incident(self):
        """The rule's subject (a draft), the closed incident for debriefs, else the escalated one."""
        if self.subject:
            return getattr(self.t, self.subject)
        return self.t.closed if self.name.startswith("debriefs:") else self.t.incident

    def api_object(self):
        noun = self.name.removeprefix("api:").split("-")[0]
        return {
            "incident": self.incident,
            "evidence": self.t.evidence,
            "escalation": self.t.escalation,
            "bulletin": self.t.bulletin,
            "shift": self.t.shift,
            "daily": self.t.report,
            "eido": self.incident,
        }[noun]


def _notification(c: Case) -> int:
    if c.tenant == Tenant.OTHER or c.user is None:
        return c.m.notifications[c.m.world.guard_b.pk].pk
    return c.m.notifications[c.user.pk].pk


ARGS: dict[str, Callable[[Case], Any]] = {
    "incident_id": lambda c: c.incident.public_id,
    "evidence_id": lambda c: c.t.evidence.public_id,
    "escalation_id": lambda c: c.t.escalation.public_id,
    "debrief_id": lambda c: c.t.debrief.public_id,
    "bundle_id": lambda c: c.t.bundles[c.side].public_id,
    "action_id": lambda c: c.t.action.public_id,
    "membership_id": lambda c: c.t.members[c.side].pk,
    "invitation_id": lambda c: c.t.invitations[c.side].pk,
    "token": lambda c: c.t.invitation_tokens[c.side],
    "token_id": lambda c: c.t.api_tokens[c.side].pk,
    "notification_id": _notification,
    "policy_id": lambda c: c.t.policies[c.side].pk,
    "endpoint_id": lambda c: c.t.endpoints[c.side].public_id,
    "bulletin_id": lambda c: c.t.bulletin.public_id,
    "photo_id": lambda c: c.t.bulletin.photos.get().public_id,
    "site_id": lambda c: c.t.site.pk,
    "floor_plan_id": lambda c: c.t.floor_plan.public_id,
    "shift_id": lambda c: c.t.shift.public_id,
    "alert_id": lambda c: c.t.alert.public_id,
    "contact_id": lambda c: c.t.contact.pk,
    "report_id": lambda c: c.t.report.public_id,
    "partnership_id": lambda c: c.t.partnership.pk,
    "partnership_report_id": lambda c: c.t.partnership_report.public_id,
    "id": lambda c: c.m.world.guard_a.pk if c.name.startswith("admin:") else c.api_object().public_id,
    "pk": lambda c: c.t.site.pk,
    "code": lambda c: "theft",
    "plan_id": lambda c: c.t.plan.public_id,
    "version_id": lambda c: c.t.version.public_id,
    "attachment_id": lambda c: c.t.attachment.public_id,
    "drill_id": lambda c: (c.t.past_drill if c.name == "exports:drill_ics214" else c.t.drill).public_id,
    "briefing_id": lambda c: c.t.briefing.public_id,
    "decision_id": lambda c: c.t.decision.public_id,
    "event_id": lambda c: c.t.event.public_id,
    # the admin's and allauth's
    "object_id": lambda c: c.t.site.pk,
    "content_type_id": lambda c: ContentType.objects.get_for_model(Site).pk,
    "app_label": lambda c: "accounts",
    "uidb36": lambda c: "1",
    "key": lambda c: "not-a-key",
}


def _upload(field: str) -> dict[str, Any]:
    return {field: SimpleUploadedFile("more.png", png(), "image/png")}


DATA: dict[str, Callable[[Case], dict[str, Any]]] = {
    "accounts:member_set_active": lambda c: {"active": "1"},
    "incidents:triage_action": lambda c: {"action": "accept", "version": c.t.incident.version},
    "incidents:add_note": lambda c: {"text": "A note"},
    "incidents:add_party": lambda c: {"role": "witness", "description": "Short"},
    "incidents:add_vehicle": lambda c: {"plate": "AB12 CDE"},
    "incidents:release_party": lambda c: {
        "party": c.t.victim.pk,
        "agency": c.t.escalation.agency_id,
        "reason": "Case 2026/123",
    },
    "incidents:end_share": lambda c: {
        "share": c.t.incident.shares.get().pk,
        "reason": "Case closed",
    },
    "incidents:evidence_upload": lambda c: _upload("evidence"),
    "dispatch:escalate": lambda c: {"reason": "Again"},
    "dispatch:message": lambda c: {"text": "On our way"},
    "dispatch:panic": lambda c: {"site": c.t.site.pk, "idempotency_key": str(uuid.uuid4())},
    "notifications:duty": lambda c: {"on_duty": "1"},
    "bulletins:sighting": lambda c: {
        "site": c.t.site.pk,
        "narrative": "It parked by gate 3",
        "idempotency_key": str(uuid.uuid4()),
    },
    "bulletins:cancel": lambda c: {"reason": "Found"},
    "dispatch:floor_plan_add": lambda c: _upload("plan"),
    "debriefs:update_action": lambda c: {"status": "in_progress"},
    "exports:incident": lambda c: {"purpose": "Case 2026-1"},
    "analytics:request_report": lambda c: {"month": f"{timezone.localdate():%Y-%m}"},
    "debriefs:edit": lambda c: {"edit_version": c.t.debrief.edit_version, "summary": "Summary"},
    "debriefs:agency": lambda c: {"edit_version": c.t.debrief.edit_version, "agency_contribution": "Ours"},
    "debriefs:review": lambda c: {"decision": "changes", "comment": "More"},
    "debriefs:add_action": lambda c: {
        "what": "Train",
        "owner": c.t.guard.pk,
        "due_date": str(timezone.localdate() + timedelta(days=3)),
    },
    "api:incident-list": lambda c: {
        "idempotency_key": str(uuid.uuid4()),
        "site": c.t.site.pk,
        "category": "theft",
        "narrative": "Shoplifting",
    },
    "api:incident-detail": lambda c: {"version": c.t.incident.version, "location": "Gate 2"},
    "api:incident-request-info": lambda c: {"comment": "Which door?"},
    "api:incident-close": lambda c: {"resolution": "Done"},
    "api:incident-notes": lambda c: {"text": "A note"},
    "api:incident-parties": lambda c: {"role": "witness", "description": "Short"},
    "api:incident-vehicles": lambda c: {"plate": "AB12 CDE"},
    "api:incident-evidence": lambda c: _upload("file"),
    "api:escalation-list": lambda c: {"incident": str(c.t.incident.public_id), "reason": "Again"},
    "api:escalation-step": lambda c: {"reason": "Not ours"},
    "api:escalation-messages": lambda c: {"text": "On our way"},
    "api:escalation-cad-status": lambda c: {"event_id": str(uuid.uuid4()), "status": "accepted"},
    "api:panic-list": lambda c: {"idempotency_key": str(uuid.uuid4()), "site": c.t.site.pk},
    "api:shift-list": lambda c: {"site": c.t.site.pk},
    "api:scan-list": lambda c: {"code": "ABCDE-FGHJK", "idempotency_key": str(uuid.uuid4())},
    "api:check-in-list": lambda c: {"idempotency_key": str(uuid.uuid4())},
}


def url_of(endpoint: Endpoint, rule: Rule, case: Case) -> str:
    kwargs = {}
    for param in endpoint.params:
        if param in rule.args:
            kwargs[param] = rule.args[param]
        elif param in ARGS:
            kwargs[param] = ARGS[param](case)
        else:
            pytest.fail(f"{endpoint}: the matrix cannot build <{param}>: add it to ARGS in {__file__}")
    return reverse(endpoint.name, kwargs=kwargs)


# --- Requests and what they show -------------------------------------------------------------

LOGIN_PATHS = {reverse("account_login"), reverse("admin:login")}
STATUS = {401: Outcome.UNAUTHORIZED, 403: Outcome.FORBIDDEN, 404: Outcome.NOT_FOUND}


def observed(response: HttpResponse) -> str:
    code = response.status_code
    if code in (301, 302, 303) and response["Location"].split("?")[0] in LOGIN_PATHS:
        return Outcome.LOGIN
    if code in STATUS:
        return STATUS[code]
    if code >= 500 or code == 405:
        error = getattr(response, "exc_info", None)
        return f"{code}" + (f" ({error[0].__name__}: {error[1]})" if error else "")
    return Outcome.ALLOWED


def matches(expected: Outcome, got: str) -> bool:
    if expected == Outcome.ADMITTED:  # past the door: the third-party app decides the rest
        return got in (Outcome.ALLOWED, Outcome.FORBIDDEN, Outcome.NOT_FOUND, "405")
    return got == expected


def leaks(response: HttpResponse, *words: str) -> bool:
    if response.streaming or not response.get("Content-Type", "").startswith(("text/", "application/json")):
        return False
    text = response.content.decode(errors="replace")
    return any(word in text for word in words or (LEAK,))


def request(m: SimpleNamespace, actor: Actor, method: str, url: str, data: dict[str, Any], api: bool):
    client = CLIENT
    client.cookies = SimpleCookie()
    if actor != Actor.ANONYMOUS:
        client.cookies[settings.SESSION_COOKIE_NAME] = m.sessions[actor]
    if method == "GET":
        # The API's agency readers send a purpose with each request (X-Watchpost-Purpose).
        return client.get(url, HTTP_X_WATCHPOST_PURPOSE="Matrix") if api else client.get(url)
    files = any(isinstance(value, SimpleUploadedFile) for value in data.values())
    if api and not files:
        return client.generic(method, url, data=json.dumps(data), content_type="application/json")
    return client.generic(method, url, data=encode_multipart(BOUNDARY, data), content_type=MULTIPART_CONTENT)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_endpoint(endpoint, matrix, db):
    found = rules_for(endpoint.name, endpoint.module)
    if found is None:
        pytest.fail(f"no access rule for {endpoint}: declare who may open it in tests/access.py (ACCESS)")
    rules, kind = found
    problems = []
    for rule in rules:
        if kind != "third-party" and TENANT_PARAMS & set(endpoint.params) and not rule.tenant:
            problems.append(f"{endpoint} names a tenant's object: declare tenant=True in tests/access.py")
        for tenant in [Tenant.OWN, Tenant.OTHER] if rule.tenant else [Tenant.OWN]:
            for actor in ACTORS:
                case = Case(endpoint.name, actor, tenant, matrix, rule.subject)
                url = url_of(endpoint, rule, case)
                data = DATA[endpoint.name](case) if rule.method != "GET" and endpoint.name in DATA else {}
                with transaction.atomic():
                    response = request(matrix, actor, rule.method, url, data, kind == "api")
                    transaction.set_rollback(True)
                expected = rule.expected(actor, tenant, kind=kind)
                got = observed(response)
                where = f"{rule.method} {url} as {actor} ({tenant} tenant)"
                if not matches(expected, got):
                    problems.append(f"{where}: expected {expected}, got {got}")
                elif got == Outcome.ALLOWED and actor != Actor.PLATFORM and leaks(response):
                    problems.append(f"{where}: shows the other tenant's data")
                elif got == Outcome.ALLOWED and actor in AGENCY_SIDE and leaks(response, INTERNAL, REDACTED):
                    problems.append(f"{where}: shows the agency an internal item or a redacted field")
    assert not problems, "\n".join(problems)


def test_the_internal_and_redacted_column_can_fail(matrix, db):
    """The marks are on pages both sides open: the provider's supervisor sees them where the agency's
    liaison, on the same page, does not (so the column above checks something)."""
    url = reverse("incidents:detail", args=[matrix.own.incident.public_id])
    seen = {
        actor: request(matrix, actor, "GET", url, {}, False) for actor in (Actor.SUPERVISOR, Actor.LIAISON)
    }
    assert all(response.status_code == 200 for response in seen.values())
    assert leaks(seen[Actor.SUPERVISOR], INTERNAL)
    assert leaks(seen[Actor.SUPERVISOR], REDACTED)
    assert not leaks(seen[Actor.LIAISON], INTERNAL, REDACTED)


# --- Websockets ------------------------------------------------------------------------------

SOCKET_APP = URLRouter(websocket_urlpatterns)


def connect(path: str, user) -> tuple[bool, int | None]:
    async def handshake() -> tuple[bool, int | None]:
        communicator = WebsocketCommunicator(SOCKET_APP, path)
        communicator.scope["user"] = user or AnonymousUser()
        connected, code = await communicator.connect(timeout=5)
        if connected:
            await communicator.disconnect()
        return connected, code

    # Run from this thread, so the consumers' queries use the test's connection and see the world.
    return async_to_sync(handshake)()


@pytest.mark.parametrize("name", sorted(SOCKET_ROUTES), ids=str)
def test_socket(name, matrix, db, monkeypatch):
    # Channels closes "old" connections around each query; in a test transaction that would end it.
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)
    route, rule = SOCKET_ROUTES[name], SOCKETS[name]
    problems = []
    for tenant in [Tenant.OWN, Tenant.OTHER] if rule.tenant else [Tenant.OWN]:
        for actor in ACTORS:
            case = Case(name, actor, tenant, matrix, rule.subject)
            path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda g, c=case: str(ARGS[g[1]](c)), str(route.pattern))
            connected, code = connect(path, case.user)
            got = Outcome.ALLOWED if connected else (Outcome.CLOSED if code == 4403 else f"closed {code}")
            expected = rule.expected(actor, tenant, kind="socket")
            if got != expected:
                problems.append(f"{path} as {actor} ({tenant} tenant): expected {expected}, got {got}")
    assert not problems, "\n".join(problems)
