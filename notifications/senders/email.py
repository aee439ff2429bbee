"""Email through Django's email backend (SMTP in production): text and HTML, with the link; or an
email its writer rendered whole (the invitation), sent as written."""

import base64
import contextlib
import hashlib
import os
import smtplib
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from notifications.content import SETTINGS_PATH, absolute_url
from notifications.models import OutboxMessage
from notifications.senders.base import SendResult


def message_id(idempotency_key: str) -> str:
    """The same Message-ID on every try, so that a mail system can drop a duplicate."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@{urlsplit(settings.PUBLIC_URL).hostname or 'watchpost'}>"


# A worker process keeps its connection to the mail server open between deliveries: connect, EHLO
# and QUIT for every message were a large share of an email's cost (docs/RELIABILITY.md, "Delivery
# throughput"). Idle longer than this, it is opened afresh (servers drop idle clients).
REUSE_SECONDS = 30.0
# A kept connection the server has closed fails at the message's first command (MAIL).
DROPPED = (smtplib.SMTPServerDisconnected, ConnectionError)


class _Kept(threading.local):
    backend: Any = None
    used_at: float = 0.0
    key: tuple[Any, ...] = ()


_kept = _Kept()


def close_connection() -> None:
    """Close this thread's kept connection to the mail server, if any."""
    backend, _kept.backend = _kept.backend, None
    if backend is not None:
        with contextlib.suppress(smtplib.SMTPException, OSError):  # the server may have dropped it
            backend.close()


def _connection(key: tuple[Any, ...]) -> Any:
    backend = get_connection(fail_silently=False)
    backend.open()  # opened here, so that send_messages leaves it open after the message
    _kept.backend, _kept.key = backend, key
    return backend


def _send(email: EmailMultiAlternatives) -> None:
    """Send on this thread's kept connection. One the server dropped while it was kept is opened
    again once and the message sent on it; any other failure closes it (the next message starts a
    new session). A repeat the receiver may see carries the same Message-ID, as any retry does."""
    key = (os.getpid(), settings.EMAIL_BACKEND, getattr(settings, "EMAIL_HOST", ""), settings.EMAIL_PORT)
    if _kept.backend is not None and (_kept.key != key or time.monotonic() - _kept.used_at > REUSE_SECONDS):
        if _kept.key[:1] != key[:1]:
            _kept.backend = None  # a forked child's copy: the socket is its parent's
        close_connection()
    kept = _kept.backend is not None
    try:
        email.connection = _kept.backend if kept else _connection(key)
        try:
            email.send()
        except DROPPED:
            if not kept:
                raise
            close_connection()
            email.connection = _connection(key)
            email.send()
    except BaseException:
        close_connection()
        raise
    _kept.used_at = time.monotonic()


def send(message: OutboxMessage) -> SendResult:
    email = _written(message) if message.address else _notification(message)
    try:
        _send(email)
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
