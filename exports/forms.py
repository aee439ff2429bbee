from django import forms

from exports.services import PURPOSE_LENGTH, PURPOSE_REQUIRED


class BundleForm(forms.Form):
    purpose = forms.CharField(
        max_length=PURPOSE_LENGTH,
        help_text=(
            "A case number, a court date or a request reference: kept in the manifest and the audit log."
        ),
        error_messages={"required": PURPOSE_REQUIRED},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
