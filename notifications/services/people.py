"""A person's own settings: duty, mobile number, channel choices; and reading notifications."""

import re
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from notifications import events, policy, selectors
from notifications.models import Channel, ChannelPreference, Notification, NotificationProfile, OutboxMessage
from notifications.senders import sms
from portal.realtime import publish_on_commit

PHONE = re.compile(r"^\+[1-9]\d{6,14}$")


@transaction.atomic
def set_on_duty(*, user: User, on_duty: bool) -> NotificationProfile:
    """A liaison or supervisor goes on or off duty: off duty, policies do not page a liaison (the
    board stays open), and a supervisor is told of reports and panics only if no colleague is on duty."""
    if not policy.can_go_on_duty(user):
        raise PermissionDenied("Only liaisons and supervisors go on and off duty.")
    profile, _ = NotificationProfile.objects.select_for_update().get_or_create(user=user)
    if profile.on_duty != on_duty:
        profile.on_duty = on_duty
        profile.duty_changed_at = timezone.now()
        profile.save(update_fields=["on_duty", "duty_changed_at"])
        audit.record(action="duty.on" if on_duty else "duty.off", actor=user, obj=user)
    return profile


NEEDS_NUMBER = "Give your mobile number to be notified by SMS, or untick SMS."


def clean_phone(value: str) -> str:
    phone = re.sub(r"[\s\-().]", "", value or "")
    if phone and not PHONE.match(phone):
        raise ValidationError({"phone": "Give the number in international format, e.g. +447700900123."})
    return phone


@transaction.atomic
def save_notification_settings(
    *, user: User, phone: str, choices: Mapping[tuple[str, str], bool]
) -> NotificationProfile:
    """Store a person's mobile number and their channel choice for each kind of notification.
    Pages still use the channels the policy requires, whatever is chosen here. SMS is refused when
    the server cannot send it, and needs a number; a refusal changes nothing."""
    phone = clean_phone(phone)
    wants_sms = any(on for (_, channel), on in choices.items() if channel == Channel.SMS)
    if wants_sms and not sms.is_available():
        raise ValidationError(sms.UNAVAILABLE)
    if wants_sms and not phone:
        raise ValidationError({"phone": NEEDS_NUMBER})
    profile, _ = NotificationProfile.objects.select_for_update().get_or_create(user=user)
    profile.phone = phone
    profile.save(update_fields=["phone"])
    known = selectors.preference_matrix(user=user)
    for (kind, channel), enabled in choices.items():
        if (kind, channel) not in known:
            raise ValidationError(f"Unknown choice {kind} by {channel}.")
        ChannelPreference.objects.update_or_create(
            user=user, kind=kind, channel=channel, defaults={"enabled": bool(enabled)}
        )
    # What was chosen, not the number itself: the trail is read more widely than the profile.
    audit.record(
        action="notification_settings.saved",
        actor=user,
        obj=user,
        phone_set=bool(phone),
        enabled=sorted(f"{kind}:{channel}" for (kind, channel), on in choices.items() if on),
    )
    return profile


def _read(user: User, notifications: QuerySet[Notification]) -> int:
    changed = notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    if changed:
        publish_on_commit(events.unread_changed(user.pk, unread=selectors.count_unread(user=user)))
    return changed


@transaction.atomic
def mark_read(*, user: User, notification_id: int) -> int:
    """Mark one of the person's own notifications read (Notification.DoesNotExist for anyone else's)."""
    notifications = policy.visible_notifications(user).filter(pk=notification_id)
    if not notifications.exists():
        raise Notification.DoesNotExist("No such notification.")
    return _read(user, notifications)


@transaction.atomic
def mark_all_read(*, user: User) -> int:
    return _read(user, policy.visible_notifications(user))


@transaction.atomic
def mark_read_about(*, user: User, key: str) -> int:
    """Mark read the person's own notifications sent under ``key`` (what ``notify`` was given): the
    higher app says its thing was seen there (a bulletin read on its page), the inbox follows."""
    return _read(
        user,
        policy.visible_notifications(user).filter(message__idempotency_key__startswith=f"{key}:u{user.pk}:"),
    )


def mark_received(*, user: User, notification_id: int) -> bool:
    """The person's open page says the in-app notification arrived (over its socket): the message
    is delivered, not only sent. Only the recipient's own; the first receipt's time is kept."""
    message_id = (
        policy.visible_notifications(user)
        .filter(pk=notification_id)
        .values_list("message_id", flat=True)
        .first()
    )
    if message_id is None:
        return False
    OutboxMessage.objects.filter(pk=message_id, received_at__isnull=True).update(received_at=timezone.now())
    return True
