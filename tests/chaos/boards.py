"""Liaison boards for the fault run: websockets in a process of their own that behave like the board
page (static/js/live.js): resume after the last number applied, reconnect with full-jitter backoff
to whichever web process answers, and never reconnect after the server closed an open socket with
4401/4403 (a refused handshake is retried: a browser cannot see its status).

Each board keeps the numbers it applied in order, every number it was sent at or below the last
(the server promises none), a digest of (seq, event, escalation id) to compare with the database,
and for every reconnect the time from losing the socket to the end of its replay (catch-up). The
runner drives the process through a pipe: ``drop`` (close a share of the sockets from the client
side, as a network cut does), ``report`` and ``close``."""

import asyncio
import contextlib
import errno
import hashlib
import multiprocessing
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import aiohttp

FRAME = re.compile(r'"seq": ?(\d+), "event": "([a-z_.]+)"')
# Replayed payloads come from jsonb, which orders keys by length: the escalation's "id" is first
# either way, but a message's "message" may come before its "escalation".
ESCALATION = re.compile(r'"escalation": \{"id": "([0-9a-f-]+)"')
PING_EVERY = 25.0  # the board page's ping (static/js/live.js) ...
PONG_WAIT = 10.0  # ... and how long it waits for the pong before it closes the socket and reconnects


def backoff(attempt: int) -> float:
    """The board page's wait before reconnect ``attempt`` (live.js: full jitter under a doubling ceiling)."""
    ceiling = min(15.0, 0.5 * 2 ** min(attempt, 5))
    return 0.25 + random.random() * (ceiling - 0.25)


def _reason(error: BaseException) -> str:
    """A failed connect's cause, short (the errno's name where there is one)."""
    cause = error.__cause__ or error
    code = getattr(error, "errno", None) or getattr(cause, "errno", None)
    return errno.errorcode.get(code, "") if isinstance(code, int) else ""


def digest_line(seq: int, event: str, escalation: str) -> bytes:
    return f"{seq}:{event}:{escalation};".encode()


@dataclass
class Board:
    agency: int
    cookie: str
    urls: list[str]
    origin_of: dict[str, str]
    last: int = 0
    applied: list[int] = field(default_factory=list)
    repeated: int = 0  # frames at or below the last applied number
    digest: Any = field(default_factory=hashlib.sha256)
    catch_ups: list[float] = field(default_factory=list)
    replays: list[float] = field(default_factory=list)  # reconnected socket open to its replay's end
    connects: int = 0
    refused: str = ""
    socket: aiohttp.ClientWebSocketResponse | None = None
    lost_at: float | None = None
    errors: Counter[str] = field(default_factory=Counter)  # failed connects, by error
    silent: int = 0  # sockets closed because no pong came back in time
    history: list[tuple[float, str]] = field(default_factory=list)  # (wall clock, what): the last 40

    def note(self, what: str) -> None:
        self.history = [*self.history[-39:], (round(time.time(), 1), what)]


async def _session_of(
    board: Board, session: aiohttp.ClientSession, stop: asyncio.Event, first: asyncio.Semaphore
) -> None:
    attempt = 0
    opening: asyncio.Semaphore | None = first  # the first connect waits its turn; reconnects do not
    while not stop.is_set():
        url = random.choice(board.urls)
        try:
            if opening is not None:
                async with opening:
                    socket = await _connect(session, board, url)
                opening = None
            else:
                socket = await _connect(session, board, url)
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            # Like a browser, which cannot see a refused handshake's status (daphne answers 403 for
            # a handshake that timed out or failed inside the server too): wait and try again.
            status = getattr(error, "status", "")
            board.errors[f"{type(error).__name__} {status} {_reason(error)}".strip()] += 1
            board.note(f"connect failed: {type(error).__name__} {status} {str(error)[:120]}".strip())
            attempt += 1
            await _sleep(backoff(attempt), stop)
            continue
        board.socket = socket
        board.connects += 1
        board.note(f"open {url.split(':')[-1].split('/')[0]}")
        opened_at = time.monotonic()
        attempt = 0
        ponged = asyncio.Event()
        pinger = asyncio.create_task(_keep_alive(board, socket, ponged))
        try:
            await socket.send_str(f'{{"type": "resume", "after": {board.last}}}')
            async for frame in socket:
                if frame.type != aiohttp.WSMsgType.TEXT:
                    break
                text: str = frame.data
                if text.startswith('{"type": "pong"'):
                    ponged.set()
                elif text.startswith('{"type": "event"'):
                    found = FRAME.search(text, 0, 200)
                    if found is None:
                        continue
                    escalation = ESCALATION.search(text)
                    seq = int(found.group(1))
                    if seq <= board.last:
                        board.repeated += 1
                        continue
                    board.last = seq
                    board.applied.append(seq)
                    board.digest.update(
                        digest_line(seq, found.group(2), escalation.group(1) if escalation else "")
                    )
                elif text.startswith('{"type": "resumed"') and board.lost_at is not None:
                    board.catch_ups.append(time.monotonic() - board.lost_at)
                    board.replays.append(time.monotonic() - opened_at)
                    board.lost_at = None
        except (TimeoutError, aiohttp.ClientError, OSError):
            pass
        pinger.cancel()
        board.socket = None
        board.note(f"closed {socket.close_code}")
        if socket.close_code in (4401, 4403):
            board.refused = f"closed {socket.close_code}"
            return
        if stop.is_set():
            return
        if board.lost_at is None:
            board.lost_at = time.monotonic()
        attempt += 1
        await _sleep(backoff(attempt), stop)


