"""The liaison's control-room board: its filters, map data, recently cleared, history, unread marks,
density preference, and the provider's side of an incident reaching it (HTTP and services)."""

import re
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from dispatch import events, services
from dispatch.models import BoardEvent, BoardPreference, Escalation
from incidents import services as incident_services
from portal.celery import FOLLOW_UPS
from portal.requests import RequestOrigin
from tests.factories import SiteFactory, member, report
from tests.incidents import evidence_samples as samples

pytestmark = pytest.mark.django_db


def escalated(world, site=None, **fields):
    return services.escalate_incident(
        incident=report(world.guard_a, site or world.a1, **fields), by=world.supervisor_a
    )


def board(client, user, **query):
    client.force_login(user)
    return client.get(reverse("dispatch:board"), query)


def shown(response):
    """The references of the rows the server drew (the filtered list)."""
    return [e.incident.reference for e in response.context["escalations"]]


def test_the_board_draws_a_site_severity_and_state_filter_over_the_agencys_sites(client, world):
    world.a1.outline = [[41.0, -87.0], [41.001, -87.0], [41.001, -87.001]]
    world.a1.latitude, world.a1.longitude = 41.0005, -87.0005
    world.a1.save()
    response = board(client, world.liaison_x)
    html = response.content.decode()
    assert 'aria-label="Filter the board"' in html
    assert f'<option value="{world.a1.pk}">A1</option>' in html
    assert "B1" not in html  # another agency's site is neither in the filter nor on the map
    sites = response.context["snapshot"]["sites"]
    assert sites == [
        {
            "id": world.a1.pk,
            "name": "A1",
            "code": world.a1.code,
            "latitude": 41.0005,
            "longitude": -87.0005,
            "outline": [[41.0, -87.0], [41.001, -87.0], [41.001, -87.001]],
        }
    ]


def test_filters_narrow_the_rows_by_site_severity_and_state(client, world):
    other_site = SiteFactory(provider=world.provider_a, agency=world.agency_x, name="A3")
    world.guard_a.site_assignments.create(site=other_site)
    urgent = escalated(world, severity=2)
    routine = escalated(world, other_site, severity=3)
    services.accept_escalation(escalation=routine, by=world.liaison_x)
    everything = {urgent.incident.reference, routine.incident.reference}
    assert set(shown(board(client, world.liaison_x))) == everything
    assert shown(board(client, world.liaison_x, site=other_site.pk)) == [routine.incident.reference]
    assert shown(board(client, world.liaison_x, severity=2)) == [urgent.incident.reference]
    assert shown(board(client, world.liaison_x, state="accepted")) == [routine.incident.reference]
    assert shown(board(client, world.liaison_x, state="requested", severity=3)) == []
    # The snapshot keeps every open escalation: the page filters live ones as they come.
    snapshot = board(client, world.liaison_x, severity=2).context["snapshot"]
    assert {e["incident"]["reference"] for e in snapshot["escalations"]} == everything


def test_a_bad_filter_says_so_and_narrows_nothing(client, world):
    mine = escalated(world)
    response = board(client, world.liaison_x, severity="9", site="999999")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Select a valid choice" in html
    assert shown(response) == [mine.incident.reference]


def test_a_row_carries_photo_verification_police_state_age_and_position(
    client, world, eager, django_capture_on_commit_callbacks
):
    escalation = escalated(world, latitude="41.500000", longitude="-87.250000")
    incident_services.accept_incident(incident=escalation.incident, by=world.supervisor_a)
    accepted = services.accept_escalation(escalation=escalation, by=world.liaison_x)
    payload = board(client, world.liaison_x).context["snapshot"]["escalations"][0]
    assert payload["status_since"] == accepted.accepted_at.isoformat()
    assert payload["incident"]["provider_review"] == "Accepted by the provider"
    assert payload["incident"]["status"] == "accepted"
    assert payload["incident"]["latitude"] == "41.500000"
    assert payload["incident"]["site_id"] == world.a1.pk
    assert payload["incident"]["photo"] is None
    with django_capture_on_commit_callbacks(execute=True):  # the thumbnail is made after the commit
        item = incident_services.add_evidence(
            incident=escalation.incident,
            by=world.guard_a,
            upload=samples.upload(samples.jpeg(), "scene.jpg"),
            client_sha256=None,
            origin=RequestOrigin(ip_address=None, user_agent="test"),
        )
    response = board(client, world.liaison_x)
    photo = response.context["snapshot"]["escalations"][0]["incident"]["photo"]
    assert photo == reverse("incidents:evidence_thumbnail", args=[item.public_id])
    # The photo is the incident's personal data: a placeholder until the liaison says why.
    placeholder = client.get(photo)
    assert placeholder["X-Preview"] == "purpose_needed"
    # Drawn in the board thumbnail's shape (4:3), so it is not cropped and shrunk past reading.
    assert b'viewBox="0 0 160 120"' in placeholder.content
    given = reverse("incidents:give_purpose", args=[escalation.incident.public_id])
    client.post(given, {"purpose": "Case 2026/0042"})
    assert client.get(photo)["Content-Type"] == "image/jpeg"


