"""Debriefs and corrective actions are a site's events: their stamps, due days and "overdue" read
in the site's zone, whoever looks."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from debriefs.models import CorrectiveAction, Debrief
from tests.factories import report

# 04:30 UTC on 11 March: still 10 March (23:30 CDT) in Chicago, already 11 March (17:30 NZDT) in Auckland.
NOW = datetime(2026, 3, 11, 4, 30, tzinfo=UTC)


@pytest.fixture
def zoned(world, monkeypatch):
    """Site a1 in Chicago, a2 in Auckland, and the clock at NOW."""
    for site, name in ((world.a1, "America/Chicago"), (world.a2, "Pacific/Auckland")):
        site.time_zone = name
        site.save(update_fields=["time_zone"])
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    return world


def _add_action(client, incident, owner, due):
    return client.post(
        reverse("debriefs:add_action", args=[incident.public_id]),
        {"what": "Lock the rack", "owner": owner.pk, "due_date": due},
        follow=True,
    )


def test_a_due_date_is_in_the_past_by_the_site_s_calendar(client, zoned):
    world = zoned
    chicago = report(world.guard_a, world.a1)
    auckland = report(world.supervisor_a, world.a2)
    client.force_login(world.supervisor_a)
    # 10 March is today in Chicago (UTC would call it yesterday) ...
    _add_action(client, chicago, world.guard_a, "2026-03-10")
    assert CorrectiveAction.objects.filter(incident=chicago, due_date=date(2026, 3, 10)).exists()
    # ... and yesterday in Auckland (UTC would call it today).
    page = _add_action(client, auckland, world.supervisor_a, "2026-03-10")
    assert "The due date cannot be in the past: it is 11 Mar 2026 at A2." in page.text
    assert not CorrectiveAction.objects.filter(incident=auckland).exists()


def test_overdue_means_past_due_at_the_action_s_own_site(client, zoned):
    world = zoned
    for site, reporter, what in (
        (world.a1, world.guard_a, "Chicago rack"),
        (world.a2, world.supervisor_a, "Auckland gate"),
    ):
        CorrectiveAction.objects.create(
            incident=report(reporter, site),
            what=what,
            owner=world.supervisor_a,
            due_date=date(2026, 3, 10),
            created_by=world.supervisor_a,
        )
    client.force_login(world.supervisor_a)
    page = client.get(reverse("debriefs:actions")).text
    overdue, open_actions = page.split('id="open-heading"')
    assert "Auckland gate" in overdue
    assert "Chicago rack" not in overdue
    assert "Chicago rack" in open_actions
    # Each due day names the zone whose calendar it is.
    assert "10 Mar 2026 (CDT)" in open_actions
    assert "10 Mar 2026 (NZDT)" in open_actions


def test_debrief_stamps_are_in_the_site_s_time_for_every_reader(client, world, drafted, monkeypatch):
    site = drafted.incident.site
    site.time_zone = "Pacific/Auckland"
    site.save(update_fields=["time_zone"])
    world.supervisor_a.time_zone = "America/Chicago"
    world.supervisor_a.save(update_fields=["time_zone"])
    Debrief.objects.filter(pk=drafted.pk).update(
        pdf_status=Debrief.Pdf.READY,
        pdf_sha256="0" * 64,
        pdf_generated_at=datetime(2026, 1, 15, 10, 5, tzinfo=UTC),
    )
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 1, 15, 10, 6, 30, tzinfo=UTC))
    client.force_login(world.supervisor_a)
    page = client.get(reverse("debriefs:detail", args=[drafted.public_id])).text
    assert "generated Thu 15 Jan 23:05 NZDT" in page  # the PDF's stamp (this year's: no year)
    assert "generated Thu 15 Jan 23:06:30 NZDT" in page  # the document's own
    assert "CST" not in page.split("<main")[1].split("</main>")[0]
