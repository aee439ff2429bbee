"""Keyset pages of the incident list (page and API): every row once, in order, either way; a count
that stops at the cap; ?page= past 1 retired with a clear answer; the cursor in the OpenAPI schema;
the same number of queries for 10 rows as for 100 (list, filters, search, the board)."""

from datetime import timedelta

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from dispatch import services as dispatch_services
from incidents import selectors, services
from incidents.models import Category, Incident
from portal import keyset
from tests.factories import report

INCIDENTS = "/api/v1/incidents/"


@pytest.fixture
def api(world):
    client = APIClient()
    client.force_login(world.supervisor_a)
    return client


def _reports(world, count):
    """``count`` reports of provider A, a second apart, two at the same instant (ties by id), and
    a few without a severity (the supervisor's own drafts)."""
    made = [
        report(world.guard_a, world.a1, narrative=f"Pallet {n} moved near the cctv mast")
        for n in range(count)
    ]
    base = made[0].received_at
    for n, incident in enumerate(made):
        Incident.objects.filter(pk=incident.pk).update(received_at=base - timedelta(seconds=n // 2))
    for _ in range(3):
        report(world.supervisor_a, world.a2, submit=False, category=None)
    report(world.guard_b, world.b1)  # another tenant's: never listed
    return made


def _walk(api, path):
    rows, pages, url = [], 0, path
    while url:
        body = api.get(url).json()
        rows += [row["reference"] for row in body["results"]]
        pages += 1
        last_body, url = body, body["next"]
    return rows, pages, last_body


@pytest.mark.parametrize("ordering", ["newest", "oldest", "severity", "reference"])
def test_following_next_lists_every_visible_incident_once_in_order_and_previous_goes_back(
    world, api, ordering
):
    _reports(world, 23)
    expected = [
        i.reference
        for i in selectors.list_incidents(
            for_user=world.supervisor_a, filters=selectors.IncidentFilters(sort=ordering)
        )
    ]
    if ordering == "severity":  # empty severities last on every database
        expected = [r for r in expected if Incident.objects.get(reference=r).severity is not None] + [
            r for r in expected if Incident.objects.get(reference=r).severity is None
        ]
    rows, pages, last = _walk(api, f"{INCIDENTS}?ordering={ordering}&page_size=5")
    assert rows == expected
    assert len(rows) == 26
    assert pages == 6
    assert last["count"] == 26
    assert last["count_capped"] is False
    back, url = [], last["previous"]
    while url:
        body = api.get(url).json()
        back = [row["reference"] for row in body["results"]] + back
        url = body["previous"]
    assert back == expected[: len(expected) - len(last["results"])]


def test_the_page_shows_newer_and_older_links_and_a_capped_total(world, client, monkeypatch):
    _reports(world, 30)
    monkeypatch.setattr(keyset, "COUNT_CAP", 20)
    client.force_login(world.supervisor_a)
    first = client.get("/incidents/").content.decode()
    assert "20+ incidents." in first
    assert 'rel="next"' in first
    assert 'rel="prev"' not in first
    older = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(f"/incidents/{older}").content.decode()
    assert 'rel="prev"' in second
    assert 'rel="next"' not in second  # 33 rows: 25, then the last 8
    assert client.get("/incidents/?page=3").status_code == 200
    assert "Page numbers are retired" in client.get("/incidents/?page=3").content.decode()
    assert "not valid any more" in client.get("/incidents/?cursor=nonsense").content.decode()


def test_the_api_retires_page_numbers_past_the_first_with_a_clear_message(world, api):
    _reports(world, 3)
    assert api.get(f"{INCIDENTS}?page=1").status_code == 200
    answer = api.get(f"{INCIDENTS}?page=2")
    assert answer.status_code == 400
    assert answer.json()["code"] == "page_retired"
    assert "follow the `next` link" in answer.json()["detail"]


def test_a_cursor_that_is_not_one_is_a_400_naming_it(world, api):
    _reports(world, 3)
    for bad in ("nonsense", "eyJkIjoibmV4dCIsInYiOlsieCJdfQ"):
        answer = api.get(f"{INCIDENTS}?cursor={bad}")
        assert answer.status_code == 400, bad
        assert "cursor" in answer.json()["errors"]


def test_the_count_stops_at_the_cap(world, api, monkeypatch):
    _reports(world, 8)
    monkeypatch.setattr(keyset, "COUNT_CAP", 5)
    body = api.get(f"{INCIDENTS}?page_size=2").json()
    assert (body["count"], body["count_capped"]) == (5, True)


def test_the_schema_documents_the_cursor_and_the_page_shape(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    schema = yaml.safe_load((tmp_path / "schema.yaml").read_text())
    listing = schema["paths"]["/api/v1/incidents/"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"cursor", "page_size", "page"} <= names
    page = schema["components"]["schemas"]["IncidentPage"]["properties"]
    assert {"next", "previous", "count", "count_capped", "results"} <= set(page)


def _count(api, path):
    counts = []
    for _ in range(2):  # the second: nothing warmed up in the first counts
        with CaptureQueriesContext(connection) as captured:
            assert api.get(path).status_code == 200, path
        counts.append(len(captured))
    return counts[-1]


@pytest.mark.parametrize(
    "query",
    ["", "status=submitted", "severity=3&category=theft", "ordering=severity", "q=pallet", "q=cctv+mast"],
)
def test_queries_per_page_do_not_grow_with_the_rows(world, api, query):
    _reports(world, 105)
    assert _count(api, f"{INCIDENTS}?{query}&page_size=10") == _count(
        api, f"{INCIDENTS}?{query}&page_size=100"
    )


def test_the_list_page_costs_the_same_queries_for_a_full_page_and_a_short_one(world, client):
    client.force_login(world.supervisor_a)
    _reports(world, 4)
    few = _count(client, "/incidents/?q=pallet")
    _reports(world, 40)
    assert _count(client, "/incidents/?q=pallet") == few


def test_the_board_costs_the_same_queries_for_one_open_escalation_and_twelve(world, client):
    client.force_login(world.liaison_x)
    theft = Category.objects.get(code="theft")
    first = report(world.guard_a, world.a1, category=theft)
    dispatch_services.escalate_incident(incident=first, by=world.supervisor_a)
    one = (_count(client, "/board/"), _count(client, "/api/v1/escalations/?open=1"))
    for _ in range(11):
        dispatch_services.escalate_incident(incident=report(world.guard_a, world.a1), by=world.supervisor_a)
    assert (_count(client, "/board/"), _count(client, "/api/v1/escalations/?open=1")) == one


# --- Search, tenant first (PostgreSQL: the stored vector, its GIN index with the provider) -------


@pytest.mark.postgres
def test_search_answers_a_reference_plate_or_name_exactly_before_full_text(world, api):
    wanted = report(
        world.guard_a,
        world.a1,
        narrative="Van parked across the gate",
        vehicles=[services.VehicleInput(plate="AV46 SSR", description="white van")],
        parties=[services.PartyInput(role="witness", description="Cleaner", name="Freya Kowalski")],
    )
    report(world.guard_a, world.a1, narrative="Freya said the AV46 van left")  # full-text only
    report(world.guard_b, world.b1, vehicles=[services.VehicleInput(plate="AV46SSR", description="van")])

    def found(q):
        return [row["reference"] for row in api.get(INCIDENTS, {"q": q}).json()["results"]]

    assert found(wanted.reference.lower()) == [wanted.reference]
    assert found("av46ssr") == found("AV46 SSR") == [wanted.reference]  # not provider B's van
    assert found("freya kowalski") == [wanted.reference]


@pytest.mark.postgres
def test_full_text_ranks_the_best_match_first_then_the_newest(world, api):
    older_best = report(
        world.guard_a, world.a1, narrative="Copper cable cut; copper cable stolen from the copper store"
    )
    newer_weak = report(world.guard_a, world.a1, narrative="A cable tie found near copper pipes")
    newest_weak = report(world.guard_a, world.a1, narrative="Another cable and some copper seen")
    report(world.guard_a, world.a1, narrative="Nothing to do with it")
    body = api.get(INCIDENTS, {"q": "copper cable"}).json()
    refs = [row["reference"] for row in body["results"]]
    assert refs[0] == older_best.reference
    assert set(refs[1:]) == {newer_weak.reference, newest_weak.reference}
    assert body["count"] == 3


@pytest.mark.postgres
def test_a_common_word_ranks_only_the_newest_candidates_and_pages_through_them(world, api, monkeypatch):
    made = _reports(world, 12)
    monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 7)
    first = api.get(INCIDENTS, {"q": "pallet", "page_size": 4}).json()
    second = api.get(first["next"]).json()
    refs = [r["reference"] for r in first["results"] + second["results"]]
    stored = Incident.objects.filter(pk__in=[i.pk for i in made]).order_by("-received_at", "-pk")
    newest_seven = set(stored.values_list("reference", flat=True)[:7])
    assert len(refs) == 7
    assert set(refs) == newest_seven
    assert second["next"] is None
    assert api.get(second["previous"]).json()["results"] == first["results"]


@pytest.mark.postgres
def test_the_vector_follows_the_document_and_is_indexed_with_the_tenant(world):
    incident = report(world.guard_a, world.a1, narrative="Graffiti on the loading bay door")
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM incidents_incident WHERE id = %s", [incident.pk])
        assert "'graffiti'" in cursor.fetchone()[0]
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'incidents_incident' "
            "AND indexname = 'incident_provider_search'"
        )
        (definition,) = cursor.fetchone()
    # The planner's choice depends on the table's size (docs/PERFORMANCE.md has it at a million).
    assert "USING gin (provider_id, search_vector)" in definition


def test_a_search_pages_through_every_match_once(world, api):
    made = _reports(world, 12)
    rows, pages, last = _walk(api, f"{INCIDENTS}?q=cctv+mast&page_size=5")  # two words: a name's shape
    assert sorted(rows) == sorted(i.reference for i in made)
    assert pages == 3
    assert last["count"] == 12
