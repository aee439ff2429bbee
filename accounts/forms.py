from django import forms
from django.conf import settings
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
