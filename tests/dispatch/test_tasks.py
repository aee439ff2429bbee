"""The site rule as incident.submitted's follow-up: once per report, never over a panic, and swept
up when its task was lost."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dispatch import services, tasks
from dispatch.models import Escalation, EscalationRule, RuleCheck
from dispatch.services import lifecycle
from incidents.models import Category, Incident
from portal.celery import FOLLOW_UPS, app
from tests.factories import report


@pytest.fixture
def fire_rule(world):
    """a1 escalates fires and anything of severity 1 by itself."""
    rule = EscalationRule.objects.create(site=world.a1, max_severity=1)
    rule.categories.add(Category.objects.get(code="fire"))
    return rule


def fire(world, site=None, **fields):
    # Filed without running its follow-ups (a plain test transaction never commits): as if its
    # task were lost or not run yet. Guard A works at a1; a supervisor reports anywhere else.
    reporter = world.supervisor_a if site else world.guard_a
    fields.setdefault("severity", 3)
    return report(reporter, site or world.a1, category=Category.objects.get(code="fire"), **fields)


def test_the_rule_is_the_follow_up_of_a_submitted_report_and_the_sweep_runs_every_minute():
    assert "dispatch.apply_escalation_rules" in FOLLOW_UPS["incident.submitted"].tasks
    sweep = app.conf.beat_schedule["dispatch-sweep-escalation-rules"]
    assert (sweep["task"], sweep["schedule"]) == ("dispatch.sweep_escalation_rules", 60.0)


def test_the_task_escalates_once_however_often_it_runs(world, fire_rule):
    incident = fire(world)
    for _ in range(3):
        tasks.apply_escalation_rules.apply(args=(incident.pk, world.guard_a.pk)).get()
    escalation = incident.escalations.get()
    assert (escalation.source, escalation.reason) == (
        Escalation.Source.RULE,
        "Site rule: category Fire / smoke",
    )
    assert escalation.requested_by == world.guard_a
    assert RuleCheck.objects.filter(incident=incident).exists()


def test_a_rule_never_escalates_an_incident_twice(world, fire_rule):
    incident = fire(world)
    services.apply_escalation_rules(incident_id=incident.pk, by=world.guard_a)
    services.cancel_escalation(
        escalation=incident.escalations.get(), by=world.supervisor_a, reason="False alarm"
    )
    assert services.apply_escalation_rules(incident_id=incident.pk, by=world.guard_a) is None
    assert incident.escalations.count() == 1


def test_a_panics_incident_is_already_escalated(world, fire_rule):
    panic = services.press_panic(guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4())
    assert services.apply_escalation_rules(incident_id=panic.incident.pk, by=world.guard_a) is None
    assert [e.source for e in panic.incident.escalations.all()] == [Escalation.Source.PANIC]


def test_a_draft_a_missing_report_and_a_site_without_agency_are_left_alone(world, fire_rule):
    draft = fire(world, submit=False)
    assert services.apply_escalation_rules(incident_id=draft.pk) is None
    assert not RuleCheck.objects.filter(incident=draft).exists()  # its rule runs when it is sent
    assert tasks.apply_escalation_rules.apply(args=(10**9, None)).get() is None  # gone: returns quietly
    world.a1.agency = None
    world.a1.save()
    orphan = fire(world)
    assert services.apply_escalation_rules(incident_id=orphan.pk) is None
    assert RuleCheck.objects.filter(incident=orphan).exists()


def test_without_an_actor_the_reporter_asks(world, fire_rule):
    incident = fire(world)
    assert services.apply_escalation_rules(incident_id=incident.pk).requested_by == world.guard_a


def test_the_sweep_applies_the_rule_to_recent_reports_whose_task_was_lost(world, fire_rule):
    lost = fire(world)
    checked = fire(world)
    services.apply_escalation_rules(incident_id=checked.pk)
    old = fire(world)
    Incident.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=2))
    elsewhere = fire(world, site=world.a2)  # a2 has no rule: nothing to sweep
    draft = fire(world, submit=False)
    assert tasks.sweep_escalation_rules.apply().get() == 1
    assert lost.escalations.get().source == Escalation.Source.RULE
    assert checked.escalations.count() == 1
    for untouched in (old, elsewhere, draft):
        assert not untouched.escalations.exists()
    assert services.sweep_escalation_rules() == 0


def test_one_reports_failure_does_not_hold_back_the_sweep(world, fire_rule, monkeypatch):
    failing, fine = fire(world), fire(world)
    open_escalation = lifecycle.open_escalation

    def refuse_the_first(incident, **kwargs):
        if incident.pk == failing.pk:
            raise ValidationError("The agency's line is down.")
        return open_escalation(incident, **kwargs)

    monkeypatch.setattr(lifecycle, "open_escalation", refuse_the_first)
    assert services.sweep_escalation_rules() == 2
    assert fine.escalations.exists()
    assert not RuleCheck.objects.filter(incident=failing).exists()  # swept again next time
