"""The debrief as a document: the HTML of the page and the PDF, and the sweep that resumes stalled
drafting and rendering."""

import hashlib
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from debriefs import events
from debriefs.models import Debrief
from portal.realtime import publish_on_commit

STALLED_AFTER = timedelta(minutes=2)


def queue_pdf(debrief: Debrief) -> None:
    """Mark the debrief's PDF as rendering; a worker renders it once the change commits."""
    Debrief.objects.filter(pk=debrief.pk).update(pdf_status=Debrief.Pdf.PENDING, pdf_error="")
    debrief.pdf_status = Debrief.Pdf.PENDING
    publish_on_commit(events.pdf_requested(debrief))


def render_html(debrief: Debrief, *, for_pdf: bool) -> str:
    """The debrief as HTML: the page and the PDF come from this one template, in the site's zone."""
    context: dict[str, Any] = {
        "debrief": debrief,
        "incident": debrief.incident,
        "facts": debrief.facts,
        "actions": list(debrief.incident.corrective_actions.select_related("owner")),
        "comments": list(debrief.comments.select_related("author")),
        "for_pdf": for_pdf,
        "rendered_at": timezone.now(),
    }
    # A debrief is a site's event: its stamps (generated, approved, comments) read in the site's time,
    # whoever opens the page and in the PDF worker alike.
    with timezone.override(debrief.incident.site.zone):
        return render_to_string("debriefs/debrief_document.html", context)


def render_pdf(*, debrief: Debrief) -> Debrief:
    """Render the debrief's PDF (WeasyPrint), store it with its SHA-256. A failure is recorded."""
    current = Debrief.objects.select_related("incident__site", "incident__category").get(pk=debrief.pk)
    try:
        # Loaded here, not at import: WeasyPrint needs Pango and HarfBuzz, which only the rendering
        # worker must have; the web process and `make run` work without them.
        from debriefs import pdf as documents

        pdf = documents.html_to_pdf(render_html(current, for_pdf=True))
    except Exception as error:
        Debrief.objects.filter(pk=current.pk).update(
            pdf_status=Debrief.Pdf.FAILED, pdf_error=str(error)[:300]
        )
        current.refresh_from_db()
        publish_on_commit(events.pdf_rendered(current))
        raise
    name = f"{current.incident.reference}-v{current.version}.pdf"
    with transaction.atomic():
        locked = Debrief.objects.select_for_update().get(pk=current.pk)
        locked.pdf.save(name, ContentFile(pdf), save=False)
        locked.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        locked.pdf_generated_at = timezone.now()
        locked.pdf_status = Debrief.Pdf.READY
        locked.pdf_error = ""
        locked.save()
        publish_on_commit(events.pdf_rendered(locked))
    return locked


def resume_stalled() -> int:
    """Debriefs left 'generating' or with a PDF 'rendering' for too long are queued again."""
    cutoff = timezone.now() - STALLED_AFTER
    count = 0
    debriefs = Debrief.objects.select_related("incident")
    for debrief in debriefs.filter(status=Debrief.Status.GENERATING, created_at__lt=cutoff):
        publish_on_commit(events.drafting_requested(debrief))
        count += 1
    for debrief in debriefs.filter(pdf_status=Debrief.Pdf.PENDING).filter(
        Q(drafted_at__lt=cutoff) | Q(approved_at__lt=cutoff)
    ):
        publish_on_commit(events.pdf_requested(debrief))
        count += 1
    return count
