"""The agency's CAD reports the police side through the API with its token: each status drives the
board's lifecycle services (timeline, board event), a retried or late message changes nothing twice
and never moves an escalation backwards, refused transitions say why, and an agency's token cannot
touch another agency's escalation."""

import json
import uuid

import pytest
from django.urls import reverse

from accounts import services as account_services
from accounts.models import ApiToken
from dispatch import services
from dispatch.models import BoardEvent, CadReport, Escalation
from incidents.models import TimelineEntry
from tests.factories import report

pytestmark = pytest.mark.django_db


def _token(user, by=None) -> str:
    return account_services.issue_api_token(
        user=user, by=by or user, name="CAD bridge", scope=ApiToken.Scope.WRITE
    )[1]


@pytest.fixture
def cad(world, client):
    incident = report(world.guard_a, world.a1)
    escalation = services.escalate_incident(incident=incident, by=world.supervisor_a, reason="On camera")
    token = _token(world.liaison_x)

    def send(body: dict, *, key: str | None = None, token: str = token, escalation: Escalation = escalation):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if key:
            headers["HTTP_IDEMPOTENCY_KEY"] = key
        return client.post(
            reverse("api:escalation-cad-status", kwargs={"id": escalation.public_id}),
            data=json.dumps(body),
            content_type="application/json",
            **headers,
        )

    send.escalation = escalation
    return send


def _status(escalation: Escalation) -> str:
    escalation.refresh_from_db()
    return escalation.status


def test_each_status_drives_the_lifecycle_onto_the_timeline_and_the_board(cad, world):
    escalation = cad.escalation
    for step in ("accepted", "dispatched", "on_scene"):
        response = cad({"event_id": f"evt-{step}", "status": step})
        assert response.status_code == 200, response.json()
        assert response.json()["outcome"] == "applied"
        assert response.json()["escalation"]["status"] == step
    cleared = cad(
        {
            "event_id": "evt-clear",
            "status": "cleared",
            "disposition": "Report taken",
            "case_number": "MPD-4471",
        }
    )

    assert cleared.json()["steps"] == ["cleared"]
    escalation.refresh_from_db()
    assert (escalation.status, escalation.case_number, escalation.disposition) == (
        "cleared",
        "MPD-4471",
        "Report taken",
    )
    assert escalation.accepted_by == world.liaison_x
    names = list(
        BoardEvent.objects.filter(escalation=escalation).order_by("sequence").values_list("name", flat=True)
    )
    assert names == [
        "escalation.requested",
        "escalation.accepted",
        "escalation.dispatched",
        "escalation.on_scene",
        "escalation.cleared",
    ]
    updates = TimelineEntry.objects.filter(
        incident=escalation.incident, kind=TimelineEntry.Kind.ESCALATION_UPDATED
    )
    assert [entry.data["new"] for entry in updates] == ["accepted", "dispatched", "on_scene", "cleared"]


def test_the_same_key_again_changes_nothing_and_gets_the_first_answer(cad):
    first = cad({"status": "accepted"}, key="key-1")
    again = cad({"status": "accepted"}, key="key-1")

    assert (first.json()["outcome"], first.json()["replayed"]) == ("applied", False)
    assert (again.json()["outcome"], again.json()["replayed"], again.json()["steps"]) == (
        "applied",
        True,
        ["accepted"],
    )
    assert BoardEvent.objects.filter(escalation=cad.escalation, name="escalation.accepted").count() == 1
    assert CadReport.objects.count() == 1


def test_a_key_reused_for_another_status_is_refused(cad):
    cad({"status": "accepted"}, key="key-1")

    response = cad({"status": "dispatched"}, key="key-1")

    assert response.status_code == 409
    assert "was already used for another report" in json.dumps(response.json())
    assert _status(cad.escalation) == "accepted"


def test_a_late_message_never_moves_the_escalation_backwards(cad):
    cad({"event_id": "e3", "status": "on_scene"})  # dispatched was lost; on scene implies accepted
    late = cad({"event_id": "e2", "status": "dispatched"})
    earlier = cad({"event_id": "e1", "status": "accepted"})

    assert (late.status_code, late.json()["outcome"], late.json()["steps"]) == (200, "already", [])
    assert earlier.json()["outcome"] == "already"
    escalation = Escalation.objects.get(pk=cad.escalation.pk)
    assert (escalation.status, escalation.dispatched_at) == ("on_scene", None)  # nothing made up
    assert list(CadReport.objects.order_by("pk").values_list("steps", flat=True)) == [
        ["accepted", "on_scene"],
        [],
        [],
    ]


def test_a_rejection_needs_a_cause_and_keeps_the_code(cad):
    missing = cad({"event_id": "r0", "status": "rejected"})
    assert missing.status_code == 400
    assert "Give the cause of the rejection" in json.dumps(missing.json())
    assert _status(cad.escalation) == "requested"

    response = cad({"event_id": "r1", "status": "rejected", "cause": "Civil matter", "cause_code": "CIVIL"})

    assert response.json()["outcome"] == "applied"
    escalation = Escalation.objects.get(pk=cad.escalation.pk)
    assert escalation.rejection_reason == "Civil matter (cause code CIVIL)"


def test_refused_transitions_say_why_and_change_nothing(cad):
    cad({"event_id": "a", "status": "accepted"})

    rejected = cad({"event_id": "b", "status": "rejected", "cause": "Too late"})
    assert rejected.status_code == 400
    assert "is already accepted; it cannot be rejected now" in json.dumps(rejected.json())

    no_disposition = cad({"event_id": "c", "status": "cleared"})
    assert no_disposition.status_code == 400
    assert "Give the disposition" in json.dumps(no_disposition.json())
    assert _status(cad.escalation) == "accepted"
    assert CadReport.objects.count() == 1


def test_a_withdrawn_escalation_takes_no_cad_status(cad, world):
    services.cancel_escalation(escalation=cad.escalation, by=world.supervisor_a, reason="Guard handled it")

    response = cad({"event_id": "x", "status": "dispatched"})

    assert response.status_code == 400
    assert "was withdrawn by the provider" in json.dumps(response.json())


def test_another_agencys_token_cannot_find_the_escalation(cad, world):
    response = cad({"event_id": "y", "status": "accepted"}, token=_token(world.liaison_y))

    assert response.status_code == 404
    assert _status(cad.escalation) == "requested"
    assert not CadReport.objects.exists()


def test_keys_are_per_agency(cad, world, client):
    other = report(world.guard_b, world.b1)
    theirs = services.escalate_incident(incident=other, by=world.supervisor_b)
    cad({"status": "accepted"}, key="shared-key")

    response = cad({"status": "accepted"}, key="shared-key", token=_token(world.liaison_y), escalation=theirs)

    assert response.json()["outcome"] == "applied"
    assert _status(theirs) == "accepted"


def test_the_providers_token_and_the_agency_admins_may_not_report(cad, world):
    assert (
        cad(
            {"event_id": str(uuid.uuid4()), "status": "accepted"},
            token=_token(world.supervisor_a, by=world.admin_a),
        ).status_code
        == 403
    )
    admin_token = account_services.issue_api_token(
        user=world.admin_x, by=world.admin_x, name="CAD", scope=ApiToken.Scope.WRITE
    )[1]
    assert cad({"event_id": str(uuid.uuid4()), "status": "accepted"}, token=admin_token).status_code == 403
    assert _status(cad.escalation) == "requested"


def test_a_key_is_required(cad):
    response = cad({"status": "accepted"})

    assert response.status_code == 400
    assert "Idempotency-Key" in json.dumps(response.json())
