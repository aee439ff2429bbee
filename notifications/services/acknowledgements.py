"""Delivery confirmed by a person. Every alert (an escalation's pages, a panic's alert) waits for a
human acknowledgement: opening the incident, tapping acknowledge in the message or the inbox, or
accepting on the board. The first acknowledgement wins and stops the ladder; an alert whose ladder
runs out unacknowledged is broadcast to the organizations' admins and supervisors on every channel,
whatever their preferences or duty say; the guard who pressed a panic cannot acknowledge it."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from dispatch.models import Escalation
from incidents.models import TimelineEntry
from incidents.services.timeline import add_timeline_entry
from notifications import content, policy, selectors
from notifications.models import PERSON_CHANNELS, Alert, Channel, EscalationTimer, Kind, OutboxMessage, Via
from notifications.services.alerts import announce_desk, person_messages
from notifications.services.outbox import cancel_pages, queue_messages

EXHAUST_BATCH = 100


@dataclass(frozen=True)
class Acknowledged:
    """What an acknowledgement did: ``won`` False when someone else had acknowledged first."""

    alert: Alert
    won: bool

    @property
    def message(self) -> str:
        alert = self.alert
        if self.won:
            return "Acknowledged: the alert stops climbing."
        at = (
            timezone.localtime(alert.acknowledged_at, alert.incident.site.zone)
            if alert.acknowledged_at
            else None
        )
        when = f" at {at:%H:%M:%S %Z}" if at else ""
        return f"Already acknowledged by {alert.acknowledged_by or 'someone'}{when}."


def _refusal(alert: Alert, by: User) -> str:
    """Why ``by`` may not acknowledge the alert, or "" when they may."""
    if alert.raised_by_id is not None and alert.raised_by_id == by.pk:
        if alert.kind == Kind.PANIC:
            return "You pressed this panic: a supervisor has to acknowledge it, so that someone else knows."
        return "You raised this alert: someone else has to acknowledge it."
    if not policy.can_acknowledge(by, alert):
        return "This alert was not sent to you."
    return ""


def _stop_ladder(alert: Alert, *, reason: str, now: datetime) -> None:
    """No later step is sent: the escalation's pending timers are cancelled and its unsent pages too."""
    if alert.escalation is None:
        return
    EscalationTimer.objects.filter(escalation=alert.escalation, state=EscalationTimer.State.PENDING).update(
        state=EscalationTimer.State.CANCELLED, closed_at=now, note=reason[:200]
    )
    cancel_pages(escalation=alert.escalation, reason=reason)


def record_acknowledgement(*, alert: Alert, by: User, via: str, now: datetime | None = None) -> Acknowledged:
    """Inside a transaction that already holds the escalation's lock (acceptance on the board) or
    took it (acknowledge_alert): the first acknowledgement wins with one conditional update."""
    now = now or timezone.now()
    won = bool(
        Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_by=by, acknowledged_via=via
        )
    )
    alert.refresh_from_db()
    if not won:
        return Acknowledged(alert, False)
    at = timezone.localtime(now, alert.incident.site.zone)
    reason = f"Stopped: acknowledged by {by} ({Via(via).label}) at {at:%H:%M:%S %Z}."
    _stop_ladder(alert, reason=reason, now=now)
    if via == Via.BOARD:
        # The acceptance's own timeline entry and board event already say who took it.
        return Acknowledged(alert, True)
    add_timeline_entry(
        incident=alert.incident,
        kind=TimelineEntry.Kind.ALERTED,
        actor=by,
        text=f"{content.alert_name(alert.kind)} acknowledged by {by} ({Via(via).label}).",
        acknowledged=str(alert.public_id),
        via=via,
    )
    announce_desk(incident=alert.incident, cause="alert.acknowledged")
    return Acknowledged(alert, True)


@transaction.atomic
def acknowledge_alert(*, alert: Alert, by: User, via: str) -> Acknowledged:
    """A person confirms they have the alert. Refused (ValidationError) for the guard who pressed
    the panic, and (PermissionDenied) for someone it was not sent to; a second acknowledgement
    changes nothing and says who was first."""
    if via not in Via.values:
        raise ValidationError("Unknown way of acknowledging.")
    # The escalation's lock first, as acceptance takes it: the two never wait on each other crosswise.
    if alert.escalation_id is not None:
        Escalation.objects.select_for_update(of=("self",)).filter(pk=alert.escalation_id).first()
    current = (
        Alert.objects.select_for_update(of=("self",))
        .select_related("incident__site", "escalation", "acknowledged_by")
        .get(pk=alert.pk)
    )
    refusal = _refusal(current, by)
    if refusal:
        if current.raised_by_id == by.pk:
            raise ValidationError(refusal)
        raise PermissionDenied(refusal)
    if current.acknowledged_at is not None:
        return Acknowledged(current, False)
    if current.closed_at is not None:
        raise ValidationError("This alert no longer waits for anyone: it was closed.")
    return record_acknowledgement(alert=current, by=by, via=via)


