"""Board clients in a process of their own: many websockets, each timing every frame it receives.

The benchmark's runner talks to this process through a pipe (``BoardFleet``): open the sockets,
collect the events each received, check that idle sockets still answer, close. Receipt times are
``time.monotonic()``, the system-wide monotonic clock, so the runner compares them with the times
at which the API answered."""

import asyncio
import multiprocessing
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import aiohttp

SEQ = re.compile(r'"seq": ?(\d+)')
PING = '{"type": "ping"}'


@dataclass(frozen=True)
class Target:
    url: str
    cookie: str
    origin: str


@dataclass
class Board:
    """One socket and what it received: (seq, monotonic time) of each event frame."""

    target: Target
    socket: aiohttp.ClientWebSocketResponse | None = None
    events: list[tuple[int, float]] = field(default_factory=list)
    resumed: asyncio.Event = field(default_factory=asyncio.Event)
    pongs: int = 0
    error: str = ""


async def _read(board: Board) -> None:
    assert board.socket is not None
    try:
        async for frame in board.socket:
            now = time.monotonic()
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            message: str = frame.data
            if message.startswith('{"type": "event"'):
                found = SEQ.search(message, 0, 80)
                if found:
                    board.events.append((int(found.group(1)), now))
            elif '"pong"' in message:
                board.pongs += 1
            elif '"resumed"' in message:
                board.resumed.set()
    except Exception as error:
        board.error = board.error or f"{type(error).__name__}"


async def _open(
    session: aiohttp.ClientSession,
    board: Board,
    after: int,
    gate: asyncio.Semaphore,
    readers: list[asyncio.Task[None]],
) -> None:
    async with gate:
        try:
            # Like a browser: the server pings, the client answers; no compression offered.
            board.socket = await session.ws_connect(
                board.target.url,
                headers={"Cookie": board.target.cookie, "Origin": board.target.origin},
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=10),
                autoping=True,
                max_msg_size=0,
            )
            readers.append(asyncio.create_task(_read(board)))
            await board.socket.send_str(f'{{"type": "resume", "after": {after}}}')
            await asyncio.wait_for(board.resumed.wait(), 60)
        except Exception as error:
            board.error = f"{type(error).__name__}: {error}"[:200]


async def _close(board: Board, gate: asyncio.Semaphore) -> None:
    if board.socket is not None:
        async with gate:
            await board.socket.close()


def _alive(boards: list[Board]) -> list[Board]:
    return [b for b in boards if b.socket is not None and not b.error and not b.socket.closed]


async def _serve(pipe: Connection, targets: list[Target], after: int, concurrency: int) -> None:
    boards = [Board(target) for target in targets]
    readers: list[asyncio.Task[None]] = []
    gate = asyncio.Semaphore(concurrency)
    started = time.monotonic()
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True))
    await asyncio.gather(*(_open(session, board, after, gate, readers) for board in boards))
    errors = Counter(board.error.split(":")[0] for board in boards if board.error)
    pipe.send(
        {
            "opened": len(_alive(boards)),
            "failed": len(boards) - len(_alive(boards)),
            "errors": dict(errors),
            "seconds": round(time.monotonic() - started, 2),
        }
    )
    loop = asyncio.get_running_loop()
    while True:
        command, argument = await loop.run_in_executor(None, pipe.recv)
        if command == "collect":
            # Wait until every open socket has ``count`` events, or the deadline.
            count, timeout = argument
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if all(len(board.events) >= count for board in _alive(boards)):
                    break
                await asyncio.sleep(0.05)
            pipe.send({"events": [board.events for board in boards], "alive": len(_alive(boards))})
            for board in boards:
                board.events = []
        elif command == "check":
            # Every socket still open must answer a ping through the server's consumer.
            timeout = argument
            alive = _alive(boards)
            before = {id(board): board.pongs for board in alive}
            for index, board in enumerate(alive):
                assert board.socket is not None
                await board.socket.send_str(PING)
                if index % 200 == 199:
                    await asyncio.sleep(0)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if all(board.pongs > before[id(board)] for board in alive):
                    break
                await asyncio.sleep(0.05)
            answered = sum(1 for board in alive if board.pongs > before[id(board)])
            errors = Counter(board.error.split(":")[0] for board in boards if board.error)
            pipe.send({"open": len(alive), "answered": answered, "errors": dict(errors)})
        elif command == "close":
            closing = asyncio.Semaphore(200)
            await asyncio.gather(*(_close(board, closing) for board in boards), return_exceptions=True)
            for reader in readers:
                reader.cancel()
            await session.close()
            pipe.send({"closed": True})
            return


def _main(pipe: Connection, targets: list[Target], after: int, concurrency: int) -> None:
    asyncio.run(_serve(pipe, targets, after, concurrency))


class BoardFleet:
    """Board sockets held by a child process. Use as a context manager; ``opened`` says how many."""

    def __init__(self, targets: list[Target], *, after: int = 0, concurrency: int = 50) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipe, child = context.Pipe()
        self.process = context.Process(target=_main, args=(child, targets, after, concurrency), daemon=True)
        self.report: dict[str, Any] = {}

    def __enter__(self) -> "BoardFleet":
        self.process.start()
        if not self.pipe.poll(900):
            raise RuntimeError("the board clients did not connect within 15 minutes")
        self.report = self.pipe.recv()
        return self

    def collect(self, count: int, timeout: float) -> dict[str, Any]:
        self.pipe.send(("collect", (count, timeout)))
        return self._answer(timeout + 60)

    def check(self, timeout: float) -> dict[str, Any]:
        self.pipe.send(("check", timeout))
        return self._answer(timeout + 60)

    def _answer(self, timeout: float) -> dict[str, Any]:
        if not self.pipe.poll(timeout):
            raise RuntimeError("the board clients did not answer")
        answer: dict[str, Any] = self.pipe.recv()
        return answer

    def __exit__(self, *exc: object) -> None:
        try:
            if self.process.is_alive():
                self.pipe.send(("close", None))
                self.pipe.poll(120)
        finally:
            self.process.join(30)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(5)
