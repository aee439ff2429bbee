"""Reads for notifications: recipients of a policy step, preferences, the inbox and the logs."""

import uuid
from collections.abc import Iterable
from typing import NamedTuple

from django.db.models import F, Q, QuerySet

from accounts.models import Organization, Role, User
from accounts.policy import AnyUser
from dispatch import selectors as dispatch_selectors
from dispatch.models import Escalation
from incidents import selectors as incident_selectors
from incidents.models import Incident
from notifications import policy
from notifications.models import (
    PERSON_CHANNELS,
    Channel,
    ChannelPreference,
    DeliveryAttempt,
    EscalationPolicy,
    Kind,
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
}


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


def get_desk(*, for_user: AnyUser) -> Desk:
    """What a supervisor's desk shows, each part scoped by its own app's policy."""
    queue = incident_selectors.list_triage_queue(for_user=for_user)
    by_severity: dict[int | None, int] = {}
    for severity in queue.values_list("severity", flat=True):
        by_severity[severity] = by_severity.get(severity, 0) + 1
    return Desk(
        panics=list(dispatch_selectors.list_active_panics(for_user=for_user)),
        escalations=list(dispatch_selectors.list_open_escalations(for_user=for_user)),
        triage=list(queue[:DESK_TRIAGE_ROWS]),
        triage_total=sum(by_severity.values()),
        triage_by_severity=sorted(by_severity.items(), key=lambda item: (item[0] is None, item[0] or 0)),
    )


def list_inbox(*, for_user: AnyUser) -> QuerySet[Notification]:
    return policy.visible_notifications(for_user).order_by("-created_at", "-pk")


def list_incident_notifications(*, incident: Incident, for_user: AnyUser) -> QuerySet[OutboxMessage]:
    """The incident's notification log, oldest first, with each message's attempts."""
    return (
        policy.incident_notification_log(for_user, incident)
        .select_related("recipient", "endpoint")
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
