"""Escalation policies at work: who is told when an escalation is requested, and after how long,
until someone accepts. Immediate steps become outbox messages at once; later steps become timer
rows (they survive restarts) that the beat fires. Acceptance, rejection and cancellation stop the
chain in their own transaction; every page is checked again at delivery."""

from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import User
from dispatch import policy as dispatch_policy
from dispatch.models import Escalation
from incidents import disclosure
from incidents.models import TimelineEntry
from notifications import content, selectors
from notifications.models import (
    Alert,
    Channel,
    EscalationPolicy,
    EscalationTimer,
    Kind,
    OutboxMessage,
    Target,
    Via,
    WebhookEndpoint,
)
from notifications.services.acknowledgements import record_acknowledgement
from notifications.services.alerts import open_alert, person_messages, unique_people
from notifications.services.outbox import cancel_pages, queue_messages
from portal.realtime import Event

STOPPING = {"escalation.accepted", "escalation.rejected", "escalation.cancelled"}
TIMER_BATCH = 200


@dataclass(frozen=True)
class Plan:
    """One step of one organization's policy, as it stood when the escalation was requested."""

    owner_id: int
    position: int
    delay_seconds: int
    target: str
    person_id: int | None = None
    channels: list[str] = field(default_factory=list)
    required: list[str] = field(default_factory=list)
    label: str = ""

    @property
    def chain(self) -> str:
        return f"org{self.owner_id}"


def default_agency_plans(agency_id: int) -> list[Plan]:
    """An agency without a policy of its own: its on-duty liaisons, in-app (always) and by email, at once."""
    return [
        Plan(
            owner_id=agency_id,
            position=1,
            delay_seconds=0,
            target=Target.ON_DUTY_LIAISONS,
            channels=[Channel.IN_APP, Channel.EMAIL],
            required=[Channel.IN_APP],
            label="Default policy: on-duty liaisons, at once",
        )
    ]


def _delay_label(seconds: int) -> str:
    if seconds == 0:
        return "at once"
    return f"after {seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"after {seconds} s"


def _plans_of(escalation_policy: EscalationPolicy) -> list[Plan]:
    return [
        Plan(
            owner_id=escalation_policy.organization_id,
            position=step.position,
            delay_seconds=step.delay_seconds,
            target=step.target,
            person_id=step.person_id,
            channels=list(step.channels),
            required=list(step.required_channels),
            label=f"{escalation_policy.name}, step {index} ({_delay_label(step.delay_seconds)})",
        )
        for index, step in enumerate(escalation_policy.steps.all(), start=1)
    ]


def _at_once(plans: list[Plan], *, level: int) -> list[Plan]:
    """Every step now, none after its delay: the agency pages everyone at once at this level."""
    return [
        replace(plan, delay_seconds=0, label=f"{plan.label}; at once: level {level} pages everyone at once")
        if plan.delay_seconds
        else plan
        for plan in plans
    ]


def plans_for(escalation: Escalation) -> list[Plan]:
    """The agency's policy (or the built-in default) and the provider's policy, if it has one. At a
    verification level the agency pages at once, all of the agency's steps are paged at once."""
    site = escalation.incident.site
    plans: list[Plan] = []
    agency_policy = selectors.resolve_policy(organization_id=escalation.agency_id, site_id=site.pk)
    agency_plans = (
        default_agency_plans(escalation.agency_id) if agency_policy is None else _plans_of(agency_policy)
    )
    level = escalation.verification_level
    if level in selectors.at_once_levels(organization_id=escalation.agency_id):
        agency_plans = _at_once(agency_plans, level=level)
    plans += agency_plans
    provider_policy = selectors.resolve_policy(organization_id=site.provider_id, site_id=site.pk)
    if provider_policy is not None:
        plans += _plans_of(provider_policy)
    return plans


def _people(plan: Plan, escalation: Escalation) -> tuple[list[User], str]:
    """Who a step names, and how the log says it when that is nobody."""
    if plan.target == Target.ON_DUTY_LIAISONS:
        users = list(selectors.list_on_duty_liaisons(agency_id=escalation.agency_id))
        return users, f"On-duty liaisons of {escalation.agency}"
    if plan.target == Target.PROVIDER_SUPERVISORS:
        provider = escalation.incident.site.provider
        return list(selectors.list_supervisors(provider_id=provider.pk)), f"Supervisors of {provider}"
    if plan.target == Target.ORG_ADMINS:
        return list(selectors.list_org_admins(organization_id=plan.owner_id)), "Organization admins"
    if plan.person_id is None:
        return [], "The named person"
    person = User.objects.filter(
        pk=plan.person_id, is_active=True, membership__organization_id=plan.owner_id
    ).first()
    return ([person] if person else []), "The named person"


