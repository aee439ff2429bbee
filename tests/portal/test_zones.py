"""The time-zone rule's helpers (portal/zones.py) and its template filters."""

import re
import zoneinfo
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template import Context, Template, TemplateSyntaxError

from portal import zones

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
AUCKLAND = zoneinfo.ZoneInfo("Pacific/Auckland")
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def test_a_day_is_cut_at_the_zone_s_midnight():
    start, end = zones.day_range(date(2026, 3, 1), date(2026, 3, 10), CHICAGO)
    assert start == datetime(2026, 3, 1, 6, tzinfo=UTC)  # CST, UTC-6
    assert end == datetime(2026, 3, 11, 5, tzinfo=UTC)  # CDT from 8 March: UTC-5
    start, end = zones.day_range(date(2026, 3, 11), None, AUCKLAND)
    assert (start, end) == (datetime(2026, 3, 10, 11, tzinfo=UTC), None)  # NZDT, UTC+13


def test_a_dst_change_day_is_one_whole_local_day():
    start, end = zones.day_range(date(2026, 3, 8), date(2026, 3, 8), CHICAGO)
    assert (start, end) == (datetime(2026, 3, 8, 6, tzinfo=UTC), datetime(2026, 3, 9, 5, tzinfo=UTC))
    assert (end - start).total_seconds() == 23 * 3600


def test_today_is_the_zone_s_date(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 3, 11, 4, 30, tzinfo=UTC))
    assert zones.local_today(CHICAGO) == date(2026, 3, 10)
    assert zones.local_today(AUCKLAND) == date(2026, 3, 11)
    assert zones.local_today(zoneinfo.ZoneInfo("UTC")) == date(2026, 3, 11)


@pytest.mark.parametrize("name", ["CST", "Mars/Olympus", "", "europe/london "])
def test_unknown_zones_are_refused_with_an_example(name):
    with pytest.raises(ValidationError, match="not a known time zone"):
        zones.validate_time_zone(name)


def test_an_unknown_or_missing_zone_falls_back_to_the_portal_s(settings):
    assert zones.zone(None).key == settings.TIME_ZONE
    assert zones.zone("Nowhere/Special").key == settings.TIME_ZONE
    assert zones.zone("Pacific/Auckland") == AUCKLAND


class _Site:
    time_zone = "Pacific/Auckland"


def test_site_filters_name_the_site_s_zone(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 6, 1, tzinfo=UTC))
    template = Template(
        "{{ at|site_time:site }} · {{ due|site_date:site }} · {{ at|site_time:'America/Chicago' }}"
    )
    text = template.render(
        Context({"at": datetime(2026, 1, 15, 10, 5, tzinfo=UTC), "due": date(2026, 6, 1), "site": _Site()})
    )
    assert text == "Thu 15 Jan 23:05 NZDT · 1 Jun 2026 (NZST) · Thu 15 Jan 04:05 CST"


def test_the_named_formats_show_24_hour_times_with_the_zone_named(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 12, 2, 12, tzinfo=UTC))
    template = Template(
        '{% timezone "America/Chicago" %}{{ at|clock }} | {{ at|clock:"seconds" }} | {{ at|when }} | '
        '{{ at|when:"seconds" }} | {{ last_year|when }} | {{ at|day }} | {{ at|day:"weekday" }} | '
        "{{ at|month }}{% endtimezone %}"
    )
    text = template.render(
        Context(
            {
                "at": datetime(2026, 12, 2, 20, 5, 9, tzinfo=UTC),
                "last_year": datetime(2025, 12, 2, 20, 5, tzinfo=UTC),
            }
        )
    )
    assert text == (
        "14:05 CST | 14:05:09 CST | Wed 2 Dec 14:05 CST | Wed 2 Dec 14:05:09 CST | "
        "Tue 2 Dec 2025 14:05 CST | 2 Dec 2026 | Wed 2 Dec 2026 | December 2026"
    )


def test_a_named_format_takes_only_its_own_word():
    with pytest.raises(TemplateSyntaxError):
        Template('{{ at|when:"j M" }}').render(Context({"at": datetime(2026, 1, 15, tzinfo=UTC)}))


def test_templates_show_dates_only_in_the_named_formats():
    """A human date goes through |clock, |when, |day or |month; |date: is left to machine formats."""
    machine = {"c", "Y-m-d", "Y-m", "H:i", "Y-m-d H:i", "Y-m-d H:i:s", "Y-m-d H:i T", "Y-m-d H:i:s T"}
    found = {
        (str(path.relative_to(TEMPLATES)), fmt)
        for path in TEMPLATES.rglob("*.html")
        for fmt in re.findall(r"""\|date:["']([^"']*)["']""", path.read_text())
    }
    assert found, "no |date: at all: the scan looks in the wrong place"
    assert {(name, fmt) for name, fmt in found if fmt not in machine} == set()
    assert not [
        path for path in TEMPLATES.rglob("*.html") if re.search(r"\|date\s*(\}|\|)", path.read_text())
    ]


def test_site_filters_leave_nothing_for_nothing():
    assert (
        Template("[{{ none|site_time:site }}{{ none|site_date:site }}]").render(Context({"site": _Site()}))
        == "[]"
    )
