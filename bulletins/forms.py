"""The liaison's bulletin form and the guard's sighting form."""

from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from accounts.models import Organization, Site
from bulletins.models import Bulletin
from bulletins.services import BulletinInput

LOCAL = {"type": "datetime-local"}

# CAP 1.2's status, urgency, severity and certainty, in words for the guard who reads the bulletin.
CAP_HELP = {
    "status": "Actual: a real bulletin, act on it. Exercise: part of a drill, practise but nothing is real. "
    "Test: a technical test, guards ignore it.",
    "urgency": "Immediate: guards act on it now. Expected: act within the next hour. "
    "Future: be ready for it in the coming hours or days.",
    "severity": "Extreme: a threat to life. Severe: serious harm to people or property is likely. "
    "Moderate: some harm is possible. Minor: little or no harm expected.",
    "certainty": "Observed: it has happened or been seen. Likely: more likely than not. "
    "Possible: it may happen, but it is not likely.",
}


class PhotosInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos at once (none is fine); each is checked by its content in the service."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", PhotosInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if isinstance(data, list | tuple):
            return [super(PhotosField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class BulletinForm(forms.Form):
    kind = forms.ChoiceField(choices=Bulletin.Kind.choices)
    title = forms.CharField(max_length=140)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    plate = forms.CharField(max_length=20, required=False, label="Plate (vehicles)")
    last_seen_where = forms.CharField(max_length=200, required=False, label="Last seen where")
    last_seen_at = forms.DateTimeField(
        required=False, label="Last seen when", widget=forms.DateTimeInput(LOCAL)
    )
    do_text = forms.CharField(required=False, label="What to do", widget=forms.Textarea(attrs={"rows": 2}))
    dont_text = forms.CharField(
        required=False,
        label="What not to do",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Do not approach, call it in"}),
    )
    expires_at = forms.DateTimeField(label="Expires", widget=forms.DateTimeInput(LOCAL))
    # The CAP fields, each with what its choices mean for the guards who receive it (the help text is
    # tied to its select by aria-describedby, as Django renders it).
    status = forms.ChoiceField(
        choices=Bulletin.Status.choices,
        initial=Bulletin.Status.ACTUAL,
        help_text=CAP_HELP["status"],
    )
    urgency = forms.ChoiceField(
        choices=Bulletin.Urgency.choices,
        initial=Bulletin.Urgency.EXPECTED,
        label="Urgency (how soon to act)",
        help_text=CAP_HELP["urgency"],
    )
    severity = forms.ChoiceField(
        choices=Bulletin.Severity.choices,
        initial=Bulletin.Severity.MODERATE,
        label="Severity (how much harm is at stake)",
        help_text=CAP_HELP["severity"],
    )
    certainty = forms.ChoiceField(
        choices=Bulletin.Certainty.choices,
        initial=Bulletin.Certainty.LIKELY,
        label="Certainty (how sure you are)",
        help_text=CAP_HELP["certainty"],
    )
    photos = PhotosField(
        required=False,
        label="Photos",
        help_text="JPEG, PNG or WebP, up to 6; an update keeps the earlier versions' photos.",
    )

    def to_input(self) -> BulletinInput:
        data = self.cleaned_data
        return BulletinInput(**{name: data[name] for name in BulletinInput.__dataclass_fields__})


class PublishForm(BulletinForm):
    audience = forms.ChoiceField(choices=Bulletin.Audience.choices, initial=Bulletin.Audience.ALL)
    providers = forms.ModelMultipleChoiceField(
        queryset=Organization.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    sites = forms.ModelMultipleChoiceField(
        queryset=Site.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self, *args: Any, providers: QuerySet[Organization], sites: QuerySet[Site], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["providers"]).queryset = providers
        cast(forms.ModelMultipleChoiceField, self.fields["sites"]).queryset = sites.select_related("provider")


class UpdateForm(BulletinForm):
    change_note = forms.CharField(label="What changed", widget=forms.Textarea(attrs={"rows": 2}))


class CancelForm(forms.Form):
    reason = forms.CharField(label="Why it is cancelled", widget=forms.Textarea(attrs={"rows": 2}))


class SightingForm(forms.Form):
    site = forms.ModelChoiceField(queryset=Site.objects.none(), label="At which site")
    location = forms.CharField(max_length=200, required=False, label="Where exactly")
    narrative = forms.CharField(label="What you saw", widget=forms.Textarea(attrs={"rows": 3}))
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, sites: QuerySet[Site], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["site"])
        field.queryset = sites
        if sites.count() == 1:
            field.initial = sites.first()
