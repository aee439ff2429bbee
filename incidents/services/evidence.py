"""Evidence: kept byte for byte under a random name, hashed, never overwritten, and every touch logged.

A refused file leaves nothing behind: no row, no stored file, no timeline entry.
"""

import hashlib
import os
import re
import unicodedata
import uuid
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from incidents import disclosure, events, policy
from incidents.models import CustodyEvent, Evidence, Incident, TimelineEntry, evidence_storage
from incidents.services import content
from incidents.services.timeline import add_timeline_entry
from portal.realtime import publish_on_commit
from portal.requests import RequestOrigin

NAME_LENGTH = 150
DESCRIPTION_LENGTH = 200
CHUNK = 1024 * 1024


def clean_file_name(name: str) -> str:
    """The uploaded name for display: no folders, no control or bidi-override characters, not too long."""
    name = re.split(r"[/\\]", name or "")[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    name = " ".join(name.split()).strip(". ")
    if not name:
        return "unnamed file"
    if len(name) <= NAME_LENGTH:
        return name
    stem, extension = os.path.splitext(name)
    extension = extension[:16]
    return stem[: NAME_LENGTH - len(extension) - 1] + "…" + extension


def download_name(evidence: Evidence) -> str:
    """The name a download is saved under: the uploaded name, with an extension that matches the content."""
    extensions = content.EXTENSIONS.get(evidence.content_type, ())
    extension = os.path.splitext(evidence.original_name)[1]
    if extensions and extension.lower() not in extensions:
        return f"{evidence.original_name}{extensions[0]}"
    return evidence.original_name


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def _sha256_of(upload: File) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _head_of(upload: File) -> bytes:
    upload.seek(0)
    head = upload.read(content.HEAD_BYTES)
    upload.seek(0)
    return bytes(head)


@transaction.atomic
def record_custody(
    *, evidence: Evidence, actor: User, action: str, origin: RequestOrigin, purpose: str = ""
) -> CustodyEvent:
    """Log who touched an evidence item, how, when and from where (the caller has checked the policy);
    an agency reader's stated purpose goes into the audit record with the incident."""
    if action not in CustodyEvent.Action.values:
        raise ValueError(f"{action!r} is not a custody action")
    stated: dict[str, Any] = {}
    if purpose:
        stated = {"purpose": purpose, "incident": str(evidence.incident.public_id)}
    audit.record(
        action=f"evidence.{action}",
        actor=actor,
        obj=evidence,
        origin=origin,
        sha256=evidence.sha256,
        **stated,
    )
    return CustodyEvent.objects.create(
        evidence=evidence,
        action=action,
        actor=actor,
        at=timezone.now(),
        ip_address=origin.ip_address,
        user_agent=origin.user_agent[:300],
    )


def add_evidence(
    *,
    incident: Incident,
    by: User,
    upload: File,
    client_sha256: str | None,
    origin: RequestOrigin,
    description: str = "",
    supersedes: Evidence | None = None,
    internal: bool = False,
) -> Evidence:
    """Keep a file as evidence of an incident: checked by content, hashed, stored, logged, on the
    timeline. An internal item (and a new version of one) is never shown to an agency."""
    if not policy.can_contribute_to_incident(by, incident):
        raise PermissionDenied("You may not add evidence to this report.")
    name = clean_file_name(upload.name or "")
    description = " ".join(description.split())
    if len(description) > DESCRIPTION_LENGTH:
        raise ValidationError({"description": f"Keep the description under {DESCRIPTION_LENGTH} characters."})
    if supersedes is not None and supersedes.incident_id != incident.pk:
        raise _refusal(name, "the item it would replace belongs to another report.", "wrong_incident")
    limit = settings.EVIDENCE_MAX_BYTES
    if getattr(upload, "size_limit_exceeded", False) or (upload.size or 0) > limit:
        raise _refusal(name, f"is larger than the {_megabytes(limit)} limit.", "too_large")
    if not upload.size:
        raise _refusal(name, "is empty.", "empty")
    try:
        file_type = content.identify(_head_of(upload))
        content.check_image(upload, file_type)
    except content.Unrecognised as error:
        raise _refusal(name, f"{error}.", "content") from None
    sha256 = getattr(upload, "sha256", "") or _sha256_of(upload)
    # No hash from the client (no JavaScript, no Web Crypto, the API) is not a mismatch.
    if client_sha256 and client_sha256.strip().lower() != sha256:
        raise _refusal(
            name,
            "changed on the way: its SHA-256 does not match the one your device computed. Send it again.",
            "hash_mismatch",
        )
    evidence = Evidence(
        incident=incident,
        uploaded_by=by,
        kind=file_type.kind,
        content_type=file_type.content_type,
        original_name=name,
        size=upload.size,
        sha256=sha256,
        description=description,
        supersedes=supersedes,
        version=supersedes.version + 1 if supersedes else 1,
        internal=bool(internal) or bool(supersedes is not None and supersedes.internal),
        # Never decoded here: a worker makes it after the commit (make_thumbnail), within the budget.
        thumbnail_status=Evidence.Preview.PENDING if file_type.pillow_format else Evidence.Preview.NONE,
    )
    # The replaced version's areas as stored now (the caller's copy may predate a redaction).
    redacted = Evidence.objects.filter(pk=supersedes.pk).first() if supersedes is not None else None
    if redacted is not None and redacted.redactions:
        # A new version of a redacted photo is redacted the same way until a supervisor redraws the
        # areas: the police never see a replacement in full by accident (its copy is made after the commit).
        evidence.redactions = redacted.redactions
        evidence.redaction_reason = redacted.redaction_reason
        evidence.redacted_by_id = redacted.redacted_by_id
        evidence.redacted_at = redacted.redacted_at
        evidence.redacted_status = (
            Evidence.Preview.PENDING if file_type.pillow_format else Evidence.Preview.FAILED
        )
    if supersedes is not None and _replaced(supersedes):
        raise _refusal(name, _already_replaced(supersedes), "already_replaced")
    stored: list[str] = []
    try:
        # Random names: nothing of the uploaded name reaches the file system.
        evidence.file.save(f"{uuid.uuid4().hex}{file_type.extension}", upload, save=False)
        stored.append(_path(evidence.file))
        _save(evidence, by=by, origin=origin)
    except BaseException:
        for path in stored:
            evidence_storage.delete(path)
        raise
    return evidence


def _path(field_file: FieldFile) -> str:
    assert field_file.name, "the evidence storage gave the file no name"
    return field_file.name


def _refusal(name: str, why: str, code: str) -> ValidationError:
    return ValidationError({"evidence": ValidationError(f"{name}: {why}", code=code)})


def _replaced(evidence: Evidence) -> bool:
    return Evidence.objects.filter(supersedes=evidence).exists()


def _already_replaced(evidence: Evidence) -> str:
    return (
        f"version {evidence.version} of “{evidence.original_name}” has already been replaced; "
        "replace its newest version."
    )


def _save(evidence: Evidence, *, by: User, origin: RequestOrigin) -> None:
    name = evidence.original_name
    try:
        with transaction.atomic():
            # Under the incident's row lock: a report closed, or a version replaced, while this file
            # was on its way is seen here, and a second upload replacing the same version waits.
            incident = Incident.objects.select_for_update(of=("self",)).get(pk=evidence.incident_id)
            if not policy.can_contribute_to_incident(by, incident):
                raise PermissionDenied("You may not add evidence to this report.")
            if evidence.supersedes is not None and _replaced(evidence.supersedes):
                raise _refusal(name, _already_replaced(evidence.supersedes), "already_replaced")
            evidence.uploaded_at = timezone.now()
            evidence.save()
            record_custody(evidence=evidence, actor=by, action=CustodyEvent.Action.UPLOADED, origin=origin)
            data: dict[str, object] = {
                "evidence_id": str(evidence.public_id),
                "name": evidence.original_name,
                "sha256": evidence.sha256,
                "version": evidence.version,
            }
            if evidence.supersedes is not None:
                data["supersedes"] = str(evidence.supersedes.public_id)
            add_timeline_entry(
                incident=evidence.incident,
                kind=TimelineEntry.Kind.EVIDENCE_ADDED,
                actor=by,
                internal=evidence.internal,
                **data,
            )
            if evidence.thumbnail_status == Evidence.Preview.PENDING:
                publish_on_commit(events.evidence_added(evidence))
            if evidence.redacted_status == Evidence.Preview.PENDING:
                publish_on_commit(events.evidence_redacted(evidence))
    except IntegrityError:
        # Only the one-to-one "supersedes" can collide, when a concurrent upload replaced it first.
        if evidence.supersedes is None:
            raise
        raise _refusal(name, _already_replaced(evidence.supersedes), "already_replaced") from None


def open_evidence_file(
    *,
    evidence: Evidence,
    by: User,
    origin: RequestOrigin,
    action: str = CustodyEvent.Action.DOWNLOADED,
    purpose: str = "",
) -> IO[bytes]:
    """Open the original file for someone the policy lets see it, and log it in the chain of custody."""
    if not policy.visible_evidence(by).filter(pk=evidence.pk).exists():
        raise PermissionDenied("You may not see this evidence.")
    if disclosure.original_withheld(evidence, disclosure.reader_of(by)):
        raise PermissionDenied(disclosure.ORIGINAL_WITHHELD)
    file = evidence_storage.open(_path(evidence.file), "rb")
    try:
        record_custody(evidence=evidence, actor=by, action=action, origin=origin, purpose=purpose)
    except BaseException:
        file.close()
        raise
    return file


_FILE_TYPES = {file_type.content_type: file_type for file_type in content.TYPES}


def make_thumbnail(*, evidence: Evidence) -> Evidence:
    """Make a photo's thumbnail if it is still to be made (idempotent). A photo above
    THUMBNAIL_MAX_PIXELS is never decoded: it is marked too large, and its placeholder says so."""
    current = Evidence.objects.get(pk=evidence.pk)
    if current.thumbnail_status != Evidence.Preview.PENDING:
        return current
    file_type = _FILE_TYPES.get(current.content_type)
    thumbnail, status = None, Evidence.Preview.FAILED
    if file_type is not None:
        try:
            with evidence_storage.open(_path(current.file), "rb") as original:
                thumbnail = content.thumbnail(original, file_type, max_pixels=settings.THUMBNAIL_MAX_PIXELS)
        except content.TooLarge:
            status = Evidence.Preview.TOO_LARGE
    name = ""
    if thumbnail is not None:
        name = evidence_storage.save(
            f"thumbnails/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.jpg", ContentFile(thumbnail)
        )
        status = Evidence.Preview.READY
    # Only the run that finds it still pending records its result (a task may run twice).
    won = Evidence.objects.filter(pk=current.pk, thumbnail_status=Evidence.Preview.PENDING).update(
        thumbnail=name, thumbnail_status=status
    )
    if not won and name:
        evidence_storage.delete(name)
    current.refresh_from_db()
    return current
