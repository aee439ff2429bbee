"""Forms parse input for the services; the services validate and decide."""

import uuid
import zoneinfo
from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone

from accounts import policy as account_policy
from accounts.models import Site, User
from incidents import policy
from incidents.models import Category, Incident, InvolvedParty, Severity
from incidents.selectors import (
    DRILL_CHOICES,
    SORTS,
    get_last_report_site_id,
    list_categories,
    list_categories_by_use,
)
from incidents.services.purposes import PURPOSE_MAX_LENGTH, PURPOSE_MIN_LENGTH
from portal import duty


class SeverityRadio(forms.RadioSelect):
    option_template_name = "incidents/widgets/severity_option.html"


class CategoryRadio(forms.RadioSelect):
    option_template_name = "incidents/widgets/category_option.html"


def local_input(value: datetime, zone: zoneinfo.ZoneInfo) -> str:
    return timezone.localtime(value, zone).strftime("%Y-%m-%dT%H:%M")


class SiteWallTime(forms.DateTimeField):
    """A wall-clock time at the site, which the form's clean() places in the site's zone. Parsed
    without the reader's zone, which would refuse a time that the reader's DST skips but the
    site's does not."""

    def to_python(self, value: Any) -> datetime | None:
        with timezone.override(zoneinfo.ZoneInfo("UTC")):
            return super().to_python(value)


class ReportForm(forms.Form):
    """The guard's report: category and severity first, few required fields, evidence in the same form."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    site = forms.ModelChoiceField(queryset=Site.objects.none(), empty_label=None)
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(), widget=CategoryRadio, required=False, empty_label=None
    )
    severity = forms.TypedChoiceField(
        choices=Severity.choices, coerce=int, widget=SeverityRadio, required=False, empty_value=None
    )
    occurred_at = SiteWallTime(
        label="When did it happen?",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        help_text="Site time. Leave as it is if it is happening now.",
        required=False,
    )
    location = forms.CharField(
        label="Where on the site?", max_length=200, required=False, help_text="e.g. north entrance, level 2"
    )
    latitude = forms.DecimalField(required=False, widget=forms.HiddenInput)
    longitude = forms.DecimalField(required=False, widget=forms.HiddenInput)
    location_accuracy_m = forms.IntegerField(required=False, widget=forms.HiddenInput)
    narrative = forms.CharField(
        label="What happened?", widget=forms.Textarea(attrs={"rows": 5}), required=False, max_length=20_000
    )
    party_role = forms.ChoiceField(
        label="Person involved",
        choices=[("", "— none —"), *InvolvedParty.Role.choices],
        required=False,
    )
    party_description = forms.CharField(
        label="Description of the person",
        required=False,
        max_length=2000,
        help_text="Clothing, height, direction of travel…",
    )
    party_name = forms.CharField(label="Name (if known)", required=False, max_length=200)
    party_contact = forms.CharField(label="Contact (if known)", required=False, max_length=200)
    vehicle_plate = forms.CharField(label="Vehicle plate", required=False, max_length=20)
    vehicle_description = forms.CharField(label="Vehicle description", required=False, max_length=200)
    device_time = forms.DateTimeField(required=False, widget=forms.HiddenInput)
    as_drill = forms.BooleanField(
        label="This is a drill (EXERCISE)",
        required=False,
        help_text="Only while a drill runs at the site. Leave it unticked for anything real.",
    )

    # Category tiles on the first screen; the rest are behind "More categories".
    FIRST_CATEGORIES = 6

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sites = policy.reportable_sites(user).order_by("name")
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        self.fields["category"].queryset = list_categories_by_use(for_user=user)  # type: ignore[attr-defined]
        # Counted as typed, never cut by the browser: the page shows the count against the limit and
        # the server refuses a longer text with a message (nothing typed is lost).
        for name in ("narrative", "location"):
            field = self.fields[name]
            field.widget.attrs.pop("maxlength", None)
            field.widget.attrs["data-limit"] = str(field.max_length)  # type: ignore[attr-defined]
        if not self.is_bound:
            self._set_defaults(user, sites)
        if sites.count() == 1:
            self.fields["site"].widget = forms.HiddenInput()

    def _set_defaults(self, user: User, sites: Any) -> None:
        """A new report: the site of the guard's open shift (portal.duty, answered by patrols), else
        of their last report, else the first; now; a fresh key."""
        on_shift = duty.current_site_id(user)
        first = sites.filter(pk=on_shift).first() if on_shift is not None else None
        if first is None:
            last = get_last_report_site_id(reporter=user)
            first = sites.filter(pk=last).first() if last is not None else sites.first()
        if first is not None:
            self.initial.setdefault("site", first.pk)
            self.initial.setdefault("occurred_at", local_input(timezone.now(), first.zone))
            self.initial.setdefault("idempotency_key", uuid.uuid4())

    def category_tiles(self) -> tuple[list[Any], list[Any]]:
        """The category radio buttons: the most used first, and the rest (shown under "more")."""
        options = list(self["category"])
        return options[: self.FIRST_CATEGORIES], options[self.FIRST_CATEGORIES :]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        site, occurred = data.get("site"), data.get("occurred_at")
        if site is not None and occurred is not None:
            # The form's clock is the site's: a naive time is read in the site's time zone.
            data["occurred_at"] = timezone.make_aware(occurred.replace(tzinfo=None), site.zone)
        if data.get("party_role") and not (data.get("party_description") or "").strip():
            self.add_error("party_description", "Describe the person, or choose “none”.")
        return data

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {name: data.get(name) for name in ("category", "severity", "location", "narrative")}
        fields.update({name: data.get(name) for name in ("latitude", "longitude", "location_accuracy_m")})
        if data.get("occurred_at"):
            fields["occurred_at"] = data["occurred_at"]
        return fields


class EditForm(forms.Form):
    """Changes to an existing report; carries the version the editor saw (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    category = ReportForm.base_fields["category"]
    severity = ReportForm.base_fields["severity"]
    occurred_at = ReportForm.base_fields["occurred_at"]
    location = ReportForm.base_fields["location"]
    narrative = ReportForm.base_fields["narrative"]

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "version": incident.version,
                "category": incident.category_id,
                "severity": incident.severity,
                "occurred_at": local_input(incident.occurred_at, incident.site.zone),
                "location": incident.location,
                "narrative": incident.narrative,
            },
        )
        super().__init__(*args, **kwargs)
        self.incident = incident
        self.fields["category"].queryset = list_categories()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("occurred_at") is not None:
            data["occurred_at"] = timezone.make_aware(
                data["occurred_at"].replace(tzinfo=None), self.incident.site.zone
            )
        return data

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        changes = {name: data.get(name) for name in ("category", "severity", "location", "narrative")}
        if data.get("occurred_at"):
            changes["occurred_at"] = data["occurred_at"]
        return changes


