"""The trends' rollup (analytics/counts.py) against the plain aggregate: the same figures on the
hand-computed fixtures (both daylight-saving changes, a site already in tomorrow, drafts and drills
left out), each provider counting only its own, and kept by the follow-ups of a sent, edited or
moved report once it is built."""

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from analytics import counts
from analytics.models import CountedIncident, IncidentCount
from analytics.selectors import (
    get_hotspot_map,
    get_hotspots,
    get_trends,
    rising_sites,
    trends_from_counts,
    trends_from_incidents,
)
from incidents import services as incident_services
from incidents.models import Category, Incident
from tests.factories import AgencyFactory, ProviderFactory, SiteFactory, UserFactory, member, report

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 1)
SUNDAY = 6


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def fixtures():
    """New York's incidents across both DST changes (as tests/analytics/test_selectors.py), a Tokyo
    site whose 1 December 2026 01:00 is still 30 November in UTC and whose 2 December is already
    'tomorrow' for a viewer on 1 December, another provider's, a draft and a drill."""
    new_york = SiteFactory(time_zone="America/New_York", name="Hudson Yard")
    tokyo = SiteFactory(time_zone="Asia/Tokyo", name="Ginza Arcade", provider=new_york.provider)
    guard = member(Role.GUARD, new_york.provider, sites=(new_york, tokyo))
    supervisor = member(Role.SUPERVISOR, new_york.provider)
    moments = [at(2026, 3, 8, 6, 30), at(2026, 3, 8, 7, 30), at(2026, 11, 1, 5, 30), at(2026, 11, 1, 6, 30)]
    moments += [at(2026, 3, 1, 3, 0), at(2025, 3, 15, 12, 0), at(2024, 12, 20, 12, 0)]
    for moment in moments:
        report(guard, new_york, occurred_at=moment)
    burglary = Category.objects.get(code="burglary")
    report(guard, tokyo, occurred_at=at(2026, 11, 30, 16, 0), category=burglary, severity=1)  # 1 Dec 01:00
    report(guard, tokyo, occurred_at=at(2026, 12, 1, 16, 0))  # 2 December in Tokyo: after today
    report(guard, new_york, occurred_at=at(2026, 3, 9, 12, 0), submit=False)  # a draft
    drill = report(guard, new_york, occurred_at=at(2026, 5, 5, 12, 0))
    Incident.objects.filter(pk=drill.pk).update(exercise=Incident.Exercise.EXERCISE)
    elsewhere = SiteFactory(time_zone="Europe/Paris", name="Other Provider Park", provider=ProviderFactory())
    other_guard = member(Role.GUARD, elsewhere.provider, sites=(elsewhere,))
    report(other_guard, elsewhere, occurred_at=at(2026, 6, 1, 9, 0))
    return supervisor, new_york.provider, elsewhere.provider


def test_the_rollup_gives_the_plain_aggregates_figures():
    supervisor, provider, other = fixtures()
    admin = UserFactory(is_staff=True)
    call_command("rebuild_incident_counts", stdout=StringIO())

    mine = trends_from_counts(providers=[provider.pk], today=TODAY)
    assert mine == trends_from_incidents(for_user=supervisor, today=TODAY)
    assert trends_from_counts(providers=[], today=TODAY) == trends_from_incidents(for_user=admin, today=TODAY)
    # The hand-computed figures (test_selectors' six, plus Tokyo's 1 December; not its 2 December).
    assert mine.total == 6
    assert mine.previous_total == 1
    assert mine.matrix[SUNDAY][1] == 3
    assert mine.matrix[1][1] == 1  # Tuesday 1 December, 01:00 in Tokyo
    assert {s.label: s.count for s in mine.by_site} == {"Hudson Yard": 5, "Ginza Arcade": 1}
    assert {s.label: s.count for s in mine.by_severity}["1 · Life-threatening"] == 1
    assert mine.months[-1].count == 1
    # Each provider's own only; the draft, the drill and the other provider's never in the provider's rows.
    assert CountedIncident.objects.filter(provider=provider).count() == 9  # New York's 7, Tokyo's 2
    assert not CountedIncident.objects.filter(incident__exercise=Incident.Exercise.EXERCISE).exists()
    assert not CountedIncident.objects.filter(incident__status=Incident.Status.DRAFT).exists()
    theirs = trends_from_counts(providers=[other.pk], today=TODAY)
    assert [s.label for s in theirs.by_site] == ["Other Provider Park"]
    assert theirs.total == 1


def test_the_trends_read_the_rollup_once_it_is_built_and_agencies_never():
    supervisor, _, _ = fixtures()
    agency = AgencyFactory()
    liaison = member(Role.LIAISON, agency)
    plain = get_trends(for_user=supervisor, today=TODAY)
    with CaptureQueriesContext(connection) as before:
        get_trends(for_user=supervisor, today=TODAY)
    assert not any(IncidentCount._meta.db_table in q["sql"] for q in before.captured_queries)
    counts.rebuild()
    with CaptureQueriesContext(connection) as after:
        assert get_trends(for_user=supervisor, today=TODAY) == plain
    assert any(IncidentCount._meta.db_table in q["sql"] for q in after.captured_queries)
    assert not any(
        Incident._meta.db_table + '"' in q["sql"].split("FROM")[-1] for q in after.captured_queries
    )
    with CaptureQueriesContext(connection) as agency_reads:
        assert get_trends(for_user=liaison, today=TODAY).total == 0
    assert not any(IncidentCount._meta.db_table in q["sql"] for q in agency_reads.captured_queries)


