"""The back-fills: incident shares from the escalations made before the table existed, and rule
checks for the reports submitted before the rule became a follow-up."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from dispatch import services
from dispatch.models import Escalation, RuleCheck
from incidents.models import IncidentShare
from tests.factories import report

BEFORE, AFTER = ("dispatch", "0001_initial"), ("dispatch", "0002_backfill_incident_shares")
backfill = importlib.import_module("dispatch.migrations.0002_backfill_incident_shares")
rule_checks = importlib.import_module("dispatch.migrations.0003_rule_check")


def _escalations(world):
    """Two escalations of one incident to one agency (the first rejected), one of another's: no shares."""
    first = report(world.guard_a, world.a1)
    rejected = services.escalate_incident(incident=first, by=world.supervisor_a)
    services.reject_escalation(escalation=rejected, by=world.liaison_x, reason="Civil matter")
    services.escalate_incident(incident=first, by=world.supervisor_a)
    second = report(world.guard_b, world.b1)
    services.escalate_incident(incident=second, by=world.supervisor_b)
    IncidentShare.objects.all().delete()
    return first, second, rejected


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_shares_each_incident_once_with_every_agency_it_was_escalated_to(world):
    # Made with today's schema (the services write columns later migrations added), then the
    # schema goes back to before the back-fill, which runs on the rows as they were.
    first, second, rejected = _escalations(world)
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    try:
        executor.loader.build_graph()
        executor.migrate([AFTER])
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())  # the later tests need the whole schema
    shares = IncidentShare.objects.order_by("incident_id")
    assert [(s.incident_id, s.agency_id) for s in shares] == [
        (first.pk, world.agency_x.pk),
        (second.pk, world.agency_y.pk),
    ]
    assert shares[0].created_at == rejected.requested_at  # when it was first escalated


def test_the_backfill_is_idempotent(world):
    _escalations(world)
    backfill.backfill_incident_shares(apps, None)
    backfill.backfill_incident_shares(apps, None)
    assert IncidentShare.objects.count() == Escalation.objects.values("incident_id").distinct().count() == 2


def test_every_report_submitted_before_is_recorded_as_checked_when_it_was_submitted(world):
    sent = [report(world.guard_a, world.a1), report(world.guard_b, world.b1)]
    report(world.guard_a, world.a1, submit=False)
    RuleCheck.objects.all().delete()
    rule_checks.record_submitted_reports(apps, None)
    rule_checks.record_submitted_reports(apps, None)
    checks = RuleCheck.objects.order_by("incident_id")
    assert [(c.incident_id, c.checked_at) for c in checks] == [(i.pk, i.submitted_at) for i in sent]
