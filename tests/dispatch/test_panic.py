"""The panic button's site (where the guard is) and its cancel window (a false press), through the
services, the page's JSON and form posts, and the incident page."""

import uuid
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import SiteAssignment
from dispatch import events, selectors, services
from dispatch.models import BoardEvent, Escalation
from incidents import services as incident_services
from incidents.events import incident_group
from incidents.models import Incident, TimelineEntry
from tests.factories import report

A1 = (Decimal("41.878100"), Decimal("-87.629800"))
A2 = (Decimal("41.900100"), Decimal("-87.650200"))  # about 3 km from A1


@pytest.fixture
def two_sites(world):
    """guard_a works at A1 and A2, each with its coordinates."""
    world.a1.latitude, world.a1.longitude = A1
    world.a1.save()
    world.a2.latitude, world.a2.longitude = A2
    world.a2.save()
    SiteAssignment.objects.create(user=world.guard_a, site=world.a2)
    return world


def press(world, **fields):
    return services.press_panic(guard=world.guard_a, idempotency_key=uuid.uuid4(), **fields)


def back_in_time(incident: Incident, seconds: int) -> None:
    Incident.objects.filter(pk=incident.pk).update(received_at=timezone.now() - timedelta(seconds=seconds))
    incident.refresh_from_db()


# The site


def test_without_a_location_the_site_is_the_last_reports_not_the_first_in_the_list(two_sites):
    w = two_sites
    assert selectors.suggest_panic_site(guard=w.guard_a) == w.a1  # nothing reported yet: the first
    report(w.guard_a, w.a2)
    assert selectors.suggest_panic_site(guard=w.guard_a) == w.a2


def test_a_location_near_a_site_chooses_it_and_a_far_one_falls_back(two_sites, settings):
    w = two_sites
    report(w.guard_a, w.a2)
    near_a1 = {"latitude": "41.8790", "longitude": "-87.6300"}
    assert selectors.suggest_panic_site(guard=w.guard_a, **near_a1) == w.a1
    far = {"latitude": "40.0", "longitude": "-80.0"}
    assert selectors.suggest_panic_site(guard=w.guard_a, **far) == w.a2
    settings.PANIC_SITE_RADIUS_M = 50  # A1 is ~100 m away: too far now
    assert selectors.suggest_panic_site(guard=w.guard_a, **near_a1) == w.a2
    assert selectors.suggest_panic_site(guard=w.guard_a, latitude="north", longitude="-87") == w.a2


def test_a_panic_without_a_site_is_sent_from_the_site_the_device_is_at(two_sites):
    w = two_sites
    result = press(w, site=None, latitude="41.9002", longitude="-87.6501")
    assert result.incident.site == w.a2
    assert result.escalation is not None
    assert result.escalation.agency == w.agency_y


def test_the_page_preselects_the_suggested_site_with_each_sites_coordinates(client, two_sites):
    w = two_sites
    report(w.guard_a, w.a2)
    client.force_login(w.guard_a)
    html = client.get(reverse("home")).content.decode()
    assert f'<option value="{w.a2.pk}" data-lat="{A2[0]}" data-lon="{A2[1]}" selected>' in html
    assert f'<option value="{w.a1.pk}" data-lat="{A1[0]}" data-lon="{A1[1]}">' in html
    assert 'data-radius-m="1500"' in html


# The cancel window


def test_cancelling_in_the_window_withdraws_the_police_request_and_tells_everyone(
    world, django_capture_on_commit_callbacks
):
    result = press(world, site=world.a1)
    with django_capture_on_commit_callbacks() as callbacks:
        entry = services.cancel_panic(incident=result.incident, by=world.guard_a)
    assert callbacks, "the events leave after the commit"
    escalation = Escalation.objects.get(pk=result.escalation.pk)
    assert escalation.status == Escalation.Status.CANCELLED
    assert "False alarm" in escalation.cancel_reason
    assert entry.kind == TimelineEntry.Kind.NOTE_ADDED
    assert entry.data == {
        "text": f"PANIC cancelled by {world.guard_a} within 10 s: a false press.",
        "panic": "cancelled",
    }
    assert BoardEvent.objects.filter(escalation=escalation, name="escalation.cancelled").count() == 1
    incident = Incident.objects.get(pk=result.incident.pk)
    assert incident.status == Incident.Status.SUBMITTED, "the supervisors close it once they checked"
    assert not selectors.panic_cancellable(incident)


