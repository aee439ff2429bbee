"""Reads for notifications: recipients of a policy step, preferences, the inbox and the logs."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.db.models import Exists, F, Max, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Organization, Role, User
from accounts.policy import AnyUser
from dispatch import selectors as dispatch_selectors
from dispatch.models import BoardWatch, Escalation
from incidents import policy as incident_policy
from incidents import selectors as incident_selectors
from incidents.models import Incident
from notifications import policy
from notifications.models import (
    PERSON_CHANNELS,
    Alert,
    Channel,
    ChannelPreference,
    DeliveryAttempt,
    EscalationPolicy,
    Heartbeat,
    Kind,
    LevelPaging,
    Notification,
    NotificationProfile,
    OutboxMessage,
    WebhookEndpoint,
)

# What reaches a person who never chose: pages on every channel the policy uses, the rest in-app.
# A panic reaches supervisors on every channel unless they chose otherwise (in-app always: PANIC_REQUIRED).
DEFAULT_CHANNELS: dict[str, frozenset[str]] = {
    Kind.PAGE: frozenset(PERSON_CHANNELS),
    Kind.PANIC: frozenset(PERSON_CHANNELS),
    Kind.UPDATE: frozenset({Channel.IN_APP}),
    Kind.MESSAGE: frozenset({Channel.IN_APP}),
    Kind.REPORT: frozenset({Channel.IN_APP}),
    Kind.INFO_REQUEST: frozenset({Channel.IN_APP}),
    Kind.DEBRIEF: frozenset({Channel.IN_APP}),
    Kind.ACTION: frozenset({Channel.IN_APP, Channel.EMAIL}),
    Kind.REMINDER: frozenset({Channel.IN_APP}),
    Kind.BULLETIN: frozenset({Channel.IN_APP}),
    # Not a choice: the broadcast of an exhausted ladder requires every channel (acknowledgements.py).
    Kind.EXHAUSTED: frozenset(PERSON_CHANNELS),
    Kind.CANARY: frozenset(PERSON_CHANNELS),
    # Patrols (a missed checkpoint, a missed lone-worker check-in): in-app and email by default.
    Kind.PATROL: frozenset({Channel.IN_APP, Channel.EMAIL}),
    Kind.INTEGRITY: frozenset({Channel.IN_APP, Channel.EMAIL}),
    # Not a choice: the monthly partnership report requires both (analytics/services.py).
    Kind.PARTNERSHIP_REPORT: frozenset({Channel.IN_APP, Channel.EMAIL}),
    # Not a choice: an access flag reaches the agency's org admins in-app and by email (alerts.py).
    Kind.ACCESS: frozenset({Channel.IN_APP, Channel.EMAIL}),
}


def at_once_levels(*, organization_id: int) -> set[int]:
    """The verification levels at which the agency's policy pages every step at once."""
    return set(
        LevelPaging.objects.filter(organization_id=organization_id, page_at_once=True).values_list(
            "level", flat=True
        )
    )


def resolve_policy(*, organization_id: int, site_id: int) -> EscalationPolicy | None:
    """The organization's active policy for the site, else its default policy, else None."""
    return (
        EscalationPolicy.objects.filter(organization_id=organization_id, is_active=True)
        .filter(Q(site_id=site_id) | Q(site__isnull=True))
        .prefetch_related("steps")
        .order_by(F("site_id").asc(nulls_last=True))
        .first()
    )


def _members(organization_id: int, *roles: Role) -> QuerySet[User]:
    return (
        User.objects.filter(
            is_active=True, membership__organization_id=organization_id, membership__role__in=roles
        )
        .select_related("membership__organization")
        .order_by("pk")
    )


def list_on_duty_liaisons(*, agency_id: int) -> QuerySet[User]:
    """The agency's liaisons who are on duty (no profile yet: on duty)."""
    return _members(agency_id, Role.LIAISON).exclude(notification_profile__on_duty=False)


def list_liaisons(*, agency_id: int) -> QuerySet[User]:
    """All the agency's liaisons, on duty or not (what waits for them is not urgent)."""
    return _members(agency_id, Role.LIAISON)


def list_supervisors(*, provider_id: int) -> QuerySet[User]:
    return _members(provider_id, Role.SUPERVISOR)


def list_on_duty_supervisors(*, provider_id: int) -> QuerySet[User]:
    """The provider's supervisors who are on duty (no profile yet: on duty)."""
    return list_supervisors(provider_id=provider_id).exclude(notification_profile__on_duty=False)


