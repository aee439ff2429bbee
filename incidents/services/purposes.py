"""Purpose-bound access: an agency's reader states why before an incident's personal data (its
people's names and contacts, its evidence files and thumbnails) is shown, and every such view is
audited with that purpose (README, "Who sees what"). Who looked is never left out."""

from django.core.exceptions import ValidationError

from accounts.models import User
from audit import services as audit
from incidents import policy
from incidents.models import Incident
from portal.requests import RequestOrigin

PURPOSE_MIN_LENGTH = 3
PURPOSE_MAX_LENGTH = 200
PURPOSE_REQUIRED = "Say why you are opening this person's details: a case number or a short reason."
PURPOSE_HEADER = "X-Watchpost-Purpose"
PURPOSE_PARAMETER = "purpose"
API_PURPOSE_REQUIRED = (
    f"This incident's personal data needs a purpose: send it (a case number or a short reason, "
    f"{PURPOSE_MIN_LENGTH} to {PURPOSE_MAX_LENGTH} characters) in the {PURPOSE_HEADER} header or the "
    f"`{PURPOSE_PARAMETER}` query parameter."
)


def clean_purpose(purpose: str | None) -> str:
    """The purpose as it is kept (spaces folded), or a ValidationError on ``purpose`` saying what is wrong."""
    text = " ".join((purpose or "").split())
    if not text:
        raise ValidationError({"purpose": PURPOSE_REQUIRED})
    if len(text) < PURPOSE_MIN_LENGTH:
        raise ValidationError(
            {"purpose": f"A purpose of {PURPOSE_MIN_LENGTH} characters at least: a case number or a reason."}
        )
    if len(text) > PURPOSE_MAX_LENGTH:
        raise ValidationError({"purpose": f"Keep the purpose to {PURPOSE_MAX_LENGTH} characters."})
    if not text.isprintable():
        raise ValidationError({"purpose": "The purpose may hold only printable characters."})
    return text


def give_purpose(*, incident: Incident, by: User, purpose: str, origin: RequestOrigin | None = None) -> str:
    """Check and record the purpose a reader gave for an incident's personal data; return it cleaned."""
    text = clean_purpose(purpose)
    audit.record(
        action="personal_data.purpose_given",
        actor=by,
        obj=incident,
        origin=origin,
        incident=str(incident.public_id),
        purpose=text,
    )
    return text


def record_personal_data_view(
    *, incident: Incident, by: User, purpose: str, what: str, via: str, origin: RequestOrigin | None = None
) -> None:
    """Audit one view of an incident's personal data (who, which incident, what, through what, why)."""
    if not policy.needs_purpose(by, incident):
        return
    audit.record(
        action="personal_data.viewed",
        actor=by,
        obj=incident,
        origin=origin,
        incident=str(incident.public_id),
        what=what,
        via=via,
        purpose=purpose,
    )
