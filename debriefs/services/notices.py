"""Who is told about debriefs and corrective actions, through the notification outbox (a lower app,
called directly): a debrief waiting for review reaches its reviewers, one waiting for the agency's
account reaches the agency's liaisons, and corrective actions remind their owners before they fall
due and, with the supervisors, once they are overdue. Each is sent once (idempotency keys and
recorded reminders)."""

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from accounts.models import Role, User
from debriefs import policy
from debriefs.models import CorrectiveAction, Debrief
from notifications import content as notification_content
from notifications import selectors as notification_selectors
from notifications import services as notifications
from notifications.models import Kind, OutboxMessage, SentReminder

REMINDER_BATCH = 500


def debrief_path(debrief: Debrief) -> str:
    return f"/debriefs/{debrief.public_id}/"


def list_reviewers(debrief: Debrief) -> list[User]:
    """Who may approve it under the provider's rule (Organization.debrief_reviewers): never its
    submitter; other supervisors, and org admins where the provider says so."""
    provider_id = debrief.incident.site.provider_id
    candidates = User.objects.filter(
        is_active=True,
        membership__organization_id=provider_id,
        membership__role__in=(Role.SUPERVISOR, Role.ORG_ADMIN),
    ).select_related("membership__organization")
    return [user for user in candidates.order_by("pk") if policy.can_approve_debrief(user, debrief)]


def notify_waiting_for_review(*, debrief: Debrief, by: User) -> list[OutboxMessage]:
    """Submitted: each person who may approve it is told (in the submission's transaction)."""
    incident = debrief.incident
    reviewers = list_reviewers(debrief)
    return notifications.notify(
        users=reviewers,
        kind=Kind.DEBRIEF,
        incident=incident,
        exclude=by,
        key=f"debrief-review:{debrief.public_id}:{debrief.submitted_at:%Y%m%d%H%M%S%f}",
        reason="Debrief waiting for your review",
        payload=notification_content.written(
            event="debrief.submitted",
            title=f"Debrief of {incident.reference}, version {debrief.version}, waits for your review",
            text=(
                f"{by} submitted the debrief of {incident.reference} ({incident.site.name}). "
                "Approve it or ask for changes; its submitter cannot approve it."
            ),
            path=debrief_path(debrief),
        ),
    )


def notify_waiting_for_agency(*, debrief: Debrief) -> list[OutboxMessage]:
    """Drafted, for an incident escalated to the police: the liaisons of each agency it was
    escalated to are asked for the agency's account (once per debrief version)."""
    incident = debrief.incident
    if debrief.agency_contribution.strip():
        return []
    agency_ids = list(incident.escalations.values_list("agency_id", flat=True).distinct())
    sent: list[OutboxMessage] = []
    for agency_id in agency_ids:
        liaisons = notification_selectors.list_liaisons(agency_id=agency_id)
        sent += notifications.notify(
            users=liaisons,
            kind=Kind.DEBRIEF,
            incident=incident,
            key=f"debrief-agency:{debrief.public_id}:a{agency_id}",
            reason="Debrief waiting for the agency's account",
            payload=notification_content.written(
                event="debrief.agency_requested",
                title=f"Debrief of {incident.reference}: the agency's account is wanted",
                text=(
                    f"The debrief of {incident.reference} ({incident.site.name}) is drafted. Write what "
                    "the police did and saw in the agency's part."
                ),
                path=debrief_path(debrief),
            ),
        )
    return sent


def _due_start(action: CorrectiveAction) -> datetime:
    """The start of the action's due day in its site's time zone."""
    return datetime.combine(action.due_date, time.min, tzinfo=action.zone)


def _action_state(action: CorrectiveAction, now: datetime) -> str | None:
    """'overdue' after its due day (site's zone), 'due' within ACTION_DUE_REMINDER_HOURS of its
    start, else None."""
    start = _due_start(action)
    if now >= start + timedelta(days=1):
        return "overdue"
    if now >= start - timedelta(hours=settings.ACTION_DUE_REMINDER_HOURS):
        return "due"
    return None


def action_key(action: CorrectiveAction, state: str) -> str:
    """The reminder's key: once per action, state and due date. Built from its pk and ISO date so
    the sweep's query can build the same key (``_sent``) and skip what was already sent."""
    return f"action:c{action.pk}:{state}:{action.due_date.isoformat()}"


def _sent(state: str) -> Exists:
    key = Concat(
        Value("action:c"),
        Cast(OuterRef("pk"), CharField()),
        Value(f":{state}:"),
        Cast(OuterRef("due_date"), CharField()),
        output_field=CharField(),
    )
    return Exists(SentReminder.objects.filter(key=key))


def list_actions_to_remind(*, now: datetime) -> Iterable[CorrectiveAction]:
    """Open actions that could be due soon or overdue (a generous date window; the exact test is
    _action_state in the site's zone), a batch at a time. Excluded in the query: those already
    reminded of as overdue, and those reminded of as due that cannot be overdue yet in any zone;
    those reminded of as due come after the rest, so a batch's worth of them never hides others."""
    horizon = (now + timedelta(hours=settings.ACTION_DUE_REMINDER_HOURS, days=2)).date()
    # Due the day after today (UTC) or later: its due day has not ended yet even in UTC+14.
    not_overdue_anywhere = (now.astimezone(UTC) + timedelta(days=1)).date()
    return (
        CorrectiveAction.objects.exclude(status=CorrectiveAction.Status.DONE)
        .filter(due_date__lte=horizon)
        .annotate(overdue_sent=_sent("overdue"), due_sent=_sent("due"))
        .exclude(overdue_sent=True)
        .exclude(Q(due_sent=True) & Q(due_date__gte=not_overdue_anywhere))
        .select_related("incident__site__provider", "owner")
        .order_by("due_sent", "due_date", "pk")[:REMINDER_BATCH]
    )


def remind_corrective_actions(*, now: datetime | None = None) -> int:
    """Remind owners of actions coming due, and owners and supervisors of overdue ones: once per
    action, state and due date (a moved due date is reminded of again). Returns how many sent."""
    now = now or timezone.now()
    sent = 0
    for action in list_actions_to_remind(now=now):
        state = _action_state(action, now)
        if state is None:
            continue
        incident = action.incident
        people: list[User | None] = [action.owner]
        provider_id = incident.site.provider_id if incident is not None else action.provider_id
        if state == "overdue" and provider_id is not None:
            people += list(notification_selectors.list_supervisors(provider_id=provider_id))
        due = f"{action.due_date:%d %b %Y}"
        source = action.source
        title = (
            f"Overdue since {due}: corrective action for {source}"
            if state == "overdue"
            else f"Due {due}: corrective action for {source}"
        )
        messages = notifications.send_reminder(
            key=action_key(action, state),
            users=people,
            kind=Kind.ACTION,
            incident=incident,
            reason=f"Corrective action {'overdue' if state == 'overdue' else 'coming due'}",
            payload=notification_content.written(
                event=f"corrective_action.{state}",
                title=title,
                text=f"{action.what}\nOwner: {action.owner}. Update it on the actions page.",
                path="/debriefs/actions/",
            ),
        )
        sent += bool(messages)
    return sent
