import threading
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from accounts.models import Role
from dispatch import services
from dispatch.models import BoardEvent, Escalation, EscalationRule
from incidents import policy as incident_policy
from incidents import services as incident_services
from incidents.models import Category, Incident, IncidentShare, TimelineEntry
from tests.factories import member, report

Status = Escalation.Status


def board(agency):
    return list(BoardEvent.objects.filter(agency=agency).order_by("sequence").values_list("sequence", "name"))


def test_supervisor_escalates_to_the_sites_agency(world):
    incident = report(world.guard_a, world.a1)
    escalation = services.escalate_incident(
        incident=incident, by=world.supervisor_a, reason="Suspect still on site"
    )
    assert escalation.agency == world.agency_x
    assert escalation.status == Status.REQUESTED
    assert escalation.source == Escalation.Source.SUPERVISOR
    assert board(world.agency_x) == [(1, "escalation.requested")]
    entry = incident.timeline.get(kind=TimelineEntry.Kind.ESCALATED)
    assert entry.data["reason"] == "Suspect still on site"


def test_the_whole_lifecycle_lands_on_the_timeline_and_the_board(world):
    incident = report(world.guard_a, world.a1)
    esc = services.escalate_incident(incident=incident, by=world.supervisor_a)
    services.accept_escalation(escalation=esc, by=world.liaison_x)
    services.mark_dispatched(escalation=esc, by=world.liaison_x)
    services.mark_on_scene(escalation=esc, by=world.liaison_x)
    services.clear_escalation(
        escalation=esc, by=world.liaison_x, disposition="Arrest made", case_number="MPD-26-1234"
    )
    esc.refresh_from_db()
    assert esc.status == Status.CLEARED
    assert esc.accepted_by == world.liaison_x
    assert esc.accepted_at <= esc.dispatched_at <= esc.on_scene_at <= esc.cleared_at
    assert esc.case_number == "MPD-26-1234"
    assert [name for _, name in board(world.agency_x)] == [
        "escalation.requested",
        "escalation.accepted",
        "escalation.dispatched",
        "escalation.on_scene",
        "escalation.cleared",
    ]
    assert [seq for seq, _ in board(world.agency_x)] == [1, 2, 3, 4, 5]
    updates = incident.timeline.filter(kind=TimelineEntry.Kind.ESCALATION_UPDATED).order_by("pk")
    assert [(e.data["old"], e.data["new"]) for e in updates] == [
        ("requested", "accepted"),
        ("accepted", "dispatched"),
        ("dispatched", "on_scene"),
        ("on_scene", "cleared"),
    ]


def test_sequences_are_per_agency(world):
    services.escalate_incident(incident=report(world.guard_a, world.a1), by=world.supervisor_a)
    services.escalate_incident(incident=report(world.guard_a, world.a1), by=world.supervisor_a)
    services.escalate_incident(incident=report(world.supervisor_a, world.a2), by=world.supervisor_a)
    assert [seq for seq, _ in board(world.agency_x)] == [1, 2]
    assert [seq for seq, _ in board(world.agency_y)] == [1]


def test_invalid_transitions_say_why_and_change_nothing(world):
    esc = services.escalate_incident(incident=report(world.guard_a, world.a1), by=world.supervisor_a)
    with pytest.raises(ValidationError, match="is already requested; it cannot be marked on scene now"):
        services.mark_on_scene(escalation=esc, by=world.liaison_x)
    services.accept_escalation(escalation=esc, by=world.liaison_x)
    with pytest.raises(
        ValidationError, match=r"already accepted by .* at \d\d:\d\d:\d\d \w+; it cannot be accepted"
    ):
        services.accept_escalation(escalation=esc, by=world.liaison_x)
    with pytest.raises(ValidationError, match="it cannot be rejected"):
        services.reject_escalation(escalation=esc, by=world.liaison_x, reason="late")
    with pytest.raises(ValidationError):
        services.clear_escalation(escalation=esc, by=world.liaison_x, disposition=" ")
    esc.refresh_from_db()
    assert esc.status == Status.ACCEPTED
    assert len(board(world.agency_x)) == 2


