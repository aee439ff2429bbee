"""Plain geometry for agency jurisdictions: is a point inside a polygon (ray casting, the even-odd
rule), on [latitude, longitude] pairs as a site's outline keeps them.

Why not PostGIS: the embedded default runs on SQLite with no spatial extension, an agency has one
polygon or a few, and the question is asked for one site at a time (when its agency is suggested
or a fallback is chosen), never as a spatial query over many rows: a few hundred vertices cost
microseconds in Python. PostGIS would pay for spatial queries over the incidents (hotspots in
analytics); not here. Jurisdictions are city-sized, so treating degrees as a plane is exact enough
(no polygon may cross the antimeridian; validate_outline keeps the points on the globe)."""

from collections.abc import Sequence

Point = tuple[float, float]


def contains(polygon: Sequence[Sequence[float]], point: Point) -> bool:
    """True when ``point`` ([latitude, longitude]) is inside ``polygon`` or on its edge."""
    if len(polygon) < 3:
        return False
    lat, lon = point
    inside = False
    vertices = [(float(p[0]), float(p[1])) for p in polygon]
    for (lat1, lon1), (lat2, lon2) in zip(vertices, vertices[1:] + vertices[:1], strict=True):
        if _on_segment(lat, lon, lat1, lon1, lat2, lon2):
            return True
        if (lon1 > lon) != (lon2 > lon):
            crossing = lat1 + (lon - lon1) * (lat2 - lat1) / (lon2 - lon1)
            if lat < crossing:
                inside = not inside
    return inside


def _on_segment(lat: float, lon: float, lat1: float, lon1: float, lat2: float, lon2: float) -> bool:
    cross = (lat2 - lat1) * (lon - lon1) - (lon2 - lon1) * (lat - lat1)
    if abs(cross) > 1e-12:
        return False
    return min(lat1, lat2) <= lat <= max(lat1, lat2) and min(lon1, lon2) <= lon <= max(lon1, lon2)
