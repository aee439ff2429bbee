"""The audit trail is its reader's own view: its times and its days are in the reader's zone."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from audit import services

# 23:30 on 10 March in Chicago (CDT) is 04:30 on 11 March in UTC.
LATE_IN_CHICAGO = datetime(2026, 3, 11, 4, 30, tzinfo=UTC)


@pytest.fixture
def late_record(world, monkeypatch):
    world.provider_a.time_zone = "America/Chicago"
    world.provider_a.save(update_fields=["time_zone"])
    with monkeypatch.context() as patch:
        patch.setattr("django.utils.timezone.now", lambda: LATE_IN_CHICAGO)
        services.record(action="test.late", actor=world.guard_a)


@pytest.mark.parametrize(("day", "listed"), [("2026-03-10", True), ("2026-03-11", False)])
def test_a_day_in_the_trail_s_filter_is_the_reader_s_day(client, world, late_record, day, listed):
    client.force_login(world.admin_a)
    page = client.get(reverse("audit:trail"), {"since": day, "until": day})
    assert page.status_code == 200
    assert ("test.late" in page.text) is listed


def test_the_trail_shows_the_reader_s_local_time_with_its_zone(client, world, late_record, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 6, 1, tzinfo=UTC))
    client.force_login(world.admin_a)
    page = client.get(reverse("audit:trail"), {"action": "test."}).text
    assert "Tue 10 Mar 23:30:00 CDT" in page
    assert "Times in America/Chicago" in page
    world.admin_a.time_zone = "Pacific/Auckland"
    world.admin_a.save(update_fields=["time_zone"])
    page = client.get(reverse("audit:trail"), {"action": "test."}).text
    assert "Wed 11 Mar 17:30:00 NZDT" in page
    listed = client.get(reverse("audit:trail"), {"since": "2026-03-11", "until": "2026-03-11"}).text
    assert "test.late" in listed