def test_reject_and_cancel_need_reasons(world):
    esc = services.escalate_incident(incident=report(world.guard_a, world.a1), by=world.supervisor_a)
    with pytest.raises(ValidationError):
        services.reject_escalation(escalation=esc, by=world.liaison_x, reason="")
    services.reject_escalation(escalation=esc, by=world.liaison_x, reason="Civil matter")
    esc.refresh_from_db()
    assert (esc.status, esc.rejection_reason) == (Status.REJECTED, "Civil matter")
    other = services.escalate_incident(incident=report(world.guard_a, world.a1), by=world.supervisor_a)
    with pytest.raises(ValidationError):
        services.cancel_escalation(escalation=other, by=world.supervisor_a, reason="")
    services.cancel_escalation(escalation=other, by=world.supervisor_a, reason="False alarm")
    other.refresh_from_db()
    assert other.status == Status.CANCELLED


def test_who_may_do_what(world):
    incident = report(world.guard_a, world.a1, severity=3)
    with pytest.raises(PermissionDenied):
        services.escalate_incident(incident=incident, by=world.guard_a)
    with pytest.raises(PermissionDenied):
        services.escalate_incident(incident=incident, by=world.supervisor_b)
    esc = services.escalate_incident(incident=incident, by=world.supervisor_a)
    for outsider in (world.liaison_y, world.admin_x, world.supervisor_a, world.guard_a):
        with pytest.raises(PermissionDenied):
            services.accept_escalation(escalation=esc, by=outsider)
    with pytest.raises(PermissionDenied):
        services.cancel_escalation(escalation=esc, by=world.liaison_x, reason="x")


def test_a_guard_escalates_a_severity_one_report_directly(world):
    incident = report(world.guard_a, world.a1, severity=1)
    esc = services.escalate_incident(incident=incident, by=world.guard_a)
    assert esc.source == Escalation.Source.GUARD


def test_one_open_escalation_per_incident(world):
    incident = report(world.guard_a, world.a1)
    services.escalate_incident(incident=incident, by=world.supervisor_a)
    with pytest.raises(ValidationError, match="already escalated"):
        services.escalate_incident(incident=incident, by=world.supervisor_a)
    assert Escalation.objects.count() == 1


def test_a_site_without_agency_cannot_escalate(world):
    world.a1.agency = None
    world.a1.save()
    with pytest.raises(PermissionDenied):
        services.escalate_incident(incident=report(world.guard_a, world.a1), by=world.supervisor_a)


def test_panic_makes_a_severity_one_incident_and_its_escalation_at_once(world):
    key = uuid.uuid4()
    result = services.press_panic(
        guard=world.guard_a, site=world.a1, idempotency_key=key, latitude="41.1", longitude="-87.2"
    )
    assert result.incident.severity == 1
    assert result.incident.category.code == "panic"
    assert result.incident.status == Incident.Status.SUBMITTED
    assert result.escalation.is_panic
    assert result.escalation.panic_active
    again = services.press_panic(guard=world.guard_a, site=world.a1, idempotency_key=key)
    assert again.escalation.pk == result.escalation.pk
    assert Incident.objects.count() == 1
    with pytest.raises(PermissionDenied):
        services.press_panic(guard=world.guard_a, site=world.a2, idempotency_key=uuid.uuid4())
    with pytest.raises(PermissionDenied):
        services.press_panic(guard=world.supervisor_a, site=world.a1, idempotency_key=uuid.uuid4())


def test_panic_stays_active_until_a_supervisor_clears_it(world):
    esc = services.press_panic(guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4()).escalation
    assert esc.panic_active
    services.clear_panic(escalation=esc, by=world.supervisor_a)
    esc.refresh_from_db()
    assert not esc.panic_active  # the guard is safe, even before the police accept
    assert esc.is_open  # the police response itself goes on
    with pytest.raises(ValidationError):
        services.clear_panic(escalation=esc, by=world.supervisor_a)


