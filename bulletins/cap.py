"""A bulletin as a CAP 1.2 message (OASIS Common Alerting Protocol): status and msgType from the
version, scope Restricted (to the partnered sites), one info block with the event, urgency,
severity, certainty and expiry, and one area per site (its outline as a polygon, else a 100 m
circle around its coordinates). tests/bulletins/test_cap.py validates it against the CAP 1.2 XSD."""

from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from django.utils import timezone

from bulletins.models import Bulletin

NS = "urn:oasis:names:tc:emergency:cap:1.2"
SENDER_DOMAIN = "watchpost.invalid"


def _time(moment: datetime) -> str:
    # CAP's dateTime: seconds, and an explicit offset ("Z" is not allowed).
    return timezone.localtime(moment, UTC).isoformat(timespec="seconds")


def sender(bulletin: Bulletin) -> str:
    return f"agency-{bulletin.agency.public_id}@{SENDER_DOMAIN}"


def identifier(bulletin: Bulletin) -> str:
    return f"watchpost-bulletin-{bulletin.public_id}"


def _add(parent: ET.Element, name: str, text: str | None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{NS}}}{name}")
    element.text = text
    return element


def _polygon(outline: list) -> str | None:
    points = [f"{lat},{lon}" for lat, lon in outline]
    if len(points) < 3:
        return None
    if points[0] != points[-1]:
        points.append(points[0])  # CAP closes the ring: the first point again
    return " ".join(points)


def to_cap(bulletin: Bulletin, *, earlier: list[Bulletin]) -> bytes:
    """The CAP 1.2 XML of one version; ``earlier``: the series' previous versions (references)."""
    ET.register_namespace("", NS)
    alert = ET.Element(f"{{{NS}}}alert")
    _add(alert, "identifier", identifier(bulletin))
    _add(alert, "sender", sender(bulletin))
    _add(alert, "sent", _time(bulletin.published_at))
    _add(alert, "status", bulletin.status)
    _add(alert, "msgType", bulletin.msg_type)
    _add(alert, "source", str(bulletin.published_by))
    _add(alert, "scope", "Restricted")
    _add(
        alert, "restriction", f"Security staff of sites partnered with {bulletin.agency}; not for the public."
    )
    if bulletin.change_note:
        _add(alert, "note", bulletin.change_note)
    if earlier:
        _add(
            alert,
            "references",
            " ".join(f"{sender(old)},{identifier(old)},{_time(old.published_at)}" for old in earlier),
        )
    info = _add(alert, "info", None)
    _add(info, "language", "en-US")
    _add(info, "category", "Security")
    _add(info, "event", f"BOLO: {bulletin.get_kind_display()}")
    _add(info, "responseType", "AllClear" if bulletin.is_cancelled else "Monitor")
    _add(info, "urgency", bulletin.urgency)
    _add(info, "severity", bulletin.severity)
    _add(info, "certainty", bulletin.certainty)
    _add(info, "effective", _time(bulletin.published_at))
    _add(info, "expires", _time(bulletin.expires_at))
    _add(info, "senderName", bulletin.agency.name)
    _add(info, "headline", bulletin.title)
    description = bulletin.description
    if bulletin.last_seen_where or bulletin.last_seen_at:
        seen = bulletin.last_seen_where
        if bulletin.last_seen_at:
            seen = f"{seen} at {_time(bulletin.last_seen_at)}".strip()
        description = f"{description}\nLast seen: {seen}"
    _add(info, "description", description)
    instruction = "\n".join(
        part
        for part in (
            f"Do: {bulletin.do_text}" if bulletin.do_text else "",
            f"Do not: {bulletin.dont_text}" if bulletin.dont_text else "",
        )
        if part
    )
    if instruction:
        _add(info, "instruction", instruction)
    if bulletin.plate:
        parameter = _add(info, "parameter", None)
        _add(parameter, "valueName", "plate")
        _add(parameter, "value", bulletin.plate)
    for site in bulletin.sites.order_by("name"):
        area = _add(info, "area", None)
        _add(area, "areaDesc", f"{site.name}, {site.address}")
        polygon = _polygon(site.outline or [])
        if polygon:
            _add(area, "polygon", polygon)
        elif site.latitude is not None and site.longitude is not None:
            _add(area, "circle", f"{site.latitude},{site.longitude} 0.1")
    return ET.tostring(alert, encoding="utf-8", xml_declaration=True)
