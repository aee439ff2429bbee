"""The patrols API through the same services and policy; documented in the OpenAPI schema."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from patrols.models import Scan, Shift

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_a_guard_works_a_shift_through_the_api(api, patrol):
    p = patrol
    api.force_authenticate(p.w.guard_a)
    started = api.post(reverse("api:shift-list"), {"site": p.w.a1.pk, "hours": "6"}, format="json")
    assert started.status_code == 201, started.content
    shift_id = started.json()["id"]
    body = {"code": p.gate.code, "idempotency_key": "api-1", "device_at": "2030-01-01T00:00:00Z"}
    scanned = api.post(reverse("api:scan-list"), body, format="json")
    assert scanned.status_code == 201
    assert scanned.json()["outcome"] == "accepted"
    assert scanned.json()["skew_flagged"] is True
    again = api.post(reverse("api:scan-list"), body, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == scanned.json()["id"]
    foreign = api.post(
        reverse("api:scan-list"), {"code": p.other.code, "idempotency_key": "api-2"}, format="json"
    )
    assert foreign.status_code == 201
    assert foreign.json()["outcome"] == "refused"
    assert "not a checkpoint of A1" in foreign.json()["refusal"]
    checked = api.post(reverse("api:check-in-list"), {"idempotency_key": "c-1"}, format="json")
    assert checked.status_code == 201
    ended = api.post(reverse("api:shift-end", args=[shift_id]), {"notes": "Quiet"}, format="json")
    assert ended.status_code == 200
    assert ended.json()["ended_at"]
    assert Scan.objects.filter(shift__public_id=shift_id).count() == 2
    (report,) = api.get(reverse("api:daily-report-list")).json()["results"]
    assert report["shift"] == shift_id


def test_bad_input_is_refused_and_changes_nothing(api, patrol):
    p = patrol
    api.force_authenticate(p.w.guard_a)
    outside = api.post(reverse("api:scan-list"), {"code": p.gate.code, "idempotency_key": "x"}, format="json")
    assert outside.status_code == 400
    assert "start your shift" in outside.json()["detail"]
    assert api.post(reverse("api:shift-list"), {"site": p.w.b1.pk}, format="json").status_code == 403
    bad_hours = api.post(reverse("api:shift-list"), {"site": p.w.a1.pk, "hours": "40"}, format="json")
    assert bad_hours.status_code == 400
    assert "hours" in bad_hours.json()["errors"]
    assert not Shift.objects.exists()
    assert not Scan.objects.exists()
    api.force_authenticate(p.w.supervisor_a)
    assert (
        api.post(
            reverse("api:scan-list"), {"code": p.gate.code, "idempotency_key": "y"}, format="json"
        ).status_code
        == 403
    )


def test_the_schema_documents_the_patrol_routes(api, patrol):
    api.force_authenticate(patrol.w.supervisor_a)
    schema = api.get(reverse("api-schema"), HTTP_ACCEPT="application/json").content.decode()
    for path in (
        "/api/v1/shifts/",
        "/api/v1/scans/",
        "/api/v1/check-ins/",
        "/api/v1/daily-reports/{id}/pdf/",
    ):
        assert path in schema
