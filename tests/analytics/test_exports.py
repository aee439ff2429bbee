"""The incidents' CSV export: the list's filters, each side's own incidents, formula-looking cells
neutralised, an audit record for every export, bad filters refused, and a stream (never one body)."""

import csv
import io
import tracemalloc

import pytest
from django.utils import timezone

from accounts.models import Role
from analytics.exports import csv_lines, neutralise
from audit.models import AuditEvent
from dispatch import services as dispatch_services
from incidents.models import Incident
from tests.factories import AgencyFactory, SiteFactory, member, report

pytestmark = pytest.mark.django_db


def rows_of(response) -> list[list[str]]:
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("a = b", "a = b"),
        ("", ""),
    ],
)
def test_formula_starts_are_neutralised(cell, written):
    assert neutralise(cell) == written


def test_the_export_has_the_lists_filters_and_only_what_the_user_sees(client):
    agency = AgencyFactory()
    site = SiteFactory(agency=agency, name="Mall", time_zone="America/Chicago")
    guard = member(Role.GUARD, site.provider, sites=(site,))
    supervisor = member(Role.SUPERVISOR, site.provider)
    hostile = report(guard, site, narrative="=cmd|' /C calc'!A0", location="@A1", severity=1)
    report(guard, site, narrative="Quiet night, one broken lamp.", severity=3)
    report(guard, site, narrative="Not sent yet.", submit=False)
    other = SiteFactory(name="Elsewhere")
    report(member(Role.GUARD, other.provider, sites=(other,)), other, narrative="Another provider's.")

    client.force_login(supervisor)
    rows = rows_of(client.get("/analytics/export/incidents.csv"))
    assert rows[0][0] == "Reference"
    assert sorted(r[7] for r in rows[1:]) == ["'=cmd|' /C calc'!A0", "Quiet night, one broken lamp."]
    (only,) = rows_of(client.get("/analytics/export/incidents.csv?severity=1"))[1:]
    assert only[0] == hostile.reference
    assert only[6] == "'@A1"
    assert only[1].endswith(("-06:00", "-05:00"))  # the site's time, with its offset
    exported = AuditEvent.objects.filter(action="export.incidents_csv", actor=supervisor)
    assert exported.count() == 2
    assert exported.order_by("-id").first().data == {"filters": {"severity": "1"}}

    dispatch_services.escalate_incident(incident=hostile, by=supervisor, reason="Help.")
    client.force_login(member(Role.LIAISON, agency))
    assert [r[0] for r in rows_of(client.get("/analytics/export/incidents.csv"))[1:]] == [hostile.reference]


def test_bad_filters_are_refused_with_a_message_and_not_audited(client):
    site = SiteFactory()
    client.force_login(member(Role.SUPERVISOR, site.provider))
    response = client.get("/analytics/export/incidents.csv?severity=9&received_from=yesterday")
    assert response.status_code == 400
    body = response.content.decode()
    assert "nothing was exported" in body
    assert "severity" in body
    assert "received_from" in body
    assert not AuditEvent.objects.filter(action__startswith="export.").exists()
    client.force_login(member(Role.GUARD, site.provider, sites=(site,)))
    assert client.get("/analytics/export/incidents.csv").status_code == 403


def test_lines_are_produced_one_at_a_time_in_constant_memory():
    """100,000 rows through the writer: the peak memory stays that of a few lines, not of the file."""
    site = SiteFactory()
    incident = Incident(
        site=site,
        reference="WP-2026-000001",
        status=Incident.Status.CLOSED,
        location="Gate",
        narrative="x" * 200,
        received_at=timezone.now(),
    )
    tracemalloc.start()
    size = sum(len(line) for line in csv_lines(incident for _ in range(100_000)))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert size > 100_000 * 200  # more than 20 MB of CSV went through ...
    assert peak < 1_000_000  # ... in under 1 MB of memory at any moment
