"""The API's JSON input, in process: whatever JSON arrives in a field, the answer is below 500 and a
400 says what is wrong. First every field of each write, one at a time, with each extreme value
(huge numbers, NUL, a lone surrogate, the wrong type); then random bodies (Hypothesis).
tests/fuzz/test_schema.py fuzzes every operation of the schema against a real server on PostgreSQL."""

import json
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from dispatch import services as dispatch_services
from incidents import services as incident_services
from tests.factories import report
from tests.fuzz.strategies import text
from tests.incidents.evidence_samples import ORIGIN, jpeg

EXTREMES: list[object] = [
    None,
    True,
    -1,
    2**31,
    2**63,
    -(2**63) - 1,
    10**400,
    1e308,
    "",
    "\x00",
    "\ud800",
    "x" * 30_000,
    "2026-13-45T99:99:99Z",
    [],
    {"a": [1]},
]


@pytest.fixture
def escalated(world):
    incident = report(world.guard_a, world.a1)
    escalation = dispatch_services.escalate_incident(incident=incident, by=world.supervisor_a)
    unescalated = report(world.guard_a, world.a1)
    evidence = incident_services.add_evidence(
        incident=incident,
        by=world.guard_a,
        upload=SimpleUploadedFile("photo.jpg", jpeg((64, 48)), "image/jpeg"),
        client_sha256=None,
        origin=ORIGIN,
    )
    return SimpleNamespace(
        world=world, incident=incident, escalation=escalation, unescalated=unescalated, evidence=evidence
    )


def call(user, method: str, url: str, data: object) -> int:
    api = APIClient()
    api.force_authenticate(user)
    with transaction.atomic():
        response = api.generic(method, url, json.dumps(data), content_type="application/json")
        transaction.set_rollback(True)
    assert response.status_code < 500, (method, url, data)
    if response.status_code == 400:
        assert response.json()["detail"], (url, data)
    return response.status_code


def report_body(e: SimpleNamespace) -> dict:
    return {
        "idempotency_key": str(uuid.uuid4()),
        "site": e.world.a1.pk,
        "category": "theft",
        "severity": 3,
        "narrative": "Two jackets taken",
        "location": "Gate 2",
        "occurred_at": "2026-01-02T03:04:05+01:00",
        "device_time": "2026-01-02T03:04:05Z",
        "latitude": 51.5,
        "longitude": -0.1,
        "location_accuracy_m": 12,
        "submit": True,
        "parties": [{"role": "witness", "description": "Tall", "name": "Jo", "contact": "0700"}],
        "vehicles": [{"plate": "AB12 CDE", "description": "Blue van"}],
    }


