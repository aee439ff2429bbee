import uuid

import pytest
from django.urls import reverse

from dispatch import services
from dispatch.models import Escalation
from incidents.models import Incident
from tests.factories import report


def escalated(world, **fields):
    return services.escalate_incident(
        incident=report(world.guard_a, world.a1, **fields), by=world.supervisor_a
    )


def test_the_board_shows_the_agencys_open_escalations_with_a_snapshot(client, world):
    mine = escalated(world)
    services.escalate_incident(incident=report(world.guard_b, world.b1), by=world.supervisor_b)
    client.force_login(world.liaison_x)
    response = client.get(reverse("dispatch:board"))
    assert response.status_code == 200
    assert b"theme-dark" in response.content
    snapshot = response.context["snapshot"]
    assert snapshot["last"] == 1
    assert [e["id"] for e in snapshot["escalations"]] == [str(mine.public_id)]
    assert snapshot["can_act"] is True


@pytest.mark.parametrize("who", ["guard_a", "supervisor_a", "admin_a"])
def test_the_board_is_for_agencies(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("dispatch:board")).status_code == 403


def test_board_order_is_panic_then_severity_then_age(client, world):
    old_low = escalated(world, severity=3)
    new_high = escalated(world, severity=1)
    panic = services.press_panic(guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4()).escalation
    client.force_login(world.liaison_x)
    snapshot = client.get(reverse("dispatch:board")).context["snapshot"]
    assert [e["id"] for e in snapshot["escalations"]] == [
        str(x.public_id) for x in (panic, new_high, old_low)
    ]


