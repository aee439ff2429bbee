"""A briefing's decision becomes a real corrective action (debriefs'), owned by someone of either
organization, with a due date: listed on the corrective actions page with the others, tracked to
done there by its owner, its state shown beside the decision on the briefing's page."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from debriefs import services as debrief_services
from debriefs.models import CorrectiveAction
from notifications.models import OutboxMessage
from preparedness import services
from preparedness.models import Decision

pytestmark = pytest.mark.django_db


def _due(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def test_a_decision_owned_by_the_agency_is_a_corrective_action_its_liaison_closes(client, world, briefing):
    decision = services.record_decision(
        briefing=briefing,
        by=world.supervisor_a,
        decision="Patrol car passes the loading bay at night.",
        owner=world.liaison_x,
        due_date=timezone.localdate() + timedelta(days=14),
    )
    action = CorrectiveAction.objects.get()
    assert (action.origin, action.origin_ref, action.incident) == ("briefing", decision.public_id, None)
    assert (action.owner, action.provider, action.agency) == (
        world.liaison_x,
        world.provider_a,
        world.agency_x,
    )
    assert action.what == "Patrol car passes the loading bay at night."
    assert action.due_date == decision.due_date
    assert action.time_zone == world.a1.time_zone
    assert decision.status == Decision.Status.OPEN

    client.force_login(world.liaison_x)
    page = client.get(reverse("debriefs:actions")).content.decode()
    assert "Patrol car passes the loading bay at night." in page
    assert f'href="/preparedness/briefings/{briefing.public_id}/"' in page
    assert "Briefing: Monthly joint briefing" in page
    response = client.post(
        reverse("debriefs:update_action", args=[action.public_id]),
        {"status": "done", "verification": "Logged on five nights"},
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == CorrectiveAction.Status.DONE
    briefing_page = client.get(reverse("preparedness:briefing", args=[briefing.public_id])).content.decode()
    assert "Corrective action: <strong>Done</strong> (Logged on five nights)" in briefing_page


def test_the_briefing_pages_form_makes_an_action_for_a_provider_owner(client, world, briefing):
    decided = services.record_decision(briefing=briefing, by=world.liaison_x, decision="Fix the gate light.")
    assert decided.status == Decision.Status.DECIDED
    assert not CorrectiveAction.objects.exists()
    client.force_login(world.liaison_x)
    page = client.get(reverse("preparedness:briefing", args=[briefing.public_id])).content.decode()
    assert "Make it a corrective action" in page
    assert f"{escape(world.liaison_x)} (Agency X)" in page
    assert f"{escape(world.supervisor_a)} (Provider A)" in page
    client.post(
        reverse("preparedness:decision_action", args=[decided.public_id, "assign"]),
        {"owner": world.supervisor_a.pk, "due_date": _due(7)},
    )
    action = CorrectiveAction.objects.get(origin_ref=decided.public_id)
    assert action.owner == world.supervisor_a
    assert action.created_by == world.liaison_x
    # Both organizations' staff see it where corrective actions are listed; nobody else does.
    for user in (world.supervisor_a, world.admin_a, world.liaison_x, world.admin_x):
        client.force_login(user)
        assert b"Fix the gate light." in client.get(reverse("debriefs:actions")).content, user
    for user in (world.guard_a, world.liaison_y, world.supervisor_b):
        client.force_login(user)
        assert b"Fix the gate light." not in client.get(reverse("debriefs:actions")).content, user
        refused = client.post(
            reverse("debriefs:update_action", args=[action.public_id]),
            {"status": "done", "verification": "x"},
        )
        assert refused.status_code == 404
    action.refresh_from_db()
    assert action.status == CorrectiveAction.Status.OPEN
    # Made once: the decision is an action already.
    client.force_login(world.supervisor_a)
    client.post(
        reverse("preparedness:decision_action", args=[decided.public_id, "assign"]),
        {"owner": world.liaison_x.pk, "due_date": _due(3)},
    )
    assert CorrectiveAction.objects.get().owner == world.supervisor_a


def test_an_owner_of_neither_organization_or_a_past_date_is_refused_and_changes_nothing(world, briefing):
    with pytest.raises(ValidationError, match="two organizations"):
        services.record_decision(
            briefing=briefing,
            by=world.supervisor_a,
            decision="x",
            owner=world.liaison_y,
            due_date=timezone.localdate(),
        )
    with pytest.raises(ValidationError, match="due date"):
        services.record_decision(
            briefing=briefing,
            by=world.supervisor_a,
            decision="x",
            owner=world.liaison_x,
            due_date=timezone.localdate() - timedelta(days=2),
        )
    with pytest.raises(ValidationError, match="due date"):
        services.record_decision(
            briefing=briefing, by=world.supervisor_a, decision="x", owner=world.liaison_x
        )
    assert not Decision.objects.exists()
    assert not CorrectiveAction.objects.exists()
    decided = services.record_decision(briefing=briefing, by=world.supervisor_a, decision="Later.")
    with pytest.raises(PermissionDenied):
        services.make_action(
            decision=decided, by=world.guard_a, owner=world.guard_a, due_date=timezone.localdate()
        )
    decided.refresh_from_db()
    assert decided.status == Decision.Status.DECIDED
    assert not CorrectiveAction.objects.exists()


def test_debriefs_checks_the_owner_and_the_author_itself(world, briefing):
    fields = {
        "decision_id": "6f1c1f52-7f43-4d0e-9d7e-6a52f3d0a001",
        "what": "Light the gate",
        "due_date": timezone.localdate() + timedelta(days=3),
        "provider": world.provider_a,
        "agency": world.agency_x,
        "label": "Briefing: x",
        "path": "/preparedness/",
        "time_zone": "Europe/London",
    }
    with pytest.raises(ValidationError, match="Provider A or Agency X"):
        debrief_services.add_briefing_action(by=world.supervisor_a, owner=world.guard_b, **fields)
    with pytest.raises(PermissionDenied):
        debrief_services.add_briefing_action(by=world.liaison_y, owner=world.liaison_x, **fields)
    made = debrief_services.add_briefing_action(by=world.admin_x, owner=world.guard_a, **fields)
    again = debrief_services.add_briefing_action(by=world.admin_x, owner=world.guard_a, **fields)
    assert made == again
    assert CorrectiveAction.objects.count() == 1


def test_an_overdue_briefing_action_reminds_its_agency_owner_and_the_providers_supervisors(world, briefing):
    services.record_decision(
        briefing=briefing,
        by=world.supervisor_a,
        decision="Patrol car at the loading bay.",
        owner=world.liaison_x,
        due_date=timezone.localdate(),
    )
    action = CorrectiveAction.objects.get()
    assert debrief_services.remind_corrective_actions(now=timezone.now() + timedelta(days=3)) == 1
    reminded = OutboxMessage.objects.filter(idempotency_key__contains=f"action:c{action.pk}:overdue")
    assert {m.recipient for m in reminded} >= {world.liaison_x, world.supervisor_a}
    assert any(
        "Briefing: Monthly joint briefing" in m.payload.get("subject", m.payload.get("title", ""))
        for m in reminded
    )
    assert debrief_services.remind_corrective_actions(now=timezone.now() + timedelta(days=3)) == 0
