"""Who on the provider's side is told (issue 13.7): panics, submitted reports, questions to a guard,
and stale accepted escalations; through the real services and at the pages people read."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from dispatch import services as dispatch_services
from incidents import services as incident_services
from incidents.models import Category, Incident, TimelineEntry
from notifications import services
from notifications.models import (
    Channel,
    ChannelPreference,
    Kind,
    Notification,
    NotificationProfile,
    OutboxMessage,
)
from tests.factories import SiteFactory, member, report

pytestmark = pytest.mark.usefixtures("eager")


def told(kind, **filters):
    """(recipient, channel) of each message of this kind that has someone to reach."""
    rows = OutboxMessage.objects.filter(kind=kind, recipient__isnull=False, **filters)
    return {(message.recipient, message.channel) for message in rows}


def inbox(client, user):
    client.force_login(user)
    return client.get(reverse("notifications:inbox")).content.decode()


def off_duty(user):
    NotificationProfile.objects.update_or_create(user=user, defaults={"on_duty": False})


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a service and what follows its commit (tasks eager: the follow-ups and the deliveries)."""

    def run(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run


@pytest.fixture
def lone_site(world):
    """A site of provider A with no police partner."""
    site = SiteFactory(provider=world.provider_a, agency=None, name="Depot")
    site.assignments.create(user=world.guard_a)
    return site


@pytest.fixture
def panic(client, committed):
    """The guard presses the panic button (the page's form post), and what follows its commit runs."""

    def press(guard, site):
        client.force_login(guard)
        data = {"idempotency_key": str(uuid.uuid4()), "site": site.pk}
        response = committed(client.post, path=reverse("dispatch:panic"), data=data)
        return client.get(response["Location"])

    return press


@pytest.fixture
def api():
    return APIClient()


# --- 1. A submitted report ----------------------------------------------------------------------


def test_a_submitted_report_reaches_the_providers_supervisors_on_duty_in_their_inbox(
    client, world, committed
):
    second = member(Role.SUPERVISOR, world.provider_a)
    off_duty(second)
    incident = committed(
        incident_services.report_incident,
        reporter=world.guard_a,
        site=world.a1,
        idempotency_key=uuid.uuid4(),
        category=Category.objects.get(code="theft"),
        narrative="Two jackets taken from the rack.",
    ).incident
    assert told(Kind.REPORT, incident=incident) == {(world.supervisor_a, Channel.IN_APP)}
    page = inbox(client, world.supervisor_a)
    assert f"New report {incident.reference}" in page
    assert f"New report {incident.reference}" not in inbox(client, second)  # off duty, a colleague is on
    assert not told(Kind.REPORT, incident=incident, recipient=world.supervisor_b)  # another provider's


def test_with_nobody_on_duty_every_supervisor_is_told_and_without_supervisors_the_admins(world):
    off_duty(world.supervisor_a)
    incident = report(world.guard_a, world.a1)
    services.notify_report_submitted(incident=incident)
    assert told(Kind.REPORT, incident=incident) == {(world.supervisor_a, Channel.IN_APP)}
    assert "none is on duty" in OutboxMessage.objects.get(incident=incident, kind=Kind.REPORT).reason
    world.supervisor_a.membership.delete()
    other = report(world.guard_a, world.a1)
    services.notify_report_submitted(incident=other)
    assert told(Kind.REPORT, incident=other) == {(world.admin_a, Channel.IN_APP)}


def test_a_report_is_announced_once_by_the_channels_each_supervisor_chose(world):
    ChannelPreference.objects.create(
        user=world.supervisor_a, kind=Kind.REPORT, channel=Channel.EMAIL, enabled=True
    )
    incident = report(world.guard_a, world.a1)
    services.notify_report_submitted(incident=incident)
    services.notify_report_submitted(incident=incident)  # the task ran twice
    assert told(Kind.REPORT, incident=incident) == {
        (world.supervisor_a, Channel.IN_APP),
        (world.supervisor_a, Channel.EMAIL),
    }
    assert OutboxMessage.objects.filter(incident=incident, kind=Kind.REPORT).count() == 2


def test_a_report_whose_announcement_task_was_lost_is_announced_by_the_sweep_once(world):
    """The fault run found reports whose supervisors were never told: their after-commit task went
    down with Redis. This test's transaction never commits, so its follow-ups never run: the same."""
    lost = report(world.guard_a, world.a1)
    assert not OutboxMessage.objects.filter(incident=lost).exists()
    later = lost.submitted_at + timedelta(minutes=1)
    fresh = report(world.guard_a, world.a1)
    Incident.objects.filter(pk=fresh.pk).update(submitted_at=later - timedelta(seconds=5))

    assert services.sweep_report_announcements(now=later) == 1  # the fresh one may still be on its way
    assert told(Kind.REPORT, incident=lost) == {(world.supervisor_a, Channel.IN_APP)}
    assert services.sweep_report_announcements(now=later) == 0  # announced once, however often it runs
    assert OutboxMessage.objects.filter(incident=lost, kind=Kind.REPORT).count() == 1
    assert services.sweep_report_announcements(now=later + timedelta(days=2)) == 0  # past the window


def test_the_sweep_leaves_panics_and_drafts_alone(world):
    dispatch_services.press_panic(guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4())
    report(world.guard_a, world.a1, submit=False)
    assert services.sweep_report_announcements(now=timezone.now() + timedelta(minutes=1)) == 0
    assert not OutboxMessage.objects.filter(kind=Kind.REPORT).exists()


def test_a_draft_is_announced_only_once_it_is_sent(world, committed):
    draft = report(world.guard_a, world.a1, submit=False)
    services.notify_report_submitted(incident=draft)
    assert not OutboxMessage.objects.filter(incident=draft).exists()
    committed(incident_services.submit_incident, incident=draft, by=world.guard_a)
    assert told(Kind.REPORT, incident=draft) == {(world.supervisor_a, Channel.IN_APP)}


# --- 2. A question to the guard -----------------------------------------------------------------


def test_a_guard_asked_for_more_information_is_told_in_their_inbox(client, world, committed):
    incident = report(world.guard_a, world.a1)
    client.force_login(world.supervisor_a)
    with_commit = committed(
        client.post,
        path=reverse("incidents:triage_action", args=[incident.public_id]),
        data={"action": "request_info", "version": incident.version, "comment": "Which exit did he use?"},
    )
    assert with_commit.status_code == 302
    assert told(Kind.INFO_REQUEST, incident=incident) == {(world.guard_a, Channel.IN_APP)}
    page = inbox(client, world.guard_a)
    assert f"asks about your report {incident.reference}" in page
    assert "Which exit did he use?" in page


def test_each_question_is_told_once_and_in_app_even_if_the_guard_chose_nothing(world, committed):
    ChannelPreference.objects.create(
        user=world.guard_a, kind=Kind.INFO_REQUEST, channel=Channel.IN_APP, enabled=False
    )
    incident = report(world.guard_a, world.a1)
    committed(
        incident_services.request_more_information,
        incident=incident,
        by=world.supervisor_a,
        comment="Which exit?",
    )
    entry = incident.timeline.get(kind=TimelineEntry.Kind.INFO_REQUESTED)
    services.notify_info_requested(incident=incident, entry=entry)  # ran again
    assert OutboxMessage.objects.filter(kind=Kind.INFO_REQUEST, incident=incident).count() == 1
    assert Notification.objects.get(recipient=world.guard_a).body.startswith("Which exit?")


def test_the_guard_answers_the_question_from_its_box_and_the_supervisor_who_asked_is_told(
    client, world, committed
):
    """Issue 14.3: the question shows with a reply box; the answer lands beside it on the timeline,
    the report goes back to the queue, and the asker reads it in their inbox, once."""
    other = member(Role.SUPERVISOR, world.provider_a)
    incident = report(world.guard_a, world.a1)
    committed(
        incident_services.request_more_information,
        incident=incident,
        by=world.supervisor_a,
        comment="Which exit did he use?",
    )
    page = reverse("incidents:detail", args=[incident.public_id])
    client.force_login(world.guard_a)
    html = client.get(page).content.decode()
    card = html.split('<section class="card question"')[1].split("</section>")[0]
    assert reverse("incidents:answer", args=[incident.public_id]) in card
    assert '<label for="answer-text">Your answer</label>' in card

    incident.refresh_from_db()
    response = committed(
        client.post,
        path=reverse("incidents:answer", args=[incident.public_id]),
        data={"text": "The east exit, towards the car park", "version": incident.version},
        follow=True,
    )
    assert f"Answer sent: {incident.reference} is back with your supervisors." in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == Incident.Status.SUBMITTED
    answer = incident.timeline.get(kind=TimelineEntry.Kind.INFO_PROVIDED)
    assert answer.data["text"] == "The east exit, towards the car park"
    assert told(Kind.MESSAGE, incident=incident) == {(world.supervisor_a, Channel.IN_APP)}
    services.notify_info_provided(incident=incident, entry=answer)  # ran again: nothing more
    assert OutboxMessage.objects.filter(kind=Kind.MESSAGE, incident=incident).count() == 1
    box = inbox(client, world.supervisor_a)
    assert f"{world.guard_a} answered your question about {incident.reference}" in box
    assert "The east exit, towards the car park" in box
    assert "answered your question" not in inbox(client, other)
    client.force_login(world.supervisor_a)
    timeline = client.get(page).content.decode().split('id="timeline-heading"')[1]
    assert "Answer to the supervisor" in timeline
    assert "The east exit, towards the car park" in timeline


def test_an_empty_or_late_answer_changes_nothing(client, world, committed):
    incident = report(world.guard_a, world.a1)
    incident_services.request_more_information(
        incident=incident, by=world.supervisor_a, comment="Which exit?"
    )
    incident.refresh_from_db()
    client.force_login(world.guard_a)
    answer = reverse("incidents:answer", args=[incident.public_id])
    response = client.post(answer, {"text": "  ", "version": incident.version}, follow=True)
    assert "Write the answer first." in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == Incident.Status.NEEDS_INFO
    client.force_login(world.supervisor_a)  # only the reporter answers
    client.post(answer, {"text": "Not mine to say", "version": incident.version})
    incident_services.submit_incident(incident=incident, by=world.guard_a)
    client.force_login(world.guard_a)
    response = client.post(answer, {"text": "Too late", "version": incident.version + 1}, follow=True)
    assert "no open question" in response.content.decode()
    assert not incident.timeline.filter(kind=TimelineEntry.Kind.INFO_PROVIDED).exists()
    assert not OutboxMessage.objects.filter(kind=Kind.MESSAGE, incident=incident).exists()


# --- 3. A panic ---------------------------------------------------------------------------------


def test_a_panic_alerts_the_supervisors_in_parallel_with_the_police_and_says_so(panic, world):
    response = panic(world.guard_a, world.a1)
    incident = Incident.objects.get(category__code="panic")
    escalation = incident.escalations.get()
    assert told(Kind.PAGE, escalation=escalation)  # the police (agency X's default policy)
    assert (world.supervisor_a, Channel.IN_APP) in told(Kind.PANIC, incident=incident)
    assert {channel for _, channel in told(Kind.PANIC, incident=incident)} == set(Channel.values) - {
        Channel.WEBHOOK
    }  # a panic uses every channel unless the supervisor chose otherwise
    text = response.content.decode()
    assert (
        f"PANIC {incident.reference} sent to Agency X and to your supervisors on duty: {world.supervisor_a}."
        in text
    )
    notification = Notification.objects.get(recipient=world.supervisor_a, kind=Kind.PANIC)
    assert notification.title.startswith("PANIC")
    assert "Police: sent to Agency X" in notification.body
    # The report's own announcement is not sent on top of the panic's alert.
    assert not OutboxMessage.objects.filter(incident=incident, kind=Kind.REPORT).exists()
    # The timeline records who was alerted.
    alerted = incident.timeline.get(kind=TimelineEntry.Kind.ALERTED)
    assert alerted.data["people"] == [str(world.supervisor_a)]
    assert alerted.data["police"] == "Agency X"


def test_a_panic_at_a_site_without_police_still_alerts_the_supervisors_and_tells_the_truth(
    panic, world, lone_site
):
    response = panic(world.guard_a, lone_site)
    incident = Incident.objects.get(site=lone_site)
    assert not incident.escalations.exists()
    assert (world.supervisor_a, Channel.IN_APP) in told(Kind.PANIC, incident=incident)
    text = response.content.decode()
    assert f"PANIC {incident.reference} sent to your supervisors on duty: {world.supervisor_a}." in text
    assert "No police partner for this site" in text
    assert "Police: NOT alerted" in Notification.objects.get(recipient=world.supervisor_a).body


def test_a_panic_with_no_supervisor_on_duty_alerts_every_supervisor_then_the_admins(panic, world, lone_site):
    second = member(Role.SUPERVISOR, world.provider_a)
    off_duty(world.supervisor_a)
    off_duty(second)
    text = panic(world.guard_a, lone_site).content.decode()
    incident = Incident.objects.get(site=lone_site)
    assert {user for user, _ in told(Kind.PANIC, incident=incident)} == {world.supervisor_a, second}
    assert f"sent to your supervisors (none is on duty): {world.supervisor_a}, {second}." in text
    world.supervisor_a.membership.delete()
    second.membership.delete()
    text = panic(world.guard_a, lone_site).content.decode()
    latest = Incident.objects.filter(site=lone_site).latest("pk")
    assert {user for user, _ in told(Kind.PANIC, incident=latest)} == {world.admin_a}
    assert f"sent to your org admins (no supervisor): {world.admin_a}." in text


def test_a_panic_nobody_can_be_told_of_says_so_and_is_logged(panic, world, lone_site):
    world.supervisor_a.membership.delete()
    world.admin_a.membership.delete()
    text = panic(world.guard_a, lone_site).content.decode()
    incident = Incident.objects.get(site=lone_site)
    assert "NOBODY could be alerted" in text
    gap = OutboxMessage.objects.get(incident=incident, kind=Kind.PANIC)
    assert gap.state == OutboxMessage.State.SKIPPED
    assert gap.recipient is None


def test_the_panic_api_and_a_retried_press_say_who_was_alerted_once(api, world):
    api.force_authenticate(world.guard_a)
    key = str(uuid.uuid4())
    first = api.post("/api/v1/panic/", {"idempotency_key": key}, format="json").json()
    again = api.post("/api/v1/panic/", {"idempotency_key": key}, format="json").json()
    assert first["alerted"] == again["alerted"]
    assert first["alerted"].startswith(f"PANIC {first['reference']} sent to Agency X and to your supervisors")
    incident = Incident.objects.get(reference=first["reference"])
    assert incident.timeline.filter(kind=TimelineEntry.Kind.ALERTED).count() == 1
    assert (
        OutboxMessage.objects.filter(incident=incident, kind=Kind.PANIC, channel=Channel.IN_APP).count() == 1
    )


def test_updates_and_messages_about_a_panic_say_panic(world):
    result = dispatch_services.press_panic(guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4())
    escalation = result.escalation
    dispatch_services.accept_escalation(escalation=escalation, by=world.liaison_x)
    update = OutboxMessage.objects.get(kind=Kind.UPDATE, recipient=world.supervisor_a)
    assert update.payload["title"].startswith("PANIC ")
    # The request's own update is not sent to the supervisors: the PANIC alert said it.
    assert update.payload["event"] == "escalation.accepted"


def test_once_the_guard_is_safe_messages_and_updates_no_longer_say_panic(world):
    """Walk finding: after "Guard is safe: clear panic", the guard's inbox still read "PANIC Message
    on WP-…" for the police's next message, as if the emergency were on again."""
    escalation = dispatch_services.press_panic(
        guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4()
    ).escalation
    dispatch_services.clear_panic(escalation=escalation, by=world.supervisor_a)
    escalation.refresh_from_db()
    dispatch_services.accept_escalation(escalation=escalation, by=world.liaison_x)
    dispatch_services.post_message(incident=escalation.incident, by=world.liaison_x, text="On our way.")
    told = OutboxMessage.objects.filter(incident=escalation.incident, kind__in=[Kind.UPDATE, Kind.MESSAGE])
    titles = [m.payload["title"] for m in told]
    assert titles, "the accept and the message were notified"
    assert not [title for title in titles if "PANIC" in title], titles


# --- 6. An accepted escalation with no police update ---------------------------------------------


def test_a_stale_acceptance_reminds_the_liaisons_once(client, world, escalate, settings, committed):
    settings.ESCALATION_STALE_MINUTES = 15
    escalation = escalate()
    dispatch_services.accept_escalation(escalation=escalation, by=world.liaison_x)
    second = member(Role.LIAISON, world.agency_x)
    off = member(Role.LIAISON, world.agency_x)
    off_duty(off)
    assert services.remind_stale_escalations(now=timezone.now() + timedelta(minutes=14)) == 0
    later = timezone.now() + timedelta(minutes=16)
    assert committed(services.remind_stale_escalations, now=later) == 1
    assert services.remind_stale_escalations(now=later + timedelta(minutes=5)) == 0  # once
    # the liaisons, and the provider's side: its supervisors on duty (the panic's rule)
    assert {user for user, _ in told(Kind.REMINDER)} == {world.liaison_x, second, world.supervisor_a}
    page = inbox(client, world.liaison_x)
    assert "no dispatch or on scene yet" in page
    assert "no dispatch or on scene yet" in inbox(client, world.supervisor_a)


def test_a_stale_acceptance_falls_back_to_every_supervisor_then_the_org_admins(world, escalate, settings):
    settings.ESCALATION_STALE_MINUTES = 15
    off_duty(world.supervisor_a)
    first = escalate()
    dispatch_services.accept_escalation(escalation=first, by=world.liaison_x)
    later = timezone.now() + timedelta(minutes=16)
    assert services.remind_stale_escalations(now=later) == 1
    assert world.supervisor_a in {user for user, _ in told(Kind.REMINDER, escalation=first)}
    world.supervisor_a.membership.delete()
    second = escalate()
    dispatch_services.accept_escalation(escalation=second, by=world.liaison_x)
    assert services.remind_stale_escalations(now=later + timedelta(minutes=1)) == 1
    assert {user for user, _ in told(Kind.REMINDER, escalation=second)} == {world.liaison_x, world.admin_a}


def test_each_stale_sweep_makes_progress_past_a_reminded_batch(world, escalate, settings, monkeypatch):
    from notifications.services import alerts

    settings.ESCALATION_STALE_MINUTES = 15
    monkeypatch.setattr(alerts, "STALE_BATCH", 2)
    escalations = []
    for _ in range(5):
        escalation = escalate()
        dispatch_services.accept_escalation(escalation=escalation, by=world.liaison_x)
        escalations.append(escalation)
    later = timezone.now() + timedelta(minutes=16)
    assert [services.remind_stale_escalations(now=later) for _ in range(4)] == [2, 2, 1, 0]
    reminded = {message.escalation_id for message in OutboxMessage.objects.filter(kind=Kind.REMINDER)}
    assert reminded == {escalation.pk for escalation in escalations}


def test_a_dispatched_acceptance_is_not_stale(world, escalate):
    escalation = escalate()
    dispatch_services.accept_escalation(escalation=escalation, by=world.liaison_x)
    dispatch_services.mark_dispatched(escalation=escalation, by=world.liaison_x)
    assert services.remind_stale_escalations(now=timezone.now() + timedelta(hours=1)) == 0
    assert not OutboxMessage.objects.filter(kind=Kind.REMINDER).exists()


# --- Settings ----------------------------------------------------------------------------------


def test_the_settings_page_offers_each_role_its_kinds(client, world):
    client.force_login(world.supervisor_a)
    page = client.get(reverse("notifications:settings")).content.decode()
    for label in ("PANIC at one of our sites", "New reports to triage", "Debriefs waiting for me"):
        assert label in page
    client.force_login(world.guard_a)
    page = client.get(reverse("notifications:settings")).content.decode()
    assert "Questions about my reports" in page
    assert "PANIC at one of our sites" not in page
    response = client.post(reverse("notifications:settings"), {"phone": "", "info_request__email": "on"})
    assert response.status_code == 302
    assert ChannelPreference.objects.get(
        user=world.guard_a, kind=Kind.INFO_REQUEST, channel=Channel.EMAIL
    ).enabled


# --- 7. The triage queue and the navigation's counts, server-rendered ------------------------------


def test_the_navigation_shows_the_open_triage_count_and_the_queue_serves_its_rows(client, world):
    first, second = report(world.guard_a, world.a1), report(world.guard_a, world.a1)
    report(world.guard_b, world.b1)  # another provider's: not in A's count
    client.force_login(world.supervisor_a)
    home = client.get("/").content.decode()
    assert '<span class="badge" data-triage-count>2</span>' in home
    page = client.get(reverse("incidents:triage")).content.decode()
    assert "data-triage-rows" in page
    assert "js/triage.js" in page
    rows = client.get(reverse("incidents:triage"), {"rows": "1"}).content.decode()
    assert "<html" not in rows
    assert first.reference in rows
    assert second.reference in rows
    incident_services.accept_incident(incident=first, by=world.supervisor_a)
    assert first.reference not in client.get(reverse("incidents:triage"), {"rows": "1"}).content.decode()
    client.force_login(world.guard_a)
    assert "data-triage-count" not in client.get("/").content.decode()
    assert client.get(reverse("incidents:triage"), {"rows": "1"}).status_code == 403


# --- A panic cancelled in its window (issue 14.1) -------------------------------------------------


def test_a_cancelled_panic_tells_each_person_alerted_once_by_the_channels_the_alert_used(world, committed):
    second = member(Role.SUPERVISOR, world.provider_a)
    for channel in (Channel.EMAIL, Channel.SMS):
        ChannelPreference.objects.create(user=second, kind=Kind.PANIC, channel=channel, enabled=False)
    result = committed(
        dispatch_services.press_panic, guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4()
    )
    incident = result.incident
    alerted = told(Kind.PANIC, incident=incident)
    assert {user for user, _ in alerted} == {world.supervisor_a, second}
    assert (second, Channel.EMAIL) not in alerted

    committed(dispatch_services.cancel_panic, incident=incident, by=world.guard_a)

    cancelled = OutboxMessage.objects.filter(
        incident=incident, kind=Kind.PANIC, idempotency_key__startswith="panic-cancelled:"
    )
    assert {(m.recipient, m.channel) for m in cancelled} == alerted  # the same people, the same channels
    assert cancelled.count() == len(alerted)  # one each
    assert all(m.payload["title"].startswith("PANIC cancelled") for m in cancelled)
    for person in (world.supervisor_a, second):
        newest = Notification.objects.filter(recipient=person, kind=Kind.PANIC).latest("pk")
        assert newest.title.startswith("PANIC cancelled")
        assert "false press" in newest.body
    # The guard who cancelled and the police side are not told by it (the police hear the withdrawn
    # escalation as for any cancelled one).
    assert not cancelled.filter(recipient__in=[world.guard_a, world.liaison_x]).exists()


def test_a_cancel_is_told_once_even_if_its_follow_up_runs_again(world, committed):
    result = committed(
        dispatch_services.press_panic, guard=world.guard_a, site=world.a1, idempotency_key=uuid.uuid4()
    )
    entry = committed(dispatch_services.cancel_panic, incident=result.incident, by=world.guard_a)
    before = OutboxMessage.objects.filter(kind=Kind.PANIC).count()
    again = services.notify_panic_cancelled(incident=result.incident, by=world.guard_a, entry=entry)
    assert again == []
    assert OutboxMessage.objects.filter(kind=Kind.PANIC).count() == before


def test_a_cancelled_panic_nobody_was_alerted_of_tells_nobody(world, lone_site, committed):
    world.supervisor_a.membership.delete()
    world.admin_a.membership.delete()
    result = committed(
        dispatch_services.press_panic, guard=world.guard_a, site=lone_site, idempotency_key=uuid.uuid4()
    )
    committed(dispatch_services.cancel_panic, incident=result.incident, by=world.guard_a)
    assert not OutboxMessage.objects.filter(idempotency_key__startswith="panic-cancelled:").exists()
    assert result.incident.timeline.filter(data__panic="cancelled").count() == 1
