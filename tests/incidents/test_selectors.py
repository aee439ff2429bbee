import pytest
from django.db import connection

from incidents.models import Incident
from incidents.selectors import IncidentFilters, list_incidents, list_triage_queue, search
from tests.factories import report


def refs(queryset):
    return {incident.reference for incident in queryset}


def test_guards_see_their_own_and_their_sites_reports_but_not_others_drafts(world):
    own_draft = report(world.guard_a, world.a1, submit=False)
    supervisor_at_a1 = report(world.supervisor_a, world.a1)
    supervisor_draft = report(world.supervisor_a, world.a1, submit=False)
    at_a2 = report(world.supervisor_a, world.a2)
    of_b = report(world.guard_b, world.b1)
    assert refs(list_incidents(for_user=world.guard_a)) == {own_draft.reference, supervisor_at_a1.reference}
    assert refs(list_incidents(for_user=world.supervisor_a)) == {
        supervisor_at_a1.reference,
        supervisor_draft.reference,
        at_a2.reference,
    }
    assert refs(list_incidents(for_user=world.supervisor_b)) == {of_b.reference}
    assert not list_incidents(for_user=world.liaison_x).exists()
    assert not list_incidents(for_user=world.nobody).exists()


def test_filters(world):
    theft = report(world.guard_a, world.a1)
    urgent = report(world.supervisor_a, world.a2, severity=1, narrative="smoke")
    f = IncidentFilters
    assert refs(list_incidents(for_user=world.supervisor_a, filters=f(site=world.a2.pk))) == {
        urgent.reference
    }
    assert refs(list_incidents(for_user=world.supervisor_a, filters=f(severity=1))) == {urgent.reference}
    assert refs(list_incidents(for_user=world.supervisor_a, filters=f(reporter=world.guard_a.pk))) == {
        theft.reference
    }
    assert refs(list_incidents(for_user=world.supervisor_a, filters=f(status="closed"))) == set()
    today = theft.received_at.date()
    assert (
        len(list_incidents(for_user=world.supervisor_a, filters=f(received_from=today, received_to=today)))
        == 2
    )
    ordered = list_incidents(for_user=world.supervisor_a, filters=f(sort="severity"))
    assert ordered[0].reference == urgent.reference


@pytest.mark.parametrize("word", ["jackets", "JACKETS", "red cap"])
def test_search_by_a_word_of_the_narrative_or_a_party(world, word):
    from incidents import services

    hit = report(world.guard_a, world.a1, narrative="Two jackets were taken.")
    services.add_party(
        incident=hit,
        by=world.guard_a,
        party=services.PartyInput(role="subject", description="man in a red cap"),
    )
    report(world.guard_a, world.a1, narrative="Water leak in the car park.")
    found = list_incidents(for_user=world.supervisor_a, filters=IncidentFilters(text=word))
    assert refs(found) == {hit.reference}


def test_search_by_reference_and_never_across_tenants(world):
    mine = report(world.guard_a, world.a1, narrative="jackets")
    theirs = report(world.guard_b, world.b1, narrative="jackets")
    assert refs(
        list_incidents(for_user=world.supervisor_a, filters=IncidentFilters(text=mine.reference))
    ) == {mine.reference}
    assert refs(list_incidents(for_user=world.supervisor_a, filters=IncidentFilters(text="jackets"))) == {
        mine.reference
    }
    assert theirs.reference not in refs(
        list_incidents(for_user=world.supervisor_a, filters=IncidentFilters(text=theirs.reference))
    )


@pytest.mark.postgres
def test_postgres_search_uses_stemming_and_the_tenant_gin_index(world):
    hit = report(world.guard_a, world.a1, narrative="The suspect was running towards the exit")
    found = search(Incident.objects.all(), "runs")
    assert refs(found) == {hit.reference}
    sql, params = found.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "incident_provider_search" in plan, plan


def test_triage_queue_is_submitted_reports_most_severe_first(world):
    low = report(world.guard_a, world.a1, severity=4)
    high = report(world.guard_a, world.a1, severity=1)
    report(world.guard_a, world.a1, submit=False)
    assert [i.reference for i in list_triage_queue(for_user=world.supervisor_a)] == [
        high.reference,
        low.reference,
    ]
    assert not list_triage_queue(for_user=world.supervisor_b).exists()
    assert Incident.objects.count() == 3