def test_the_panic_cancelled_event_goes_to_the_incidents_page_with_its_subject(world):
    result = press(world, site=world.a1)
    entry = services.cancel_panic(incident=result.incident, by=world.guard_a)
    event = events.panic_cancelled(
        result.incident, by=world.guard_a, entry=entry, escalation=result.escalation
    )
    assert event.name == "panic.cancelled"
    assert event.groups == (incident_group(result.incident),)
    assert event.subject == (result.incident.pk, world.guard_a.pk, entry.pk)
    assert event.payload["incident"] == {
        "id": str(result.incident.public_id),
        "reference": result.incident.reference,
    }
    assert event.payload["escalation"] == str(result.escalation.public_id)
    assert event.payload["site"] == "A1"


def test_a_panic_without_a_police_partner_is_cancelled_and_recorded_too(world):
    world.a1.agency = None
    world.a1.save()
    result = press(world, site=world.a1)
    assert result.escalation is None
    services.cancel_panic(incident=result.incident, by=world.guard_a)
    assert result.incident.timeline.filter(data__panic="cancelled").count() == 1


def test_after_the_window_or_twice_the_cancel_is_refused_and_changes_nothing(world, settings):
    result = press(world, site=world.a1)
    back_in_time(result.incident, settings.PANIC_CANCEL_SECONDS + 5)
    with pytest.raises(ValidationError, match="cancel window"):
        services.cancel_panic(incident=result.incident, by=world.guard_a)
    assert Escalation.objects.get(pk=result.escalation.pk).status == Escalation.Status.REQUESTED
    assert not result.incident.timeline.filter(data__panic="cancelled").exists()

    second = press(world, site=world.a1)
    services.cancel_panic(incident=second.incident, by=world.guard_a)
    with pytest.raises(ValidationError, match="already cancelled"):
        services.cancel_panic(incident=second.incident, by=world.guard_a)


def test_only_the_guard_who_pressed_cancels_and_only_a_panic(world):
    result = press(world, site=world.a1)
    for someone in (world.supervisor_a, world.guard_b):
        with pytest.raises(PermissionDenied):
            services.cancel_panic(incident=result.incident, by=someone)
    with pytest.raises(ValidationError, match="not a panic"):
        services.cancel_panic(incident=report(world.guard_a, world.a1), by=world.guard_a)
    assert Escalation.objects.get(pk=result.escalation.pk).status == Escalation.Status.REQUESTED


def test_the_panic_answer_offers_the_cancel_and_the_cancel_answers_json(client, world):
    client.force_login(world.guard_a)
    data = {"idempotency_key": str(uuid.uuid4()), "site": world.a1.pk}
    body = client.post(reverse("dispatch:panic"), data, HTTP_ACCEPT="application/json").json()
    incident = Incident.objects.get(public_id=body["incident"])
    assert body["site"] == "A1"
    assert body["cancel_seconds"] == 10
    assert body["cancel_url"] == reverse("dispatch:panic_cancel", args=[incident.public_id])
    assert body["cancel_until"] == selectors.panic_cancel_deadline(incident).isoformat()

    answer = client.post(body["cancel_url"], HTTP_ACCEPT="application/json")
    assert answer.status_code == 200
    assert "the police were told it was a false press" in answer.json()["detail"]
    again = client.post(body["cancel_url"], HTTP_ACCEPT="application/json")
    assert again.status_code == 409
    assert "already cancelled" in again.json()["detail"]


def test_the_incident_page_offers_the_cancel_only_in_the_window_and_only_to_the_guard(client, world):
    result = press(world, site=world.a1)
    page = reverse("incidents:detail", args=[result.incident.public_id])
    cancel = reverse("dispatch:panic_cancel", args=[result.incident.public_id])
    client.force_login(world.supervisor_a)
    assert cancel not in client.get(page).content.decode()
    client.force_login(world.guard_a)
    assert cancel in client.get(page).content.decode()

    response = client.post(cancel, follow=True)
    assert "cancelled: the police were told" in response.content.decode()
    assert cancel not in client.get(page).content.decode()


