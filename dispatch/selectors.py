"""Reads for the live board and escalations, scoped by the access policy."""

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Exists, IntegerField, Max, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Organization, Partnership, Site, User
from accounts.policy import AnyUser
from dispatch import geometry, policy
from dispatch.models import (
    AccessFlag,
    AgencyCadCode,
    BoardEvent,
    BoardPreference,
    BoardRead,
    BoardWatch,
    Escalation,
    Jurisdiction,
    SiteFallback,
    SiteProfile,
    VerificationLevel,
)
from incidents import policy as incident_policy
from incidents.models import Evidence, Incident, InvolvedParty, TimelineEntry
from portal import duty

REPLAY_LIMIT = 2_000

# A panic is active until a supervisor clears it ("guard is safe"), as on the desk
# (list_active_panics); the cleared panic's escalation stays on the board while it is open.
PANIC_ACTIVE = (
    Q(source=Escalation.Source.PANIC)
    & ~Q(status__in=[Escalation.Status.CANCELLED, Escalation.Status.REJECTED])
    & Q(panic_cleared_at__isnull=True)
)


ENDED = (Escalation.Status.CLEARED, Escalation.Status.CANCELLED, Escalation.Status.REJECTED)
PANIC_STATE = "panic"  # the board's state filter: active panics, whatever the police's state


@dataclass(frozen=True)
class BoardFilter:
    """What a board or its history is narrowed to (None: everything)."""

    site_id: int | None = None
    severity: int | None = None
    state: str | None = None

    def apply(self, escalations: QuerySet[Escalation]) -> QuerySet[Escalation]:
        if self.site_id is not None:
            escalations = escalations.filter(incident__site_id=self.site_id)
        if self.severity is not None:
            escalations = escalations.filter(incident__severity=self.severity)
        if self.state == PANIC_STATE:
            escalations = escalations.filter(PANIC_ACTIVE)
        elif self.state:
            escalations = escalations.filter(status=self.state)
        return escalations


def _with_incident(escalations: QuerySet[Escalation]) -> QuerySet[Escalation]:
    return escalations.select_related(
        "incident", "incident__site", "incident__category", "agency", "panic_cleared_by"
    )


def _for_board(escalations: QuerySet[Escalation]) -> QuerySet[Escalation]:
    """With what a board row draws, its photo included."""
    return _with_incident(escalations).prefetch_related("incident__evidence")


