"""Org admins' settings: escalation policies and webhook endpoints (with a test event)."""

import secrets
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import Organization, Site, User
from audit import services as audit
from dispatch.models import VerificationLevel
from notifications import content, policy
from notifications.models import (
    PERSON_CHANNELS,
    WEBHOOK_KINDS,
    Channel,
    EscalationPolicy,
    Kind,
    LevelPaging,
    OutboxMessage,
    PolicyStep,
    Target,
    WebhookEndpoint,
)
from notifications.senders.webhook import validate_url
from notifications.services.outbox import queue_messages

MAX_STEPS = 10
MAX_DELAY = 24 * 3600
TARGETS_BY_KIND: dict[str, tuple[str, ...]] = {
    Organization.Kind.AGENCY: (
        Target.ON_DUTY_LIAISONS,
        Target.ORG_ADMINS,
        Target.PERSON,
        Target.PROVIDER_SUPERVISORS,
        Target.WEBHOOKS,
    ),
    Organization.Kind.PROVIDER: (
        Target.PROVIDER_SUPERVISORS,
        Target.ORG_ADMINS,
        Target.PERSON,
        Target.WEBHOOKS,
    ),
}


def _require_manager(by: User, organization: Organization) -> None:
    if not policy.can_manage_notifications(by, organization):
        raise PermissionDenied("Only your organization's admins manage its notifications.")


@dataclass(frozen=True)
class StepInput:
    delay_seconds: int
    target: str
    person: User | None = None
    channels: Sequence[str] = ()
    required_channels: Sequence[str] = ()


def _clean_steps(by: User, organization: Organization, steps: Sequence[StepInput]) -> list[StepInput]:
    if not steps:
        raise ValidationError("Add at least one step.")
    if len(steps) > MAX_STEPS:
        raise ValidationError(f"Keep a policy to {MAX_STEPS} steps.")
    people = policy.policy_people(by, organization)
    cleaned = []
    for number, step in enumerate(steps, start=1):
        where = f"Step {number}: "
        if step.target not in TARGETS_BY_KIND[organization.kind]:
            raise ValidationError(where + "choose who it notifies from the list.")
        if not 0 <= step.delay_seconds <= MAX_DELAY:
            raise ValidationError(where + "the delay is between 0 seconds and 24 hours.")
        if step.target == Target.PERSON and (
            step.person is None or not people.filter(pk=step.person.pk).exists()
        ):
            raise ValidationError(where + "choose one of your organization's active people.")
        if step.target == Target.WEBHOOKS:
            cleaned.append(StepInput(step.delay_seconds, step.target))
            continue
        channels = [channel for channel in PERSON_CHANNELS if channel in step.channels]
        if not channels:
            raise ValidationError(where + "choose at least one channel (in-app, email, SMS).")
        if not set(step.required_channels) <= set(channels):
            raise ValidationError(where + "a required channel must also be one the step uses.")
        required = [channel for channel in channels if channel in step.required_channels]
        person = step.person if step.target == Target.PERSON else None
        cleaned.append(StepInput(step.delay_seconds, step.target, person, channels, required))
    return sorted(cleaned, key=lambda step: step.delay_seconds)


@transaction.atomic
def save_escalation_policy(
    *,
    by: User,
    organization: Organization,
    name: str,
    site: Site | None,
    steps: Sequence[StepInput],
    is_active: bool = True,
    escalation_policy: EscalationPolicy | None = None,
) -> EscalationPolicy:
    """Create or replace an organization's escalation policy (for one site, or its default)."""
    _require_manager(by, organization)
    if escalation_policy is not None and escalation_policy.organization_id != organization.pk:
        raise PermissionDenied("That policy belongs to another organization.")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": "Give the policy a name (up to 100 characters)."})
    if site is not None and not policy.policy_sites(by, organization).filter(pk=site.pk).exists():
        raise ValidationError({"site": "Choose one of your organization's sites."})
    cleaned = _clean_steps(by, organization, steps)
    clash = EscalationPolicy.objects.filter(organization=organization, site=site)
    if escalation_policy is not None:
        clash = clash.exclude(pk=escalation_policy.pk)
    if clash.exists():
        where = f"{site}" if site else "every site (the default)"
        raise ValidationError({"site": f"There is already a policy for {where}: edit that one."})
    target = escalation_policy or EscalationPolicy(organization=organization)
    target.name, target.site, target.is_active, target.updated_by = name, site, is_active, by
    target.save()
    target.steps.all().delete()
    PolicyStep.objects.bulk_create(
        PolicyStep(
            policy=target,
            position=position,
            delay_seconds=step.delay_seconds,
            target=step.target,
            person=step.person,
            channels=list(step.channels),
            required_channels=list(step.required_channels),
        )
        for position, step in enumerate(cleaned, start=1)
    )
    audit.record(
        action="escalation_policy.created" if escalation_policy is None else "escalation_policy.updated",
        actor=by,
        obj=target,
        organization=organization,
        site=str(site) if site is not None else "every site",
        active=is_active,
        steps=[[step.delay_seconds, step.target, list(step.channels)] for step in cleaned],
    )
    return target