def test_a_late_form_post_says_why_and_changes_nothing(client, world):
    result = press(world, site=world.a1)
    back_in_time(result.incident, 60)
    client.force_login(world.guard_a)
    response = client.post(reverse("dispatch:panic_cancel", args=[result.incident.public_id]), follow=True)
    assert "cancel window of PANIC" in response.content.decode()
    assert Escalation.objects.get(pk=result.escalation.pk).status == Escalation.Status.REQUESTED


# Changing the site after sending


def test_a_panic_sent_from_the_wrong_site_moves_to_the_other_sites_agency(two_sites):
    w = two_sites
    result = press(w, site=w.a1)
    moved = services.move_panic(incident=result.incident, by=w.guard_a, site=w.a2)
    assert moved is not None
    assert moved.agency == w.agency_y
    assert moved.is_panic
    assert Escalation.objects.get(pk=result.escalation.pk).status == Escalation.Status.CANCELLED
    incident = Incident.objects.get(pk=result.incident.pk)
    assert incident.site == w.a2
    change = incident.timeline.get(kind=TimelineEntry.Kind.FIELD_CHANGED)
    assert change.data == {"field": "site", "old": "A1", "new": "A2"}
    assert incident.shares.filter(agency=w.agency_y).exists()


def test_moving_is_refused_for_others_for_a_site_not_ones_own_and_for_the_same_site(two_sites):
    w = two_sites
    result = press(w, site=w.a1)
    with pytest.raises(PermissionDenied):
        services.move_panic(incident=result.incident, by=w.supervisor_a, site=w.a2)
    with pytest.raises(PermissionDenied):
        services.move_panic(incident=result.incident, by=w.guard_a, site=w.b1)
    with pytest.raises(ValidationError, match="already at A1"):
        services.move_panic(incident=result.incident, by=w.guard_a, site=w.a1)
    assert Escalation.objects.get(pk=result.escalation.pk).status == Escalation.Status.REQUESTED


def test_the_incident_page_offers_the_move_to_the_guard_and_the_post_moves_it(client, two_sites):
    w = two_sites
    result = press(w, site=w.a1)
    page = reverse("incidents:detail", args=[result.incident.public_id])
    move = reverse("dispatch:panic_move", args=[result.incident.public_id])
    client.force_login(w.guard_a)
    assert move in client.get(page).content.decode()
    response = client.post(move, {"site": w.a2.pk}, follow=True)
    assert f"moved to A2 and sent to {w.agency_y}" in response.content.decode()
    assert Incident.objects.get(pk=result.incident.pk).site == w.a2
    assert "Site: <del>A1</del> → <ins>A2</ins>" in response.content.decode()
    client.force_login(w.supervisor_a)
    assert move not in client.get(page).content.decode()


# After "guard is safe"


def test_after_guard_is_safe_the_guards_page_shows_the_panic_cleared_and_offers_no_move_or_cancel(
    client, two_sites
):
    w = two_sites
    result = press(w, site=w.a1)
    page = reverse("incidents:detail", args=[result.incident.public_id])
    move = reverse("dispatch:panic_move", args=[result.incident.public_id])
    cancel = reverse("dispatch:panic_cancel", args=[result.incident.public_id])
    client.force_login(w.supervisor_a)
    client.post(
        reverse("dispatch:act", args=[result.escalation.public_id, "clear_panic"]),
        {"confirmed": "yes"},
        follow=True,
    )
    cleared = Escalation.objects.get(pk=result.escalation.pk)
    assert cleared.panic_cleared_at is not None  # the liaison has not accepted: the request is still open

    client.force_login(w.guard_a)
    html = client.get(page).content.decode()
    assert "PANIC cleared" in html
    assert "PANIC active" not in html
    assert f"cleared by {w.supervisor_a}" in html
    assert timezone.localtime(cleared.panic_cleared_at, ZoneInfo(w.a1.time_zone)).strftime("%H:%M:%S") in html
    assert move not in html
    assert "Move the PANIC" not in html
    assert cancel not in html

    # Posted anyway (an old page): refused with the reason, the panic stays where it was.
    response = client.post(move, {"site": w.a2.pk}, follow=True)
    assert "was cleared by" in response.content.decode()
    assert Incident.objects.get(pk=result.incident.pk).site == w.a1
    assert Escalation.objects.get(pk=result.escalation.pk).status == Escalation.Status.REQUESTED


