"""The site-day rule: a date in an incident list's filter is the calendar day at each incident's own
site, on the page and in the API alike, and a list's times are shown in the site's zone."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from incidents.models import Incident
from tests.factories import report
from tests.incidents.test_views import report_data

# 23:30 on 10 March in Chicago (CDT) is already 11 March in UTC; 00:30 on 11 March in Auckland
# (NZDT) is still 10 March in UTC. UTC midnights would file each under the other day.
LATE_IN_CHICAGO = datetime(2026, 3, 11, 4, 30, tzinfo=UTC)
EARLY_IN_AUCKLAND = datetime(2026, 3, 10, 11, 30, tzinfo=UTC)


@pytest.fixture
def two_zones(world):
    world.a1.time_zone = "America/Chicago"
    world.a1.save(update_fields=["time_zone"])
    world.a2.time_zone = "Pacific/Auckland"
    world.a2.save(update_fields=["time_zone"])
    chicago = report(world.guard_a, world.a1, narrative="Late shoplifting at the mall")
    auckland = report(world.supervisor_a, world.a2, narrative="Early alarm at the depot")
    Incident.objects.filter(pk=chicago.pk).update(received_at=LATE_IN_CHICAGO)
    Incident.objects.filter(pk=auckland.pk).update(received_at=EARLY_IN_AUCKLAND)
    return chicago, auckland


@pytest.mark.parametrize(
    ("day", "found", "missing"),
    [("2026-03-10", 0, 1), ("2026-03-11", 1, 0)],
)
def test_the_list_cuts_days_at_each_site_s_midnight(client, world, two_zones, day, found, missing):
    client.force_login(world.supervisor_a)
    page = client.get(reverse("incidents:list"), {"received_from": day, "received_to": day})
    assert page.status_code == 200
    assert two_zones[found].reference in page.text
    assert two_zones[missing].reference not in page.text


def test_an_open_ended_range_uses_the_site_s_midnight_too(client, world, two_zones):
    client.force_login(world.supervisor_a)
    since = client.get(reverse("incidents:list"), {"received_from": "2026-03-11"}).text
    until = client.get(reverse("incidents:list"), {"received_to": "2026-03-10"}).text
    chicago, auckland = two_zones
    assert auckland.reference in since
    assert chicago.reference not in since
    assert chicago.reference in until
    assert auckland.reference not in until


def test_the_list_shows_each_incident_in_its_site_s_time(client, world, two_zones):
    client.force_login(world.supervisor_a)
    page = client.get(reverse("incidents:list")).text
    assert "10 Mar 23:30 CDT" in page
    assert "11 Mar 00:30 NZDT" in page


@pytest.mark.parametrize(
    ("day", "found"),
    [("2026-03-10", 0), ("2026-03-11", 1)],
)
def test_the_api_filters_by_the_site_s_day(world, two_zones, day, found):
    api = APIClient()
    api.force_login(world.supervisor_a)
    response = api.get("/api/v1/incidents/", {"received_from": day, "received_to": day})
    assert response.status_code == 200
    assert [item["reference"] for item in response.json()["results"]] == [two_zones[found].reference]
    # The API's own times stay instants in UTC, whoever asks.
    response = api.get(f"/api/v1/incidents/{two_zones[found].public_id}/")
    assert response.json()["received_at"].endswith("Z")


def test_the_guard_s_own_list_follows_the_same_rule(client, world, two_zones):
    client.force_login(world.guard_a)
    page = client.get(reverse("incidents:list"), {"received_from": "2026-03-10", "received_to": "2026-03-10"})
    assert two_zones[0].reference in page.text
    page = client.get(reverse("incidents:list"), {"received_from": "2026-03-11", "received_to": "2026-03-11"})
    assert two_zones[0].reference not in page.text


def test_a_report_s_time_is_the_site_s_wall_clock_whatever_the_reader_s_zone(client, world):
    """02:30 on 8 March does not exist in Chicago (DST starts) but does in London, where a1 is."""
    world.guard_a.time_zone = "America/Chicago"
    world.guard_a.save(update_fields=["time_zone"])
    client.force_login(world.guard_a)
    response = client.post(reverse("incidents:report"), report_data(world, occurred_at="2026-03-08T02:30"))
    assert response.status_code == 302
    assert Incident.objects.get().occurred_at == datetime(2026, 3, 8, 2, 30, tzinfo=UTC)
