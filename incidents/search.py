"""Full-text search over incidents: the document searched, its text configuration and its index.

Migration 0009 keeps a literal copy of the index and the trigger (migrations are frozen history);
tests/incidents/test_search.py checks they agree.
"""

from collections.abc import Iterable
from typing import Protocol

SEARCH_CONFIG = "english"
# Tenant first: one GIN index over (provider_id, search_vector) (btree_gin) serves "this provider's
# incidents that match", the stored tsvector spares re-parsing each narrative, and a trigger keeps
# the vector equal to search_document (migration 0009).
SEARCH_INDEX_NAME = "incident_provider_search"
SEARCH_INDEX_SQL = (
    f"CREATE INDEX IF NOT EXISTS {SEARCH_INDEX_NAME} ON incidents_incident "
    "USING gin (provider_id, search_vector)"
)
SEARCH_TRIGGER_SQL = (
    "CREATE TRIGGER incident_search_vector BEFORE INSERT OR UPDATE OF search_document "
    "ON incidents_incident FOR EACH ROW EXECUTE FUNCTION "
    f"tsvector_update_trigger(search_vector, 'pg_catalog.{SEARCH_CONFIG}', search_document)"
)
# A search looks at most this many of the newest matches and ranks them: a common word matching a
# third of a tenant's million rows costs what a rare one does (docs/PERFORMANCE.md). 300 = twelve
# pages of the list; a common word's cost is about this many / its share of the tenant's rows read.
SEARCH_CANDIDATES = 300


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