INTERNAL_HELP = "Internal: only your organization sees it, never the police, even once escalated."


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Add a note",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20_000,
        help_text="By default a note is seen by your organization and by the police agencies this "
        "incident is shared with (while it is). Tick Internal to keep it to your organization.",
    )
    internal = forms.BooleanField(required=False, label="Internal", help_text=INTERNAL_HELP)


class PartyForm(forms.Form):
    role = forms.ChoiceField(choices=InvolvedParty.Role.choices)
    description = forms.CharField(max_length=2000)
    name = forms.CharField(required=False, max_length=200, label="Name (personal data)")
    contact = forms.CharField(required=False, max_length=200, label="Contact (personal data)")
    internal = forms.BooleanField(required=False, label="Internal", help_text=INTERNAL_HELP)


class ReleaseForm(forms.Form):
    party = forms.IntegerField(widget=forms.HiddenInput)
    agency = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=300, label="Why the agency needs these details")


class LegalHoldForm(forms.Form):
    action = forms.ChoiceField(choices=[("place", "Place"), ("lift", "Lift")], widget=forms.HiddenInput)
    reason = forms.CharField(max_length=300, label="Why")


class PurposeForm(forms.Form):
    """What an agency's reader states before an incident's personal data shows (once per incident
    per session); the service checks it (incidents/services/purposes.py)."""

    purpose = forms.CharField(
        max_length=PURPOSE_MAX_LENGTH,
        min_length=PURPOSE_MIN_LENGTH,
        label="Why are you opening this incident's people and files? (case number or reason)",
        help_text="Kept in the audit record with your name, each time you open them.",
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class EndShareForm(forms.Form):
    share = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=300, label="Why the agency no longer needs the incident")


class VehicleForm(forms.Form):
    plate = forms.CharField(required=False, max_length=20)
    description = forms.CharField(required=False, max_length=200)


class TriageForm(forms.Form):
    ACTIONS = [("accept", "Accept"), ("request_info", "Request more information"), ("close", "Close")]

    action = forms.ChoiceField(choices=ACTIONS)
    version = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=20_000,
        help_text="A question for the reporter, or the resolution when closing.",
    )
    # Sent by the confirmation step: close although a panic is active or the police response is open.
    confirm = forms.BooleanField(required=False)


class FilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    site = forms.ModelChoiceField(queryset=Site.objects.none(), required=False, empty_label="All sites")
    status = forms.ChoiceField(choices=[("", "Any status"), *Incident.Status.choices], required=False)
    severity = forms.TypedChoiceField(
        choices=[("", "Any severity"), *Severity.choices], coerce=int, required=False, empty_value=None
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(), required=False, empty_label="Any category"
    )
    reporter = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Anyone")
    received_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(choices=[(key, key.title()) for key in SORTS], required=False, initial="newest")
    drills = forms.ChoiceField(
        label="Drills", choices=list(DRILL_CHOICES.items()), required=False, initial="hide"
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = account_policy.visible_sites(user).order_by("name")  # type: ignore[attr-defined]
        self.fields["category"].queryset = Category.objects.all()  # type: ignore[attr-defined]
        organization = account_policy.organization_of(user)
        reporters = (
            User.objects.filter(membership__organization=organization)
            if organization
            else User.objects.none()
        )
        self.fields["reporter"].queryset = reporters.order_by("full_name")  # type: ignore[attr-defined]
