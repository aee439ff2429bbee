"""Charts drawn on the server as SVG: no script, no CDN, nothing the strict CSP refuses.

Each chart is an image with a title and a one-sentence description (its text alternative), can be
reached with the keyboard (tabindex), and is followed by its table in the template."""

import math
from collections.abc import Callable, Sequence
from datetime import datetime

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from analytics.scorecards import Band, band
from analytics.selectors import WEEKDAYS, Bucket, Cluster, SitePoint
from portal import zones

register = template.Library()

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 240, 40, 48, 12
HEAT_BANDS = 5


def _ceiling(value: int) -> int:
    """A round top for the axis: 1, 2, 5 times a power of ten."""
    top, step = max(value, 1), 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= top:
                return step * factor
        step *= 10


@register.simple_tag
def bar_chart(
    buckets: Sequence[Bucket], chart_id: str, title: str, compare_label: str = "a year earlier"
) -> SafeString:
    """Bars of each period's count, with a tick for the same period a year earlier."""
    top = _ceiling(max([b.count for b in buckets] + [b.last_year for b in buckets] + [1]))
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(buckets), 1)
    bars = []
    for index, bucket in enumerate(buckets):
        x = LEFT + index * slot
        h = plot_h * bucket.count / top
        ly = TOP + plot_h - plot_h * bucket.last_year / top
        bars.append(
            (
                f"{x + slot * 0.15:.1f}",
                f"{TOP + plot_h - h:.1f}",
                f"{slot * 0.7:.1f}",
                f"{h:.1f}",
                f"{bucket.label}: {bucket.count} ({compare_label}: {bucket.last_year})",
                f"{x + slot * 0.05:.1f}",
                f"{ly:.1f}",
                f"{x + slot * 0.95:.1f}",
                f"{x + slot / 2:.1f}",
                f"{HEIGHT - BOTTOM + 16}",
                bucket.label.replace("Week of ", ""),
            )
        )
    busiest = max(buckets, key=lambda b: b.count) if buckets else None
    summary = (
        f"{len(buckets)} bars, from {buckets[0].label} to {buckets[-1].label}; "
        f"{sum(b.count for b in buckets)} incidents in all, the most ({busiest.count}) in {busiest.label}. "
        "The table below gives every figure."
        if buckets and busiest
        else "No incidents."
    )
    return format_html(
        '<svg class="chart" id="{}" viewBox="0 0 {} {}" role="img" tabindex="0" '
        'aria-labelledby="{}-title {}-desc">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>'
        '<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>'
        '<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>'
        '<text class="tick" x="{}" y="{}" text-anchor="end">0</text>'
        "{}</svg>",
        chart_id,
        WIDTH,
        HEIGHT,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        summary,
        LEFT,
        TOP + plot_h,
        WIDTH - 8,
        TOP + plot_h,
        LEFT - 4,
        TOP + 10,
        top,
        LEFT - 4,
        TOP + plot_h,
        format_html_join(
            "",
            '<g class="bar"><rect x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>'
            '<line class="last-year" x1="{}" y1="{}" x2="{}" y2="{}"/>'
            '<text class="label" x="{}" y="{}" text-anchor="middle">{}</text></g>',
            ((*b[:7], b[7], b[6], *b[8:]) for b in bars),
        ),
    )


