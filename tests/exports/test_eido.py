"""An escalated incident as a NENA-STA-021 EIDO: valid against the project's EIDO schema written from the
standard (docs/eido/eido-schema.yaml), fetched through the API with the agency's token, refused to others."""

import json

import pytest
from django.urls import reverse

from accounts import services as account_services
from accounts.models import ApiToken
from dispatch import services as dispatch_services
from dispatch.models import AgencyCadCode
from exports.eido import eido_document
from incidents import services as incident_services
from tests.exports.eido_schema import problems_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich(escalated):
    world = escalated.world
    incident = escalated.incident
    incident_services.add_party(
        incident=incident,
        by=world.guard_a,
        party=incident_services.PartyInput(
            role="subject", description="Tall, red jacket", name="J. Doe", contact="+44 7700 900123"
        ),
    )
    incident_services.add_party(
        incident=incident,
        by=world.guard_a,
        party=incident_services.PartyInput(role="witness", description="Shop assistant", contact="till 2"),
    )
    incident_services.add_vehicle(
        incident=incident,
        by=world.guard_a,
        vehicle=incident_services.VehicleInput(description="Blue van", plate="AB12 CDE"),
    )
    incident_services.add_note(
        incident=incident, by=world.supervisor_a, text="Seen leaving by the north doors"
    )
    dispatch_services.accept_escalation(escalation=escalated.escalation, by=world.liaison_x)
    dispatch_services.clear_escalation(
        escalation=escalated.escalation,
        by=world.liaison_x,
        disposition="Suspect cautioned",
        case_number="MPD-4471",
    )
    AgencyCadCode.objects.create(agency=world.agency_x, category=incident.category, cad_code="484")
    incident.refresh_from_db()
    return escalated


def test_the_document_is_valid_against_the_eido_schema(rich):
    document = eido_document(rich.incident)

    assert problems_of(document) == []
    incident = document["incidentComponent"]
    assert incident["incidentTypeCommonRegistryText"] == "LARCENY"
    assert incident["internalIncidentId"] == rich.incident.reference
    assert incident["beatOrDispatchGroupText"] == "484"
    assert incident["documentIdentification"] == ["MPD-4471"]
    assert incident["dispositionComponent"][0]["dispositionDescriptionText"] == "Suspect cautioned"
    assert [a["agencyJcard"] for a in document["agencyComponent"]] == ["Provider A", "Agency X"]
    notes = [n["notesActionComments"] for n in document["notesComponent"]]
    assert any("Seen leaving by the north doors" in n for n in notes)
    ids = [
        c["$id"]
        for c in document["notesComponent"]
        + document["personComponent"]
        + document["vehicleComponent"]
        + document["callbackComponent"]
    ]
    assert len(ids) == len(set(ids))


def test_persons_and_vehicles_are_niem_components_with_their_identifiers(rich):
    document = eido_document(rich.incident)
    subject, witness = rich.incident.parties.order_by("pk")
    van = rich.incident.vehicles.get()

    assert problems_of(document) == []
    first, second = document["personComponent"]
    assert first["$id"] == f"urn:watchpost:person:{subject.pk}"
    assert first["personIncidentRoleRegistryText"] == ["PersonOfInterest"]
    assert first["ncPersonComponent"] == {
        "name": [{"personFullName": [{"value": "J. Doe"}]}],
        "description": [{"value": "Tall, red jacket"}],
        "otherIdentification": [
            {
                "identificationId": [{"value": str(subject.pk)}],
                "category": [{"value": "Watchpost involved party"}],
            }
        ],
    }
    callback = first["callBackReference"]["$ref"]
    assert next(c for c in document["callbackComponent"] if c["$id"] == callback)[
        "callBackInformationUri"
    ] == ["tel:+447700900123"]
    # A contact that is neither a number nor an address travels as words, not as a call-back.
    assert second["personIncidentRoleRegistryText"] == ["Witness"]
    assert "callBackReference" not in second
    assert second["ncPersonComponent"]["description"] == [
        {"value": "Shop assistant"},
        {"value": "Contact: till 2"},
    ]
    assert "name" not in second["ncPersonComponent"]
    assert witness.pk != subject.pk

    (vehicle,) = document["vehicleComponent"]
    assert vehicle["$id"] == f"urn:watchpost:vehicle:{van.pk}"
    assert vehicle["vehicleRelationshipType"] == ["InvolvedVehicle"]
    assert vehicle["ncVehicleComponent"] == {
        "description": [{"value": "Blue van"}],
        "identification": [
            {"identificationId": [{"value": "AB12 CDE"}], "category": [{"value": "License Plate"}]}
        ],
        "registrationPlateIdentification": [{"identificationId": [{"value": "AB12 CDE"}]}],
    }
    # Names and plates are in their components now, no longer copied into notes.
    assert not any("AB12 CDE" in n["notesActionComments"] for n in document["notesComponent"])