def test_recently_cleared_shows_what_ended_within_the_setting_hours(client, world, settings):
    settings.BOARD_RECENT_HOURS = 2
    fresh = escalated(world)
    services.accept_escalation(escalation=fresh, by=world.liaison_x)
    services.clear_escalation(escalation=fresh, by=world.liaison_x, disposition="Gone on arrival")
    old = escalated(world)
    services.reject_escalation(escalation=old, by=world.liaison_x, reason="Civil matter")
    Escalation.objects.filter(pk=old.pk).update(rejected_at=timezone.now() - timedelta(hours=3))
    still_open = escalated(world)
    response = board(client, world.liaison_x)
    assert [e.pk for e in response.context["recent"]] == [fresh.pk]
    assert [e["id"] for e in response.context["snapshot"]["recent"]] == [str(fresh.public_id)]
    assert response.context["snapshot"]["recent_hours"] == 2
    html = response.content.decode()
    assert "Recently cleared" in html
    assert "(last 2 h)" in html
    assert shown(response) == [still_open.incident.reference]


def test_the_history_lists_every_escalation_of_the_agency_newest_first(client, world):
    first = escalated(world)
    services.accept_escalation(escalation=first, by=world.liaison_x)
    services.clear_escalation(
        escalation=first, by=world.liaison_x, disposition="Arrest made", case_number="X-1"
    )
    second = escalated(world)
    elsewhere = services.escalate_incident(incident=report(world.guard_b, world.b1), by=world.supervisor_b)
    client.force_login(world.liaison_x)
    response = client.get(reverse("dispatch:history"))
    assert response.status_code == 200
    assert [e.pk for e in response.context["page"].rows] == [second.pk, first.pk]
    html = response.content.decode()
    assert "full history" in html
    assert "Arrest made" in html
    assert "#X-1" in html
    assert elsewhere.incident.reference not in html
    cleared = client.get(reverse("dispatch:history"), {"state": "cleared"})
    assert [e.pk for e in cleared.context["page"].rows] == [first.pk]


def test_the_history_fragment_is_the_list_alone_for_the_boards_drawer(client, world):
    escalated(world)
    client.force_login(world.liaison_x)
    fragment = client.get(reverse("dispatch:history"), {"fragment": "1"}).content.decode()
    assert "data-history-content" in fragment
    assert "<html" not in fragment
    page = client.get(reverse("dispatch:history")).content.decode()
    assert "<html" in page
    assert "data-history-content" in page


def test_the_history_pages_keep_the_filter(client, world, monkeypatch):
    monkeypatch.setattr("dispatch.views.HISTORY_PAGE", 2)
    for _ in range(3):
        escalated(world, severity=2)
    escalated(world, severity=3)
    client.force_login(world.liaison_x)
    response = client.get(reverse("dispatch:history"), {"severity": "2"})
    assert response.context["page"].count == 3
    cursor = response.context["page"].next_cursor
    assert f"severity=2&amp;cursor={cursor}" in response.content.decode()
    second = client.get(reverse("dispatch:history"), {"severity": "2", "cursor": cursor})
    assert len(second.context["page"].rows) == 1
    assert second.context["page"].previous_cursor  # Newer leads back
    back = client.get(
        reverse("dispatch:history"), {"severity": "2", "cursor": second.context["page"].previous_cursor}
    )
    assert [e.pk for e in back.context["page"].rows] == [e.pk for e in response.context["page"].rows]


