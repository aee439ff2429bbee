"""Writing and verifying the tamper-evident audit log."""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import models, transaction
from django.utils import timezone

from accounts.models import Organization, User
from audit.context import current_origin
from audit.models import GENESIS, AuditEvent, AuditHead
from portal.requests import RequestOrigin

Outcome = AuditEvent.Outcome


def content_of(event: AuditEvent) -> str:
    """The canonical text a record's hash covers (everything but the hashes themselves)."""
    return json.dumps(
        {
            "seq": event.seq,
            "at": event.at.isoformat(),
            "actor": event.actor_id,
            "actor_label": event.actor_label,
            "organization": event.organization_id,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "object_label": event.object_label,
            "outcome": event.outcome,
            "ip_address": event.ip_address,
            "user_agent": event.user_agent,
            "data": event.data,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )


def chain_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def _organization_of(actor: Any) -> Organization | None:
    membership = getattr(actor, "membership", None) if isinstance(actor, User) else None
    return membership.organization if membership is not None else None


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
    """Append one record to the chain, in the caller's transaction (it rolls back with it)."""
    user = actor if isinstance(actor, User) else None
    origin = origin or current_origin()
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            seq=head.seq + 1,
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
            ip_address=origin.ip_address if origin else None,
            user_agent=origin.user_agent if origin else "",
            data=data,
            prev_hash=head.hash,
        )
        event.hash = chain_hash(head.hash, content_of(event))
        event.save()
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


@dataclass(frozen=True)
class Problem:
    seq: int
    kind: str  # altered | inserted | removed
    detail: str

    def __str__(self) -> str:
        return f"record #{self.seq} {self.kind}: {self.detail}"


def verify(*, chunk: int = 5_000) -> tuple[int, Problem | None]:
    """Walk the chain in order; return how many records were checked and the first problem, if any."""
    expected_seq, expected_prev, checked = 1, GENESIS, 0
    for event in _in_order(chunk):
        if event.seq != expected_seq:
            if event.seq > expected_seq:
                return checked, Problem(
                    expected_seq, "removed", f"records #{expected_seq} to #{event.seq - 1} are gone"
                )
            return checked, Problem(event.seq, "inserted", "its number repeats an earlier record's")
        if event.prev_hash != expected_prev:
            return checked, Problem(event.seq, "inserted", "it does not follow the record before it")
        if chain_hash(event.prev_hash, content_of(event)) != event.hash:
            return checked, Problem(event.seq, "altered", "its content no longer matches its hash")
        expected_seq, expected_prev, checked = event.seq + 1, event.hash, checked + 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.seq >= expected_seq:
        return checked, Problem(expected_seq, "removed", f"the chain should reach #{head.seq}")
    return checked, None


def _in_order(chunk: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        batch = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:chunk])
        yield from batch
        if len(batch) < chunk:
            return
        last = batch[-1].seq