def test_a_niem_name_that_does_not_exist_or_a_registry_value_that_is_not_listed_fails(rich):
    document = eido_document(rich.incident)
    document["personComponent"][0]["ncPersonComponent"]["fullName"] = [{"value": "J. Doe"}]
    document["vehicleComponent"][0]["ncVehicleComponent"]["description"] = "Blue van"
    document["personComponent"][1]["personIncidentRoleRegistryText"] = ["Subject"]
    document["locationComponent"][0]["locationTypeDescriptionRegistryText"] = "Civic Address"

    problems = problems_of(document)

    assert any("'fullName' was unexpected" in p for p in problems)
    assert any("'Blue van' is not of type 'array'" in p for p in problems)
    assert any("'Subject' is not in EIDO-PersonRole" in p for p in problems)
    assert any("'Civic Address' is not in EIDO-LocationType" in p for p in problems)


def test_the_validation_can_fail(rich):
    document = eido_document(rich.incident)
    del document["incidentComponent"]["incidentTypeCommonRegistryText"]
    document["eidoVersion"] = "2.0"

    problems = problems_of(document)

    assert any("incidentTypeCommonRegistryText" in p for p in problems)
    assert any("'2.0' is not one of ['1.0']" in p for p in problems)


def test_a_missing_field_a_misspelt_name_a_wrong_type_or_a_bad_time_fails(rich):
    document = eido_document(rich.incident)
    vehicle = document["vehicleComponent"][0]
    del vehicle["vehicleRelationshipTimeStamp"]
    del document["callbackComponent"][0]["$id"]
    document["notesComponent"][0]["notesActionComment"] = document["notesComponent"][0].pop(
        "notesActionComments"
    )
    document["personComponents"] = document.pop("personComponent")
    document["incidentComponent"]["incidentCommonPriorityNumber"] = "high"
    document["agencyComponent"][0]["incidentOwningAgencyIndicator"] = "yes"
    document["locationComponent"][0]["lastUpdateTimeStamp"] = "2026-12-01 10:00"
    document["incidentComponent"]["dispositionComponent"][0]["lastUpdateTimeStamp"] = "2026-12-01T10:00:00"
    document["dispatchComponent"][0]["agencyReference"] = "urn:watchpost:agency:1"

    problems = problems_of(document)

    assert any("'vehicleRelationshipTimeStamp' is a required property" in p for p in problems)
    assert any("'notesActionComments' is a required property" in p for p in problems)
    assert any(p.startswith("['callbackComponent', 0]: '$id' is a required property") for p in problems)
    assert any("'notesActionComment' was unexpected" in p for p in problems)
    assert any("'personComponents' was unexpected" in p for p in problems)
    assert any("'high' is not of type 'integer'" in p for p in problems)
    assert any("'yes' is not of type 'boolean'" in p for p in problems)
    assert any("'2026-12-01 10:00' is not a 'date-time'" in p for p in problems)
    assert any("'2026-12-01T10:00:00' is not a 'date-time'" in p for p in problems)
    assert any("'urn:watchpost:agency:1' is not of type 'object'" in p for p in problems)
    # The untouched components raise nothing: a valid document still passes.
    assert problems_of(eido_document(rich.incident)) == []


def _get(client, incident, token, purpose="Case 2026/0042"):
    return client.get(
        reverse("api:eido-detail", kwargs={"id": incident.public_id}),
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_X_WATCHPOST_PURPOSE=purpose,
    )


def test_the_agency_fetches_it_with_its_token(client, rich):
    world = rich.world
    token = account_services.issue_api_token(
        user=world.liaison_x, by=world.liaison_x, name="CAD", scope=ApiToken.Scope.READ
    )[1]

    response = _get(client, rich.incident, token)

    assert response.status_code == 200
    assert problems_of(json.loads(response.content)) == []
    # Its persons carry names: without a purpose the agency is told how to send one.
    refused = _get(client, rich.incident, token, purpose="")
    assert refused.status_code == 403
    assert "X-Watchpost-Purpose" in refused.json()["detail"]


def test_another_agency_and_a_guard_do_not(client, rich):
    world = rich.world
    other = account_services.issue_api_token(
        user=world.liaison_y, by=world.liaison_y, name="CAD", scope=ApiToken.Scope.READ
    )[1]
    guard = account_services.issue_api_token(
        user=world.guard_a, by=world.admin_a, name="phone", scope=ApiToken.Scope.READ
    )[1]

    assert _get(client, rich.incident, other).status_code == 404
    assert _get(client, rich.incident, guard).status_code == 403
