"""Changes to people, roles and site assignments. Each one asks the access policy first."""

import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import policy
from accounts.events import invitation_created, session_ended
from accounts.models import (
    ROLES_BY_KIND,
    ApiToken,
    Invitation,
    Membership,
    Organization,
    Role,
    Site,
    SiteAssignment,
    User,
    retention_errors,
)
from accounts.policy import AnyUser
from accounts.selectors import hash_token
from audit import services as audit
from portal import links, zones
from portal.realtime import publish_on_commit
from portal.text import clean_text

EMAIL_LENGTH = 254  # the EmailField column
# An invitation makes a new account; it never joins, changes or signs in an existing one (whose
# owner would sign in themselves, with their second factor, if several memberships are ever allowed).
ALREADY_A_USER = (
    "This address already has a Watchpost account, so it cannot be invited: invitations are for new people."
)


def _require(allowed: bool, message: str = "You may not do that.") -> None:
    if not allowed:
        raise PermissionDenied(message)


def _check_sites(*, by: AnyUser, organization: Organization, sites: Iterable[Site]) -> list[Site]:
    chosen = list(sites)
    if not chosen:
        return chosen
    allowed = set(policy.assignable_sites(by, organization).values_list("pk", flat=True))
    if any(site.pk not in allowed for site in chosen):
        raise ValidationError({"sites": "Choose active sites of your own organization."})
    return chosen


def _clean_email(value: str) -> str:
    email = clean_text(value, field="email", limit=EMAIL_LENGTH, what="the address").lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": "Enter a valid email address."}) from None
    return email


