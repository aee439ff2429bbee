"""Keyset (cursor) pages: a page is the rows after (or before) the last one seen, in the order of an
index, so a deep page costs what the first does and nothing counts a tenant's million rows.

A cursor is an opaque, URL-safe token holding the sort key of the row it points past and the way it
walks (older or newer). The total is counted only up to ``COUNT_CAP`` rows: a list past it says
"1,000+". Part of the ground: imports no app.
"""

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import F, Model, Q, QuerySet
from django.db.models.expressions import OrderBy

COUNT_CAP = 1000
FORWARD, BACKWARD = "next", "prev"
BAD_CURSOR = "This cursor is not one of this list's: start again from the first page."


@dataclass(frozen=True)
class Key:
    """One column of the order: ascending or descending; a nullable one sorts its empty values
    last when ascending, first when descending (one rule on PostgreSQL and SQLite alike)."""

    name: str
    descending: bool = False
    nullable: bool = False

    @classmethod
    def parse(cls, spec: str, nullable: Sequence[str] = ()) -> "Key":
        name = spec.removeprefix("-")
        return cls(name=name, descending=spec.startswith("-"), nullable=name in nullable)

    def order(self, *, reverse: bool = False) -> OrderBy:
        descending = self.descending != reverse
        nulls_last = self._nulls_last(reverse)
        expression = F(self.name)
        if not self.nullable:
            return expression.desc() if descending else expression.asc()
        nulls = {"nulls_last": True} if nulls_last else {"nulls_first": True}
        return expression.desc(**nulls) if descending else expression.asc(**nulls)

    def _nulls_last(self, reverse: bool) -> bool:
        return (not self.descending) != reverse

    def beyond(self, value: Any, *, reverse: bool) -> Q:
        """Rows that come after ``value`` in this column's order (before it when ``reverse``)."""
        descending = self.descending != reverse
        nulls_last = self._nulls_last(reverse)
        if value is None:
            return Q(pk__in=[]) if nulls_last else Q(**{f"{self.name}__isnull": False})
        after = Q(**{f"{self.name}__{'lt' if descending else 'gt'}": value})
        if self.nullable and nulls_last:
            after |= Q(**{f"{self.name}__isnull": True})
        return after

    def equal(self, value: Any) -> Q:
        return Q(**{f"{self.name}__isnull": True}) if value is None else Q(**{self.name: value})


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_cursor: str | None
    previous_cursor: str | None
    count: int  # at most COUNT_CAP
    count_capped: bool

    @property
    def total_words(self) -> str:
        """The total as a person reads it: "37", or "1,000+" past the cap."""
        return f"{self.count:,}+" if self.count_capped else f"{self.count:,}"


def encode(values: Sequence[Any], direction: str) -> str:
    payload = json.dumps(
        {"d": direction, "v": [v.isoformat() if isinstance(v, date | datetime) else v for v in values]},
        separators=(",", ":"),
    )
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode(cursor: str, model: type[Model], keys: Sequence[Key]) -> tuple[list[Any], str]:
    """The sort key and direction a cursor holds, or ValidationError (a clear message, no change)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        direction, values = payload["d"], payload["v"]
        if direction not in (FORWARD, BACKWARD) or len(values) != len(keys):
            raise ValueError(direction)
        parsed = [
            None if value is None else _field(model, key.name).to_python(value)
            for key, value in zip(keys, values, strict=True)
        ]
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError, ValidationError):
        raise ValidationError({"cursor": [BAD_CURSOR]}, code="invalid") from None
    return parsed, direction


def _field(model: type[Model], name: str) -> Any:
    try:
        return model._meta.pk if name == "pk" else model._meta.get_field(name)
    except FieldDoesNotExist:
        raise ValueError(name) from None


def _after(keys: Sequence[Key], values: Sequence[Any], *, reverse: bool) -> Q:
    """Rows past the key ``values`` in the order of ``keys``: (k1 past v1) or (k1 = v1 and k2 past
    v2) or ... The first column's bound is repeated on its own so the index scan starts at it."""
    condition = Q(pk__in=[])
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        condition |= equal & key.beyond(value, reverse=reverse)
        equal &= key.equal(value)
    first, value = keys[0], values[0]
    if not first.nullable and value is not None:
        descending = first.descending != reverse
        condition &= Q(**{f"{first.name}__{'lte' if descending else 'gte'}": value})
    return condition


def paginate(rows: QuerySet[Any], *, keys: Sequence[Key], cursor: str | None, size: int) -> Page:
    """One page of ``rows`` in the order of ``keys`` (the last one unique, e.g. the pk), from
    ``cursor`` (None: the first page). Costs one query for the rows and one capped count."""
    model = rows.model
    values, direction = decode(cursor, model, keys) if cursor else ([], FORWARD)
    reverse = direction == BACKWARD
    chosen = rows.order_by(*(key.order(reverse=reverse) for key in keys))
    if values:
        chosen = chosen.filter(_after(keys, values, reverse=reverse))
    found = list(chosen[: size + 1])
    more = len(found) > size
    found = found[:size]
    if reverse:
        found.reverse()
    next_cursor = previous_cursor = None
    if found:
        first, last = _values(found[0], keys), _values(found[-1], keys)
        if (more and not reverse) or (reverse and values):
            next_cursor = encode(last, FORWARD)
        if (more and reverse) or (not reverse and values):
            previous_cursor = encode(first, BACKWARD)
    elif values:
        # Walked off the end (the rows past the cursor went away): offer the way back.
        previous_cursor = encode(values, BACKWARD) if not reverse else None
        next_cursor = encode(values, FORWARD) if reverse else None
    count = rows.order_by().values("pk")[: COUNT_CAP + 1].count()
    return Page(
        rows=found,
        next_cursor=next_cursor,
        previous_cursor=previous_cursor,
        count=min(count, COUNT_CAP),
        count_capped=count > COUNT_CAP,
    )


def _values(row: Any, keys: Sequence[Key]) -> list[Any]:
    return [getattr(row, key.name) for key in keys]


# --- Ranked lists: a bounded set (at most ``cap`` rows, e.g. a search's best matches) paged by
# position within it. Each page costs the bounded set's query, whatever its position.

OFFSET = "o"


def is_offset_cursor(cursor: str | None) -> bool:
    """Whether ``cursor`` is a position in a ranked list (paginate_offset's) rather than a key."""
    if not cursor:
        return False
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return False
    return isinstance(payload, dict) and payload.get("d") == OFFSET


def _offset_cursor(position: int) -> str:
    payload = json.dumps({"d": OFFSET, "v": [position]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def paginate_offset(rows: QuerySet[Any], *, cursor: str | None, size: int, cap: int) -> Page:
    """One page of an ordered set bounded to ``cap`` rows, from a position cursor (None: the
    first page). The count is the bounded set's: a full one says "cap+" (there may be more)."""
    position = 0
    if cursor:
        try:
            payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            position = int(payload["v"][0])
            if payload["d"] != OFFSET or not 0 <= position < cap:
                raise ValueError(position)
        except (ValueError, TypeError, KeyError, IndexError, binascii.Error, UnicodeDecodeError):
            raise ValidationError({"cursor": [BAD_CURSOR]}, code="invalid") from None
    found = list(rows[position : min(position + size + 1, cap)])
    more = len(found) > size and position + size < cap
    found = found[:size]
    count = min(rows.order_by().values("pk")[:cap].count(), cap, COUNT_CAP)
    return Page(
        rows=found,
        next_cursor=_offset_cursor(position + size) if more else None,
        previous_cursor=_offset_cursor(max(0, position - size)) if position else None,
        count=count,
        count_capped=count >= min(cap, COUNT_CAP),
    )
