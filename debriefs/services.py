"""Debriefs: drafted from the timeline, edited, reviewed, approved (frozen), versioned, rendered."""

import hashlib
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from debriefs import events, policy
from debriefs import facts as debrief_facts
from debriefs.models import CorrectiveAction, Debrief, ReviewComment
from incidents import policy as incident_policy
from incidents import services as incident_services
from incidents.models import Incident
from portal.realtime import publish_on_commit, send_event
from portal.text import clean_text

Status = Debrief.Status
MAX_TEXT = 20_000


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _text(value: str, field: str) -> str:
    return clean_text(value, field=field, limit=MAX_TEXT)


def latest(incident: Incident) -> Debrief | None:
    return incident.debriefs.order_by("-version").first()


def _queue_drafting(debrief: Debrief) -> None:
    publish_on_commit(events.drafting_requested(debrief))


@transaction.atomic
def request_debrief(*, incident: Incident, by: User | None) -> Debrief:
    """Ask for a debrief of an incident: a version in 'generating' that a Celery task drafts.

    Called when an incident closes (by its closer) and on demand (by a supervisor)."""
    if by is not None:
        _require(policy.can_write_debrief(by, incident), "Only the provider's supervisors draft debriefs.")
    current = latest(incident)
    if current is not None and current.is_frozen:
        raise ValidationError("The debrief is approved: revise it to make a new version.")
    if current is None:
        current = Debrief.objects.create(incident=incident, created_by=by, status=Status.GENERATING)
    elif current.status in (Status.DRAFT, Status.CHANGES_REQUESTED):
        # A fresh draft of the facts; the people's text stays.
        current.status = Status.GENERATING
        current.save(update_fields=["status"])
    _queue_drafting(current)
    return current


@transaction.atomic
def draft_debrief(*, debrief: Debrief) -> Debrief:
    """Draft the facts (timeline, intervals, participants, evidence, notifications) from the
    incident as it is now. Idempotent: drafting twice gives the same facts."""
    current = Debrief.objects.select_for_update().select_related("incident").get(pk=debrief.pk)
    if current.is_frozen:
        return current
    facts = debrief_facts.collect(current.incident)
    current.facts = facts
    current.drafted_at = timezone.now()
    if not current.summary:
        current.summary = facts["summary"]
    if current.status == Status.GENERATING:
        current.status = Status.DRAFT
    current.save()
    queue_pdf(current)
    return current


def queue_pdf(debrief: Debrief) -> None:
    Debrief.objects.filter(pk=debrief.pk).update(pdf_status=Debrief.Pdf.PENDING, pdf_error="")
    debrief.pdf_status = Debrief.Pdf.PENDING
    publish_on_commit(events.pdf_requested(debrief))


def _locked(debrief: Debrief) -> Debrief:
    return Debrief.objects.select_for_update().select_related("incident__site").get(pk=debrief.pk)


def _check_editable(current: Debrief, expected_version: int | None) -> None:
    """After the permission check: who may not act learns nothing of the debrief's state."""
    if current.status not in (Status.DRAFT, Status.CHANGES_REQUESTED):
        raise ValidationError(
            f"This debrief is {current.get_status_display().lower()}; it cannot be edited now.",
            code="invalid_transition",
        )
    if expected_version is not None and expected_version != current.edit_version:
        raise ValidationError(
            "Someone else changed this debrief since you opened it. Reload, then make your change again.",
            code="conflict",
        )


@transaction.atomic
def update_debrief(
    *,
    debrief: Debrief,
    by: User,
    expected_version: int | None,
    summary: str,
    strengths: str,
    improvements: str,
) -> Debrief:
    """The supervisors' text: summary, strengths, areas for improvement."""
    current = _locked(debrief)
    _require(policy.can_write_debrief(by, current.incident), "Only the provider's supervisors edit debriefs.")
    _check_editable(current, expected_version)
    current.summary = _text(summary, "summary")
    current.strengths = _text(strengths, "strengths")
    current.improvements = _text(improvements, "improvements")
    current.edit_version += 1
    current.save()
    return current


