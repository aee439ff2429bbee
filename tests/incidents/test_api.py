import hashlib
import io
import re
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from incidents import services, uploads
from incidents.api import incidents as incident_api
from incidents.models import Category, CustodyEvent, Evidence, Incident, TimelineEntry
from incidents.services.validation import PANIC_REFUSED
from tests.factories import report

INCIDENTS = "/api/v1/incidents/"
Status = Incident.Status


@pytest.fixture
def api():
    return APIClient()


def signed_in(api, user):
    api.force_login(user)
    return api


def url(incident, action=""):
    return f"{INCIDENTS}{incident.public_id}/" + (f"{action}/" if action else "")


def new_report(where, **fields):
    body = {
        "idempotency_key": str(uuid.uuid4()),
        "site": where.pk,
        "category": "theft",
        "narrative": "Two jackets taken from the rack by the entrance.",
    }
    body.update(fields)
    return body


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


# --- Authentication and the error shape -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/", INCIDENTS, f"{INCIDENTS}{uuid.uuid4()}/", "/api/v1/sites/"])
def test_an_anonymous_call_gets_a_json_401_not_the_login_page(api, path):
    response = api.get(path)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_session_needs_the_csrf_token_for_writes(world):
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(world.guard_a)
    assert api.get(INCIDENTS).status_code == 200
    response = api.post(INCIDENTS, new_report(world.a1), format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Incident.objects.exists()


def test_invalid_json_is_a_400_with_a_message(world, api):
    signed_in(api, world.guard_a)
    response = api.generic("POST", INCIDENTS, '{"site": 1,', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "JSON" in response.json()["detail"]


def test_a_bad_uuid_is_a_400_naming_the_id(world, api):
    signed_in(api, world.guard_a)
    response = api.get(f"{INCIDENTS}not-a-uuid/")
    assert response.status_code == 400
    assert response.json()["errors"] == {"id": ["“not-a-uuid” is not a valid id (a UUID)."]}


def test_a_missing_incident_is_a_json_404(world, api):
    signed_in(api, world.guard_a)
    response = api.get(f"{INCIDENTS}{uuid.uuid4()}/")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "No incident with that id, or it is not visible to you.",
        "code": "not_found",
    }


# --- Create ---------------------------------------------------------------------------------


def test_a_guard_reports_through_the_api(world, api):
    signed_in(api, world.guard_a)
    body = new_report(
        world.a1,
        severity=2,
        location="Front entrance",
        occurred_at=(timezone.now() - timedelta(minutes=5)).isoformat(),
        parties=[{"role": "subject", "description": "Tall man, red cap", "name": "J. Doe"}],
        vehicles=[{"plate": "ab12 cde", "description": "blue van"}],
    )
    response = api.post(INCIDENTS, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    incident = Incident.objects.get()
    assert data["id"] == str(incident.public_id)
    assert data["reference"] == incident.reference
    assert response["Location"].endswith(url(incident))
    assert data["status"] == Status.SUBMITTED
    assert data["severity"] == 2
    assert data["category"] == {"code": "theft", "name": "Theft / shoplifting"}
    assert data["site"] == {"id": world.a1.pk, "code": world.a1.code, "name": "A1"}
    assert data["reporter"]["id"] == world.guard_a.pk
    assert data["version"] == 1
    assert data["parties"][0]["name"] == "J. Doe"
    assert data["vehicles"][0]["plate"] == "AB12 CDE"


def test_a_repeated_idempotency_key_returns_the_first_incident_with_200(world, api):
    signed_in(api, world.guard_a)
    body = new_report(world.a1)
    first = api.post(INCIDENTS, body, format="json")
    again = api.post(INCIDENTS, {**body, "narrative": "A retry with other text"}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Incident.objects.count() == 1
    assert Incident.objects.get().narrative.startswith("Two jackets")


def test_create_requires_an_idempotency_key(world, api):
    signed_in(api, world.guard_a)
    body = new_report(world.a1)
    del body["idempotency_key"]
    response = api.post(INCIDENTS, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"idempotency_key": ["This field is required."]}
    assert response.json()["detail"] == "idempotency_key: This field is required."


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"site": 999_999}, "site"),
        ({"category": "no-such"}, "category"),
        ({"severity": 9}, "severity"),
        ({"occurred_at": "2026-01-01T10:00:00"}, "occurred_at"),
        ({"idempotency_key": "not-a-uuid"}, "idempotency_key"),
        ({"narative": "typo"}, "narative"),
        ({"parties": [{"role": "bystander", "description": "x"}]}, "parties[0].role"),
        ({"vehicles": [{"plate": "AB1", "colour": "red"}]}, "vehicles[0].colour"),
        ({"latitude": 51.5}, "latitude"),
    ],
)
def test_create_errors_name_the_field_at_fault(world, api, change, field):
    signed_in(api, world.guard_a)
    response = api.post(INCIDENTS, new_report(world.a1, **change), format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    assert list(body["errors"]) == [field]
    assert body["errors"][field][0] in body["detail"]
    assert not Incident.objects.exists()


def test_submitting_without_a_category_is_refused_by_the_service_with_the_field(world, api):
    signed_in(api, world.guard_a)
    body = new_report(world.a1)
    del body["category"]
    response = api.post(INCIDENTS, body, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["category"] == ["Choose a category before sending the report."]
    assert errors["severity"] == ["Choose a severity before sending the report."]


def test_a_site_the_user_cannot_see_is_unknown_and_one_they_cannot_report_for_is_403(world, api):
    signed_in(api, world.guard_b)
    response = api.post(INCIDENTS, new_report(world.a1), format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["site"] == [f"No site {world.a1.pk} among the sites you can see."]
    for who in (
        world.admin_a,
        world.nobody,
    ):  # admin_a sees A's sites, but only guards and supervisors report
        signed_in(api, who)
        response = api.post(INCIDENTS, new_report(world.a1), format="json")
        assert response.status_code == 403
        assert response.json() == {
            "detail": "Only guards and supervisors with a site file reports.",
            "code": "permission_denied",
        }


# --- List, filters, search, retrieve ------------------------------------------------------------


@pytest.fixture
def three(world):
    theft, fire = Category.objects.get(code="theft"), Category.objects.get(code="fire")
    return [
        report(world.guard_a, world.a1, narrative="Jackets taken by a man in a red cap"),
        report(world.supervisor_a, world.a2, category=fire, narrative="Smoke from the bin store"),
        report(world.guard_a, world.a1, category=theft, severity=4, submit=False, narrative="Draft"),
    ]


def ids(response):
    assert response.status_code == 200, response.json()
    return {item["id"] for item in response.json()["results"]}


def test_the_list_is_paginated_and_scoped(world, api, three):
    signed_in(api, world.supervisor_a)
    response = api.get(INCIDENTS, {"page_size": 1})
    assert response.json()["count"] == 2  # not the guard's draft
    assert len(response.json()["results"]) == 1
    assert response.json()["next"]
    signed_in(api, world.guard_a)
    assert ids(api.get(INCIDENTS)) == {str(i.public_id) for i in three[:1] + three[2:]}


@pytest.mark.parametrize(
    ("who", "query", "expected"),
    [
        ("guard_a", {"status": "draft"}, [2]),
        ("guard_a", {"severity": 4}, [2]),
        ("supervisor_a", {"category": "fire"}, [1]),
        ("supervisor_a", {"site": "A2"}, [1]),
        ("supervisor_a", {"q": "red cap"}, [0]),
        ("supervisor_a", {"q": "smoke"}, [1]),
        ("supervisor_a", {"reporter": "supervisor_a"}, [1]),
        ("supervisor_a", {"received_from": "today", "received_to": "today"}, [0, 1]),
        ("supervisor_a", {"received_to": "yesterday"}, []),
    ],
)
def test_filters_and_full_text_search(world, api, three, who, query, expected):
    names = {
        "A2": world.a2.pk,
        "supervisor_a": world.supervisor_a.pk,
        "today": timezone.localdate().isoformat(),
        "yesterday": (timezone.localdate() - timedelta(days=1)).isoformat(),
    }
    signed_in(api, getattr(world, who))
    response = api.get(INCIDENTS, {key: names.get(value, value) for key, value in query.items()})
    assert ids(response) == {str(three[i].public_id) for i in expected}


def test_ordering(world, api, three):
    signed_in(api, world.supervisor_a)
    newest = [item["reference"] for item in api.get(INCIDENTS).json()["results"]]
    oldest = [item["reference"] for item in api.get(INCIDENTS, {"ordering": "oldest"}).json()["results"]]
    assert newest == oldest[::-1]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"status": "lost"}, "status"),
        ({"received_from": "yesterday-ish"}, "received_from"),
        ({"received_from": "2026-02-02", "received_to": "2026-02-01"}, "received_to"),
        ({"category": "no-such"}, "category"),
        ({"site": "a1"}, "site"),
        ({"ordering": "-severity"}, "ordering"),
    ],
)
def test_bad_filters_are_a_400_naming_the_parameter(world, api, query, field):
    signed_in(api, world.guard_a)
    response = api.get(INCIDENTS, query)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_retrieve_by_public_id(world, api, three):
    signed_in(api, world.guard_a)
    data = api.get(url(three[0])).json()
    assert data["id"] == str(three[0].public_id)
    assert data["reference"] == three[0].reference
    assert data["narrative"] == "Jackets taken by a man in a red cap"


