"""Every debrief event: its payload, its recipients (groups), its subject and the tasks that follow
it, as they leave the transaction that published them."""

from datetime import timedelta

import pytest
import weasyprint
from django.utils import timezone

from accounts.models import Role
from debriefs import services
from debriefs.models import Debrief
from tests.factories import member


def payload(debrief: Debrief) -> dict[str, object]:
    debrief.refresh_from_db()
    return {
        "id": str(debrief.public_id),
        "version": debrief.version,
        "status": debrief.status,
        "pdf_status": debrief.pdf_status,
        "pdf_sha256": debrief.pdf_sha256,
    }


def debrief_events(sent):
    """The debrief's own events (a notice it sends adds the inbox's notification.created)."""
    return [event for event in sent.events if event.name.startswith("debrief.")]


def test_debrief_requested_goes_to_the_incidents_page_and_queues_its_drafting(
    world, closed, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        debrief = services.request_debrief(incident=closed, by=world.supervisor_a)
    [event] = debrief_events(sent)
    assert event.name == "debrief.requested"
    assert event.payload == payload(debrief)
    assert event.payload["status"] == "generating"
    assert event.groups == (f"incident.{closed.public_id}",)
    assert event.subject == (debrief.pk,)
    assert sent.tasks == [("debriefs.draft_debrief", (debrief.pk,))]


def test_debrief_drafted_goes_to_the_incidents_page_and_queues_its_pdf(
    closed, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        debrief = services.draft_debrief(debrief=closed.debriefs.get())
    [event] = debrief_events(sent)
    assert event.name == "debrief.drafted"
    assert event.payload == payload(debrief)
    assert (event.payload["status"], event.payload["pdf_status"]) == ("draft", "pending")
    assert event.groups == (f"incident.{closed.public_id}",)
    assert event.subject == (debrief.pk,)
    assert sent.tasks == [("debriefs.render_debrief_pdf", (debrief.pk,))]


def test_approving_publishes_debrief_drafted_again_for_the_pdf_with_the_approval(
    world, drafted, sent, django_capture_on_commit_callbacks
):
    services.submit_debrief(debrief=drafted, by=world.supervisor_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_debrief(debrief=drafted, by=member(Role.SUPERVISOR, world.provider_a))
    [event] = debrief_events(sent)
    assert event.name == "debrief.drafted"
    assert event.payload == payload(drafted)
    assert event.payload["status"] == "approved"
    assert sent.tasks == [("debriefs.render_debrief_pdf", (drafted.pk,))]


def test_debrief_pdf_ready_offers_the_download_and_queues_nothing(
    drafted, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.render_pdf(debrief=drafted)
    [event] = debrief_events(sent)
    assert event.name == "debrief.pdf_ready"
    assert event.payload == payload(drafted)
    assert event.payload["pdf_status"] == "ready"
    assert len(str(event.payload["pdf_sha256"])) == 64
    assert event.groups == (f"incident.{drafted.incident.public_id}",)
    assert event.subject == ()
    assert sent.tasks == []


def test_debrief_pdf_failed_says_why_not_and_queues_nothing(
    drafted, sent, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs: object) -> None:
        raise OSError("no fonts")

    monkeypatch.setattr(weasyprint, "HTML", broken)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(OSError, match="no fonts"):
        services.render_pdf(debrief=drafted)
    [event] = debrief_events(sent)
    assert event.name == "debrief.pdf_failed"
    assert event.payload == payload(drafted)
    assert event.payload["pdf_status"] == "failed"
    assert event.groups == (f"incident.{drafted.incident.public_id}",)
    assert sent.tasks == []
    assert drafted.pdf_error == "no fonts"


def test_the_sweep_publishes_the_stalled_work_again(closed, sent, django_capture_on_commit_callbacks):
    debrief = closed.debriefs.get()
    long_ago = timezone.now() - timedelta(minutes=5)
    Debrief.objects.filter(pk=debrief.pk).update(created_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.resume_stalled() == 1
    assert [(event.name, event.subject) for event in sent.events] == [("debrief.requested", (debrief.pk,))]
    assert sent.tasks == [("debriefs.draft_debrief", (debrief.pk,))]

    Debrief.objects.filter(pk=debrief.pk).update(
        status=Debrief.Status.DRAFT, drafted_at=long_ago, pdf_status=Debrief.Pdf.PENDING
    )
    sent.events.clear()
    sent.tasks.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.resume_stalled() == 1
    assert [(event.name, event.subject) for event in sent.events] == [("debrief.drafted", (debrief.pk,))]
    assert sent.tasks == [("debriefs.render_debrief_pdf", (debrief.pk,))]