def test_a_sent_edited_or_moved_report_is_counted_again(eager, django_capture_on_commit_callbacks):
    supervisor, provider, _ = fixtures()
    counts.rebuild()
    site = SiteFactory(provider=provider, time_zone="Asia/Tokyo", name="Shibuya Depot")
    guard = member(Role.GUARD, provider, sites=(site,))
    with django_capture_on_commit_callbacks(execute=True):
        draft = report(guard, site, occurred_at=at(2026, 10, 10, 20, 0), submit=False)
    assert not CountedIncident.objects.filter(incident=draft).exists()  # a draft counts nowhere
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.submit_incident(incident=draft, by=guard)
    assert CountedIncident.objects.get(incident=draft).day == date(2026, 10, 11)  # 05:00 next day there
    assert get_trends(for_user=supervisor, today=TODAY) == trends_from_incidents(
        for_user=supervisor, today=TODAY
    )
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.update_incident(
            incident=Incident.objects.get(pk=draft.pk), by=supervisor, expected_version=None,
            occurred_at=at(2025, 12, 31, 12, 0), severity=4,
        )  # fmt: skip
    assert CountedIncident.objects.get(incident=draft).day == date(2025, 12, 31)
    figures = get_trends(for_user=supervisor, today=TODAY)
    assert figures == trends_from_incidents(for_user=supervisor, today=TODAY)
    assert not IncidentCount.objects.filter(provider=provider, start=date(2026, 10, 11)).exists()
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.move_incident(
            incident=Incident.objects.get(pk=draft.pk), by=supervisor, site=SiteFactory(
                provider=provider, time_zone="America/Los_Angeles", name="Venice Pier"
            ),
        )  # fmt: skip
    assert CountedIncident.objects.get(incident=draft).day == date(2025, 12, 31)  # 04:00 there
    assert get_trends(for_user=supervisor, today=TODAY) == trends_from_incidents(
        for_user=supervisor, today=TODAY
    )


def test_counting_again_changes_nothing():
    supervisor, provider, _ = fixtures()
    counts.rebuild()
    rows = sorted(
        IncidentCount.objects.values_list("provider_id", "period", "start", "dimension", "key", "count")
    )
    ids = list(Incident.objects.values_list("pk", flat=True))
    counts.count_incidents(incident_ids=ids)
    counts.recount({(provider.pk, date(2026, 3, 8))})
    assert (
        sorted(
            IncidentCount.objects.values_list("provider_id", "period", "start", "dimension", "key", "count")
        )
        == rows
    )
    assert get_trends(for_user=supervisor, today=TODAY) == trends_from_incidents(
        for_user=supervisor, today=TODAY
    )


def test_the_sweep_recounts_a_bucket_a_follow_up_left_behind():
    supervisor, provider, _ = fixtures()
    counts.rebuild()
    IncidentCount.objects.filter(provider=provider, start__gte=date(2026, 11, 1)).delete()  # a lost recount
    assert get_trends(for_user=supervisor, today=TODAY) != trends_from_incidents(
        for_user=supervisor, today=TODAY
    )
    counts.count_recent(since=timezone.now() - counts.RECENT)
    assert get_trends(for_user=supervisor, today=TODAY) == trends_from_incidents(
        for_user=supervisor, today=TODAY
    )


def test_the_hotspots_and_the_map_read_the_rollup_with_the_same_figures():
    supervisor, provider, _ = fixtures()
    site = SiteFactory(name="Harbour Mall", time_zone="Asia/Tokyo", provider=provider, latitude="35.660000")
    guard = member(Role.GUARD, provider, sites=(site,))
    noon = datetime(2026, 12, 1, 12, tzinfo=UTC)
    for window in range(1, 14):  # one a window at the gate for a year, then eight in the latest 28 days
        report(guard, site, occurred_at=noon - timedelta(days=28 * window + 3), location=" Gate ")
    for n in range(8):
        report(guard, site, occurred_at=noon - timedelta(days=n * 3), location="Gate", latitude="35.660400",
               longitude="139.700600")  # fmt: skip
    report(guard, site, occurred_at=noon - timedelta(days=2), latitude="35.660600", longitude="139.700400")
    report(guard, site, occurred_at=noon - timedelta(days=27, hours=15), location="Loading bay")  # the edge
    since = noon - timedelta(days=90)
    spots = get_hotspots(for_user=supervisor, today=TODAY)
    rising = rising_sites(for_user=supervisor, today=TODAY)
    on_map = get_hotspot_map(for_user=supervisor, since=since)
    assert [r.place for r in spots.rising] == ["Harbour Mall", "Harbour Mall · Gate"]
    assert [(c.latitude, c.longitude, c.count) for c in on_map[0]][:2] == [
        (35.66, 139.701, 8),
        (35.661, 139.7, 1),
    ]
    counts.rebuild()
    with CaptureQueriesContext(connection) as reads:
        assert get_hotspots(for_user=supervisor, today=TODAY) == spots
        assert rising_sites(for_user=supervisor, today=TODAY) == rising
        assert get_hotspot_map(for_user=supervisor, since=since) == on_map
    read = " ".join(q["sql"] for q in reads.captured_queries)
    assert CountedIncident._meta.db_table in read
    assert f'"{Incident._meta.db_table}"' not in read  # not one incident read
