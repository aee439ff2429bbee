"""Every change to bulletins: publishing, updating and cancelling (each a new version), read
receipts and sightings. Each owns its transaction, validates, audits, tells the sites' people
through the notification outbox and publishes its event after the commit."""

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, Site, User
from accounts.policy import AnyUser
from audit import services as audit
from bulletins import events, policy, selectors
from bulletins.models import Bulletin, BulletinPhoto, ReadReceipt, Sighting
from dispatch import services as dispatch_services
from incidents import services as incident_services
from incidents.models import Category, Incident, evidence_storage
from incidents.services import content
from notifications import content as notification_content
from notifications import services as notifications
from notifications.models import Kind
from portal.realtime import publish_on_commit

MAX_LIFETIME = timedelta(days=90)
PHOTO_TYPES = frozenset({content.JPEG, content.PNG, content.WEBP})
MAX_PHOTOS = 6  # per version
PHOTO_NAME_LENGTH = 150
SIGHTING_CATEGORY = {
    Bulletin.Kind.PERSON: "suspicious-person",
    Bulletin.Kind.VEHICLE: "suspicious-vehicle",
    Bulletin.Kind.PROPERTY: "lost-found",
    Bulletin.Kind.ADVISORY: "other",
}


@dataclass(frozen=True)
class BulletinInput:
    """What a liaison writes; the same for a first version and an update."""

    kind: str
    title: str
    description: str
    expires_at: datetime
    plate: str = ""
    last_seen_where: str = ""
    last_seen_at: datetime | None = None
    do_text: str = ""
    dont_text: str = ""
    status: str = Bulletin.Status.ACTUAL
    urgency: str = Bulletin.Urgency.EXPECTED
    severity: str = Bulletin.Severity.MODERATE
    certainty: str = Bulletin.Certainty.LIKELY


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _clean(data: BulletinInput, *, now: datetime) -> BulletinInput:
    errors: dict[str, str] = {}
    title, description = data.title.strip(), data.description.strip()
    if not title:
        errors["title"] = "Give the bulletin a title."
    if not description:
        errors["description"] = "Describe who or what to look out for."
    if data.kind not in Bulletin.Kind.values:
        errors["kind"] = "Choose person, vehicle, property or advisory."
    plate = data.plate.strip().upper()
    if data.kind == Bulletin.Kind.VEHICLE and not (plate or description):
        errors["plate"] = "A vehicle bulletin gives a plate or a description."
    if data.expires_at <= now:
        errors["expires_at"] = "The expiry is in the past: choose a time to come."
    elif data.expires_at > now + MAX_LIFETIME:
        errors["expires_at"] = "A bulletin lasts at most 90 days; publish it again after that."
    if data.last_seen_at is not None and data.last_seen_at > now + timedelta(minutes=5):
        errors["last_seen_at"] = "Last seen cannot be in the future."
    for name, choices in (
        ("status", Bulletin.Status),
        ("urgency", Bulletin.Urgency),
        ("severity", Bulletin.Severity),
        ("certainty", Bulletin.Certainty),
    ):
        if getattr(data, name) not in choices.values:
            errors[name] = "Choose one of the listed values."
    if errors:
        raise ValidationError(errors)
    return replace(
        data,
        title=title,
        description=description,
        plate=plate,
        last_seen_where=data.last_seen_where.strip(),
        do_text=data.do_text.strip(),
        dont_text=data.dont_text.strip(),
    )


def _audience(
    agency: Organization, *, audience: str, providers: Iterable[Organization], sites: Iterable[Site]
) -> list[Site]:
    """The sites a bulletin reaches: only those of providers partnered with the agency, ever."""
    reachable = policy.partnered_sites(agency)
    if audience == Bulletin.Audience.ALL:
        chosen = reachable
    elif audience == Bulletin.Audience.PROVIDERS:
        provider_ids = [provider.pk for provider in providers]
        if not provider_ids:
            raise ValidationError({"providers": "Choose at least one provider."})
        if policy.partnered_providers(agency).filter(pk__in=provider_ids).count() != len(set(provider_ids)):
            raise ValidationError({"providers": "Choose only providers your agency is partnered with."})
        chosen = reachable.filter(provider_id__in=provider_ids)
    elif audience == Bulletin.Audience.SITES:
        site_ids = {site.pk for site in sites}
        if not site_ids:
            raise ValidationError({"sites": "Choose at least one site."})
        chosen = reachable.filter(pk__in=site_ids)
        if chosen.count() != len(site_ids):
            raise ValidationError({"sites": "Choose only sites of providers your agency is partnered with."})
    else:
        raise ValidationError({"audience": "Choose who the bulletin goes to."})
    found = list(chosen.order_by("pk"))
    if not found:
        raise ValidationError({"audience": "No partnered provider has an active site to send this to."})
    return found


