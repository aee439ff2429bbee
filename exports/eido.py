"""An escalated incident as a NENA-STA-021 Emergency Incident Data Object (EIDO, JSON): the
components EIDO defines (agency, incident, location, person with NIEM's PersonType and a call-back,
vehicle with NIEM's VehicleType and its plate, notes, dispatch, with the incident's disposition),
each with its globally unique ``$id`` and last-update stamp, and the references between them. The
schema it is validated against: docs/eido/eido-schema.yaml with docs/eido/niem-core-subset.yaml, both
written by the project from NENA-STA-021 (a field added here is added there too)."""

import re
from datetime import datetime
from typing import Any

from django.conf import settings

from accounts.models import Organization
from dispatch.models import Escalation
from dispatch.selectors import get_cad_code
from incidents import disclosure
from incidents.models import Incident, InvolvedParty, TimelineEntry, Vehicle

EIDO_VERSION = "1.0"
ISSUER = "watchpost"
# EIDO's incidentStatusCommonRegistryText values for an incident's status.
STATUS: dict[str, str] = {
    Incident.Status.SUBMITTED: "Active",
    Incident.Status.NEEDS_INFO: "Active",
    Incident.Status.ACCEPTED: "Active",
    Incident.Status.CLOSED: "Closed",
}
NOTE_KINDS = (TimelineEntry.Kind.NOTE_ADDED, TimelineEntry.Kind.MESSAGE)
# EIDO's Person Role registry (STA-021 table 36) for a party's role: a guard's "subject" is the
# person the report is about, not a suspect the police named.
PERSON_ROLE: dict[str, str] = {
    InvolvedParty.Role.SUBJECT: "PersonOfInterest",
    InvolvedParty.Role.VICTIM: "Victim",
    InvolvedParty.Role.WITNESS: "Witness",
    InvolvedParty.Role.REPORTING: "ReportingParty",
    InvolvedParty.Role.MINOR: "InvolvedPerson",  # EIDO has no role for a minor; the age is not sent
    InvolvedParty.Role.OTHER: "InvolvedPerson",
}
PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{4,}[0-9]$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _urn(kind: str, value: object) -> str:
    return f"urn:{ISSUER}:{kind}:{value}"


def _ref(urn: str) -> dict[str, str]:
    return {"$ref": urn}


def _at(value: datetime) -> str:
    return value.isoformat()


def _text(value: str) -> list[dict[str, str]]:
    """A NIEM text property (NENA's JSON: an array of objects holding the value)."""
    return [{"value": value}]


def _person(party: disclosure.PartyView) -> dict[str, Any]:
    """NIEM Core's PersonType of a party: the description, the name if known, the party's id."""
    person: dict[str, Any] = {
        "description": _text(party.description),
        "otherIdentification": [
            {"identificationId": _text(str(party.pk)), "category": _text("Watchpost involved party")}
        ],
    }
    if party.name:
        person["name"] = [{"personFullName": _text(party.name)}]
    if party.contact and not _callback_uri(party.contact):
        person["description"].append({"value": f"Contact: {party.contact}"})
    return person


def _callback_uri(contact: str) -> str:
    """A party's contact as EIDO's call-back URI (tel: or mailto:), or "" when it is neither."""
    contact = contact.strip()
    if PHONE.match(contact):
        return "tel:" + re.sub(r"[^0-9+]", "", contact)
    if EMAIL.match(contact):
        return f"mailto:{contact}"
    return ""


def _vehicle(vehicle: Vehicle) -> dict[str, Any]:
    """NIEM Core's VehicleType: the description and the plate, as STA-021 names it twice."""
    component: dict[str, Any] = {"description": _text(vehicle.description)}
    if vehicle.plate:
        plate = {"identificationId": _text(vehicle.plate), "category": _text("License Plate")}
        component["identification"] = [plate]
        component["registrationPlateIdentification"] = [{"identificationId": _text(vehicle.plate)}]
    return component


def _agency(organization: Organization, *, owner: bool, kind: str, updated: datetime) -> dict[str, Any]:
    urn = _urn("agency", organization.pk)
    return {
        "$id": urn,
        "lastUpdateTimeStamp": _at(updated),
        "updatedByAgencyReference": _ref(urn),
        "agencyRoleDescriptionRegistryText": ["Incident Owner" if owner else "Responding Agency"],
        "agencyType": [kind],
        "agencyJcard": organization.name,
        "incidentOwningAgencyIndicator": owner,
    }