@register.simple_tag
def heatmap(matrix: Sequence[Sequence[int]], chart_id: str, title: str) -> SafeString:
    """Weekday rows by hour columns, shaded in five bands of the busiest cell."""
    busiest = max((max(row) for row in matrix), default=0)
    cell_w, cell_h, left, top = 26, 22, 92, 20
    cells = []
    for day, row in enumerate(matrix):
        for hour, count in enumerate(row):
            band = (
                0
                if count == 0
                else 1 + min(HEAT_BANDS - 2, (HEAT_BANDS - 1) * (count - 1) // max(busiest, 1))
            )
            cells.append(
                (
                    left + hour * cell_w,
                    top + day * cell_h,
                    cell_w - 2,
                    cell_h - 2,
                    band,
                    f"{WEEKDAYS[day]} {hour:02d}:00: {count}",
                )
            )
    peak = max(
        ((count, day, hour) for day, row in enumerate(matrix) for hour, count in enumerate(row)),
        default=(0, 0, 0),
    )
    summary = (
        f"The busiest hour is {WEEKDAYS[peak[1]]} {peak[2]:02d}:00 to {peak[2] + 1:02d}:00 "
        f"with {peak[0]} incidents, "
        "in each site's own time zone; darker is busier. The table below gives every figure."
        if peak[0]
        else "No incidents."
    )
    width, height = left + 24 * cell_w, top + 7 * cell_h + 4
    return format_html(
        '<svg class="chart heatmap" id="{}" viewBox="0 0 {} {}" role="img" tabindex="0" '
        'aria-labelledby="{}-title {}-desc">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}{}{}</svg>',
        chart_id,
        width,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        summary,
        format_html_join(
            "",
            '<text class="label" x="{}" y="{}" text-anchor="end">{}</text>',
            ((left - 6, top + d * cell_h + 15, name) for d, name in enumerate(WEEKDAYS)),
        ),
        format_html_join(
            "",
            '<text class="tick" x="{}" y="14" text-anchor="middle">{}</text>',
            ((left + h * cell_w + cell_w / 2, f"{h:02d}") for h in range(0, 24, 3)),
        ),
        format_html_join(
            "",
            '<rect class="heat-{}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
            ((c[4], c[0], c[1], c[2], c[3], c[5]) for c in cells),
        ),
    )


@register.filter
def signed(value: int) -> str:
    return f"+{value}" if value > 0 else ("±0" if value == 0 else f"-{-value}")


@register.filter
def chance(p_value: float) -> str:
    """A probability in words people read: "< 0.1 %", "1.4 %", "57 %"."""
    percent = 100 * p_value
    if percent < 0.1:
        return "< 0.1 %"
    return f"{percent:.1f} %" if percent < 10 else f"{percent:.0f} %"


TILE = 256


def _mercator(lat: float, lon: float, zoom: int) -> tuple[float, float]:
    """Web Mercator pixel coordinates (as tile servers number their tiles) at a zoom level."""
    size = TILE * 2**zoom
    lat = max(min(lat, 85.0511), -85.0511)
    y = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2
    return (lon + 180) / 360 * size, y * size


def _tile_projection(
    points: Sequence[tuple[float, float]], width: int, height: int, pad: int, tile_url: str
) -> tuple[Callable[[float, float], tuple[str, str]], SafeString]:
    """The projection of the tile server (Web Mercator) at the closest zoom that fits the points,
    and the tiles under them, as SVG images (the CSP's img-src allows that server's origin only)."""
    zoom = 1
    for candidate in range(18, 0, -1):
        xs, ys = zip(*(_mercator(lat, lon, candidate) for lat, lon in points), strict=True)
        if max(xs) - min(xs) <= width - 2 * pad and max(ys) - min(ys) <= height - 2 * pad:
            zoom = candidate
            break
    xs, ys = zip(*(_mercator(lat, lon, zoom) for lat, lon in points), strict=True)
    left = (min(xs) + max(xs)) / 2 - width / 2
    top = (min(ys) + max(ys)) / 2 - height / 2

    def at(lat: float, lon: float) -> tuple[str, str]:
        x, y = _mercator(lat, lon, zoom)
        return f"{x - left:.1f}", f"{y - top:.1f}"

    count = 2**zoom
    tiles = [
        (
            tile_url.replace("{z}", str(zoom)).replace("{x}", str(tx % count)).replace("{y}", str(ty)),
            f"{tx * TILE - left:.1f}",
            f"{ty * TILE - top:.1f}",
        )
        for tx in range(math.floor(left / TILE), math.floor((left + width) / TILE) + 1)
        for ty in range(max(0, math.floor(top / TILE)), min(count - 1, math.floor((top + height) / TILE)) + 1)
    ]
    images = format_html_join(
        "",
        '<image class="tile" href="{}" x="{}" y="{}" width="256" height="256" aria-hidden="true"/>',
        tiles,
    )
    return at, images


@register.simple_tag
def hotspot_map(
    clusters: Sequence[Cluster], sites: Sequence[SitePoint], chart_id: str, title: str, tile_url: str = ""
) -> SafeString:
    """Clusters as circles (area by count) and sites as squares. Without a tile server, on a plain
    projection (longitude scaled by the cosine of the middle latitude, so distances look right) and
    nothing is fetched; with the operator's (HOTSPOT_TILE_URL), on its tiles in Web Mercator."""
    width, height, pad = 720, 420, 30
    points = [(c.latitude, c.longitude) for c in clusters] + [(s.latitude, s.longitude) for s in sites]
    if not points:
        return format_html(
            '<p class="muted" id="{}">No incident with coordinates in these months.</p>', chart_id
        )
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    ground = format_html('<rect class="map-ground" x="0" y="0" width="{}" height="{}"/>', width, height)
    if tile_url:
        at, tiles = _tile_projection(points, width, height, pad, tile_url)
        ground = format_html("{}{}", ground, tiles)
    else:
        middle = math.radians((min(lats) + max(lats)) / 2)
        xs = [lon * math.cos(middle) for lon in lons]
        span = max(max(xs) - min(xs), max(lats) - min(lats), 1e-4)
        scale = min(width, height) - 2 * pad

        def at(lat: float, lon: float) -> tuple[str, str]:
            x = pad + (lon * math.cos(middle) - min(xs)) / span * scale
            y = pad + (max(lats) - lat) / span * scale
            return f"{x:.1f}", f"{y:.1f}"

    busiest = max((c.count for c in clusters), default=1)
    circles = format_html_join(
        "",
        '<circle class="cluster" cx="{}" cy="{}" r="{}"><title>{}</title></circle>',
        (
            (
                *at(c.latitude, c.longitude),
                f"{3 + 14 * math.sqrt(c.count / busiest):.1f}",
                f"{c.site}: {c.count}",
            )
            for c in clusters
        ),
    )
    squares = format_html_join(
        "",
        '<g class="site"><rect x="{}" y="{}" width="10" height="10"/>'
        '<text class="label" x="{}" y="{}">{}</text></g>',
        (
            (
                f"{float(x) - 5:.1f}",
                f"{float(y) - 5:.1f}",
                f"{float(x) + 8:.1f}",
                f"{float(y) - 8:.1f}",
                s.name,
            )
            for s in sites
            for x, y in [at(s.latitude, s.longitude)]
        ),
    )
    top = clusters[0] if clusters else None
    summary = (
        f"{len(clusters)} clusters of incidents around {len(sites)} sites; "
        f"the largest, {top.count} incidents, "
        f"at {top.site}. The table below lists the clusters."
        if top
        else "No incident with coordinates."
    )
    return format_html(
        '<svg class="chart map" id="{}" viewBox="0 0 {} {}" role="img" tabindex="0" '
        'aria-labelledby="{}-title {}-desc"><title id="{}-title">{}</title><desc id="{}-desc">{}</desc>'
        "{}{}{}</svg>",
        chart_id,
        width,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        summary,
        ground,
        circles,
        squares,
    )


@register.filter
def scorecard_band(percent: float | None) -> Band | None:
    """The scorecard's band of a percentage (green, amber, red), to show with its word."""
    return band(percent)


@register.filter
def in_zone(value: str | None, zone_name: str) -> str:
    """An ISO time (as the exports write them, in UTC) on the site's clock, its zone named."""
    if not value:
        return "\u2014"
    moment = datetime.fromisoformat(value).astimezone(zones.zone(zone_name))
    return f"{moment:%Y-%m-%d %H:%M:%S} {moment.tzname()}"
