"""SMS through a provider adapter. One adapter is built in: JSON over HTTPS (SMS_PROVIDER=json).

Another provider is one class with ``send(to=, text=, idempotency_key=)`` added to PROVIDERS."""

import json
import urllib.error
import urllib.request
from typing import Protocol

from django.conf import settings

from notifications.content import absolute_url
from notifications.models import NotificationProfile, OutboxMessage
from notifications.senders.base import SendResult

PERMANENT_STATUSES = {400, 404, 410, 422}  # the provider says this message can never go


class SmsProvider(Protocol):
    def send(self, *, to: str, text: str, idempotency_key: str) -> SendResult: ...


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class JsonHttpProvider:
    """POST {"to", "from", "text", "reference"} as JSON with ``Authorization: Bearer <key>`` and an
    ``Idempotency-Key``; any 2xx is accepted, and a JSON ``id`` in the answer is logged."""

    def __init__(self, *, url: str, api_key: str, sender: str, timeout: float) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("SMS_PROVIDER_URL must be an http(s) URL")
        self.url, self.api_key, self.sender, self.timeout = url, api_key, sender, timeout
        self.opener = urllib.request.build_opener(_NoRedirects)

    def send(self, *, to: str, text: str, idempotency_key: str) -> SendResult:
        body = json.dumps({"to": to, "from": self.sender, "text": text, "reference": idempotency_key})
        request = urllib.request.Request(  # noqa: S310  (scheme checked in __init__)
            self.url,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.api_key}",
                "Idempotency-Key": idempotency_key,
                "User-Agent": "Watchpost-SMS/1",
            },
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                status, reply = response.status, response.read(2000)
        except urllib.error.HTTPError as error:
            status, reply = error.code, error.read(500)
        except OSError as error:
            return SendResult.failed(f"SMS provider unreachable: {error}")
        if 200 <= status < 300:
            try:
                provider_id = json.loads(reply or b"{}").get("id", "")
            except (ValueError, AttributeError):
                provider_id = ""
            return SendResult.delivered(f"accepted by the SMS provider {provider_id}".strip(), status)
        excerpt = reply.decode(errors="replace")[:200]
        return SendResult.failed(
            f"SMS provider answered {status}: {excerpt}",
            permanent=status in PERMANENT_STATUSES,
            status_code=status,
        )


PROVIDERS = {"json": JsonHttpProvider}


def configured_provider() -> SmsProvider | None:
    """The provider the environment configures, or None when SMS_PROVIDER_URL is unset."""
    if not settings.SMS_PROVIDER_URL:
        return None
    factory = PROVIDERS.get(settings.SMS_PROVIDER)
    if factory is None:
        return None
    return factory(
        url=settings.SMS_PROVIDER_URL,
        api_key=settings.SMS_API_KEY,
        sender=settings.SMS_FROM,
        timeout=settings.WEBHOOK_TIMEOUT,
    )


def is_available() -> bool:
    """Whether this server can send SMS at all (a provider URL and a known adapter)."""
    return configured_provider() is not None


UNAVAILABLE = (
    "This server cannot send SMS: no SMS provider is configured. Your notifications reach you in-app "
    "and by email; ask your operator to set one up."
)


def send(message: OutboxMessage) -> SendResult:
    if not settings.SMS_PROVIDER_URL:
        return SendResult.skip("SMS is not configured on this server (SMS_PROVIDER_URL is unset).")
    provider = configured_provider()
    if provider is None:
        return SendResult.skip(
            f"Unknown SMS_PROVIDER {settings.SMS_PROVIDER!r}: choose one of {sorted(PROVIDERS)}."
        )
    recipient = message.recipient
    assert recipient is not None
    phone = NotificationProfile.objects.filter(user=recipient).values_list("phone", flat=True).first()
    if not phone:
        return SendResult.skip(f"{recipient} has no mobile number in their notification settings.")
    payload = message.payload
    text = payload.get("sms") or payload.get("title", "")
    if payload.get("path"):
        text = f"{text} {absolute_url(payload['path'])}"
    return provider.send(to=phone, text=text, idempotency_key=message.idempotency_key)