async def _keep_alive(board: Board, socket: aiohttp.ClientWebSocketResponse, ponged: asyncio.Event) -> None:
    """As the board page does: a ping every 25 s; no pong within 10 s, and the socket is given up
    (a server that is gone without closing, or one that no longer answers)."""
    while not socket.closed:
        await asyncio.sleep(PING_EVERY * (0.9 + 0.2 * random.random()))
        ponged.clear()
        try:
            await socket.send_str('{"type": "ping"}')
            await asyncio.wait_for(ponged.wait(), PONG_WAIT)
        except (TimeoutError, aiohttp.ClientError, OSError):
            if not socket.closed:
                board.silent += 1
                board.note("no pong: closed")
                _cut(socket)
            return


def _cut(socket: aiohttp.ClientWebSocketResponse) -> None:
    """Drop the connection under the socket, as a network cut (or a browser giving up) does."""
    response = socket._response
    if response.connection is not None and response.connection.transport is not None:
        response.connection.transport.abort()


async def _connect(session: aiohttp.ClientSession, board: Board, url: str) -> aiohttp.ClientWebSocketResponse:
    return await session.ws_connect(
        url,
        headers={"Cookie": board.cookie, "Origin": board.origin_of[url]},
        timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=5),
        autoping=True,
        heartbeat=None,
        max_msg_size=0,
    )


async def _sleep(seconds: float, stop: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _report(boards: list[Board]) -> dict[str, Any]:
    return {
        "boards": [
            {
                "agency": b.agency,
                "applied": b.applied,
                "repeated": b.repeated,
                "digest": b.digest.hexdigest(),
                "catch_ups": b.catch_ups,
                "replays": b.replays,
                "connects": b.connects,
                "refused": b.refused,
                "open": b.socket is not None and not b.socket.closed,
                "waiting": b.lost_at is not None,
                "errors": dict(b.errors),
                "silent": b.silent,
                "history": b.history,
            }
            for b in boards
        ]
    }


async def _serve(pipe: Connection, specs: list[dict[str, Any]], open_concurrency: int) -> None:
    boards = [Board(**spec) for spec in specs]
    stop = asyncio.Event()
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True))
    first = asyncio.Semaphore(open_concurrency)
    tasks = [asyncio.create_task(_session_of(board, session, stop, first)) for board in boards]
    loop = asyncio.get_running_loop()
    while True:
        command, argument = await loop.run_in_executor(None, pipe.recv)
        if command == "drop":
            chosen = [b for b in boards if b.socket is not None and random.random() < argument]
            for board in chosen:
                board.lost_at = time.monotonic()
                board.note("dropped")
                assert board.socket is not None
                _cut(board.socket)
            pipe.send({"dropped": len(chosen)})
        elif command == "connected":
            pipe.send({"open": sum(1 for b in boards if b.socket is not None and not b.socket.closed)})
        elif command == "heads":
            pipe.send(
                {
                    "heads": [(b.agency, b.last, b.socket is not None, b.refused) for b in boards],
                    "errors": dict(sum((b.errors for b in boards), Counter())),
                }
            )
        elif command == "report":
            pipe.send(_report(boards))
        elif command == "close":
            stop.set()
            # All at once: each close waits up to ws_close for the server's answer.
            sockets = [board.socket for board in boards if board.socket is not None]
            await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
            for task in tasks:
                task.cancel()  # a handshake a server never answers would keep it waiting
            await asyncio.gather(*tasks, return_exceptions=True)
            await session.close()
            pipe.send(_report(boards))
            return


def _main(pipe: Connection, specs: list[dict[str, Any]], open_concurrency: int) -> None:
    asyncio.run(_serve(pipe, specs, open_concurrency))


class BoardClients:
    """The boards' child process; ``specs`` are Board fields (agency, cookie, urls, origin_of)."""

    def __init__(self, specs: list[dict[str, Any]], *, open_concurrency: int = 100) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipe, child = context.Pipe()
        self.process = context.Process(target=_main, args=(child, specs, open_concurrency), daemon=True)

    def __enter__(self) -> "BoardClients":
        self.process.start()
        return self

    def ask(self, command: str, argument: Any = None, timeout: float = 120) -> dict[str, Any]:
        self.pipe.send((command, argument))
        if not self.pipe.poll(timeout):
            raise RuntimeError(f"the board clients did not answer {command!r}")
        answer: dict[str, Any] = self.pipe.recv()
        return answer

    def wait_open(self, count: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while True:
            opened = int(self.ask("connected")["open"])
            if opened >= count or time.monotonic() > deadline:
                return opened
            time.sleep(0.25)

    def __exit__(self, *exc: object) -> None:
        self.process.join(1)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
