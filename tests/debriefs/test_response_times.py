"""Response times against targets: p50 and p90 (nearest rank), the share within target, the target's
own percentile deciding met or missed, site targets over agency targets over the defaults, and each
side counting only its own escalations."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from debriefs.models import Interval, ResponseTarget
from debriefs.selectors import get_response_times
from dispatch import services as dispatch_services
from dispatch.models import Escalation
from incidents.models import Incident
from tests.factories import AgencyFactory, SiteFactory, member, report

pytestmark = pytest.mark.django_db


def escalations(site, seconds_to_accept: list[int]) -> None:
    """Escalations of ``site`` accepted after the given seconds (stamps set after the services ran)."""
    guard = member(Role.GUARD, site.provider, sites=(site,))
    supervisor = member(Role.SUPERVISOR, site.provider)
    liaison = member(Role.LIAISON, site.agency)
    start = timezone.now() - timedelta(days=10)
    for seconds in seconds_to_accept:
        incident = report(guard, site)
        escalation = dispatch_services.escalate_incident(incident=incident, by=supervisor, reason="Help.")
        dispatch_services.accept_escalation(escalation=escalation, by=liaison)
        Escalation.objects.filter(pk=escalation.pk).update(
            requested_at=start, accepted_at=start + timedelta(seconds=seconds)
        )


def acceptance(figures, group):
    (figure,) = [f for f in figures if f.group == group and f.interval == Interval.ACCEPTANCE]
    return figure


def test_percentiles_share_and_the_targets_own_percentile():
    agency = AgencyFactory(name="County Police")
    plaza = SiteFactory(agency=agency, name="Plaza")
    depot = SiteFactory(agency=agency, name="Depot", provider=plaza.provider)
    escalations(plaza, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    escalations(depot, [5, 5, 5, 200])
    ResponseTarget.objects.create(interval=Interval.ACCEPTANCE, agency=agency, seconds=95, percentile=90)
    ResponseTarget.objects.create(interval=Interval.ACCEPTANCE, site=depot, seconds=10, percentile=75)
    viewer = member(Role.SUPERVISOR, plaza.provider)
    since = timezone.now() - timedelta(days=30)

    figures = get_response_times(for_user=viewer, since=since, by="site")
    p = acceptance(figures, "Plaza")
    # Nearest rank of 10 values: p50 the 5th (50 s), p90 the 9th (90 s); 9 of 10 within 95 s = 90 %.
    assert (p.count, p.p50, p.p90, p.target, p.percentile, p.share, p.met) == (10, 50, 90, 95, 90, 90.0, True)
    d = acceptance(figures, "Depot")  # the site's own target overrides the agency's
    assert (d.p50, d.p90, d.target, d.percentile, d.share, d.met) == (5, 200, 10, 75, 75.0, True)

    by_agency = acceptance(get_response_times(for_user=viewer, since=since, by="agency"), "County Police")
    assert by_agency.count == 14
    assert by_agency.targets_vary
    assert by_agency.target is None
    assert by_agency.within == 12  # 9 at Plaza within 95 s, 3 at Depot within 10 s

    ResponseTarget.objects.filter(site=depot).delete()
    ResponseTarget.objects.filter(agency=agency).delete()
    plaza_default = acceptance(get_response_times(for_user=viewer, since=since), "Plaza")
    assert (plaza_default.target, plaza_default.percentile, plaza_default.within) == (
        15,
        90,
        1,
    )  # NENA's 15 s
    assert plaza_default.met is False


def test_each_side_counts_only_its_own_escalations():
    mine, theirs = AgencyFactory(), AgencyFactory()
    escalations(SiteFactory(agency=mine, name="Ours"), [30])
    escalations(SiteFactory(agency=theirs, name="Elsewhere"), [40])
    since = timezone.now() - timedelta(days=30)
    liaison = member(Role.LIAISON, mine)
    assert {f.group for f in get_response_times(for_user=liaison, since=since)} == {"Ours"}
    guard_site = SiteFactory(agency=mine)
    guard = member(Role.GUARD, guard_site.provider, sites=(guard_site,))
    assert get_response_times(for_user=guard, since=since) == []
    with pytest.raises(ValueError, match="Group by one of"):
        get_response_times(for_user=liaison, since=since, by="colour")


def test_the_analytics_page_shows_them_and_leaves_drills_out(client):
    site = SiteFactory(agency=AgencyFactory(name="Metro"), name="Mall")
    escalations(site, [120])
    client.force_login(member(Role.SUPERVISOR, site.provider))
    page = client.get("/analytics/?by=agency").content.decode()
    assert "Response times against targets" in page
    assert "Drills are left out" in page
    assert "2 min 00 s" in page
    assert "Missed" in page
    Incident.objects.update(exercise=Incident.Exercise.EXERCISE)  # the same escalation, as a drill
    assert "2 min 00 s" not in client.get("/analytics/?by=agency").content.decode()
    wrong = client.get("/analytics/?by=colour").content.decode()
    assert "There is no grouping" in wrong
