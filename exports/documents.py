"""What a bundle says about its incident, as JSON-ready values: the incident with its parties,
vehicles and police responses, its timeline, and each evidence item's chain of custody."""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from accounts.models import User
from dispatch.models import Escalation
from dispatch.selectors import get_cad_code
from incidents import disclosure
from incidents.models import CustodyEvent, Evidence, Incident


def _at(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"name": user.get_full_name() or user.email, "email": user.email}


def incident_document(
    incident: Incident, *, evidence: list[Evidence], reader: disclosure.Reader = disclosure.PROVIDER
) -> dict[str, Any]:
    """The incident as the bundle's reader may see it (an agency's: through incidents.disclosure)."""
    escalations = (
        Escalation.objects.filter(incident=incident).select_related("agency").order_by("requested_at")
    )
    category = incident.category
    return {
        "id": str(incident.public_id),
        "reference": incident.reference,
        "status": incident.status,
        # CAP 1.2's status: a drill's incident is an "Exercise" in the bundle too.
        "cap_status": incident.cap_status,
        "drill": incident.exercise or None,
        "category": {"code": category.code, "name": category.name, "apco_code": category.apco_code}
        if category
        else None,
        "severity": incident.severity,
        "site": {
            "name": incident.site.name,
            "address": incident.site.address,
            "time_zone": incident.site.time_zone,
            "provider": incident.site.provider.name,
        },
        "reported_by": person(incident.reporter),
        "occurred_at": _at(incident.occurred_at),
        "device_time": _at(incident.device_time),
        "received_at": _at(incident.received_at),
        "submitted_at": _at(incident.submitted_at),
        "closed_at": _at(incident.closed_at),
        "location": incident.location,
        "latitude": str(incident.latitude) if incident.latitude is not None else None,
        "longitude": str(incident.longitude) if incident.longitude is not None else None,
        "location_accuracy_m": incident.location_accuracy_m,
        "narrative": incident.narrative,
        "resolution": incident.resolution,
        "parties": [
            {
                "role": p.role,
                "description": p.description,
                "name": p.name,
                "contact": p.contact,
                "withheld": p.withheld,
            }
            for p in disclosure.parties(incident, reader)
        ],
        "vehicles": [{"plate": v.plate, "description": v.description} for v in incident.vehicles.all()],
        "police_responses": [
            {
                "id": str(e.public_id),
                "agency": e.agency.name,
                "agency_cad_code": get_cad_code(agency_id=e.agency_id, category_id=incident.category_id),
                "status": e.status,
                "source": e.source,
                "reason": e.reason,
                "requested_at": _at(e.requested_at),
                "accepted_at": _at(e.accepted_at),
                "rejected_at": _at(e.rejected_at),
                "rejection_reason": e.rejection_reason,
                "dispatched_at": _at(e.dispatched_at),
                "on_scene_at": _at(e.on_scene_at),
                "cleared_at": _at(e.cleared_at),
                "disposition": e.disposition,
                "case_number": e.case_number,
                "cancelled_at": _at(e.cancelled_at),
            }
            for e in escalations
        ],
        "evidence": [
            {
                "id": str(item.public_id),
                "kind": item.kind,
                "content_type": item.content_type,
                "original_name": item.original_name,
                "description": item.description,
                "size": item.size,
                "sha256_at_upload": item.sha256,
                "uploaded_at": _at(item.uploaded_at),
                "uploaded_by": person(item.uploaded_by),
                "version": item.version,
                "supersedes": str(item.supersedes.public_id) if item.supersedes else None,
                # Areas the provider hid from the police; for an agency the original then stays with
                # the provider (its hash above), and the bundle carries no file of it.
                "redacted_areas": len(item.redactions),
                "original_included": not disclosure.original_withheld(item, reader),
            }
            for item in evidence
        ],
    }


def timeline_entries(
    incident: Incident, *, reader: disclosure.Reader = disclosure.PROVIDER
) -> Iterator[dict[str, Any]]:
    entries = disclosure.timeline(incident, reader)
    for entry in entries.iterator(chunk_size=500):
        yield {
            "at": _at(entry.at),
            "kind": entry.kind,
            "label": entry.get_kind_display(),
            "actor": person(entry.actor),
            "data": entry.data,
        }


def custody_document(evidence: Evidence) -> dict[str, Any]:
    events = CustodyEvent.objects.filter(evidence=evidence).select_related("actor").order_by("at", "pk")
    return {
        "evidence": str(evidence.public_id),
        "sha256_at_upload": evidence.sha256,
        "events": [
            {
                "at": _at(event.at),
                "action": event.action,
                "actor": person(event.actor),
                "ip_address": event.ip_address,
                "user_agent": event.user_agent,
            }
            for event in events
        ],
    }