@transaction.atomic
def invite_member(
    *,
    invited_by: User,
    organization: Organization,
    email: str,
    role: str,
    sites: Iterable[Site] = (),
    site_url: str | None = None,
) -> tuple[Invitation, str]:
    """Invite someone into an organization; returns the invitation and the link's token. The emailed
    link points at ``site_url`` (the address the inviting request came to), else ``PUBLIC_URL``."""
    _require(policy.can_manage_members(invited_by, organization))
    email = _clean_email(email)
    if role not in ROLES_BY_KIND[organization.kind]:
        raise ValidationError(
            {"role": f"That role does not exist in a {organization.get_kind_display().lower()}."}
        )
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": ALREADY_A_USER})
    chosen_sites = _check_sites(by=invited_by, organization=organization, sites=sites)
    if role != Role.GUARD and chosen_sites:
        raise ValidationError({"sites": "Only guards are assigned to sites."})
    Invitation.objects.filter(email__iexact=email, accepted_at=None, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email,
        organization=organization,
        role=role,
        token_hash=hash_token(token),
        invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    invitation.sites.set(chosen_sites)
    audit.record(action="people.invited", actor=invited_by, obj=invitation, email=email, role=role)
    publish_on_commit(invitation_created(invitation, url=invitation_url(token, site_url=site_url)))
    return invitation, token


def invitation_url(token: str, *, site_url: str | None = None) -> str:
    """The invitation's link, at ``site_url`` (see portal/links.py) or else the portal's own address."""
    return (site_url or links.site_url()).rstrip("/") + reverse("accounts:invitation_accept", args=[token])


@transaction.atomic
def revoke_invitation(*, invitation: Invitation, by: User) -> None:
    _require(policy.can_manage_members(by, invitation.organization))
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit.record(action="people.invitation_revoked", actor=by, obj=invitation)


@transaction.atomic
def accept_invitation(*, token: str, full_name: str, password: str) -> User:
    """Turn a pending invitation into a new account with its role and sites (never an existing one)."""
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("organization")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if invitation is None or not invitation.is_pending:
        raise ValidationError("This invitation link is no longer valid. Ask your admin for a new one.")
    full_name = full_name.strip()
    if not full_name:
        raise ValidationError({"full_name": "Enter your name as colleagues know it."})
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(ALREADY_A_USER)
    candidate = User(email=invitation.email, full_name=full_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None
    candidate.set_password(password)
    candidate.save()
    Membership.objects.create(user=candidate, organization=invitation.organization, role=invitation.role)
    SiteAssignment.objects.bulk_create(
        [SiteAssignment(user=candidate, site=site) for site in invitation.sites.all()]
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit.record(action="people.joined", actor=candidate, obj=candidate, role=invitation.role)
    return candidate


@transaction.atomic
def change_member(*, membership: Membership, by: User, role: str, sites: Iterable[Site] = ()) -> Membership:
    """Change a member's role and (for guards) the sites they are assigned to."""
    organization = membership.organization
    _require(policy.can_grant_role(by, organization, role), "You may not grant that role.")
    if membership.user_id == by.pk and role != membership.role:
        raise ValidationError({"role": "You cannot change your own role."})
    chosen = _check_sites(by=by, organization=organization, sites=sites)
    if role != Role.GUARD and chosen:
        raise ValidationError({"sites": "Only guards are assigned to sites."})
    audit.record(
        action="people.role_changed",
        actor=by,
        obj=membership.user,
        old=membership.role,
        new=role,
        sites=[site.pk for site in chosen],
    )
    if membership.role != role:
        # Open sockets were authorised for the old role: they close, and reconnect under the new one.
        publish_on_commit(session_ended(membership.user_id))
    membership.role = role
    membership.save(update_fields=["role"])
    SiteAssignment.objects.filter(user_id=membership.user_id).exclude(site__in=chosen).delete()
    existing = set(
        SiteAssignment.objects.filter(user_id=membership.user_id).values_list("site_id", flat=True)
    )
    SiteAssignment.objects.bulk_create(
        [SiteAssignment(user_id=membership.user_id, site=s) for s in chosen if s.pk not in existing]
    )
    return membership


@transaction.atomic
def set_member_active(*, membership: Membership, by: User, active: bool) -> User:
    """Deactivate or reactivate a member. A deactivated user's sessions stop authenticating at once."""
    _require(policy.can_manage_members(by, membership.organization))
    user = membership.user
    if user.pk == by.pk:
        raise ValidationError("You cannot deactivate yourself.")
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit.record(action="people.activated" if active else "people.deactivated", actor=by, obj=user)
    if not active:
        publish_on_commit(session_ended(user.pk))
    return user


API_TOKEN_PREFIX = "wp_"  # noqa: S105 (a marker that makes leaked tokens easy to spot, not a secret)
# Recording every request's use would write on every API call; a minute's precision is enough.
API_TOKEN_USE_PRECISION = timedelta(minutes=1)


def _token_refusal(*, by: User, owner: User) -> str:
    if policy.requires_mfa(owner) and by.pk != owner.pk:
        return (
            f"{owner} must issue it themselves: a token acting as a liaison or an admin is issued by "
            "that person, signed in with their second factor."
        )
    if by.pk == owner.pk and not policy.mfa_satisfied(by):
        return "Set up two-factor authentication first."
    return "You may only issue tokens for your organization's people."


@transaction.atomic
def issue_api_token(
    *, user: User, by: User, name: str, scope: str, days: int | None = None
) -> tuple[ApiToken, str]:
    """Issue an API token acting as ``user``; returns it and its secret, which is never shown again."""
    _require(policy.can_issue_api_token(by, user), _token_refusal(by=by, owner=user))
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Say what the token is for, e.g. the integration's name."})
    if len(name) > 100:
        raise ValidationError({"name": "Keep the name under 100 characters."})
    if scope not in ApiToken.Scope.values:
        raise ValidationError({"scope": "Choose read only, or read and write."})
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError({"days": f"A token is valid for 1 to {settings.API_TOKEN_MAX_DAYS} days."})
    if not user.is_active:
        raise ValidationError({"user": "This person is deactivated; reactivate them first."})
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[: len(API_TOKEN_PREFIX) + 6],
        token_hash=hash_token(secret),
        created_by=by,
        scope=scope,
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit.record(
        action="api_token.issued",
        actor=by,
        obj=token,
        for_user=user.email,
        scope=scope,
        expires_at=token.expires_at.isoformat(),
    )
    return token, secret


@transaction.atomic
def revoke_api_token(*, token: ApiToken, by: User) -> ApiToken:
    """Revoke a token: requests carrying it are refused from now on."""
    _require(policy.can_manage_api_tokens(by, token.user), "You may only revoke your organization's tokens.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = by
        token.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(action="api_token.revoked", actor=by, obj=token)
    return token


def record_api_token_use(*, token: ApiToken) -> None:
    """Note when a token was last used (to the minute)."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < API_TOKEN_USE_PRECISION:
        return
    token.last_used_at = now
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


@transaction.atomic
def set_time_zone(*, user: User, time_zone: str) -> User:
    """Choose the zone of one's own views; blank follows the organization's."""
    time_zone = time_zone.strip()
    if time_zone:
        try:
            zones.validate_time_zone(time_zone)
        except ValidationError as error:
            raise ValidationError({"time_zone": error.messages}) from None
    if user.time_zone != time_zone:
        before = user.time_zone
        user.time_zone = time_zone
        user.save(update_fields=["time_zone"])
        audit.record(action="account.time_zone_changed", actor=user, obj=user, before=before, after=time_zone)
    return user


RETENTION_FIELDS = (
    "retain_incidents_days",
    "retain_evidence_days",
    "retain_messages_days",
    "retain_audit_days",
)


def set_retention(
    *, organization: Organization, by: User, incidents: int, evidence: int, messages: int, audit_records: int
) -> Organization:
    """The org admin chooses how long closed incidents, evidence, messages and audit records are kept
    (days); audit records at least as long as the rest. Audited with the periods before and after."""
    _require(
        policy.can_set_retention(by, organization),
        "Only the organization's own org admins choose how long its records are kept.",
    )
    errors = retention_errors(incidents=incidents, evidence=evidence, messages=messages, audit=audit_records)
    if errors:
        raise ValidationError(errors)
    after = dict(zip(RETENTION_FIELDS, (incidents, evidence, messages, audit_records), strict=True))
    with transaction.atomic():
        locked = Organization.objects.select_for_update().get(pk=organization.pk)
        before = {name: getattr(locked, name) for name in RETENTION_FIELDS}
        if before != after:
            for name, days in after.items():
                setattr(locked, name, days)
            locked.save(update_fields=list(RETENTION_FIELDS))
            audit.record(
                action="organization.retention_changed",
                actor=by,
                obj=locked,
                organization=locked,
                before=before,
                after=after,
            )
    for name, days in after.items():
        setattr(organization, name, days)
    return organization


@transaction.atomic
def set_debrief_reviewers(*, organization: Organization, rule: str, by: User) -> Organization:
    """The provider's org admin chooses who may approve a debrief besides its submitter (another
    supervisor, or also an org admin). Audited with the rule before and after."""
    _require(
        policy.can_choose_debrief_rule(by, organization),
        "Only the provider's own org admins choose who reviews its debriefs.",
    )
    if rule not in Organization.DebriefReviewers.values:
        choices = "; ".join(f"{value!r} ({label})" for value, label in Organization.DebriefReviewers.choices)
        raise ValidationError(
            {"debrief_reviewers": f"{rule!r} is not a review rule. Choose one of: {choices}."}
        )
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    before = locked.debrief_reviewers
    if before != rule:
        locked.debrief_reviewers = rule
        locked.save(update_fields=["debrief_reviewers"])
        audit.record(
            action="organization.debrief_reviewers_changed",
            actor=by,
            obj=locked,
            organization=locked,
            before=before,
            after=rule,
        )
    organization.debrief_reviewers = rule
    return locked
