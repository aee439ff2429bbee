"""Something for each org admin to manage in the demo: a pending invitation and an API token at
Sentinel Security, so that revoking them (and its confirmation page) can be tried. Idempotent."""

from accounts import services
from accounts.models import ApiToken, Invitation, Organization, Role, Site, User
from seeding.demo.accounts import PROVIDERS

INVITED = "new.guard@sentinel.example"
TOKEN_NAME = "Demo CAD bridge"  # noqa: S105 (what the token is for, not a secret)


def seed_people_extras() -> int:
    created = 0
    sentinel = Organization.objects.get(name=PROVIDERS["sentinel"])
    admin = User.objects.get(email="admin@sentinel.example")
    if not Invitation.objects.filter(email=INVITED).exists():
        services.invite_member(
            invited_by=admin,
            organization=sentinel,
            email=INVITED,
            role=Role.GUARD,
            sites=Site.objects.filter(provider=sentinel, code="riverside"),
        )
        created += 1
    guard = User.objects.get(email="guard@sentinel.example")
    if not ApiToken.objects.filter(user=guard, name=TOKEN_NAME).exists():
        # Its secret is shown to nobody: the demo token is there to be seen and revoked.
        services.issue_api_token(user=guard, by=admin, name=TOKEN_NAME, scope=ApiToken.Scope.READ)
        created += 1
    return created
