"""Community events: organized by both sides, a public registration page with a spam guard (a
signed time token and a honeypot, no CAPTCHA), reminders, and the residents' data deleted after."""

import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organization, Site, User
from audit import services as audit
from notifications.models import Channel, Kind, OutboxMessage
from notifications.services.outbox import forget_addresses, queue_messages
from preparedness import policy, selectors
from preparedness.models import CommunityEvent, Registration
from preparedness.services.common import require, text

logger = logging.getLogger(__name__)
TOKEN_SALT = "preparedness.community.registration"  # noqa: S105  (a signing salt, not a secret)
TOKEN_MAX_AGE = 2 * 3600
RATE_LIMIT = 5  # registrations per address per hour
RATE_WINDOW = 3600


class Refused(ValidationError):
    """A registration refused as spam or over the rate: the page says so, nothing is stored."""


@transaction.atomic
def create_community_event(
    *,
    by: User,
    provider: Organization,
    agency: Organization,
    kind: str,
    title: str,
    description: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    site: Site | None = None,
    address: str = "",
    hosts: Iterable[User] = (),
) -> CommunityEvent:
    """A workshop, safety fair or open house of a provider and its partner agency."""
    providers, agencies = policy.briefing_partners(by)
    require(
        providers.filter(pk=provider.pk).exists() and agencies.filter(pk=agency.pk).exists(),
        "Community events are organized by a provider's or an agency's staff with a partner of theirs.",
    )
    if kind not in CommunityEvent.Kind.values:
        raise ValidationError({"kind": "Choose a workshop, a safety fair or an open house."})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": "The event ends after it starts."})
    if not 1 <= capacity <= 10_000:
        raise ValidationError({"capacity": "Give a capacity from 1 to 10,000."})
    address = text(address, "address", 300)
    if site is None and not address:
        raise ValidationError({"address": "Give the place: one of the sites, or an address."})
    if site is not None and site.provider_id != provider.pk:
        raise ValidationError({"site": "Choose one of the provider's sites."})
    event = CommunityEvent.objects.create(
        provider=provider,
        agency=agency,
        kind=kind,
        title=text(title, "title", 200, required=True),
        description=text(description, "description", 5000, required=True),
        site=site,
        address=address,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        created_by=by,
    )
    people = list(hosts) or [by]
    allowed = set(policy.briefing_people(event).values_list("pk", flat=True))
    if any(person.pk not in allowed for person in people):
        raise ValidationError({"hosts": "Hosts come from the two organizations."})
    event.hosts.set(people)
    audit.record(action="community_event.created", actor=by, obj=event)
    return event


def form_token(event: CommunityEvent, *, now: float | None = None) -> str:
    """The public form's hidden token: the event and the time the form was shown, signed."""
    return signing.dumps({"e": str(event.public_id), "t": int(now or time.time())}, salt=TOKEN_SALT)


