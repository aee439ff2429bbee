"""Every category carries an APCO ANS 2.103.1 common incident-type code (migration 0008), a code a
platform admin set is kept both ways, and the API and the admin show each."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from incidents.models import Category

codes = importlib.import_module("incidents.migrations.0010_apco_codes_for_every_category")
pytestmark = pytest.mark.django_db


def test_every_category_has_an_apco_code():
    assert Category.objects.count() == 17
    assert list(Category.objects.filter(apco_code="").values_list("code", flat=True)) == []
    assert Category.objects.get(code="suspicious-vehicle").apco_code == "VEHSUSP"


def test_the_migration_goes_back_and_keeps_a_code_an_admin_chose():
    Category.objects.filter(code="theft").update(apco_code="SHOPLIFT")

    codes.remove_codes(apps, None)
    assert Category.objects.get(code="burglary").apco_code == ""
    assert Category.objects.get(code="fire").apco_code == "ALRF"  # migration 0002's, not this one's
    assert Category.objects.get(code="theft").apco_code == "SHOPLIFT"

    codes.add_codes(apps, None)
    assert Category.objects.get(code="burglary").apco_code == "BURGLARY"
    assert Category.objects.get(code="theft").apco_code == "SHOPLIFT"


def test_the_api_shows_every_categorys_apco_code(client, world):
    client.force_login(world.guard_a)

    listed = client.get(reverse("api:category-list")).json()
    rows = listed["results"] if isinstance(listed, dict) else listed

    assert len(rows) == Category.objects.filter(is_active=True).count()
    assert all(row["apco_code"] for row in rows)


def test_the_admin_lists_every_categorys_apco_code_and_a_platform_admin_changes_it(client, world):
    world.platform.is_superuser = True
    world.platform.save()
    client.force_login(world.platform)

    page = client.get(reverse("admin:incidents_category_changelist")).content.decode()

    assert "APCO code" in page
    for code in Category.objects.values_list("apco_code", flat=True):
        assert code in page
    theft = Category.objects.get(code="theft")
    response = client.post(
        reverse("admin:incidents_category_change", args=[theft.pk]),
        {
            "name": theft.name,
            "code": theft.code,
            "apco_code": "SHOPLIFT",
            "default_severity": theft.default_severity or "",
            "position": theft.position,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    theft.refresh_from_db()
    assert theft.apco_code == "SHOPLIFT"