def list_board_escalations(*, for_user: AnyUser, only: BoardFilter | None = None) -> QuerySet[Escalation]:
    """The agency's open escalations and active panics: panics first, then the most verified (AVS-01
    level), then most severe, then oldest."""
    agency = policy.board_agency(for_user)
    if agency is None:
        return Escalation.objects.none()
    return (
        (only or BoardFilter())
        .apply(_for_board(Escalation.objects.filter(agency=agency)))
        .filter(Q(status__in=Escalation.OPEN) | PANIC_ACTIVE)
        .annotate(
            panic_rank=Case(When(PANIC_ACTIVE, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("panic_rank", "-verification_level", "incident__severity", "requested_at", "pk")
    )


def _ended_at() -> Coalesce:
    return Coalesce("cleared_at", "cancelled_at", "rejected_at")


def list_recently_cleared(*, for_user: AnyUser, since: datetime) -> QuerySet[Escalation]:
    """The agency's escalations that ended (cleared, cancelled, rejected) since ``since``, newest first
    (an active panic stays on the board instead)."""
    agency = policy.board_agency(for_user)
    if agency is None:
        return Escalation.objects.none()
    return (
        _for_board(Escalation.objects.filter(agency=agency, status__in=ENDED))
        .exclude(PANIC_ACTIVE)
        .annotate(ended_at=_ended_at())
        .filter(ended_at__gte=since)
        .order_by("-ended_at", "-pk")
    )


def list_agency_history(*, for_user: AnyUser, only: BoardFilter | None = None) -> QuerySet[Escalation]:
    """Every escalation the agency ever received, newest first: the board's full history."""
    agency = policy.board_agency(for_user)
    if agency is None:
        return Escalation.objects.none()
    return (
        (only or BoardFilter())
        .apply(_with_incident(Escalation.objects.filter(agency=agency)))
        .annotate(ended_at=_ended_at())
        .order_by("-requested_at", "-pk")
    )


def list_board_sites(*, for_user: AnyUser) -> QuerySet[Site]:
    """The sites on the board's map and in its site filter, by name."""
    return policy.board_sites(for_user).order_by("name")


def list_unread_escalations(*, for_user: AnyUser, escalations: Iterable[Escalation]) -> set[str]:
    """The public ids of those escalations with a message from the provider's side that the user has
    not seen (posted after they last opened the escalation's details)."""
    escalations = list(escalations)
    ids = [escalation.pk for escalation in escalations]
    if not ids or not isinstance(for_user, User) or policy.board_agency(for_user) is None:
        return set()
    last_message = dict(
        BoardEvent.objects.filter(
            escalation_id__in=ids, name="message.posted", payload__message__side="provider"
        )
        .values("escalation_id")
        .annotate(last=Max("created_at"))
        .values_list("escalation_id", "last")
    )
    read = dict(
        BoardRead.objects.filter(user=for_user, escalation_id__in=last_message).values_list(
            "escalation_id", "read_at"
        )
    )
    unread = {pk for pk, last in last_message.items() if pk not in read or read[pk] < last}
    return {str(escalation.public_id) for escalation in escalations if escalation.pk in unread}


def get_board_density(*, for_user: AnyUser) -> str:
    """The user's board density (comfortable unless they chose compact)."""
    if not isinstance(for_user, User):
        return BoardPreference.Density.COMFORTABLE
    preference = BoardPreference.objects.filter(user=for_user).values_list("density", flat=True).first()
    return preference or BoardPreference.Density.COMFORTABLE


def last_board_sequence(*, agency_id: int) -> int:
    last = (
        BoardEvent.objects.filter(agency_id=agency_id)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
    )
    return last.first() or 0


def list_board_events_after(*, agency_id: int, after: int, limit: int = REPLAY_LIMIT) -> list[BoardEvent]:
    """The agency's board events numbered after ``after``, in order (the replay on reconnect)."""
    return list(
        BoardEvent.objects.filter(agency_id=agency_id, sequence__gt=after).order_by("sequence")[:limit]
    )


def get_escalation(*, escalation_id: uuid.UUID | str, for_user: AnyUser) -> Escalation:
    """One escalation the user may see, or Escalation.DoesNotExist."""
    return _with_incident(policy.visible_escalations(for_user)).get(public_id=escalation_id)


def list_incident_escalations(*, incident_id: int, for_user: AnyUser) -> QuerySet[Escalation]:
    return _with_incident(policy.visible_escalations(for_user).filter(incident_id=incident_id)).order_by(
        "-requested_at"
    )


def list_active_panics(*, for_user: AnyUser) -> QuerySet[Incident]:
    """The supervisor's desk: the visible panics still active (open, not cancelled by the guard in
    the window, not cleared by a supervisor as "guard is safe"), newest first."""
    cancelled = TimelineEntry.objects.filter(incident=OuterRef("pk"), data__panic="cancelled")
    cleared = Escalation.objects.filter(
        incident=OuterRef("pk"), source=Escalation.Source.PANIC, panic_cleared_at__isnull=False
    )
    return (
        incident_policy.visible_incidents(for_user)
        .filter(category__code="panic")
        .exclude(status=Incident.Status.CLOSED)
        .filter(~Exists(cancelled), ~Exists(cleared))
        .select_related("site", "reporter", "category")
        .order_by("-created_at", "-pk")
    )


def get_own_active_panic(*, guard: AnyUser) -> Incident | None:
    """The guard's own panic still active (the desk's rule, ``list_active_panics``), newest, or None:
    every page the guard opens says so in the panic bar."""
    return list_active_panics(for_user=guard).filter(reporter_id=getattr(guard, "pk", None)).first()


def panic_state(incident: Incident) -> str | None:
    """A panic's state in one word for lists and badges: "active", "cancelled" (the guard's false
    press, in the window), "cleared" (guard is safe) or "closed"; None for any other incident."""
    if not is_panic(incident):
        return None
    if incident.timeline.filter(data__panic="cancelled").exists():
        return "cancelled"
    if get_panic_clearance(incident=incident) is not None:
        return "cleared"
    if incident.status == Incident.Status.CLOSED:
        return "closed"
    return "active"


def list_open_escalations(*, for_user: AnyUser) -> QuerySet[Escalation]:
    """The supervisor's desk: the provider's escalations the police have not finished with, the
    oldest request first (the longest wait is the one to chase)."""
    return _with_incident(policy.visible_escalations(for_user).filter(status__in=Escalation.OPEN)).order_by(
        "requested_at", "pk"
    )


def list_unchecked_reports(*, since: datetime) -> QuerySet[Incident, int]:
    """Ids of the reports submitted since ``since`` at sites with an active escalation rule whose
    rule never ran (its task was lost), oldest first: what the rules' sweep applies them to."""
    return (
        Incident.objects.filter(
            submitted_at__gte=since, site__escalation_rule__is_active=True, rule_check__isnull=True
        )
        .exclude(status=Incident.Status.DRAFT)
        .order_by("submitted_at")
        .values_list("pk", flat=True)
    )


def get_panic_site(*, guard: AnyUser, site_id: int | None) -> Site | None:
    """The site a panic names if it is one of the guard's, else PermissionDenied; None if it names none."""
    if site_id is None:
        return None
    site = policy.panic_sites(guard).filter(pk=site_id).first()
    if site is None:
        # Never another site in its place: help would be sent to the wrong premises.
        raise PermissionDenied(
            "You are not assigned to that site: the panic button sends only from your own sites."
        )
    return site


EARTH_RADIUS_M = 6_371_000


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine): plenty for "which of my sites am I at"."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def nearest_panic_site(
    *, guard: AnyUser, latitude: Decimal | float | str | None, longitude: Decimal | float | str | None
) -> Site | None:
    """The guard's site nearest the device, if one is within PANIC_SITE_RADIUS_M; else None."""
    try:
        lat, lon = float(latitude), float(longitude)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    best: tuple[float, Site] | None = None
    for site in policy.panic_sites(guard).exclude(latitude=None).exclude(longitude=None):
        assert site.latitude is not None
        assert site.longitude is not None
        metres = distance_m(lat, lon, float(site.latitude), float(site.longitude))
        if metres <= settings.PANIC_SITE_RADIUS_M and (best is None or metres < best[0]):
            best = (metres, site)
    return best[1] if best else None


def suggest_panic_site(
    *,
    guard: AnyUser,
    latitude: Decimal | float | str | None = None,
    longitude: Decimal | float | str | None = None,
) -> Site | None:
    """Where the guard most likely is: the site of their open shift (portal.duty, which patrols
    answers), else the site the device is at (its location against the sites' coordinates), else
    the site of the guard's last report, else the first of their sites."""
    sites = policy.panic_sites(guard)
    on_shift = duty.current_site_id(guard)
    if on_shift is not None and (found := sites.filter(pk=on_shift).first()) is not None:
        return found
    nearest = nearest_panic_site(guard=guard, latitude=latitude, longitude=longitude)
    if nearest is not None:
        return nearest
    last = (
        Incident.objects.filter(reporter_id=getattr(guard, "pk", None), site__in=sites)
        .order_by("-received_at", "-pk")
        .values_list("site_id", flat=True)
        .first()
    )
    if last is not None:
        return sites.filter(pk=last).first()
    return sites.first()


def is_panic(incident: Incident) -> bool:
    """A panic button's incident (its category is the panic one)."""
    return incident.category is not None and incident.category.code == "panic"


def panic_cancel_deadline(incident: Incident) -> datetime:
    """Until when the guard who pressed the panic may still cancel it (as the guard is told)."""
    return incident.received_at + timedelta(seconds=settings.PANIC_CANCEL_SECONDS)


def panic_cancellable(incident: Incident, *, now: datetime | None = None) -> bool:
    """The panic's cancel window is open and nobody cancelled it yet."""
    now = now or timezone.now()
    return (
        is_panic(incident)
        and now <= panic_cancel_deadline(incident)
        and not incident.timeline.filter(data__panic="cancelled").exists()
    )


def get_panic_cancellation(*, incident: Incident) -> TimelineEntry | None:
    """The guard's cancellation of a false press (its timeline note, with who and when), else None."""
    if not is_panic(incident):
        return None
    return (
        incident.timeline.filter(data__panic="cancelled").select_related("actor").order_by("at", "pk").first()
    )


def list_panic_alerted(*, incident: Incident) -> list[str]:
    """Whom the panic alerted on the provider's side, as its "People alerted" record names them."""
    entry = incident.timeline.filter(kind=TimelineEntry.Kind.ALERTED).order_by("at", "pk").first()
    return [str(name) for name in (entry.data.get("people") or [])] if entry else []


def get_panic_clearance(*, incident: Incident) -> Escalation | None:
    """The panic escalation a supervisor cleared ("guard is safe"), with who cleared it, else None:
    once cleared the panic is over for the guard too (the desk's rule, ``list_active_panics``), so
    the guard's page says so and offers no move or cancel."""
    return (
        incident.escalations.filter(source=Escalation.Source.PANIC, panic_cleared_at__isnull=False)
        .select_related("panic_cleared_by")
        .order_by("-panic_cleared_at")
        .first()
    )


def list_recent_messages(*, incident: Incident, limit: int = 5) -> tuple[list[TimelineEntry], int]:
    """The incident's latest messages, oldest first, and how many there are in all (the caller
    already holds a visible incident): what is shown beside the message box."""
    messages = incident.timeline.filter(kind=TimelineEntry.Kind.MESSAGE).select_related(
        "actor", "actor__membership__organization"
    )
    latest = list(messages.order_by("-at", "-pk")[:limit])
    return latest[::-1], messages.count()


WATCH_MEMORY = timedelta(hours=1)  # a board closed longer ago than this is no longer worth naming


def list_board_watches(
    *, agency_ids: Iterable[int] | None = None, now: datetime | None = None
) -> QuerySet[BoardWatch]:
    """Board sockets open now, or closed within the last hour, newest ping first (the platform's
    heartbeats; the supervisors' "board not watching"). A socket whose server died keeps its row
    open with an old ping: it is shown as expired, which it is."""
    now = now or timezone.now()
    rows = BoardWatch.objects.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=now - WATCH_MEMORY))
    rows = rows.filter(last_ping_at__gte=now - timedelta(days=1))
    if agency_ids is not None:
        rows = rows.filter(agency_id__in=list(agency_ids))
    return rows.select_related("user", "agency").order_by("-last_ping_at", "pk")