@dataclass(frozen=True)
class _CheckedPhoto:
    upload: File
    name: str
    file_type: content.FileType
    sha256: str


def _sha256(upload: File) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks(1024 * 1024):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _check_photos(photos: Sequence[File]) -> list[_CheckedPhoto]:
    """Every photo checked by its content before anything is written: an image (JPEG, PNG, WebP)
    within the evidence limit, whatever its name or its declared type say."""
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": f"Attach at most {MAX_PHOTOS} photos to one version."})
    checked = []
    for upload in photos:
        label = " ".join((upload.name or "Photo").split())[:PHOTO_NAME_LENGTH]
        if not upload.size:
            raise ValidationError({"photos": f"{label}: the file is empty."})
        if upload.size > settings.EVIDENCE_MAX_BYTES:
            raise ValidationError({"photos": f"{label}: the file is larger than the evidence limit."})
        upload.seek(0)
        head = bytes(upload.read(content.HEAD_BYTES))
        upload.seek(0)
        try:
            file_type = content.identify(head)
            content.check_image(upload, file_type)
        except content.Unrecognised as error:
            raise ValidationError({"photos": f"{label}: {error}."}) from None
        if file_type not in PHOTO_TYPES:
            raise ValidationError({"photos": f"{label}: a photo is a JPEG, PNG or WebP image."})
        upload.seek(0)
        checked.append(_CheckedPhoto(upload, label, file_type, _sha256(upload)))
    return checked


def _keep_photos(bulletin: Bulletin, photos: list[_CheckedPhoto], *, by: User) -> None:
    """Store the checked photos under random names outside any public URL; if anything fails, the
    files already stored go too (the transaction takes the rows)."""
    stored: list[str] = []
    try:
        for photo in photos:
            row = BulletinPhoto(
                bulletin=bulletin,
                series=bulletin.series,
                name=photo.name,
                content_type=photo.file_type.content_type,
                size=photo.upload.size or 0,
                sha256=photo.sha256,
                uploaded_by=by,
            )
            row.file.save(f"{uuid.uuid4().hex}{photo.file_type.extension}", photo.upload, save=False)
            if row.file.name:
                stored.append(row.file.name)
            row.save()
            audit.record(
                action="bulletin.photo_added",
                actor=by,
                obj=bulletin,
                photo=str(row.public_id),
                sha256=photo.sha256,
            )
    except BaseException:
        for name in stored:
            evidence_storage.delete(name)
        raise


def open_photo(*, photo: BulletinPhoto, bulletin: Bulletin, by: AnyUser) -> File:
    """The stored photo, its download audited (the version it was opened from)."""
    audit.record(
        action="bulletin.photo_downloaded",
        actor=by,
        obj=bulletin,
        photo=str(photo.public_id),
        sha256=photo.sha256,
    )
    return photo.file.open("rb")


def _notification_key(bulletin: Bulletin) -> str:
    """The key a version's notifications are sent under, and marked read by once it is read."""
    return f"bulletin:{bulletin.public_id}"


def _announce(bulletin: Bulletin, *, sites: list[Site], by: User) -> None:
    """Tell the sites' guards and supervisors by the channels each chose, push it live after commit."""
    verb: dict[str, str] = {
        Bulletin.MsgType.ALERT: "",
        Bulletin.MsgType.UPDATE: "Updated: ",
        Bulletin.MsgType.CANCEL: "Cancelled: ",
    }
    kind = bulletin.get_kind_display()
    title = f"{verb[bulletin.msg_type]}{kind} bulletin from {bulletin.agency}: {bulletin.title}"
    text = bulletin.change_note or bulletin.description
    if bulletin.dont_text and not bulletin.is_cancelled:
        text = f"{text}\nDo not: {bulletin.dont_text}"
    notifications.notify(
        users=selectors.list_recipients(bulletin=bulletin),
        kind=Kind.BULLETIN,
        exclude=by,
        key=_notification_key(bulletin),
        reason="Police bulletin for your site",
        payload=notification_content.written(
            event="bulletin.published", title=title, text=text, path=f"/bulletins/{bulletin.public_id}/"
        ),
    )
    publish_on_commit(events.bulletin_published(bulletin, site_ids=[site.pk for site in sites]))


