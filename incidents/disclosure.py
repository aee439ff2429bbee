"""What of an incident reaches whom: the one place every agency-facing surface reads through.

The provider's side sees everything. An agency (its people on pages, the API and sockets; its
webhooks, EIDO documents and bundles) never sees an internal note, party or evidence item, and sees
each party's name and contact as the partnership's redaction profile says until a supervisor
released that party to it (``PartyRelease``). A photo the provider's supervisor redacted reaches
an agency only as its redacted preview: never the plain thumbnail, never the original file (whose
SHA-256 it is shown). Pages, the API, the board, exports, notifications and
debriefs ask this module; none filters on its own (README, "Who sees what").
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile

from accounts import policy as account_policy
from accounts.models import Partnership, default_redaction
from accounts.policy import AnyUser
from incidents.models import Evidence, Incident, InvolvedParty, PartyRelease, TimelineEntry


@dataclass(frozen=True)
class Reader:
    """Who reads: an agency (by id), or the provider's side (``agency_id`` None)."""

    agency_id: int | None = None

    @property
    def is_agency(self) -> bool:
        return self.agency_id is not None


PROVIDER = Reader()
# A document the provider and its agencies read together (a debrief): no internal item in it.
JOINT = Reader(agency_id=0)


def reader_of(user: AnyUser) -> Reader:
    """The agency the user reads for, else the provider's side (whose access the policy decides)."""
    membership = account_policy.membership_of(user)
    if membership is not None and membership.organization.is_agency:
        return Reader(agency_id=membership.organization_id)
    return PROVIDER


def agency(agency_id: int) -> Reader:
    """What goes to an agency without a person reading (webhooks, its EIDO, its bundles)."""
    return Reader(agency_id=agency_id)


def timeline(incident: Incident, reader: Reader) -> QuerySet[TimelineEntry]:
    """The incident's timeline as the reader may see it, oldest first."""
    entries = incident.timeline.select_related("actor").order_by("at", "pk")
    return entries.filter(internal=False) if reader.is_agency else entries


def evidence(incident: Incident, reader: Reader) -> QuerySet[Evidence]:
    """The incident's evidence as the reader may see it (no internal item for an agency)."""
    items = incident.evidence.all()
    return items.filter(internal=False) if reader.is_agency else items


def shown_evidence(items: QuerySet[Evidence], reader: Reader) -> QuerySet[Evidence]:
    """Any set of evidence narrowed to what the reader may see."""
    return items.filter(internal=False) if reader.is_agency else items


ORIGINAL_WITHHELD = (
    "Areas of this photo are redacted for the police: the original is held by the provider, and its "
    "SHA-256 is shown on the evidence page. Ask the provider's supervisor to lift the redaction."
)


def original_withheld(item: Evidence, reader: Reader) -> bool:
    """Whether the reader is kept from the original file: an agency, while the photo is redacted."""
    return reader.is_agency and item.is_redacted


def preview(item: Evidence, reader: Reader) -> tuple[FieldFile | None, str]:
    """The preview file the reader gets (None: a placeholder) and its status. An agency gets the
    redacted copy of a redacted photo, or a placeholder until it is ready: never the plain one."""
    if original_withheld(item, reader):
        ready = item.redacted_status == Evidence.Preview.READY and item.redacted_thumbnail
        return (item.redacted_thumbnail if ready else None), item.redacted_status
    ready = item.thumbnail_status == Evidence.Preview.READY and item.thumbnail
    return (item.thumbnail if ready else None), item.thumbnail_status


@dataclass
class PartyView:
    """A party as one reader sees it: withheld fields are empty and named in ``withheld``."""

    pk: int
    role: str
    role_label: str
    description: str
    name: str
    contact: str
    internal: bool
    created_at: datetime
    withheld: list[str] = field(default_factory=list)
    initials: bool = False
    released: bool = False

    @property
    def redacted(self) -> bool:
        return bool(self.withheld) or self.initials


def redaction_profile(incident: Incident, reader: Reader) -> dict[str, dict[str, str]]:
    """The partnership's profile between the incident's provider and the reading agency ({} for the
    provider's side; the default profile when the partnership has none or is gone)."""
    if not reader.is_agency:
        return {}
    profile = (
        Partnership.objects.filter(provider_id=incident.provider_id, agency_id=reader.agency_id)
        .values_list("redaction", flat=True)
        .first()
    )
    return profile if isinstance(profile, dict) else default_redaction()


def initials(name: str) -> str:
    return " ".join(f"{word[0].upper()}." for word in name.split() if word)


def parties(incident: Incident, reader: Reader) -> list[PartyView]:
    """The incident's parties as the reader may see them: no internal party for an agency, and each
    field its profile redacts withheld (or a name as initials) unless the party was released to it."""
    # incident.parties: a report just filed, or a page's prefetch, already holds them (no query)
    rows = sorted(incident.parties.all(), key=lambda party: party.pk)
    if not reader.is_agency:
        return [_view(party) for party in rows]
    profile = redaction_profile(incident, reader)
    released = set(
        PartyRelease.objects.filter(party__incident_id=incident.pk, agency_id=reader.agency_id).values_list(
            "party_id", flat=True
        )
    )
    views = []
    for party in rows:
        if party.internal:
            continue
        view = _view(party)
        if party.pk in released:
            view.released = True
        else:
            _redact(view, profile.get(party.role, {}))
        views.append(view)
    return views


def _view(party: InvolvedParty) -> PartyView:
    return PartyView(
        pk=party.pk,
        role=party.role,
        role_label=party.get_role_display(),
        description=party.description,
        name=party.name,
        contact=party.contact,
        internal=party.internal,
        created_at=party.created_at,
    )


def _redact(view: PartyView, rules: dict[str, str]) -> None:
    for name, mode in rules.items():
        value = getattr(view, name, "")
        if not value:
            continue
        if mode == "initials" and name == "name":
            view.name, view.initials = initials(value), True
        else:
            setattr(view, name, "")
            view.withheld.append(name)


def withheld_fields(incident: Incident, reader: Reader) -> dict[int, list[str]]:
    """For each party the reader sees redacted, the fields withheld or shortened (what a supervisor
    may release to it)."""
    return {
        view.pk: [*view.withheld, *(["name"] if view.initials else [])]
        for view in parties(incident, reader)
        if view.redacted
    }
