"""APCO codes and an agency's own CAD codes: the categories API shows every category's APCO code and,
to an agency's liaisons and admins (their token or their session), the agency's own CAD code; the
agency's org admins map them on a page (liaisons read it), every change audited, bad input refused."""

import pytest
from django.urls import reverse

from accounts import services as account_services
from accounts.models import ApiToken
from audit.models import AuditEvent
from dispatch.models import AgencyCadCode
from incidents.models import Category

pytestmark = pytest.mark.django_db
PAGE = "/cad-codes/"


def _token(user, by=None) -> str:
    return account_services.issue_api_token(user=user, by=by or user, name="CAD", scope=ApiToken.Scope.READ)[
        1
    ]


def _categories(client, token: str) -> dict[str, dict]:
    response = client.get(reverse("api:category-list"), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    rows = response.json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    return {row["code"]: row for row in rows}


@pytest.fixture
def mapped(world):
    theft = Category.objects.get(code="theft")
    AgencyCadCode.objects.create(agency=world.agency_x, category=theft, cad_code="484")
    AgencyCadCode.objects.create(agency=world.agency_y, category=theft, cad_code="THEFT-Y")
    return theft


def test_the_api_shows_every_categorys_apco_code_and_the_agencys_own_cad_code(client, world, mapped):
    rows = _categories(client, _token(world.liaison_x))

    assert len(rows) == Category.objects.filter(is_active=True).count()
    assert all(row["apco_code"] for row in rows.values())
    assert rows["theft"]["apco_code"] == mapped.apco_code
    assert rows["theft"]["cad_code"] == "484"
    assert {row["cad_code"] for code, row in rows.items() if code != "theft"} == {None}
    assert _categories(client, _token(world.liaison_y))["theft"]["cad_code"] == "THEFT-Y"


def test_one_category_by_its_code_carries_the_cad_code_too(client, world, mapped):
    response = client.get(
        reverse("api:category-detail", kwargs={"code": "theft"}),
        HTTP_AUTHORIZATION=f"Bearer {_token(world.liaison_x)}",
    )
    assert response.json()["cad_code"] == "484"


def test_the_provider_side_sees_no_agencys_cad_code(client, world, mapped):
    rows = _categories(client, _token(world.guard_a, by=world.admin_a))
    assert rows["theft"]["apco_code"]
    assert rows["theft"]["cad_code"] is None


def test_the_agency_admin_maps_categories_to_its_cad_codes_on_the_page(client, world, mapped):
    client.force_login(world.admin_x)
    assert f'href="{PAGE}"'.encode() in client.get("/").content  # linked from the navigation
    page = client.get(PAGE)
    assert page.status_code == 200
    assert b'value="484"' in page.content

    response = client.post(PAGE, {"cad-theft": "", "cad-assault": " 242 ", "cad-trespass": "602"})

    assert response.status_code == 302
    assert dict(
        AgencyCadCode.objects.filter(agency=world.agency_x).values_list("category__code", "cad_code")
    ) == {"assault": "242", "trespass": "602"}
    assert AgencyCadCode.objects.get(agency=world.agency_y).cad_code == "THEFT-Y"  # another agency's
    event = AuditEvent.objects.get(action="cad_codes.saved")
    assert event.data["changed"] == {"theft": "", "assault": "242", "trespass": "602"}
    assert _categories(client, _token(world.liaison_x))["assault"]["cad_code"] == "242"


def test_a_code_too_long_is_refused_with_its_category_and_nothing_changes(client, world, mapped):
    client.force_login(world.admin_x)

    response = client.post(PAGE, {"cad-theft": "", "cad-assault": "9" * 41})

    assert response.status_code == 400
    assert "40 characters" in response.content.decode()
    assert list(AgencyCadCode.objects.filter(agency=world.agency_x).values_list("cad_code", flat=True)) == [
        "484"
    ]
    assert not AuditEvent.objects.filter(action="cad_codes.saved").exists()


def test_a_liaison_reads_the_codes_but_may_not_change_them(client, world, mapped):
    client.force_login(world.liaison_x)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert b"484" in page.content
    assert b"<input" not in page.content.split(b"<table")[1]

    assert client.post(PAGE, {"cad-theft": "999"}).status_code == 403
    assert AgencyCadCode.objects.get(agency=world.agency_x).cad_code == "484"


@pytest.mark.parametrize("who", ["supervisor_a", "admin_a", "guard_a"])
def test_the_provider_side_has_no_cad_code_page(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(PAGE).status_code == 403
