from typing import Any

from django import forms
from django.db.models import QuerySet

from accounts.models import Organization, Site, User
from notifications.models import PERSON_CHANNELS, WEBHOOK_KINDS, Channel, Kind, NotificationProfile, Target
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


class StepForm(forms.Form):
    delay_seconds = forms.IntegerField(
        min_value=0,
        max_value=86_400,
        initial=0,
        label="After (seconds)",
        help_text="From the request, if nobody has accepted by then. 0: at once.",
    )
    target = forms.ChoiceField(label="Notify")
    person = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label="Person (if one)")
    channels = forms.MultipleChoiceField(
        choices=CHANNEL_CHOICES, required=False, widget=forms.CheckboxSelectMultiple, label="By"
    )
    required_channels = forms.MultipleChoiceField(
        choices=CHANNEL_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Always (whatever people chose)",
    )

    def __init__(self, *args: Any, organization: Organization, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Target.choices)
        # An empty first choice: an untouched extra row stays unchanged, so it adds no step.
        choices = [("", "— choose —"), *((t, labels[t]) for t in TARGETS_BY_KIND[organization.kind])]
        self.fields["target"].choices = choices  # type: ignore[attr-defined]
        self.fields["person"].queryset = people  # type: ignore[attr-defined]

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
    def steps(self) -> list[StepInput]:
        return [
            form.as_input()
            for form in self.forms
            if form.cleaned_data.get("target") and not form.cleaned_data.get("DELETE")
        ]


StepFormSet = forms.formset_factory(StepForm, formset=BaseStepFormSet, extra=1, can_delete=True, max_num=10)


class EndpointForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the system is, e.g. 'CAD' or 'Duty pager'.")
    url = forms.CharField(max_length=500, label="URL", help_text="Where to POST events (https://…).")
    events = forms.MultipleChoiceField(
        choices=KIND_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=[Kind.PAGE, Kind.UPDATE],
        help_text="Pages are sent when a step of your escalation policy calls the webhooks.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")


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
