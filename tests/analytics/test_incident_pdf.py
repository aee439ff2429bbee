"""The incident report PDF: the incident, its timeline, its evidence with each file's SHA-256, the
escalation and the police's response, times on the site's clock; names only for those the
personal-data rule allows; audited; nobody outside the incident finds it."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from accounts.models import Role
from audit.models import AuditEvent
from dispatch import services as dispatch_services
from incidents import services as incident_services
from incidents.services.validation import PartyInput
from tests.factories import AgencyFactory, SiteFactory, UserFactory, member, report
from tests.incidents.evidence_samples import ORIGIN, png

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.content)).pages
    )


def test_the_report_holds_the_incident_its_evidence_and_the_police_response(client):
    agency = AgencyFactory(name="County Police")
    site = SiteFactory(agency=agency, name="Mall", time_zone="America/Chicago")
    guard = member(Role.GUARD, site.provider, sites=(site,))
    supervisor = member(Role.SUPERVISOR, site.provider)
    liaison = member(Role.LIAISON, agency)
    incident = report(guard, site, narrative="A man took two jackets.", location="North doors")
    incident_services.add_party(
        incident=incident,
        by=guard,
        party=PartyInput(role="witness", description="Shop assistant", name="Ada Byron", contact="555-0101"),
    )
    photo = incident_services.add_evidence(
        incident=incident,
        by=guard,
        upload=SimpleUploadedFile("north-doors.png", png(), "image/png"),
        client_sha256=None,
        origin=ORIGIN,
    )
    escalation = dispatch_services.escalate_incident(incident=incident, by=supervisor, reason="On camera.")
    dispatch_services.accept_escalation(escalation=escalation, by=liaison)
    dispatch_services.mark_on_scene(escalation=escalation, by=liaison)
    dispatch_services.clear_escalation(
        escalation=escalation, by=liaison, disposition="Suspect cautioned", case_number="CP-2026-4471"
    )
    url = f"/incidents/{incident.public_id}/report.pdf"

    client.force_login(supervisor)
    response = client.get(url)
    text = _text(response)
    assert response["Content-Disposition"] == f'attachment; filename="{incident.reference}-report.pdf"'
    assert incident.reference in text
    assert "A man took two jackets." in text
    assert "North doors" in text
    assert "north-doors.png" in text
    assert photo.sha256 in text.replace(" ", "")  # the hash may wrap across lines
    assert "County Police" in text
    assert "CP-2026-4471" in text
    assert "Suspect cautioned" in text
    assert "America/Chicago" in text
    assert "CST" in text  # times on the site's clock, its zone named
    assert "Ada Byron" in text
    assert "Timeline" in text
    assert AuditEvent.objects.filter(
        action="export.incident_pdf", actor=supervisor, object_id=str(incident.public_id)
    ).exists()

    client.force_login(liaison)
    assert "CP-2026-4471" in _text(client.get(url))

    client.force_login(UserFactory(is_staff=True))  # a platform admin: in no organization
    withheld = _text(client.get(url))
    assert "names and contacts withheld" in withheld
    assert "Ada Byron" not in withheld
    assert "555-0101" not in withheld

    client.force_login(member(Role.SUPERVISOR, SiteFactory().provider))
    assert client.get(url).status_code == 404
    client.force_login(member(Role.LIAISON, AgencyFactory()))
    assert client.get(url).status_code == 404


def test_the_agencys_report_leaves_out_internal_notes_and_withheld_contacts(client):
    """The PDF is the JSON export's document as the reader may see it (incidents.disclosure): it was
    first written against the selectors' old signature, which read every entry for anyone."""
    agency = AgencyFactory(name="County Police")
    site = SiteFactory(agency=agency, name="Mall")
    guard = member(Role.GUARD, site.provider, sites=(site,))
    supervisor = member(Role.SUPERVISOR, site.provider)
    liaison = member(Role.LIAISON, agency)
    incident = report(guard, site, narrative="A car was tried.")
    incident_services.add_party(
        incident=incident,
        by=guard,
        party=PartyInput(role="victim", description="Car owner", name="Priya Shah", contact="555-0199"),
    )
    incident_services.add_note(incident=incident, by=supervisor, text="Internal: HR file 7731", internal=True)
    dispatch_services.escalate_incident(incident=incident, by=supervisor, reason="On camera.")
    url = f"/incidents/{incident.public_id}/report.pdf"

    client.force_login(supervisor)
    provider = _text(client.get(url))
    assert "HR file 7731" in provider
    client.force_login(liaison)
    police = _text(client.get(url))
    assert "A car was tried." in police
    assert "HR file 7731" not in police
    assert "555-0199" not in police
