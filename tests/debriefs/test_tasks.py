"""The debrief's follow-up of a closed incident (``incident.closed`` → ``debriefs.request_debrief``)
and the tasks that draft and render it."""

from datetime import timedelta

from django.utils import timezone

from debriefs import services
from debriefs.models import Debrief
from debriefs.tasks import request_debrief_task
from incidents import services as incident_services
from tests.factories import report

Status = Debrief.Status


def close(world, incident):
    return incident_services.close_incident(
        incident=incident, by=world.supervisor_a, resolution="Till recounted"
    )


def test_closing_queues_the_debrief_request_after_commit_and_running_it_twice_asks_once(
    world, sent, django_capture_on_commit_callbacks
):
    incident = report(world.guard_a, world.a1, narrative="Till short by 40")
    with django_capture_on_commit_callbacks() as committed:
        close(world, incident)
        assert sent.tasks == []
    for callback in committed:
        callback()
    assert ("debriefs.request_debrief", (incident.pk, world.supervisor_a.pk)) in sent.tasks
    assert not Debrief.objects.filter(incident=incident).exists()

    sent.tasks.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request_debrief_task(incident.pk, world.supervisor_a.pk)
        request_debrief_task(incident.pk, world.supervisor_a.pk)
    debrief = Debrief.objects.get(incident=incident)
    assert (debrief.status, debrief.version, debrief.created_by) == (Status.GENERATING, 1, world.supervisor_a)
    assert sent.tasks == [("debriefs.draft_debrief", (debrief.pk,))]


def test_once_the_closing_commits_the_debrief_appears_drafted_with_its_pdf(
    world, eager, django_capture_on_commit_callbacks
):
    incident = report(world.guard_a, world.a1, narrative="Fire door propped open")
    with django_capture_on_commit_callbacks(execute=True):
        close(world, incident)
    debrief = Debrief.objects.get(incident=incident)
    assert debrief.status == Status.DRAFT
    assert "Till recounted" in debrief.summary
    assert debrief.pdf_status == Debrief.Pdf.READY


def test_a_later_run_leaves_the_debrief_as_its_people_made_it(world, drafted, sent):
    services.submit_debrief(debrief=drafted, by=world.supervisor_a)
    request_debrief_task(drafted.incident_id, world.supervisor_a.pk)
    drafted.refresh_from_db()
    assert drafted.status == Status.SUBMITTED
    assert drafted.incident.debriefs.count() == 1


def test_a_draft_asked_for_before_the_closing_is_drafted_again_with_it(
    world, sent, django_capture_on_commit_callbacks
):
    incident = report(world.guard_a, world.a1, narrative="Van seen twice")
    early = services.draft_debrief(debrief=services.request_debrief(incident=incident, by=world.supervisor_a))
    Debrief.objects.filter(pk=early.pk).update(drafted_at=timezone.now() - timedelta(minutes=1))
    close(world, incident)
    with django_capture_on_commit_callbacks(execute=True):
        request_debrief_task(incident.pk, world.supervisor_a.pk)
        request_debrief_task(incident.pk, world.supervisor_a.pk)
    early.refresh_from_db()
    assert early.status == Status.GENERATING
    assert [name for name, _ in sent.tasks] == ["debriefs.draft_debrief"]
    assert incident.debriefs.count() == 1


def test_nothing_for_an_incident_that_is_gone_or_not_closed(world, sent):
    incident = report(world.guard_a, world.a1, narrative="Still open")
    request_debrief_task(incident.pk, world.supervisor_a.pk)
    request_debrief_task(10**9, world.supervisor_a.pk)
    assert not Debrief.objects.exists()
