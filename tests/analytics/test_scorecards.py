"""The partnership scorecard against a hand-computed month: each escalation on its site's calendar,
acceptance, rejection causes, time to accept, evidence, false-alarm panics, corrective actions and
patrols; seen by both sides of the pair and by nobody else; its monthly PDF sent to both sides'
admins once; on demand with its progress page."""

import io
import threading
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Partnership, Role
from analytics import scorecards, services
from analytics.models import PartnershipReport
from debriefs import services as debrief_services
from dispatch import services as dispatch_services
from dispatch.models import Escalation, RejectionCause
from incidents import services as incident_services
from incidents.models import Incident
from notifications.models import Channel, Kind, Notification, OutboxMessage
from portal.celery import app, run_schedule_in_process
from tests.factories import AgencyFactory, ProviderFactory, SiteFactory, member, report
from tests.incidents.evidence_samples import ORIGIN, png

pytestmark = pytest.mark.django_db
NOVEMBER = date(2026, 11, 1)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _stamp(escalation: Escalation, requested: datetime, accepted_after: int | None = None) -> None:
    """The fixture's clock: the escalation as if asked for at ``requested`` (accepted so many s later)."""
    fields = {"requested_at": requested}
    if accepted_after is not None:
        fields["accepted_at"] = requested + timedelta(seconds=accepted_after)
    Escalation.objects.filter(pk=escalation.pk).update(**fields)


@pytest.fixture
def pair(eager):
    agency = AgencyFactory(name="Harbor Police")
    site = SiteFactory(agency=agency, time_zone="America/New_York", name="Pier Market")
    p = type("Pair", (), {})()
    p.site, p.agency, p.provider = site, agency, site.provider
    p.partnership = Partnership.objects.get(provider=site.provider, agency=agency)
    p.guard = member(Role.GUARD, site.provider, sites=(site,))
    p.supervisor = member(Role.SUPERVISOR, site.provider)
    p.liaison = member(Role.LIAISON, agency)
    p.provider_admin = member(Role.ORG_ADMIN, site.provider)
    p.agency_admin = member(Role.ORG_ADMIN, agency)

    def escalate(**fields):
        incident = report(p.guard, site, **fields)
        return incident, dispatch_services.escalate_incident(
            incident=incident, by=p.supervisor, reason="Seen"
        )

    # November at the pier (New York time), by hand:
    _, e1 = escalate()
    dispatch_services.accept_escalation(escalation=e1, by=p.liaison)
    _stamp(e1, at(11, 10, 15), accepted_after=30)
    with_photo, e2 = escalate()
    incident_services.add_evidence(
        incident=with_photo,
        by=p.guard,
        upload=SimpleUploadedFile("door.png", png(), "image/png"),
        client_sha256=None,
        origin=ORIGIN,
    )
    dispatch_services.accept_escalation(escalation=e2, by=p.liaison)
    _stamp(e2, at(11, 11, 15), accepted_after=90)
    _, e3 = escalate()
    dispatch_services.reject_escalation(
        escalation=e3, by=p.liaison, reason="", cause=RejectionCause.DUPLICATE
    )
    _stamp(e3, at(11, 12, 15))
    _, e4 = escalate()
    dispatch_services.reject_escalation(
        escalation=e4, by=p.liaison, reason="", cause=RejectionCause.NOT_POLICE_MATTER
    )
    _stamp(e4, at(11, 13, 15))
    panic = dispatch_services.press_panic(guard=p.guard, site=site, idempotency_key=uuid.uuid4())
    dispatch_services.cancel_panic(incident=panic.incident, by=p.guard)
    _stamp(panic.escalation, at(11, 14, 15))
    # 03:00 UTC on 1 December is 22:00 on 30 November at the pier: November's.
    _, e6 = escalate()
    dispatch_services.accept_escalation(escalation=e6, by=p.liaison)
    _stamp(e6, at(12, 1, 3), accepted_after=300)
    # 03:30 UTC on 1 November is still 31 October there (23:30 EDT).
    _, e7 = escalate()
    _stamp(e7, at(11, 1, 3, 30))
    # A drill's escalation counts in no figure.
    drill_incident, drill = escalate()
    _stamp(drill, at(11, 20, 15))
    Incident.objects.filter(pk=drill_incident.pk).update(exercise=Incident.Exercise.EXERCISE)
    # Another provider's escalation to the same agency belongs to their pair, not this one.
    other_site = SiteFactory(agency=agency, provider=ProviderFactory(name="Other Guards"), name="Dock Nine")
    other_guard = member(Role.GUARD, other_site.provider, sites=(other_site,))
    other = report(other_guard, other_site)
    other_escalation = dispatch_services.escalate_incident(
        incident=other, by=member(Role.SUPERVISOR, other_site.provider), reason="Seen"
    )
    _stamp(other_escalation, at(11, 15, 15))
    p.other_partnership = Partnership.objects.get(provider=other_site.provider, agency=agency)
    # Corrective actions: one open and past due (its due date moved back by the fixture), one open.
    due_later = timezone.localdate() + timedelta(days=10)
    late = debrief_services.add_corrective_action(
        incident=e1.incident, by=p.supervisor, what="Lock gate 3", owner=p.supervisor, due_date=due_later
    )
    type(late).objects.filter(pk=late.pk).update(due_date=date(2026, 11, 20))
    debrief_services.add_corrective_action(
        incident=e2.incident,
        by=p.supervisor,
        what="Brief the night shift",
        owner=p.supervisor,
        due_date=due_later,
    )
    return p