def test_a_panic_keeps_its_category_when_a_supervisor_edits_it(world, client):
    """Only the panic button files in the panic category; editing a panic's report keeps it."""
    panic = services.press_panic(guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4()).incident
    assert panic.category.code == "panic"
    edited = incident_services.update_incident(
        incident=panic,
        by=world.supervisor_a,
        expected_version=panic.version,
        category=panic.category,
        narrative="The guard pressed it at the loading bay.",
    )
    assert edited.category.code == "panic"
    assert edited.narrative == "The guard pressed it at the loading bay."


# The panic's state wherever the guard and the supervisor look


def test_every_page_the_guard_opens_says_a_panic_is_active_until_it_is_over(client, two_sites):
    """The panic bar said "Press and hold 2 s" on every page after a panic, as if nothing were on:
    now it says since when and from where, with a link to it; once cancelled, it is a button again."""
    w = two_sites
    result = press(w, site=w.a1)
    page = reverse("incidents:detail", args=[result.incident.public_id])
    client.force_login(w.guard_a)
    for url in (reverse("home"), reverse("incidents:list"), page):
        bar = client.get(url).content.decode().split('class="panic-bar"')[1]
        assert "PANIC active</strong> since" in bar
        assert f'href="{page}" data-panic-active' in bar
    client.post(reverse("dispatch:panic_cancel", args=[result.incident.public_id]))
    bar = client.get(reverse("home")).content.decode().split('class="panic-bar"')[1]
    assert "Press and hold 2 s" in bar
    assert "data-panic-active" not in bar


def test_a_cancelled_panic_is_marked_so_in_the_queue_and_on_its_page_which_offers_no_move(client, two_sites):
    w = two_sites
    cancelled = press(w, site=w.a1)
    services.cancel_panic(incident=cancelled.incident, by=w.guard_a)
    press(w, site=w.a2)  # and a second, still active
    client.force_login(w.supervisor_a)
    queue = client.get(reverse("incidents:triage")).content.decode()
    assert 'data-panic-state="cancelled">PANIC cancelled: false alarm' in queue
    assert 'data-panic-state="active">PANIC active' in queue
    assert queue.count("data-panic-state=") == 2

    client.force_login(w.guard_a)
    html = client.get(reverse("incidents:detail", args=[cancelled.incident.public_id])).content.decode()
    header = html.split('<header class="incident-header">')[1].split("</header>")[0]
    assert "PANIC cancelled: false alarm" in header
    assert "PANIC active" not in header
    assert "Move the PANIC" not in html


def test_a_cancelled_panics_page_offers_no_escalation_and_says_what_happened(client, two_sites):
    """Issue 14.1 (found walking the story): a cancelled PANIC still offered "Escalate" and "Guard is
    safe"; its page says it was cancelled, when, by whom and who was told, and a post escalates nothing."""
    w = two_sites
    result = press(w, site=w.a1)
    entry = services.cancel_panic(incident=result.incident, by=w.guard_a)
    page = reverse("incidents:detail", args=[result.incident.public_id])
    escalate = reverse("dispatch:escalate", args=[result.incident.public_id])
    for user in (w.supervisor_a, w.guard_a):
        client.force_login(user)
        html = client.get(page).content.decode()
        police = html.split('<section class="card police"')[1].split("</section>")[0]
        assert escalate not in police
        assert "Guard is safe: clear panic" not in police
        note = police.split("data-panic-cancelled>")[1].split("</p>")[0]
        assert "PANIC cancelled: false alarm." in note
        assert f"Cancelled by {w.guard_a} at" in note
        assert entry.at.astimezone(ZoneInfo(w.a1.time_zone)).strftime("%H:%M:%S") in note
        board = f"{w.a1.agency.name}&#x27;s board (its request withdrawn)"
        assert f"Told of the cancellation: {board}, {w.supervisor_a}." in note

    client.force_login(w.supervisor_a)
    response = client.post(escalate, {"reason": "Again"}, follow=True)
    assert "cancelled as a false alarm: it is not escalated again" in response.content.decode()
    assert result.incident.escalations.count() == 1
    # An active PANIC still offers "Guard is safe".
    active = press(w, site=w.a2)
    html = client.get(reverse("incidents:detail", args=[active.incident.public_id])).content.decode()
    assert "Guard is safe: clear panic" in html
