"""An incident as JSON: everything it holds (timeline, parties, vehicles, escalations with the
police's stamps), names only for those the personal-data rule allows, audited, scoped."""

import json

import pytest

from accounts.models import Role
from audit.models import AuditEvent
from dispatch import services as dispatch_services
from incidents import services as incident_services
from incidents.services.validation import PartyInput, VehicleInput
from tests.factories import AgencyFactory, SiteFactory, UserFactory, member, report

pytestmark = pytest.mark.django_db


def test_the_document_holds_everything_and_names_only_for_members(client):
    agency = AgencyFactory(name="County Police")
    site = SiteFactory(agency=agency, name="Mall")
    guard = member(Role.GUARD, site.provider, sites=(site,))
    supervisor = member(Role.SUPERVISOR, site.provider)
    incident = report(guard, site, narrative="A man took two jackets.", location="North doors")
    incident_services.add_party(
        incident=incident,
        by=guard,
        party=PartyInput(role="witness", description="Shop assistant", name="Ada Byron", contact="555-0101"),
    )
    incident_services.add_vehicle(
        incident=incident, by=guard, vehicle=VehicleInput(plate="AB12CDE", description="Blue van")
    )
    escalation = dispatch_services.escalate_incident(incident=incident, by=supervisor, reason="On camera.")
    dispatch_services.accept_escalation(escalation=escalation, by=member(Role.LIAISON, agency))
    url = f"/incidents/{incident.public_id}/export.json"

    client.force_login(supervisor)
    response = client.get(url)
    assert response["Content-Disposition"] == f'attachment; filename="{incident.reference}.json"'
    document = json.loads(response.content)
    assert document["reference"] == incident.reference
    assert document["location"] == "North doors"
    assert document["parties"] == [
        {"role": "witness", "description": "Shop assistant", "name": "Ada Byron", "contact": "555-0101"}
    ]
    assert document["vehicles"] == [{"plate": "AB12CDE", "description": "Blue van"}]
    assert [e["agency"] for e in document["escalations"]] == ["County Police"]
    assert document["escalations"][0]["accepted_at"] is not None
    assert {"created", "escalated"} <= {e["kind"] for e in document["timeline"]}
    assert AuditEvent.objects.filter(
        action="export.incident_json", actor=supervisor, object_id=str(incident.public_id)
    ).exists()

    client.force_login(UserFactory(is_staff=True))  # a platform admin: in no organization
    withheld = json.loads(client.get(url).content)
    assert withheld["personal_data_withheld"] is True
    assert withheld["parties"] == [{"role": "witness", "description": "Shop assistant"}]
    assert "Ada Byron" not in json.dumps(withheld)

    client.force_login(member(Role.SUPERVISOR, SiteFactory().provider))
    assert client.get(url).status_code == 404