def test_the_months_figures_are_the_hand_computed_ones(pair):
    card = scorecards.get_scorecard(partnership=pair.partnership, month=NOVEMBER)

    assert card.escalations == 6  # e1 to e4, the false panic, e6 (its UTC day is December's)
    assert (card.accepted, card.rejected, card.decided) == (3, 2, 5)
    assert card.acceptance_percent == 60.0
    assert card.acceptance_band.colour == "red"
    assert card.causes == [("Duplicate of a call we have", 1), ("Not a police matter", 1)]
    assert (card.accept_p50, card.accept_p90) == (90.0, 300.0)  # nearest rank of 30, 90, 300 s
    assert (card.with_evidence, card.evidence_percent) == (1, 16.7)
    assert (card.panics, card.false_alarms) == (1, 1)
    months = dict(card.months)
    assert months[date(2026, 10, 1)] == 1  # 03:30 UTC on 1 November, in New York
    assert months[NOVEMBER] == 6
    assert len(card.months) == scorecards.MONTHS_SHOWN


def test_bands_are_words_with_their_colours():
    assert scorecards.band(97.0).colour == "green"
    assert scorecards.band(97.0).word.startswith("Green")
    assert scorecards.band(96.9).colour == "amber"
    assert "Amber" in scorecards.band(80.0).word
    assert scorecards.band(79.9).word.startswith("Red")
    assert scorecards.band(None) is None


def test_both_sides_see_the_same_scorecard_and_nobody_else(pair, client):
    url = f"/analytics/partnerships/{pair.partnership.pk}/?month=2026-11"
    pages = []
    for user in (pair.supervisor, pair.liaison, pair.provider_admin, pair.agency_admin):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        pages.append(response.content.decode())
    page = pages[0]
    assert "60.0 % (3 of 5)" in page
    assert "Red: well below target" in page
    assert "Duplicate of a call we have" in page
    assert "1, 1 false" in page
    assert "2, 1 overdue" in page  # corrective actions (debriefs' tag)
    assert 'data-band="red"' in page
    # The agency's view of the pair counts nothing of the other provider it also works with.
    assert all("Other Guards" not in p for p in pages)
    client.force_login(pair.liaison)
    listed = client.get("/analytics/partnerships/").content.decode()
    assert "Other Guards and Harbor Police" in listed  # its own second partnership, listed by name
    other_card = client.get(
        f"/analytics/partnerships/{pair.other_partnership.pk}/?month=2026-11"
    ).content.decode()
    assert '<td class="num">1</td>' in other_card
    assert "Pier Market" not in other_card
    # Nobody outside the pair finds it; a guard sees no analytics.
    client.force_login(member(Role.SUPERVISOR, pair.other_partnership.provider))
    assert client.get(url).status_code == 404
    client.force_login(member(Role.LIAISON, AgencyFactory()))
    assert client.get(url).status_code == 404
    assert "Pier Market" not in client.get("/analytics/partnerships/").content.decode()
    client.force_login(pair.guard)
    assert client.get(url).status_code == 403


def test_a_bad_month_is_refused_with_its_name(pair, client):
    client.force_login(pair.supervisor)
    response = client.get(f"/analytics/partnerships/{pair.partnership.pk}/?month=November")
    assert response.status_code == 400
    assert "month:" in response.content.decode()
    response = client.post(f"/analytics/partnerships/{pair.partnership.pk}/reports/", {"month": "2999-01"})
    assert response.status_code == 302
    assert not PartnershipReport.objects.exists()