def _person_messages(
    *,
    users: Iterable[User],
    kind: str,
    escalation: Escalation,
    payload: dict,
    key: str,
    reason: str,
    offered: Collection[str] | None = None,
    required: Collection[str] = (),
    alert: Alert | None = None,
) -> list[OutboxMessage]:
    """The escalation's messages to people (alerts.person_messages, about its incident)."""
    return person_messages(
        alert=alert,
        users=users,
        kind=kind,
        incident=escalation.incident,
        escalation=escalation,
        payload=payload,
        key=key,
        reason=reason,
        offered=offered,
        required=required,
    )


def eido_of(escalation: Escalation) -> dict | None:
    """The escalated incident as a NENA EIDO, from the builder named in settings
    (WEBHOOK_EIDO_BUILDER: exports builds it, above this app); None when no builder is named."""
    builder = getattr(settings, "WEBHOOK_EIDO_BUILDER", "")
    if not builder:
        return None
    # What the agency may see of the incident (incidents.disclosure): never an internal note or party.
    return dict(import_string(builder)(escalation.incident, reader=disclosure.agency(escalation.agency_id)))


def _webhook_messages(
    *,
    endpoints: Iterable[WebhookEndpoint],
    kind: str,
    escalation: Escalation,
    payload: dict,
    key: str,
    reason: str,
    alert: Alert | None = None,
) -> list[OutboxMessage]:
    """One message per endpoint. An endpoint that asks for EIDO gets the incident's EIDO as it is at
    this change, kept in the message so every retry sends the same bytes."""
    messages: list[OutboxMessage] = []
    eido: dict | None = None
    for endpoint in endpoints:
        body = {"event": payload["event"], "title": payload["title"], "data": payload.get("data", {})}
        if endpoint.format == WebhookEndpoint.Format.EIDO:
            eido = eido if eido is not None else eido_of(escalation)
            if eido is not None:
                body["eido"] = eido
        messages.append(
            OutboxMessage(
                kind=kind,
                channel=Channel.WEBHOOK,
                endpoint=endpoint,
                alert=alert,
                recipient_label=f"Webhook {endpoint.name}",
                escalation=escalation,
                incident=escalation.incident,
                reason=reason[:200],
                payload=body,
                idempotency_key=f"{key}:e{endpoint.pk}",
            )
        )
    return messages


def alert_key(escalation: Escalation) -> str:
    """The key of the alert an escalation's pages ask people to acknowledge."""
    return f"escalation:{escalation.public_id}"


def _alert_of(escalation: Escalation) -> Alert | None:
    return Alert.objects.filter(key=alert_key(escalation)).first()


def _page_messages(escalation: Escalation, plan: Plan, alert: Alert | None = None) -> list[OutboxMessage]:
    key = f"page:{escalation.public_id}:{plan.chain}:{plan.position}"
    payload = content.page(escalation, reason=plan.label)
    if plan.target == Target.WEBHOOKS:
        endpoints = selectors.list_subscribed_endpoints(organization_ids=[plan.owner_id], kind=Kind.PAGE)
        return _webhook_messages(
            endpoints=endpoints,
            kind=Kind.PAGE,
            escalation=escalation,
            payload=payload,
            key=key,
            reason=plan.label,
            alert=alert,
        )
    users, who = _people(plan, escalation)
    messages = _person_messages(
        users=users,
        kind=Kind.PAGE,
        escalation=escalation,
        payload=payload,
        key=key,
        reason=plan.label,
        offered=plan.channels,
        required=plan.required,
        alert=alert,
    )
    if not users:
        # Nobody to page is worth a line in the incident's log: someone should see the gap.
        messages.append(
            OutboxMessage(
                kind=Kind.PAGE,
                channel=Channel.IN_APP,
                recipient_label=who,
                escalation=escalation,
                incident=escalation.incident,
                alert=alert,
                reason=plan.label[:200],
                payload={},
                idempotency_key=f"{key}:nobody",
                state=OutboxMessage.State.SKIPPED,
                last_error="Nobody to notify (nobody on duty, or the person left).",
            )
        )
    return messages


