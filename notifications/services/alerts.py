"""The provider's side is told too: panics, submitted reports, questions to a guard, debriefs waiting
for someone, and reminders (corrective actions coming due or overdue, accepted escalations without a
police update). Each is outbox rows by the channels each person chose; who is told is in
docs/notifications.md ("Who is told what")."""

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from dispatch.models import AccessFlag, Escalation
from incidents import selectors as incident_selectors
from incidents.models import Incident, TimelineEntry
from incidents.services.timeline import add_timeline_entry
from notifications import content, events, policy, selectors
from notifications.models import PERSON_CHANNELS, Alert, Channel, Kind, OutboxMessage, SentReminder
from notifications.services.outbox import queue_messages
from portal.realtime import Event, publish_on_commit

STALE_BATCH = 200
CANCELLED_KEY = "panic-cancelled:"


def person_messages(
    *,
    users: Iterable[User],
    kind: str,
    incident: Incident | None,
    payload: dict,
    key: str,
    reason: str,
    escalation: Escalation | None = None,
    offered: Collection[str] | None = None,
    required: Collection[str] = (),
    alert: Alert | None = None,
) -> list[OutboxMessage]:
    """One message per person and channel: the required channels, plus those of ``offered`` (every
    personal channel when None) that the person wants for this kind. About an incident, only those
    who may see it."""
    person_payload = {name: value for name, value in payload.items() if name != "data"}
    people = policy.notifiable_people(users, incident) if incident is not None else list(users)
    choices = selectors.wanted_channels(users=people, kind=kind)
    messages = []
    for user in people:
        wanted = choices[user.pk]
        channels = [
            channel
            for channel in (offered if offered is not None else PERSON_CHANNELS)
            if channel in required or channel in wanted
        ]
        for channel in dict.fromkeys(channels):
            messages.append(
                OutboxMessage(
                    kind=kind,
                    channel=channel,
                    recipient=user,
                    recipient_label=str(user),
                    escalation=escalation,
                    incident=incident,
                    alert=alert,
                    reason=reason[:200],
                    payload=person_payload,
                    idempotency_key=f"{key}:u{user.pk}:{channel}",
                )
            )
    return messages


def nobody_message(
    *,
    kind: str,
    incident: Incident | None,
    who: str,
    key: str,
    reason: str,
    escalation: Escalation | None = None,
) -> OutboxMessage:
    """A line in the incident's notification log when there was nobody to tell: the gap is seen."""
    return OutboxMessage(
        kind=kind,
        channel=Channel.IN_APP,
        recipient_label=who[:200],
        escalation=escalation,
        incident=incident,
        reason=reason[:200],
        payload={},
        idempotency_key=f"{key}:nobody",
        state=OutboxMessage.State.SKIPPED,
        last_error="Nobody to notify.",
    )


def open_alert(
    *,
    key: str,
    kind: str,
    incident: Incident,
    escalation: Escalation | None = None,
    raised_by: User | None = None,
    ladder_seconds: int = 0,
) -> Alert:
    """The alert its messages ask people to acknowledge (once per key). Unacknowledged when its
    ladder has run (``ladder_seconds``) plus ALERT_ACK_SECONDS, it is broadcast (acknowledgements.py)."""
    alert, _ = Alert.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "incident": incident,
            "escalation": escalation,
            "raised_by": raised_by,
            "exhausts_at": timezone.now() + timedelta(seconds=ladder_seconds + settings.ALERT_ACK_SECONDS),
        },
    )
    return alert


def unique_people(users: Iterable[User | None], *, exclude: User | None = None) -> list[User]:
    """Each person once, in order, without the one who acted (``exclude``) and without blanks."""
    seen: dict[int, User] = {}
    for user in users:
        if user is not None and user.pk not in seen and (exclude is None or user.pk != exclude.pk):
            seen[user.pk] = user
    return list(seen.values())


@transaction.atomic
def notify(
    *,
    users: Iterable[User | None],
    kind: str,
    payload: dict,
    key: str,
    reason: str,
    incident: Incident | None = None,
    exclude: User | None = None,
) -> list[OutboxMessage]:
    """Tell these people, by the channels each chose for this kind (the service higher apps call:
    debriefs). A key already sent is not sent again."""
    people = unique_people(users, exclude=exclude)
    return queue_messages(
        person_messages(users=people, kind=kind, incident=incident, payload=payload, key=key, reason=reason)
    )


# --- Panic -------------------------------------------------------------------------------------


