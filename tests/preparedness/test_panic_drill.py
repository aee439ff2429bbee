"""The panic bar during a drill at the guard's site: it offers "drill", clearly marked EXERCISE and
unticked; a press without it stays real (REAL), with it an exercise; no drill, no toggle."""

import re
import uuid

import pytest
from django.urls import reverse

from incidents.models import Incident

pytestmark = pytest.mark.django_db
Exercise = Incident.Exercise
TOGGLE = re.compile(r'<label class="panic-drill[^"]*"[^>]*>(.*?)</label>', re.S)


def _press(client, site, **extra):
    data = {"idempotency_key": str(uuid.uuid4()), "site": site.pk, **extra}
    return client.post(reverse("dispatch:panic"), data, HTTP_ACCEPT="application/json")


def test_no_drill_no_drill_toggle(world, client):
    client.force_login(world.guard_a)
    page = client.get(reverse("incidents:list")).content.decode()
    assert "data-panic-button" in page
    assert not TOGGLE.search(page)


def test_during_a_drill_the_panic_bar_offers_drill_unticked_and_a_plain_press_stays_real(
    world, drill, client
):
    client.force_login(world.guard_a)
    page = client.get(reverse("incidents:list")).content.decode()
    toggle = TOGGLE.search(page)
    assert toggle is not None
    label = toggle.group(1)
    assert 'name="as_drill" value="1"' in label
    assert "checked" not in label  # a real panic is the default
    assert "EXERCISE" in label
    assert f"Drill panic: {world.a1}" in label

    real = _press(client, world.a1)
    assert real.status_code == 201
    assert Incident.objects.get(public_id=real.json()["incident"]).exercise == Exercise.REAL

    drilled = _press(client, world.a1, as_drill="1")
    assert drilled.status_code == 201
    assert Incident.objects.get(public_id=drilled.json()["incident"]).exercise == Exercise.EXERCISE


def test_the_toggle_is_only_for_guards_whose_site_has_a_drill(world, drill, client):
    client.force_login(world.guard_b)  # provider B's guard: no drill at b1
    assert not TOGGLE.search(client.get(reverse("incidents:list")).content.decode())
