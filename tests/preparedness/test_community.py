"""Community events: public registration without sign-in, refused over capacity and as spam (the
honeypot, a form sent too fast, too many from one address), the reminder, and the residents' data
deleted on schedule."""

import time
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from notifications.models import OutboxMessage
from preparedness import services
from preparedness.models import CommunityEvent, Registration
from preparedness.tasks import delete_resident_data_task


@pytest.fixture
def event(world):
    start = timezone.now() + timedelta(days=5)
    return services.create_community_event(
        by=world.supervisor_a,
        provider=world.provider_a,
        agency=world.agency_x,
        kind=CommunityEvent.Kind.WORKSHOP,
        title="Safe shopping workshop",
        description="How to keep your bag safe.",
        site=world.a1,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=2,
        hosts=[world.supervisor_a, world.liaison_x],
    )


@pytest.fixture
def slow_enough(settings):
    settings.COMMUNITY_FORM_MIN_SECONDS = 3


def _token(event, seconds_ago=10):
    return services.form_token(event, now=time.time() - seconds_ago)


def _post(client, event, **fields):
    data = {"name": "Ada Resident", "email": "ada@example.org", "token": _token(event), "website": ""}
    data.update(fields)
    return client.post(f"/community/{event.public_id}/", data, REMOTE_ADDR=fields.pop("ip", "203.0.113.5"))


def test_a_resident_registers_without_signing_in_and_sees_nobody_elses_data(
    world, event, client, slow_enough
):
    page = client.get(f"/community/{event.public_id}/")
    assert page.status_code == 200
    assert "Safe shopping workshop" in page.content.decode()
    assert _post(client, event, name="Bo Other", email="bo@example.org").status_code == 200
    response = _post(client, event)
    assert response.status_code == 200
    assert "you are registered" in response.content.decode()
    assert set(Registration.objects.values_list("email", flat=True)) == {"ada@example.org", "bo@example.org"}
    page = client.get(f"/community/{event.public_id}/").content.decode()
    assert "Bo Other" not in page
    assert "bo@example.org" not in page
    assert "The event is full" in page


def test_over_capacity_is_refused_and_stores_nothing(world, event, client, slow_enough):
    _post(client, event, email="a@example.org")
    _post(client, event, email="b@example.org")
    with pytest.raises(ValidationError, match="full"):
        services.register_resident(
            event=event,
            name="C",
            email="c@example.org",
            token=_token(event),
            honeypot="",
            client="198.51.100.1",
        )
    assert Registration.objects.count() == 2


def test_spam_is_refused_by_the_honeypot_a_fast_form_and_a_forged_token(world, event, client, slow_enough):
    assert _post(client, event, website="http://spam.example").status_code == 400
    response = _post(client, event, token=_token(event, seconds_ago=0))
    assert response.status_code == 400
    assert "faster than a person types" in response.content.decode()
    assert _post(client, event, token="forged:token").status_code == 400
    other = CommunityEvent.objects.create(
        **{
            f.name: getattr(event, f.name)
            for f in CommunityEvent._meta.concrete_fields
            if f.name not in ("id", "public_id")
        }
    )
    assert _post(client, event, token=_token(other)).status_code == 400  # another event's token
    assert not Registration.objects.exists()


def test_one_address_is_rate_limited(world, event, client, slow_enough):
    CommunityEvent.objects.filter(pk=event.pk).update(capacity=100)
    for index in range(services.community.RATE_LIMIT):
        assert _post(client, event, email=f"r{index}@example.org").status_code == 200
    response = _post(client, event, email="one-more@example.org")
    assert response.status_code == 429
    assert "Too many registrations" in response.content.decode()
    assert _post(client, event, email="elsewhere@example.org", ip="198.51.100.9").status_code == 200
    assert Registration.objects.count() == services.community.RATE_LIMIT + 1


def test_organizers_see_registrations_mark_attendance_and_send_one_reminder(
    world, event, client, slow_enough
):
    _post(client, event)
    registration = Registration.objects.get()
    client.force_login(world.liaison_x)
    page = client.get(f"/preparedness/events/{event.public_id}/").content.decode()
    assert "ada@example.org" in page
    assert services.send_reminder(event=event, by=world.liaison_x) == 1
    reminder = OutboxMessage.objects.get(idempotency_key__startswith=f"community:{event.public_id}:")
    assert reminder.address == "ada@example.org"
    assert "Safe shopping workshop" in reminder.payload["subject"]
    with pytest.raises(ValidationError, match="sent already"):
        services.send_reminder(event=event, by=world.liaison_x)
    assert services.record_attendance(event=event, by=world.supervisor_a, attended_ids=[registration.pk]) == 1
    with pytest.raises(PermissionDenied):
        services.record_attendance(event=event, by=world.liaison_y, attended_ids=[])
    client.force_login(world.liaison_y)
    assert client.get(f"/preparedness/events/{event.public_id}/").status_code == 404


def test_residents_data_is_deleted_on_schedule_and_the_counts_stay(
    world, event, client, slow_enough, settings, caplog
):
    settings.COMMUNITY_REGISTRATION_RETENTION_DAYS = 30
    _post(client, event)
    _post(client, event, email="b@example.org")
    Registration.objects.filter(email="b@example.org").update(attended=True)
    services.send_reminder(event=event, by=world.supervisor_a)
    assert services.delete_resident_data(now=event.ends_at + timedelta(days=29)) == 0
    assert Registration.objects.count() == 2
    with caplog.at_level("INFO", logger="preparedness.services.community"):
        delete_resident_data_task.apply()  # now: not yet due either
        assert Registration.objects.count() == 2
        assert services.delete_resident_data(now=event.ends_at + timedelta(days=31)) == 2
    assert not Registration.objects.exists()
    event.refresh_from_db()
    assert (event.registered_count, event.attended_count) == (2, 1)
    assert event.residents_deleted_at
    reminders = OutboxMessage.objects.filter(idempotency_key__startswith=f"community:{event.public_id}:")
    assert reminders.count() == 2
    assert not reminders.exclude(address="").exists()
    assert not reminders.filter(payload__has_key="text").exists()
    assert "deleted 2 residents' registrations" in caplog.text
    assert AuditEvent.objects.filter(action="community_event.residents_deleted").exists()
    assert services.delete_resident_data(now=event.ends_at + timedelta(days=40)) == 0


def test_a_place_and_partners_are_required(world):
    start = timezone.now() + timedelta(days=1)
    fields = {
        "kind": CommunityEvent.Kind.OPEN_HOUSE,
        "title": "Open house",
        "description": "Come in.",
        "starts_at": start,
        "ends_at": start + timedelta(hours=1),
        "capacity": 10,
    }
    with pytest.raises(ValidationError, match="Give the place"):
        services.create_community_event(
            by=world.supervisor_a, provider=world.provider_a, agency=world.agency_x, **fields
        )
    with pytest.raises(PermissionDenied):
        services.create_community_event(
            by=world.supervisor_b,
            provider=world.provider_a,
            agency=world.agency_x,
            address="Main St 1",
            **fields,
        )
