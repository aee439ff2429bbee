"""Incident events: their names, payloads and recipients. Sent only through publish_on_commit."""

from incidents.models import Incident
from portal.realtime import Event


def provider_group(provider_id: int) -> str:
    return f"provider.{provider_id}"


def incident_group(incident: Incident) -> str:
    return f"incident.{incident.public_id}"


def incident_payload(incident: Incident) -> dict[str, object]:
    return {
        "id": str(incident.public_id),
        "reference": incident.reference,
        "status": incident.status,
        "severity": incident.severity,
        "category": incident.category.name if incident.category else None,
        "site": incident.site.name,
        "version": incident.version,
    }


def incident_changed(incident: Incident, *, name: str) -> Event:
    """``incident.submitted``, ``incident.updated``, ``incident.status_changed``: to the provider's
    supervisors and to everyone watching the incident's page."""
    return Event(
        name=name,
        payload=incident_payload(incident),
        groups=(provider_group(incident.site.provider_id), incident_group(incident)),
    )
