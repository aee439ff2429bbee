"""Who sees what (README): an internal note, party or photo never reaches the agency, and a victim's
contact (the default redaction profile) is withheld from it until a supervisor releases it, on the
incident page, the board's panel, the API, search and the board's socket payloads; a rejected or
cancelled escalation ends the agency's access, a cleared one keeps it until the provider ends it."""

import json
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Partnership
from audit.models import AuditEvent
from dispatch import services as dispatch_services
from dispatch.models import BoardEvent
from incidents import policy, services
from incidents.models import IncidentShare, PartyRelease, TimelineEntry
from tests.factories import report
from tests.incidents.evidence_samples import ORIGIN, jpeg

pytestmark = pytest.mark.django_db

SECRET = "Ex-employee, HR checking"
PHONE = "+44 7700 900456"
VICTIM = "Priya Shah"


@pytest.fixture
def case(world) -> SimpleNamespace:
    """A1's report, with a victim (contact), a minor, an internal note, an internal witness and an
    internal photo, escalated to agency X."""
    c = SimpleNamespace(world=world)
    c.incident = report(world.guard_a, world.a1, narrative="Man trying car doors in car park A")
    c.victim = services.add_party(
        incident=c.incident,
        by=world.supervisor_a,
        party=services.PartyInput(role="victim", description="Car owner", name=VICTIM, contact=PHONE),
    )
    c.minor = services.add_party(
        incident=c.incident,
        by=world.supervisor_a,
        party=services.PartyInput(
            role="minor", description="Her son", name="Sam Lee Shah", contact="sam@x.test"
        ),
    )
    services.add_party(
        incident=c.incident,
        by=world.supervisor_a,
        party=services.PartyInput(role="witness", description=f"Cleaner: {SECRET}", internal=True),
    )
    c.note = services.add_note(incident=c.incident, by=world.supervisor_a, text=SECRET, internal=True)
    services.add_note(incident=c.incident, by=world.supervisor_a, text="Police may call the desk.")
    c.photo = services.add_evidence(
        incident=c.incident,
        by=world.supervisor_a,
        upload=SimpleUploadedFile("hr-file.jpg", jpeg((32, 24)), "image/jpeg"),
        client_sha256=None,
        origin=ORIGIN,
        internal=True,
    )
    c.escalation = dispatch_services.escalate_incident(
        incident=c.incident, by=world.supervisor_a, reason="On camera"
    )
    c.incident.refresh_from_db()
    return c


def give_purposes(client, user) -> None:
    """An agency's reader states a purpose for each incident it sees (README: asked once per incident
    per session), as the page's form does."""
    if policy.visible_incidents(user).exists() and user.membership.organization.is_agency:
        for incident in policy.visible_incidents(user):
            url = reverse("incidents:give_purpose", args=[incident.public_id])
            assert client.post(url, {"purpose": "Case 2026/0042"}).status_code == 302