def _write(
    data: BulletinInput,
    *,
    agency: Organization,
    by: User,
    sites: list[Site],
    audience: str,
    providers: Iterable[Organization],
    series: uuid.UUID | None = None,
    version: int = 1,
    msg_type: str = Bulletin.MsgType.ALERT,
    change_note: str = "",
) -> Bulletin:
    values = {field.name: getattr(data, field.name) for field in fields(data)}
    bulletin = Bulletin.objects.create(
        **values,
        agency=agency,
        series=series or uuid.uuid4(),
        version=version,
        msg_type=msg_type,
        audience=audience,
        change_note=change_note,
        published_by=by,
        published_at=timezone.now(),
    )
    bulletin.sites.set(sites)
    bulletin.chosen_providers.set(list(providers))
    return bulletin


@transaction.atomic
def publish_bulletin(
    *,
    by: User,
    data: BulletinInput,
    audience: str = Bulletin.Audience.ALL,
    providers: Iterable[Organization] = (),
    sites: Iterable[Site] = (),
    photos: Sequence[File] = (),
) -> Bulletin:
    """A liaison's new bulletin, to every partnered provider's sites, chosen providers or chosen
    sites, with its photos (if any)."""
    agency = policy.publishing_agency(by)
    _require(agency is not None, "Only an agency's liaisons publish bulletins.")
    assert agency is not None
    cleaned = _clean(data, now=timezone.now())
    checked = _check_photos(photos)
    providers, sites = list(providers), list(sites)
    reached = _audience(agency, audience=audience, providers=providers, sites=sites)
    bulletin = _write(cleaned, agency=agency, by=by, sites=reached, audience=audience, providers=providers)
    _keep_photos(bulletin, checked, by=by)
    audit.record(action="bulletin.published", actor=by, obj=bulletin, sites=len(reached), kind=bulletin.kind)
    _announce(bulletin, sites=reached, by=by)
    return bulletin


def _next_version(bulletin: Bulletin, *, by: User) -> Bulletin:
    current = Bulletin.objects.select_for_update().select_related("agency").get(pk=bulletin.pk)
    _require(policy.can_manage_bulletin(by, current), "Only the publishing agency's liaisons change it.")
    if current.is_cancelled:
        raise ValidationError("This bulletin was cancelled: publish a new one.")
    current.superseded_at = timezone.now()
    current.save(update_fields=["superseded_at"])
    return current


@transaction.atomic
def update_bulletin(
    *, bulletin: Bulletin, by: User, data: BulletinInput, change_note: str, photos: Sequence[File] = ()
) -> Bulletin:
    """A new version (CAP Update) to the same sites (those still partnered); the old one is kept.
    Photos attached now join the earlier versions' (every version shows those before it)."""
    note = change_note.strip()
    if not note:
        raise ValidationError({"change_note": "Say what changed (the guards see it first)."})
    cleaned = _clean(data, now=timezone.now())
    checked = _check_photos(photos)
    previous = _next_version(bulletin, by=by)
    reached = list(previous.sites.filter(pk__in=policy.partnered_sites(previous.agency)).order_by("pk"))
    if not reached:
        raise ValidationError("None of its sites is still partnered with your agency.")
    updated = _write_version(
        previous, cleaned, by=by, sites=reached, msg_type=Bulletin.MsgType.UPDATE, note=note
    )
    _keep_photos(updated, checked, by=by)
    audit.record(action="bulletin.updated", actor=by, obj=updated, version=updated.version)
    _announce(updated, sites=reached, by=by)
    return updated


def _write_version(
    previous: Bulletin, data: BulletinInput, *, by: User, sites: list[Site], msg_type: str, note: str
) -> Bulletin:
    """The series' next version, for the same agency, audience and chosen providers."""
    return _write(
        data,
        agency=previous.agency,
        by=by,
        sites=sites,
        audience=previous.audience,
        providers=previous.chosen_providers.all(),
        series=previous.series,
        version=previous.version + 1,
        msg_type=msg_type,
        change_note=note,
    )