def test_actions_answer_json_to_the_board_and_tell_the_loser(client, world):
    escalation = escalated(world)
    client.force_login(world.liaison_x)
    url = reverse("dispatch:act", args=[escalation.public_id, "accept"])
    response = client.post(url, {"version": escalation.version}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    again = client.post(url, {}, HTTP_ACCEPT="application/json")
    assert again.status_code == 409
    assert "already accepted by" in again.json()["detail"]


def test_the_panel_shows_incident_evidence_timeline_and_actions(client, world):
    escalation = escalated(world, narrative="Man with a crowbar at door 3")
    client.force_login(world.liaison_x)
    response = client.get(reverse("dispatch:panel", args=[escalation.public_id]))
    assert response.status_code == 200
    assert b"Man with a crowbar at door 3" in response.content
    assert b'data-act="accept"' in response.content
    client.force_login(world.liaison_y)
    assert client.get(reverse("dispatch:panel", args=[escalation.public_id])).status_code == 404


def test_supervisor_escalates_and_cancels_from_the_incident_page(client, world):
    incident = report(world.guard_a, world.a1)
    client.force_login(world.supervisor_a)
    page = client.get(reverse("incidents:detail", args=[incident.public_id]))
    assert b"Escalate to Agency X" in page.content
    client.post(reverse("dispatch:escalate", args=[incident.public_id]), {"reason": "Suspect on site"})
    escalation = Escalation.objects.get()
    assert escalation.reason == "Suspect on site"
    client.post(reverse("dispatch:act", args=[escalation.public_id, "cancel"]), {"reason": ""})
    escalation.refresh_from_db()
    assert escalation.status == "requested"
    client.post(reverse("dispatch:act", args=[escalation.public_id, "cancel"]), {"reason": "Left the site"})
    escalation.refresh_from_db()
    assert escalation.status == "cancelled"


def test_panic_from_any_page_with_one_post(client, world):
    client.force_login(world.guard_a)
    home = client.get(reverse("home"))
    assert b"data-panic" in home.content
    key = str(uuid.uuid4())
    data = {"idempotency_key": key, "site": world.a1.pk, "latitude": "51.5", "longitude": "not-a-number"}
    response = client.post(reverse("dispatch:panic"), data, HTTP_ACCEPT="application/json")
    assert response.status_code == 201
    assert response.json()["escalated"] is True
    again = client.post(reverse("dispatch:panic"), data, HTTP_ACCEPT="application/json")
    assert again.json()["reference"] == response.json()["reference"]
    incident = Incident.objects.get()
    assert incident.latitude is None  # a bad location never stops a panic
    assert incident.escalations.get().is_panic


def test_no_panic_button_for_other_roles(client, world):
    client.force_login(world.supervisor_a)
    assert b"data-panic" not in client.get(reverse("home")).content
    assert client.post(reverse("dispatch:panic"), {"idempotency_key": str(uuid.uuid4())}).status_code == 403
    assert not Incident.objects.exists()


def test_messages_without_the_socket(client, world):
    escalation = escalated(world)
    client.force_login(world.guard_a)
    url = reverse("dispatch:message", args=[escalation.incident.public_id])
    assert (
        client.post(url, {"text": "Suspect heading north"}, HTTP_ACCEPT="application/json").status_code == 201
    )
    assert client.post(url, {"text": " "}, HTTP_ACCEPT="application/json").status_code == 400
    client.force_login(world.guard_b)
    assert client.post(url, {"text": "x"}).status_code == 404


def test_the_message_box_says_whom_the_message_goes_to(client, world):
    """The liaison writes to the provider's people: their box did not say "to the police"."""
    escalation = escalated(world)
    detail = reverse("incidents:detail", args=[escalation.incident.public_id])
    services.accept_escalation(escalation=escalation, by=world.liaison_x)
    client.force_login(world.guard_a)
    assert "Message to the police and your team</label>" in client.get(detail).content.decode()
    client.force_login(world.liaison_x)
    page = client.get(detail).content.decode()
    assert "Message to the guards and supervisors</label>" in page
    assert "Message to the police" not in page


def test_a_narrative_cannot_break_out_of_the_board_snapshot(client, world):
    """Regression: the snapshot was written into a script element with |safe (XSS)."""
    escalated(world, narrative="</script><script>alert(1)</script>")
    client.force_login(world.liaison_x)
    content = client.get(reverse("dispatch:board")).content
    assert b"<script>alert(1)</script>" not in content
    assert b"\\u003C/script\\u003E" in content


def test_no_escalate_button_while_an_escalation_is_open(client, world):
    escalation = escalated(world)
    client.force_login(world.supervisor_a)
    page = client.get(reverse("incidents:detail", args=[escalation.incident.public_id]))
    assert b"Escalate to" not in page.content
    services.cancel_escalation(escalation=escalation, by=world.supervisor_a, reason="False alarm")
    page = client.get(reverse("incidents:detail", args=[escalation.incident.public_id]))
    assert b"Escalate to" in page.content


def test_numbers_that_are_digits_only_to_unicode_are_ignored(client, world):
    # "²" passes str.isdigit but not int(): it was a 500 (found while fuzzing the API's input).
    escalation = escalated(world)
    client.force_login(world.liaison_x)
    url = reverse("dispatch:act", args=[escalation.public_id, "accept"])
    assert client.post(url, {"version": "²"}, HTTP_ACCEPT="application/json").status_code == 200
    client.force_login(world.guard_a)
    data = {"idempotency_key": str(uuid.uuid4()), "site": "²", "accuracy": "10**400"}
    assert client.post(reverse("dispatch:panic"), data, HTTP_ACCEPT="application/json").status_code == 201


def test_a_panic_at_a_site_the_guard_is_not_assigned_to_is_refused_on_the_page(client, world):
    client.force_login(world.guard_a)
    data = {"idempotency_key": str(uuid.uuid4()), "site": world.a2.pk}
    response = client.post(reverse("dispatch:panic"), data, HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert "not assigned to that site" in response.json()["detail"]
    assert client.post(reverse("dispatch:panic"), data).status_code == 403
    assert not Incident.objects.exists()
    # Without a site, the guard's own first site, as before.
    assert client.post(reverse("dispatch:panic"), {}, HTTP_ACCEPT="application/json").status_code == 201
    assert Incident.objects.get().site == world.a1


def test_the_incident_s_police_line_names_the_site_s_zone_on_every_time(client, world):
    """The police line read "escalated 06:40:28 CST · accepted 06:40:28": the later times had no zone."""
    import re

    world.a1.time_zone = "America/Chicago"
    world.a1.save(update_fields=["time_zone"])
    incident = report(world.guard_a, world.a1)
    escalation = services.escalate_incident(incident=incident, by=world.supervisor_a)
    services.accept_escalation(escalation=escalation, by=world.liaison_x)
    services.mark_on_scene(escalation=escalation, by=world.liaison_x)
    client.force_login(world.supervisor_a)
    page = client.get(reverse("incidents:detail", args=[incident.public_id])).content.decode()
    for step in ("escalated", "accepted", "on scene"):
        assert re.search(rf"{step} \d\d:\d\d:\d\d C[SD]T", page), step