class Responders(NamedTuple):
    """Who on the provider's side is told of a report or a panic, and why them (``tier``)."""

    people: list[User]
    tier: str


def list_provider_responders(*, provider_id: int) -> Responders:
    """The provider's supervisors on duty; if none is on duty, all its supervisors; if it has none,
    its org admins. Empty only when the provider has none of these."""
    on_duty = list(list_on_duty_supervisors(provider_id=provider_id))
    if on_duty:
        return Responders(on_duty, "supervisors on duty")
    everyone = list(list_supervisors(provider_id=provider_id))
    if everyone:
        return Responders(everyone, "supervisors (none is on duty)")
    admins = list(list_org_admins(organization_id=provider_id))
    if admins:
        return Responders(admins, "org admins (no supervisor)")
    return Responders([], "nobody (no supervisor or admin has an account)")


def list_org_admins(*, organization_id: int) -> QuerySet[User]:
    return _members(organization_id, Role.ORG_ADMIN)


def list_admins_and_supervisors(*, organization_ids: Iterable[int]) -> QuerySet[User]:
    """Every active admin and supervisor of these organizations, on duty or not: an exhausted
    ladder's broadcast, which no duty status or preference holds back."""
    return (
        User.objects.filter(
            is_active=True,
            membership__organization_id__in=list(organization_ids),
            membership__role__in=(Role.ORG_ADMIN, Role.SUPERVISOR),
        )
        .select_related("membership__organization")
        .order_by("pk")
    )


def list_subscribed_endpoints(*, organization_ids: Iterable[int], kind: str) -> list[WebhookEndpoint]:
    """Active endpoints of these organizations that asked for this kind of event."""
    endpoints = WebhookEndpoint.objects.filter(organization_id__in=list(organization_ids), is_active=True)
    return [endpoint for endpoint in endpoints.order_by("pk") if kind in endpoint.events]


def preference_matrix(*, user: User) -> dict[tuple[str, str], bool]:
    """Every (kind, channel) a person may choose (the kinds of their role), with their choice or
    the default."""
    matrix: dict[tuple[str, str], bool] = {
        (kind, channel): channel in DEFAULT_CHANNELS[kind]
        for kind in policy.preference_kinds(user)
        for channel in PERSON_CHANNELS
    }
    for kind, channel, enabled in ChannelPreference.objects.filter(user=user).values_list(
        "kind", "channel", "enabled"
    ):
        if (kind, channel) in matrix:
            matrix[(kind, channel)] = enabled
    return matrix


def wanted_channels(*, users: Iterable[User], kind: str) -> dict[int, set[str]]:
    """For each person, the channels they want this kind of notification on (one query for all)."""
    wanted = {user.pk: set(DEFAULT_CHANNELS[kind]) for user in users}
    choices = ChannelPreference.objects.filter(user_id__in=list(wanted), kind=kind)
    for user_id, channel, enabled in choices.values_list("user_id", "channel", "enabled"):
        if enabled:
            wanted[user_id].add(channel)
        else:
            wanted[user_id].discard(channel)
    return wanted


def get_profile(*, user: User) -> NotificationProfile:
    """The person's duty status and mobile number (an unsaved default when they never set one)."""
    return NotificationProfile.objects.filter(user=user).first() or NotificationProfile(user=user)


def is_on_duty(*, user: User) -> bool:
    return get_profile(user=user).on_duty


def count_unread(*, user: AnyUser) -> int:
    return policy.visible_notifications(user).filter(read_at__isnull=True).count()


def count_open_triage(*, user: AnyUser) -> int | None:
    """The user's provider's triage queue count, for supervisors (None: they have no queue)."""
    provider_id = policy.triage_provider_id(user)
    if provider_id is None:
        return None
    return incident_selectors.count_triage_queue(provider_id=provider_id)


DESK_TRIAGE_ROWS = 10


class Desk(NamedTuple):
    """The supervisor's live home, in the order it is shown: active panics, open police responses,
    the triage queue (its first rows, its count by severity and in all)."""

    panics: list[Incident]
    escalations: list[Escalation]
    triage: list[Incident]
    triage_total: int
    triage_by_severity: list[tuple[int | None, int]]
    unwatched: "list[Unwatched]"


