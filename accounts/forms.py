from allauth.mfa.base.forms import AuthenticateForm
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, validate_totp_code
from allauth.mfa.utils import decrypt
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from accounts import policy
from accounts.models import ROLES_BY_KIND, ApiToken, Membership, Organization, Role, Site, User
from portal import zones


def _role_choices(organization: Organization) -> list[tuple[str, str]]:
    return [(role.value, role.label) for role in ROLES_BY_KIND[organization.kind]]


class _SitesMixin(forms.Form):
    sites = forms.ModelMultipleChoiceField(
        queryset=Site.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Guards only: the sites they work at.",
    )

    def _limit(self, by: User, organization: Organization) -> None:
        self.fields["role"].choices = _role_choices(organization)  # type: ignore[attr-defined]
        sites = policy.assignable_sites(by, organization)
        if sites.exists():
            self.fields["sites"].queryset = sites  # type: ignore[attr-defined]
        else:
            del self.fields["sites"]


class InviteForm(_SitesMixin):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(choices=Role.choices)

    field_order = ["email", "role", "sites"]

    def __init__(self, *args: object, by: User, organization: Organization, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._limit(by, organization)

    def clean(self) -> dict[str, object]:
        """A guard reports from a site: one invited without any would have nowhere to report from."""
        data = super().clean() or {}
        if data.get("role") == Role.GUARD and not data.get("sites"):
            if "sites" in self.fields:
                self.add_error(
                    "sites", "A guard needs at least one site to report from: check the sites they work at."
                )
            else:
                self.add_error(None, "A guard needs at least one site to report from: add a site first.")
        return data


class MemberForm(_SitesMixin):
    role = forms.ChoiceField(choices=Role.choices)

    field_order = ["role", "sites"]

    def __init__(self, *args: object, by: User, membership: Membership, **kwargs: object):
        kwargs.setdefault(
            "initial",
            {
                "role": membership.role,
                "sites": [a.site for a in membership.user.site_assignments.all()],
            },
        )
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._limit(by, membership.organization)


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(max_length=150, label="Your name")
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters, not a common password.",
    )
    password_again = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), label="Password again"
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return data


class ApiTokenForm(forms.Form):
    member = forms.ModelChoiceField(
        queryset=Membership.objects.none(),
        label="Acts as",
        help_text="The token can see and do exactly what this person can. Liaisons and admins issue "
        "their own tokens, signed in with their second factor.",
    )
    name = forms.CharField(
        max_length=100, help_text="What the token is for, e.g. the integration's name.", label="Name"
    )
    scope = forms.ChoiceField(
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
        label="Access",
        help_text="Read only unless the integration must change things (report, escalate, post messages).",
    )

    def __init__(self, *args: object, members: QuerySet[Membership], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["member"].queryset = members  # type: ignore[attr-defined]
        self.fields["member"].label_from_instance = (  # type: ignore[attr-defined]
            lambda m: f"{m.user} ({m.user.email}) — {m.get_role_display()}"
        )
        only = list(members[:2])
        if len(only) == 1:  # a liaison issues for themselves alone
            self.fields["member"].initial = only[0].pk
        # The limits are settings, read when the form is made.
        self.fields["days"] = forms.IntegerField(
            label="Valid for (days)",
            min_value=1,
            max_value=settings.API_TOKEN_MAX_DAYS,
            initial=settings.API_TOKEN_DEFAULT_DAYS,
            help_text=f"At most {settings.API_TOKEN_MAX_DAYS}; then the integration needs a new token.",
        )


def _days(label: str, help_text: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        error_messages={"required": "Give a number of days.", "invalid": "Give a whole number of days."},
    )


class RetentionForm(forms.Form):
    incidents = _days("Keep closed incidents (days after closing)", "Then the incident and all it holds go.")
    evidence = _days(
        "Keep evidence files (days after closing)", "Originals and thumbnails, with their custody log."
    )
    messages = _days("Keep messages with the police (days after closing)", "The incident's message thread.")
    audit_records = _days(
        "Keep audit records (days after they were written)", "At least as long as each of the others."
    )


class DebriefRuleForm(forms.Form):
    debrief_reviewers = forms.ChoiceField(
        label="Who may approve a debrief besides the supervisor who submitted it",
        choices=Organization.DebriefReviewers.choices,
        widget=forms.RadioSelect,
        error_messages={
            "invalid_choice": "%(value)s is not a review rule: choose another supervisor, or another "
            "supervisor or an org admin.",
            "required": "Choose who may approve a debrief.",
        },
        help_text="Nobody ever approves a debrief they submitted. With one supervisor, only the second "
        "rule lets its debriefs be approved.",
    )


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Time zone of your own views",
        required=False,
        error_messages={"invalid_choice": "%(value)s is not a known time zone (e.g. America/Chicago)."},
        help_text="Your inbox, the audit trail and your tokens use it; a site's incidents, debriefs and "
        "corrective actions always show the site's own zone.",
    )

    def __init__(self, *args: object, organization_zone: str, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["time_zone"].choices = [  # type: ignore[attr-defined]
            ("", f"My organization's ({organization_zone})"),
            *zones.zone_choices(),
        ]


CODE_USED = (
    "That code was right, but it has been used already: each code works once. Wait for the next one "
    "your authenticator app shows (a new code every 30 seconds) and enter it."
)
CODE_WRONG = (
    "That code is not right. Enter the 6 digits your authenticator app shows now, or one of your "
    "recovery codes."
)


RECOVERY_CODE_USED = (
    "That recovery code has been used already: each one works once. Use another of your recovery "
    "codes, or the code your authenticator app shows now."
)


def _code_already_used(user: User, code: str) -> str | None:
    """Why a right code was refused: it was used already (a TOTP code in its window, or a recovery
    code), or None."""
    for authenticator in Authenticator.objects.filter(user=user):
        if authenticator.type == Authenticator.Type.TOTP:
            secret = decrypt(authenticator.data["secret"])
            # allauth marks a used code in the cache for its whole window (its own key, read here).
            used = cache.get(TOTP(authenticator)._get_used_cache_key(code)) is not None
            if validate_totp_code(secret, code) and used:
                return CODE_USED
        elif authenticator.type == Authenticator.Type.RECOVERY_CODES:
            codes = RecoveryCodes(authenticator)
            if code in codes.generate_codes() and code not in codes.get_unused_codes():
                return RECOVERY_CODE_USED
    return None


class MfaAuthenticateForm(AuthenticateForm):
    """The second-factor step at sign-in, saying why a code was refused (allauth says "Incorrect
    code." for a wrong one and a reused one alike)."""

    def clean_code(self) -> str:
        try:
            return str(super().clean_code())
        except forms.ValidationError as error:
            if error.code != "incorrect_code":  # the lockout, whose message says for how long
                raise
            code = (self.cleaned_data.get("code") or "").strip()
            used = _code_already_used(self.user, code) if code else None
            if used:
                raise forms.ValidationError(used, code="code_used") from None
            raise forms.ValidationError(CODE_WRONG, code="incorrect_code") from None
