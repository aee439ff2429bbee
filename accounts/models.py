import uuid
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal import zones


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: object) -> "User":
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address. Platform admins are staff."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Platform admin: may use the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[zones.validate_time_zone],
        help_text="The zone of this person's own views (inbox, audit trail); blank: their organization's.",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name or self.email).split(" ")[0]


# Retention defaults: a closed case three years (the common limitation period for civil claims and the
# usual span of a police follow-up), the audit trail seven (it must outlive what it accounts for).
RETAIN_CASE_DAYS = 3 * 365
RETAIN_AUDIT_DAYS = 7 * 365
RETAIN_MIN_DAYS = 30
RETAIN_MAX_DAYS = 100 * 365


def retention_errors(
    *, incidents: int | None, evidence: int | None, messages: int | None, audit: int | None
) -> dict[str, str]:
    """What is wrong with a retention choice, by field (empty when it holds): every period at least
    RETAIN_MIN_DAYS and at most a century, and the audit records kept at least as long as the rest."""
    periods = {
        "retain_incidents_days": incidents,
        "retain_evidence_days": evidence,
        "retain_messages_days": messages,
        "retain_audit_days": audit,
    }
    errors = {}
    for name, days in periods.items():
        if days is None or days < RETAIN_MIN_DAYS or days > RETAIN_MAX_DAYS:
            errors[name] = f"Choose a number of days from {RETAIN_MIN_DAYS} to {RETAIN_MAX_DAYS}."
    longest = max((days for name, days in periods.items() if name != "retain_audit_days" and days), default=0)
    if "retain_audit_days" not in errors and audit is not None and audit < longest:
        errors["retain_audit_days"] = (
            f"Audit records must be kept at least as long as everything else ({longest} days): "
            "they account for what was deleted."
        )
    return errors


class Organization(models.Model):
    class Kind(models.TextChoices):
        PROVIDER = "provider", "Security provider"
        AGENCY = "agency", "Law-enforcement agency"

    class DebriefReviewers(models.TextChoices):
        """Who may be the second pair of eyes on a debrief (never the one who submitted it)."""

        SUPERVISOR = "supervisor", "Another supervisor"
        SUPERVISOR_OR_ADMIN = "supervisor_or_admin", "Another supervisor or an org admin"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    debrief_reviewers = models.CharField(
        max_length=24,
        choices=DebriefReviewers.choices,
        default=DebriefReviewers.SUPERVISOR,
        help_text="Who approves a debrief besides its submitter.",
    )
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[zones.validate_time_zone],
        help_text="Its people's zone unless they choose their own (each site has its own zone).",
    )
    # Retention (README, "Retention and legal hold"): days kept after an incident closes, and days an
    # audit record is kept after it was written; audit the longest (retention_errors says so).
    retain_incidents_days = models.PositiveIntegerField(
        "keep closed incidents (days)",
        default=RETAIN_CASE_DAYS,
        help_text="Days after closing before a closed incident is deleted (unless on legal hold).",
    )
    retain_evidence_days = models.PositiveIntegerField(
        "keep evidence (days)",
        default=RETAIN_CASE_DAYS,
        help_text="Days after the incident closed before its evidence files are deleted.",
    )
    retain_messages_days = models.PositiveIntegerField(
        "keep messages (days)",
        default=RETAIN_CASE_DAYS,
        help_text="Days after the incident closed before its messages with the police are deleted.",
    )
    retain_audit_days = models.PositiveIntegerField(
        "keep audit records (days)",
        default=RETAIN_AUDIT_DAYS,
        help_text="Days an audit record is kept; at least as long as everything else.",
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        errors = retention_errors(
            incidents=self.retain_incidents_days,
            evidence=self.retain_evidence_days,
            messages=self.retain_messages_days,
            audit=self.retain_audit_days,
        )
        if errors:
            raise ValidationError(errors)

    @property
    def is_provider(self) -> bool:
        return self.kind == self.Kind.PROVIDER

    @property
    def is_agency(self) -> bool:
        return self.kind == self.Kind.AGENCY


# What an agency sees of an involved party's personal data, per role (incidents.disclosure reads it):
# a field not named is shown; "hidden" withholds it, "initials" shows a name as its initials.
REDACTION_FIELDS = ("name", "contact")
REDACTION_MODES = ("hidden", "initials")
REDACTION_ROLES = ("subject", "victim", "witness", "reporting", "minor", "other")


def default_redaction() -> dict[str, dict[str, str]]:
    """Victims' and minors' contact details hidden; minors' names as initials."""
    return {"victim": {"contact": "hidden"}, "minor": {"name": "initials", "contact": "hidden"}}


def validate_redaction(value: object) -> None:
    """A redaction profile: {role: {field: "hidden" | "initials"}} over the known roles and fields."""
    if not isinstance(value, dict):
        raise ValidationError('A redaction profile is {role: {field: "hidden" or "initials"}}.')
    for role, fields in value.items():
        if role not in REDACTION_ROLES:
            raise ValidationError(f"Unknown role in the redaction profile: {role!r}.")
        if not isinstance(fields, dict):
            raise ValidationError(f"The redaction of {role} is {{field: mode}}.")
        for field, mode in fields.items():
            if field not in REDACTION_FIELDS:
                raise ValidationError(f"Unknown field in the redaction of {role}: {field!r}.")
            if mode not in REDACTION_MODES or (mode == "initials" and field != "name"):
                raise ValidationError(f"{role}'s {field} is hidden, or (a name only) shown as initials.")


class Partnership(models.Model):
    """A security provider works with a law-enforcement agency for the sites in its jurisdiction."""

    provider = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="agency_partnerships",
        limit_choices_to={"kind": Organization.Kind.PROVIDER},
    )
    agency = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="provider_partnerships",
        limit_choices_to={"kind": Organization.Kind.AGENCY},
    )
    is_active = models.BooleanField(default=True)
    redaction = models.JSONField(
        default=default_redaction,
        validators=[validate_redaction],
        help_text="What the agency does not see of involved people until a supervisor releases it: "
        '{role: {field: "hidden" | "initials"}} (roles: subject, victim, witness, reporting, minor, other; '
        "fields: name, contact).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "agency"], name="unique_partnership")]

    def __str__(self) -> str:
        return f"{self.provider} ↔ {self.agency}"

    def clean(self) -> None:
        if self.provider_id and self.provider.kind != Organization.Kind.PROVIDER:
            raise ValidationError({"provider": "Choose a security provider."})
        if self.agency_id and self.agency.kind != Organization.Kind.AGENCY:
            raise ValidationError({"agency": "Choose a law-enforcement agency."})


def _validate_time_zone(value: str) -> None:
    """Kept by name for migration 0001; the rule is portal.zones.validate_time_zone."""
    zones.validate_time_zone(value)


MAX_OUTLINE_POINTS = 200


def validate_outline(value: object) -> None:
    """A site's outline: empty, or three to MAX_OUTLINE_POINTS [latitude, longitude] pairs in range."""
    if value in (None, []):
        return
    if not isinstance(value, list) or not 3 <= len(value) <= MAX_OUTLINE_POINTS:
        raise ValidationError(
            f"An outline is a list of 3 to {MAX_OUTLINE_POINTS} [latitude, longitude] points."
        )
    for index, point in enumerate(value, start=1):
        if (
            not isinstance(point, list)
            or len(point) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in point)
        ):
            raise ValidationError(f"Point {index} of the outline is not a [latitude, longitude] pair.")
        latitude, longitude = point
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValidationError(f"Point {index} of the outline is off the globe: {latitude}, {longitude}.")


