"""Where an agency reader's purpose is kept between requests: in the session, one per incident
(asked once per incident per session), or, for the API, sent with each request (the header
``X-Watchpost-Purpose`` or the ``purpose`` query parameter). Validation and the audit record are the
service's (incidents/services/purposes.py); this module only reads and keeps what was given."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.policy import AnyUser
from incidents import policy, services
from incidents.disclosure import PartyView
from incidents.forms import PurposeForm
from incidents.models import Evidence, Incident
from incidents.services.purposes import API_PURPOSE_REQUIRED, PURPOSE_HEADER, PURPOSE_PARAMETER, clean_purpose
from portal.edges import current_user
from portal.requests import origin_of

SESSION_KEY = "incident_purposes"
# A session keeps the purposes of this many incidents at most (the oldest go first).
SESSION_LIMIT = 200


@dataclass(frozen=True)
class Purpose:
    """Whether the reader must state a purpose for the incident, and the one they stated."""

    needed: bool
    text: str = ""

    @property
    def missing(self) -> bool:
        return self.needed and not self.text


def of_session(request: HttpRequest, user: AnyUser, incident: Incident) -> Purpose:
    """The purpose given for this incident in this session (none needed on the provider's side)."""
    if not policy.needs_purpose(user, incident):
        return Purpose(needed=False)
    kept = request.session.get(SESSION_KEY, {})
    text = kept.get(str(incident.public_id), "") if isinstance(kept, dict) else ""
    return Purpose(needed=True, text=text if isinstance(text, str) else "")


def remember(request: HttpRequest, incident: Incident, purpose: str) -> None:
    kept = request.session.get(SESSION_KEY, {})
    kept = dict(kept) if isinstance(kept, dict) else {}
    kept.pop(str(incident.public_id), None)
    kept[str(incident.public_id)] = purpose
    request.session[SESSION_KEY] = dict(list(kept.items())[-SESSION_LIMIT:])


def of_api(request: HttpRequest, user: AnyUser, incident: Incident) -> Purpose:
    """The purpose an API request sends (header, else query parameter, else the session's); a bad one
    is a ValidationError (400) naming what is wrong."""
    if not policy.needs_purpose(user, incident):
        return Purpose(needed=False)
    sent = request.headers.get(PURPOSE_HEADER) or request.GET.get(PURPOSE_PARAMETER)
    if sent is None:
        return of_session(request, user, incident)
    return Purpose(needed=True, text=clean_purpose(sent))


def required_by_api(request: HttpRequest, user: AnyUser, incident: Incident) -> Purpose:
    """The API's purpose, or a 403 whose message names the header and the parameter to send it in."""
    purpose = of_api(request, user, incident)
    if purpose.missing:
        raise PermissionDenied(API_PURPOSE_REQUIRED)
    return purpose


def page_context(
    request: HttpRequest,
    incident: Incident,
    *,
    parties: list[PartyView],
    evidence: QuerySet[Evidence],
    via: str,
) -> dict[str, Any]:
    """What a page that shows an incident's people needs: whether their names and contacts show, and
    the purpose form when an agency's reader has not yet said why (once per incident per session).
    A view of them with the purpose given is audited (the incident page and the board's panel)."""
    user = current_user(request)
    stated = of_session(request, user, incident)
    has_personal_data = any(party.name or party.contact for party in parties) or evidence.exists()
    asks = stated.missing and has_personal_data
    show = policy.can_view_personal_data(user, incident) and not stated.missing
    if show and stated.needed and has_personal_data:
        services.record_personal_data_view(
            incident=incident, by=user, purpose=stated.text, what="people", via=via, origin=origin_of(request)
        )
    return {
        "show_personal_data": show,
        "purpose_needed": asks,
        "purpose": stated.text,
        "purpose_form": PurposeForm(initial={"next": request.get_full_path()}) if asks else None,
    }
