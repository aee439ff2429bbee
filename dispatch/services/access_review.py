"""The periodic review of agency people's access to personal data (README, "Who sees what").

Every view of an incident's people or evidence files by an agency's reader is audited with the
purpose they gave and the incident (incidents/services/purposes.py, the custody records). Hourly,
this review reads those records and flags to the agency's org admins, with the evidence:

- **many incidents**: a person who opened the personal data of ACCESS_REVIEW_MANY_INCIDENTS incidents
  or more within the last ACCESS_REVIEW_WINDOW_HOURS while no escalation of that incident to their
  agency was open (an open escalation is the agency's ordinary work on it);
- **odd hours**: a person whose accesses in the window fell in hours of the day (their own time zone)
  that, with the hour either side, held under ACCESS_REVIEW_ODD_HOUR_PERCENT % of their accesses over
  the ACCESS_REVIEW_HISTORY_DAYS before, when that history holds ACCESS_REVIEW_MIN_HISTORY accesses at
  least.

A flag is kept (AccessFlag) once per person, kind and day, audited, and announced by
``access.flagged``; notifications tells the org admins (FOLLOW_UPS, portal/celery.py).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from accounts.selectors import get_time_zone
from audit import services as audit
from audit.models import AuditEvent
from dispatch import events
from dispatch.models import AccessFlag, Escalation
from incidents.models import Incident
from portal.realtime import publish_on_commit

REVIEWER = "access review"
# When an escalation of an incident to the agency was open (end None: it still is).
Window = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class Access:
    """One audited view of personal data: when, which incident (its public id), what, why."""

    at: datetime
    incident: str
    action: str
    what: str
    purpose: str


def _accesses(*, since: datetime, until: datetime) -> dict[tuple[int, int], list[Access]]:
    """The audited accesses with a purpose between the two times, by (agency id, person id), oldest first."""
    agencies = Organization.objects.filter(kind=Organization.Kind.AGENCY).values("pk")
    rows = (
        AuditEvent.objects.filter(
            at__gte=since, at__lt=until, organization_id__in=agencies, actor_id__isnull=False
        )
        .filter(data__has_key="purpose")
        .filter(data__has_key="incident")
        .exclude(action="personal_data.purpose_given")  # the view that follows is the access
        .order_by("at", "id")
        .values_list("organization_id", "actor_id", "at", "action", "data")
    )
    found: dict[tuple[int, int], list[Access]] = defaultdict(list)
    for agency_id, actor_id, at, action, data in rows.iterator(chunk_size=2000):
        found[(agency_id, actor_id)].append(
            Access(
                at=at,
                incident=str(data.get("incident", "")),
                action=action,
                what=str(data.get("what") or action.removeprefix("evidence.")),
                purpose=str(data.get("purpose", "")),
            )
        )
    return found


def _open_windows(
    agency_id: int, incident_ids: set[str]
) -> dict[str, list[tuple[datetime, datetime | None]]]:
    """For each incident, the times its escalations to the agency were open (end None: still open)."""
    windows: dict[str, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    rows = Escalation.objects.filter(agency_id=agency_id, incident__public_id__in=incident_ids).values_list(
        "incident__public_id", "requested_at", "rejected_at", "cleared_at", "cancelled_at"
    )
    for public_id, requested, *ends in rows:
        ended = min((end for end in ends if end is not None), default=None)
        windows[str(public_id)].append((requested, ended))
    return windows


def _within_open_escalation(
    access: Access, windows: dict[str, list[tuple[datetime, datetime | None]]]
) -> bool:
    return any(
        start <= access.at and (end is None or access.at < end) for start, end in windows[access.incident]
    )


def _references(incident_ids: set[str]) -> dict[str, str]:
    return {
        str(public_id): reference
        for public_id, reference in Incident.objects.filter(public_id__in=incident_ids).values_list(
            "public_id", "reference"
        )
    }


def _shown(access: Access, references: dict[str, str], zone: Any) -> dict[str, str]:
    return {
        "at": access.at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"),
        "incident": references.get(access.incident, access.incident),
        "incident_id": access.incident,
        "what": access.what,
        "purpose": access.purpose,
    }


def _many_incidents(agency_id: int, accesses: list[Access], zone: Any) -> tuple[str, dict[str, Any]] | None:
    ids = {access.incident for access in accesses}
    windows = _open_windows(agency_id, ids)
    outside = [access for access in accesses if not _within_open_escalation(access, windows)]
    by_incident: dict[str, list[Access]] = defaultdict(list)
    for access in outside:
        by_incident[access.incident].append(access)
    threshold = settings.ACCESS_REVIEW_MANY_INCIDENTS
    if len(by_incident) < threshold:
        return None
    references = _references(set(by_incident))
    summary = (
        f"Opened the personal data of {len(by_incident)} incidents outside open escalations in "
        f"{settings.ACCESS_REVIEW_WINDOW_HOURS} h (the review flags {threshold} or more)."
    )
    evidence = {
        "incidents": len(by_incident),
        "threshold": threshold,
        "window_hours": settings.ACCESS_REVIEW_WINDOW_HOURS,
        "accesses": [_shown(access, references, zone) for access in outside],
    }
    return summary, evidence


def _odd_hours(recent: list[Access], history: list[Access], zone: Any) -> tuple[str, dict[str, Any]] | None:
    if len(history) < settings.ACCESS_REVIEW_MIN_HISTORY:
        return None
    per_hour = Counter(access.at.astimezone(zone).hour for access in history)
    # An hour's share counts the hours either side of it too: someone who works round the clock
    # (each hour 1/24, about 4 %) is not odd at every hour, and a shift's edge is not odd.
    share = {
        hour: sum(per_hour.get((hour + step) % 24, 0) for step in (-1, 0, 1)) / len(history)
        for hour in range(24)
    }
    limit = settings.ACCESS_REVIEW_ODD_HOUR_PERCENT / 100
    odd = [access for access in recent if share[access.at.astimezone(zone).hour] < limit]
    if not odd:
        return None
    hours = sorted({access.at.astimezone(zone).hour for access in odd})
    references = _references({access.incident for access in odd})
    listed = ", ".join(f"{hour:02d}:00" for hour in hours)
    summary = (
        f"{len(odd)} accesses at {listed} ({zone}), hours that (with the hour either side) held under "
        f"{settings.ACCESS_REVIEW_ODD_HOUR_PERCENT} % of their {len(history)} accesses over the "
        f"{settings.ACCESS_REVIEW_HISTORY_DAYS} days before."
    )
    evidence = {
        "history": len(history),
        "history_days": settings.ACCESS_REVIEW_HISTORY_DAYS,
        "percent_limit": settings.ACCESS_REVIEW_ODD_HOUR_PERCENT,
        "time_zone": str(zone),
        "hour_shares": {f"{hour:02d}": round(share[hour] * 100, 1) for hour in hours},
        "accesses": [_shown(access, references, zone) for access in odd],
    }
    return summary, evidence


def _flag(
    *,
    agency_id: int,
    user: User,
    kind: str,
    since: datetime,
    until: datetime,
    found: tuple[str, dict[str, Any]],
) -> AccessFlag | None:
    summary, evidence = found
    with transaction.atomic():
        flag, created = AccessFlag.objects.get_or_create(
            user=user,
            kind=kind,
            day=timezone.localdate(until),
            defaults={
                "agency_id": agency_id,
                "window_start": since,
                "window_end": until,
                "summary": summary[:300],
                "evidence": evidence,
            },
        )
        if not created:
            return None
        audit.record(
            action="access.flagged",
            obj=flag,
            actor_label=REVIEWER,
            organization=Organization.objects.get(pk=agency_id),
            kind=kind,
            person=user.email,
            summary=flag.summary,
        )
        publish_on_commit(events.access_flagged(flag))
    return flag


def flag_unusual_access(*, now: datetime | None = None) -> list[AccessFlag]:
    """Review the window that ends now and flag what is unusual (once per person, kind and day)."""
    until = now or timezone.now()
    since = until - timedelta(hours=settings.ACCESS_REVIEW_WINDOW_HOURS)
    history_since = since - timedelta(days=settings.ACCESS_REVIEW_HISTORY_DAYS)
    recent = _accesses(since=since, until=until)
    history = _accesses(since=history_since, until=since)
    people = User.objects.in_bulk({user_id for _, user_id in recent})
    flags: list[AccessFlag] = []
    for (agency_id, user_id), accesses in sorted(recent.items()):
        user = people.get(user_id)
        if user is None:
            continue
        zone = get_time_zone(for_user=user)
        checks = (
            (AccessFlag.Kind.MANY_INCIDENTS, _many_incidents(agency_id, accesses, zone)),
            (AccessFlag.Kind.ODD_HOURS, _odd_hours(accesses, history.get((agency_id, user_id), []), zone)),
        )
        for kind, found in checks:
            if found is not None:
                flag = _flag(agency_id=agency_id, user=user, kind=kind, since=since, until=until, found=found)
                if flag is not None:
                    flags.append(flag)
    return flags