def alert_panic(*, incident: Incident, guard: User, escalation: Escalation | None) -> TimelineEntry:
    """A panic alerts the provider's supervisors on duty (else every supervisor, else its org
    admins) at once, in the panic's own transaction and in parallel with the police's pages; the
    incident's timeline records who was alerted, which is what the guard's screen then says."""
    responders = selectors.list_provider_responders(provider_id=incident.site.provider_id)
    people = unique_people(responders.people, exclude=guard)
    police = str(escalation.agency) if escalation is not None else ""
    payload = content.panic(incident, guard=guard, police=police, tier=responders.tier)
    key = f"panic:{incident.public_id}"
    reason = f"PANIC at {incident.site.name}: the provider's {responders.tier}"
    alert = open_alert(key=key, kind=Kind.PANIC, incident=incident, escalation=escalation, raised_by=guard)
    messages = person_messages(
        users=people,
        kind=Kind.PANIC,
        incident=incident,
        escalation=escalation,
        payload=payload,
        key=key,
        reason=reason,
        required=(Channel.IN_APP,),
        alert=alert,
    )
    told = list(dict.fromkeys(str(message.recipient) for message in messages))
    if not told:
        messages.append(
            nobody_message(
                kind=Kind.PANIC,
                incident=incident,
                escalation=escalation,
                who=f"{incident.site.provider}: {responders.tier}",
                key=key,
                reason=reason,
            )
        )
    queue_messages(messages)
    text = content.panic_confirmation(incident, people=told, tier=responders.tier, police=police)
    return add_timeline_entry(
        incident=incident,
        kind=TimelineEntry.Kind.ALERTED,
        actor=None,
        text=text,
        people=told,
        tier=responders.tier,
        police=police,
    )


def handle_panic_pressed(event: Event) -> TimelineEntry:
    """``panic.pressed``, in the panic's transaction (FOLLOW_UPS): what alert_panic writes."""
    incident_id, guard_id, escalation_id = event.subject
    incident = Incident.objects.select_related("site__provider", "category").get(pk=incident_id)
    escalation = None
    if escalation_id is not None:
        escalation = Escalation.objects.select_related("agency").get(pk=escalation_id)
    entry = alert_panic(incident=incident, guard=User.objects.get(pk=guard_id), escalation=escalation)
    announce_desk(incident=incident, cause=event.name)
    return entry


def notify_panic_cancelled(*, incident: Incident, by: User, entry: TimelineEntry) -> list[OutboxMessage]:
    """A guard cancelled a false panic press: everyone the panic alerted is told, once, by each
    channel the alert reached them by (the police side hears the withdrawn escalation instead)."""
    # Each message the alert queued for a person (a channel the person cannot be reached on is
    # skipped again at delivery, and logged as such); the "nobody to tell" line has no recipient.
    alerted = (
        OutboxMessage.objects.filter(incident=incident, kind=Kind.PANIC, recipient__isnull=False)
        .exclude(idempotency_key__startswith=CANCELLED_KEY)
        .select_related("recipient")
        .order_by("pk")
    )
    channels: dict[int, list[str]] = {}
    people: dict[int, User] = {}
    for message in alerted:
        assert message.recipient is not None
        people[message.recipient.pk] = message.recipient
        if message.channel not in channels.setdefault(message.recipient.pk, []):
            channels[message.recipient.pk].append(message.channel)
    # The panic no longer waits for anyone: its ladder stops here, acknowledged or not.
    Alert.objects.filter(key=f"panic:{incident.public_id}", closed_at__isnull=True).update(
        closed_at=timezone.now()
    )
    payload = content.panic_cancelled(incident, by=by, at=entry.at)
    person_payload = {name: value for name, value in payload.items() if name != "data"}
    key = f"{CANCELLED_KEY}{incident.public_id}"
    return queue_messages(
        [
            OutboxMessage(
                kind=Kind.PANIC,
                channel=channel,
                recipient=user,
                recipient_label=str(user),
                incident=incident,
                reason=f"PANIC cancelled at {incident.site.name}: you were alerted"[:200],
                payload=person_payload,
                idempotency_key=f"{key}:u{user.pk}:{channel}",
            )
            for user in policy.notifiable_people(people.values(), incident)
            for channel in channels[user.pk]
        ]
    )


def handle_panic_cancelled(event: Event) -> list[OutboxMessage]:
    """``panic.cancelled``, in the cancel's transaction (FOLLOW_UPS): what notify_panic_cancelled writes."""
    incident_id, by_id, entry_id = event.subject
    incident = Incident.objects.select_related("site__provider", "category").get(pk=incident_id)
    entry = TimelineEntry.objects.get(pk=entry_id, incident=incident)
    messages = notify_panic_cancelled(incident=incident, by=User.objects.get(pk=by_id), entry=entry)
    announce_desk(incident=incident, cause=event.name)
    return messages