@transaction.atomic
def cancel_bulletin(*, bulletin: Bulletin, by: User, reason: str) -> Bulletin:
    """A last version (CAP Cancel): it leaves the sites' live lists at once, and says why."""
    note = reason.strip()
    if not note:
        raise ValidationError({"reason": "Say why it is cancelled (found, arrested, a mistake…)."})
    previous = _next_version(bulletin, by=by)
    sites = list(previous.sites.order_by("pk"))
    data = BulletinInput(**{field.name: getattr(previous, field.name) for field in fields(BulletinInput)})
    cancelled = _write_version(
        previous, data, by=by, sites=sites, msg_type=Bulletin.MsgType.CANCEL, note=note
    )
    audit.record(action="bulletin.cancelled", actor=by, obj=cancelled, version=cancelled.version)
    _announce(cancelled, sites=sites, by=by)
    return cancelled


def _answer_site(bulletin: Bulletin, *, by: User, site: Site | None) -> Site:
    _require(policy.can_answer(by, bulletin), "This bulletin is not live at your sites.")
    sites = selectors.answer_sites(bulletin=bulletin, for_user=by)
    chosen = sites.filter(pk=site.pk).first() if site is not None else sites.first()
    if chosen is None:
        raise ValidationError({"site": "Choose one of your sites this bulletin went to."})
    return chosen


@transaction.atomic
def mark_bulletin_read(*, bulletin: Bulletin, by: User, site: Site | None = None) -> ReadReceipt:
    """The person has read this version (once; again is a no-op)."""
    # Read on its page is read in the inbox too (the notification sent about this version).
    notifications.mark_read_about(user=by, key=_notification_key(bulletin))
    existing = ReadReceipt.objects.filter(bulletin=bulletin, user=by).first()
    if existing is not None:
        return existing
    chosen = _answer_site(bulletin, by=by, site=site)
    receipt = ReadReceipt.objects.create(bulletin=bulletin, user=by, site=chosen, read_at=timezone.now())
    audit.record(action="bulletin.read", actor=by, obj=bulletin, site=chosen.name)
    publish_on_commit(events.bulletin_answered(bulletin, answer="read", site_name=chosen.name))
    return receipt


@transaction.atomic
def report_sighting(
    *,
    bulletin: Bulletin,
    by: User,
    site: Site | None,
    narrative: str,
    location: str = "",
    idempotency_key: uuid.UUID,
) -> Sighting:
    """ "Sighted": a report filed from the bulletin (prefilled, linked) and escalated to the
    publishing agency at once; the guard has read it too. A retry with the same key finds the first."""
    existing = Sighting.objects.filter(
        reported_by=by, incident__reporter=by, incident__idempotency_key=idempotency_key
    ).first()
    if existing is not None:
        return existing
    chosen = _answer_site(bulletin, by=by, site=site)
    text = narrative.strip()
    if not text:
        raise ValidationError({"narrative": "Say what you saw, and where it went."})
    vehicles = []
    if bulletin.kind == Bulletin.Kind.VEHICLE:
        vehicles = [incident_services.VehicleInput(description=bulletin.title[:200], plate=bulletin.plate)]
    about = f"“{bulletin.title}” (v{bulletin.version}, {bulletin.agency})"
    result = incident_services.report_incident(
        reporter=by,
        site=chosen,
        idempotency_key=idempotency_key,
        category=Category.objects.get(code=SIGHTING_CATEGORY[Bulletin.Kind(bulletin.kind)]),
        severity=2,
        location=location.strip()[:200],
        narrative=f"Sighting of the police bulletin {about}.\n{text}",
        vehicles=vehicles,
    )
    incident: Incident = result.incident
    dispatch_services.escalate_sighting(
        incident=incident, by=by, agency=bulletin.agency, reason=f"Sighting of bulletin: {bulletin.title}"
    )
    sighting = Sighting.objects.create(
        bulletin=bulletin, incident=incident, reported_by=by, created_at=timezone.now()
    )
    if not ReadReceipt.objects.filter(bulletin=bulletin, user=by).exists():
        ReadReceipt.objects.create(bulletin=bulletin, user=by, site=chosen, read_at=timezone.now())
    notifications.mark_read_about(user=by, key=_notification_key(bulletin))
    audit.record(
        action="bulletin.sighted", actor=by, obj=bulletin, incident=incident.reference, site=chosen.name
    )
    publish_on_commit(events.bulletin_answered(bulletin, answer="sighted", site_name=chosen.name))
    return sighting