def test_a_provider_message_is_unread_until_the_liaison_opens_the_details(client, world):
    escalation = escalated(world)
    services.post_message(incident=escalation.incident, by=world.guard_a, text="He went left.")
    assert board(client, world.liaison_x).context["snapshot"]["unread"] == [str(escalation.public_id)]
    assert "✉ New message" in board(client, world.liaison_x).content.decode()
    client.get(reverse("dispatch:panel", args=[escalation.public_id]))
    assert board(client, world.liaison_x).context["snapshot"]["unread"] == []
    # The agency's own messages are never unread, and a later guard's message is again.
    services.post_message(incident=escalation.incident, by=world.liaison_x, text="Unit on its way.")
    assert board(client, world.liaison_x).context["snapshot"]["unread"] == []
    services.post_message(incident=escalation.incident, by=world.guard_a, text="Now by the bins.")
    assert board(client, world.liaison_x).context["snapshot"]["unread"] == [str(escalation.public_id)]


def test_the_density_is_kept_for_the_user_and_drawn_on_every_load(client, world):
    assert "density-comfortable" in board(client, world.liaison_x).content.decode()
    response = client.post(
        reverse("dispatch:preferences"), {"density": "compact"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    assert response.json() == {"density": "compact"}
    assert BoardPreference.objects.get(user=world.liaison_x).density == "compact"
    html = board(client, world.liaison_x).content.decode()
    assert "density-compact" in html
    assert 'value="compact" class="secondary" aria-pressed="true"' in html
    # Another liaison keeps their own.
    assert "density-comfortable" in board(client, member(Role.LIAISON, world.agency_x)).content.decode()


def test_a_bad_density_is_refused_with_a_message_and_changes_nothing(client, world):
    client.force_login(world.liaison_x)
    url = reverse("dispatch:preferences")
    client.post(url, {"density": "compact"})
    response = client.post(url, {"density": "tiny"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert "Choose 'comfortable', 'compact'" in response.json()["detail"]
    assert BoardPreference.objects.get(user=world.liaison_x).density == "compact"
    followed = client.post(url, {"density": ""}, follow=True)
    assert "Choose" in followed.content.decode()


def test_density_is_only_for_board_watchers(world):
    with pytest.raises(PermissionDenied, match="agency's liaisons"):
        services.set_board_density(user=world.supervisor_a, density="compact")


def test_closing_an_escalated_incident_tells_the_board_once(world, django_capture_on_commit_callbacks, eager):
    escalation = escalated(world)
    services.accept_escalation(escalation=escalation, by=world.liaison_x)
    services.mark_on_scene(escalation=escalation, by=world.liaison_x)
    assert "dispatch.announce_incident_change" in FOLLOW_UPS["incident.status_changed"].tasks
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.close_incident(
            incident=escalation.incident,
            by=world.supervisor_a,
            resolution="Handed to the police.",
            confirmed=True,
        )
    last = BoardEvent.objects.filter(escalation=escalation).order_by("-sequence").first()
    assert last.name == events.INCIDENT_CHANGED
    shown = last.payload["escalation"]
    assert shown["status"] == "on_scene"  # the police's state is theirs to change
    assert shown["incident"]["status"] == "closed"
    assert shown["incident"]["provider_review"] == "Closed by the provider"
    assert shown["incident"]["closed_at"]
    # Run again (a redelivered task): the board already knows, nothing is recorded twice.
    assert services.announce_incident_change(incident_id=escalation.incident_id) == []
    assert BoardEvent.objects.filter(escalation=escalation, name=events.INCIDENT_CHANGED).count() == 1


def test_an_unescalated_incident_changes_no_board(world):
    incident = report(world.guard_a, world.a1)
    assert services.announce_incident_change(incident_id=incident.pk) == []
    assert services.announce_incident_change(incident_id=10**9) == []
    assert not BoardEvent.objects.exists()


def test_verifying_an_escalated_incident_reaches_the_board(world, django_capture_on_commit_callbacks, eager):
    escalation = escalated(world)
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.accept_incident(incident=escalation.incident, by=world.supervisor_a)
    last = BoardEvent.objects.filter(escalation=escalation).order_by("-sequence").first()
    assert last.name == events.INCIDENT_CHANGED
    assert last.payload["escalation"]["incident"]["provider_review"] == "Accepted by the provider"


@pytest.mark.parametrize(
    ("outline", "message"),
    [
        ([[1, 2], [3, 4]], "3 to 200"),
        ("not a list", "3 to 200"),
        ([[1, 2], [3, 4], [5]], "Point 3"),
        ([[1, 2], [3, 4], [95, 0]], "off the globe"),
        ([[1, 2], [3, 4], [True, 0]], "Point 3"),
    ],
)
def test_a_site_outline_is_checked(world, outline, message):
    world.a1.outline = outline
    with pytest.raises(ValidationError, match=message):
        world.a1.full_clean()


def test_a_site_outline_may_be_empty_or_a_ring_of_points(world):
    for outline in ([], [[41.0, -87.0], [41.1, -87.0], [41.1, -87.1]]):
        world.a1.outline = outline
        world.a1.full_clean()


def test_a_cleared_panic_stays_on_the_board_as_guard_safe_not_as_an_alarm(client, world):
    """Issue 14 fix, finding 3: "Guard is safe: clear panic" turns the red PANIC row into an ordinary
    row that says who cleared it and when, while the police response is open; after a reload too."""
    panic = services.press_panic(guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4())
    other = escalated(world, severity=1)
    [first, second] = board(client, world.liaison_x).context["escalations"]
    assert (first, second) == (panic.escalation, other)  # the active panic leads the board
    assert board(client, world.liaison_x, state="panic").context["escalations"][0] == panic.escalation

    client.force_login(world.supervisor_a)
    client.post(
        reverse("dispatch:act", args=[panic.escalation.public_id, "clear_panic"]), {"confirmed": "yes"}
    )

    response = board(client, world.liaison_x)
    rows = {row["id"]: row for row in response.context["snapshot"]["escalations"]}
    row = rows[str(panic.escalation.public_id)]
    assert row["status"] == "requested"  # still on the board: the police response is open
    assert row["panic_active"] is False
    assert row["panic_cleared_by"] == str(world.supervisor_a)
    assert row["panic_cleared_at"]
    html = response.content.decode()
    assert f"Guard safe: panic cleared by {world.supervisor_a} at " in html
    assert list(board(client, world.liaison_x, state="panic").context["escalations"]) == []
    # No longer pinned above a more urgent call as an alarm: ordered as any severity-1 row, oldest first.
    assert list(response.context["escalations"]) == [panic.escalation, other]
    assert response.context["escalations"][0].panic_rank != 0

    panel = client.get(reverse("dispatch:panel", args=[panic.escalation.public_id])).content.decode()
    assert f"Guard safe: panic cleared by {world.supervisor_a} at " in panel
    assert ">PANIC<" not in panel
    said = re.sub(r"<[^>]+>|\s+", " ", panel)  # the words, without the markup
    assert re.search(rf"Guard safe: panic cleared +by {world.supervisor_a}", said)  # the timeline entry
    assert not re.search(rf"Police response +by {world.supervisor_a}", said)
    assert "Escalated by the guard's panic button" in panel  # the source in words, not "Panic button"


def test_the_board_panel_groups_the_clear_fields_with_clear_and_puts_actions_first(client, world):
    escalation = escalated(world)
    services.accept_escalation(escalation=escalation, by=world.liaison_x)
    client.force_login(world.liaison_x)
    html = client.get(reverse("dispatch:panel", args=[escalation.public_id])).content.decode()
    clear = html[html.index('data-act="clear"') : html.index("</form>", html.index('data-act="clear"'))]
    assert "<legend>Clear the call</legend>" in clear
    for part in ('name="disposition"', 'name="case_number"', "Clear <kbd>c</kbd>"):
        assert part in clear
    assert "On scene <kbd>o</kbd>" not in clear
    # Actions and the message box come before the facts and the timeline (visible without scrolling).
    assert html.index('data-act="on_scene"') < html.index('class="facts"')
    assert html.index("data-message-form") < html.index("Timeline and messages")
    assert "Escalated by a supervisor" in html
