"""Tenant first: every incident carries its site's provider, set when it is filed and never changed;
the access rules filter on it; the migration fills it for the rows that were there; on PostgreSQL a
foreign key on (site, provider) keeps it equal to the site's provider."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dispatch import policy as dispatch_policy
from dispatch import services as dispatch_services
from dispatch.models import Escalation
from incidents import policy, services
from incidents.models import Category, Incident
from tests.factories import SiteFactory, report

BEFORE, AFTER = ("incidents", "0007_evidence_thumbnail_status"), ("incidents", "0008_incident_provider")
ESCALATIONS_BEFORE = ("dispatch", "0004_board_preference_read")
ESCALATIONS_AFTER = ("dispatch", "0005_escalation_provider")


def test_a_report_carries_its_sites_provider(world):
    incident = report(world.guard_a, world.a1)
    assert Incident.objects.get(pk=incident.pk).provider_id == world.provider_a.pk
    draft = report(world.supervisor_b, world.b1, submit=False)
    assert Incident.objects.get(pk=draft.pk).provider_id == world.provider_b.pk


def test_every_incident_equals_its_sites_provider(world):
    report(world.guard_a, world.a1)
    report(world.supervisor_a, world.a2)
    report(world.guard_b, world.b1)
    assert Incident.objects.count() == 3
    assert not Incident.objects.exclude(provider_id=F("site__provider_id")).exists()


def test_a_report_moves_only_within_its_provider(world):
    incident = report(world.supervisor_a, world.a1)
    moved = services.move_incident(incident=incident, by=world.supervisor_a, site=world.a2)
    assert (moved.site_id, Incident.objects.get(pk=incident.pk).provider_id) == (
        world.a2.pk,
        world.provider_a.pk,
    )
    with pytest.raises(PermissionDenied):
        services.move_incident(incident=moved, by=world.supervisor_a, site=world.b1)
    assert Incident.objects.get(pk=incident.pk).site_id == world.a2.pk


def test_the_tenant_filter_reads_the_incidents_own_provider_without_joining_sites(world):
    mine = report(world.guard_a, world.a1)
    report(world.guard_b, world.b1)
    with CaptureQueriesContext(connection) as captured:
        ids = list(policy.visible_incidents(world.supervisor_a).values_list("pk", flat=True))
    assert ids == [mine.pk]
    listing = captured.captured_queries[-1]["sql"]
    assert '"provider_id" =' in listing
    assert "accounts_site" not in listing


def test_an_escalation_carries_its_incidents_provider_and_the_provider_reads_it_directly(world):
    incident = report(world.guard_a, world.a1)
    escalation = dispatch_services.escalate_incident(incident=incident, by=world.supervisor_a)
    assert Escalation.objects.get(pk=escalation.pk).provider_id == world.provider_a.pk
    report_b = report(world.guard_b, world.b1)
    dispatch_services.escalate_incident(incident=report_b, by=world.supervisor_b)
    with CaptureQueriesContext(connection) as captured:
        mine = list(dispatch_policy.visible_escalations(world.supervisor_a).values_list("pk", flat=True))
    assert mine == [escalation.pk]
    assert "incidents_incident" not in captured.captured_queries[-1]["sql"]
    assert list(dispatch_policy.visible_escalations(world.guard_a).values_list("pk", flat=True)) == [
        escalation.pk
    ]
    assert not dispatch_policy.visible_escalations(world.guard_b).filter(pk=escalation.pk).exists()


@pytest.mark.postgres
def test_postgres_refuses_an_escalation_of_another_provider(world):
    escalation = dispatch_services.escalate_incident(
        incident=report(world.guard_a, world.a1), by=world.supervisor_a
    )
    with transaction.atomic():
        _check_now()
        with pytest.raises(IntegrityError), transaction.atomic():
            Escalation.objects.filter(pk=escalation.pk).update(provider_id=world.provider_b.pk)


def _check_now():
    """Check the deferred foreign keys at each statement, not at a commit the test never makes."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.postgres
def test_postgres_refuses_a_provider_other_than_the_sites(world):
    incident = report(world.guard_a, world.a1)
    with transaction.atomic():
        _check_now()
        with pytest.raises(IntegrityError), transaction.atomic():
            Incident.objects.filter(pk=incident.pk).update(provider_id=world.provider_b.pk)
    assert Incident.objects.get(pk=incident.pk).provider_id == world.provider_a.pk
    # Nor can a site with incidents change hands (they would belong to another tenant).
    with transaction.atomic():
        _check_now()
        with pytest.raises(IntegrityError), transaction.atomic():
            type(world.a1).objects.filter(pk=world.a1.pk).update(provider=world.provider_b)


@pytest.mark.postgres
def test_postgres_accepts_a_new_site_of_the_same_provider(world):
    site = SiteFactory(provider=world.provider_a, agency=world.agency_x, name="A3")
    incident = report(world.supervisor_a, world.a1)
    with transaction.atomic():
        _check_now()
        Incident.objects.filter(pk=incident.pk).update(site=site)
    assert Incident.objects.get(pk=incident.pk).site_id == site.pk


def _old_incident(apps, site, reporter):
    """A row as the schema before 0008 held it (no provider)."""
    now = timezone.now()
    category = apps.get_model("incidents", "Category").objects.get(code="theft")
    return (
        apps.get_model("incidents", "Incident")
        .objects.create(
            reference=f"WP-OLD-{uuid.uuid4().hex[:6]}",
            site_id=site.pk,
            reporter_id=reporter.pk,
            category_id=category.pk,
            severity=3,
            status="submitted",
            occurred_at=now,
            received_at=now,
            idempotency_key=uuid.uuid4(),
        )
        .pk
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_fills_the_provider_of_existing_incidents_and_reverses(world):
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    try:
        old_apps = executor.loader.project_state([BEFORE, ESCALATIONS_BEFORE]).apps
        a = _old_incident(old_apps, world.a1, world.guard_a)
        b = _old_incident(old_apps, world.b1, world.guard_b)
        escalation = old_apps.get_model("dispatch", "Escalation").objects.create(
            incident_id=b,
            agency_id=world.agency_y.pk,
            source="supervisor",
            requested_by_id=world.supervisor_b.pk,
            requested_at=timezone.now(),
        )
        executor.loader.build_graph()
        executor.migrate([AFTER])
        # Read with SQL: today's models name columns that later migrations add.
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, provider_id FROM incidents_incident WHERE id IN (%s, %s)", [a, b])
            filled = dict(cursor.fetchall())
        assert filled == {a: world.provider_a.pk, b: world.provider_b.pk}
        executor.loader.build_graph()
        executor.migrate([ESCALATIONS_AFTER])  # dispatch's fill, from the incident's
        with connection.cursor() as cursor:
            cursor.execute("SELECT provider_id FROM dispatch_escalation WHERE id = %s", [escalation.pk])
            assert cursor.fetchone()[0] == world.provider_b.pk
        executor.loader.build_graph()
        executor.migrate([ESCALATIONS_BEFORE])
        executor.loader.build_graph()
        executor.migrate([BEFORE])  # reversible: the column, its index and the key go again
        with connection.cursor() as cursor:
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, "incidents_incident")
            ]
        assert "provider_id" not in columns
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())  # the later tests need the whole schema
    assert Category.objects.filter(code="theft").exists()