# (who, method, URL, a body the API accepts): each field of it is replaced by each extreme value.
WRITES: dict[str, tuple[str, str, Callable[[SimpleNamespace], str], Callable[[SimpleNamespace], dict]]] = {
    "report": ("guard_a", "POST", lambda e: "/api/v1/incidents/", report_body),
    "edit": (
        "supervisor_a",
        "PATCH",
        lambda e: f"/api/v1/incidents/{e.incident.public_id}/",
        lambda e: {
            **{
                key: value
                for key, value in report_body(e).items()
                if key in ("narrative", "latitude", "longitude")
            },
            "location_accuracy_m": 3,
            "severity": 2,
            "version": e.incident.version,
        },
    ),
    "note": (
        "supervisor_a",
        "POST",
        lambda e: f"/api/v1/incidents/{e.incident.public_id}/notes/",
        lambda e: {"text": "Hi"},
    ),
    "party": (
        "supervisor_a",
        "POST",
        lambda e: f"/api/v1/incidents/{e.incident.public_id}/parties/",
        lambda e: {"role": "witness", "description": "Tall", "name": "Jo", "contact": "0700"},
    ),
    "vehicle": (
        "supervisor_a",
        "POST",
        lambda e: f"/api/v1/incidents/{e.incident.public_id}/vehicles/",
        lambda e: {"plate": "AB12", "description": "Van"},
    ),
    "request info": (
        "supervisor_a",
        "POST",
        lambda e: f"/api/v1/incidents/{e.incident.public_id}/request-info/",
        lambda e: {"comment": "Which door?", "version": e.incident.version},
    ),
    "close": (
        "supervisor_a",
        "POST",
        lambda e: f"/api/v1/incidents/{e.incident.public_id}/close/",
        # The incident is escalated (its police response open): closing it needs the confirmation.
        lambda e: {"resolution": "Done", "version": e.incident.version, "confirm": True},
    ),
    "escalate": (
        "supervisor_a",
        "POST",
        lambda e: "/api/v1/escalations/",
        lambda e: {"incident": str(e.unescalated.public_id), "reason": "Help needed"},
    ),
    "accept": (
        "liaison_x",
        "POST",
        lambda e: f"/api/v1/escalations/{e.escalation.public_id}/steps/accept/",
        lambda e: {"version": e.escalation.version},
    ),
    "reject": (
        "liaison_x",
        "POST",
        lambda e: f"/api/v1/escalations/{e.escalation.public_id}/steps/reject/",
        lambda e: {"reason": "Not ours"},
    ),
    "message": (
        "liaison_x",
        "POST",
        lambda e: f"/api/v1/escalations/{e.escalation.public_id}/messages/",
        lambda e: {"text": "On our way"},
    ),
    "panic": (
        "guard_a",
        "POST",
        lambda e: "/api/v1/panic/",
        lambda e: {
            "idempotency_key": str(uuid.uuid4()),
            "site": e.world.a1.pk,
            "latitude": 51.5,
            "longitude": -0.1,
            "accuracy": 5,
        },
    ),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_each_field_with_each_extreme_value(escalated, write):
    who, method, url, valid = WRITES[write]
    user = getattr(escalated.world, who)
    assert call(user, method, url(escalated), valid(escalated)) < 400, "the plain body is accepted"
    for field in valid(escalated):
        for value in EXTREMES:
            call(user, method, url(escalated), {**valid(escalated), field: value})


PARAMETER_VALUES = [
    "",
    "-1",
    "0",
    "2147483648",
    "9223372036854775808",
    "1e308",
    "\x00",
    "\u202e",
    "x" * 3000,
    "%",
    "../..",
    "2026-13-45",
    "true",
    "[]",
]


def operations() -> list[tuple[str, str, list[dict]]]:
    """(method, path, parameters) of every operation of the API's schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method.upper(), path, operation.get("parameters", []))
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


def real_path(path: str, e: SimpleNamespace, **override: str) -> str:
    real = {
        "/api/v1/incidents/{id}": e.incident.public_id,
        "/api/v1/evidence/{id}": e.evidence.public_id,
        "/api/v1/escalations/{id}": e.escalation.public_id,
        "/api/v1/sites/{id}": e.world.a1.pk,
        "/api/v1/categories/{code}": "theft",
    }
    for prefix, value in real.items():
        path = path.replace(prefix, prefix.split("{")[0] + str(value))
    for name, value in override.items():
        path = path.replace(f"{{{name}}}", quote(value, safe=""))
    return path.replace("{step}", "accept")


def test_each_parameter_of_the_schema_with_each_extreme_value(escalated):
    """Every path and query parameter the schema names, one at a time, with each awkward value."""
    api = APIClient()
    api.force_authenticate(escalated.world.supervisor_a)
    for method, path, parameters in operations():
        for parameter in parameters:
            for value in PARAMETER_VALUES:
                if parameter["in"] == "path":
                    url, query = real_path(path, escalated, **{parameter["name"]: value}), {}
                else:
                    url, query = real_path(path, escalated), {parameter["name"]: value}
                with transaction.atomic():
                    if method == "GET":
                        response = api.get(url, query)
                    else:
                        response = api.generic(method, url, "{}", content_type="application/json")
                    transaction.set_rollback(True)
                assert response.status_code < 500, (method, url, query)


FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
ANY_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text(max_size=40)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@FUZZ
@given(
    write=st.sampled_from(sorted(WRITES)),
    changes=st.dictionaries(st.text(max_size=12), ANY_JSON, max_size=3),
    nested=st.lists(
        st.fixed_dictionaries({}, optional={"role": ANY_JSON, "description": ANY_JSON}), max_size=2
    ),
)
def test_random_bodies(escalated, write, changes, nested):
    who, method, url, valid = WRITES[write]
    body = {**valid(escalated), **changes}
    if "parties" in body:
        body["parties"] = nested
    call(getattr(escalated.world, who), method, url(escalated), body)


@FUZZ
@given(
    query=st.dictionaries(
        st.sampled_from(
            [
                *("q", "site", "status", "severity", "category", "reporter", "received_from", "received_to"),
                *("ordering", "page", "page_size", "after", "open", "format", "x"),
            ]
        ),
        # A query string is bytes: no lone surrogate gets into one.
        st.one_of(
            st.text(max_size=40),
            st.sampled_from([v for v in EXTREMES if v != "\ud800"]).map(str),
            st.dates().map(str),
        ),
        max_size=4,
    ),
    path=st.sampled_from(["incidents/", "escalations/", "board-events/", "sites/", "categories/"]),
)
def test_lists_and_their_filters(world, query, path):
    api = APIClient()
    api.force_authenticate(world.liaison_x if path == "board-events/" else world.supervisor_a)
    with transaction.atomic():
        response = api.get(f"/api/v1/{path}", query)
        transaction.set_rollback(True)
    assert response.status_code < 500, (path, query)
