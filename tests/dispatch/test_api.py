import uuid

import pytest
from rest_framework.test import APIClient

from dispatch import services
from incidents.models import Incident
from tests.factories import report


@pytest.fixture
def api():
    return APIClient()


def test_escalate_and_step_through_the_lifecycle(api, world):
    incident = report(world.guard_a, world.a1)
    api.force_authenticate(world.supervisor_a)
    created = api.post(
        "/api/v1/escalations/", {"incident": str(incident.public_id), "reason": "x"}, format="json"
    )
    assert created.status_code == 201
    escalation_id = created.json()["id"]
    api.force_authenticate(world.liaison_x)
    listed = api.get("/api/v1/escalations/?open=1").json()
    assert [e["id"] for e in listed["results"]] == [escalation_id]
    for step in ("accept", "dispatch", "on-scene"):
        assert (
            api.post(f"/api/v1/escalations/{escalation_id}/steps/{step}/", {}, format="json").status_code
            == 200
        )
    cleared = api.post(
        f"/api/v1/escalations/{escalation_id}/steps/clear/",
        {"disposition": "Report taken", "case_number": "26-991"},
        format="json",
    )
    assert cleared.json()["case_number"] == "26-991"
    events = api.get("/api/v1/board-events/?after=2").json()
    assert [e["seq"] for e in events] == [3, 4, 5]
    assert events[-1]["event"] == "escalation.cleared"


def test_errors_are_json_with_the_field(api, world):
    escalation = services.escalate_incident(incident=report(world.guard_a, world.a1), by=world.supervisor_a)
    api.force_authenticate(world.liaison_x)
    response = api.post(f"/api/v1/escalations/{escalation.public_id}/steps/reject/", {}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    response = api.post(f"/api/v1/escalations/{escalation.public_id}/steps/fly/", {}, format="json")
    assert response.status_code == 400
    assert "step" in response.json()["errors"]
    assert api.get("/api/v1/board-events/?after=x").status_code == 400
    api.force_authenticate(world.supervisor_a)  # has no board: refused, whatever the query says
    assert api.get("/api/v1/board-events/?after=x").json()["code"] == "permission_denied"
    api.force_authenticate(world.liaison_y)
    assert api.get(f"/api/v1/escalations/{escalation.public_id}/").status_code == 404


def test_panic_through_the_api(api, world):
    api.force_authenticate(world.guard_a)
    key = str(uuid.uuid4())
    first = api.post(
        "/api/v1/panic/", {"idempotency_key": key, "latitude": "41.5", "longitude": "-87.1"}, format="json"
    )
    again = api.post("/api/v1/panic/", {"idempotency_key": key}, format="json")
    assert first.status_code == 201
    assert first.json()["escalation"]["is_panic"] is True
    assert again.json()["reference"] == first.json()["reference"]


def test_anonymous_calls_get_401_json(api, world):
    response = api.get("/api/v1/escalations/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


NOT_ASSIGNED = "You are not assigned to that site: the panic button sends only from your own sites."


@pytest.mark.parametrize("site", ["a2", "b1", "missing"])
def test_a_panic_at_a_site_the_guard_is_not_assigned_to_is_refused_not_moved(api, world, site):
    """Guard A works at A1 only: a panic naming another site must not silently become one at A1."""
    site_id = 2**40 if site == "missing" else getattr(world, site).pk
    api.force_authenticate(world.guard_a)
    response = api.post(
        "/api/v1/panic/", {"idempotency_key": str(uuid.uuid4()), "site": site_id}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {"detail": NOT_ASSIGNED, "code": "permission_denied"}
    assert not Incident.objects.exists()
