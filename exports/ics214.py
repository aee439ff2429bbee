"""Activity logs in the layout of FEMA's ICS Form 214: incident name, operational period, the unit,
the resources assigned and the activity log, in the site's time zone, prepared by whoever downloads
it. For a closed incident (its timeline) and for a drill (its window, its participants and what was
filed in it); an exercise is marked EXERCISE on every page."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import timezone

from accounts import policy as account_policy
from accounts.models import User
from incidents import disclosure
from incidents import policy as incident_policy
from incidents.models import Incident, TimelineEntry
from preparedness import selectors as preparedness_selectors
from preparedness.models import Drill


@dataclass(frozen=True)
class Activity:
    at: datetime
    text: str


def _words(entry: TimelineEntry) -> str:
    data = entry.data or {}
    said = data.get("text") or data.get("comment") or data.get("reason") or data.get("resolution") or ""
    change = f"{data.get('old')} → {data.get('new')}" if data.get("new") else ""
    police = " ".join(str(data[name]) for name in ("disposition", "case_number") if data.get(name))
    parts = [entry.get_kind_display(), change, str(said), police]
    who = f" ({entry.actor})" if entry.actor else ""
    return " · ".join(part for part in parts if part) + who


def _position(person: User | None) -> str:
    membership = account_policy.membership_of(person) if person else None
    return membership.get_role_display() if membership else ""


def _resources(people: Iterable[User]) -> list[dict[str, str]]:
    resources = []
    for person in {p.pk: p for p in people}.values():
        membership = account_policy.membership_of(person)
        resources.append(
            {
                "name": str(person),
                "position": membership.get_role_display() if membership else "",
                "agency": membership.organization.name if membership else "",
            }
        )
    return resources


def _pdf(*, zone: ZoneInfo, prepared_by: User, **blocks: Any) -> bytes:
    html = render_to_string(
        "exports/ics214.html",
        {
            **blocks,
            "zone": zone.key,
            "prepared_by": prepared_by,
            "prepared_position": _position(prepared_by),
            "prepared_at": timezone.now().astimezone(zone),
        },
    )
    # Loaded here, not at import (as debriefs' rendering does): WeasyPrint needs Pango and HarfBuzz,
    # which the web process and `make run` may lack; only this download needs them.
    from debriefs.pdf import html_to_pdf

    return html_to_pdf(html)


def activity_log_pdf(*, incident: Incident, prepared_by: User) -> bytes:
    """The ICS-214 PDF of a closed incident, from its timeline as the preparer may see it (an agency's
    liaison: without internal entries, incidents.disclosure)."""
    zone = ZoneInfo(incident.site.time_zone)
    entries = list(disclosure.timeline(incident, disclosure.reader_of(prepared_by)))
    closer = next((e.actor for e in reversed(entries) if e.kind == TimelineEntry.Kind.STATUS_CHANGED), None)
    return _pdf(
        zone=zone,
        prepared_by=prepared_by,
        exercise=incident.is_exercise,
        reference=incident.reference,
        incident_name=(
            f"{incident.reference} · {incident.category or 'Uncategorised'} · {incident.site.name}"
        ),
        period_from=incident.received_at.astimezone(zone),
        period_to=(incident.closed_at or timezone.now()).astimezone(zone),
        name=str(closer) if closer else "",
        position=_position(closer),
        home_agency=f"{incident.site.provider.name} — {incident.site.name}",
        resources=_resources(e.actor for e in entries if e.actor is not None),
        activities=[Activity(at=e.at.astimezone(zone), text=_words(e)) for e in entries],
    )


def drill_activity_log_pdf(*, drill: Drill, prepared_by: User) -> bytes:
    """The ICS-214 PDF of a drill (EXERCISE): its window, its participants, and what was filed in it;
    the timeline of each exercise incident the reader may see, the reference of the others."""
    zone = ZoneInfo(drill.site.time_zone)
    now = timezone.now()
    ended = drill.closed_at or (drill.ends_at if drill.ends_at <= now else None)
    activities = [
        Activity(at=drill.created_at, text=f"Drill scheduled: {drill.title} ({drill.scheduled_by})"),
        Activity(
            at=drill.starts_at,
            text=f"EXERCISE window opened: {drill.get_scenario_display()} at {drill.site.name}",
        ),
    ]
    incidents = list(preparedness_selectors.drill_incidents(drill))
    visible = set(
        incident_policy.visible_incidents(prepared_by)
        .filter(pk__in=[i.pk for i in incidents])
        .values_list("pk", flat=True)
    )
    people: list[User] = list(drill.participants.all())
    reader = disclosure.reader_of(prepared_by)
    for incident in incidents:
        if incident.pk not in visible:
            activities.append(
                Activity(
                    at=incident.received_at,
                    text=f"{incident.reference} · EXERCISE report filed · "
                    f"{incident.category or 'Uncategorised'} · {incident.get_status_display()}",
                )
            )
            continue
        for entry in disclosure.timeline(incident, reader):
            activities.append(Activity(at=entry.at, text=f"{incident.reference} · {_words(entry)}"))
            if entry.actor is not None:
                people.append(entry.actor)
    if ended:
        activities.append(Activity(at=ended, text="EXERCISE window closed"))
    activities.sort(key=lambda a: a.at)
    return _pdf(
        zone=zone,
        prepared_by=prepared_by,
        exercise=True,
        reference=f"Drill {drill.public_id}",
        incident_name=f"EXERCISE · {drill.title} · {drill.get_scenario_display()} · {drill.site.name}",
        period_from=drill.starts_at.astimezone(zone),
        period_to=(ended or now).astimezone(zone),
        name=str(drill.scheduled_by),
        position=_position(drill.scheduled_by),
        home_agency=f"{drill.site.provider.name} — {drill.site.name}",
        resources=_resources(people),
        activities=[Activity(at=a.at.astimezone(zone), text=a.text) for a in activities],
    )
