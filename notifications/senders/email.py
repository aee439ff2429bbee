"""Email through Django's email backend (SMTP in production): text and HTML, with the link; or an
email its writer rendered whole (the invitation), sent as written."""

import base64
import hashlib
import smtplib
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from notifications.content import SETTINGS_PATH, absolute_url
from notifications.models import OutboxMessage
from notifications.senders.base import SendResult


def message_id(idempotency_key: str) -> str:
    """The same Message-ID on every try, so that a mail system can drop a duplicate."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@{urlsplit(settings.PUBLIC_URL).hostname or 'watchpost'}>"


def send(message: OutboxMessage) -> SendResult:
    email = _written(message) if message.address else _notification(message)
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as refused:
        return SendResult.failed(f"The mail server refused the address: {refused.recipients}", permanent=True)
    except (smtplib.SMTPException, OSError) as error:
        return SendResult.failed(f"Mail server: {error.__class__.__name__}: {error}")
    return SendResult.delivered("accepted by the mail server")


def _notification(message: OutboxMessage) -> EmailMultiAlternatives:
    recipient = message.recipient
    assert recipient is not None
    payload = message.payload
    context = {
        "title": payload.get("title", ""),
        "text": payload.get("text", ""),
        "url": absolute_url(payload["path"]) if payload.get("path") else "",
        "recipient": recipient,
        "reason": message.reason,
        "preferences_url": absolute_url(SETTINGS_PATH),
    }
    email = EmailMultiAlternatives(
        subject="[Watchpost] " + " ".join(context["title"].split()),
        body=render_to_string("notifications/email/notification.txt", context),
        to=[recipient.email],
        headers={"Message-ID": message_id(message.idempotency_key)},
    )
    email.attach_alternative(render_to_string("notifications/email/notification.html", context), "text/html")
    return email


def _written(message: OutboxMessage) -> EmailMultiAlternatives:
    """An email its writer rendered whole (the invitation), to its address."""
    payload = message.payload
    email = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["text"],
        to=[message.address],
        headers={"Message-ID": message_id(message.idempotency_key)},
    )
    if payload.get("html"):
        email.attach_alternative(payload["html"], "text/html")
    # A file its writer made (a briefing's calendar invitation), as the writer named it.
    for attachment in payload.get("attachments", ()):
        email.attach(
            attachment["filename"],
            base64.b64decode(attachment["content_base64"]),
            attachment["content_type"],
        )
    return email