def get_profile_site(*, site_id: int, for_user: AnyUser) -> Site:
    """One site whose safety profile the user may read (raises Site.DoesNotExist otherwise)."""
    return policy.profile_sites(for_user).select_related("provider", "agency").get(pk=site_id)


def get_site_profile(*, site: Site) -> SiteProfile:
    """The site's safety profile, or an unsaved empty one (never verified: stale)."""
    return SiteProfile.objects.filter(site=site).select_related("updated_by").first() or SiteProfile(
        site=site
    )


def list_profile_sites(*, for_user: AnyUser) -> list[tuple[Site, SiteProfile]]:
    """The sites whose profiles the user may read, each with its profile (stale ones first)."""
    sites = list(policy.profile_sites(for_user).filter(is_active=True).select_related("safety_profile"))
    rows = [(site, getattr(site, "safety_profile", None) or SiteProfile(site=site)) for site in sites]
    return sorted(rows, key=lambda row: (not row[1].is_stale(), row[0].name))


WEAPON_WORDS = ("weapon", "knife", "gun", "firearm", "pistol", "machete", "blade")
INJURY_WORDS = ("injur", "bleeding", "wounded", "unconscious", "stabbed", "shot ")


def suggest_verification(incident: Incident) -> tuple[int, list[str]]:
    """The AVS-01-shaped level a report's contents suggest, and why (the supervisor confirms it):
    a weapon seen or an injury (or a panic) 4, a suspect present 3, a guard's eyes on it or a photo
    or video attached 2, an alarm nobody saw 1."""
    text = incident.narrative.lower()
    reasons: list[str] = []
    level = VerificationLevel.UNVERIFIED
    category = incident.category.code if incident.category else ""
    if category != "alarm":
        level, reasons = VerificationLevel.EYES_ON, ["a guard's report (eyes on)"]
    if incident.evidence.filter(kind__in=(Evidence.Kind.PHOTO, Evidence.Kind.VIDEO)).exists():
        level = max(level, VerificationLevel.EYES_ON)
        reasons.append("photo or video attached")
    if incident.parties.filter(role=InvolvedParty.Role.SUBJECT).exists():
        level = max(level, VerificationLevel.SUSPECT)
        reasons.append("a suspect described")
    weapon = next((word for word in WEAPON_WORDS if word in text), None)
    injury = next((word for word in INJURY_WORDS if word in text), None)
    if category == "panic":
        level = VerificationLevel.THREAT_TO_LIFE
        reasons.append("the panic button")
    if weapon:
        level = VerificationLevel.THREAT_TO_LIFE
        reasons.append(f"a weapon mentioned ({weapon})")
    if injury:
        level = VerificationLevel.THREAT_TO_LIFE
        reasons.append("an injury mentioned")
    return int(level), reasons


