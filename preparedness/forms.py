"""The forms of preparedness's pages: they parse; the services decide."""

from typing import Any

from django import forms

from accounts.models import Organization, Site, User
from incidents.models import Category
from preparedness.models import Attendee, Briefing, CommunityEvent, Plan, Scenario

LOCAL = {"type": "datetime-local"}
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def _local(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        widget=forms.DateTimeInput(attrs=LOCAL, format="%Y-%m-%dT%H:%M"),
        input_formats=LOCAL_FORMATS,
    )


class PeopleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        membership = getattr(obj, "membership", None)
        return (
            f"{obj} ({membership.get_role_display()}, {membership.organization})" if membership else str(obj)
        )


class SectionsMixin(forms.Form):
    """Up to four sections: a heading and rich text each (sanitized when saved)."""

    SECTIONS = 4

    def __init__(self, *args: Any, sections: list[dict[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for index in range(self.SECTIONS):
            given = (sections or [])[index] if sections and index < len(sections) else {}
            self.fields[f"heading_{index}"] = forms.CharField(
                label=f"Section {index + 1} heading",
                required=False,
                max_length=200,
                initial=given.get("heading", ""),
            )
            self.fields[f"html_{index}"] = forms.CharField(
                label=f"Section {index + 1} text",
                required=False,
                widget=forms.Textarea(attrs={"rows": 6}),
                initial=given.get("html", ""),
                help_text="Paragraphs, lists, tables, bold and links are kept; anything else is removed.",
            )

    def sections(self) -> list[tuple[str, str]]:
        data = self.cleaned_data
        return [(data.get(f"heading_{i}", ""), data.get(f"html_{i}", "")) for i in range(self.SECTIONS)]


class PlanForm(SectionsMixin):
    site = forms.ModelChoiceField(queryset=Site.objects.none())
    kind = forms.ChoiceField(choices=Plan.Kind.choices)
    scenario = forms.ChoiceField(
        choices=[("", "— post orders have none —"), *Scenario.choices], required=False
    )
    title = forms.CharField(max_length=200)
    categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The incident pages of these categories at the site offer this plan.",
    )

    def __init__(self, *args: Any, sites: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        self.order_fields(["site", "kind", "scenario", "title", "categories"])


class VersionForm(SectionsMixin):
    pass


class CommentForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


class AttachmentForm(forms.Form):
    file = forms.FileField(label="PDF attachment")


class DrillForm(forms.Form):
    site = forms.ModelChoiceField(queryset=Site.objects.none())
    scenario = forms.ChoiceField(choices=Scenario.choices)
    title = forms.CharField(max_length=200)
    objectives = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    starts_at = _local("Starts (site time)")
    ends_at = _local("Ends (site time)")
    participants = PeopleChoice(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    mark_participants = forms.BooleanField(
        required=False,
        label="Mark every report a participant files at the site during the window as EXERCISE",
    )

    def __init__(self, *args: Any, sites: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        self.fields["participants"].queryset = people  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        site = data.get("site")
        for name in ("starts_at", "ends_at"):
            if site is not None and data.get(name) is not None:
                # The form's clock is the site's.
                data[name] = data[name].replace(tzinfo=None).replace(tzinfo=site.zone)
        return data


class BriefingForm(forms.Form):
    provider = forms.ModelChoiceField(queryset=Organization.objects.none(), empty_label=None)
    agency = forms.ModelChoiceField(queryset=Organization.objects.none(), empty_label=None)
    title = forms.CharField(max_length=200)
    starts_at = _local("Starts")
    duration_minutes = forms.IntegerField(label="Duration (minutes)", initial=60, min_value=5, max_value=480)
    recurrence = forms.ChoiceField(choices=Briefing.Recurrence.choices, required=False)
    location = forms.CharField(max_length=200, required=False)
    agenda = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False, max_length=10_000)
    sites = forms.ModelMultipleChoiceField(
        queryset=Site.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    attendees = PeopleChoice(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, providers: Any, agencies: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers  # type: ignore[attr-defined]
        self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]
        self.fields["sites"].queryset = Site.objects.filter(provider__in=providers, is_active=True)  # type: ignore[attr-defined]
        # One's own people here; the partner's are invited on the briefing's page, where the pair is known.
        self.fields["attendees"].queryset = people  # type: ignore[attr-defined]


class PeopleForm(forms.Form):
    people = PeopleChoice(queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple, label="People")

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = people  # type: ignore[attr-defined]


class RsvpForm(forms.Form):
    rsvp = forms.ChoiceField(
        choices=[(value, label) for value, label in Attendee.Rsvp.choices if value != Attendee.Rsvp.PENDING],
        widget=forms.RadioSelect,
        label="Your answer",
    )


class TextForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False, max_length=50_000)


class DecisionForm(forms.Form):
    decision = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="— no action —")
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        owner.queryset = people  # type: ignore[attr-defined]
        owner.label = "Owner of the corrective action (either organization)"
        owner.label_from_instance = _person_and_organization  # type: ignore[attr-defined]


def _person_and_organization(user: User) -> str:
    membership = getattr(user, "membership", None)
    return f"{user} ({membership.organization})" if membership is not None else str(user)


class ActionForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=User.objects.none())
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people  # type: ignore[attr-defined]


class CommunityEventForm(forms.Form):
    provider = forms.ModelChoiceField(queryset=Organization.objects.none(), empty_label=None)
    agency = forms.ModelChoiceField(queryset=Organization.objects.none(), empty_label=None)
    kind = forms.ChoiceField(choices=CommunityEvent.Kind.choices)
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    site = forms.ModelChoiceField(queryset=Site.objects.none(), required=False, empty_label="— an address —")
    address = forms.CharField(max_length=300, required=False)
    starts_at = _local("Starts")
    ends_at = _local("Ends")
    capacity = forms.IntegerField(min_value=1, max_value=10_000)
    hosts = PeopleChoice(queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, providers: Any, agencies: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers  # type: ignore[attr-defined]
        self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]
        self.fields["site"].queryset = Site.objects.filter(provider__in=providers, is_active=True)  # type: ignore[attr-defined]
        self.fields["hosts"].queryset = people  # type: ignore[attr-defined]


class RegistrationForm(forms.Form):
    """The public form: a name and an email, a signed time token, and a field only bots fill in."""

    name = forms.CharField(max_length=120, label="Your name")
    email = forms.EmailField(
        label="Your email", help_text="Only for this event's reminder; deleted after it."
    )
    token = forms.CharField(widget=forms.HiddenInput)
    website = forms.CharField(
        required=False,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
