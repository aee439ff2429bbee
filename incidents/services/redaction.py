"""Redacted previews: the areas of a photo the provider's supervisor hides from the agency.

The supervisor saves rectangles (fractions 0-1 of the upright image) with a reason; a worker renders
the agency's copy of the preview from the original, each area filled solid, into a file of its own.
The original file and its SHA-256 are never touched. Saving no rectangles (with a reason) lifts the
redaction: the agency sees the plain preview and may download the original again (README, "Who sees
what").
"""

import math
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from incidents import events, policy
from incidents.models import Evidence, evidence_storage
from incidents.services import content
from incidents.services.validation import require
from portal.realtime import publish_on_commit
from portal.requests import RequestOrigin
from portal.text import clean_text

MAX_AREAS = 20
REASON_LENGTH = 300
# The smallest side of an area (a fraction of the image's): a dot hides nothing and is a slip.
MIN_SIDE = 0.005
SIDES = ("x", "y", "w", "h")
Preview = Evidence.Preview
_FILE_TYPES = {file_type.content_type: file_type for file_type in content.TYPES}


def clean_rectangles(raw: Any) -> list[dict[str, float]]:
    """The rectangles as stored ({"x", "y", "w", "h"}, fractions of the image, 4 decimals), or a
    ValidationError on ``redactions`` naming the first area that is wrong and why."""
    if not isinstance(raw, list | tuple):
        raise ValidationError({"redactions": "Send the areas as a list of rectangles."})
    if len(raw) > MAX_AREAS:
        raise ValidationError(
            {"redactions": f"At most {MAX_AREAS} areas on one photo; {len(raw)} were sent."}
        )
    cleaned = []
    for number, area in enumerate(raw, start=1):
        if not isinstance(area, dict) or set(area) != set(SIDES):
            raise ValidationError({"redactions": f"Area {number}: give exactly x, y, width and height."})
        values = {}
        for side in SIDES:
            value = area[side]
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValidationError({"redactions": f"Area {number}: {side} is not a number."})
            values[side] = float(value)
        x, y, w, h = (values[side] for side in SIDES)
        if not (0 <= x <= 1 and 0 <= y <= 1):
            raise ValidationError({"redactions": f"Area {number} starts outside the photo."})
        if w < MIN_SIDE or h < MIN_SIDE:
            raise ValidationError({"redactions": f"Area {number} is too small to hide anything."})
        if x + w > 1.0001 or y + h > 1.0001:
            raise ValidationError({"redactions": f"Area {number} reaches outside the photo."})
        cleaned.append(
            {
                "x": round(x, 4),
                "y": round(y, 4),
                "w": round(min(w, 1 - x), 4),
                "h": round(min(h, 1 - y), 4),
            }
        )
    return cleaned


def redact_evidence(
    *, evidence: Evidence, by: User, rectangles: Any, reason: str, origin: RequestOrigin | None = None
) -> Evidence:
    """Save the areas of a photo the agency must not see (none: lift the redaction), with a reason;
    audited (who, when, how many areas, why). The agency's copy is rendered after the commit."""
    require(
        policy.can_redact_evidence(by, evidence),
        "Only the provider's supervisors and administrators redact a photo.",
    )
    areas = clean_rectangles(rectangles)
    reason = clean_text(reason, field="reason", limit=REASON_LENGTH, what="the reason")
    if not reason:
        raise ValidationError(
            {"reason": "Say why these areas are hidden from the police (or why no longer)."}
        )
    with transaction.atomic():
        current = (
            Evidence.objects.select_for_update(of=("self",)).select_related("incident").get(pk=evidence.pk)
        )
        if not current.redactions and not areas:
            raise ValidationError({"redactions": "Draw at least one area to hide: nothing is redacted yet."})
        if current.thumbnail_status == Preview.NONE:
            raise ValidationError({"redactions": "Only a photo the server can read is redacted."})
        old_copy = current.redacted_thumbnail.name or ""
        current.redactions = areas
        current.redaction_reason = reason
        current.redacted_by = by
        current.redacted_at = timezone.now()
        current.redacted_thumbnail = ""
        current.redacted_status = Preview.PENDING if areas else Preview.NONE
        current.save(
            update_fields=[
                "redactions",
                "redaction_reason",
                "redacted_by",
                "redacted_at",
                "redacted_thumbnail",
                "redacted_status",
            ]
        )
        audit.record(
            action="evidence.redacted" if areas else "evidence.redaction_lifted",
            actor=by,
            obj=current,
            origin=origin,
            areas=len(areas),
            reason=reason,
            sha256=current.sha256,
        )
        if areas:
            publish_on_commit(events.evidence_redacted(current))
        if old_copy:
            transaction.on_commit(lambda: evidence_storage.delete(old_copy))
    return current


def render_redacted_preview(*, evidence: Evidence) -> Evidence:
    """Render the agency's copy of the preview if it is still to be made (idempotent): the thumbnail
    made afresh from the original, each area filled solid. The original is only read."""
    current = Evidence.objects.get(pk=evidence.pk)
    if current.redacted_status != Preview.PENDING or not current.redactions:
        return current
    file_type = _FILE_TYPES.get(current.content_type)
    rendered, status = None, Preview.FAILED
    if file_type is not None:
        try:
            with evidence_storage.open(current.file.name or "", "rb") as original:
                plain = content.thumbnail(original, file_type, max_pixels=settings.THUMBNAIL_MAX_PIXELS)
            if plain is not None:
                rendered = content.redact_image(plain, current.redactions)
        except content.TooLarge:
            status = Preview.TOO_LARGE
    name = ""
    if rendered is not None:
        name = evidence_storage.save(
            f"redacted/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.jpg", ContentFile(rendered)
        )
        status = Preview.READY
    # Only for the areas it was asked for: a newer save while this ran renders again itself.
    won = Evidence.objects.filter(
        pk=current.pk, redacted_status=Preview.PENDING, redacted_at=current.redacted_at
    ).update(redacted_thumbnail=name, redacted_status=status)
    if not won and name:
        evidence_storage.delete(name)
    current.refresh_from_db()
    return current
