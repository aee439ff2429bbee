"""Sharing an incident with an agency, ending the share, and releasing a party's redacted fields.

The rule (README, "Who sees what"): an escalation shares the incident with its agency (what: the
incident less its internal items, parties redacted by the partnership's profile; why: the
escalation's reason; until: when the provider ends it). A rejected or cancelled escalation ends the
share at once unless another escalation to that agency still holds it; a cleared one keeps it until
the provider ends it with a reason (or its ``until`` passes). An ended share hides the whole incident
from the agency again, releases included; escalating again opens it anew.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from audit import services as audit
from incidents import disclosure, policy
from incidents.models import Incident, IncidentShare, InvolvedParty, PartyRelease, TimelineEntry
from incidents.services.timeline import add_timeline_entry
from incidents.services.validation import require
from portal.text import clean_text

Kind = TimelineEntry.Kind


def share_incident(
    *, incident: Incident, agency: Organization, reason: str = "", until: datetime | None = None
) -> None:
    """Let an agency's people see the incident (inside the transaction that shares it); idempotent.
    A share that had ended is opened again, with the new reason."""
    share = IncidentShare(incident=incident, agency=agency, reason=reason[:300], until=until)
    # One statement that inserts or reopens: no read first, no race between two shares.
    IncidentShare.objects.bulk_create(
        [share],
        update_conflicts=True,
        unique_fields=["incident", "agency"],
        update_fields=["created_at", "reason", "until", "ended_at", "ended_by", "end_reason"],
    )


def end_share_for_escalation(*, incident: Incident, agency_id: int, by: User | None, reason: str) -> bool:
    """Dispatch's step for a rejected or cancelled escalation (in its transaction): the agency's share
    ends, with the escalation's outcome as its reason. True when a share was in force and ended."""
    share = (
        IncidentShare.objects.select_for_update()
        .filter(IncidentShare.in_force(), incident_id=incident.pk, agency_id=agency_id)
        .first()
    )
    if share is None:
        return False
    _end(share, by=by, reason=reason)
    return True


@transaction.atomic
def end_share(*, share: IncidentShare, by: User, reason: str) -> IncidentShare:
    """The provider's supervisor ends an agency's access to the incident, with a reason."""
    current = IncidentShare.objects.select_for_update().select_related("incident", "agency").get(pk=share.pk)
    require(
        policy.can_release_personal_data(by, current.incident), "Only the provider's supervisors end a share."
    )
    reason = clean_text(reason, field="reason", limit=300, what="a reason")
    if not reason:
        raise ValidationError({"reason": "Say why the agency no longer needs the incident."})
    if not current.is_in_force:
        raise ValidationError(f"{current.agency} no longer has access to {current.incident.reference}.")
    _end(current, by=by, reason=reason)
    return current


def _end(share: IncidentShare, *, by: User | None, reason: str) -> None:
    share.ended_at = timezone.now()
    share.ended_by = by
    share.end_reason = reason[:300]
    share.save(update_fields=["ended_at", "ended_by", "end_reason"])
    add_timeline_entry(
        incident=share.incident,
        kind=Kind.SHARE_ENDED,
        actor=by,
        # The provider's record: the agency no longer sees the incident, so not this either.
        internal=True,
        agency=share.agency.name,
        reason=share.end_reason,
    )


@transaction.atomic
def release_party(*, party: InvolvedParty, agency: Organization, by: User, reason: str) -> PartyRelease:
    """A supervisor lets one agency see a party's redacted fields, for a stated reason (audited, and
    on the timeline for both sides)."""
    incident = (
        Incident.objects.select_for_update(of=("self",)).select_related("site").get(pk=party.incident_id)
    )
    require(
        policy.can_release_personal_data(by, incident),
        "Only the provider's supervisors release personal data.",
    )
    reason = clean_text(reason, field="reason", limit=300, what="a reason")
    if not reason:
        raise ValidationError({"reason": "Say why the agency needs this person's details."})
    if party.internal:
        raise ValidationError("An internal party is never shown to an agency: nothing was released.")
    share = incident.shares.filter(IncidentShare.in_force(), agency_id=agency.pk).first()
    if share is None:
        raise ValidationError(f"{incident.reference} is not shared with {agency}: nothing was released.")
    withheld = disclosure.withheld_fields(incident, disclosure.agency(agency.pk)).get(party.pk)
    if not withheld:
        raise ValidationError(f"{agency} already sees everything of this person: nothing was released.")
    release = PartyRelease.objects.create(party=party, agency=agency, released_by=by, reason=reason)
    add_timeline_entry(
        incident=incident,
        kind=Kind.RELEASED,
        actor=by,
        party=party.pk,
        role=party.get_role_display(),
        fields=withheld,
        agency=agency.name,
        reason=reason,
    )
    audit.record(
        action="party.released",
        actor=by,
        obj=incident,
        party=party.pk,
        agency=agency.name,
        fields=",".join(withheld),
        reason=reason,
    )
    return release