def _check_token(event: CommunityEvent, token: str) -> None:
    try:
        data = signing.loads(token or "", salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        raise Refused("The form was open too long: reload the page and send it again.") from None
    except signing.BadSignature:
        raise Refused("The form could not be checked: reload the page and send it again.") from None
    if data.get("e") != str(event.public_id):
        raise Refused("The form could not be checked: reload the page and send it again.")
    if time.time() - float(data.get("t", 0)) < settings.COMMUNITY_FORM_MIN_SECONDS:
        raise Refused("That was sent faster than a person types: wait a moment and send it again.")


def _check_rate(client: str) -> None:
    key = f"preparedness:register:{client}"
    cache.add(key, 0, RATE_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_WINDOW)
        count = 1
    if count > RATE_LIMIT:
        raise Refused("Too many registrations from this connection: try again in an hour.")


def register_resident(
    *, event: CommunityEvent, name: str, email: str, token: str, honeypot: str, client: str
) -> Registration:
    """A resident registers (no sign-in): only a name and an email; refused as spam when the hidden
    field is filled or the form came back too fast, over the rate, over capacity, or after the event."""
    if honeypot.strip():
        raise Refused("The form could not be checked: reload the page and send it again.")
    _check_token(event, token)
    _check_rate(client or "unknown")
    name = text(name, "name", 120, required=True)
    email = text(email, "email", 254, required=True).lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": "Give an email address such as name@example.org."}) from None
    with transaction.atomic():
        current = CommunityEvent.objects.select_for_update().get(pk=event.pk)
        if current.starts_at <= timezone.now():
            raise ValidationError("Registration has closed: the event has started.")
        if current.registrations.count() >= current.capacity:
            raise ValidationError("The event is full: no seats are left.")
        try:
            with transaction.atomic():
                made = Registration.objects.create(event=current, name=name, email=email)
        except IntegrityError:
            # Said the same way as a new registration: the page never tells whether an address was there.
            return Registration(event=current, name=name, email=email)
        CommunityEvent.objects.filter(pk=current.pk).update(registered_count=current.registrations.count())
        audit.record(action="community_event.registered", obj=current, actor_label="resident")
    return made


@transaction.atomic
def record_attendance(*, event: CommunityEvent, by: User, attended_ids: Iterable[int]) -> int:
    """The organizers tick who came."""
    current = CommunityEvent.objects.select_for_update().get(pk=event.pk)
    require(policy.can_run_community_event(by, current), "Only the event's organizers record attendance.")
    if current.residents_deleted_at:
        raise ValidationError("The residents' data was deleted after the event.")
    ids = set(attended_ids)
    current.registrations.update(attended=False)
    count = current.registrations.filter(pk__in=ids).update(attended=True)
    current.attended_count = count
    current.save(update_fields=["attended_count"])
    audit.record(action="community_event.attendance", actor=by, obj=current, attended=count)
    return count


def _key_prefix(event: CommunityEvent) -> str:
    return f"community:{event.public_id}:"


@transaction.atomic
def send_reminder(*, event: CommunityEvent, by: User) -> int:
    """A reminder email to each registered resident, through the outbox (once per event)."""
    # Only the event's row is locked (its site is a nullable join, which PostgreSQL cannot lock).
    current = CommunityEvent.objects.select_for_update(of=("self",)).select_related("site").get(pk=event.pk)
    require(policy.can_run_community_event(by, current), "Only the event's organizers send reminders.")
    if current.starts_at <= timezone.now():
        raise ValidationError("The event has started: a reminder is for before it.")
    if current.reminded_at:
        raise ValidationError("The reminder was sent already.")
    when = timezone.localtime(current.starts_at).strftime("%A %d %B %Y, %H:%M %Z")
    messages = [
        OutboxMessage(
            kind=Kind.INVITATION,
            channel=Channel.EMAIL,
            address=registration.email,
            recipient_label="resident",
            reason=f"Registered for {current.title}"[:200],
            payload={
                "subject": f"Reminder: {current.title}, {when}",
                "text": (
                    f"Hello {registration.name},\n\nthis is a reminder of {current.title} "
                    f"({current.get_kind_display()}) on {when} at {current.place}.\n\n"
                    f"{current.description}\n\nYour name and email are deleted "
                    f"{settings.COMMUNITY_REGISTRATION_RETENTION_DAYS} days after the event."
                ),
                "html": "",
            },
            idempotency_key=f"{_key_prefix(current)}reminder:{registration.pk}",
        )
        for registration in current.registrations.all()
    ]
    queue_messages(messages)
    current.reminded_at = timezone.now()
    current.save(update_fields=["reminded_at"])
    audit.record(action="community_event.reminded", actor=by, obj=current, residents=len(messages))
    return len(messages)


def delete_resident_data(*, now: datetime | None = None) -> int:
    """The periodic deletion: residents' names and emails (and the reminders' addresses) of events
    ended more than the retention ago; the counts stay. Logged and audited."""
    now = now or timezone.now()
    retention = timedelta(days=settings.COMMUNITY_REGISTRATION_RETENTION_DAYS)
    deleted = 0
    for event in selectors.events_with_data_to_delete(now=now, retention=retention):
        with transaction.atomic():
            current = CommunityEvent.objects.select_for_update().get(pk=event.pk)
            if current.residents_deleted_at:
                continue
            registrations = current.registrations.all()
            current.registered_count = registrations.count()
            current.attended_count = registrations.filter(attended=True).count()
            count, _ = registrations.delete()
            forget_addresses(key_prefix=_key_prefix(current))
            current.residents_deleted_at = now
            current.save(update_fields=["registered_count", "attended_count", "residents_deleted_at"])
            audit.record(action="community_event.residents_deleted", obj=current, residents=count)
        logger.info("deleted %s residents' registrations of community event %s", count, current.public_id)
        deleted += count
    return deleted