def page(client, user, url) -> str:
    client.force_login(user)
    give_purposes(client, user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def api(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url, HTTP_ACCEPT="application/json", HTTP_X_WATCHPOST_PURPOSE="Case 2026/0042")
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def surfaces(case) -> dict[str, str]:
    incident = case.incident.public_id
    return {
        "page": reverse("incidents:detail", args=[incident]),
        "panel": reverse("dispatch:panel", args=[case.escalation.public_id]),
    }


def api_urls(case) -> list[str]:
    base = f"/api/v1/incidents/{case.incident.public_id}/"
    return [base, f"{base}timeline/", f"{base}notes/", f"{base}parties/", f"{base}evidence/"]


def test_the_provider_sees_everything_and_marks_what_is_internal(client, case):
    text = page(client, case.world.supervisor_a, surfaces(case)["page"])
    assert SECRET in text
    assert PHONE in text
    assert "hr-file.jpg" in text
    assert "Internal" in text
    for url in api_urls(case):
        assert SECRET in api(client, case.world.supervisor_a, url) or url.endswith(("parties/", "evidence/"))
    assert PHONE in api(client, case.world.supervisor_a, api_urls(case)[3])


def test_the_liaison_sees_no_internal_item_and_no_redacted_field_on_pages(client, case):
    for name, url in surfaces(case).items():
        text = page(client, case.world.liaison_x, url)
        assert VICTIM in text, name  # the victim's name is shown (the profile hides the contact)
        assert "Police may call the desk." in text, name  # a shared note is
        for hidden in (SECRET, PHONE, "hr-file.jpg", "sam@x.test", "Sam Lee Shah"):
            assert hidden not in text, (name, hidden)
        assert "S. L. S." in text, name  # the minor's name as initials
        assert "contact withheld until the provider releases it" in text, name


def test_the_liaison_sees_no_internal_item_and_no_redacted_field_in_the_api(client, case):
    for url in api_urls(case):
        text = api(client, case.world.liaison_x, url)
        for hidden in (SECRET, PHONE, "hr-file.jpg", "sam@x.test", "Sam Lee Shah"):
            assert hidden not in text, (url, hidden)
    parties = json.loads(api(client, case.world.liaison_x, api_urls(case)[3]))["results"]
    victim = next(p for p in parties if p["role"] == "victim")
    assert victim["name"] == VICTIM
    assert victim["contact"] is None
    assert victim["withheld"] == ["contact"]
    assert len(parties) == 2  # the internal witness is not there at all


def test_an_internal_evidence_item_is_not_found_by_the_agency_even_by_its_id(client, case):
    client.force_login(case.world.liaison_x)
    for name in ("incidents:evidence_detail", "incidents:evidence_download", "incidents:evidence_thumbnail"):
        assert client.get(reverse(name, args=[case.photo.public_id])).status_code == 404, name
    assert client.get(f"/api/v1/evidence/{case.photo.public_id}/").status_code == 404
    client.force_login(case.world.supervisor_a)
    assert client.get(reverse("incidents:evidence_detail", args=[case.photo.public_id])).status_code == 200


def test_the_agencys_search_finds_no_incident_by_a_name_or_an_internal_text(client, case):
    client.force_login(case.world.liaison_x)
    for words in (VICTIM, "Cleaner", "Sam Lee Shah"):
        found = json.loads(client.get("/api/v1/incidents/", {"q": words}).content)["results"]
        assert found == [], words
    found = json.loads(client.get("/api/v1/incidents/", {"q": "car doors"}).content)["results"]
    assert [row["reference"] for row in found] == [case.incident.reference]
    client.force_login(case.world.supervisor_a)
    found = json.loads(client.get("/api/v1/incidents/", {"q": VICTIM}).content)["results"]
    assert [row["reference"] for row in found] == [case.incident.reference]


def test_the_boards_socket_payloads_carry_no_internal_item_or_redacted_field(case):
    payloads = json.dumps(
        list(BoardEvent.objects.filter(agency=case.world.agency_x).values_list("payload", flat=True))
    )
    assert payloads != "[]"
    for hidden in (SECRET, PHONE, str(case.photo.public_id)):
        assert hidden not in payloads


def test_release_shows_the_victims_contact_to_that_agency_only_and_is_audited(client, case):
    client.force_login(case.world.supervisor_a)
    response = client.post(
        reverse("incidents:release_party", args=[case.incident.public_id]),
        {
            "party": case.victim.pk,
            "agency": case.world.agency_x.pk,
            "reason": "Case 24-11873 needs a statement",
        },
    )
    assert response.status_code == 302
    release = PartyRelease.objects.get()
    assert (release.party, release.agency, release.released_by) == (
        case.victim,
        case.world.agency_x,
        case.world.supervisor_a,
    )
    text = page(client, case.world.liaison_x, surfaces(case)["page"])
    assert PHONE in text
    assert "released to Agency X: “Case 24-11873 needs a statement”" in text  # on the timeline, for both
    assert "sam@x.test" not in text  # the minor was not released
    assert AuditEvent.objects.filter(
        action="party.released", data__reason="Case 24-11873 needs a statement"
    ).exists()
    entry = TimelineEntry.objects.get(kind=TimelineEntry.Kind.RELEASED)
    assert PHONE not in json.dumps(entry.data)  # the record names the fields, never their values


def test_a_release_needs_a_supervisor_and_a_reason_and_changes_nothing_otherwise(case):
    w = case.world
    with pytest.raises(PermissionDenied):
        services.release_party(party=case.victim, agency=w.agency_x, by=w.guard_a, reason="Because")
    with pytest.raises(PermissionDenied):
        services.release_party(party=case.victim, agency=w.agency_x, by=w.liaison_x, reason="Because")
    with pytest.raises(ValidationError, match="Say why"):
        services.release_party(party=case.victim, agency=w.agency_x, by=w.supervisor_a, reason="  ")
    with pytest.raises(ValidationError, match="not shared with Agency Y"):
        services.release_party(party=case.victim, agency=w.agency_y, by=w.supervisor_a, reason="Because")
    assert not PartyRelease.objects.exists()
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.RELEASED).exists()


