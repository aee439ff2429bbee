"""The bulletins API: each tenant sees its own, a provider not partnered with the agency nothing."""

import pytest

from bulletins import selectors
from bulletins.models import Bulletin
from bulletins.services import publish_bulletin
from tests.bulletins.conftest import bolo

pytestmark = pytest.mark.django_db


def test_the_guard_lists_the_live_bulletins_of_their_sites(client, world, published):
    client.force_login(world.guard_a)
    body = client.get("/api/v1/bulletins/").json()
    assert [b["id"] for b in body["results"]] == [str(published.public_id)]
    assert body["results"][0]["sites"] == ["A1"]  # only the guard's own site, not A2's name
    assert body["results"][0]["plate"] == "AB12 CDE"


def test_another_provider_gets_nothing_and_cannot_find_it(client, world, published):
    client.force_login(world.guard_b)
    assert client.get("/api/v1/bulletins/").json()["results"] == []
    assert client.get("/api/v1/bulletins/?all=1&q=AB12").json()["results"] == []
    assert client.get(f"/api/v1/bulletins/{published.public_id}/").status_code == 404
    assert client.post(f"/api/v1/bulletins/{published.public_id}/read/").status_code == 404


def test_the_agency_sees_its_own_with_every_site(client, world, published):
    publish_bulletin(
        by=world.liaison_y, data=bolo(title="Y's own"), audience=Bulletin.Audience.SITES, sites=[world.b1]
    )
    client.force_login(world.liaison_x)
    results = client.get("/api/v1/bulletins/").json()["results"]
    assert [(b["title"], b["sites"]) for b in results] == [(published.title, ["A1", "A2"])]


def test_a_read_receipt_through_the_api(client, world, published):
    client.force_login(world.guard_a)
    assert client.post(f"/api/v1/bulletins/{published.public_id}/read/").status_code == 201
    assert selectors.has_read(bulletin=published, user=world.guard_a)
    client.force_login(world.liaison_x)
    assert client.post(f"/api/v1/bulletins/{published.public_id}/read/").status_code == 403


def test_provider_admins_are_refused(client, world):
    client.force_login(world.admin_a)
    assert client.get("/api/v1/bulletins/").status_code == 403


def test_a_search_no_column_can_hold_is_refused_with_a_message(client, world, published):
    """Found by the schema fuzzer on PostgreSQL: a NUL in ?q= was a 500 (text columns refuse NUL)."""
    client.force_login(world.guard_a)
    response = client.get("/api/v1/bulletins/", {"q": "AB\x0012"})
    assert response.status_code == 400
    assert "NUL" in response.json()["errors"]["q"][0]
    page = client.get("/bulletins/", {"q": "AB\x0012"})
    assert page.status_code == 200
    assert "Remove the control character (NUL)" in page.content.decode()
