"""Full-text search over incidents: the document searched, its text configuration and its index.

Migration 0002 keeps a literal copy of the index (migrations are frozen history);
tests/incidents/test_search_index.py checks the two agree.
"""

from collections.abc import Iterable
from typing import Protocol

SEARCH_CONFIG = "english"
SEARCH_INDEX_NAME = "incident_search_gin"
SEARCH_INDEX_SQL = (
    f"CREATE INDEX IF NOT EXISTS {SEARCH_INDEX_NAME} ON incidents_incident "
    f"USING gin (to_tsvector('{SEARCH_CONFIG}'::regconfig, COALESCE(search_document, '')))"
)


class PartyText(Protocol):
    """A party's searchable text: an InvolvedParty, or the PartyInput it is made from."""

    @property
    def description(self) -> str: ...

    @property
    def name(self) -> str: ...


class VehicleText(Protocol):
    """A vehicle's searchable text: a Vehicle, or the VehicleInput it is made from."""

    @property
    def plate(self) -> str: ...

    @property
    def description(self) -> str: ...


def search_text(
    *,
    reference: str,
    location: str,
    narrative: str,
    parties: Iterable[PartyText],
    vehicles: Iterable[VehicleText],
) -> str:
    """The text full-text search looks in: reference, place, narrative, parties and vehicles."""
    parts = [reference, location, narrative]
    for party in parties:
        parts += [party.description, party.name]
    for vehicle in vehicles:
        parts += [vehicle.plate, vehicle.description]
    return "\n".join(part for part in parts if part)
