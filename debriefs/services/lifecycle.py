"""A debrief's life: requested (on demand, or when its incident closes), drafted from the
timeline, edited, contributed to by the agency, submitted, reviewed, approved (frozen), revised."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from debriefs import events, policy
from debriefs import facts as debrief_facts
from debriefs.models import Debrief, ReviewComment
from debriefs.services import notices
from debriefs.services.common import clean, require
from debriefs.services.rendering import queue_pdf
from incidents.models import Incident
from portal.realtime import publish_on_commit

Status = Debrief.Status
EDITABLE = (Status.DRAFT, Status.CHANGES_REQUESTED)
SECOND_PERSON = (
    "A second person must approve it: not the one who submits it, but another supervisor "
    "(or an org admin, if the organization says so)."
)


def _latest(incident: Incident) -> Debrief | None:
    return incident.debriefs.order_by("-version").first()


def _queue_drafting(debrief: Debrief) -> None:
    publish_on_commit(events.drafting_requested(debrief))


@transaction.atomic
def request_debrief(*, incident: Incident, by: User) -> Debrief:
    """Ask for a debrief of an incident on demand: a version in 'generating' that a worker drafts."""
    require(policy.can_write_debrief(by, incident), "Only the provider's supervisors draft debriefs.")
    # The incident's row lock, as the closing's and the drill's follow-ups take it: a follow-up
    # creating version 1 at this moment is waited for and found, not raced on the unique version.
    Incident.objects.select_for_update().get(pk=incident.pk)
    current = _latest(incident)
    if current is not None and current.is_frozen:
        raise ValidationError("The debrief is approved: revise it to make a new version.")
    if current is None:
        current = Debrief.objects.create(incident=incident, created_by=by, status=Status.GENERATING)
    elif current.status in EDITABLE:
        # A fresh draft of the facts; the people's text stays.
        current.status = Status.GENERATING
        current.save(update_fields=["status"])
    _queue_drafting(current)
    return current


@transaction.atomic
def request_debrief_on_close(*, incident: Incident, closed_by: User | None) -> Debrief | None:
    """The debrief a closed incident asks for, once; None if one was asked for since it closed."""
    # Locking the incident's row makes two runs of the follow-up (a task may run twice) take turns.
    closed = (
        Incident.objects.select_for_update().filter(pk=incident.pk, status=Incident.Status.CLOSED).first()
    )
    if closed is None:
        return None
    current = _latest(closed)
    if current is None:
        current = Debrief.objects.create(incident=closed, created_by=closed_by, status=Status.GENERATING)
    elif _drafted_before_closing(current, closed):
        # Asked for on demand before the incident closed: drafted again, with the closing in it.
        current.status = Status.GENERATING
        current.save(update_fields=["status"])
    else:
        return None
    _queue_drafting(current)
    return current


@transaction.atomic
def request_drill_debrief(*, incident: Incident, drill: dict[str, object]) -> Debrief:
    """The debrief of a drill whose window closed, on its first exercise incident (idempotent: a
    debrief already carrying this drill is left as it is)."""
    Incident.objects.select_for_update().get(pk=incident.pk)
    current = _latest(incident)
    if current is not None and current.drill.get("id") == drill.get("id"):
        return current
    if current is None or current.is_frozen:
        current = Debrief.objects.create(
            incident=incident,
            version=current.version + 1 if current else 1,
            status=Status.GENERATING,
            drill=drill,
        )
    else:
        current.drill = drill
        current.status = Status.GENERATING
        current.save(update_fields=["drill", "status"])
    audit.record(action="debrief.drill_requested", obj=current, drill=str(drill.get("id")))
    _queue_drafting(current)
    return current


def _drafted_before_closing(debrief: Debrief, incident: Incident) -> bool:
    drafted = debrief.drafted_at or debrief.created_at
    return debrief.status in EDITABLE and incident.closed_at is not None and drafted < incident.closed_at


@transaction.atomic
def draft_debrief(*, debrief: Debrief) -> Debrief:
    """Draft the facts (timeline, intervals, participants, evidence, notifications) from the
    incident as it is now. Idempotent: drafting twice gives the same facts."""
    current = Debrief.objects.select_for_update().select_related("incident").get(pk=debrief.pk)
    if current.is_frozen:
        return current
    facts = debrief_facts.collect(current.incident)
    if current.drill:
        facts["drill"] = debrief_facts.drill(current.drill)
        facts["summary"] = (
            f"EXERCISE: debrief of the drill “{current.drill.get('title')}” "
            f"({current.drill.get('scenario')}) "
            f"at {current.drill.get('site')}, {len(facts['drill']['incidents'])} exercise incident(s). "
            + facts["summary"]
        )
        if not current.improvements and facts["drill"]["misses"]:
            current.improvements = "Improvement actions to consider:\n" + "\n".join(
                f"- {miss}" for miss in facts["drill"]["misses"]
            )
    current.facts = facts
    current.drafted_at = timezone.now()
    if not current.summary:
        current.summary = facts["summary"]
    if current.status == Status.GENERATING:
        current.status = Status.DRAFT
    current.save()
    queue_pdf(current)
    notices.notify_waiting_for_agency(debrief=current)
    return current


def _locked(debrief: Debrief) -> Debrief:
    return Debrief.objects.select_for_update().select_related("incident__site").get(pk=debrief.pk)


def _check_editable(current: Debrief, expected_version: int | None) -> None:
    """After the permission check: who may not act learns nothing of the debrief's state."""
    if current.status not in EDITABLE:
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
    require(policy.can_write_debrief(by, current.incident), "Only the provider's supervisors edit debriefs.")
    _check_editable(current, expected_version)
    current.summary = clean(summary, "summary")
    current.strengths = clean(strengths, "strengths")
    current.improvements = clean(improvements, "improvements")
    current.edit_version += 1
    current.save()
    audit.record(action="debrief.edited", actor=by, obj=current, edit_version=current.edit_version)
    return current


