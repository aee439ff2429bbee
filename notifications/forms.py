from typing import Any

from django import forms
from django.db import models
from django.db.models import QuerySet

from accounts.models import Organization, Site, User
from dispatch.models import VerificationLevel
from notifications.models import (
    PERSON_CHANNELS,
    WEBHOOK_KINDS,
    Channel,
    Kind,
    NotificationProfile,
    Target,
    WebhookEndpoint,
)
from notifications.services import StepInput
from notifications.services.configuration import TARGETS_BY_KIND

CHANNEL_CHOICES = [(channel.value, channel.label) for channel in PERSON_CHANNELS]
KIND_CHOICES = [(kind.value, kind.label) for kind in WEBHOOK_KINDS]


class PolicyForm(forms.Form):
    name = forms.CharField(max_length=100)
    site = forms.ModelChoiceField(
        queryset=Site.objects.none(),
        required=False,
        empty_label="Every site (the default policy)",
        help_text="A site's own policy replaces the default for that site.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, sites: QuerySet[Site], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]


class LevelsForm(forms.Form):
    """An agency's verification levels at which its policy pages everyone at once."""

    levels = forms.TypedMultipleChoiceField(
        choices=VerificationLevel.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Page everyone at once at these verification levels",
        help_text="At the levels left unticked, the policy's steps follow one another after their delays.",
    )


class Unit(models.TextChoices):
    MINUTES = "minutes", "minutes"
    SECONDS = "seconds", "seconds"


MAX_STEPS = 10
MAX_WAIT = 86_400  # seconds: a step waits at most a day


class StepForm(forms.Form):
    """One step, read as a sentence: "After 3 minutes, notify the agency's admins by SMS and email"."""

    after = forms.IntegerField(
        min_value=0,
        initial=0,
        label="After",
        error_messages={
            "required": "Say how long this step waits (0: at once).",
            "min_value": "A step cannot wait less than nothing: 0 means at once.",
            "invalid": "Enter a whole number of minutes or seconds.",
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "step-after"}),
    )
    unit = forms.ChoiceField(choices=Unit.choices, initial=Unit.MINUTES, label="minutes or seconds")
    target = forms.ChoiceField(
        label="notify",
        error_messages={"required": "Choose whom this step notifies, or leave the step empty."},
    )
    person = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="which person",
        empty_label="— when notifying one person —",
    )
    channels = forms.MultipleChoiceField(
        choices=CHANNEL_CHOICES, required=False, widget=forms.CheckboxSelectMultiple, label="by"
    )
    required_channels = forms.MultipleChoiceField(
        choices=CHANNEL_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="and always by, whatever they chose",
    )

    def __init__(self, *args: Any, organization: Organization, people: QuerySet[User], **kwargs: Any) -> None:
        initial = dict(kwargs.get("initial") or {})
        if "delay_seconds" in initial:  # a saved step, in the form's words: minutes unless it has seconds
            seconds = initial.pop("delay_seconds")
            in_minutes = seconds % 60 == 0
            initial["after"] = seconds // 60 if in_minutes else seconds
            initial["unit"] = Unit.MINUTES if in_minutes else Unit.SECONDS
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        labels = dict(Target.choices)
        # An empty first choice: an untouched extra row stays unchanged, so it adds no step.
        choices = [("", "— choose whom —"), *((t, labels[t]) for t in TARGETS_BY_KIND[organization.kind])]
        self.fields["target"].choices = choices  # type: ignore[attr-defined]
        self.fields["person"].queryset = people  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        after, unit = data.get("after"), data.get("unit")
        if after is not None and unit:
            seconds = after * 60 if unit == Unit.MINUTES else after
            if seconds > MAX_WAIT:
                self.add_error("after", "A step waits at most 24 hours (1440 minutes).")
            data["delay_seconds"] = seconds
        return data

    def as_input(self) -> StepInput:
        data = self.cleaned_data
        return StepInput(
            delay_seconds=data["delay_seconds"],
            target=data["target"],
            person=data.get("person"),
            channels=data.get("channels") or [],
            required_channels=data.get("required_channels") or [],
        )


class BaseStepFormSet(forms.BaseFormSet):
    # Django's own words ("ManagementForm data is missing…", "Please submit at most 10 forms.")
    # mean nothing to an admin.
    default_error_messages = {
        "missing_management_form": "This page was out of date or incomplete, so nothing was saved: "
        "open the policy again and make your changes there.",
        "too_many_forms": f"A policy has at most {MAX_STEPS} steps: remove one before adding another.",
        "too_few_forms": "Add at least one step.",
    }

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this step"

    def steps(self) -> list[StepInput]:
        return [
            form.as_input()
            for form in self.forms
            if form.cleaned_data.get("target") and not form.cleaned_data.get("DELETE")
        ]


StepFormSet = forms.formset_factory(
    StepForm,
    formset=BaseStepFormSet,
    extra=1,
    can_delete=True,
    can_delete_extra=False,
    max_num=MAX_STEPS,
    validate_max=True,
)


def with_another_step(data: Any, *, prefix: str) -> Any:
    """The posted policy with one more empty step ("Add a step"): what was typed is kept."""
    more = data.copy()
    total = f"{prefix}-TOTAL_FORMS"
    try:
        count = int(more.get(total, "0"))
    except ValueError:
        count = 0
    more[total] = str(min(count + 1, MAX_STEPS))
    return more


class EndpointForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the system is, e.g. 'CAD' or 'Duty pager'.")
    url = forms.CharField(max_length=500, label="URL", help_text="Where to POST events (https://…).")
    events = forms.MultipleChoiceField(
        choices=KIND_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=[Kind.PAGE, Kind.UPDATE],
        help_text="Pages are sent when a step of your escalation policy calls the webhooks.",
    )
    format = forms.ChoiceField(
        choices=WebhookEndpoint.Format.choices,
        initial=WebhookEndpoint.Format.WATCHPOST,
        required=False,
        label="Body format",
        help_text="EIDO sends the escalated incident as a NENA-STA-021 document, for CADs that read it.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def clean_format(self) -> str:
        """Left out (an older client's form): Watchpost's envelope, as before formats existed."""
        return str(self.cleaned_data.get("format") or WebhookEndpoint.Format.WATCHPOST)


class SettingsForm(forms.Form):
    """A person's mobile number and, for each kind of notification, the channels they want."""

    phone = forms.CharField(
        max_length=24,
        required=False,
        label="Mobile number for SMS",
        help_text="International format, e.g. +447700900123.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def __init__(
        self, *args: Any, profile: NotificationProfile, matrix: dict[tuple[str, str], bool], **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {"phone": profile.phone})
        super().__init__(*args, **kwargs)
        self.kinds = list(dict.fromkeys(kind for kind, _ in matrix))
        for kind in self.kinds:
            for channel in PERSON_CHANNELS:
                self.fields[self.field_name(kind, channel)] = forms.BooleanField(
                    required=False,
                    initial=matrix[(kind, channel)],
                    label=f"{Kind(kind).label} by {Channel(channel).label}",
                )

    @staticmethod
    def field_name(kind: str, channel: str) -> str:
        return f"{kind}__{channel}"

    def rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (Kind(kind).label, [self[self.field_name(kind, channel)] for channel in PERSON_CHANNELS])
            for kind in self.kinds
        ]

    def choices(self) -> dict[tuple[str, str], bool]:
        return {
            (kind, channel): bool(self.cleaned_data.get(self.field_name(kind, channel)))
            for kind in self.kinds
            for channel in PERSON_CHANNELS
        }
