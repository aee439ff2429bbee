"""Writing, sealing and verifying the tamper-evident audit log (docs/audit.md)."""

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import Organization, User
from audit import chain, checkpoints, ledger
from audit.checkpoints import Checkpoint
from audit.context import current_origin
from audit.models import AuditEvent, AuditPending, AuditSeal
from portal.requests import RequestOrigin

Outcome = AuditEvent.Outcome
logger = logging.getLogger("watchpost.audit")

SEAL_BATCH = 1_000
# A record unsealed for longer than this means the sealer is not running.
UNSEALED_WARNING = timedelta(seconds=30)
# Only one sealer at a time (PostgreSQL advisory lock; SQLite's write lock serialises anyway).
_SEALER_LOCK = 0x77_70_61_75_64_69_74  # "wpaudit"
_ADDRESS = models.GenericIPAddressField()


def _organization_of(actor: Any) -> Organization | None:
    membership = getattr(actor, "membership", None) if isinstance(actor, User) else None
    return membership.organization if membership is not None else None


def _next_ids(count: int) -> list[int]:
    """The new records' ids before they are written, so that each MAC covers its id (a copied row
    cannot pass under another id), in one query. PostgreSQL hands them out without a lock; SQLite holds
    the write lock anyway."""
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return sorted(int(row[0]) for row in cursor.fetchall())
        cursor.execute("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0)", [table])
        last = int(cursor.fetchone()[0])
        return list(range(last + 1, last + 1 + count))


def _as_stored(value: Any) -> Any:
    """``value`` as the database gives it back, so that the MAC made before the insert holds after it:
    JSON types only (anything else as text), and floats as PostgreSQL's jsonb returns them (no -0.0;
    an integral float from 1e16 on, which Python writes with an exponent, comes back as an integer)."""
    if isinstance(value, dict):
        return {str(key): _as_stored(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_stored(item) for item in value]
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) >= 1e16 else value + 0.0
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _event(
    *,
    action: str,
    actor: User | AnonymousUser | None = None,
    obj: models.Model | None = None,
    outcome: str = Outcome.SUCCESS,
    organization: Organization | None = None,
    origin: RequestOrigin | None = None,
    actor_label: str = "",
    **data: Any,
) -> AuditEvent:
    user = actor if isinstance(actor, User) else None
    origin = origin or current_origin()
    return AuditEvent(
        at=timezone.now(),
        actor=user,
        actor_label=(user.email if user else actor_label)[:254],
        organization=organization or _organization_of(user),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(getattr(obj, "public_id", None) or getattr(obj, "pk", "") or "")
        if obj is not None
        else "",
        object_label=str(obj)[:200] if obj is not None else "",
        outcome=outcome,
        # The address in the form the database keeps (IPv6 lower-case and compressed).
        ip_address=_ADDRESS.to_python(origin.ip_address) if origin else None,
        user_agent=origin.user_agent if origin else "",
        data=_as_stored(data),
    )


def _append(events: list[AuditEvent]) -> None:
    """Give each record its id and MAC and insert them with their pending rows: three queries for any
    number of records, in the caller's transaction (they roll back with it); no lock."""
    if not events:
        return
    with transaction.atomic(savepoint=False):
        for event, record_id in zip(events, _next_ids(len(events)), strict=True):
            event.id = record_id
            event.mac = chain.record_mac(settings.AUDIT_KEY, event)
        AuditEvent.objects.bulk_create(events)
        AuditPending.objects.bulk_create([AuditPending(record_id=event.id) for event in events])


def record(
    *,
    action: str,
    actor: User | AnonymousUser | None = None,
    obj: models.Model | None = None,
    outcome: str = Outcome.SUCCESS,
    organization: Organization | None = None,
    origin: RequestOrigin | None = None,
    actor_label: str = "",
    **data: Any,
) -> AuditEvent:
    """Append one record with its MAC, in the caller's transaction (it rolls back with it); no lock."""
    event = _event(
        action=action,
        actor=actor,
        obj=obj,
        outcome=outcome,
        organization=organization,
        origin=origin,
        actor_label=actor_label,
        **data,
    )
    _append([event])
    return event