def test_site_rules_escalate_by_category_or_severity(world, eager, django_capture_on_commit_callbacks):
    rule = EscalationRule.objects.create(site=world.a1, max_severity=1)
    rule.categories.add(Category.objects.get(code="fire"))

    def file_report(**fields):
        # The rule is incident.submitted's follow-up (FOLLOW_UPS): it runs once the report commits.
        with django_capture_on_commit_callbacks(execute=True):
            return incident_services.report_incident(
                reporter=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4(), **fields
            )

    quiet = file_report(category=Category.objects.get(code="theft"))
    fire = file_report(category=Category.objects.get(code="fire"), severity=3)
    assault = file_report(category=Category.objects.get(code="assault"))
    assert not quiet.incident.escalations.exists()
    assert fire.incident.escalations.get().source == Escalation.Source.RULE
    assert assault.incident.escalations.get().reason == "Site rule: severity"
    draft = file_report(submit=False, category=Category.objects.get(code="fire"))
    assert not draft.incident.escalations.exists()
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.submit_incident(incident=draft.incident, by=world.guard_a)
    assert draft.incident.escalations.exists()


def test_messages_on_escalated_incidents_only(world):
    incident = report(world.guard_a, world.a1)
    with pytest.raises(PermissionDenied):
        services.post_message(incident=incident, by=world.guard_a, text="hello")
    services.escalate_incident(incident=incident, by=world.supervisor_a)
    services.post_message(incident=incident, by=world.guard_a, text="He went north")
    services.post_message(incident=incident, by=world.liaison_x, text="Unit 12 en route")
    with pytest.raises(PermissionDenied):
        services.post_message(incident=incident, by=world.liaison_y, text="not ours")
    with pytest.raises(ValidationError):
        services.post_message(incident=incident, by=world.guard_a, text="   ")
    texts = list(
        incident.timeline.filter(kind=TimelineEntry.Kind.MESSAGE).values_list("data__text", flat=True)
    )
    assert texts == ["He went north", "Unit 12 en route"]
    assert [name for _, name in board(world.agency_x)][-2:] == ["message.posted", "message.posted"]


def test_liaisons_see_only_escalated_incidents_of_their_agency(world):
    escalated = report(world.guard_a, world.a1)
    report(world.guard_a, world.a1)
    services.escalate_incident(incident=escalated, by=world.supervisor_a)
    assert list(incident_policy.visible_incidents(world.liaison_x)) == [escalated]
    assert not incident_policy.visible_incidents(world.liaison_y).exists()


def test_every_escalation_shares_the_incident_with_its_agency_once(world):
    incident = report(world.guard_a, world.a1)
    first = services.escalate_incident(incident=incident, by=world.supervisor_a)
    shares = IncidentShare.objects.values_list("incident_id", "agency_id")
    assert list(shares) == [(incident.pk, world.agency_x.pk)]
    services.cancel_escalation(escalation=first, by=world.supervisor_a, reason="False alarm")
    services.escalate_incident(incident=incident, by=world.supervisor_a)
    assert IncidentShare.objects.filter(incident=incident).count() == 1
    panic = services.press_panic(guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4())
    assert IncidentShare.objects.filter(incident=panic.incident, agency=world.agency_x).exists()


def test_an_agency_sees_an_incident_through_its_share_which_a_rejection_ends(world):
    incident = report(world.guard_a, world.a1)
    escalation = services.escalate_incident(incident=incident, by=world.supervisor_a)
    assert incident_policy.can_view_incident(world.liaison_x, incident)
    services.reject_escalation(escalation=escalation, by=world.liaison_x, reason="Civil matter")
    assert not incident_policy.can_view_incident(world.liaison_x, incident)  # README, "Who sees what"
    services.escalate_incident(incident=incident, by=world.supervisor_a)
    assert incident_policy.can_view_incident(world.liaison_x, incident)
    IncidentShare.objects.filter(incident=incident).delete()
    assert Escalation.objects.filter(incident=incident).exists()
    assert not incident_policy.can_view_incident(world.liaison_x, incident)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_liaisons_accept_at_once_one_wins_and_the_other_is_told(world):
    second = member(Role.LIAISON, world.agency_x)
    esc = services.escalate_incident(incident=report(world.guard_a, world.a1), by=world.supervisor_a)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(liaison):
        try:
            barrier.wait()
            services.accept_escalation(escalation=esc, by=liaison)
            outcomes.append("won")
        except ValidationError as error:
            outcomes.append(" ".join(error.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(who,)) for who in (world.liaison_x, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes)[-1] == "won"
    assert "already accepted by" in sorted(outcomes)[0]
    assert [name for _, name in board(world.agency_x)] == ["escalation.requested", "escalation.accepted"]