@transaction.atomic
def set_at_once_levels(*, by: User, organization: Organization, levels: Collection[int]) -> list[int]:
    """An agency's admin chooses at which verification levels (0-4) its policy pages every step at
    once; at the others it climbs the ladder. Applied to escalations requested from now on."""
    _require_manager(by, organization)
    if not organization.is_agency:
        raise ValidationError({"levels": "Only an agency pages people by verification level."})
    chosen = set(levels)
    unknown = chosen - set(VerificationLevel.values)
    if unknown:
        raise ValidationError({"levels": "Choose verification levels from 0 to 4."})
    before = sorted(
        LevelPaging.objects.filter(organization=organization, page_at_once=True).values_list(
            "level", flat=True
        )
    )
    for level in VerificationLevel.values:
        LevelPaging.objects.update_or_create(
            organization=organization,
            level=level,
            defaults={"page_at_once": level in chosen, "updated_by": by},
        )
    after = sorted(chosen)
    if before != after:
        audit.record(
            action="escalation_policy.levels_changed",
            actor=by,
            obj=organization,
            organization=organization,
            before=before,
            after=after,
        )
    return after


@transaction.atomic
def delete_escalation_policy(*, escalation_policy: EscalationPolicy, by: User) -> None:
    """Remove a policy. Escalations already running keep the steps they started with."""
    _require_manager(by, escalation_policy.organization)
    audit.record(
        action="escalation_policy.deleted",
        actor=by,
        obj=escalation_policy,
        organization=escalation_policy.organization,
    )
    escalation_policy.delete()


def _clean_format(format: str) -> str:
    if format not in WebhookEndpoint.Format.values:
        raise ValidationError({"format": "Choose the body's format: Watchpost events or NENA EIDO."})
    return format


def _clean_endpoint(name: str, url: str, events: Sequence[str]) -> tuple[str, str, list[str]]:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": "Give the endpoint a name (up to 100 characters)."})
    if len(url or "") > 500:
        raise ValidationError({"url": "Keep the URL under 500 characters."})
    url = validate_url(url or "")
    kinds = [str(kind) for kind in WEBHOOK_KINDS if kind in events]
    if not kinds:
        raise ValidationError({"events": "Choose at least one kind of event to send."})
    return name, url, kinds


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


@transaction.atomic
def create_webhook_endpoint(
    *,
    by: User,
    organization: Organization,
    name: str,
    url: str,
    events: Sequence[str],
    is_active: bool = True,
    format: str = WebhookEndpoint.Format.WATCHPOST,
) -> WebhookEndpoint:
    """A new endpoint with a fresh signing secret; ``format`` eido sends the incident as an EIDO."""
    _require_manager(by, organization)
    name, url, kinds = _clean_endpoint(name, url, events)
    format = _clean_format(format)
    endpoint = WebhookEndpoint.objects.create(
        organization=organization,
        name=name,
        url=url,
        events=kinds,
        format=format,
        is_active=is_active,
        secret=new_secret(),
        created_by=by,
    )
    # The secret itself is never in the trail: it would outlive its rotation there.
    audit.record(
        action="webhook.created",
        actor=by,
        obj=endpoint,
        organization=organization,
        url=url,
        events=kinds,
        format=format,
    )
    return endpoint


@transaction.atomic
def update_webhook_endpoint(
    *,
    endpoint: WebhookEndpoint,
    by: User,
    name: str,
    url: str,
    events: Sequence[str],
    is_active: bool,
    format: str | None = None,
) -> WebhookEndpoint:
    _require_manager(by, endpoint.organization)
    endpoint.name, endpoint.url, endpoint.events = _clean_endpoint(name, url, events)
    endpoint.format = _clean_format(endpoint.format if format is None else format)
    endpoint.is_active = is_active
    endpoint.save()
    audit.record(
        action="webhook.updated",
        actor=by,
        obj=endpoint,
        organization=endpoint.organization,
        url=endpoint.url,
        events=endpoint.events,
        format=endpoint.format,
        active=is_active,
    )
    return endpoint


@transaction.atomic
def rotate_webhook_secret(*, endpoint: WebhookEndpoint, by: User) -> WebhookEndpoint:
    """A new signing secret; the old one stops working at once."""
    _require_manager(by, endpoint.organization)
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    audit.record(action="webhook.secret_rotated", actor=by, obj=endpoint, organization=endpoint.organization)
    return endpoint


@transaction.atomic
def delete_webhook_endpoint(*, endpoint: WebhookEndpoint, by: User) -> None:
    """Remove an endpoint; its past deliveries stay in the incidents' logs."""
    _require_manager(by, endpoint.organization)
    audit.record(action="webhook.deleted", actor=by, obj=endpoint, organization=endpoint.organization)
    endpoint.delete()


@transaction.atomic
def send_test_event(*, endpoint: WebhookEndpoint, by: User) -> OutboxMessage:
    """Send a signed ``test`` event to the endpoint through the outbox, like any other delivery."""
    _require_manager(by, endpoint.organization)
    payload = content.test_event(endpoint_name=endpoint.name, by=by)
    (message,) = queue_messages(
        [
            OutboxMessage(
                kind=Kind.TEST,
                channel=Channel.WEBHOOK,
                endpoint=endpoint,
                recipient_label=f"Webhook {endpoint.name}",
                reason=f"Test sent by {by}",
                payload=payload,
                idempotency_key=f"test:{endpoint.public_id}:{uuid.uuid4()}",
            )
        ]
    )
    return message
