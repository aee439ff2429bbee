"""The supervisor's desk (issue 14.5): their home shows active panics first, then the incidents
with the police, then the triage queue with its counts; the panels alone for the live refresh."""

import uuid

import pytest
from django.urls import reverse

from dispatch import services as dispatch_services
from notifications.models import NotificationProfile
from portal.templatetags.time_zones import site_time
from tests.factories import report

pytestmark = pytest.mark.usefixtures("eager")


def home(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def press(world, site=None):
    return dispatch_services.press_panic(
        guard=world.guard_a, site=site or world.a1, idempotency_key=uuid.uuid4()
    ).incident


def test_an_active_panic_comes_first_in_red_with_the_guard_the_site_and_the_sites_time(client, world):
    world.a1.time_zone = "America/Chicago"
    world.a1.save()
    escalated = report(world.supervisor_a, world.a2, severity=2)
    dispatch_services.escalate_incident(incident=escalated, by=world.supervisor_a, reason="Police needed")
    report(world.guard_a, world.a1, severity=3)
    panic = press(world)
    text = home(client, world.supervisor_a)

    panics, police, triage = (
        text.index('data-desk-section="panics"'),
        text.index('data-desk-section="police"'),
        text.index('data-desk-section="triage"'),
    )
    assert panics < police < triage < text.index('id="sites"')
    panel = text[panics:police]
    assert 'class="card desk-panics desk-panic-active"' in text  # the red panel
    assert "PANIC — 1 active" in panel
    assert f"<strong>{world.guard_a}</strong> at <strong>{world.a1.name}</strong>" in panel
    local = site_time(panic.received_at, world.a1)
    assert local.endswith(("CST", "CDT"))
    assert local in panel
    # Both escalations (the panic's and the supervisor's) are with the police, oldest first.
    rows = text[police:triage]
    assert "With the police (2)" in rows
    assert rows.index(escalated.reference) < rows.index(panic.reference)
    assert "Escalated" in rows
    assert "ago" in rows
    # The queue: the three submitted reports, counted in all and by severity.
    queue = text[triage:]
    assert "<span data-desk-triage-total>3</span>" in queue
    for severity in (1, 2, 3):
        assert f"Severity {severity}: 1" in queue


def test_without_a_panic_the_desk_says_so_and_shows_no_red(client, world):
    text = home(client, world.supervisor_a)
    assert "No active panic" in text
    assert "desk-panic-active" not in text
    assert "No incident is with the police." in text
    assert "Nothing waits for triage." in text


def test_a_cancelled_or_cleared_panic_leaves_the_panel_and_another_providers_never_shows(client, world):
    cancelled = press(world)
    dispatch_services.cancel_panic(incident=cancelled, by=world.guard_a)
    assert "No active panic" in home(client, world.supervisor_a)
    cleared = press(world)
    dispatch_services.clear_panic(escalation=cleared.escalations.get(), by=world.supervisor_a)
    assert "No active panic" in home(client, world.supervisor_a)
    press(world)
    assert "PANIC — 1 active" in home(client, world.supervisor_a)
    assert "No active panic" in home(client, world.supervisor_b)  # provider B's supervisor


def test_the_panels_alone_are_served_to_supervisors_only(client, world):
    panic = press(world)
    client.force_login(world.supervisor_a)
    response = client.get(reverse("notifications:desk"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" not in text
    assert "PANIC — 1 active" in text
    assert panic.reference in text
    assert "no-cache" in response["Cache-Control"]
    for person in (world.guard_a, world.liaison_x, world.admin_a):
        client.force_login(person)
        assert client.get(reverse("notifications:desk")).status_code == 403


def test_the_panic_card_gives_the_guards_phone_as_a_tel_link_or_says_there_is_none(client, world):
    """Found walking the story: the supervisor's PANIC card had no number to call the guard on. The
    number is the one in the guard's notification settings."""
    panic = press(world)
    text = home(client, world.supervisor_a)
    card = text.split(f'data-desk-panic="{panic.reference}"')[1].split("</p>")[0]
    assert f"Call {world.guard_a}: No phone number on record" in card

    NotificationProfile.objects.update_or_create(user=world.guard_a, defaults={"phone": "+447700900123"})
    card = home(client, world.supervisor_a).split(f'data-desk-panic="{panic.reference}"')[1].split("</p>")[0]
    assert '<a href="tel:+447700900123">+447700900123</a>' in card
    page = reverse("incidents:detail", args=[panic.public_id])
    header = (
        client.get(page).content.decode().split('<header class="incident-header">')[1].split("</header>")[0]
    )
    assert '<a href="tel:+447700900123">+447700900123</a>' in header
    client.force_login(world.guard_a)  # the guard is not shown their own number to call
    assert "tel:" not in client.get(page).content.decode()
    client.force_login(world.supervisor_b)
    assert client.get(page).status_code == 404
    dispatch_services.cancel_panic(incident=panic, by=world.guard_a)
    client.force_login(world.supervisor_a)
    assert "tel:" not in client.get(page).content.decode()  # no longer active: nobody to call about it