def announce_desk(*, incident: Incident, cause: str) -> Event:
    """Tell the provider's supervisors' open desks (their home) that a panic, an escalation or a
    report changed: they fetch their panels again (after the commit, so they read the change)."""
    event = events.desk_changed(incident.site.provider_id, event=cause, reference=incident.reference)
    publish_on_commit(event)
    return event


def handle_escalation_desk(event: Event) -> Event:
    """``escalation.*``, in the change's transaction (FOLLOW_UPS): the provider's desks follow."""
    incident = Incident.objects.select_related("site").get(escalations__pk=event.subject[0])
    return announce_desk(incident=incident, cause=event.name)


# --- Access flags (in the flag's transaction) ----------------------------------------------------


def handle_access_flagged(event: Event) -> list[OutboxMessage]:
    """``access.flagged`` (FOLLOW_UPS): the agency's org admins are told, in-app and by email, with
    where to read the evidence. Never the flagged person themselves, unless they are its only admin."""
    flag = AccessFlag.objects.select_related("user", "agency").get(pk=event.subject[0])
    admins = list(selectors.list_org_admins(organization_id=flag.agency_id))
    others = [admin for admin in admins if admin.pk != flag.user_id]
    return queue_messages(
        person_messages(
            users=others or admins,
            kind=Kind.ACCESS,
            incident=None,
            payload=content.written(
                event="access.flagged",
                title=f"Unusual access to personal data by {flag.user}",
                text=f"{flag.get_kind_display()}: {flag.summary} The accesses, with the purposes given, "
                "are listed under Access flags.",
                path=reverse("dispatch:access_flags"),
            ),
            key=f"access-flag:{flag.pk}",
            reason=f"Access review of {flag.agency}: its org admins",
            required=(Channel.IN_APP, Channel.EMAIL),
        )
    )


# --- Reports and questions (tasks after the commit) -------------------------------------------


@transaction.atomic
def notify_report_submitted(*, incident: Incident) -> list[OutboxMessage]:
    """A report reached the triage queue: its provider's supervisors on duty are told (else every
    supervisor, else the org admins). A panic's report is not announced again: its alert said it."""
    if incident.status == Incident.Status.DRAFT:
        return []
    if OutboxMessage.objects.filter(incident=incident, kind=Kind.PANIC).exists():
        return []
    responders = selectors.list_provider_responders(provider_id=incident.site.provider_id)
    people = unique_people(responders.people, exclude=incident.reporter)
    key = f"report:{incident.public_id}"
    reason = f"New report: the provider's {responders.tier}"
    messages = person_messages(
        users=people,
        kind=Kind.REPORT,
        incident=incident,
        payload=content.report_submitted(incident, tier=responders.tier),
        key=key,
        reason=reason,
    )
    if not people:
        messages.append(
            nobody_message(
                kind=Kind.REPORT,
                incident=incident,
                who=f"{incident.site.provider}: {responders.tier}",
                key=key,
                reason=reason,
            )
        )
    return queue_messages(messages)


REPORT_SWEEP_WINDOW = timedelta(days=1)
REPORT_SWEEP_SETTLE = timedelta(seconds=30)  # the report's own task is usually done by then
REPORT_SWEEP_BATCH = 200


def sweep_report_announcements(*, now: datetime | None = None) -> int:
    """Announce the reports of the last day whose supervisors were never told (their task was lost);
    each is announced by the same idempotent service as the task's. Returns how many."""
    now = now or timezone.now()
    reports = list(
        selectors.list_unannounced_reports(since=now - REPORT_SWEEP_WINDOW, before=now - REPORT_SWEEP_SETTLE)[
            :REPORT_SWEEP_BATCH
        ]
    )
    for incident in reports:
        notify_report_submitted(incident=incident)
    return len(reports)


@transaction.atomic
def notify_info_requested(*, incident: Incident, entry: TimelineEntry) -> list[OutboxMessage]:
    """A supervisor's question reaches the report's author: in-app always, and the channels the
    guard chose. Once per question."""
    question = str(entry.data.get("comment", ""))
    by = entry.actor
    return queue_messages(
        person_messages(
            users=unique_people([incident.reporter], exclude=by),
            kind=Kind.INFO_REQUEST,
            incident=incident,
            payload=content.info_requested(incident, question=question, by=by or incident.reporter),
            key=f"info:{entry.pk}",
            reason=f"Question about your report {incident.reference}",
            required=(Channel.IN_APP,),
        )
    )


