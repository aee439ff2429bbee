"""Joint briefings: scheduled with invitations (iCalendar, through the outbox), answered, minuted;
decisions become actions whose owners come from either organization."""

import base64
from collections.abc import Iterable
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization, Site, User
from audit import services as audit
from notifications.models import Channel, Kind, OutboxMessage
from notifications.services.outbox import queue_messages
from portal import zones
from portal.realtime import publish_on_commit
from preparedness import events, ical, policy, selectors
from preparedness.models import Attendee, Briefing, Decision
from preparedness.services.common import require, text


def _people_of(briefing: Briefing, users: Iterable[User], field: str) -> list[User]:
    people = list(users)
    allowed = set(policy.briefing_people(briefing).values_list("pk", flat=True))
    if any(person.pk not in allowed for person in people):
        raise ValidationError({field: "Choose people of the two organizations."})
    return people


def invitation_messages(briefing: Briefing, *, method: str = "REQUEST") -> list[OutboxMessage]:
    """One email per attendee with the calendar file, keyed by the briefing's sequence: sent once."""
    calendar = base64.b64encode(ical.briefing_calendar(briefing, method=method)).decode()
    when = timezone.localtime(briefing.starts_at).strftime("%d %b %Y %H:%M %Z")
    verb = "cancelled" if method == "CANCEL" else "invitation"
    messages = []
    for attendee in briefing.attendees.select_related("user"):
        user = attendee.user
        body = (
            f"{briefing.title}: {when} ({briefing.duration_minutes} min)"
            + (f", {briefing.location}" if briefing.location else "")
            + f".\n{briefing.provider} and {briefing.agency}.\n\nAgenda:\n{briefing.agenda or '—'}\n\n"
            "Answer from the calendar file, or on the briefing's page in Watchpost."
        )
        messages.append(
            OutboxMessage(
                kind=Kind.INVITATION,
                channel=Channel.EMAIL,
                address=user.email,
                recipient=user,
                recipient_label=str(user)[:200],
                reason=f"Attendee of the briefing {briefing.title}"[:200],
                payload={
                    "subject": f"[Watchpost] Briefing {verb}: {briefing.title}, {when}",
                    "text": body,
                    "html": "",
                    "attachments": [
                        {
                            "filename": "briefing.ics",
                            "content_type": f"text/calendar; method={method}; charset=UTF-8",
                            "content_base64": calendar,
                        }
                    ],
                },
                idempotency_key=f"briefing:{briefing.public_id}:{briefing.sequence}:{method}:{user.pk}",
            )
        )
    return messages


@transaction.atomic
def schedule_briefing(
    *,
    by: User,
    provider: Organization,
    agency: Organization,
    title: str,
    starts_at: datetime,
    duration_minutes: int = 60,
    recurrence: str = "",
    location: str = "",
    agenda: str = "",
    sites: Iterable[Site] = (),
    attendees: Iterable[User] = (),
) -> Briefing:
    """A meeting of a provider and its partner agency; each attendee is sent a calendar invitation."""
    providers, agencies = policy.briefing_partners(by)
    require(
        providers.filter(pk=provider.pk).exists() and agencies.filter(pk=agency.pk).exists(),
        "Briefings are scheduled by a provider's or an agency's staff with a partner of theirs.",
    )
    if recurrence not in Briefing.Recurrence.values:
        raise ValidationError({"recurrence": "Choose once, weekly or monthly."})
    if not 5 <= duration_minutes <= 480:
        raise ValidationError({"duration_minutes": "A briefing lasts 5 to 480 minutes."})
    briefing = Briefing.objects.create(
        provider=provider,
        agency=agency,
        title=text(title, "title", 200, required=True),
        starts_at=starts_at.replace(microsecond=0),  # a calendar keeps whole seconds
        duration_minutes=duration_minutes,
        recurrence=recurrence,
        location=text(location, "location", 200),
        agenda=text(agenda, "agenda", 10_000),
        created_by=by,
    )
    chosen_sites = list(sites)
    if any(site.provider_id != provider.pk for site in chosen_sites):
        raise ValidationError({"sites": "Choose sites of the provider."})
    briefing.sites.set(chosen_sites)
    people = _people_of(briefing, attendees, "attendees")
    if by not in people:
        people.append(by)
    Attendee.objects.bulk_create(
        [
            Attendee(
                briefing=briefing,
                user=person,
                rsvp=Attendee.Rsvp.YES if person == by else Attendee.Rsvp.PENDING,
                responded_at=timezone.now() if person == by else None,
            )
            for person in people
        ]
    )
    queue_messages(invitation_messages(briefing))
    audit.record(action="briefing.scheduled", actor=by, obj=briefing, attendees=len(people))
    return briefing


@transaction.atomic
def invite_attendees(*, briefing: Briefing, by: User, people: Iterable[User]) -> int:
    """More attendees from either organization; each new one is sent the invitation."""
    current = Briefing.objects.select_for_update().get(pk=briefing.pk)
    require(policy.can_run_briefing(by, current), "Only the two organizations' staff invite.")
    chosen = _people_of(current, people, "people")
    if not chosen:
        raise ValidationError("Choose the people to invite.")
    known = set(current.attendees.values_list("user_id", flat=True))
    fresh = [person for person in chosen if person.pk not in known]
    Attendee.objects.bulk_create([Attendee(briefing=current, user=person) for person in fresh])
    queue_messages(invitation_messages(current))  # the attendees invited before: already keyed, not again
    audit.record(action="briefing.invited", actor=by, obj=current, added=len(fresh))
    return len(fresh)


