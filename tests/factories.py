import time
import uuid
from typing import Any, cast

import factory
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from factory.django import DjangoModelFactory

from accounts.models import Membership, Organization, Partnership, Role, Site, SiteAssignment, User
from incidents import services as incident_services
from incidents.models import Category, Incident

PASSWORD = "correct-horse-battery"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def mfa(user: User, create: bool, extracted: bool | None, **kwargs: object) -> None:
        """Platform admins get an authenticator app (TOTP) unless ``mfa=False``; others on request."""
        if create and (extracted or (extracted is None and user.is_staff)):
            enable_totp(user)


class ProviderFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Provider {n}")
    kind = Organization.Kind.PROVIDER


class AgencyFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Agency {n}")
    kind = Organization.Kind.AGENCY


class SiteFactory(DjangoModelFactory):
    class Meta:
        model = Site
        skip_postgeneration_save = True

    provider = factory.SubFactory(ProviderFactory)
    agency = None
    name = factory.Sequence(lambda n: f"Site {n}")
    code = factory.Sequence(lambda n: f"site{n}")
    address = "1 Test Street"
    time_zone = "Europe/London"

    @factory.post_generation
    def partnership(site: Site, create: bool, extracted: object, **kwargs: object) -> None:
        if create and site.agency_id:
            Partnership.objects.get_or_create(provider=site.provider, agency=site.agency)


TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def enable_totp(user: User, secret: str = TOTP_SECRET) -> None:
    """Give ``user`` an authenticator app, as allauth's set-up page does."""
    TOTP.activate(user, secret)


def totp_code(secret: str = TOTP_SECRET, *, at: float | None = None) -> str:
    """The code an authenticator app shows now (or at the time ``at``)."""
    counter = int(time.time() if at is None else at) // 30
    return format_hotp_value(hotp_value(secret, counter))


def member(role: Role, organization: Organization, *, sites: tuple[Site, ...] = (), **fields: object) -> User:
    """A user with a membership of ``role`` in ``organization`` (and site assignments)."""
    needs_mfa = role in (Role.LIAISON, Role.ORG_ADMIN)
    user = cast(User, UserFactory(**{"mfa": needs_mfa, **fields}))
    Membership.objects.create(user=user, organization=organization, role=role)
    for site in sites:
        SiteAssignment.objects.create(user=user, site=site)
    return user


def report(reporter: User, site: Site, *, submit: bool = True, **fields: Any) -> Incident:
    """An incident filed through the real service (category 'theft' unless given)."""
    fields.setdefault("category", Category.objects.get(code="theft"))
    fields.setdefault("narrative", "A man took two jackets from the rack by the entrance.")
    result = incident_services.report_incident(
        reporter=reporter, site=site, idempotency_key=uuid.uuid4(), submit=submit, **fields
    )
    return result.incident
