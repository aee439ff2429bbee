"""Daily activity reports: built by a worker from the shift's rows (HTML and PDF from one template),
reviewed by a supervisor and emailed to the site's client contacts, each send audited and listed."""

import hashlib
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Site, User
from audit import services as audit
from incidents.models import Evidence, Incident
from patrols import events, policy
from patrols.models import ClientContact, DailyReport, ReportSend, Shift
from patrols.services.common import announce_board, settings_of
from portal.realtime import publish_on_commit

STALLED_AFTER = timedelta(minutes=2)


def _at(moment: datetime | None, site: Site) -> str:
    if moment is None:
        return ""
    return f"{timezone.localtime(moment, site.zone):%Y-%m-%d %H:%M:%S %Z}"


def _skew(seconds: int | None, flagged: bool) -> str:
    if seconds is None or not flagged:
        return ""
    return f"device clock {abs(seconds)} s {'ahead' if seconds > 0 else 'behind'}"


def _shift_section(shift: Shift) -> dict[str, Any]:
    """What one shift did, as the report says it (times in the site's zone, named)."""
    site = shift.site
    end = shift.ended_at or timezone.now()
    rounds = []
    for round_ in shift.rounds.select_related("tour").prefetch_related(
        "visits__scan", "tour__stops__checkpoint"
    ):
        visits = {visit.checkpoint_id: visit.scan for visit in round_.visits.all()}
        rounds.append(
            {
                "tour": round_.tour.name,
                "due": _at(round_.due_at, site),
                "status": round_.get_status_display(),
                "late": round_.status in ("late", "missed"),
                "completed": _at(round_.completed_at, site),
                "stops": [
                    {
                        "name": stop.checkpoint.name,
                        "where": stop.checkpoint.where,
                        "scanned": _at(visits[stop.checkpoint_id].received_at, site)
                        if stop.checkpoint_id in visits
                        else "",
                        "device": _at(visits[stop.checkpoint_id].device_at, site)
                        if stop.checkpoint_id in visits
                        else "",
                        "skew": _skew(
                            visits[stop.checkpoint_id].skew_seconds, visits[stop.checkpoint_id].skew_flagged
                        )
                        if stop.checkpoint_id in visits
                        else "",
                    }
                    for stop in round_.tour.stops.all()
                ],
            }
        )
    scans = [
        {
            "at": _at(scan.received_at, site),
            "device": _at(scan.device_at, site),
            "what": scan.checkpoint.name if scan.checkpoint else scan.code,
            "outcome": scan.get_outcome_display(),
            "refusal": scan.refusal,
            "skew": _skew(scan.skew_seconds, scan.skew_flagged),
        }
        for scan in shift.scans.select_related("checkpoint")
    ]
    checkins = [
        {
            "at": _at(c.received_at, site),
            "device": _at(c.device_at, site),
            "skew": _skew(c.skew_seconds, c.skew_flagged),
        }
        for c in shift.checkins.all()
    ]
    alerts = [
        {
            "due": _at(a.due_at, site),
            "step": a.get_step_display(),
            "acknowledged": _at(a.acknowledged_at, site),
            "by": str(a.acknowledged_by or ""),
            "resolved": _at(a.resolved_by_checkin_at, site),
        }
        for a in shift.alerts.select_related("acknowledged_by")
    ]
    # An incident belongs to the shift its guard filed it in, at the shift's site (incidents know
    # nothing of shifts: the window decides).
    incidents = []
    for incident in (
        Incident.objects.filter(
            reporter=shift.guard, site=site, received_at__gte=shift.started_at, received_at__lte=end
        )
        .exclude(status=Incident.Status.DRAFT)
        .select_related("category")
        .order_by("received_at")
    ):
        photos = Evidence.objects.filter(incident=incident, kind=Evidence.Kind.PHOTO).order_by("uploaded_at")
        incidents.append(
            {
                "reference": incident.reference,
                "category": str(incident.category or "uncategorised"),
                "status": incident.get_status_display(),
                "at": _at(incident.received_at, site),
                "photos": [
                    {
                        "name": photo.original_name,
                        "sha256": photo.sha256,
                        "thumbnail": reverse("incidents:evidence_thumbnail", args=[photo.public_id])
                        if photo.thumbnail_status == Evidence.Preview.READY
                        else "",
                    }
                    for photo in photos
                ],
            }
        )
    return {
        "guard": str(shift.guard),
        "started": _at(shift.started_at, site),
        "planned_end": _at(shift.planned_end_at, site),
        "ended": _at(shift.ended_at, site),
        "ended_by": str(shift.ended_by) if shift.ended_by_id and shift.ended_by_id != shift.guard_id else "",
        "start_reason": shift.start_reason,
        "end_reason": shift.end_reason,
        "notes": shift.notes,
        "rounds": rounds,
        "missed_rounds": sum(1 for r in rounds if r["status"] == "Missed"),
        "scans": scans,
        "checkins": checkins,
        "alerts": alerts,
        "incidents": incidents,
    }


