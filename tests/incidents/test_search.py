"""incidents.search: one definition of the search index, its trigger and the document, which
migration 0009 and the scale seeder agree with."""

import importlib
import inspect
import uuid

from incidents import services
from incidents.models import Category
from incidents.search import (
    SEARCH_CONFIG,
    SEARCH_INDEX_NAME,
    SEARCH_INDEX_SQL,
    SEARCH_TRIGGER_SQL,
    search_text,
)

# A migration is frozen history and imports no app code, so it keeps its own copy to compare.
MIGRATION = importlib.import_module("incidents.migrations.0009_search_vector_and_exact_keys")


def test_the_migration_creates_the_index_and_trigger_the_constants_define():
    assert MIGRATION.INDEX == SEARCH_INDEX_SQL
    assert MIGRATION.TRIGGER == SEARCH_TRIGGER_SQL
    assert SEARCH_INDEX_NAME in SEARCH_INDEX_SQL
    assert "(provider_id, search_vector)" in SEARCH_INDEX_SQL
    assert f"'pg_catalog.{SEARCH_CONFIG}'" in SEARCH_TRIGGER_SQL


def test_the_migration_drops_the_index_by_its_name():
    assert f"DROP INDEX IF EXISTS {SEARCH_INDEX_NAME}" in inspect.getsource(MIGRATION.whole_table_search)


def test_the_text_of_the_inputs_is_the_document_the_service_stores(world):
    parties = [services.PartyInput(role="subject", description="Tall man, red cap", name="J. Doe")]
    vehicles = [services.VehicleInput(plate="AB12 CDE", description="blue van")]
    incident = services.report_incident(
        reporter=world.guard_a,
        site=world.a1,
        idempotency_key=uuid.uuid4(),
        category=Category.objects.get(code="theft"),
        location="Car park B",
        narrative="Two jackets taken",
        parties=parties,
        vehicles=vehicles,
    ).incident
    assert incident.search_document == search_text(
        reference=incident.reference,
        location="Car park B",
        narrative="Two jackets taken",
        parties=parties,
        vehicles=vehicles,
    )
