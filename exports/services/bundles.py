"""Evidence bundles: asked for with a purpose, built by a worker straight into a file, signed, and
every evidence file re-hashed from storage on the way (a mismatch stops the export)."""

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import policy as account_policy
from accounts.models import Organization, User
from audit import services as audit
from audit.models import AuditEvent
from debriefs.models import Debrief
from exports import events, policy, selectors, signing
from exports.archive import BundleArchive, HashMismatch, MissingFile, chunks_of, json_chunks
from exports.documents import custody_document, incident_document, person, timeline_entries
from exports.models import Bundle, export_storage
from incidents import disclosure
from incidents.models import CustodyEvent, Evidence, Incident, evidence_storage
from incidents.services import record_custody
from incidents.services.evidence import download_name
from portal.realtime import publish_on_commit
from portal.requests import RequestOrigin

PURPOSE_LENGTH = 200
PURPOSE_REQUIRED = "Say why the bundle is exported: a case number, a court date or a request reference."
PROGRESS_STEP = 4 * 1024 * 1024
STALLED_AFTER = timedelta(minutes=2)
BUILD_LEASE = timedelta(minutes=10)


def _name(name: str | None) -> str:
    assert name, "a stored file has a name"
    return name


def _clean_purpose(purpose: str) -> str:
    text = " ".join((purpose or "").split())
    if not text:
        raise ValidationError({"purpose": PURPOSE_REQUIRED})
    if len(text) > PURPOSE_LENGTH:
        raise ValidationError({"purpose": f"Keep the purpose to {PURPOSE_LENGTH} characters."})
    if not text.isprintable():
        raise ValidationError({"purpose": "The purpose may hold only printable characters."})
    return text


@transaction.atomic
def request_bundle(*, incident: Incident, by: User, purpose: str, origin: RequestOrigin) -> Bundle:
    """Ask for a signed bundle of an escalated incident, for a named purpose; a worker builds it."""
    if not policy.can_export_incident(by, incident):
        raise PermissionDenied(
            "Only the provider's supervisors and the liaisons of an agency it was escalated to export it."
        )
    text = _clean_purpose(purpose)
    try:
        fingerprint = signing.key_fingerprint()
    except signing.SigningKeyMissing as missing:
        raise ValidationError(f"Bundles cannot be signed yet: {missing}") from None
    organization = account_policy.organization_of(by)
    assert organization is not None, "the policy lets only members export"
    bundle = Bundle.objects.create(
        incident=incident,
        purpose=text,
        requested_by=by,
        organization=organization,
        requested_at=timezone.now(),
        ip_address=origin.ip_address,
        user_agent=origin.user_agent[:300],
        key_fingerprint=fingerprint,
    )
    audit.record(action="bundle.requested", actor=by, obj=bundle, origin=origin, purpose=text)
    publish_on_commit(events.bundle_requested(bundle))
    return bundle


def _reader(bundle: Bundle) -> disclosure.Reader:
    """Whom the bundle is for: an agency's bundle holds what incidents.disclosure lets it see."""
    organization = Organization.objects.get(pk=bundle.organization_id)
    return disclosure.agency(organization.pk) if organization.is_agency else disclosure.PROVIDER


def _timeline_chunks(incident: Incident, reader: disclosure.Reader) -> Iterator[bytes]:
    yield b"[\n"
    for index, entry in enumerate(timeline_entries(incident, reader=reader)):
        yield (b",\n" if index else b"") + json.dumps(entry, ensure_ascii=False, sort_keys=True).encode()
    yield b"\n]\n"


def _approved_debrief(incident: Incident) -> Debrief | None:
    return (
        Debrief.objects.filter(
            incident=incident, status=Debrief.Status.APPROVED, pdf_status=Debrief.Pdf.READY
        )
        .exclude(pdf="")
        .order_by("-version")
        .first()
    )


def _copied(bundle: Bundle, evidence: list[Evidence]) -> list[Evidence]:
    """The items whose original file goes into the bundle: for an agency, not a photo the provider
    redacted (incidents.disclosure); incident.json still lists it, with its SHA-256 at upload."""
    reader = _reader(bundle)
    return [item for item in evidence if not disclosure.original_withheld(item, reader)]