@transaction.atomic
def notify_info_provided(*, incident: Incident, entry: TimelineEntry) -> list[OutboxMessage]:
    """The guard's answer reaches the supervisor who asked, as a message on the incident would: in-app
    always, and the channels the supervisor chose for messages. Once per answer."""
    question = (
        TimelineEntry.objects.select_related("actor")
        .filter(pk=entry.data.get("question") or 0, incident=incident)
        .first()
    )
    if question is None or question.actor is None:
        return []
    by = entry.actor or incident.reporter
    return queue_messages(
        person_messages(
            users=unique_people([question.actor], exclude=entry.actor),
            kind=Kind.MESSAGE,
            incident=incident,
            payload=content.info_provided(
                incident,
                question=str(question.data.get("comment", "")),
                answer=str(entry.data.get("text", "")),
                by=by,
            ),
            key=f"answer:{entry.pk}",
            reason=f"Answer to your question about {incident.reference}",
            required=(Channel.IN_APP,),
        )
    )


def announce_triage(*, incident: Incident) -> Event:
    """Push the provider's triage queue count to its supervisors' open pages (navigation and the
    triage page), after any change of a report's status."""
    provider_id = incident.site.provider_id
    event = events.triage_changed(
        provider_id,
        open_count=incident_selectors.count_triage_queue(provider_id=provider_id),
        reference=incident.reference,
        status=str(incident.status),
    )
    publish_on_commit(event)
    return event


# --- Reminders (periodic, idempotent) -----------------------------------------------------------


@transaction.atomic
def send_reminder(
    *,
    key: str,
    users: Iterable[User | None],
    kind: str,
    payload: dict,
    reason: str,
    incident: Incident | None = None,
    escalation: Escalation | None = None,
) -> list[OutboxMessage]:
    """Send a reminder once: the key is recorded (SentReminder) in the same transaction as its
    messages, so a sweep that runs again, or twice at once, sends nothing more."""
    _, created = SentReminder.objects.get_or_create(key=key)
    if not created:
        return []
    return queue_messages(
        person_messages(
            users=unique_people(users),
            kind=kind,
            incident=incident,
            escalation=escalation,
            payload=payload,
            key=f"reminder:{key}",
            reason=reason,
        )
    )


STALE_KEY = "stale:e"


def stale_key(escalation: Escalation) -> str:
    """The reminder's key: once per escalation (an escalation is accepted once). Built from its pk
    so the sweep's query can build the same key and skip what was already reminded."""
    return f"{STALE_KEY}{escalation.pk}"


def list_stale_escalations(*, now: datetime | None = None) -> list[Escalation]:
    """Accepted escalations with no dispatch or on-scene update for ESCALATION_STALE_MINUTES and
    not yet reminded of, oldest first, a batch at a time. Already-reminded rows are excluded in the
    query (NOT EXISTS on SentReminder), so a batch's worth of them never hides newer ones."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.ESCALATION_STALE_MINUTES)
    reminded = SentReminder.objects.filter(
        key=Concat(Value(STALE_KEY), Cast(OuterRef("pk"), CharField()), output_field=CharField())
    )
    return list(
        Escalation.objects.filter(
            status=Escalation.Status.ACCEPTED,
            accepted_at__lte=cutoff,
            dispatched_at__isnull=True,
            on_scene_at__isnull=True,
        )
        .filter(~Exists(reminded))
        .select_related("incident__site__provider", "incident__category", "agency", "accepted_by")
        .order_by("accepted_at", "pk")[:STALE_BATCH]
    )


def remind_stale_escalations(*, now: datetime | None = None) -> int:
    """Remind the accepting liaison and the agency's on-duty liaisons of each stale acceptance, and
    the provider's side too (its supervisors on duty, else every supervisor, else its org admins:
    the rule a panic uses), once per acceptance. Returns how many escalations were reminded of."""
    reminded = 0
    for escalation in list_stale_escalations(now=now):
        responders = selectors.list_provider_responders(provider_id=escalation.incident.site.provider_id)
        people = [
            escalation.accepted_by,
            *selectors.list_on_duty_liaisons(agency_id=escalation.agency_id),
            *responders.people,
        ]
        sent = send_reminder(
            key=stale_key(escalation),
            users=people,
            kind=Kind.REMINDER,
            payload=content.stale_escalation(escalation, minutes=settings.ESCALATION_STALE_MINUTES),
            reason=f"Accepted {settings.ESCALATION_STALE_MINUTES} min ago without a police update",
            incident=escalation.incident,
            escalation=escalation,
        )
        reminded += bool(sent)
    return reminded