def _start_chains(escalation: Escalation) -> list[OutboxMessage]:
    messages: list[OutboxMessage] = []
    timers = []
    plans = plans_for(escalation)
    # The ladder climbs until a person acknowledges; once its last step has had ALERT_ACK_SECONDS
    # without one, the alert is broadcast (acknowledgements.exhaust_due_alerts).
    alert = open_alert(
        key=alert_key(escalation),
        kind=Kind.PAGE,
        incident=escalation.incident,
        escalation=escalation,
        # Only a panic has someone who must not acknowledge it (the guard who pressed it, on its own
        # alert); the supervisor who escalated is told of the broadcast like every other.
        raised_by=None,
        ladder_seconds=max((plan.delay_seconds for plan in plans), default=0),
    )
    for plan in plans:
        if plan.delay_seconds == 0:
            messages += _page_messages(escalation, plan, alert)
            continue
        timers.append(
            EscalationTimer(
                escalation=escalation,
                key=f"{escalation.public_id}:{plan.chain}:{plan.position}",
                plan=asdict(plan),
                due_at=escalation.requested_at + timedelta(seconds=plan.delay_seconds),
            )
        )
    EscalationTimer.objects.bulk_create(timers)
    return messages


def _stop_chains(escalation: Escalation, *, event: str, by: User | None) -> None:
    verb = event.split(".", 1)[1]
    at = timezone.localtime(timezone.now(), escalation.incident.site.zone)
    reason = f"Stopped: {verb} by {by or 'the system'} at {at:%H:%M:%S %Z}."
    EscalationTimer.objects.filter(escalation=escalation, state=EscalationTimer.State.PENDING).update(
        state=EscalationTimer.State.CANCELLED, closed_at=timezone.now(), note=reason[:200]
    )
    cancel_pages(escalation=escalation, reason=reason)
    alert = _alert_of(escalation)
    if alert is not None and event == "escalation.accepted" and by is not None:
        # Accepting on the board is the liaison's acknowledgement (first wins: it may be one already).
        record_acknowledgement(alert=alert, by=by, via=Via.BOARD)
    elif alert is not None:
        Alert.objects.filter(pk=alert.pk, closed_at__isnull=True).update(closed_at=timezone.now())


def _update_messages(escalation: Escalation, *, event: str, by: User | None) -> list[OutboxMessage]:
    """Tell the people following the escalation what changed (never the person who changed it)."""
    incident = escalation.incident
    provider_id = incident.site.provider_id
    people: list[User | None] = [
        *selectors.list_supervisors(provider_id=provider_id),
        escalation.requested_by,
    ]
    if event == "escalation.requested" and escalation.is_panic:
        people = []  # the panic's own alert told them, naming the police it was sent to
    if event in ("escalation.cancelled", "escalation.panic_cleared"):
        people.append(escalation.accepted_by)
    key = f"update:{escalation.public_id}:v{escalation.version}:{event}"
    payload = content.update(escalation, event=event, by=by)
    reason = f"Following {incident.reference}"
    endpoints = selectors.list_subscribed_endpoints(
        organization_ids=[escalation.agency_id, provider_id], kind=Kind.UPDATE
    )
    return _person_messages(
        users=unique_people(people, exclude=by),
        kind=Kind.UPDATE,
        escalation=escalation,
        payload=payload,
        key=key,
        reason=reason,
    ) + _webhook_messages(
        endpoints=endpoints, kind=Kind.UPDATE, escalation=escalation, payload=payload, key=key, reason=reason
    )


def on_escalation_event(*, escalation: Escalation, event: str, by: User | None) -> list[OutboxMessage]:
    """Everything an escalation's change sends, in the change's transaction: a request starts the
    policies' chains, acceptance/rejection/cancellation stops them, and every change is told to
    those following the escalation."""
    messages: list[OutboxMessage] = []
    if event == "escalation.requested":
        messages += _start_chains(escalation)
    elif event in STOPPING:
        _stop_chains(escalation, event=event, by=by)
    if event == "escalation.panic_cleared":
        # The guard is safe: neither the police's nor the provider's alert waits any longer.
        Alert.objects.filter(incident=escalation.incident, closed_at__isnull=True).update(
            closed_at=timezone.now()
        )
    messages += _update_messages(escalation, event=event, by=by)
    return queue_messages(messages)