def test_list_queries_do_not_grow_with_the_number_of_incidents(world, api, django_assert_max_num_queries):
    signed_in(api, world.supervisor_a)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = api.get(INCIDENTS)
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    count()  # the session's first request also records when it was last used (idle timeout)
    for _ in range(3):
        report(world.guard_a, world.a1)
    few, listed = count()
    assert listed == 3
    for _ in range(27):
        report(world.guard_a, world.a1)
    with django_assert_max_num_queries(few):
        many, listed = count()
    assert (many, listed) == (few, 30)


# --- Tenancy -----------------------------------------------------------------------------------


def test_another_providers_guard_gets_404_and_an_empty_list(world, api, three):
    signed_in(api, world.guard_b)
    assert api.get(INCIDENTS).json()["count"] == 0
    for path in (url(three[0]), url(three[0], "timeline"), url(three[0], "notes")):
        assert api.get(path).status_code == 404
    assert api.patch(url(three[0]), {"version": 1, "narrative": "x"}, format="json").status_code == 404
    assert api.post(url(three[0], "notes"), {"text": "x"}, format="json").status_code == 404


def test_a_liaison_sees_nothing_yet(world, api, three):
    signed_in(api, world.liaison_x)
    assert api.get(INCIDENTS).json()["count"] == 0
    assert api.get(url(three[0])).status_code == 404


