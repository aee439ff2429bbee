"""The panic button: one gesture makes a severity-1 incident and its escalation, synchronously."""

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Site, User
from dispatch import events, policy, selectors
from dispatch.models import Escalation
from dispatch.services.common import locked, require
from dispatch.services.lifecycle import open_escalation, withdraw_escalation
from incidents import services as incident_services
from incidents.models import Category, Incident, TimelineEntry
from portal.realtime import publish_on_commit

# A cancel sent in the last second of the window still counts when the network delays it this much.
CANCEL_GRACE = timedelta(seconds=3)


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
    as_drill: bool = False,
) -> PanicResult:
    """One gesture: a severity-1 incident, its escalation (when the site has a police partner) and
    the alert of the provider's supervisors (``panic.pressed``), at once. A retried press finds the
    first. Without a site, the one the guard is most likely at (selectors.suggest_panic_site: the
    device's location, else the last report's site); a location that does not parse is dropped
    rather than allowed to stop the panic."""
    site = site or selectors.suggest_panic_site(guard=guard, latitude=latitude, longitude=longitude)
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
        "panic": True,
        # Pressed in a drill as part of it: EXERCISE (never refused: without a drill it is real).
        "as_drill": as_drill,
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


@transaction.atomic
def cancel_panic(*, incident: Incident, by: User) -> TimelineEntry:
    """A false press, cancelled by the guard who pressed it within PANIC_CANCEL_SECONDS: the police
    request is withdrawn (the agency is told as for any cancelled escalation), the cancellation is
    on the timeline and ``panic.cancelled`` tells everyone who was alerted. The incident stays open
    for the supervisors, who confirm with the guard and close it."""
    require(policy.can_cancel_panic(by, incident), "Only the guard who pressed a panic can cancel it.")
    current = Incident.objects.select_for_update(of=("self",)).select_related("category").get(pk=incident.pk)
    if not selectors.is_panic(current):
        raise ValidationError("This incident is not a panic.")
    if current.timeline.filter(data__panic="cancelled").exists():
        raise ValidationError(f"PANIC {current.reference} was already cancelled.")
    if timezone.now() > selectors.panic_cancel_deadline(current) + CANCEL_GRACE:
        raise ValidationError(
            f"The {settings.PANIC_CANCEL_SECONDS}-second cancel window of PANIC {current.reference} has "
            "passed: your supervisor can clear it once you are safe."
        )
    seconds = settings.PANIC_CANCEL_SECONDS
    text = f"PANIC cancelled by {by} within {seconds} s: a false press."
    entry = incident_services.add_timeline_entry(
        incident=current, kind=TimelineEntry.Kind.NOTE_ADDED, actor=by, text=text, panic="cancelled"
    )
    escalation = (
        current.escalations.filter(source=Escalation.Source.PANIC, status__in=Escalation.OPEN)
        .order_by("-requested_at")
        .first()
    )
    if escalation is not None:
        reason = f"False alarm: the guard cancelled the panic within {seconds} s."
        escalation = withdraw_escalation(locked(escalation), by=by, reason=reason)
    publish_on_commit(events.panic_cancelled(current, by=by, entry=entry, escalation=escalation))
    return entry


@transaction.atomic
def move_panic(*, incident: Incident, by: User, site: Site | None) -> Escalation | None:
    """The guard who pressed a panic says it was sent from the wrong site: the incident moves to
    the right one (incidents' own change) and, while the police request is open, it goes to that
    site's agency instead (the first request withdrawn, a new one opened, each told as usual)."""
    require(policy.can_cancel_panic(by, incident), "Only the guard who pressed a panic can move it.")
    if site is None:
        raise ValidationError("Choose the site you are at.")
    require(policy.can_press_panic(by, site), "The panic button sends only from your own sites.")
    if not selectors.is_panic(incident):
        raise ValidationError("This incident is not a panic.")
    if (cleared := selectors.get_panic_clearance(incident=incident)) is not None:
        raise ValidationError(
            f"PANIC {incident.reference} was cleared by {cleared.panic_cleared_by} (guard is safe): "
            "it can no longer be moved."
        )
    moved = incident_services.move_incident(incident=incident, by=by, site=site)
    escalation = (
        moved.escalations.filter(source=Escalation.Source.PANIC, status__in=Escalation.OPEN)
        .order_by("-requested_at")
        .first()
    )
    if escalation is None:
        return None
    withdraw_escalation(locked(escalation), by=by, reason=f"PANIC moved by the guard to {site}.")
    moved = Incident.objects.select_related("site", "category").get(pk=moved.pk)
    if site.agency_id is None:
        return None
    return open_escalation(
        moved, by=by, source=Escalation.Source.PANIC, reason=f"Panic button (moved to {site})"
    )
