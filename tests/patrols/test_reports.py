"""The daily activity report: built by its task after the shift ends, HTML and PDF from one
template with the right content, reviewed, and emailed to a client contact (each send listed)."""

import hashlib
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from audit.models import AuditEvent
from incidents import services as incident_services
from patrols import services
from patrols.models import ClientContact, DailyReport, ReportSend
from tests.factories import report as file_report
from tests.incidents.evidence_samples import ORIGIN, jpeg
from tests.patrols.conftest import at

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _shift_with_everything(p):
    """A shift with a complete round, a missed one, a skewed scan, a check-in, notes and an
    incident with a photo, ended by the guard."""
    w = p.w
    shift = services.start_shift(guard=w.guard_a, site=w.a1, by=w.guard_a, hours=1, now=at(p, 0))
    services.record_scan(
        guard=w.guard_a, code=p.gate.code, idempotency_key="s1", now=at(p, 5), device_at=at(p, 9)
    )
    services.record_scan(guard=w.guard_a, code=p.dock.code, idempotency_key="s2", now=at(p, 10))
    services.record_scan(guard=w.guard_a, code="NOPE1-NOPE2", idempotency_key="s3", now=at(p, 11))
    services.check_in(guard=w.guard_a, idempotency_key="c1", now=at(p, 15))
    services.sweep_missed_rounds(now=at(p, 75))  # the second round (due 60) was never walked
    incident = file_report(w.guard_a, w.a1, narrative="Door forced at the dock")
    photo = incident_services.add_evidence(
        incident=incident,
        by=w.guard_a,
        upload=SimpleUploadedFile("dock.jpg", jpeg((32, 24)), "image/jpeg"),
        client_sha256=None,
        origin=ORIGIN,
    )
    return shift, incident, photo


def test_the_shift_end_builds_the_report_by_its_task_with_the_right_content(
    patrol, eager, django_capture_on_commit_callbacks
):
    p = patrol
    shift, incident, photo = _shift_with_everything(p)
    with django_capture_on_commit_callbacks(execute=True):
        services.end_shift(shift=shift, by=p.w.guard_a, notes="Gate lock sticks in the rain.")
    report = DailyReport.objects.get(shift=shift)
    assert report.status == DailyReport.Status.READY
    pdf = report.pdf.read()
    assert report.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    text = " ".join(text_of(pdf).split())
    for expected in (
        "Daily activity report: A1",
        f"Shift of {p.w.guard_a}",
        "Perimeter",
        "Completed on time",
        "Missed",
        "North gate",
        "device clock 240 s ahead",
        "Unknown code",
        incident.reference,
        photo.sha256[:20],
        "Gate lock sticks in the rain.",
    ):
        assert expected in text, expected
    html = services.render_html(report, for_pdf=False)
    assert incident.reference in html
    assert "device clock 240 s ahead" in html


def test_a_reviewed_report_is_emailed_to_a_client_contact_with_its_pdf(
    patrol, eager, django_capture_on_commit_callbacks
):
    p = patrol
    shift, _, _ = _shift_with_everything(p)
    with django_capture_on_commit_callbacks(execute=True):
        services.end_shift(shift=shift, by=p.w.guard_a)
    report = DailyReport.objects.get(shift=shift)
    with pytest.raises(ValidationError, match="Review the report"):
        services.send_report(report=report, by=p.w.supervisor_a, contacts=[p.contact])
    with pytest.raises(ValidationError):
        services.review_report(report=report, by=p.w.supervisor_b)
    services.review_report(report=report, by=p.w.supervisor_a)
    elsewhere = ClientContact.objects.create(site=p.w.b1, name="B's client", email="b@client.example")
    with pytest.raises(ValidationError, match="its own site"):
        services.send_report(report=report, by=p.w.supervisor_a, contacts=[elsewhere])
    with django_capture_on_commit_callbacks(execute=True):
        (send,) = services.send_report(report=report, by=p.w.supervisor_a, contacts=[p.contact])
    send.refresh_from_db()
    assert send.state == ReportSend.State.SENT
    (email,) = mail.outbox
    assert email.to == ["pat@client.example"]
    assert "Daily activity report: A1" in email.subject
    (name, content, kind) = email.attachments[0]
    assert name.endswith(".pdf")
    assert kind == "application/pdf"
    assert hashlib.sha256(content).hexdigest() == report.pdf_sha256
    # Sending again from the task (a retry) sends nothing more.
    services.deliver_send(send=send)
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="daily_report.sent", object_id=str(report.public_id)).count() == 1


def test_a_site_day_report_on_demand_covers_its_shifts(patrol, eager, django_capture_on_commit_callbacks):
    p = patrol
    shift, _, _ = _shift_with_everything(p)
    services.end_shift(shift=shift, by=p.w.guard_a, now=at(p, 80))
    day = shift.started_at.astimezone(p.w.a1.zone).date()
    with pytest.raises(ValidationError):
        services.request_site_report(site=p.w.a1, day=day, by=p.w.guard_a)
    with pytest.raises(ValidationError, match="not begun"):
        services.request_site_report(site=p.w.a1, day=day + timedelta(days=2), by=p.w.supervisor_a)
    with django_capture_on_commit_callbacks(execute=True):
        report = services.request_site_report(site=p.w.a1, day=day, by=p.w.supervisor_a)
    report.refresh_from_db()
    assert report.status == DailyReport.Status.READY
    assert [s["guard"] for s in report.content["shifts"]] == [str(p.w.guard_a)]
