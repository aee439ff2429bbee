"""Stored codes as the words people read (a timeline says "More information requested", not
``needs_info``; "On scene", not ``on_scene``)."""

from django import template

from incidents.models import Incident, Severity

register = template.Library()

FIELDS = {
    "category": "Category",
    "severity": "Severity",
    "occurred_at": "When it happened",
    "location": "Where on the site",
    "narrative": "What happened",
    "site": "Site",
}


@register.filter
def status_words(code: object) -> str:
    """An incident's status by its label; any other code (an escalation's) in plain words."""
    if code in (None, ""):
        return "—"
    text = str(code)
    labels = dict(Incident.Status.choices)
    if text in labels:
        return str(labels[text])
    return text.replace("_", " ").capitalize()


@register.filter
def field_words(name: object) -> str:
    """A report's field by the question the form asks."""
    text = str(name)
    return FIELDS.get(text, text.replace("_", " ").capitalize())


@register.filter
def field_value_words(value: object, name: object) -> str:
    """A changed field's value in words: a severity by its label, the rest as stored."""
    if value in (None, ""):
        return "—"
    if str(name) == "severity":
        labels = {str(key): str(label) for key, label in Severity.choices}
        return labels.get(str(value), str(value))
    return str(value)
