"""The analytics' writes: the audit record of every export, and the partnership reports (a row
whose worker builds the scorecard's PDF and, once a month, sends it to both sides' admins)."""

import hashlib
import logging
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Model
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Partnership, Role, User
from analytics import events, policy, scorecards
from analytics.models import PartnershipReport
from audit import services as audit
from notifications import content as notification_content
from notifications import services as notifications
from notifications.models import Channel, Kind
from notifications.services.alerts import person_messages
from portal.realtime import publish_on_commit

logger = logging.getLogger(__name__)
# The monthly report's own kind: in-app and by email, whatever a person chose for other kinds.
REPORT_KIND = Kind.PARTNERSHIP_REPORT


def record_export(
    *, by: User, kind: str, filters: dict[str, Any] | None = None, obj: Model | None = None
) -> None:
    """Audit an export: who, which kind, of which object or with which filters (in the caller's request)."""
    if obj is not None:
        audit.record(action=f"export.{kind}", actor=by, obj=obj)
    else:
        audit.record(action=f"export.{kind}", actor=by, filters=filters or {})


@transaction.atomic
def request_partnership_report(*, partnership: Partnership, by: User, month: date) -> PartnershipReport:
    """Build a partnership's scorecard PDF for ``month`` on demand (for the one who asked)."""
    if not policy.can_request_partnership_report(by, partnership):
        raise PermissionDenied(
            "Only the partnership's own supervisors, liaisons and admins ask for its report."
        )
    month = month.replace(day=1)
    if month > timezone.localdate().replace(day=1):
        raise ValidationError({"month": "A report is of a month that has begun, not one to come."})
    report = PartnershipReport.objects.create(partnership=partnership, month=month, requested_by=by)
    audit.record(action="partnership_report.requested", actor=by, obj=report, month=f"{month:%Y-%m}")
    publish_on_commit(events.partnership_report_requested(report))
    return report


def queue_monthly_reports(*, today: date) -> int:
    """The 1st of the month: one report of the month before for every active partnership, each
    built and sent by a worker. Idempotent: a month already queued is not queued again."""
    month = scorecards.month_start(today, 1)
    queued = 0
    for partnership in Partnership.objects.filter(is_active=True).order_by("pk"):
        with transaction.atomic():
            report, created = PartnershipReport.objects.get_or_create(
                partnership=partnership, month=month, requested_by=None
            )
            if created:
                publish_on_commit(events.partnership_report_requested(report))
                queued += 1
    return queued


def _step(report: PartnershipReport, status: str, **fields: Any) -> None:
    """Save a step of the build at once (its own commit), so the report's page shows the progress."""
    PartnershipReport.objects.filter(pk=report.pk).update(status=status, **fields)
    report.status = status


def render_scorecard_html(*, scorecard: scorecards.Scorecard, for_pdf: bool) -> str:
    return render_to_string(
        "analytics/scorecard_pdf.html", {"card": scorecard, "for_pdf": for_pdf, "now": timezone.now()}
    )


def partnership_admins(partnership: Partnership) -> list[User]:
    """The active admins of both organizations of the partnership."""
    return list(
        User.objects.filter(
            is_active=True,
            membership__role=Role.ORG_ADMIN,
            membership__organization_id__in=(partnership.provider_id, partnership.agency_id),
        ).order_by("pk")
    )


def build_partnership_report(*, report: PartnershipReport) -> PartnershipReport:
    """Count, draw the PDF (WeasyPrint) with its SHA-256 and, for the monthly report, tell both
    organizations' admins through the outbox. Building again replaces the PDF; the admins are told
    once (the outbox's idempotency key). A failure is kept on the row and raised for a retry."""
    current = PartnershipReport.objects.select_related("partnership__provider", "partnership__agency").get(
        pk=report.pk
    )
    try:
        # Loaded here, not at import: WeasyPrint needs Pango and HarfBuzz, which only the rendering
        # worker must have; the web process and `make run` work without them.
        from portal import pdf as documents

        _step(current, PartnershipReport.Status.COUNTING, error="")
        card = scorecards.get_scorecard(partnership=current.partnership, month=current.month)
        html = render_scorecard_html(scorecard=card, for_pdf=True)
        _step(current, PartnershipReport.Status.RENDERING)
        pdf = documents.html_to_pdf(html)
    except Exception as error:
        _step(current, PartnershipReport.Status.FAILED, error=str(error)[:300])
        raise
    partnership = current.partnership
    with transaction.atomic():
        locked = PartnershipReport.objects.select_for_update().get(pk=current.pk)
        locked.pdf.save(
            f"partnership-{partnership.pk}-{current.month:%Y-%m}.pdf", ContentFile(pdf), save=False
        )
        locked.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        locked.generated_at = timezone.now()
        locked.error = ""
        if locked.requested_by_id is None:
            locked.status = PartnershipReport.Status.SENDING
            locked.save()
            admins = partnership_admins(partnership)
            path = reverse("analytics:report", kwargs={"partnership_report_id": locked.public_id})
            # In-app and by email whatever the kind's preferences: a monthly report is read once.
            messages = person_messages(
                users=admins,
                kind=REPORT_KIND,
                incident=None,
                key=f"partnership-report:{locked.public_id}",
                reason="The monthly partnership report",
                required=(Channel.IN_APP, Channel.EMAIL),
                offered=(Channel.IN_APP, Channel.EMAIL),
                payload=notification_content.written(
                    event="partnership_report.ready",
                    title=f"Partnership report, {partnership}, {current.month:%B %Y}",
                    text=(
                        f"The scorecard of {partnership.provider} and {partnership.agency} for "
                        f"{current.month:%B %Y} is ready as a PDF (SHA-256 {locked.pdf_sha256[:16]}…)."
                    ),
                    path=path,
                ),
            )
            notifications.queue_messages(messages)
            locked.sent_to = len(admins)
        locked.status = PartnershipReport.Status.READY
        locked.save()
    return locked