def _text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_monthly_report_is_a_pdf_sent_once_to_both_sides_admins(pair, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert services.queue_monthly_reports(today=date(2026, 12, 1)) == 2  # both of the agency's pairs
    report = PartnershipReport.objects.get(partnership=pair.partnership)
    assert report.status == PartnershipReport.Status.READY
    assert report.month == NOVEMBER
    assert report.requested_by is None
    with report.pdf.open("rb") as file:
        text = _text(file.read())
    assert "November 2026" in text
    assert "60.0 % (3 of 5)" in text
    assert "Red: well below target" in text
    assert "Duplicate of a call we have" in text
    assert "Other Guards" not in text
    sent = OutboxMessage.objects.filter(idempotency_key__startswith=f"partnership-report:{report.public_id}")
    assert {(m.recipient_id, m.channel) for m in sent} == {
        (user.pk, channel)
        for user in (pair.provider_admin, pair.agency_admin)
        for channel in (Channel.IN_APP, Channel.EMAIL)
    }
    assert {m.kind for m in sent} == {Kind.PARTNERSHIP_REPORT}  # its own kind, not the debriefs'
    assert report.sent_to == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert services.queue_monthly_reports(today=date(2026, 12, 1)) == 0  # a second run: nothing again
    assert sent.count() == 4
    # Building the same report again (a worker's retry) sends nothing more: one message per key.
    with django_capture_on_commit_callbacks(execute=True):
        services.build_partnership_report(report=report)
    assert sent.count() == 4
    # The other pair's report (the agency's admin, in-app and by email) goes as the same kind.
    reports = OutboxMessage.objects.filter(idempotency_key__startswith="partnership-report:")
    assert reports.count() == 6
    assert set(reports.values_list("kind", flat=True)) == {Kind.PARTNERSHIP_REPORT}
    assert not OutboxMessage.objects.filter(kind=Kind.DEBRIEF).exists()


def test_the_admins_inbox_shows_the_monthly_report_as_such(pair, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.queue_monthly_reports(today=date(2026, 12, 1))
    report = PartnershipReport.objects.get(partnership=pair.partnership)
    for admin in (pair.provider_admin, pair.agency_admin):
        client.force_login(admin)
        page = client.get("/notifications/").content.decode()
        assert f"Partnership report, {pair.partnership}, November 2026" in page
        assert f'href="/analytics/reports/{report.public_id}/"' in page
        assert "Monthly partnership report" in page
        assert "Debriefs waiting for me" not in page
    # Nobody else of either side (a supervisor, a liaison) is told.
    assert not Notification.objects.filter(recipient__in=(pair.supervisor, pair.liaison)).exists()


def test_on_demand_the_page_shows_progress_then_the_pdf(pair, client, django_capture_on_commit_callbacks):
    client.force_login(pair.liaison)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/analytics/partnerships/{pair.partnership.pk}/reports/", {"month": "2026-11"}
        )
    report = PartnershipReport.objects.get()
    assert response["Location"] == f"/analytics/reports/{report.public_id}/"
    page = client.get(response["Location"]).content.decode()
    assert 'value="100"' in page
    assert "Download the PDF" in page
    assert report.pdf_sha256 in page
    pdf = client.get(f"/analytics/reports/{report.public_id}/report.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert "Pier Market" not in _text(pdf.content)  # counts only, no site or person named
    assert OutboxMessage.objects.filter(idempotency_key__startswith="partnership-report:").count() == 0
    # A report still being built reloads itself and says which step it is at.
    PartnershipReport.objects.filter(pk=report.pk).update(status=PartnershipReport.Status.RENDERING)
    page = client.get(f"/analytics/reports/{report.public_id}/").content.decode()
    assert 'http-equiv="refresh"' in page
    assert "Drawing the PDF" in page
    assert 'value="60"' in page
    client.force_login(member(Role.LIAISON, AgencyFactory()))
    assert client.get(f"/analytics/reports/{report.public_id}/").status_code == 404
    assert client.get(f"/analytics/reports/{report.public_id}/report.pdf").status_code == 404


def test_the_monthly_run_is_on_the_first_of_the_month():
    entry = app.conf.beat_schedule["analytics-queue-monthly-reports"]
    assert entry["task"] == "analytics.queue_monthly_reports"
    assert entry["schedule"].day_of_month == {1}
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({6}, {0})


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_embedded_beat_keeps_running_beside_the_calendar_entry(eager):
    """Each task closes its connection after it (close_old_connections), as in `make run`."""
    stop = threading.Event()
    threading.Timer(1.5, stop.set).start()
    run_schedule_in_process(stop, tick=0.2)  # raised TypeError on the crontab before it knew one
    assert not PartnershipReport.objects.exists()  # its time (06:00 on the 1st) comes after start-up