def eido_document(incident: Incident, *, reader: disclosure.Reader | None = None) -> dict[str, Any]:
    """The incident as an EIDO: owned by the provider, with every agency it was escalated to. For an
    agency (``reader``; webhooks pass theirs), through incidents.disclosure: no internal note or
    party, and each party's fields as its redaction profile shows them."""
    reader = reader or disclosure.PROVIDER
    provider = incident.site.provider
    owner = _urn("agency", provider.pk)
    updated = incident.updated_at
    escalations = list(
        Escalation.objects.filter(incident=incident).select_related("agency").order_by("requested_at")
    )
    agencies = {e.agency_id: e.agency for e in escalations}
    base = {"updatedByAgencyReference": _ref(owner)}

    location_id = _urn("location", incident.public_id)
    place = ", ".join(part for part in (incident.location, incident.site.name, incident.site.address) if part)
    location: dict[str, Any] = {
        "$id": location_id,
        "lastUpdateTimeStamp": _at(updated),
        **base,
        "locationTypeDescriptionRegistryText": "CurrentIncident",
        "locationDescriptionText": place,
        "localIdentifier": [incident.site.code],
    }
    if incident.latitude is not None and incident.longitude is not None:
        location["locationByValue"] = f"geo:{incident.latitude},{incident.longitude}" + (
            f";u={incident.location_accuracy_m}" if incident.location_accuracy_m else ""
        )

    notes: list[dict[str, Any]] = []
    for entry in disclosure.timeline(incident, reader).filter(kind__in=NOTE_KINDS):
        text = str(entry.data.get("text") or entry.data.get("comment") or "")
        if text:
            notes.append(
                {
                    "$id": _urn("note", entry.pk),
                    "lastUpdateTimeStamp": _at(entry.at),
                    **base,
                    "notesActionComments": f"{entry.actor or 'Watchpost'}: {text}",
                }
            )
    if incident.narrative:
        notes.insert(
            0,
            {
                "$id": _urn("note", f"{incident.public_id}-narrative"),
                "lastUpdateTimeStamp": _at(updated),
                **base,
                "notesActionComments": incident.narrative,
            },
        )

    persons: list[dict[str, Any]] = []
    callbacks: list[dict[str, Any]] = []
    for party in disclosure.parties(incident, reader):
        person: dict[str, Any] = {
            "$id": _urn("person", party.pk),
            "lastUpdateTimeStamp": _at(party.created_at),
            **base,
            "personIncidentRoleRegistryText": [PERSON_ROLE[party.role]],
            "locationReference": [_ref(location_id)],
            "ncPersonComponent": _person(party),
        }
        if uri := _callback_uri(party.contact):
            callback_id = _urn("callback", party.pk)
            callbacks.append(
                {
                    "$id": callback_id,
                    "lastUpdateTimeStamp": _at(party.created_at),
                    **base,
                    "callBackInformationUri": [uri],
                }
            )
            person["callBackReference"] = _ref(callback_id)
        persons.append(person)
    vehicles: list[dict[str, Any]] = [
        {
            "$id": _urn("vehicle", vehicle.pk),
            "lastUpdateTimeStamp": _at(vehicle.created_at),
            **base,
            "vehicleRelationshipType": ["InvolvedVehicle"],
            "vehicleRelationshipTimeStamp": _at(vehicle.created_at),
            "locationReference": [_ref(location_id)],
            "ncVehicleComponent": _vehicle(vehicle),
        }
        for vehicle in incident.vehicles.all()
    ]

    dispatches = [
        {
            "$id": _urn("dispatch", e.public_id),
            "lastUpdateTimeStamp": _at(e.cleared_at or e.on_scene_at or e.dispatched_at or e.requested_at),
            "updatedByAgencyReference": _ref(_urn("agency", e.agency_id)),
            "agencyReference": _ref(_urn("agency", e.agency_id)),
        }
        for e in escalations
    ]
    dispositions = [
        {
            "$id": _urn("disposition", e.public_id),
            "lastUpdateTimeStamp": _at(e.cleared_at or e.rejected_at or e.cancelled_at or e.requested_at),
            "updatedByAgencyReference": _ref(_urn("agency", e.agency_id)),
            "dispositionCommonRegistryCode": e.get_status_display(),
            "dispositionPrimaryIndicator": index == len(escalations) - 1,
            "dispositionCategoryText": e.case_number,
            "dispositionDescriptionText": e.disposition or e.rejection_reason or e.cancel_reason,
        }
        for index, e in enumerate(escalations)
    ]
    category = incident.category
    incident_component: dict[str, Any] = {
        "$id": _urn("incident", incident.public_id),
        "lastUpdateTimeStamp": _at(updated),
        **base,
        "incidentTypeCommonRegistryText": (category.apco_code if category else "") or "TROUBLE",
        "incidentTypeInternalCode": category.code if category else "",
        "incidentTypeInternalText": category.name if category else "Uncategorised",
        "incidentStatusInternalText": [incident.get_status_display()],
        "incidentStatusCommonRegistryText": [STATUS.get(incident.status, "Active")],
        "internalIncidentId": incident.reference,
        "locationReference": [_ref(location_id)],
        "personReference": [_ref(str(p["$id"])) for p in persons],
        "vehicleReference": [_ref(str(v["$id"])) for v in vehicles],
        "notesReference": [_ref(str(n["$id"])) for n in notes],
        "documentIdentification": [e.case_number for e in escalations if e.case_number],
        "dispositionComponent": dispositions,
    }
    if incident.severity:
        incident_component["incidentCommonPriorityNumber"] = incident.severity
    cad_codes = [get_cad_code(agency_id=e.agency_id, category_id=incident.category_id) for e in escalations]
    if any(cad_codes):
        incident_component["beatOrDispatchGroupText"] = ", ".join(code for code in cad_codes if code)
    return {
        "$id": _urn("eido", incident.public_id),
        "lastUpdateTimeStamp": _at(updated),
        **base,
        "eidoVersion": EIDO_VERSION,
        "issuingElementIdentification": f"{ISSUER}@{settings.PUBLIC_URL}",
        "agencyComponent": [
            _agency(provider, owner=True, kind="security.private", updated=updated),
            *(_agency(a, owner=False, kind="police", updated=updated) for a in agencies.values()),
        ],
        "incidentComponent": incident_component,
        "locationComponent": [location],
        "personComponent": persons,
        "vehicleComponent": vehicles,
        "callbackComponent": callbacks,
        "notesComponent": notes,
        "dispatchComponent": dispatches,
    }