class Site(models.Model):
    """A protected premises of a security provider."""

    provider = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="sites",
        limit_choices_to={"kind": Organization.Kind.PROVIDER},
    )
    agency = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="jurisdiction_sites",
        null=True,
        blank=True,
        limit_choices_to={"kind": Organization.Kind.AGENCY},
        help_text="The partnering agency whose jurisdiction the site is in.",
    )
    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=32, help_text="Short name used on the radio.")
    address = models.TextField()
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[_validate_time_zone])
    outline = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_outline],
        help_text="The premises' boundary on the board's map: [[latitude, longitude], …], 3 points or more.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "code"], name="unique_site_code"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="site_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="site_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def clean(self) -> None:
        if self.provider_id and self.provider.kind != Organization.Kind.PROVIDER:
            raise ValidationError({"provider": "A site belongs to a security provider."})
        if self.agency is not None:
            if self.agency.kind != Organization.Kind.AGENCY:
                raise ValidationError({"agency": "Choose a law-enforcement agency."})
            if not Partnership.objects.filter(
                provider_id=self.provider_id, agency_id=self.agency_id, is_active=True
            ).exists():
                raise ValidationError({"agency": "The provider has no active partnership with this agency."})


class Role(models.TextChoices):
    GUARD = "guard", "Guard"
    SUPERVISOR = "supervisor", "Supervisor"
    LIAISON = "liaison", "Police liaison"
    ORG_ADMIN = "org_admin", "Organization admin"


ROLES_BY_KIND: dict[str, tuple[Role, ...]] = {
    Organization.Kind.PROVIDER: (Role.GUARD, Role.SUPERVISOR, Role.ORG_ADMIN),
    Organization.Kind.AGENCY: (Role.LIAISON, Role.ORG_ADMIN),
}


class Membership(models.Model):
    """A user's place in one organization, with one role."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organization}"


class SiteAssignment(models.Model):
    """A guard works at a site."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="site_assignments")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="assignments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "site"], name="unique_site_assignment")]

    def __str__(self) -> str:
        return f"{self.user} at {self.site}"


class Invitation(models.Model):
    """An org admin's invitation: the link carries a token whose SHA-256 is all that is stored."""

    email = models.EmailField()
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=16, choices=Role.choices)
    sites = models.ManyToManyField(Site, blank=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.organization}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


def default_token_expiry() -> datetime:
    return timezone.now() + timedelta(days=settings.API_TOKEN_DEFAULT_DAYS)


class ApiToken(models.Model):
    """A bearer token for an integration acting as one user, until it expires or is revoked; a
    read-only one may not change anything. Only the secret's SHA-256 is stored."""

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read and write"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.READ)
    expires_at = models.DateTimeField(default=default_token_expiry)
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. the integration's name.")
    prefix = models.CharField(max_length=16, help_text="The token's first characters, to recognise it.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name}) for {self.user}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired
