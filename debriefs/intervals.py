"""Response intervals from an incident's timeline: pure functions, no database."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from debriefs.models import Interval
from incidents.models import TimelineEntry

Kind = TimelineEntry.Kind

# Defaults informed by dispatch standards, for 90 % of incidents: NFPA 1225 allows 60 s to process
# a call, NENA 15 s to answer it. Arrival and clearance have no general standard: none by default.
DEFAULT_TARGETS: dict[str, int] = {
    Interval.TRIAGE: 60,
    Interval.ESCALATION: 60,
    Interval.ACCEPTANCE: 15,
}

# Each interval runs between two named moments.
# What a debrief says when a step never happened (the interval it ends or starts cannot be measured).
NOT_REACHED = {
    "received": "not received",
    "triaged": "not triaged",
    "escalated": "not escalated",
    "accepted": "not accepted",
    "on_scene": "no one on scene",
    "cleared": "not cleared",
}

SPANS: list[tuple[str, str, str]] = [
    (Interval.TRIAGE, "received", "triaged"),
    (Interval.ESCALATION, "triaged", "escalated"),
    (Interval.ACCEPTANCE, "escalated", "accepted"),
    (Interval.ARRIVAL, "accepted", "on_scene"),
    (Interval.CLEARANCE, "on_scene", "cleared"),
]


@dataclass(frozen=True)
class Moment:
    kind: str
    at: datetime
    data: Mapping[str, Any]


def moments(received: datetime, entries: Iterable[Moment]) -> dict[str, datetime | None]:
    """The first time each step happened: received, triaged, escalated, accepted, on scene, cleared.

    Triage is the first supervisor decision on the report (accepted, sent back, closed) or its
    escalation, whichever came first; a panic is escalated, and so triaged, at once."""
    found: dict[str, datetime | None] = dict.fromkeys(
        ("received", "triaged", "escalated", "accepted", "on_scene", "cleared")
    )
    found["received"] = received

    def first(name: str, at: datetime) -> None:
        if found[name] is None or at < found[name]:  # type: ignore[operator]
            found[name] = at

    for entry in entries:
        if entry.kind == Kind.STATUS_CHANGED and entry.data.get("old") == "submitted":
            first("triaged", entry.at)
        elif entry.kind == Kind.ESCALATED:
            first("escalated", entry.at)
            first("triaged", entry.at)
        elif entry.kind == Kind.ESCALATION_UPDATED and entry.data.get("new") in (
            "accepted",
            "on_scene",
            "cleared",
        ):
            first(str(entry.data["new"]), entry.at)
    return found


@dataclass(frozen=True)
class Measured:
    key: str
    label: str
    start: datetime | None
    end: datetime | None
    seconds: float | None
    target: int | None
    met: bool | None
    missing: str

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "seconds": self.seconds,
            "target": self.target,
            "met": self.met,
            "missing": self.missing,
        }


def measure(found: Mapping[str, datetime | None], targets: Mapping[str, int]) -> list[Measured]:
    """Each interval's length against its target; a missing step leaves the interval empty, named."""
    results = []
    for key, start_name, end_name in SPANS:
        start, end = found.get(start_name), found.get(end_name)
        target = targets.get(key)
        if start is None or end is None:
            absent = start_name if start is None else end_name
            results.append(
                Measured(key, Interval(key).label, start, end, None, target, None, NOT_REACHED[absent])
            )
            continue
        seconds = max(0.0, (end - start).total_seconds())
        met = None if target is None else seconds <= target
        results.append(Measured(key, Interval(key).label, start, end, round(seconds, 1), target, met, ""))
    return results


def nearest_rank(sorted_seconds: list[float], percentile: int) -> float | None:
    """The nearest-rank percentile: the smallest value with at least ``percentile`` % at or below it."""
    if not sorted_seconds:
        return None
    rank = max(1, -(-percentile * len(sorted_seconds) // 100))  # ceiling without floats
    return sorted_seconds[rank - 1]
