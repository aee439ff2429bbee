"""A briefing as an iCalendar invitation (RFC 5545, written with the icalendar library)."""

from datetime import timedelta

import icalendar
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from preparedness.models import Briefing

PRODID = "-//Watchpost//Joint briefings//EN"


def _address(user: User) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{user.email}")
    address.params["cn"] = icalendar.vText(user.get_full_name() or user.email)
    return address


def briefing_calendar(briefing: Briefing, *, method: str = "REQUEST") -> bytes:
    """The invitation (``REQUEST``) or the call-off (``CANCEL``) of a briefing and its recurrence."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = icalendar.Event()
    host = settings.PUBLIC_URL.split("://")[-1].split("/")[0] or "watchpost"
    event.add("uid", f"briefing-{briefing.public_id}@{host}")
    event.add("sequence", briefing.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", briefing.starts_at)
    event.add("dtend", briefing.starts_at + timedelta(minutes=briefing.duration_minutes))
    event.add("summary", briefing.title)
    event.add("description", briefing.agenda or "Joint briefing")
    if briefing.location:
        event.add("location", briefing.location)
    event.add("url", f"{settings.PUBLIC_URL}/preparedness/briefings/{briefing.public_id}/")
    if briefing.recurrence:
        event.add("rrule", {"freq": briefing.recurrence})
    event.add("organizer", _address(briefing.created_by))
    for attendee in briefing.attendees.select_related("user"):
        address = _address(attendee.user)
        address.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        address.params["partstat"] = icalendar.vText(
            {"yes": "ACCEPTED", "no": "DECLINED", "maybe": "TENTATIVE"}.get(attendee.rsvp, "NEEDS-ACTION")
        )
        address.params["rsvp"] = icalendar.vText("TRUE")
        event.add("attendee", address, encode=False)
    if method == "CANCEL":
        event.add("status", "CANCELLED")
    calendar.add_component(event)
    return calendar.to_ical()