def _locked(briefing: Briefing) -> Briefing:
    return Briefing.objects.select_for_update().get(pk=briefing.pk)


@transaction.atomic
def answer_invitation(*, briefing: Briefing, by: User, rsvp: str) -> Attendee:
    """An attendee's answer: attending, maybe, or not."""
    require(policy.can_answer_invitation(by, briefing), "Only the briefing's attendees answer it.")
    if rsvp not in (Attendee.Rsvp.YES, Attendee.Rsvp.MAYBE, Attendee.Rsvp.NO):
        raise ValidationError({"rsvp": "Answer attending, maybe or not attending."})
    attendee = Attendee.objects.select_for_update().get(briefing=briefing, user=by)
    attendee.rsvp = rsvp
    attendee.responded_at = timezone.now()
    attendee.save(update_fields=["rsvp", "responded_at"])
    audit.record(action="briefing.answered", actor=by, obj=briefing, rsvp=rsvp)
    return attendee


@transaction.atomic
def update_agenda(*, briefing: Briefing, by: User, agenda: str) -> Briefing:
    current = _locked(briefing)
    require(policy.can_run_briefing(by, current), "Only the two organizations' staff change the agenda.")
    current.agenda = text(agenda, "agenda", 10_000)
    current.save(update_fields=["agenda"])
    audit.record(action="briefing.agenda_changed", actor=by, obj=current)
    return current


@transaction.atomic
def pull_trend_summary(*, briefing: Briefing, by: User, weeks: int = 4) -> Briefing:
    """Add to the agenda the counts of real reports by category and week at the briefing's sites."""
    current = _locked(briefing)
    require(policy.can_run_briefing(by, current), "Only the two organizations' staff change the agenda.")
    sites = current.sites.all()
    if not sites.exists():
        raise ValidationError("Choose the sites concerned first: the summary counts their reports.")
    rows = selectors.trend_summary(sites=sites, weeks=weeks)
    lines = [f"Trend, last {weeks} weeks ({', '.join(site.name for site in sites)}; drills not counted):"]
    lines += [f"- week of {row.week:%d %b}: {row.category} \u00d7 {row.count}" for row in rows] or [
        "- no reports"
    ]
    current.agenda = (current.agenda.rstrip() + "\n\n" if current.agenda.strip() else "") + "\n".join(lines)
    current.save(update_fields=["agenda"])
    audit.record(action="briefing.trend_added", actor=by, obj=current)
    return current


@transaction.atomic
def record_minutes(*, briefing: Briefing, by: User, minutes: str) -> Briefing:
    current = _locked(briefing)
    require(policy.can_run_briefing(by, current), "Only the two organizations' staff write the minutes.")
    current.minutes = text(minutes, "minutes", 50_000, required=True)
    current.minutes_by = by
    current.save(update_fields=["minutes", "minutes_by"])
    audit.record(action="briefing.minuted", actor=by, obj=current)
    return current


@transaction.atomic
def record_decision(
    *, briefing: Briefing, by: User, decision: str, owner: User | None = None, due_date: date | None = None
) -> Decision:
    """A decision of the briefing; with an owner and a due date it is a corrective action at once."""
    current = _locked(briefing)
    require(policy.can_run_briefing(by, current), "Only the two organizations' staff record decisions.")
    made = Decision.objects.create(
        briefing=current, text=text(decision, "decision", 2000, required=True), created_by=by
    )
    audit.record(action="briefing.decided", actor=by, obj=current)
    if owner is not None or due_date is not None:
        return _make_action(made, by=by, owner=owner, due_date=due_date)
    return made


def _zone_name(briefing: Briefing) -> str:
    """Where an action's due day ends: the first site concerned, else the provider's zone."""
    site = briefing.sites.order_by("name").first()
    return site.time_zone if site is not None else briefing.provider.time_zone


def _make_action(decision: Decision, *, by: User, owner: User | None, due_date: date | None) -> Decision:
    if owner is None:
        raise ValidationError({"owner": "Choose who owns the action."})
    if due_date is None:
        raise ValidationError({"due_date": "Give the action a due date."})
    briefing = decision.briefing
    _people_of(briefing, [owner], "owner")
    zone_name = _zone_name(briefing)
    if due_date < zones.local_today(zones.zone(zone_name)):
        raise ValidationError({"due_date": "The due date is in the past."})
    decision.owner = owner
    decision.due_date = due_date
    decision.status = Decision.Status.OPEN
    decision.save(update_fields=["owner", "due_date", "status"])
    audit.record(action="briefing.action_created", actor=by, obj=decision, owner=owner.pk)
    when = timezone.localtime(briefing.starts_at, zones.zone(zone_name))
    publish_on_commit(
        events.action_decided(
            decision,
            by=by.pk,
            label=f"Briefing: {briefing.title}, {when:%d %b %Y}",
            path=reverse("preparedness:briefing", args=[briefing.public_id]),
            time_zone=zone_name,
        )
    )
    return decision


@transaction.atomic
def make_action(*, decision: Decision, by: User, owner: User | None, due_date: date | None) -> Decision:
    """A decision becomes a corrective action (kept by debriefs, listed with the others): an owner of
    either organization and a due date."""
    current = Decision.objects.select_for_update().select_related("briefing").get(pk=decision.pk)
    require(
        policy.can_run_briefing(by, current.briefing), "Only the two organizations' staff assign actions."
    )
    if current.status != Decision.Status.DECIDED:
        raise ValidationError("This decision is an action already.")
    return _make_action(current, by=by, owner=owner, due_date=due_date)
