"""A report's life after filing: edits under an optimistic lock, and triage from submitted to closed.
Every change lands on the timeline."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Site, User
from incidents import events, policy, selectors
from incidents.models import PANIC_CATEGORY, Category, Incident, TimelineEntry
from incidents.services.intake import refresh_search
from incidents.services.timeline import add_timeline_entry
from incidents.services.validation import MAX_TEXT, clean_fields, require, require_complete
from portal.realtime import publish_on_commit
from portal.text import clean_text

Status = Incident.Status
Kind = TimelineEntry.Kind


class EditConflict(ValidationError):
    """Someone else changed the incident since the editor loaded it (optimistic locking)."""


def _json(value: Any) -> Any:
    if isinstance(value, Category):
        return value.name
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _lock(incident: Incident, expected_version: int | None) -> Incident:
    """Re-read the incident under a row lock; refuse if it changed since the caller read it."""
    current = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("site", "category")
        .get(pk=incident.pk)
    )
    if expected_version is not None and current.version != expected_version:
        last = current.timeline.order_by("-at", "-pk").select_related("actor").first()
        who = f" by {last.actor}" if last and last.actor else ""
        raise EditConflict(
            f"{current.reference} was changed{who} after you opened it. "
            "Reload to see their change, then make yours again.",
            code="conflict",
        )
    return current


def _bump(incident: Incident, **fields: Any) -> None:
    incident.version += 1
    for name, value in fields.items():
        setattr(incident, name, value)
    incident.save(update_fields=[*fields, "version", "updated_at"])


@transaction.atomic
def update_incident(
    *, incident: Incident, by: User, expected_version: int | None, **changes: Any
) -> Incident:
    """Change fields of a report; each changed field lands on the timeline with its old and new value."""
    current = _lock(incident, expected_version)
    require(policy.can_edit_incident(by, current), "You may not change this report now.")
    # A panic's report keeps its category; no other report can be moved into it.
    is_panic = current.category is not None and current.category.code == PANIC_CATEGORY
    cleaned = clean_fields(changes, now=timezone.now(), panic=is_panic)
    changed = {name: value for name, value in cleaned.items() if getattr(current, name) != value}
    if not changed:
        return current
    old = {name: getattr(current, name) for name in changed}
    _bump(current, **changed)
    for name, value in changed.items():
        add_timeline_entry(
            incident=current,
            kind=Kind.FIELD_CHANGED,
            actor=by,
            field=name,
            old=_json(old[name]),
            new=_json(value),
        )
    refresh_search(current)
    if current.status != Status.DRAFT:
        publish_on_commit(events.incident_changed(current, name="incident.updated", by=by))
    return current


@transaction.atomic
def move_incident(*, incident: Incident, by: User, site: Site) -> Incident:
    """Say the report happened at another of the user's sites (a panic sent from the wrong one):
    the change is on the timeline; whoever acts on the site (dispatch) follows it up."""
    current = _lock(incident, None)
    require(policy.can_move_incident(by, current), "You may not move this report now.")
    require(
        policy.reportable_sites(by).filter(pk=site.pk).exists(),
        "You can only move a report to a site you work at.",
    )
    require(
        site.provider_id == current.provider_id,
        "A report stays with the provider it was filed for: move it to one of that provider's sites.",
    )
    if current.site_id == site.pk:
        raise ValidationError(f"{current.reference} is already at {site}.")
    old = current.site
    _bump(current, site=site)
    add_timeline_entry(
        incident=current, kind=Kind.FIELD_CHANGED, actor=by, field="site", old=old.name, new=site.name
    )
    if current.status != Status.DRAFT:
        publish_on_commit(events.incident_changed(current, name="incident.updated", by=by))
    return current


# Which status each triage action leads from and to. The one table of the incident's lifecycle.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({Status.DRAFT, Status.NEEDS_INFO}), Status.SUBMITTED),
    "accept": (frozenset({Status.SUBMITTED}), Status.ACCEPTED),
    "request_info": (frozenset({Status.SUBMITTED, Status.ACCEPTED}), Status.NEEDS_INFO),
    "close": (frozenset({Status.SUBMITTED, Status.ACCEPTED, Status.NEEDS_INFO}), Status.CLOSED),
}


def _transition(incident: Incident, *, action: str, by: User, **data: Any) -> Incident:
    sources, target = TRANSITIONS[action]
    if incident.status not in sources:
        raise ValidationError(
            f"{incident.reference} is {incident.get_status_display().lower()}; "
            f"it cannot become {Status(target).label.lower()}.",
            code="invalid_transition",
        )
    now = timezone.now()
    updates: dict[str, Any] = {"status": target}
    if target == Status.SUBMITTED and incident.submitted_at is None:
        updates["submitted_at"] = now
    if target == Status.CLOSED:
        updates["closed_at"] = now
    previous = incident.status
    _bump(incident, **updates)
    add_timeline_entry(
        incident=incident,
        kind=Kind.STATUS_CHANGED,
        actor=by,
        old=previous,
        new=target,
        **data,
    )
    publish_on_commit(events.incident_changed(incident, name="incident.status_changed", by=by))
    return incident


@transaction.atomic
def submit_incident(*, incident: Incident, by: User, expected_version: int | None = None) -> Incident:
    """Send a draft (or a report sent back for more information) to the supervisors."""
    current = _lock(incident, expected_version)
    require(policy.can_submit_incident(by, current), "Only the reporter sends their report.")
    require_complete(current)
    first = current.status == Status.DRAFT
    _transition(current, action="submit", by=by)
    if first:
        add_timeline_entry(incident=current, kind=Kind.SUBMITTED, actor=by)
        publish_on_commit(events.incident_changed(current, name="incident.submitted", by=by))
    return current


@transaction.atomic
def accept_incident(*, incident: Incident, by: User, expected_version: int | None = None) -> Incident:
    """A supervisor accepts a submitted report as valid."""
    current = _lock(incident, expected_version)
    require(policy.can_triage_incident(by, current), "Only the provider's supervisors triage reports.")
    return _transition(current, action="accept", by=by)


@transaction.atomic
def request_more_information(
    *, incident: Incident, by: User, comment: str, expected_version: int | None = None
) -> Incident:
    """Send a report back to its reporter with a question."""
    current = _lock(incident, expected_version)
    require(policy.can_triage_incident(by, current), "Only the provider's supervisors triage reports.")
    comment = clean_text(comment, field="comment", limit=MAX_TEXT, what="the question")
    if not comment:
        raise ValidationError({"comment": "Say what information is missing."})
    _transition(current, action="request_info", by=by, comment=comment)
    entry = add_timeline_entry(incident=current, kind=Kind.INFO_REQUESTED, actor=by, comment=comment)
    publish_on_commit(events.info_requested(current, by=by, entry=entry))
    return current


@transaction.atomic
def answer_question(
    *, incident: Incident, by: User, text: str, expected_version: int | None = None
) -> TimelineEntry:
    """The reporter answers the supervisor's open question: the answer lands on the timeline beside
    it, the report goes back to the supervisors, and the one who asked is told."""
    current = _lock(incident, expected_version)
    require(current.reporter_id == by.pk, "Only the reporter answers a question about their report.")
    question = selectors.get_open_question(incident=current)
    if question is None:
        raise ValidationError(
            f"{current.reference} has no open question to answer.", code="invalid_transition"
        )
    require(
        policy.can_submit_incident(by, current), "Only the reporter answers a question about their report."
    )
    text = clean_text(text, field="text", limit=MAX_TEXT, what="the answer")
    if not text:
        raise ValidationError({"text": "Write the answer first."})
    require_complete(current)
    entry = add_timeline_entry(
        incident=current, kind=Kind.INFO_PROVIDED, actor=by, text=text, question=question.pk
    )
    _transition(current, action="submit", by=by)
    publish_on_commit(events.info_provided(current, by=by, entry=entry))
    return entry


CONFIRM_CLOSE = "confirm_close"


def reasons_to_confirm_closing(incident: Incident) -> list[str]:
    """Why closing the incident needs a confirmation: an active panic, an open police response."""
    reasons = []
    for response in selectors.list_open_police_responses(incident=incident):
        if response.panic_active:
            reasons.append(
                f"PANIC is still active ({response.agency}: {response.state_words}): "
                "nobody has confirmed the guard is safe yet."
            )
        elif response.is_open:
            state = response.state_words
            reasons.append(f"The police response of {response.agency} is still open ({state}).")
    return reasons


@transaction.atomic
def close_incident(
    *,
    incident: Incident,
    by: User,
    resolution: str,
    expected_version: int | None = None,
    confirmed: bool = False,
) -> Incident:
    """Close a report with its resolution. While a panic is active or a police response is open, only
    with ``confirmed`` (refused with code CONFIRM_CLOSE and the reasons otherwise); the closing keeps
    them on the timeline. Closing changes nothing of the police response itself."""
    current = _lock(incident, expected_version)
    require(policy.can_triage_incident(by, current), "Only the provider's supervisors close reports.")
    resolution = clean_text(resolution, field="resolution", limit=MAX_TEXT, what="the resolution")
    if not resolution:
        raise ValidationError({"resolution": "Say how the incident was resolved."})
    reasons = reasons_to_confirm_closing(current) if current.status in TRANSITIONS["close"][0] else []
    if reasons and not confirmed:
        raise ValidationError(" ".join([*reasons, "Confirm to close the report anyway."]), code=CONFIRM_CLOSE)
    current.resolution = resolution
    current.save(update_fields=["resolution"])
    extra = {"closed_despite": reasons} if reasons else {}
    _transition(current, action="close", by=by, resolution=current.resolution, **extra)
    publish_on_commit(events.incident_changed(current, name="incident.closed", by=by))
    return current
