"""Every operation of the OpenAPI schema (/api/schema/), fuzzed by Schemathesis against a real
daphne process on PostgreSQL, as a supervisor and as a liaison (API tokens): no answer is a 5xx.

Bounded: MAX_EXAMPLES per operation (valid and invalid input, half of them on real objects), each
request with a timeout, no shrinking; a failure shows the request as a curl command. Runs in CI
(PostgreSQL is required there) and skips locally without DATABASE_URL."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from accounts import services as account_services
from accounts.models import ApiToken
from dispatch import services as dispatch_services
from incidents import services as incident_services
from tests.factories import report
from tests.incidents.evidence_samples import ORIGIN, jpeg
from tests.processes import ROOT, base_environ, database_url, free_port, spawn, wait_http
from tests.world import build_world

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
TIMEOUT = 15  # seconds, one request


@contextmanager
def portal_server(folder) -> Iterator[str]:
    """daphne on the test database: the embedded default's jobs and channel layer (no Redis), so
    nothing it queues outlives the test."""
    env = {key: value for key, value in base_environ().items() if key != "REDIS_URL"}
    env.update(DATABASE_URL=database_url(), DATA_DIR=str(folder))
    port = free_port()
    log = folder / "daphne.log"
    args = [str(ROOT / ".venv/bin/python"), "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
    with spawn([*args, "portal.asgi:application"], env, log) as process:
        wait_http(f"http://127.0.0.1:{port}/healthz", process, log)
        yield f"http://127.0.0.1:{port}"


def objects() -> SimpleNamespace:
    """A's escalated incident with a photo, and API tokens for A's supervisor and X's liaison."""
    w = build_world()
    incident = report(w.guard_a, w.a1)
    evidence = incident_services.add_evidence(
        incident=incident,
        by=w.guard_a,
        upload=SimpleUploadedFile("photo.jpg", jpeg((64, 48)), "image/jpeg"),
        client_sha256=None,
        origin=ORIGIN,
    )
    escalation = dispatch_services.escalate_incident(incident=incident, by=w.supervisor_a)
    write = ApiToken.Scope.WRITE
    _, supervisor = account_services.issue_api_token(
        user=w.supervisor_a, by=w.admin_a, name="Fuzz", scope=write
    )
    _, liaison = account_services.issue_api_token(user=w.liaison_x, by=w.liaison_x, name="Fuzz", scope=write)
    return SimpleNamespace(
        tokens={"supervisor": supervisor, "liaison": liaison},
        ids={
            "/api/v1/incidents/": str(incident.public_id),
            "/api/v1/evidence/": str(evidence.public_id),
            "/api/v1/escalations/": str(escalation.public_id),
            "/api/v1/sites/": str(w.a1.pk),
            "/api/v1/categories/": "theft",
        },
    )


def real_parameters(operation, ids: dict[str, str]) -> dict[str, str]:
    """The path parameter naming an object, set to a real one of the right kind."""
    for prefix, value in ids.items():
        if operation.path.startswith(prefix) and operation.path != prefix:
            name = operation.path[len(prefix) :].split("/")[0].strip("{}")
            return {name: value}
    return {}


def strategy(operation, ids: dict[str, str]) -> st.SearchStrategy:
    real = real_parameters(operation, ids)
    kinds = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    if real:
        kinds.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real))
        kinds.append(operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=real))
    return st.one_of(kinds)


def test_no_operation_answers_a_server_error(tmp_path):
    assert connection.vendor == "postgresql"
    world = objects()
    failures: list[str] = []
    with portal_server(tmp_path) as base:
        auth = {"Authorization": f"Bearer {world.tokens['supervisor']}"}
        schema = schemathesis.openapi.from_url(
            f"{base}/api/schema/?format=json", headers=auth, timeout=TIMEOUT
        )
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) > 20, "the schema lists the API's operations"
        for operation in operations:
            try:
                fuzz(operation, strategy(operation, world.ids), base, world.tokens)
            except AssertionError as error:
                failures.append(str(error))
    assert not failures, "\n\n".join(failures)


def fuzz(operation, cases: st.SearchStrategy, base: str, tokens: dict[str, str]) -> None:
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=os.environ.get("FUZZ_RANDOM") != "1",
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def run(case) -> None:
        for who, token in tokens.items():
            headers = {"Authorization": f"Bearer {token}"}
            response = case.call(base_url=base, headers=headers, timeout=TIMEOUT)
            assert response.status_code < 500, (
                f"{operation.label} as the {who}: {response.status_code}\n"
                f"{case.as_curl_command(headers=headers)}\n{response.text[:300]}"
            )

    run()