@transaction.atomic
def contribute_as_agency(
    *, debrief: Debrief, by: User, text: str, expected_version: int | None = None
) -> Debrief:
    """The agency's part of a debrief of an escalated incident, written by its liaisons."""
    current = _locked(debrief)
    _require(
        policy.can_contribute_to_debrief_as_agency(by, current), "Only the agency's liaisons write this part."
    )
    _check_editable(current, expected_version)
    current.agency_contribution = _text(text, "agency_contribution")
    current.edit_version += 1
    current.save()
    return current


@transaction.atomic
def submit_debrief(*, debrief: Debrief, by: User) -> Debrief:
    """Send the debrief for review by another supervisor."""
    current = _locked(debrief)
    _require(
        policy.can_write_debrief(by, current.incident), "Only the provider's supervisors submit debriefs."
    )
    _check_editable(current, None)
    if not current.summary.strip():
        raise ValidationError({"summary": "Write a summary before submitting."})
    current.status = Status.SUBMITTED
    current.submitted_by = by
    current.submitted_at = timezone.now()
    current.save()
    return current


def _check_reviewable(current: Debrief) -> None:
    if current.status != Status.SUBMITTED:
        raise ValidationError(
            f"This debrief is {current.get_status_display().lower()}, not waiting for review.",
            code="invalid_transition",
        )


@transaction.atomic
def request_changes(*, debrief: Debrief, by: User, comment: str) -> Debrief:
    """Send the debrief back to its authors with what to change."""
    current = _locked(debrief)
    _require(policy.can_approve_debrief(by, current), "Another supervisor than its submitter reviews it.")
    _check_reviewable(current)
    comment = _text(comment, "comment")
    if not comment:
        raise ValidationError({"comment": "Say what should change."})
    ReviewComment.objects.create(debrief=current, author=by, text=comment)
    current.status = Status.CHANGES_REQUESTED
    current.save(update_fields=["status"])
    return current


@transaction.atomic
def approve_debrief(*, debrief: Debrief, by: User, comment: str = "") -> Debrief:
    """Approve (and freeze) the debrief; its PDF is rendered again with the approval on it."""
    current = _locked(debrief)
    _require(policy.can_approve_debrief(by, current), "Another supervisor than its submitter approves it.")
    _check_reviewable(current)
    if comment.strip():
        ReviewComment.objects.create(debrief=current, author=by, text=_text(comment, "comment"))
    current.status = Status.APPROVED
    current.approved_by = by
    current.approved_at = timezone.now()
    current.save()
    queue_pdf(current)
    return current


@transaction.atomic
def revise_debrief(*, debrief: Debrief, by: User) -> Debrief:
    """A change after approval: a new version (a copy to edit), the approved one kept as it was."""
    _require(
        policy.can_write_debrief(by, debrief.incident), "Only the provider's supervisors revise debriefs."
    )
    current = latest(debrief.incident)
    if current is None or not current.is_frozen:
        raise ValidationError("Only an approved debrief is revised; edit the current draft instead.")
    revision = Debrief.objects.create(
        incident=current.incident,
        version=current.version + 1,
        status=Status.GENERATING,
        summary=current.summary,
        strengths=current.strengths,
        improvements=current.improvements,
        agency_contribution=current.agency_contribution,
        created_by=by,
    )
    _queue_drafting(revision)
    return revision


def _owner(incident: Incident, owner: User) -> User:
    if not incident_policy.visible_incidents(owner).filter(pk=incident.pk).exists():
        raise ValidationError({"owner": "The owner must be someone who can see this incident."})
    return owner