# --- Update and optimistic locking -------------------------------------------------------------


def test_a_partial_update_bumps_the_version(world, api, three):
    draft = three[2]
    signed_in(api, world.guard_a)
    response = api.patch(url(draft), {"version": 1, "narrative": "Two jackets, one scarf"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2
    assert response.json()["narrative"] == "Two jackets, one scarf"
    draft.refresh_from_db()
    assert draft.narrative == "Two jackets, one scarf"


def test_a_stale_version_is_a_409_and_nothing_changes(world, api, three):
    draft = three[2]
    services.update_incident(incident=draft, by=world.guard_a, expected_version=1, narrative="Changed first")
    signed_in(api, world.guard_a)
    response = api.patch(url(draft), {"version": 1, "narrative": "Mine"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert body["detail"].startswith(f"{draft.reference} was changed by ")
    assert "Reload" in body["detail"]
    draft.refresh_from_db()
    assert (draft.narrative, draft.version) == ("Changed first", 2)


def test_an_update_needs_the_version_and_valid_fields(world, api, three):
    signed_in(api, world.guard_a)
    response = api.patch(url(three[2]), {"narrative": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"version": ["This field is required."]}
    response = api.patch(url(three[2]), {"version": 1, "reference": "WP-1"}, format="json")
    assert list(response.json()["errors"]) == ["reference"]
    future = (timezone.now() + timedelta(days=1)).isoformat()
    response = api.patch(url(three[2]), {"version": 1, "occurred_at": future}, format="json")
    assert response.json()["errors"] == {"occurred_at": ["The time it happened cannot be in the future."]}


def test_a_sent_report_is_not_the_reporters_to_change(world, api, three):
    signed_in(api, world.guard_a)
    response = api.patch(url(three[0]), {"version": 1, "narrative": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "You may not change this report now."


# --- Transitions -----------------------------------------------------------------------------


def test_a_supervisor_triages_through_the_actions(world, api, three):
    incident = three[0]
    signed_in(api, world.supervisor_a)
    response = api.post(url(incident, "accept"), {"version": 1}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["version"]) == (Status.ACCEPTED, 2)
    response = api.post(url(incident, "request-info"), {"comment": "Which rack?"}, format="json")
    assert response.json()["status"] == Status.NEEDS_INFO
    signed_in(api, world.guard_a)
    response = api.patch(url(incident), {"version": 3, "location": "Rack 4"}, format="json")
    assert response.status_code == 200
    assert api.post(url(incident, "submit"), {}, format="json").json()["status"] == Status.SUBMITTED
    signed_in(api, world.supervisor_a)
    response = api.post(url(incident, "close"), {"resolution": "Police informed"}, format="json")
    assert response.json()["status"] == Status.CLOSED
    assert response.json()["resolution"] == "Police informed"


def test_an_invalid_transition_is_a_400_with_a_message(world, api, three):
    signed_in(api, world.supervisor_a)
    api.post(url(three[0], "accept"), {}, format="json")
    response = api.post(url(three[0], "accept"), {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert body["detail"] == f"{three[0].reference} is accepted; it cannot become accepted."
    assert body["errors"] == {"non_field_errors": [body["detail"]]}


def test_a_guard_may_not_triage(world, api, three):
    signed_in(api, world.guard_a)
    response = api.post(url(three[0], "accept"), {}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only the provider's supervisors triage reports."


def test_request_info_and_close_need_their_text(world, api, three):
    signed_in(api, world.supervisor_a)
    response = api.post(url(three[0], "request-info"), {"comment": "  "}, format="json")
    assert response.json()["errors"] == {"comment": ["Say what information is missing."]}
    response = api.post(url(three[0], "close"), {}, format="json")
    assert response.json()["errors"] == {"resolution": ["This field is required."]}
    response = api.post(url(three[0], "close"), {"resolution": "x", "version": 7}, format="json")
    assert response.status_code == 409
    three[0].refresh_from_db()
    assert three[0].status == Status.SUBMITTED


# --- Timeline, notes, parties, vehicles --------------------------------------------------------


def test_timeline_and_notes(world, api, three):
    incident = three[0]
    signed_in(api, world.supervisor_a)
    response = api.post(url(incident, "notes"), {"text": "CCTV saved"}, format="json")
    assert response.status_code == 201
    assert response.json()["text"] == "CCTV saved"
    assert response.json()["author"]["id"] == world.supervisor_a.pk
    notes = api.get(url(incident, "notes")).json()
    assert [note["text"] for note in notes["results"]] == ["CCTV saved"]
    timeline = api.get(url(incident, "timeline")).json()["results"]
    assert [entry["kind"] for entry in timeline] == [
        TimelineEntry.Kind.CREATED,
        TimelineEntry.Kind.SUBMITTED,
        TimelineEntry.Kind.NOTE_ADDED,
    ]
    response = api.post(url(incident, "notes"), {"text": ""}, format="json")
    assert response.json()["errors"] == {"text": ["Write the note first."]}


def test_timeline_is_read_only(world, api, three):
    signed_in(api, world.supervisor_a)
    assert api.post(url(three[0], "timeline"), {}, format="json").status_code == 405


def test_parties_and_vehicles(world, api, three):
    incident = three[0]
    signed_in(api, world.guard_a)
    party = {"role": "witness", "description": "Shop assistant", "name": "Sam", "contact": "0700"}
    response = api.post(url(incident, "parties"), party, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "Sam"
    response = api.post(url(incident, "vehicles"), {"plate": "xy99 zzz"}, format="json")
    assert response.json()["plate"] == "XY99 ZZZ"
    assert api.get(url(incident, "parties")).json()["results"][0]["contact"] == "0700"
    assert api.get(url(incident, "vehicles")).json()["count"] == 1
    response = api.post(url(incident, "vehicles"), {}, format="json")
    assert response.json()["errors"] == {"vehicles": ["Give a plate or a description for each vehicle."]}


def test_personal_data_only_for_those_the_policy_allows(world, api):
    incident = report(
        world.guard_a,
        world.a1,
        parties=[services.PartyInput(role="victim", description="Cashier", name="Ana")],
    )
    signed_in(api, world.platform)  # sees the report, not the people's names
    data = api.get(url(incident)).json()
    assert data["parties"][0]["description"] == "Cashier"
    assert (data["parties"][0]["name"], data["parties"][0]["contact"]) == (None, None)
    assert api.get(url(incident, "parties")).json()["results"][0]["name"] is None
    signed_in(api, world.supervisor_a)
    assert api.get(url(incident)).json()["parties"][0]["name"] == "Ana"


# --- Categories and sites ----------------------------------------------------------------------


def test_categories_and_visible_sites(world, api):
    signed_in(api, world.guard_a)
    categories = api.get("/api/v1/categories/", {"page_size": 100}).json()["results"]
    fire = {"code": "fire", "name": "Fire / smoke", "apco_code": "ALRF", "default_severity": 1}
    assert {**fire, "cad_code": None} in categories  # a guard has no agency's CAD code
    assert api.get("/api/v1/categories/theft/").json()["name"] == "Theft / shoplifting"
    sites = api.get("/api/v1/sites/").json()["results"]
    assert [site["name"] for site in sites] == ["A1"]
    assert sites[0]["provider"]["id"] == str(world.provider_a.public_id)
    assert api.get(f"/api/v1/sites/{world.b1.pk}/").status_code == 404
    assert api.post("/api/v1/sites/", {}, format="json").status_code == 405


# --- Evidence ----------------------------------------------------------------------------------


def upload(api, incident, content, **fields):
    file = io.BytesIO(content)
    file.name = fields.pop("name", "photo.png")
    return api.post(url(incident, "evidence"), {"file": file, **fields}, format="multipart")


def test_evidence_upload_retrieve_and_download(world, api, three):
    incident = three[0]
    content = png_bytes()
    digest = hashlib.sha256(content).hexdigest()
    signed_in(api, world.guard_a)
    response = upload(api, incident, content, sha256=digest.upper(), description="Rack")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["sha256"], created["kind"], created["content_type"]) == (digest, "photo", "image/png")
    assert [event["action"] for event in created["custody"]] == [CustodyEvent.Action.UPLOADED]
    assert api.get(url(incident, "evidence")).json()["results"][0]["id"] == created["id"]

    signed_in(api, world.supervisor_a)
    download = api.get(f"/api/v1/evidence/{created['id']}/download/")
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == digest == Evidence.objects.get().sha256
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"].startswith("attachment;")
    assert 'filename="photo.png"' in download["Content-Disposition"]
    detail = api.get(f"/api/v1/evidence/{created['id']}/").json()
    assert detail["incident"] == str(incident.public_id)
    # The read itself is in the chain it returns.
    assert [event["action"] for event in detail["custody"]] == ["uploaded", "downloaded", "viewed"]
    assert detail["custody"][1]["actor"]["id"] == world.supervisor_a.pk


def test_evidence_reads_and_downloads_over_the_api_log_who_when_and_from_where(world, api, three):
    signed_in(api, world.guard_a)
    created = upload(api, three[0], png_bytes()).json()
    signed_in(api, world.supervisor_a)
    before = timezone.now()

    read = api.get(
        f"/api/v1/evidence/{created['id']}/", HTTP_USER_AGENT="ops-script/2", REMOTE_ADDR="192.0.2.90"
    )
    download = api.get(
        f"/api/v1/evidence/{created['id']}/download/",
        HTTP_USER_AGENT="ops-script/2",
        REMOTE_ADDR="192.0.2.91",
    )

    assert (read.status_code, download.status_code) == (200, 200)
    assert b"".join(download.streaming_content) == png_bytes()
    logged = list(Evidence.objects.get().custody.exclude(action=CustodyEvent.Action.UPLOADED))
    assert [(e.action, e.actor, e.ip_address, e.user_agent) for e in logged] == [
        (CustodyEvent.Action.VIEWED, world.supervisor_a, "192.0.2.90", "ops-script/2"),
        (CustodyEvent.Action.DOWNLOADED, world.supervisor_a, "192.0.2.91", "ops-script/2"),
    ]
    assert all(before <= e.at <= timezone.now() for e in logged)


def test_evidence_with_a_wrong_hash_or_content_is_refused_naming_the_file(world, api, three):
    signed_in(api, world.guard_a)
    response = upload(api, three[0], png_bytes(), sha256="0" * 64)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["file"]
    assert "SHA-256 does not match" in response.json()["detail"]
    response = upload(api, three[0], b"MZ\x90\x00 not a photo", name="photo.png")
    assert list(response.json()["errors"]) == ["file"]
    response = upload(api, three[0], png_bytes(), sha256="abc")
    assert response.json()["errors"] == {"sha256": ["Give the SHA-256 as 64 hexadecimal characters."]}
    assert not Evidence.objects.exists()


def test_an_oversize_upload_is_cut_off_while_streaming_and_refused(world, api, three, settings, monkeypatch):
    installed = []

    def spy(request):
        installed.append(request)
        uploads.install_upload_handlers(request)

    monkeypatch.setattr(incident_api, "install_upload_handlers", spy)
    settings.EVIDENCE_MAX_BYTES = 4096
    signed_in(api, world.guard_a)
    response = upload(api, three[0], png_bytes() + b"\0" * 8192)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["file"]
    assert "larger than the 4 KB limit" in response.json()["detail"]
    assert not Evidence.objects.exists()
    assert len(installed) == 1


def test_evidence_of_another_provider_is_not_found(world, api, three):
    signed_in(api, world.guard_a)
    created = upload(api, three[0], png_bytes()).json()
    signed_in(api, world.guard_b)
    assert api.get(f"/api/v1/evidence/{created['id']}/").status_code == 404
    assert api.get(f"/api/v1/evidence/{created['id']}/download/").status_code == 404
    assert upload(api, three[0], png_bytes()).status_code == 404
    assert not CustodyEvent.objects.exclude(action=CustodyEvent.Action.UPLOADED).exists()


# --- Schema and docs ---------------------------------------------------------------------------


def test_the_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    schema = (tmp_path / "schema.yaml").read_text()
    assert "/api/v1/incidents/{id}/request-info/" in schema
    assert "apiToken" in schema


def test_the_schema_and_docs_are_for_signed_in_people(client):
    # DRF's views skip the login rule of the pages: found by the access matrix.
    assert client.get("/api/schema/").status_code == 401
    assert client.get("/api/docs/").status_code == 302


def test_the_docs_are_served_from_the_sidecar(world, client):
    client.force_login(world.guard_a)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    hosts = set(re.findall(r"(?:src|href)=[\"']?(?:https?:)?//([^/\"' >]+)", html))
    assert hosts <= {"testserver"}, hosts
    assert client.get("/api/schema/").status_code == 200


def test_the_panic_category_is_refused_through_the_api_and_nothing_is_filed(world, api):
    """Only the panic button files a panic: a report in its category would look like an alarm and
    alert no one (the form does not offer it; the API refused nothing until now)."""
    signed_in(api, world.guard_a)
    response = api.post(INCIDENTS, new_report(world.a1, category="panic"), format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["errors"]["category"] == [PANIC_REFUSED]
    assert not Incident.objects.exists()


def test_a_report_cannot_be_moved_into_the_panic_category(world, api, three):
    draft = three[2]
    signed_in(api, world.guard_a)
    response = api.patch(url(draft), {"version": 1, "category": "panic"}, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["errors"]["category"] == [PANIC_REFUSED]
    draft.refresh_from_db()
    assert draft.category.code == "theft"
    assert draft.version == 1