def on_message_posted(*, escalation: Escalation, entry: TimelineEntry, by: User) -> list[OutboxMessage]:
    """A message on an escalated incident reaches the other side: the provider's supervisors, the
    requester and the guard who filed the report when the police write (a guard on the scene is told
    at once, not only when they open the page), the accepting liaison when the provider does."""
    incident = escalation.incident
    if dispatch_policy.board_agency(by) is not None:
        people: list[User | None] = [
            *selectors.list_supervisors(provider_id=incident.site.provider_id),
            escalation.requested_by,
            incident.reporter,
        ]
    else:
        people = [escalation.accepted_by]
    text = str(entry.data.get("text", ""))
    payload = content.message(escalation, text=text, by=by, entry_id=entry.pk, at=entry.at.isoformat())
    key = f"message:{entry.pk}"
    reason = f"Message on {incident.reference}"
    endpoints = selectors.list_subscribed_endpoints(
        organization_ids=[escalation.agency_id, incident.site.provider_id], kind=Kind.MESSAGE
    )
    return queue_messages(
        _person_messages(
            users=unique_people(people, exclude=by),
            kind=Kind.MESSAGE,
            escalation=escalation,
            payload=payload,
            key=key,
            reason=reason,
        )
        + _webhook_messages(
            endpoints=endpoints,
            kind=Kind.MESSAGE,
            escalation=escalation,
            payload=payload,
            key=key,
            reason=reason,
        )
    )


def _subject(event: Event) -> tuple[Escalation, User]:
    escalation_id, actor_id = event.subject[:2]
    escalation = Escalation.objects.select_related(
        "incident__site__provider", "incident__category", "agency"
    ).get(pk=escalation_id)
    return escalation, User.objects.get(pk=actor_id)


def handle_escalation_event(event: Event) -> list[OutboxMessage]:
    """An escalation's board event, in its transaction (FOLLOW_UPS): what on_escalation_event sends."""
    escalation, by = _subject(event)
    return on_escalation_event(escalation=escalation, event=event.name, by=by)


def handle_message_posted(event: Event) -> list[OutboxMessage]:
    """``message.posted``, in its transaction (FOLLOW_UPS): what on_message_posted sends."""
    escalation, by = _subject(event)
    entry = TimelineEntry.objects.get(pk=event.subject[2])
    return on_message_posted(escalation=escalation, entry=entry, by=by)


@transaction.atomic
def fire_timer(*, timer_id: int, now: datetime | None = None) -> list[OutboxMessage]:
    """Fire one due timer: its step's messages, unless the escalation no longer waits."""
    now = now or timezone.now()
    timer = EscalationTimer.objects.filter(pk=timer_id, state=EscalationTimer.State.PENDING).first()
    if timer is None:
        return []
    # The escalation's lock orders this against acceptance, which cancels timers under the same lock.
    escalation = (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("incident__site__provider", "incident__category", "agency")
        .get(pk=timer.escalation_id)
    )
    alert = _alert_of(escalation)
    acknowledged = alert is not None and alert.acknowledged_at is not None
    still_waiting = escalation.status == Escalation.Status.REQUESTED and not acknowledged
    closed = EscalationTimer.objects.filter(pk=timer.pk, state=EscalationTimer.State.PENDING).update(
        state=EscalationTimer.State.FIRED if still_waiting else EscalationTimer.State.CANCELLED,
        closed_at=now,
        note=""
        if still_waiting
        else "Not fired: acknowledged by a person."
        if acknowledged
        else f"Not fired: the escalation was {escalation.get_status_display().lower()}.",
    )
    if not closed or not still_waiting:
        return []
    return queue_messages(_page_messages(escalation, Plan(**timer.plan), alert))


def fire_due_timers(*, now: datetime | None = None) -> int:
    """Fire every timer that is due (the beat runs this every few seconds). Returns how many fired."""
    now = now or timezone.now()
    due = list(
        EscalationTimer.objects.filter(state=EscalationTimer.State.PENDING, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:TIMER_BATCH]
    )
    fired = 0
    for timer_id in due:
        fire_timer(timer_id=timer_id, now=now)
        fired += 1
    return fired