def get_guard_phone(*, incident: Incident, for_user: AnyUser) -> str | None:
    """The number to call the guard of an active PANIC on, for the provider's staff: "" when none is on
    record (their notification settings hold it), None for anyone else or any other incident."""
    if not incident_policy.is_provider_staff_of(for_user, incident):
        return None
    if dispatch_selectors.panic_state(incident) != "active":
        return None
    phone = (
        NotificationProfile.objects.filter(user_id=incident.reporter_id)
        .values_list("phone", flat=True)
        .first()
    )
    return phone or ""


def get_desk(*, for_user: AnyUser) -> Desk:
    """What a supervisor's desk shows, each part scoped by its own app's policy."""
    queue = incident_selectors.list_triage_queue(for_user=for_user)
    by_severity: dict[int | None, int] = {}
    for severity in queue.values_list("severity", flat=True):
        by_severity[severity] = by_severity.get(severity, 0) + 1
    escalations = list(dispatch_selectors.list_open_escalations(for_user=for_user))
    return Desk(
        panics=list(dispatch_selectors.list_active_panics(for_user=for_user)),
        escalations=escalations,
        triage=list(queue[:DESK_TRIAGE_ROWS]),
        triage_total=sum(by_severity.values()),
        triage_by_severity=sorted(by_severity.items(), key=lambda item: (item[0] is None, item[0] or 0)),
        unwatched=list_unwatched_agencies(escalations=escalations),
    )


def list_inbox(*, for_user: AnyUser) -> QuerySet[Notification]:
    return (
        policy.visible_notifications(for_user)
        .select_related("message__alert__acknowledged_by")
        .order_by("-created_at", "-pk")
    )


def list_alerts_to_acknowledge(*, user: AnyUser, incident_id: int) -> QuerySet[Alert]:
    """The incident's alerts sent to the user that nobody has acknowledged and that still wait."""
    if not user.is_authenticated:
        return Alert.objects.none()
    return (
        Alert.objects.filter(
            incident_id=incident_id,
            acknowledged_at__isnull=True,
            closed_at__isnull=True,
            messages__recipient_id=user.pk,
        )
        .exclude(raised_by_id=user.pk)
        .distinct()
        .order_by("pk")
    )


def list_incident_alerts(*, incident: Incident, for_user: AnyUser) -> list[Alert]:
    """The incident's alerts with who acknowledged them, for whoever may see its notification log."""
    if not incident_policy.can_view_incident(for_user, incident):
        return []
    return list(Alert.objects.filter(incident=incident).select_related("acknowledged_by").order_by("pk"))


def list_incident_notifications(*, incident: Incident, for_user: AnyUser) -> QuerySet[OutboxMessage]:
    """The incident's notification log, oldest first, with each message's attempts."""
    return (
        policy.incident_notification_log(for_user, incident)
        .select_related("recipient", "endpoint", "alert")
        .prefetch_related("delivery_attempts")
        .order_by("created_at", "pk")
    )


def list_policies(*, for_user: AnyUser, organization: Organization) -> QuerySet[EscalationPolicy]:
    return (
        policy.managed_escalation_policies(for_user)
        .filter(organization=organization)
        .select_related("site", "updated_by")
        .prefetch_related("steps__person")
        .order_by("site__name", "pk")
    )


def get_policy(*, policy_id: int, for_user: AnyUser) -> EscalationPolicy:
    """One policy the user may edit, or EscalationPolicy.DoesNotExist."""
    return policy.managed_escalation_policies(for_user).prefetch_related("steps").get(pk=policy_id)


def list_endpoints(*, for_user: AnyUser, organization: Organization) -> QuerySet[WebhookEndpoint]:
    return policy.managed_webhook_endpoints(for_user).filter(organization=organization).order_by("name")


def get_endpoint(*, endpoint_id: uuid.UUID | str, for_user: AnyUser) -> WebhookEndpoint:
    """One endpoint the user may manage, or WebhookEndpoint.DoesNotExist."""
    return policy.managed_webhook_endpoints(for_user).get(public_id=endpoint_id)


def list_endpoint_attempts(*, endpoint: WebhookEndpoint, limit: int = 50) -> QuerySet[DeliveryAttempt]:
    """The endpoint's delivery log, newest first."""
    return (
        DeliveryAttempt.objects.filter(message__endpoint=endpoint)
        .select_related("message")
        .order_by("-at", "-pk")[:limit]
    )


# --- Heartbeats ------------------------------------------------------------------------------


class HeartbeatState:
    OK = "ok"
    SLOW = "slow"
    EXPIRED = "expired"