def _shifts_of(report: DailyReport) -> list[Shift]:
    if report.shift_id is not None:
        return [Shift.objects.select_related("site", "guard", "ended_by").get(pk=report.shift_id)]
    zone = report.site.zone
    start = datetime.combine(report.day, time.min, tzinfo=zone)
    return list(
        Shift.objects.filter(
            site=report.site, started_at__gte=start, started_at__lt=start + timedelta(days=1)
        )
        .select_related("site", "guard", "ended_by")
        .order_by("started_at")
    )


def render_html(report: DailyReport, *, for_pdf: bool) -> str:
    """The report as HTML: the page and the PDF come from this one template."""
    return render_to_string(
        "patrols/report_document.html",
        {
            "report": report,
            "content": report.content,
            "for_pdf": for_pdf,
            "threshold": settings_of(report.site).skew_threshold_seconds,
        },
    )


def build_report(*, report: DailyReport) -> DailyReport:
    """Build the report's content from the rows, then its PDF (WeasyPrint), with its SHA-256.
    Idempotent: building again replaces both. A failure is recorded on the report."""
    current = DailyReport.objects.select_related("site", "shift").get(pk=report.pk)
    content = {
        "site": current.site.name,
        "day": current.day.isoformat(),
        "zone": current.site.time_zone,
        "built": _at(timezone.now(), current.site),
        "shifts": [_shift_section(shift) for shift in _shifts_of(current)],
    }
    current.content = content
    try:
        # Loaded here, not at import: WeasyPrint needs Pango and HarfBuzz, which only the rendering
        # worker must have; the web process and `make run` work without them.
        from portal import pdf as documents

        pdf = documents.html_to_pdf(render_html(current, for_pdf=True))
    except Exception as error:
        DailyReport.objects.filter(pk=current.pk).update(
            status=DailyReport.Status.FAILED, error=str(error)[:300], content=content
        )
        raise
    with transaction.atomic():
        locked = DailyReport.objects.select_for_update().get(pk=current.pk)
        locked.content = content
        locked.pdf.save(
            f"dar-{current.site.code}-{current.day}-{current.pk}.pdf", ContentFile(pdf), save=False
        )
        locked.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        locked.generated_at = timezone.now()
        if locked.status != DailyReport.Status.REVIEWED:
            locked.status = DailyReport.Status.READY
        locked.error = ""
        locked.save()
        announce_board(current.site, "report.ready")
    return locked


@transaction.atomic
def request_site_report(*, site: Site, day: date, by: User) -> DailyReport:
    """A site's report for one of its days, on demand (built again if asked again)."""
    if not policy.supervises_site(by, site):
        raise ValidationError("Only a supervisor of the site can ask for its daily report.")
    if day > timezone.localdate(timezone.now(), site.zone):
        raise ValidationError({"day": "That day has not begun at the site."})
    try:
        with transaction.atomic():
            report, _ = DailyReport.objects.get_or_create(
                site=site, day=day, shift=None, defaults={"requested_by": by}
            )
    except IntegrityError:
        report = DailyReport.objects.get(site=site, day=day, shift=None)
    DailyReport.objects.filter(pk=report.pk).update(
        status=DailyReport.Status.GENERATING, reviewed_at=None, reviewed_by=None, requested_by=by
    )
    report.refresh_from_db()
    publish_on_commit(events.report_requested(report))
    audit.record(action="daily_report.requested", actor=by, obj=report, site=site.name, day=day.isoformat())
    return report


@transaction.atomic
def review_report(*, report: DailyReport, by: User) -> DailyReport:
    """A supervisor of the site has read the built report: it may be sent."""
    locked = DailyReport.objects.select_for_update().select_related("site").get(pk=report.pk)
    if not policy.can_review_report(by, locked):
        raise ValidationError("Only a supervisor of the site reviews its reports.")
    if locked.status != DailyReport.Status.READY:
        raise ValidationError(
            f"The report is {locked.get_status_display().lower()}: review it once it is built."
        )
    locked.status = DailyReport.Status.REVIEWED
    locked.reviewed_at = timezone.now()
    locked.reviewed_by = by
    locked.save(update_fields=["status", "reviewed_at", "reviewed_by"])
    audit.record(action="daily_report.reviewed", actor=by, obj=locked)
    return locked


