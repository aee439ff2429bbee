"""The shared cast of the tests: two providers (A, B), two agencies (X, Y) and a user of each role."""

from types import SimpleNamespace

from accounts.models import Role
from tests.factories import AgencyFactory, ProviderFactory, SiteFactory, UserFactory, member


def build_world() -> SimpleNamespace:
    """Two providers (A, B) and two agencies (X, Y): A's sites a1 (X) and a2 (Y), B's site b1 (Y)."""
    w = SimpleNamespace()
    w.provider_a, w.provider_b = (
        ProviderFactory(name="Provider A"),
        ProviderFactory(name="Provider B"),
    )
    w.agency_x, w.agency_y = AgencyFactory(name="Agency X"), AgencyFactory(name="Agency Y")
    w.a1 = SiteFactory(provider=w.provider_a, agency=w.agency_x, name="A1")
    w.a2 = SiteFactory(provider=w.provider_a, agency=w.agency_y, name="A2")
    w.b1 = SiteFactory(provider=w.provider_b, agency=w.agency_y, name="B1")
    w.guard_a = member(Role.GUARD, w.provider_a, sites=(w.a1,))
    w.supervisor_a = member(Role.SUPERVISOR, w.provider_a)
    w.admin_a = member(Role.ORG_ADMIN, w.provider_a)
    w.guard_b = member(Role.GUARD, w.provider_b, sites=(w.b1,))
    w.supervisor_b = member(Role.SUPERVISOR, w.provider_b)
    w.admin_b = member(Role.ORG_ADMIN, w.provider_b)
    w.liaison_x = member(Role.LIAISON, w.agency_x)
    w.admin_x = member(Role.ORG_ADMIN, w.agency_x)
    w.liaison_y = member(Role.LIAISON, w.agency_y)
    w.platform = UserFactory(is_staff=True)
    w.nobody = UserFactory()
    return w