WORST = {HeartbeatState.OK: 0, HeartbeatState.SLOW: 1, HeartbeatState.EXPIRED: 2}


def heartbeat_state(age: float | None, *, slow: int, expired: int) -> str:
    """ok below ``slow`` seconds, slow below ``expired``, expired after (or never seen)."""
    if age is None or age >= expired:
        return HeartbeatState.EXPIRED
    return HeartbeatState.SLOW if age >= slow else HeartbeatState.OK


@dataclass(frozen=True)
class Signal:
    """One periodic health signal as it stands: what, which one, its state, how old, in words."""

    kind: str
    name: str
    state: str
    age: float | None
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "state": self.state,
            "age_seconds": None if self.age is None else round(self.age, 1),
            "detail": self.detail,
        }


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else max((now - then).total_seconds(), 0.0)


def _outbox_signal(now: datetime) -> Signal:
    oldest = (
        OutboxMessage.objects.filter(
            state__in=(OutboxMessage.State.PENDING, OutboxMessage.State.SENDING), next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if oldest is None:
        return Signal("outbox", "Outbox drainer", HeartbeatState.OK, 0.0, "Nothing waits to be sent.")
    age = _age(now, oldest)
    state = heartbeat_state(
        age, slow=settings.HEARTBEAT_OUTBOX_SLOW, expired=settings.HEARTBEAT_OUTBOX_EXPIRED
    )
    return Signal("outbox", "Outbox drainer", state, age, f"The oldest message due waits {age:.0f} s.")


def _recorded(name: str) -> Heartbeat | None:
    return Heartbeat.objects.filter(name=name).first()


def _beat_signal(now: datetime) -> Signal:
    beat = _recorded("beat")
    age = _age(now, beat.at if beat else None)
    state = heartbeat_state(age, slow=settings.HEARTBEAT_BEAT_SLOW, expired=settings.HEARTBEAT_BEAT_EXPIRED)
    detail = "Never ticked." if beat is None else f"Last tick {age:.0f} s ago."
    return Signal("beat", "Beat (periodic tasks)", state, age, detail)


def _queue_signals(now: datetime) -> list[Signal]:
    signals = []
    for queue in settings.HEARTBEAT_QUEUES:
        pong = _recorded(f"queue:{queue}")
        age = _age(now, pong.at if pong else None)
        state = heartbeat_state(
            age, slow=settings.HEARTBEAT_QUEUE_SLOW, expired=settings.HEARTBEAT_QUEUE_EXPIRED
        )
        if pong is None:
            detail = "No worker has answered on this queue yet."
        else:
            detail = f"Last answer {age:.0f} s ago, {pong.detail.get('lag_ms', 0)} ms after it was asked."
        signals.append(Signal("queue", f"Worker queue {queue}", state, age, detail))
    return signals


def _webhook_signals(now: datetime) -> list[Signal]:
    endpoints = (
        WebhookEndpoint.objects.filter(is_active=True)
        .select_related("organization")
        .annotate(
            last_success=Max(
                "messages__delivery_attempts__at", filter=Q(messages__delivery_attempts__ok=True)
            ),
            last_failure=Max(
                "messages__delivery_attempts__at", filter=Q(messages__delivery_attempts__ok=False)
            ),
            first_try=Min("messages__delivery_attempts__at"),
        )
        .order_by("organization__name", "name")
    )
    signals = []
    for endpoint in endpoints:
        name = f"Webhook {endpoint.name} ({endpoint.organization})"
        success, failure = endpoint.last_success, endpoint.last_failure
        if failure is None or (success is not None and success >= failure):
            # Never failed since its last success (or never sent): nothing says it is down.
            detail = (
                "Nothing sent yet." if success is None else f"Last success {_age(now, success):.0f} s ago."
            )
            signals.append(Signal("webhook", name, HeartbeatState.OK, _age(now, success), detail))
            continue
        # Failing since the last success (or since its first try, when it never succeeded).
        age = _age(now, success or endpoint.first_try)
        state = heartbeat_state(
            age, slow=settings.HEARTBEAT_WEBHOOK_SLOW, expired=settings.HEARTBEAT_WEBHOOK_EXPIRED
        )
        detail = (
            f"Never succeeded; failing for {age or 0:.0f} s."
            if success is None
            else f"Failing since its last success {age:.0f} s ago."
        )
        signals.append(Signal("webhook", name, state, age, detail))
    return signals


def _board_state(watch: BoardWatch, now: datetime) -> tuple[str, float | None]:
    age = _age(now, watch.last_ping_at)
    if watch.closed_at is not None:
        return HeartbeatState.EXPIRED, age
    return heartbeat_state(
        age, slow=settings.HEARTBEAT_BOARD_SLOW, expired=settings.HEARTBEAT_BOARD_EXPIRED
    ), age


def _board_signals(now: datetime) -> list[Signal]:
    signals = []
    for watch in dispatch_selectors.list_board_watches(now=now).filter(closed_at__isnull=True):
        state, age = _board_state(watch, now)
        signals.append(
            Signal(
                "board", f"Board of {watch.user} ({watch.agency})", state, age, f"Last ping {age:.0f} s ago."
            )
        )
    return signals


def _canary_signals(now: datetime) -> list[Signal]:
    if settings.CANARY_MINUTES <= 0:
        return []
    verdict = _recorded("canary")
    name = f"Delivery canary ({settings.CANARY_CHANNEL} to {settings.CANARY_RECIPIENT or 'nobody named'})"
    if verdict is None:
        return [Signal("canary", name, HeartbeatState.SLOW, None, "No canary judged yet.")]
    age = _age(now, verdict.at)
    if verdict.detail.get("arrived"):
        detail = f"The last arrived in {verdict.detail.get('seconds')} s."
        return [Signal("canary", name, HeartbeatState.OK, age, detail)]
    detail = f"The last did not arrive within {settings.CANARY_DEADLINE_SECONDS} s."
    return [Signal("canary", name, HeartbeatState.EXPIRED, age, detail)]


def list_heartbeats(*, now: datetime | None = None) -> list[Signal]:
    """Every heartbeat: the outbox drainer, beat, each worker queue, each webhook endpoint, each
    open board (the platform admins' health page and /healthz/detail)."""
    now = now or timezone.now()
    return [
        _outbox_signal(now),
        _beat_signal(now),
        *_queue_signals(now),
        *_webhook_signals(now),
        *_board_signals(now),
        *_canary_signals(now),
    ]


def worst_state(signals: Iterable[Signal]) -> str:
    return max((signal.state for signal in signals), key=WORST.__getitem__, default=HeartbeatState.OK)


@dataclass(frozen=True)
class Unwatched:
    """An agency with an open panic of the provider whose boards are not watching."""

    agency: Organization
    boards: list[tuple[str, float | None]]  # (liaison, seconds since the board's last ping)
    watching: int


def list_unwatched_agencies(
    *, escalations: Iterable[Escalation], now: datetime | None = None
) -> list[Unwatched]:
    """For the agencies of these open panic escalations: those with a board that has not pinged
    for HEARTBEAT_BOARD_EXPIRED seconds (or no board open at all)."""
    now = now or timezone.now()
    agencies = {
        escalation.agency_id: escalation.agency for escalation in escalations if escalation.panic_active
    }
    if not agencies:
        return []
    by_agency: dict[int, list[BoardWatch]] = {}
    for watch in dispatch_selectors.list_board_watches(agency_ids=agencies, now=now):
        by_agency.setdefault(watch.agency_id, []).append(watch)
    unwatched = []
    for agency_id, agency in agencies.items():
        stale, watching, seen = [], 0, set()
        for watch in by_agency.get(agency_id, []):
            state, age = _board_state(watch, now)
            if state != HeartbeatState.EXPIRED:
                watching += 1
                seen.add(watch.user_id)
            elif watch.user_id not in seen:
                stale.append((str(watch.user), age))
                seen.add(watch.user_id)
        if stale or not watching:
            unwatched.append(Unwatched(agency, stale, watching))
    return unwatched


def list_unannounced_reports(*, since: datetime, before: datetime) -> QuerySet[Incident]:
    """Reports submitted in [since, before) whose provider's people were never told: no report
    announcement and no panic alert (the after-commit task was lost: the broker down at the commit,
    Redis restarted with it queued)."""
    told = OutboxMessage.objects.filter(incident=OuterRef("pk"), kind__in=(Kind.REPORT, Kind.PANIC))
    return (
        Incident.objects.filter(submitted_at__gte=since, submitted_at__lt=before)
        .exclude(status=Incident.Status.DRAFT)
        .exclude(Exists(told))
        .select_related("site__provider", "category", "reporter")
        .order_by("submitted_at", "pk")
    )
