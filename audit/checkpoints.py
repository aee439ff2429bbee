"""Checkpoints: the chain's head, signed with the audit key and kept outside the database, in an
append-only file (AUDIT_CHECKPOINT_FILE) and on the `watchpost.audit.checkpoint` logger. A database
writer can cut the chain's tail or empty it, but not the checkpoints that say how far it reached."""

import hmac
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from audit import chain

logger = logging.getLogger("watchpost.audit.checkpoint")
_TAIL_BYTES = 16 * 1024


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: datetime

    def line(self) -> str:
        at = self.at.isoformat()
        mac = chain.checkpoint_mac(settings.AUDIT_KEY, seq=self.seq, hash=self.hash, at=at)
        return json.dumps({"at": at, "hash": self.hash, "mac": mac, "seq": self.seq}, sort_keys=True)


def parse(line: str) -> Checkpoint | None:
    """The checkpoint in ``line`` (anywhere in it, so that syslog's prefixes do not matter) if its MAC
    is valid under the audit key."""
    found = _candidate(line)
    return found[0] if found is not None and found[1] else None


def _candidate(line: str) -> tuple[Checkpoint, bool] | None:
    """The checkpoint a line claims to be, and whether its MAC holds; None for any other line."""
    start = line.find("{")
    if start < 0:
        return None
    try:
        fields = json.loads(line[start:])
        seq, hash_, at, mac = int(fields["seq"]), str(fields["hash"]), str(fields["at"]), str(fields["mac"])
        when = datetime.fromisoformat(at)
    except (ValueError, KeyError, TypeError):
        return None
    valid = hmac.compare_digest(mac, chain.checkpoint_mac(settings.AUDIT_KEY, seq=seq, hash=hash_, at=at))
    return Checkpoint(seq=seq, hash=hash_, at=when), valid


def path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_FILE)


def write(checkpoint: Checkpoint) -> None:
    """Append the checkpoint to the file and log it. A failure is logged, never raised: the seals are
    committed already, and the next checkpoint covers them."""
    line = checkpoint.line()
    target = path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(descriptor, (line + "\n").encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError:
        logger.exception("could not append the audit checkpoint to %s", target)
    logger.info("audit checkpoint %s", line)


def latest() -> Checkpoint | None:
    """The last valid checkpoint in the file (a torn or foreign last line is skipped)."""
    try:
        with path().open("rb") as file:
            size = file.seek(0, os.SEEK_END)
            file.seek(max(0, size - _TAIL_BYTES))
            tail = file.read().decode(errors="replace").splitlines()
    except FileNotFoundError:
        return None
    for line in reversed(tail):
        found = parse(line)
        if found is not None:
            return found
    if size <= _TAIL_BYTES:
        return None
    last = None
    for line in _lines(path()):
        last = parse(line) or last
    return last


def strongest(source: Path) -> tuple[Checkpoint | None, int]:
    """The valid checkpoint in ``source`` that reached furthest, and how many lines claim to be
    checkpoints but whose MAC does not hold (forged, or made with another key). Other lines (a
    syslog export's) are skipped."""
    best, forged = None, 0
    for line in _lines(source):
        found = _candidate(line)
        if found is None:
            continue
        checkpoint, valid = found
        if not valid:
            forged += 1
        elif best is None or checkpoint.seq > best.seq:
            best = checkpoint
    return best, forged


def _lines(source: Path) -> Iterator[str]:
    with source.open(encoding="utf-8", errors="replace") as file:
        for line in file:
            if line.strip():
                yield line


def due(last: Checkpoint | None, seq: int) -> bool:
    """Whether the head at ``seq`` deserves a new checkpoint: it moved, and the interval has passed."""
    if last is None:
        return True
    elapsed = (timezone.now() - last.at).total_seconds()
    return seq > last.seq and elapsed >= settings.AUDIT_CHECKPOINT_SECONDS
