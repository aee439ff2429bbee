"""The rising-places test on synthetic data: the Poisson tail against a direct sum, a steady place
never flagged in most windows, a doubled rate flagged, and a place on a site that rose."""

import math
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from accounts.models import Role, SiteAssignment
from analytics.hotspots import poisson_tail, rise_against_history
from analytics.selectors import get_hotspot_map, get_hotspots, rising_sites
from tests.factories import SiteFactory, member, report


def sample_poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: count uniform draws until their product falls below e^-mean."""
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def test_the_tail_matches_hand_computed_values():
    # P(X >= 1 | mean 2) = 1 - e^-2; P(X >= 3 | mean 1) = 1 - e^-1 (1 + 1 + 1/2)
    assert poisson_tail(1, 2.0) == pytest.approx(1 - math.exp(-2))
    assert poisson_tail(3, 1.0) == pytest.approx(1 - math.exp(-1) * 2.5)
    assert poisson_tail(0, 5.0) == 1.0


def test_a_steady_place_is_rarely_flagged_and_a_doubled_one_is():
    rng = random.Random(7)
    mean = 10.0
    steady = [
        rise_against_history(
            "steady", [sample_poisson(rng, mean) for _ in range(13)], sample_poisson(rng, mean)
        )
        for _ in range(2000)
    ]
    false_alarms = sum(r.rising for r in steady) / len(steady)
    assert false_alarms < 0.02  # about the 1 % the test promises (the baseline is itself estimated)
    doubled = [
        rise_against_history(
            "doubled", [sample_poisson(rng, mean) for _ in range(13)], sample_poisson(rng, 2 * mean)
        )
        for _ in range(500)
    ]
    assert sum(r.rising for r in doubled) / len(doubled) > 0.6
    tiny = rise_against_history("new place", [0] * 13, 4)  # below the minimum count: never flagged
    assert not tiny.rising


@pytest.mark.django_db
def test_the_hotspots_name_the_place_that_rose(client):
    today = date(2026, 12, 1)
    site = SiteFactory(name="Harbour Mall", time_zone="UTC")
    guard = member(Role.GUARD, site.provider, sites=(site,))
    supervisor = member(Role.SUPERVISOR, site.provider)
    noon = datetime(2026, 12, 1, 12, tzinfo=UTC)
    for window in range(1, 14):  # one a window at the gate for a year ...
        report(guard, site, occurred_at=noon - timedelta(days=28 * window + 3), location="Gate")
    for n in range(8):  # ... then eight in the latest 28 days
        report(guard, site, occurred_at=noon - timedelta(days=n * 3), location="Gate")
    spots = get_hotspots(for_user=supervisor, today=today)
    (mall,) = spots.by_site
    assert (mall.observed, mall.baseline, mall.rising) == (8, 1.0, True)
    assert mall.p_value == pytest.approx(poisson_tail(8, 1.0))
    assert [r.place for r in spots.by_area] == ["Harbour Mall · Gate"]
    assert get_hotspots(for_user=guard, today=today).by_site == []
    # What patrols targets (settings.PATROL_HOTSPOTS): the same test, by site id, rising ones only.
    steady = SiteFactory(provider=site.provider, name="Steady Yard", time_zone="UTC")
    SiteAssignment.objects.create(user=guard, site=steady)
    for window in range(14):
        report(guard, steady, occurred_at=noon - timedelta(days=28 * window + 1))
    ((site_id, rise),) = rising_sites(for_user=supervisor, today=today)
    assert (site_id, rise.observed, rise.baseline) == (site.pk, 8, 1.0)
    assert rising_sites(for_user=guard, today=today) == []


@pytest.mark.django_db
def test_the_map_clusters_incidents_by_their_coordinates():
    site = SiteFactory(name="Quay", latitude="41.880000", longitude="-87.630000")
    guard = member(Role.GUARD, site.provider, sites=(site,))
    supervisor = member(Role.SUPERVISOR, site.provider)
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    for lat, lon in [("41.880100", "-87.630100"), ("41.880200", "-87.630200"), ("41.890000", "-87.640000")]:
        report(guard, site, occurred_at=now, latitude=lat, longitude=lon)
    report(guard, site, occurred_at=now)  # no coordinates: not on the map
    clusters, sites = get_hotspot_map(for_user=supervisor, since=now - timedelta(days=90))
    assert [(c.latitude, c.longitude, c.count) for c in clusters] == [(41.88, -87.63, 2), (41.89, -87.64, 1)]
    assert [(s.name, s.latitude) for s in sites] == [("Quay", 41.88)]
    assert get_hotspot_map(for_user=guard, since=now - timedelta(days=90)) == ([], [])