# --- Routing: jurisdictions and fallbacks -------------------------------------------------------


def suggest_agency(*, site: Site) -> Organization | None:
    """The agency whose jurisdiction holds the site's coordinates (the first by name where areas
    overlap), or None: no coordinates, or no area holds them."""
    if site.latitude is None or site.longitude is None:
        return None
    point = (float(site.latitude), float(site.longitude))
    for jurisdiction in Jurisdiction.objects.select_related("agency"):
        if geometry.contains(jurisdiction.area, point):
            return jurisdiction.agency
    return None


def list_sites_inside(*, jurisdiction: Jurisdiction) -> list[Site]:
    """The active sites whose coordinates the area holds (the admin shows them beside the area)."""
    sites = Site.objects.filter(is_active=True, latitude__isnull=False, longitude__isnull=False)
    return [
        site
        for site in sites.order_by("name")
        if geometry.contains(jurisdiction.area, (float(site.latitude or 0), float(site.longitude or 0)))
    ]


def next_fallback(*, escalation: Escalation) -> Organization | None:
    """The first of the site's fallback agencies (mutual aid) that this incident was not yet
    escalated to and that the provider still has an active partnership with."""
    incident = escalation.incident
    tried = set(incident.escalations.values_list("agency_id", flat=True))
    active = Partnership.objects.filter(provider_id=incident.site.provider_id, is_active=True).values(
        "agency_id"
    )
    fallback = (
        SiteFallback.objects.filter(site_id=incident.site_id, agency_id__in=active)
        .exclude(agency_id__in=tried)
        .select_related("agency")
        .first()
    )
    return fallback.agency if fallback else None


def get_cad_code(*, agency_id: int, category_id: int | None) -> str:
    """The agency's own CAD code for a category ("" when it has none, or there is no category)."""
    if category_id is None:
        return ""
    found = AgencyCadCode.objects.filter(agency_id=agency_id, category_id=category_id).first()
    return found.cad_code if found else ""


def cad_codes_of(*, agency_id: int) -> dict[int, str]:
    """The agency's own CAD code of each category it mapped, by category id."""
    return dict(AgencyCadCode.objects.filter(agency_id=agency_id).values_list("category_id", "cad_code"))


def list_access_flags(*, for_user: AnyUser) -> QuerySet[AccessFlag]:
    """The access review's flags of the user's agency, newest first (its org admins only)."""
    return policy.visible_access_flags(for_user).select_related("user").order_by("-created_at", "-pk")
