"""Debrief events: to the incident's page (progress, live), with the Celery work that follows."""

from debriefs.models import Debrief
from incidents.events import incident_group
from portal.realtime import Event


def _payload(debrief: Debrief) -> dict[str, object]:
    return {
        "id": str(debrief.public_id),
        "version": debrief.version,
        "status": debrief.status,
        "pdf_status": debrief.pdf_status,
        "pdf_sha256": debrief.pdf_sha256,
    }


def drafting_requested(debrief: Debrief) -> Event:
    """``debrief.requested``: the page shows 'generating'; a worker drafts it."""
    return Event(
        name="debrief.requested",
        payload=_payload(debrief),
        groups=(incident_group(debrief.incident),),
        subject=(debrief.pk,),
    )


def pdf_requested(debrief: Debrief) -> Event:
    """``debrief.drafted`` (or approved): the page shows the draft; a worker renders its PDF."""
    return Event(
        name="debrief.drafted",
        payload=_payload(debrief),
        groups=(incident_group(debrief.incident),),
        subject=(debrief.pk,),
    )


def pdf_rendered(debrief: Debrief) -> Event:
    """``debrief.pdf_ready`` / ``debrief.pdf_failed``: the page offers the download (or says why not)."""
    ready = debrief.pdf_status == Debrief.Pdf.READY
    return Event(
        name="debrief.pdf_ready" if ready else "debrief.pdf_failed",
        payload=_payload(debrief),
        groups=(incident_group(debrief.incident),),
    )
