"""The report form says who sees the names and contacts it asks for, and that is who does."""

import re
import uuid

from django.urls import reverse

from dispatch import services as dispatch_services
from incidents.models import Category, Incident
from tests.factories import report


def privacy_sentence(client) -> str:
    page = client.get(reverse("incidents:report")).content.decode()
    found = re.search(r"<p class=\"help\" data-privacy>(.*?)</p>", page, re.S)
    assert found, "the report form has no privacy sentence"
    return found.group(1)


def test_the_form_no_longer_says_only_the_organization_sees_names(client, world):
    client.force_login(world.guard_a)
    sentence = privacy_sentence(client)
    assert "only your organization" not in sentence.lower()
    assert "police agency" in sentence
    assert "escalated" in sentence
    # who sees what, and when (README, "Who sees what"): the redaction, its release, the end, internal
    for words in ("victim", "minor", "initials", "releases them", "ends its access", "internal", "never"):
        assert words in sentence, words


def test_the_agency_does_not_see_a_victims_contact_as_the_form_says(client, world):
    client.force_login(world.guard_a)
    client.post(
        reverse("incidents:report"),
        {
            "idempotency_key": str(uuid.uuid4()),
            "site": world.a1.pk,
            "category": Category.objects.get(code="theft").pk,
            "severity": "3",
            "occurred_at": "2026-11-29T08:30",
            "narrative": "Bag snatched from a shopper",
            "party_role": "victim",
            "party_description": "The shopper",
            "party_name": "Alex Victim",
            "party_contact": "+447700900999",
            "action": "submit",
        },
    )
    incident = Incident.objects.get()
    dispatch_services.escalate_incident(incident=incident, by=world.supervisor_a)
    client.force_login(world.liaison_x)
    # The agency's reader says why first (README, "Who sees what": purpose).
    client.post(reverse("incidents:give_purpose", args=[incident.public_id]), {"purpose": "Case 2026/0042"})
    text = client.get(reverse("incidents:detail", args=[incident.public_id])).content.decode()
    assert "Alex Victim" in text
    assert "+447700900999" not in text


def test_the_agency_sees_the_names_once_the_report_is_escalated_as_the_form_says(client, world):
    client.force_login(world.guard_a)
    client.post(
        reverse("incidents:report"),
        {
            "idempotency_key": str(uuid.uuid4()),
            "site": world.a1.pk,
            "category": Category.objects.get(code="theft").pk,
            "severity": "3",
            "occurred_at": "2026-11-29T08:30",
            "location": "North entrance",
            "narrative": "Two jackets taken from the rack",
            "party_role": "subject",
            "party_description": "Tall, red cap",
            "party_name": "Jordan Example",
            "party_contact": "+447700900123",
            "action": "submit",
        },
    )
    incident = Incident.objects.get()
    detail = reverse("incidents:detail", args=[incident.public_id])
    client.force_login(world.supervisor_a)
    assert "Jordan Example" in client.get(detail).content.decode()
    client.force_login(world.liaison_x)
    assert client.get(detail).status_code == 404  # not escalated: the agency sees nothing
    dispatch_services.escalate_incident(incident=incident, by=world.supervisor_a)
    assert "Jordan Example" not in client.get(detail).content.decode()  # not before a purpose
    client.post(reverse("incidents:give_purpose", args=[incident.public_id]), {"purpose": "Case 2026/0042"})
    assert "Jordan Example" in client.get(detail).content.decode()
    client.force_login(world.liaison_y)
    assert client.get(detail).status_code == 404


def test_the_notes_internal_box_sits_before_its_label_and_says_what_it_does(client, world):
    """The box was under a bare "Internal:" heading, apart from the sentence that explains it."""
    incident = report(world.guard_a, world.a1)
    client.force_login(world.supervisor_a)
    page = client.get(reverse("incidents:detail", args=[incident.public_id])).content.decode()
    found = re.search(
        r'<div class="check"><input type="checkbox" name="internal"[^>]*id="(\w+)"[^>]*>'
        r' <label for="\1">Internal</label></div>',
        page,
    )
    assert found, "the internal box is not before its own label"
    assert "Internal:</label>" not in page