@transaction.atomic
def add_corrective_action(
    *, incident: Incident, by: User, what: str, owner: User, due_date: date
) -> CorrectiveAction:
    """Add an item to the improvement plan."""
    _require(
        policy.can_write_debrief(by, incident), "Only the provider's supervisors plan corrective actions."
    )
    what = _text(what, "what")
    if not what:
        raise ValidationError({"what": "Say what will change."})
    if due_date < timezone.localdate():
        raise ValidationError({"due_date": "The due date cannot be in the past."})
    return CorrectiveAction.objects.create(
        incident=incident, what=what, owner=_owner(incident, owner), due_date=due_date, created_by=by
    )


@transaction.atomic
def update_corrective_action(
    *, action: CorrectiveAction, by: User, status: str, verification: str = ""
) -> CorrectiveAction:
    """Track an action: in progress, or done with how its closure was verified."""
    current = CorrectiveAction.objects.select_for_update().select_related("incident__site").get(pk=action.pk)
    _require(
        policy.can_update_corrective_action(by, current), "Only its owner and the supervisors update it."
    )
    if status not in CorrectiveAction.Status.values:
        raise ValidationError({"status": "Choose open, in progress or done."})
    verification = _text(verification, "verification")
    if status == CorrectiveAction.Status.DONE and not verification:
        raise ValidationError({"verification": "Say how closing it was verified."})
    current.status = status
    current.verification = verification or current.verification
    current.closed_at = timezone.now() if status == CorrectiveAction.Status.DONE else None
    current.save()
    return current


def render_html(debrief: Debrief, *, for_pdf: bool) -> str:
    """The debrief as HTML: the page and the PDF come from this one template."""
    context: dict[str, Any] = {
        "debrief": debrief,
        "incident": debrief.incident,
        "facts": debrief.facts,
        "actions": list(debrief.incident.corrective_actions.select_related("owner")),
        "comments": list(debrief.comments.select_related("author")),
        "for_pdf": for_pdf,
        "rendered_at": timezone.now(),
    }
    return render_to_string("debriefs/debrief_document.html", context)


def render_pdf(*, debrief: Debrief) -> Debrief:
    """Render the debrief's PDF (WeasyPrint), store it with its SHA-256. A failure is recorded."""
    current = Debrief.objects.select_related("incident__site", "incident__category").get(pk=debrief.pk)
    try:
        # Loaded here, not at import: it needs Pango and HarfBuzz, which only the rendering worker
        # must have; the web process and `make run` work without them.
        import weasyprint

        pdf = weasyprint.HTML(string=render_html(current, for_pdf=True)).write_pdf()
    except Exception as error:
        Debrief.objects.filter(pk=current.pk).update(
            pdf_status=Debrief.Pdf.FAILED, pdf_error=str(error)[:300]
        )
        current.refresh_from_db()
        send_event(events.pdf_rendered(current))
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


def overdue_filter() -> Q:
    return Q(due_date__lt=timezone.localdate()) & ~Q(status=CorrectiveAction.Status.DONE)


STALLED_AFTER = timedelta(minutes=2)


def resume_stalled() -> int:
    """Debriefs left 'generating' or with a PDF 'rendering' for too long are queued again."""
    cutoff = timezone.now() - STALLED_AFTER
    count = 0
    for debrief in Debrief.objects.filter(status=Status.GENERATING, created_at__lt=cutoff):
        send_event(events.drafting_requested(debrief))
        count += 1
    for debrief in Debrief.objects.filter(pdf_status=Debrief.Pdf.PENDING).filter(
        Q(drafted_at__lt=cutoff) | Q(approved_at__lt=cutoff)
    ):
        send_event(events.pdf_requested(debrief))
        count += 1
    return count


@transaction.atomic
def close_incident(
    *, incident: Incident, by: User, resolution: str, expected_version: int | None = None
) -> Incident:
    """Close an incident (incidents.services.close_incident) and ask for its debrief."""
    closed = incident_services.close_incident(
        incident=incident, by=by, resolution=resolution, expected_version=expected_version
    )
    request_debrief(incident=closed, by=by)
    return closed