def _start(bundle: Bundle) -> tuple[Bundle, list[Evidence]] | None:
    with transaction.atomic():
        locked = Bundle.objects.select_for_update().filter(pk=bundle.pk).first()
        if locked is None or locked.is_finished:
            return None
        evidence = list(
            disclosure.shown_evidence(
                Evidence.objects.filter(incident_id=locked.incident_id), _reader(locked)
            )
            .select_related("uploaded_by", "supersedes")
            .order_by("uploaded_at", "pk")
        )
        locked.status = Bundle.Status.BUILDING
        copied = _copied(locked, evidence)
        locked.files_total = len(copied)
        locked.bytes_total = sum(item.size for item in copied)
        locked.files_done = locked.bytes_done = 0
        locked.error = ""
        locked.heartbeat_at = timezone.now()
        locked.save(
            update_fields=[
                "status",
                "files_total",
                "bytes_total",
                "files_done",
                "bytes_done",
                "error",
                "heartbeat_at",
            ]
        )
    return locked, evidence


class _Progress:
    """Counts copied bytes and writes them to the bundle's row every few megabytes (the page polls)."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle_id, self.done, self.files, self._written = bundle.pk, 0, 0, 0

    def __call__(self, size: int) -> None:
        self.done += size
        if self.done - self._written >= PROGRESS_STEP:
            self.flush()

    def flush(self) -> None:
        self._written = self.done
        Bundle.objects.filter(pk=self.bundle_id).update(
            bytes_done=self.done, files_done=self.files, heartbeat_at=timezone.now()
        )


def _fail(bundle: Bundle, message: str, *, action: str, mismatch: HashMismatch | None = None) -> Bundle:
    with transaction.atomic():
        Bundle.objects.filter(pk=bundle.pk).update(
            status=Bundle.Status.FAILED, error=message[:500], finished_at=timezone.now()
        )
        audit.record(
            action=action,
            actor=bundle.requested_by,
            obj=bundle,
            outcome=AuditEvent.Outcome.FAILURE,
            origin=RequestOrigin(bundle.ip_address, bundle.user_agent),
            purpose=bundle.purpose,
            error=message,
            file=mismatch.path if mismatch else "",
            recorded=mismatch.recorded if mismatch else "",
            computed=mismatch.computed if mismatch else "",
        )
    return Bundle.objects.get(pk=bundle.pk)


def _write(bundle: Bundle, evidence: list[Evidence], target: Path, progress: _Progress) -> bytes:
    incident = Incident.objects.select_related("site", "site__provider", "category", "reporter").get(
        pk=bundle.incident_id
    )
    exported_at = timezone.now()
    with BundleArchive(target, progress=progress) as archive:
        for item in _copied(bundle, evidence):
            member = f"evidence/{item.public_id}/{download_name(item)}"
            try:
                stored = evidence_storage.open(_name(item.file.name), "rb")
            except FileNotFoundError:
                raise MissingFile(member) from None
            with stored:
                archive.add(
                    member,
                    chunks_of(stored),
                    kind="evidence",
                    expected_sha256=item.sha256,
                    compress=False,
                    counts=True,
                    evidence_id=str(item.public_id),
                    content_type=item.content_type,
                    sha256_at_upload=item.sha256,
                )
            progress.files += 1
            progress.flush()
        archive.add(
            "incident.json",
            json_chunks(incident_document(incident, evidence=evidence, reader=_reader(bundle))),
            kind="incident",
        )
        archive.add("timeline.json", _timeline_chunks(incident, _reader(bundle)), kind="timeline")
        for item in evidence:
            archive.add(
                f"custody/{item.public_id}.json",
                json_chunks(custody_document(item)),
                kind="custody",
                evidence_id=str(item.public_id),
            )
        debrief = _approved_debrief(incident)
        if debrief is not None:
            with debrief.pdf.open("rb") as pdf:
                archive.add(
                    "debrief.pdf",
                    chunks_of(pdf),
                    kind="debrief",
                    expected_sha256=debrief.pdf_sha256,
                    compress=False,
                    debrief_id=str(debrief.public_id),
                    version=debrief.version,
                )
        requester = bundle.requested_by
        header = {
            "bundle_id": str(bundle.public_id),
            "incident": {"id": str(incident.public_id), "reference": incident.reference},
            "purpose": bundle.purpose,
            "exported_by": {
                **(person(requester) or {}),
                "organization": bundle.organization.name,
                "role": account_policy.role_of(requester),
            },
            "requested_at": bundle.requested_at.isoformat(),
            "exported_at": exported_at.isoformat(),
            "signing_key": {"algorithm": "Ed25519", "fingerprint": bundle.key_fingerprint},
        }
        return archive.seal(header, sign=signing.sign, public_key_pem=signing.public_key_pem())


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in chunks_of(file):
            digest.update(chunk)
    return digest.hexdigest()


def build_bundle(*, bundle: Bundle) -> Bundle:
    """Build a requested bundle into its file (idempotent: a finished one is left as it is). Each
    evidence file's hash is computed again as it is copied; one that differs from its upload's
    stops the export with the reason, and is audited."""
    started = _start(bundle)
    if started is None:
        return Bundle.objects.get(pk=bundle.pk)
    bundle, evidence = started
    try:
        if signing.key_fingerprint() != bundle.key_fingerprint:
            raise signing.SigningKeyMissing(
                f"the signing key changed since the bundle was asked for (now {signing.key_fingerprint()})"
            )
    except signing.SigningKeyMissing as missing:
        return _fail(bundle, f"The bundle could not be signed: {missing}", action="bundle.failed")
    name = f"bundles/{bundle.requested_at:%Y/%m}/{bundle.incident.reference}-{bundle.public_id}.zip"
    final = Path(export_storage.path(name))
    final.parent.mkdir(parents=True, exist_ok=True)
    part = final.with_name(f".{final.name}.{uuid.uuid4().hex}.part")
    progress = _Progress(bundle)
    try:
        manifest = _write(bundle, evidence, part, progress)
    except HashMismatch as mismatch:
        part.unlink(missing_ok=True)
        return _fail(
            bundle,
            f"Export stopped: {mismatch.path} no longer matches the hash recorded when it was received "
            f"(recorded {mismatch.recorded}, computed now {mismatch.computed}). The stored copy changed "
            "or was damaged; nothing was exported. Tell the platform's operator.",
            action="bundle.hash_mismatch",
            mismatch=mismatch,
        )
    except MissingFile as missing:
        part.unlink(missing_ok=True)
        return _fail(
            bundle,
            f"Export stopped: {missing.path} is missing from storage (its record says it was received "
            "and kept). Nothing was exported. Tell the platform's operator.",
            action="bundle.file_missing",
        )
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, final)
    return _finish(bundle, evidence, name=name, final=final, manifest=manifest, done=progress.done)


@transaction.atomic
def _finish(
    bundle: Bundle, evidence: list[Evidence], *, name: str, final: Path, manifest: bytes, done: int
) -> Bundle:
    locked = Bundle.objects.select_for_update().get(pk=bundle.pk)
    if locked.is_finished:  # another delivery of the task finished first
        return locked
    origin = RequestOrigin(bundle.ip_address, bundle.user_agent)
    copied = _copied(bundle, evidence)
    for item in copied:
        record_custody(
            evidence=item, actor=bundle.requested_by, action=CustodyEvent.Action.EXPORTED, origin=origin
        )
    locked.file.name = name
    locked.size = final.stat().st_size
    locked.sha256 = _sha256_of(final)
    locked.status = Bundle.Status.READY
    locked.bytes_done, locked.files_done = done, len(copied)
    locked.finished_at = timezone.now()
    locked.save()
    audit.record(
        action="bundle.exported",
        actor=bundle.requested_by,
        obj=locked,
        origin=origin,
        purpose=locked.purpose,
        sha256=locked.sha256,
        manifest_sha256=hashlib.sha256(manifest).hexdigest(),
        key_fingerprint=locked.key_fingerprint,
        files=len(evidence),
    )
    return locked


def open_bundle_file(*, bundle: Bundle, by: User, origin: RequestOrigin) -> IO[bytes]:
    """Open a ready bundle for someone who may see it, and audit the download."""
    if not policy.visible_bundles(by).filter(pk=bundle.pk).exists():
        raise PermissionDenied("You may not see this bundle.")
    if bundle.status != Bundle.Status.READY or not bundle.file:
        raise ValidationError("The bundle is not ready.")
    file: IO[bytes] = export_storage.open(_name(bundle.file.name), "rb")
    audit.record(action="bundle.downloaded", actor=by, obj=bundle, origin=origin, sha256=bundle.sha256)
    return file


def resume_stalled() -> int:
    """Queue again the bundles whose build was asked for minutes ago and never started, and those
    whose worker went silent mid-build for longer than the lease (it died: its part file is left
    behind and a new build starts over from the first file)."""
    now = timezone.now()
    stalled = selectors.list_stalled_bundles(
        queued_before=now - STALLED_AFTER, silent_since=now - BUILD_LEASE
    )
    for bundle in Bundle.objects.filter(pk__in=stalled):
        publish_on_commit(events.bundle_requested(bundle))
    return len(stalled)
