"""Evidence fixity: stored files re-hashed a few at a time, oldest check first, each result recorded;
a copy that no longer matches its upload's SHA-256 (or is gone) alerts the platform's admins and the
provider's org admins, once per finding, and the item's page shows it."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.models import Role, User
from audit import services as audit
from audit.models import AuditEvent
from exports.models import FixityCheck
from incidents.models import Evidence, evidence_storage
from notifications import content as notification_content
from notifications.models import Kind
from notifications.services import notify

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class SweepResult:
    checked: int
    bytes_read: int
    problems: int


def _rehash(evidence: Evidence) -> tuple[str, int] | None:
    name = evidence.file.name
    try:
        stored = evidence_storage.open(name or "", "rb")
    except FileNotFoundError:
        return None
    digest, size = hashlib.sha256(), 0
    with stored:
        while chunk := stored.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _alert(evidence: Evidence, check: FixityCheck) -> None:
    incident = evidence.incident
    admins = User.objects.filter(
        Q(is_staff=True)
        | Q(membership__organization_id=incident.site.provider_id, membership__role=Role.ORG_ADMIN),
        is_active=True,
    ).distinct()
    found = (
        "is missing from storage"
        if check.result == FixityCheck.Result.MISSING
        else (f"now hashes to {check.sha256}, not {evidence.sha256} as at upload")
    )
    notify(
        users=list(admins),
        kind=Kind.INTEGRITY,
        # Not filed under the incident: its filter would drop the platform's admins (no membership),
        # who are told on purpose; the provider's org admins see the incident anyway.
        incident=None,
        key=f"fixity:{evidence.public_id}:{check.result}:{check.sha256}",
        reason="Evidence fixity check: the platform's admins and the provider's org admins",
        payload=notification_content.written(
            event="evidence.fixity_failed",
            title=f"Evidence of {incident.reference} changed in storage",
            text=f"The stored copy of {evidence.original_name} ({incident.reference}) {found}. "
            "Keep the incident's bundles and backups; tell the platform's operator.",
            path=f"/evidence/{evidence.public_id}/",
        ),
    )


def check_fixity(*, evidence: Evidence) -> FixityCheck:
    """Re-hash one stored evidence file and record the result; a mismatch is audited and alerted."""
    found = _rehash(evidence)
    if found is None:
        result, sha256, size = FixityCheck.Result.MISSING, "", None
    else:
        sha256, size = found
        result = FixityCheck.Result.MATCH if sha256 == evidence.sha256 else FixityCheck.Result.MISMATCH
    with transaction.atomic():
        check = FixityCheck.objects.create(
            evidence=evidence, checked_at=timezone.now(), result=result, sha256=sha256, size=size
        )
        if result != FixityCheck.Result.MATCH:
            audit.record(
                action="evidence.fixity_failed",
                obj=evidence,
                outcome=AuditEvent.Outcome.FAILURE,
                actor_label="fixity check",
                organization=evidence.incident.site.provider,
                result=result,
                recorded=evidence.sha256,
                computed=sha256,
            )
            _alert(evidence, check)
    return check


def sweep_fixity() -> SweepResult:
    """One periodic step: the evidence never checked, or checked longest ago and not within
    FIXITY_INTERVAL_HOURS, up to FIXITY_FILES_PER_RUN files and FIXITY_BYTES_PER_RUN bytes."""
    due_before = timezone.now() - timedelta(hours=settings.FIXITY_INTERVAL_HOURS)
    last = (
        FixityCheck.objects.filter(evidence=OuterRef("pk")).order_by("-checked_at").values("checked_at")[:1]
    )
    candidates = (
        Evidence.objects.annotate(last_checked=Subquery(last))
        .filter(Q(last_checked__isnull=True) | Q(last_checked__lt=due_before))
        .select_related("incident__site__provider")
        .order_by("last_checked", "pk")  # never checked first (NULLs first in both databases)
    )
    checked = bytes_read = problems = 0
    for evidence in candidates[: settings.FIXITY_FILES_PER_RUN]:
        if checked and bytes_read + evidence.size > settings.FIXITY_BYTES_PER_RUN:
            break
        result = check_fixity(evidence=evidence)
        checked += 1
        bytes_read += evidence.size
        problems += not result.is_ok
    return SweepResult(checked=checked, bytes_read=bytes_read, problems=problems)


def latest_checks(evidence_ids: list[int]) -> dict[int, FixityCheck]:
    """The newest check of each of these evidence items."""
    newest = (
        FixityCheck.objects.filter(evidence_id__in=evidence_ids)
        .values("evidence_id")
        .annotate(at=Max("checked_at"))
    )
    found: dict[int, FixityCheck] = {}
    for row in newest:
        check = FixityCheck.objects.filter(evidence_id=row["evidence_id"], checked_at=row["at"]).first()
        if check is not None:
            found[row["evidence_id"]] = check
    return found
