"""Site safety profiles: kept by the provider's supervisors, read by the partnering agency (and on
the board beside every escalation of the site); every change and every view is audited."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Site, User
from accounts.policy import AnyUser
from audit import services as audit
from dispatch import policy
from dispatch.models import SiteProfile
from dispatch.services.common import require

TEXT_FIELDS = (
    "access_points",
    "key_holders",
    "after_hours",
    "posts",
    "hazards",
    "cameras",
    "emergency_contacts",
)
MAX_TEXT = 4000
MAX_REVERIFY_DAYS = 730


@transaction.atomic
def save_site_profile(
    *,
    site: Site,
    by: User,
    texts: dict[str, str],
    reverify_days: int,
    verified: bool = False,
) -> SiteProfile:
    """Write the site's profile; ``verified`` stamps today as its last verification."""
    require(policy.can_edit_site_profile(by, site), "Only the provider's supervisors keep this profile.")
    errors: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for name in TEXT_FIELDS:
        value = (texts.get(name) or "").strip()
        if len(value) > MAX_TEXT:
            errors[name] = f"At most {MAX_TEXT} characters."
        cleaned[name] = value
    if not 1 <= reverify_days <= MAX_REVERIFY_DAYS:
        errors["reverify_days"] = f"Verify again every 1 to {MAX_REVERIFY_DAYS} days."
    if verified and not (cleaned["access_points"] and cleaned["emergency_contacts"]):
        errors["access_points"] = (
            "A verified profile names at least the access points and emergency contacts."
        )
    if errors:
        raise ValidationError(errors)
    profile, _ = SiteProfile.objects.select_for_update().get_or_create(site=site)
    for name, value in cleaned.items():
        setattr(profile, name, value)
    profile.reverify_days = reverify_days
    if verified:
        profile.last_verified = timezone.localdate(timezone=site.zone)
    profile.updated_by = by
    profile.save()
    audit.record(
        action="site_profile.changed",
        actor=by,
        obj=site,
        verified=verified,
        fields=[name for name in TEXT_FIELDS if cleaned[name]],
    )
    return profile


def record_profile_view(*, site: Site, by: AnyUser, via: str) -> None:
    """Who read a site's profile, where (its page, the board's panel)."""
    audit.record(action="site_profile.viewed", actor=by, obj=site, via=via)
