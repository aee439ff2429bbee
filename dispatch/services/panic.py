"""The panic button: one gesture makes a severity-1 incident and its escalation, synchronously."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Site, User
from dispatch import events, policy
from dispatch.models import Escalation
from dispatch.services.common import require
from dispatch.services.lifecycle import open_escalation
from incidents import services as incident_services
from incidents.models import Category, Incident, TimelineEntry
from portal.realtime import publish_on_commit


class PanicResult(NamedTuple):
    incident: Incident
    escalation: Escalation | None
    alerted: str = ""
    """Who was alerted, in the words the guard's screen shows (from the incident's timeline)."""


def _alerted(incident: Incident, escalation: Escalation | None) -> str:
    """What the panic's follow-up recorded on the timeline about who it alerted; without that record
    (no follow-up ran), only what dispatch itself knows: never a claim that is not true."""
    entry = incident.timeline.filter(kind=TimelineEntry.Kind.ALERTED).order_by("-pk").first()
    if entry is not None and entry.data.get("text"):
        return str(entry.data["text"])
    if escalation is not None:
        return f"PANIC {incident.reference} sent to {escalation.agency}. Nobody else is known to be alerted."
    return (
        f"PANIC {incident.reference} recorded, but nobody is known to be alerted: call the emergency number."
    )


@transaction.atomic
def press_panic(
    *,
    guard: User,
    site: Site | None,
    idempotency_key: uuid.UUID,
    latitude: Decimal | str | None = None,
    longitude: Decimal | str | None = None,
    accuracy_m: int | None = None,
    device_time: datetime | None = None,
) -> PanicResult:
    """One gesture: a severity-1 incident, its escalation (when the site has a police partner) and
    the alert of the provider's supervisors (``panic.pressed``), at once. A retried press finds the
    first. Without a site, the guard's first assigned site; a location that does not parse is
    dropped rather than allowed to stop the panic."""
    site = site or policy.panic_sites(guard).first()
    require(
        site is not None and policy.can_press_panic(guard, site),
        "The panic button works at the sites you are assigned to.",
    )
    assert site is not None
    fields: dict[str, Any] = {
        "reporter": guard,
        "site": site,
        "idempotency_key": idempotency_key,
        "submit": True,
        "device_time": device_time,
        "category": Category.objects.get(code="panic"),
        "severity": 1,
        "narrative": f"PANIC pressed by {guard} at {site}.",
    }
    location: dict[str, Any] = {
        "latitude": latitude,
        "longitude": longitude,
        "location_accuracy_m": accuracy_m,
    }
    try:
        result = incident_services.report_incident(**fields, **location)
    except ValidationError:
        result = incident_services.report_incident(**fields)
    incident = result.incident
    escalation = incident.escalations.filter(source=Escalation.Source.PANIC).first()
    if escalation is None and site.agency_id is not None:
        escalation = open_escalation(
            incident, by=guard, source=Escalation.Source.PANIC, reason="Panic button"
        )
    if result.created:
        # The provider's own people are alerted whether or not there is a police partner.
        publish_on_commit(events.panic_pressed(incident, guard=guard, escalation=escalation))
    return PanicResult(incident, escalation, _alerted(incident, escalation))
