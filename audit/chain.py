"""The keyed chain's arithmetic (docs/audit.md): pure functions of the audit key and stored fields,
shared by the services and by the migration that sealed the records written before the key.

Each MAC is HMAC-SHA256 over a labelled message, so that a record's MAC can never pass for a seal's
hash or a checkpoint's, and none of them for anything else made with the same key."""

import hashlib
import hmac
import json
from typing import Any

GENESIS = "0" * 64


def content_of(event: Any) -> str:
    """The canonical text a record's MAC covers: its id and everything it says (not the MAC itself)."""
    return json.dumps(
        {
            "id": event.id,
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


def _mac(key: str, label: str, *parts: object) -> str:
    message = "\n".join([label, *map(str, parts)]).encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def record_mac(key: str, event: Any) -> str:
    return _mac(key, "watchpost-audit-record", content_of(event))


def has_valid_mac(key: str, event: Any) -> bool:
    return hmac.compare_digest(event.mac, record_mac(key, event))


def seal_hash(key: str, *, seq: int, record_id: int, mac: str, prev: str) -> str:
    """The link at chain position ``seq``: the record's id and MAC, bound to the link before it."""
    return _mac(key, "watchpost-audit-seal", seq, record_id, mac, prev)


def checkpoint_mac(key: str, *, seq: int, hash: str, at: str) -> str:
    return _mac(key, "watchpost-audit-checkpoint", seq, hash, at)
