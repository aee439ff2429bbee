from typing import Any

from django import forms

from accounts.models import User
from debriefs.models import CorrectiveAction


class DebriefForm(forms.Form):
    edit_version = forms.IntegerField(widget=forms.HiddenInput)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000)
    strengths = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=20_000)
    improvements = forms.CharField(
        label="Areas for improvement",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=20_000,
    )


class AgencyForm(forms.Form):
    edit_version = forms.IntegerField(widget=forms.HiddenInput)
    agency_contribution = forms.CharField(
        label="The agency's account", widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("changes", "Request changes")])
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=20_000)


class ActionForm(forms.Form):
    what = forms.CharField(
        label="Corrective action", widget=forms.Textarea(attrs={"rows": 2}), max_length=20_000
    )
    owner = forms.ModelChoiceField(queryset=User.objects.none())
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, owners: Any, joins: str = "", **kwargs: Any) -> None:
        # ``joins``: the id of the page's edit form, which these fields are sent with (so that adding
        # an action never loses the text typed above it, and saving never loses a typed action).
        kwargs.setdefault("use_required_attribute", not joins)
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        for field in self.fields.values() if joins else ():
            field.widget.attrs["form"] = joins

    def is_filled(self) -> bool:
        """Whether anything of an action was typed (an untouched action is not one to check)."""
        return any(str(self.data.get(name, "")).strip() for name in ("what", "due_date"))


class ActionUpdateForm(forms.Form):
    status = forms.ChoiceField(choices=CorrectiveAction.Status.choices)
    verification = forms.CharField(
        label="How closure was verified",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=20_000,
    )