@transaction.atomic
def send_report(*, report: DailyReport, by: User, contacts: list[ClientContact]) -> list[ReportSend]:
    """Email the reviewed report's PDF to some of the site's client contacts (a worker sends each,
    after the commit). Each send is a row and an audit record."""
    locked = DailyReport.objects.select_for_update().select_related("site").get(pk=report.pk)
    if not policy.can_review_report(by, locked):
        raise ValidationError("Only a supervisor of the site sends its reports.")
    if locked.status != DailyReport.Status.REVIEWED or not locked.pdf:
        raise ValidationError("Review the report before you send it.")
    if not contacts:
        raise ValidationError({"contacts": "Choose who receives the report."})
    if any(contact.site_id != locked.site_id or not contact.is_active for contact in contacts):
        raise ValidationError({"contacts": "A report goes only to its own site's client contacts."})
    sends = []
    for contact in dict.fromkeys(contacts):
        send = ReportSend.objects.create(report=locked, contact=contact, address=contact.email, by=by)
        audit.record(action="daily_report.sent", actor=by, obj=locked, to=contact.email)
        publish_on_commit(events.report_send_requested(send))
        sends.append(send)
    return sends


def deliver_send(*, send: ReportSend) -> ReportSend:
    """Email one send (the PDF attached); idempotent: a send already sent is not sent again."""
    with transaction.atomic():
        locked = (
            ReportSend.objects.select_for_update().select_related("report__site", "contact").get(pk=send.pk)
        )
        if locked.state == ReportSend.State.SENT:
            return locked
        report = locked.report
        site = report.site
        message = EmailMessage(
            subject=f"Daily activity report: {site.name}, {report.day:%A %d %B %Y}",
            body=(
                f"Dear {locked.contact.name},\n\n"
                f"Attached is the daily activity report of {site.name} for {report.day:%d %B %Y} "
                f"(times in {site.time_zone}).\nSHA-256 of the PDF: {report.pdf_sha256}\n\n"
                f"{site.provider}"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[locked.address],
        )
        with report.pdf.open("rb") as document:
            message.attach(
                f"daily-activity-report-{site.code}-{report.day}.pdf", document.read(), "application/pdf"
            )
        try:
            message.send()
        except Exception as error:
            locked.state = ReportSend.State.FAILED
            locked.error = str(error)[:300]
            locked.save(update_fields=["state", "error"])
            return locked
        locked.state = ReportSend.State.SENT
        locked.sent_at = timezone.now()
        locked.error = ""
        locked.save(update_fields=["state", "sent_at", "error"])
        return locked


def resume_stalled(*, now: datetime | None = None) -> int:
    """Reports left generating and sends left queued for too long are queued again."""
    cutoff = (now or timezone.now()) - STALLED_AFTER
    count = 0
    for report in DailyReport.objects.filter(status=DailyReport.Status.GENERATING, created_at__lt=cutoff):
        publish_on_commit(events.report_requested(report))
        count += 1
    for send in ReportSend.objects.filter(state=ReportSend.State.QUEUED, at__lt=cutoff):
        publish_on_commit(events.report_send_requested(send))
        count += 1
    return count


@transaction.atomic
def add_contact(*, site: Site, by: User, name: str, email: str) -> ClientContact:
    """A client contact of a site (its provider's org admins manage them)."""
    if not policy.can_manage_contacts(by, site):
        raise ValidationError("Only your organization's admins manage a site's client contacts.")
    name, email = name.strip(), email.strip().lower()
    errors = {}
    if not name:
        errors["name"] = "Name the contact."
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = "Enter a valid email address."
    if errors:
        raise ValidationError(errors)
    contact, created = ClientContact.objects.get_or_create(
        site=site, email=email, defaults={"name": name[:150]}
    )
    if not created:
        if contact.is_active:
            raise ValidationError({"email": f"{email} is already a contact of {site}."})
        contact.is_active, contact.name = True, name[:150]
        contact.save(update_fields=["is_active", "name"])
    audit.record(action="client_contact.added", actor=by, obj=contact, site=site.name)
    return contact


@transaction.atomic
def remove_contact(*, contact: ClientContact, by: User) -> ClientContact:
    if not policy.can_manage_contacts(by, contact.site):
        raise ValidationError("Only your organization's admins manage a site's client contacts.")
    contact.is_active = False
    contact.save(update_fields=["is_active"])
    audit.record(action="client_contact.removed", actor=by, obj=contact)
    return contact
