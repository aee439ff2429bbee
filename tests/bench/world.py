"""The bench's own tenants: one provider, one agency with thousands of liaisons (each with a
signed-in session), guards and a supervisor with API tokens. Made through the services where the
portal has one, in bulk where it would only be slow (people, sessions)."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import generate_totp_secret
from allauth.mfa.utils import encrypt
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from django.utils.crypto import get_random_string

from accounts import services as account_services
from accounts.models import ApiToken, Membership, Organization, Partnership, Role, Site, SiteAssignment, User
from dispatch import selectors as dispatch_selectors
from incidents import services as incident_services
from incidents.models import Category, Incident
from notifications import services as notification_services
from notifications.models import Channel, EscalationPolicy, Target

AGENCY = "Bench Agency"
PROVIDER = "Bench Provider"


@dataclass
class World:
    agency: Organization
    provider: Organization
    site: Site
    supervisor: User
    guards: list[User]
    liaisons: list[User]

    def last_board_sequence(self) -> int:
        return dispatch_selectors.last_board_sequence(agency_id=self.agency.pk)


def _people(organization: Organization, role: Role, count: int) -> list[User]:
    slug = organization.name.lower().replace(" ", "-")
    emails = [f"{role.value}{n}@{slug}.example" for n in range(1, count + 1)]
    known = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    password = make_password(None)  # nobody signs in with a password: sessions are made below
    User.objects.bulk_create(
        [User(email=email, full_name=f"Bench {role.label} {email.split('@')[0]}", password=password)
         for email in emails if email not in known]
    )  # fmt: skip
    users = list(User.objects.filter(email__in=emails).order_by("pk"))
    members = set(Membership.objects.filter(user__in=users).values_list("user_id", flat=True))
    Membership.objects.bulk_create(
        [Membership(user=u, organization=organization, role=role) for u in users if u.pk not in members]
    )
    enroll_mfa(users)
    return users


def enroll_mfa(users: list[User]) -> None:
    """Liaisons and admins must use a second factor: each gets an authenticator app, as in real life."""
    enrolled = set(Authenticator.objects.filter(user__in=users).values_list("user_id", flat=True))
    Authenticator.objects.bulk_create(
        [Authenticator(user=u, type=Authenticator.Type.TOTP, data={"secret": encrypt(generate_totp_secret())})
         for u in users if u.pk not in enrolled]
    )  # fmt: skip


def build(*, liaisons: int, guards: int) -> World:
    """The bench's tenants (created once, topped up to the numbers asked for)."""
    agency, _ = Organization.objects.get_or_create(name=AGENCY, defaults={"kind": Organization.Kind.AGENCY})
    provider, _ = Organization.objects.get_or_create(
        name=PROVIDER, defaults={"kind": Organization.Kind.PROVIDER}
    )
    Partnership.objects.get_or_create(provider=provider, agency=agency)
    site, _ = Site.objects.get_or_create(
        provider=provider,
        code="bench",
        defaults={"agency": agency, "name": "Bench Retail Park", "address": "1 Bench Road"},
    )
    agency_admin = _people(agency, Role.ORG_ADMIN, 2)[0]
    _people(provider, Role.ORG_ADMIN, 1)
    supervisor = _people(provider, Role.SUPERVISOR, 1)[0]
    guard_users = _people(provider, Role.GUARD, guards)
    assigned = set(SiteAssignment.objects.filter(site=site).values_list("user_id", flat=True))
    SiteAssignment.objects.bulk_create(
        [SiteAssignment(user=g, site=site) for g in guard_users if g.pk not in assigned]
    )
    if not EscalationPolicy.objects.filter(organization=agency, site__isnull=True).exists():
        # The agency's watch commanders are paged; its thousand board watchers see the board.
        notification_services.save_escalation_policy(
            by=agency_admin,
            organization=agency,
            name="Bench paging",
            site=None,
            steps=[
                notification_services.StepInput(
                    delay_seconds=0,
                    target=Target.ORG_ADMINS,
                    channels=[Channel.IN_APP],
                    required_channels=[Channel.IN_APP],
                )
            ],
        )
    return World(
        agency=agency,
        provider=provider,
        site=site,
        supervisor=supervisor,
        guards=guard_users,
        liaisons=_people(agency, Role.LIAISON, liaisons),
    )


def token(user: User, *, by_admin_of: Organization) -> str:
    """A fresh API token acting as ``user`` (issued by the organization's admin, as in the portal)."""
    admin = User.objects.filter(membership__organization=by_admin_of, membership__role=Role.ORG_ADMIN).first()
    assert admin is not None
    name = f"bench {uuid.uuid4().hex[:6]}"
    return account_services.issue_api_token(user=user, by=admin, name=name, scope=ApiToken.Scope.WRITE)[1]


def session_cookies(users: list[User]) -> list[str]:
    """A signed-in session for each user, as the login page would leave it (bulk-written)."""
    store = SessionStore()
    expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    sessions = [
        Session(
            session_key=get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789"),
            session_data=store.encode(
                {
                    SESSION_KEY: str(user.pk),
                    BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                    HASH_SESSION_KEY: user.get_session_auth_hash(),
                }
            ),
            expire_date=expires,
        )
        for user in users
    ]
    Session.objects.bulk_create(sessions, batch_size=1000)
    return [f"{settings.SESSION_COOKIE_NAME}={session.session_key}" for session in sessions]


def submitted_incidents(world: World, count: int) -> list[Incident]:
    """Reports filed by the bench's guards through the service, ready to be escalated."""
    theft = Category.objects.get(code="theft")
    return [
        incident_services.report_incident(
            reporter=world.guards[n % len(world.guards)],
            site=world.site,
            idempotency_key=uuid.uuid4(),
            category=theft,
            severity=2,
            location="Loading bay 2",
            narrative="Two men loading copper cable into a white van; they drove off towards the ring road.",
        ).incident
        for n in range(count)
    ]
