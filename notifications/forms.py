from typing import Any

from django import forms
from django.core.exceptions import ValidationError
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
from notifications.senders.sms import UNAVAILABLE
from notifications.services import StepInput
from notifications.services.configuration import TARGETS_BY_KIND
from notifications.services.people import NEEDS_NUMBER

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

    def has_changed(self) -> bool:
        """Whether the admin filled anything in. A blank step (nobody chosen, no channel, a wait of
        0 or nothing) is untouched whatever its unit says, so an extra step is neither validated nor
        shown with errors: Django's own test compares with the initial values and counted a cleared
        wait, or the step "Add a step" appended (absent from the posted data), as typed."""
        if not self.is_bound:
            return False
        data = {
            name: self[name].value()
            for name in ("after", "target", "person", "channels", "required_channels")
        }
        wait = str(data.pop("after") or "").strip()
        return wait not in ("", "0") or any(data.values())

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
    added = min(count + 1, MAX_STEPS)
    more[total] = str(added)
    if added > count:  # the new step as a new page shows it: at once, in minutes, nobody chosen yet
        more.setdefault(f"{prefix}-{count}-after", "0")
        more.setdefault(f"{prefix}-{count}-unit", Unit.MINUTES)
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
    """A person's mobile number and, for each kind of notification, the channels they want. SMS is
    offered only when the server can send it; a person without a number sees it unticked, since
    nothing can reach them by SMS until they give one."""

    phone = forms.CharField(
        max_length=24,
        required=False,
        label="Mobile number for SMS",
        help_text="International format, e.g. +447700900123.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def __init__(
        self,
        *args: Any,
        profile: NotificationProfile,
        matrix: dict[tuple[str, str], bool],
        sms_available: bool,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {"phone": profile.phone})
        super().__init__(*args, **kwargs)
        self.sms_available = sms_available
        self.channels = [c for c in PERSON_CHANNELS if sms_available or c != Channel.SMS]
        self.kinds = list(dict.fromkeys(kind for kind, _ in matrix))
        for kind in self.kinds:
            for channel in self.channels:
                initial = matrix[(kind, channel)] and (channel != Channel.SMS or bool(profile.phone))
                self.fields[self.field_name(kind, channel)] = forms.BooleanField(
                    required=False, initial=initial, label=f"{Kind(kind).label} by {Channel(channel).label}"
                )
        if not sms_available:
            self.fields[
                "phone"
            ].help_text = "International format, e.g. +447700900123. Kept for when this server can send SMS."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.sms_available and any(
            self.data.get(self.field_name(kind, Channel.SMS)) for kind in self.kinds
        ):
            raise ValidationError(UNAVAILABLE)
        wants_sms = any(data.get(self.field_name(kind, Channel.SMS)) for kind in self.kinds)
        if wants_sms and not data.get("phone", "").strip() and "phone" not in self.errors:
            self.add_error("phone", NEEDS_NUMBER)
        return data

    @staticmethod
    def field_name(kind: str, channel: str) -> str:
        return f"{kind}__{channel}"

    def rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (Kind(kind).label, [self[self.field_name(kind, channel)] for channel in self.channels])
            for kind in self.kinds
        ]

    def channel_labels(self) -> list[str]:
        return [Channel(channel).label for channel in self.channels]

    def choices(self) -> dict[tuple[str, str], bool]:
        """The choices on the page; SMS, when not offered, keeps what was stored."""
        return {
            (kind, channel): bool(self.cleaned_data.get(self.field_name(kind, channel)))
            for kind in self.kinds
            for channel in self.channels
        }
