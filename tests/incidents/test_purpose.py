"""Purpose-bound access (README, "Who sees what"): an agency's reader says why before an incident's
people and evidence files show, once per incident per session on pages and with each API request;
every such view is audited with who, which incident, what and the purpose. The provider's side is
never asked."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from dispatch import services as dispatch_services
from incidents import services
from tests.factories import report
from tests.incidents.evidence_samples import ORIGIN, jpeg

pytestmark = pytest.mark.django_db

VICTIM = "Priya Shah"
QUESTION = "Why are you opening this incident&#x27;s people and files? (case number or reason)"
CASE = "Case 2026/0042 burglary"


def escalated(world, *, name=VICTIM, narrative="Man trying car doors"):
    incident = report(world.guard_a, world.a1, narrative=narrative)
    services.add_party(
        incident=incident,
        by=world.supervisor_a,
        party=services.PartyInput(
            role="witness", description="Saw him", name=name, contact="+44 7700 900111"
        ),
    )
    photo = services.add_evidence(
        incident=incident,
        by=world.supervisor_a,
        upload=SimpleUploadedFile("car.jpg", jpeg((32, 24)), "image/jpeg"),
        client_sha256=None,
        origin=ORIGIN,
    )
    escalation = dispatch_services.escalate_incident(incident=incident, by=world.supervisor_a, reason="CCTV")
    incident.refresh_from_db()
    return incident, escalation, photo


def give(client, incident, purpose=CASE, *, next="", **extra):
    data = {"purpose": purpose, "next": next}
    return client.post(reverse("incidents:give_purpose", args=[incident.public_id]), data, **extra)


def views_of(incident):
    return AuditEvent.objects.filter(action="personal_data.viewed", object_id=str(incident.public_id))


def test_the_liaison_is_asked_for_a_purpose_and_sees_no_names_until_given(client, world):
    incident, escalation, _ = escalated(world)
    client.force_login(world.liaison_x)
    for url in (
        reverse("incidents:detail", args=[incident.public_id]),
        reverse("dispatch:panel", args=[escalation.public_id]),
    ):
        text = client.get(url).content.decode()
        assert QUESTION in text, url
        assert VICTIM not in text, url
        assert "Saw him" in text, url  # the incident shows, less the personal data
    assert not views_of(incident).exists()


def test_the_provider_staff_are_not_asked(client, world):
    incident, _, photo = escalated(world)
    client.force_login(world.supervisor_a)
    text = client.get(reverse("incidents:detail", args=[incident.public_id])).content.decode()
    assert QUESTION not in text
    assert VICTIM in text
    assert client.get(reverse("incidents:evidence_download", args=[photo.public_id])).status_code == 200
    assert not views_of(incident).exists()  # only an agency's views are purpose-bound


def test_after_a_purpose_the_people_show_and_the_view_is_audited_with_it(client, world):
    incident, escalation, _ = escalated(world)
    client.force_login(world.liaison_x)
    response = give(client, incident, next=reverse("incidents:detail", args=[incident.public_id]))
    assert response.status_code == 302
    text = client.get(reverse("incidents:detail", args=[incident.public_id])).content.decode()
    assert VICTIM in text
    assert QUESTION not in text
    assert f"Your purpose: {CASE}" in text
    panel = client.get(reverse("dispatch:panel", args=[escalation.public_id])).content.decode()
    assert VICTIM in panel
    records = list(views_of(incident).order_by("id"))
    assert [record.data["via"] for record in records] == ["page", "board"]
    for record in records:
        assert record.actor == world.liaison_x  # who looked is always there
        assert record.organization == world.agency_x
        assert record.data["purpose"] == CASE
        assert record.data["incident"] == str(incident.public_id)
        assert record.data["what"] == "people"
    given = AuditEvent.objects.get(action="personal_data.purpose_given")
    assert given.actor == world.liaison_x
    assert given.data["purpose"] == CASE


@pytest.mark.parametrize(
    ("purpose", "message"),
    [
        ("", "Say why you are opening"),
        ("  ", "Say why you are opening"),
        ("ab", "3 characters"),
        ("x" * 201, "200"),
    ],
)
def test_a_bad_purpose_is_refused_with_a_clear_message_and_nothing_kept(client, world, purpose, message):
    incident, _, _ = escalated(world)
    client.force_login(world.liaison_x)
    response = give(client, incident, purpose, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert message in response.json()["detail"]
    text = client.get(reverse("incidents:detail", args=[incident.public_id])).content.decode()
    assert VICTIM not in text
    assert not AuditEvent.objects.filter(action__startswith="personal_data.").exists()


def test_the_board_panel_form_answers_json(client, world):
    incident, escalation, _ = escalated(world)
    client.force_login(world.liaison_x)
    panel = client.get(reverse("dispatch:panel", args=[escalation.public_id])).content.decode()
    assert reverse("incidents:give_purpose", args=[incident.public_id]) in panel
    answer = give(client, incident, HTTP_ACCEPT="application/json")
    assert answer.status_code == 200
    assert answer.json() == {"purpose": CASE}


def test_a_purpose_holds_for_its_incident_only_and_for_the_session(client, world):
    first, _, _ = escalated(world)
    second, _, _ = escalated(world, name="Tom Reed", narrative="Second report")
    client.force_login(world.liaison_x)
    give(client, first)
    assert VICTIM in client.get(reverse("incidents:detail", args=[first.public_id])).content.decode()
    other = client.get(reverse("incidents:detail", args=[second.public_id])).content.decode()
    assert QUESTION in other  # a second incident asks again
    assert "Tom Reed" not in other
    client.logout()
    client.force_login(world.liaison_x)  # a new session asks again
    assert QUESTION in client.get(reverse("incidents:detail", args=[first.public_id])).content.decode()


def test_evidence_files_and_thumbnails_wait_for_the_purpose_and_carry_it(
    client, world, django_capture_on_commit_callbacks
):
    incident, _, photo = escalated(world)
    services.make_thumbnail(evidence=photo)
    client.force_login(world.liaison_x)
    download = reverse("incidents:evidence_download", args=[photo.public_id])
    thumbnail = reverse("incidents:evidence_thumbnail", args=[photo.public_id])
    asked = client.get(download)
    assert asked.status_code == 403
    assert QUESTION in asked.content.decode()
    assert client.get(thumbnail)["X-Preview"] == "purpose_needed"
    detail = client.get(reverse("incidents:evidence_detail", args=[photo.public_id])).content.decode()
    assert QUESTION in detail
    back = give(client, incident, next=download)
    assert back["Location"] == download  # straight on to the file
    assert client.get(download).status_code == 200
    assert client.get(thumbnail)["Content-Type"] == "image/jpeg"
    for action in ("evidence.downloaded", "evidence.thumbnail"):
        record = AuditEvent.objects.filter(action=action, actor=world.liaison_x).latest("id")
        assert record.data["purpose"] == CASE
        assert record.data["incident"] == str(incident.public_id)


def test_the_api_refuses_people_and_files_without_a_purpose_and_names_the_header(client, world):
    incident, _, photo = escalated(world)
    client.force_login(world.liaison_x)
    for url in (
        f"/api/v1/incidents/{incident.public_id}/parties/",
        f"/api/v1/evidence/{photo.public_id}/download/",
        f"/api/v1/eido/{incident.public_id}/",
    ):
        refused = client.get(url)
        assert refused.status_code == 403, url
        assert "X-Watchpost-Purpose" in refused.json()["detail"], url
    # The incident itself answers, with the people's names and contacts left out.
    shown = client.get(f"/api/v1/incidents/{incident.public_id}/").json()
    assert all(party["name"] is None for party in shown["parties"])
    assert not views_of(incident).exists()


def test_the_api_with_a_purpose_shows_them_and_audits_each_read(client, world):
    incident, _, photo = escalated(world)
    client.force_login(world.liaison_x)
    parties = client.get(f"/api/v1/incidents/{incident.public_id}/parties/", HTTP_X_WATCHPOST_PURPOSE=CASE)
    assert parties.status_code == 200
    assert parties.json()["results"][0]["name"] == VICTIM
    by_parameter = client.get(f"/api/v1/incidents/{incident.public_id}/", {"purpose": "Ref 77"})
    assert by_parameter.json()["parties"][0]["name"] == VICTIM
    file = client.get(f"/api/v1/evidence/{photo.public_id}/download/", HTTP_X_WATCHPOST_PURPOSE=CASE)
    assert file.status_code == 200
    records = list(views_of(incident).order_by("id"))
    assert [(r.data["via"], r.data["what"], r.data["purpose"]) for r in records] == [
        ("api", "people", CASE),
        ("api", "incident with its people", "Ref 77"),
    ]
    assert all(record.actor == world.liaison_x for record in records)
    downloaded = AuditEvent.objects.filter(action="evidence.downloaded", actor=world.liaison_x).get()
    assert downloaded.data["purpose"] == CASE
    too_long = client.get(
        f"/api/v1/incidents/{incident.public_id}/parties/", HTTP_X_WATCHPOST_PURPOSE="x" * 300
    )
    assert too_long.status_code == 400
    assert "200 characters" in too_long.content.decode()


def test_the_providers_api_needs_no_purpose(client, world):
    incident, _, _ = escalated(world)
    client.force_login(world.supervisor_a)
    response = client.get(f"/api/v1/incidents/{incident.public_id}/parties/")
    assert response.status_code == 200
    assert response.json()["results"][0]["name"] == VICTIM