def test_the_partnerships_profile_decides_what_is_withheld(client, case):
    Partnership.objects.filter(provider=case.world.provider_a, agency=case.world.agency_x).update(
        redaction={"victim": {"name": "hidden", "contact": "hidden"}}
    )
    text = page(client, case.world.liaison_x, surfaces(case)["page"])
    assert VICTIM not in text
    assert PHONE not in text
    assert "sam@x.test" in text  # this profile does not protect minors


def test_a_bad_redaction_profile_is_refused(world):
    partnership = Partnership.objects.get(provider=world.provider_a, agency=world.agency_x)
    partnership.redaction = {"victim": {"contact": "initials"}}
    with pytest.raises(ValidationError):
        partnership.full_clean()


@pytest.mark.parametrize("outcome", ["reject", "cancel"])
def test_a_rejected_or_cancelled_escalation_ends_the_agencys_access(client, case, outcome):
    w = case.world
    if outcome == "reject":
        dispatch_services.reject_escalation(escalation=case.escalation, by=w.liaison_x, reason="Not ours")
    else:
        dispatch_services.cancel_escalation(
            escalation=case.escalation, by=w.supervisor_a, reason="False alarm"
        )
    client.force_login(w.liaison_x)
    assert client.get(surfaces(case)["page"]).status_code == 404
    for url in api_urls(case):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/api/v1/eido/{case.incident.public_id}/").status_code == 404
    panel = client.get(surfaces(case)["panel"]).content.decode()
    assert "no longer has access" in panel
    assert "car doors" not in panel
    share = IncidentShare.objects.get()
    assert share.ended_at is not None
    assert share.end_reason.startswith("The escalation was")
    # The provider's timeline says so; the agency would not see it.
    ended = TimelineEntry.objects.get(kind=TimelineEntry.Kind.SHARE_ENDED)
    assert ended.internal
    assert ended.data["agency"] == "Agency X"
    # Escalating again opens the share anew.
    dispatch_services.escalate_incident(incident=case.incident, by=w.supervisor_a, reason="He is back")
    assert client.get(surfaces(case)["page"]).status_code == 200
    assert IncidentShare.objects.get().reason == "He is back"


def test_a_cleared_escalation_keeps_access_until_the_provider_ends_it_with_a_reason(client, case):
    w = case.world
    dispatch_services.accept_escalation(escalation=case.escalation, by=w.liaison_x)
    dispatch_services.clear_escalation(escalation=case.escalation, by=w.liaison_x, disposition="Report taken")
    client.force_login(w.liaison_x)
    assert client.get(surfaces(case)["page"]).status_code == 200
    share = IncidentShare.objects.get()
    with pytest.raises(PermissionDenied):
        services.end_share(share=share, by=w.guard_a, reason="Done")
    with pytest.raises(ValidationError, match="Say why"):
        services.end_share(share=share, by=w.supervisor_a, reason="")
    assert client.get(surfaces(case)["page"]).status_code == 200
    client.force_login(w.supervisor_a)
    response = client.post(
        reverse("incidents:end_share", args=[case.incident.public_id]),
        {"share": share.pk, "reason": "Case closed"},
    )
    assert response.status_code == 302
    share.refresh_from_db()
    assert (share.ended_by, share.end_reason) == (w.supervisor_a, "Case closed")
    assert share.reason == "On camera"
    assert share.scope == IncidentShare.SCOPE
    client.force_login(w.liaison_x)
    assert client.get(surfaces(case)["page"]).status_code == 404
    with pytest.raises(ValidationError, match="no longer has access"):
        services.end_share(share=share, by=w.supervisor_a, reason="Again")


def test_the_note_form_states_its_default(client, case):
    text = page(client, case.world.supervisor_a, surfaces(case)["page"])
    assert "By default a note is seen by your organization and by the police agencies" in text
    client.post(
        reverse("incidents:add_note", args=[case.incident.public_id]),
        {"text": "HR says yes", "internal": "on"},
    )
    assert TimelineEntry.objects.get(data__text="HR says yes").internal
    text = page(client, case.world.liaison_x, surfaces(case)["page"])
    assert "HR says yes" not in text


def test_after_a_rejection_later_changes_never_reach_the_agencys_board(
    case, django_capture_on_commit_callbacks, eager
):
    w = case.world
    dispatch_services.reject_escalation(escalation=case.escalation, by=w.liaison_x, reason="Not ours")
    before = BoardEvent.objects.filter(agency=w.agency_x).count()
    with django_capture_on_commit_callbacks(execute=True):
        services.close_incident(incident=case.incident, by=w.supervisor_a, resolution="He left")
    assert BoardEvent.objects.filter(agency=w.agency_x).count() == before