def record_many(records: Iterable[dict[str, Any]]) -> list[AuditEvent]:
    """Append several records at once (each a dict of ``record``'s arguments), in the order given:
    the same records as one ``record`` call each, in three queries instead of three each."""
    events = [_event(**arguments) for arguments in records]
    _append(events)
    return events


def _take_sealer_lock() -> bool:
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_SEALER_LOCK])
        return bool(cursor.fetchone()[0])


def _reaches(head: AuditSeal | None, checkpoint: Checkpoint) -> bool:
    """Whether the chain still holds the seal the checkpoint saw."""
    if head is None or head.seq < checkpoint.seq:
        return False
    return AuditSeal.objects.filter(seq=checkpoint.seq, hash=checkpoint.hash).exists()


def seal_records() -> int:
    """Seal the committed records waiting for it, in id order, and checkpoint the head when one is
    due; return how many were sealed. A record committed late (a lower id) goes into a later batch."""
    key = settings.AUDIT_KEY
    with transaction.atomic():
        if not _take_sealer_lock():
            return 0
        head = AuditSeal.objects.order_by("-seq").first()
        last = checkpoints.latest()
        if last is not None and not _reaches(head, last):
            logger.error(
                "audit chain does not reach checkpoint #%s of %s (%s): not sealing. Run manage.py "
                "verify_audit; if the database was restored or reset on purpose, move %s aside.",
                last.seq,
                last.at.isoformat(),
                last.hash,
                checkpoints.path(),
            )
            return 0
        seq, prev = (head.seq, head.hash) if head else (0, chain.GENESIS)
        now, after, sealed, refused = timezone.now(), 0, 0, []
        pending = AuditPending.objects.order_by("record_id").values_list("record_id", flat=True)
        while ids := list(pending.filter(record_id__gt=after)[:SEAL_BATCH]):
            events = AuditEvent.objects.in_bulk(ids)
            # Only the application writes pending rows, but the database's writers could too.
            already = set(AuditSeal.objects.filter(record_id__in=ids).values_list("record_id", flat=True))
            seals = []
            for record_id in ids:
                if record_id in already:
                    continue
                event = events.get(record_id)
                if event is None or not chain.has_valid_mac(key, event):
                    refused.append(record_id)
                    continue
                seq += 1
                link = chain.seal_hash(key, seq=seq, record_id=record_id, mac=event.mac, prev=prev)
                seals.append(AuditSeal(seq=seq, record=event, prev=prev, hash=link, sealed_at=now))
                prev = link
            AuditSeal.objects.bulk_create(seals)
            AuditPending.objects.filter(record_id__in=ids).delete()
            after, sealed = ids[-1], sealed + len(seals)
        if refused:
            logger.error(
                "%d audit records waiting for their seal have no valid MAC (first #%d): written without "
                "the audit key, left unsealed. Run manage.py verify_audit.",
                len(refused),
                refused[0],
            )
        if seq and checkpoints.due(last, seq):
            transaction.on_commit(partial(checkpoints.write, Checkpoint(seq=seq, hash=prev, at=now)))
    return sealed


@dataclass(frozen=True)
class Problem:
    kind: str  # altered | inserted | removed | ledger
    detail: str
    record: int | None = None  # the record's id, when it is known
    seal: int | None = None  # its place in the chain, when it has one
    last_seal: int | None = None  # with ``seal``, the range of places whose records are gone

    def __str__(self) -> str:
        if self.kind == "ledger":
            return self.detail
        if self.record is None:
            places = f"#{self.seal}" + (
                f" to #{self.last_seal}" if (self.last_seal or 0) > (self.seal or 0) else ""
            )
            return f"the records sealed at {places} {self.kind}: {self.detail}"
        place = f" (seal #{self.seal})" if self.seal is not None else ""
        return f"record #{self.record}{place} {self.kind}: {self.detail}"


