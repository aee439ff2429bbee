"""The dashboard's figures against hand-computed fixtures: each incident on its own site's calendar
(across both daylight-saving changes), drafts not counted, and each side counting only its own."""

from datetime import UTC, date, datetime

import pytest

from accounts.models import Role
from analytics.selectors import get_trends
from dispatch import services as dispatch_services
from tests.factories import AgencyFactory, ProviderFactory, SiteFactory, member, report

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 1)
SUNDAY, SATURDAY = 6, 5


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_each_incident_counts_on_its_sites_calendar_across_dst():
    site = SiteFactory(time_zone="America/New_York", name="Hudson Yard")
    guard = member(Role.GUARD, site.provider, sites=(site,))
    supervisor = member(Role.SUPERVISOR, site.provider)
    moments = [
        at(2026, 3, 8, 6, 30),  # 01:30 EST, Sunday: the hour before clocks go forward
        at(2026, 3, 8, 7, 30),  # 03:30 EDT: an hour later on the wall clock there is no 02:00
        at(2026, 11, 1, 5, 30),  # 01:30 EDT, Sunday, clocks go back at 02:00 ...
        at(2026, 11, 1, 6, 30),  # ... and 01:30 EST comes again: both in hour 01
        at(2026, 3, 1, 3, 0),  # March in UTC, but 22:00 on Saturday 28 February in New York
        at(2025, 3, 15, 12, 0),  # a year earlier: the comparison's only incident
    ]
    for moment in moments:
        report(guard, site, occurred_at=moment)
    report(guard, site, occurred_at=at(2026, 3, 9, 12, 0), submit=False)  # a draft: never counted

    trends = get_trends(for_user=supervisor, today=TODAY)

    months = {b.start: b for b in trends.months}
    assert trends.months[0].start == date(2026, 1, 1)
    assert months[date(2026, 3, 1)].count == 2
    assert months[date(2026, 3, 1)].previous == 1  # February's one
    assert months[date(2026, 3, 1)].last_year == 1
    assert months[date(2026, 2, 1)].count == 1
    assert months[date(2026, 11, 1)].count == 2
    assert sum(b.count for b in trends.months) == trends.total == 5
    assert trends.previous_total == 1
    assert trends.matrix[SUNDAY][1] == 3
    assert trends.matrix[SUNDAY][2] == 0
    assert trends.matrix[SUNDAY][3] == 1
    assert trends.matrix[SATURDAY][22] == 1
    assert sum(map(sum, trends.matrix)) == 5
    (hudson,) = trends.by_site
    assert (hudson.label, hudson.count, hudson.previous, hudson.change) == ("Hudson Yard", 5, 1, 4)
    assert [(s.label, s.count) for s in trends.by_category] == [("Theft / shoplifting", 5)]


def test_an_agency_counts_only_what_was_escalated_to_it():
    agency, stranger_agency = AgencyFactory(), AgencyFactory()
    partnered = SiteFactory(agency=agency, name="Partnered Plaza")
    unpartnered = SiteFactory(name="Other Provider Park", provider=ProviderFactory())
    guard = member(Role.GUARD, partnered.provider, sites=(partnered,))
    supervisor = member(Role.SUPERVISOR, partnered.provider)
    other_guard = member(Role.GUARD, unpartnered.provider, sites=(unpartnered,))
    escalated = report(guard, partnered, occurred_at=at(2026, 10, 5, 15, 0))
    report(guard, partnered, occurred_at=at(2026, 10, 6, 15, 0))  # kept by the provider
    report(other_guard, unpartnered, occurred_at=at(2026, 10, 7, 15, 0))
    dispatch_services.escalate_incident(incident=escalated, by=supervisor, reason="On camera.")

    liaison = member(Role.LIAISON, agency)
    theirs = get_trends(for_user=liaison, today=TODAY)
    assert theirs.total == 1
    assert [s.label for s in theirs.by_site] == ["Partnered Plaza"]
    assert get_trends(for_user=member(Role.LIAISON, stranger_agency), today=TODAY).total == 0
    assert get_trends(for_user=supervisor, today=TODAY).total == 2
    assert get_trends(for_user=guard, today=TODAY).total == 0  # guards see no analytics


def test_the_dashboard_draws_each_chart_with_its_table(client):
    site = SiteFactory(time_zone="America/Chicago")
    guard = member(Role.GUARD, site.provider, sites=(site,))
    supervisor = member(Role.SUPERVISOR, site.provider)
    report(guard, site, occurred_at=at(2026, 11, 20, 18, 0))
    client.force_login(supervisor)
    page = client.get("/analytics/").content.decode()
    for chart in ("months-chart", "weeks-chart", "matrix-chart"):
        assert f'id="{chart}"' in page
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in page
    assert page.count("data-table-view") == 4  # the map's clusters too
    assert "Friday 12:00 to 13:00 with 1 incidents" in page  # 18:00 UTC is noon in Chicago
    client.force_login(guard)
    assert client.get("/analytics/").status_code == 403
