"""Floor plans of a site's safety profile: images (JPEG, PNG, WebP) or PDFs, checked by their first
bytes like evidence (incidents/services/content.py), hashed (SHA-256) on arrival, audited on upload
and on every download."""

import hashlib
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from accounts.models import Site, User
from accounts.policy import AnyUser
from audit import services as audit
from dispatch import policy
from dispatch.models import FloorPlan
from dispatch.services.common import require
from incidents.models import evidence_storage
from incidents.services import content

PLAN_TYPES = frozenset({content.JPEG, content.PNG, content.WEBP, content.PDF})
NAME_LENGTH = 150


def _sha256(upload: File) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks(1024 * 1024):
        digest.update(chunk)
    return digest.hexdigest()


@transaction.atomic
def add_floor_plan(
    *, site: Site, by: User, upload: File, name: str = "", client_sha256: str = ""
) -> FloorPlan:
    """Keep a floor plan for the site's profile (its supervisors)."""
    require(policy.can_edit_site_profile(by, site), "Only the provider's supervisors keep this profile.")
    label = " ".join((name or upload.name or "Floor plan").split())[:NAME_LENGTH]
    if not upload.size:
        raise ValidationError({"plan": "The file is empty."})
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        raise ValidationError({"plan": "The file is larger than the evidence limit."})
    upload.seek(0)
    head = bytes(upload.read(content.HEAD_BYTES))
    upload.seek(0)
    try:
        file_type = content.identify(head)
        content.check_image(upload, file_type)
    except content.Unrecognised as error:
        raise ValidationError({"plan": f"{error}."}) from None
    if file_type not in PLAN_TYPES:
        raise ValidationError({"plan": "A floor plan is an image (JPEG, PNG, WebP) or a PDF."})
    sha256 = getattr(upload, "sha256", "") or _sha256(upload)
    if client_sha256 and client_sha256.strip().lower() != sha256:
        raise ValidationError(
            {"plan": "The file changed on the way: its SHA-256 does not match. Send it again."}
        )
    plan = FloorPlan(
        site=site,
        name=label,
        content_type=file_type.content_type,
        size=upload.size,
        sha256=sha256,
        uploaded_by=by,
    )
    plan.file.save(f"{uuid.uuid4().hex}{file_type.extension}", upload, save=False)
    try:
        plan.save()
        audit.record(action="floor_plan.added", actor=by, obj=site, plan=str(plan.public_id), sha256=sha256)
    except BaseException:
        if plan.file.name:
            evidence_storage.delete(plan.file.name)
        raise
    return plan


def open_floor_plan(*, plan: FloorPlan, by: AnyUser) -> File:
    """The stored file, its download audited."""
    audit.record(
        action="floor_plan.downloaded", actor=by, obj=plan.site, plan=str(plan.public_id), sha256=plan.sha256
    )
    return plan.file.open("rb")