@dataclass(frozen=True)
class Verification:
    sealed: int  # records verified through the chain
    unsealed: int  # records with a valid MAC that the sealer has not reached yet
    stale: int  # of those, how many are older than UNSEALED_WARNING
    checkpoint: Checkpoint | None  # the checkpoint the chain was held against
    forged_checkpoints: int  # lines claiming to be checkpoints whose MAC does not hold
    problem: Problem | None
    deleted: int = 0  # of the sealed, how many retention deleted (their seals checked by the ledger)


def verify(*, checkpoint_file: Path | None = None, chunk: int = 5_000) -> Verification:
    """Walk the chain, then the unsealed records; hold the chain against the checkpoint that reached
    furthest; return what was checked and the first problem."""
    source = checkpoint_file or checkpoints.path()
    anchor, forged = checkpoints.strongest(source) if source.exists() else (None, 0)
    deleted, broken = ledger.check_ledger()
    if broken is not None:
        return Verification(0, 0, 0, anchor, forged, Problem("ledger", broken))
    sealed, gone, problem = _walk_chain(chunk, anchor, deleted)
    unsealed = stale = 0
    if problem is None:
        old = timezone.now() - UNSEALED_WARNING
        for event in AuditEvent.objects.filter(seal__isnull=True).order_by("id").iterator(chunk_size=chunk):
            if not chain.has_valid_mac(settings.AUDIT_KEY, event):
                problem = Problem("inserted", "it has no valid MAC and was never sealed", record=event.pk)
                break
            unsealed, stale = unsealed + 1, stale + (event.at < old)
    return Verification(sealed, unsealed, stale, anchor, forged, problem, gone)


def _walk_chain(
    chunk: int, anchor: Checkpoint | None, deleted: dict[int, tuple[int, str]]
) -> tuple[int, int, Problem | None]:
    """How many seals hold, in order from the first, how many of them are of records retention
    deleted (``deleted``: record id → seal seq and MAC, from the ledger), and the first problem."""
    key = settings.AUDIT_KEY
    expected, prev, gone = 1, chain.GENESIS, 0
    for seals in _seals_in_order(chunk):
        events = AuditEvent.objects.in_bulk([seal.record_id for seal in seals])
        for seal in seals:
            good = expected - 1
            if seal.seq != expected:
                return (
                    good,
                    gone,
                    Problem("removed", "their seals are gone", seal=expected, last_seal=seal.seq - 1),
                )
            event = events.get(seal.record_id)
            if event is None:
                entry = deleted.get(seal.record_id)
                if entry is None or entry[0] != seal.seq:
                    return good, gone, Problem("removed", "it is gone", record=seal.record_id, seal=seal.seq)
                mac = entry[1]
                gone += 1
            elif not chain.has_valid_mac(key, event):
                altered = "its content no longer matches its MAC"
                return good, gone, Problem("altered", altered, record=event.pk, seal=seal.seq)
            else:
                mac = event.mac
            link = chain.seal_hash(key, seq=seal.seq, record_id=seal.record_id, mac=mac, prev=prev)
            if seal.prev != prev or seal.hash != link:
                rewritten = (
                    f"its seal does not follow from seal #{good} under the audit key: the chain was remade"
                )
                return good, gone, Problem("altered", rewritten, record=seal.record_id, seal=seal.seq)
            if anchor is not None and seal.seq == anchor.seq and seal.hash != anchor.hash:
                differs = f"the chain up to here differs from the checkpoint of {anchor.at.isoformat()}"
                return good, gone, Problem("altered", differs, record=seal.record_id, seal=seal.seq)
            expected, prev = expected + 1, seal.hash
    good = expected - 1
    if anchor is not None and good < anchor.seq:
        ends = f"ends at seal #{good}" if good else "is empty"
        short = f"the chain {ends}, but the checkpoint of {anchor.at.isoformat()} reached #{anchor.seq}"
        return good, gone, Problem("removed", short, seal=expected, last_seal=anchor.seq)
    return good, gone, None


def _seals_in_order(chunk: int) -> Iterator[list[AuditSeal]]:
    last = 0
    while batch := list(AuditSeal.objects.filter(seq__gt=last).order_by("seq")[:chunk]):
        yield batch
        last = batch[-1].seq