def acknowledge_notification(*, user: User, notification_id: int, via: str = Via.INBOX) -> Acknowledged:
    """Acknowledge from an inbox entry (the person's own) the alert it belongs to."""
    notification = policy.visible_notifications(user).select_related("message__alert").get(pk=notification_id)
    alert = notification.message.alert
    if alert is None:
        raise ValidationError("This notification asks for no acknowledgement.")
    return acknowledge_alert(alert=alert, by=user, via=via)


def acknowledge_incident(*, user: User, incident_id: int, via: str = Via.OPENED) -> list[Acknowledged]:
    """Opening an incident acknowledges every open alert about it that was sent to the person."""
    results = []
    for alert in selectors.list_alerts_to_acknowledge(user=user, incident_id=incident_id):
        try:
            results.append(acknowledge_alert(alert=alert, by=user, via=via))
        except (ValidationError, PermissionDenied):
            continue
    return results


# --- The end of a ladder ---------------------------------------------------------------------


def _still_waits(alert: Alert) -> bool:
    escalation = alert.escalation
    if alert.kind == Kind.PANIC and alert.escalation is not None and alert.escalation.panic_cleared_at:
        return False
    if alert.key.startswith("escalation:") and escalation is not None:
        return escalation.status == Escalation.Status.REQUESTED
    return alert.incident.status != alert.incident.Status.CLOSED


def broadcast_messages(alert: Alert) -> list[OutboxMessage]:
    """Every admin and supervisor of the provider and the agency, on every personal channel."""
    incident = alert.incident
    organizations = [incident.site.provider_id]
    if alert.escalation is not None:
        organizations.append(alert.escalation.agency_id)
    people = [
        user
        for user in selectors.list_admins_and_supervisors(organization_ids=organizations)
        if user.pk != alert.raised_by_id
    ]
    payload = content.exhausted(alert)
    messages = person_messages(
        users=people,
        kind=Kind.EXHAUSTED,
        incident=incident,
        escalation=alert.escalation,
        payload=payload,
        key=f"exhausted:{alert.public_id}",
        reason=f"Nobody acknowledged the {content.alert_name(alert.kind).lower()}: admins and supervisors",
        offered=PERSON_CHANNELS,
        required=PERSON_CHANNELS,
        alert=alert,
    )
    if not messages:
        messages.append(
            OutboxMessage(
                kind=Kind.EXHAUSTED,
                channel=Channel.IN_APP,
                recipient_label="Every admin and supervisor: nobody has an account",
                escalation=alert.escalation,
                incident=incident,
                alert=alert,
                reason="Nobody acknowledged",
                payload={},
                idempotency_key=f"exhausted:{alert.public_id}:nobody",
                state=OutboxMessage.State.SKIPPED,
                last_error="Nobody to notify.",
            )
        )
    return messages


@transaction.atomic
def exhaust_alert(*, alert_id: int, now: datetime | None = None) -> list[OutboxMessage]:
    """An alert whose ladder ran out unacknowledged is broadcast, once (a conditional update decides
    which sweep does it). An alert that no longer waits is closed instead."""
    now = now or timezone.now()
    alert = Alert.objects.select_related("incident__site__provider", "escalation").filter(pk=alert_id).first()
    if alert is None:
        return []
    if alert.escalation is not None:
        Escalation.objects.select_for_update(of=("self",)).filter(pk=alert.escalation.pk).first()
        alert.escalation.refresh_from_db()
    waiting = Alert.objects.filter(
        pk=alert.pk, acknowledged_at__isnull=True, exhausted_at__isnull=True, closed_at__isnull=True
    )
    if not _still_waits(alert):
        waiting.update(closed_at=now)
        return []
    if not waiting.update(exhausted_at=now):
        return []
    messages = queue_messages(broadcast_messages(alert))
    add_timeline_entry(
        incident=alert.incident,
        kind=TimelineEntry.Kind.ALERTED,
        actor=None,
        text=f"Nobody acknowledged the {content.alert_name(alert.kind).lower()}: "
        "broadcast to every admin and supervisor on every channel.",
        exhausted=str(alert.public_id),
        people=list(dict.fromkeys(message.recipient_label for message in messages)),
    )
    announce_desk(incident=alert.incident, cause="alert.exhausted")
    return messages


def exhaust_due_alerts(*, now: datetime | None = None) -> int:
    """Broadcast every alert whose ladder has run out unacknowledged (beat). Returns how many."""
    now = now or timezone.now()
    due = list(
        Alert.objects.filter(
            acknowledged_at__isnull=True,
            exhausted_at__isnull=True,
            closed_at__isnull=True,
            exhausts_at__lte=now,
        )
        .order_by("exhausts_at")
        .values_list("pk", flat=True)[:EXHAUST_BATCH]
    )
    return sum(bool(exhaust_alert(alert_id=alert_id, now=now)) for alert_id in due)
