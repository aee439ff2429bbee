"""Real receivers started by the tests: an HTTP sink that checks webhook signatures the way the
integration guide tells agencies to (docs/notifications.md), and an SMTP server (aiosmtpd)."""

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.processes import free_port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    at: float = field(default_factory=time.time)

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def key(self) -> str:
        return self.headers.get("Idempotency-Key", "")


def verify(secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300) -> bool:
    """The receiver's check: HMAC-SHA256 of "<timestamp>.<body>", and a fresh timestamp."""
    timestamp = headers.get("Watchpost-Timestamp", "")
    signature = headers.get("Watchpost-Signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(f"v1={expected}", part.strip()) for part in signature.split(","))


@dataclass
class HttpSink:
    """Answers every POST with ``status`` (and JSON ``reply``); keeps what arrived. Events are
    processed once per Idempotency-Key, as receivers are told to. ``hold`` keeps the next request
    waiting until released (to kill a worker mid-send); ``delay`` slows every answer by that many
    seconds (a receiver slower than the sender's timeout still processes what the sender gave up on)."""

    secret: str = ""
    status: int = 200
    reply: dict[str, Any] = field(default_factory=lambda: {"id": "sink-1"})
    received: list[Received] = field(default_factory=list)
    processed: list[str] = field(default_factory=list)
    hold_next: bool = False
    delay: float = 0.0
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    def start(self) -> "HttpSink":
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = dict(self.headers.items())
                item = Received(
                    self.path, headers, body, verify(sink.secret, headers, body) if sink.secret else False
                )
                sink.received.append(item)
                if sink.hold_next:
                    sink.hold_next = False
                    sink.arrived.set()
                    sink.release.wait(60)
                    return  # the sender is gone: no answer
                if sink.delay:
                    time.sleep(sink.delay)
                if item.key and item.key not in sink.processed and 200 <= sink.status < 300:
                    sink.processed.append(item.key)
                data = json.dumps(sink.reply).encode()
                try:
                    self.send_response(sink.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port or free_port()), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.received) >= count, f"{len(self.received)} of {count} requests arrived"
        return self.received


class SmtpSink:
    """A real SMTP server on a free port that keeps every message it accepts."""

    def __init__(self, port: int = 0) -> None:
        self.messages: list[EmailMessage] = []
        self.times: list[float] = []  # when each message was accepted (time.time())
        self.sessions = 0  # EHLOs: the SMTP sessions clients began
        self.port = port or free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_EHLO(
        self, server: object, session: Any, envelope: object, hostname: str, responses: list[str]
    ) -> list[str]:
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.times.append(time.time())
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 30) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.messages) >= count, f"{len(self.messages)} of {count} emails arrived"
        return self.messages