@transaction.atomic
def contribute_as_agency(
    *, debrief: Debrief, by: User, text: str, expected_version: int | None = None
) -> Debrief:
    """The agency's part of a debrief of an escalated incident, written by its liaisons."""
    current = _locked(debrief)
    require(
        policy.can_contribute_to_debrief_as_agency(by, current), "Only the agency's liaisons write this part."
    )
    _check_editable(current, expected_version)
    current.agency_contribution = clean(text, "agency_contribution")
    current.edit_version += 1
    current.save()
    audit.record(
        action="debrief.agency_contributed", actor=by, obj=current, edit_version=current.edit_version
    )
    return current


@transaction.atomic
def submit_debrief(*, debrief: Debrief, by: User) -> Debrief:
    """Send the debrief for review by another supervisor."""
    current = _locked(debrief)
    require(
        policy.can_write_debrief(by, current.incident), "Only the provider's supervisors submit debriefs."
    )
    _check_editable(current, None)
    if not current.summary.strip():
        raise ValidationError({"summary": "Write a summary before submitting."})
    current.status = Status.SUBMITTED
    current.submitted_by = by
    current.submitted_at = timezone.now()
    current.save()
    audit.record(action="debrief.submitted", actor=by, obj=current, version=current.version)
    notices.notify_waiting_for_review(debrief=current, by=by)
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
    require(policy.can_approve_debrief(by, current), SECOND_PERSON)
    _check_reviewable(current)
    comment = clean(comment, "comment")
    if not comment:
        raise ValidationError({"comment": "Say what should change."})
    ReviewComment.objects.create(debrief=current, author=by, text=comment)
    current.status = Status.CHANGES_REQUESTED
    current.save(update_fields=["status"])
    audit.record(action="debrief.changes_requested", actor=by, obj=current, version=current.version)
    return current


@transaction.atomic
def approve_debrief(*, debrief: Debrief, by: User, comment: str = "") -> Debrief:
    """Approve (and freeze) the debrief; its PDF is rendered again with the approval on it."""
    current = _locked(debrief)
    require(policy.can_approve_debrief(by, current), SECOND_PERSON)
    _check_reviewable(current)
    if comment.strip():
        ReviewComment.objects.create(debrief=current, author=by, text=clean(comment, "comment"))
    current.status = Status.APPROVED
    current.approved_by = by
    current.approved_at = timezone.now()
    current.save()
    audit.record(action="debrief.approved", actor=by, obj=current, version=current.version)
    queue_pdf(current)
    return current


@transaction.atomic
def revise_debrief(*, debrief: Debrief, by: User) -> Debrief:
    """A change after approval: a new version (a copy to edit), the approved one kept as it was."""
    require(
        policy.can_write_debrief(by, debrief.incident), "Only the provider's supervisors revise debriefs."
    )
    current = _latest(debrief.incident)
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
    audit.record(action="debrief.revised", actor=by, obj=revision, revises=str(current.public_id))
    _queue_drafting(revision)
    return revision
