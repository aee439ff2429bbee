"""Joint briefings: invitations as iCalendar files through the outbox (parsed with the same library),
RSVP, minutes, a trend summary without drills (decisions that become corrective actions:
test_briefing_actions.py)."""

import base64
from datetime import timedelta

import icalendar
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from notifications import services as notification_services
from notifications.models import OutboxMessage
from preparedness import ical, services
from preparedness.models import Attendee
from tests.factories import report


def _calendar(message):
    (attachment,) = message.payload["attachments"]
    return icalendar.Calendar.from_ical(base64.b64decode(attachment["content_base64"]))


def test_each_attendee_is_sent_a_calendar_invitation_that_parses(world, briefing):
    messages = OutboxMessage.objects.filter(idempotency_key__startswith=f"briefing:{briefing.public_id}:")
    assert {m.address for m in messages} == {
        world.supervisor_a.email,
        world.liaison_x.email,
        world.guard_a.email,
    }
    calendar = _calendar(messages.first())
    assert str(calendar["method"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Monthly joint briefing"
    assert event.decoded("dtstart") == briefing.starts_at
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=45)
    assert event["rrule"]["FREQ"] == ["MONTHLY"]
    attendees = {str(a).removeprefix("mailto:") for a in event["attendee"]}
    assert attendees == {world.supervisor_a.email, world.liaison_x.email, world.guard_a.email}
    assert str(event["uid"]).startswith(f"briefing-{briefing.public_id}@")
    # Queued once: scheduling is one key per attendee and sequence.
    assert len(services.briefings.invitation_messages(briefing)) == 3
    notification_services.outbox.queue_messages(services.briefings.invitation_messages(briefing))
    assert messages.count() == 3


def test_the_invitation_email_carries_the_calendar_file(world, briefing):
    message = OutboxMessage.objects.filter(address=world.liaison_x.email).get()
    notification_services.deliver_message(message_id=message.pk, claim="t")
    (email,) = [m for m in mail.outbox if world.liaison_x.email in m.to]
    ((name, content, mimetype),) = email.attachments
    assert name == "briefing.ics"
    assert mimetype.startswith("text/calendar")
    assert icalendar.Calendar.from_ical(content).walk("VEVENT")[0]["summary"] == "Monthly joint briefing"


def test_the_page_offers_the_same_calendar_and_outsiders_get_nothing(world, briefing, client):
    client.force_login(world.liaison_x)
    response = client.get(f"/preparedness/briefings/{briefing.public_id}/invite.ics")
    assert response["Content-Type"].startswith("text/calendar")
    assert icalendar.Calendar.from_ical(response.content).walk("VEVENT")[0]["location"] == "A1 control room"
    client.force_login(world.liaison_y)
    assert client.get(f"/preparedness/briefings/{briefing.public_id}/").status_code == 404


def test_attendees_answer_and_only_they(world, briefing):
    services.answer_invitation(briefing=briefing, by=world.liaison_x, rsvp="yes")
    assert Attendee.objects.get(briefing=briefing, user=world.liaison_x).rsvp == "yes"
    with pytest.raises(PermissionDenied):
        services.answer_invitation(briefing=briefing, by=world.liaison_y, rsvp="yes")
    with pytest.raises(ValidationError):
        services.answer_invitation(briefing=briefing, by=world.guard_a, rsvp="pending")
    assert {a.user: a.get_rsvp_display() for a in briefing.attendees.all()}[world.guard_a] == "No answer yet"
    assert event_partstat(world, briefing, world.liaison_x) == "ACCEPTED"


def event_partstat(world, briefing, user):
    event = icalendar.Calendar.from_ical(ical.briefing_calendar(briefing)).walk("VEVENT")[0]
    for address in event["attendee"]:
        if str(address) == f"mailto:{user.email}":
            return str(address.params["PARTSTAT"])
    return None


def test_minutes_and_the_trend_summary_which_counts_no_drill(world, briefing, drill):
    report(world.guard_a, world.a1)
    report(world.guard_a, world.a1, as_drill=True)
    services.pull_trend_summary(briefing=briefing, by=world.liaison_x)
    briefing.refresh_from_db()
    assert "drills not counted" in briefing.agenda
    assert "Theft / shoplifting \u00d7 1" in briefing.agenda
    services.record_minutes(briefing=briefing, by=world.liaison_x, minutes="Trends discussed; drill set.")
    briefing.refresh_from_db()
    assert briefing.minutes_by == world.liaison_x
    with pytest.raises(PermissionDenied):
        services.record_minutes(briefing=briefing, by=world.guard_a, minutes="x")  # an attendee, not staff


def test_only_partners_staff_schedule(world):
    fields = {"title": "x", "starts_at": timezone.now() + timedelta(days=1)}
    with pytest.raises(PermissionDenied):
        services.schedule_briefing(
            by=world.guard_a, provider=world.provider_a, agency=world.agency_x, **fields
        )
    with pytest.raises(PermissionDenied):
        services.schedule_briefing(
            by=world.supervisor_b, provider=world.provider_a, agency=world.agency_x, **fields
        )
    made = services.schedule_briefing(
        by=world.liaison_x, provider=world.provider_a, agency=world.agency_x, **fields
    )
    assert made.attendees.get().user == world.liaison_x
