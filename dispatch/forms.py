"""The board's filter, shared by the board and its history."""

from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from accounts.models import Site
from dispatch.models import Escalation, SiteProfile
from dispatch.selectors import PANIC_STATE, BoardFilter
from incidents.models import Severity


class BoardFilterForm(forms.Form):
    """Site, severity and state; empty fields narrow nothing. Read from the query string."""

    site = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Site")
    severity = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label="Severity",
        choices=[("", "Any severity"), *Severity.choices],
    )
    state = forms.ChoiceField(required=False, label="State")

    def __init__(self, *args: Any, sites: QuerySet[Site], states: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site_field = cast(forms.ChoiceField, self.fields["site"])
        state_field = cast(forms.ChoiceField, self.fields["state"])
        site_field.choices = [("", "All sites"), *((site.pk, site.name) for site in sites)]
        state_field.choices = [
            ("", "Any state"),
            (PANIC_STATE, "Active panic"),
            *((value, Escalation.Status(value).label) for value in states),
        ]

    def board_filter(self) -> BoardFilter:
        """The filter chosen, or none at all while the form is invalid (bad input narrows nothing)."""
        if not self.is_valid():
            return BoardFilter()
        data = self.cleaned_data
        return BoardFilter(site_id=data["site"], severity=data["severity"], state=data["state"] or None)


class SiteProfileForm(forms.ModelForm):
    """A site's safety profile as its supervisors keep it; "verified" stamps today."""

    verified = forms.BooleanField(
        required=False, label="I have checked every part of this profile today (marks it verified)"
    )

    class Meta:
        model = SiteProfile
        fields = [
            "access_points",
            "key_holders",
            "after_hours",
            "posts",
            "hazards",
            "cameras",
            "emergency_contacts",
            "reverify_days",
        ]
        labels = {"reverify_days": "Verify again every (days)", "posts": "Posts by floor and area"}
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in fields[:-1]}
