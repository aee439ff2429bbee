"""Retention (README, "Retention and legal hold"): legal holds, and deleting what each provider keeps
no longer, in batches, each with its row in the deletion ledger (audit/retention.py).

What goes, by the owning organization's periods, counted from the day the incident closed: its
messages with the police, its evidence (rows, original and thumbnail files, custody log), then the
whole incident with everything that hangs off it and the files those rows stored. Open incidents
and incidents on legal hold are never touched. Audit records go by their own organization's audit
period; the ledger's own records never go. Rows that other apps keep about an incident
(escalations, debriefs, bundles...) are found through the models' relations, so that this module
imports no app above incidents.
"""

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.db import models, transaction
from django.db.models import Count, Max, Min, QuerySet
from django.utils import timezone

from accounts.models import Organization, User
from audit import retention as audit_retention
from audit import services as audit
from audit.models import AuditEvent, DeletionLedger
from incidents import policy
from incidents.models import Evidence, Incident, TimelineEntry
from incidents.services.timeline import add_timeline_entry
from incidents.services.validation import require
from portal.text import clean_text

logger = logging.getLogger("watchpost.retention")
Kind = DeletionLedger.Kind
BATCH = 200
# Deleting an incident deletes what points at it, however it was declared (PROTECT included); a
# SET_NULL or DO_NOTHING relation (the audit log's) is left as its model says.
_FOLLOWED = (models.CASCADE, models.PROTECT, models.RESTRICT)


@transaction.atomic
def place_legal_hold(*, incident: Incident, by: User, reason: str) -> Incident:
    """A provider's supervisor or org admin stops every deletion of the incident, its evidence and
    its messages, for a stated reason (audited, on the provider's timeline)."""
    current, reason = _hold_request(incident, by, reason, verb="place")
    if not reason:
        raise ValidationError(
            {"reason": "Say why the incident must be kept (a claim, a court order, a case number)."}
        )
    if current.on_legal_hold:
        raise ValidationError(f"{current.reference} is on legal hold already.")
    current.legal_hold_at, current.legal_hold_by, current.legal_hold_reason = timezone.now(), by, reason
    current.save(update_fields=["legal_hold_at", "legal_hold_by", "legal_hold_reason", "updated_at"])
    add_timeline_entry(
        incident=current,
        kind=TimelineEntry.Kind.LEGAL_HOLD,
        actor=by,
        internal=True,
        placed=True,
        reason=reason,
    )
    audit.record(action="incident.legal_hold_placed", actor=by, obj=current, reason=reason)
    _copy_hold(current, incident)
    return incident


@transaction.atomic
def lift_legal_hold(*, incident: Incident, by: User, reason: str) -> Incident:
    """The same people lift the hold, with a reason: retention applies to the incident again."""
    current, reason = _hold_request(incident, by, reason, verb="lift")
    if not reason:
        raise ValidationError({"reason": "Say why the incident need no longer be kept."})
    if not current.on_legal_hold:
        raise ValidationError(f"{current.reference} is not on legal hold.")
    placed = current.legal_hold_reason
    current.legal_hold_at, current.legal_hold_by, current.legal_hold_reason = None, None, ""
    current.save(update_fields=["legal_hold_at", "legal_hold_by", "legal_hold_reason", "updated_at"])
    add_timeline_entry(
        incident=current,
        kind=TimelineEntry.Kind.LEGAL_HOLD,
        actor=by,
        internal=True,
        placed=False,
        reason=reason,
    )
    audit.record(action="incident.legal_hold_lifted", actor=by, obj=current, reason=reason, placed_for=placed)
    _copy_hold(current, incident)
    return incident


def _hold_request(incident: Incident, by: User, reason: str, *, verb: str) -> tuple[Incident, str]:
    """The incident's row, locked, once the policy lets ``by`` place or lift its hold; and the
    reason as typed, cleaned (empty when none was given)."""
    current = (
        Incident.objects.select_for_update(of=("self",)).select_related("site__provider").get(pk=incident.pk)
    )
    require(
        policy.can_place_legal_hold(by, current),
        f"Only the provider's supervisors and org admins {verb} a legal hold.",
    )
    return current, clean_text(reason, field="reason", limit=300, what="a reason")


def _copy_hold(source: Incident, target: Incident) -> None:
    target.legal_hold_at, target.legal_hold_by = source.legal_hold_at, source.legal_hold_by
    target.legal_hold_reason = source.legal_hold_reason


def _closed_before(organization: Organization, days: int, now: datetime) -> QuerySet[Incident]:
    """The organization's closed incidents, not on hold, closed more than ``days`` ago."""
    return Incident.objects.filter(
        provider=organization,
        status=Incident.Status.CLOSED,
        closed_at__lt=now - timedelta(days=days),
        legal_hold_at__isnull=True,
    )


def list_incidents_due(*, organization: Organization, now: datetime) -> QuerySet[Incident]:
    return _closed_before(organization, organization.retain_incidents_days, now)


def list_evidence_due(*, organization: Organization, now: datetime) -> QuerySet[Evidence]:
    return Evidence.objects.filter(
        incident__in=_closed_before(organization, organization.retain_evidence_days, now)
    )


def list_messages_due(*, organization: Organization, now: datetime) -> QuerySet[TimelineEntry]:
    return TimelineEntry.objects.filter(
        kind=TimelineEntry.Kind.MESSAGE,
        incident__in=_closed_before(organization, organization.retain_messages_days, now),
    )


@dataclass
class Report:
    """What retention deleted (or, in a dry run, would delete): per organization and kind, the
    count and the time range; and the ledger rows written."""

    dry_run: bool
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    ranges: dict[tuple[str, str], tuple[datetime, datetime]] = field(default_factory=dict)
    ledger: list[DeletionLedger] = field(default_factory=list)

    def add(
        self, organization: str, kind: str, count: int, first: datetime | None, last: datetime | None
    ) -> None:
        if not count:
            return
        key = (organization, kind)
        self.counts[key] = self.counts.get(key, 0) + count
        if first is not None and last is not None:
            old = self.ranges.get(key)
            self.ranges[key] = (min(first, old[0]), max(last, old[1])) if old else (first, last)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def apply_retention(*, dry_run: bool = False, now: datetime | None = None, batch: int = BATCH) -> Report:
    """Delete (or, with ``dry_run``, only count) what every organization keeps no longer: messages,
    evidence, incidents, then audit records, each batch in its own transaction with its ledger row."""
    now = now or timezone.now()
    report = Report(dry_run=dry_run)
    organizations: list[Organization | None] = [*Organization.objects.order_by("name"), None]
    for organization in organizations:
        name = organization.name if organization is not None else "(no organization)"
        if organization is not None and organization.is_provider:
            _messages(report, name, organization, now, batch)
            _evidence(report, name, organization, now, batch)
            _incidents(report, name, organization, now, batch)
        _audit(report, name, organization, now, batch)
    if report.total and not dry_run:
        logger.info(
            "retention deleted %s", ", ".join(f"{n} {k} of {o}" for (o, k), n in report.counts.items())
        )
    return report


def _count(report: Report, name: str, kind: str, queryset: QuerySet, at: str) -> None:
    summary = queryset.aggregate(n=Count("pk"), first=Min(at), last=Max(at))
    report.add(name, kind, summary["n"], summary["first"], summary["last"])


def _batches(queryset: QuerySet, batch: int) -> Iterator[list[int]]:
    """The ids due, a batch at a time, re-read after each deletion (what is gone is no longer due)."""
    while ids := list(queryset.order_by("pk").values_list("pk", flat=True)[:batch]):
        yield ids


def _messages(report: Report, name: str, organization: Organization, now: datetime, batch: int) -> None:
    due = list_messages_due(organization=organization, now=now)
    if report.dry_run:
        _count(report, name, Kind.MESSAGE, due, "incident__closed_at")
        return
    for ids in _batches(due, batch):
        with transaction.atomic():
            entries = list(TimelineEntry.objects.filter(pk__in=ids).select_related("incident").order_by("pk"))
            items = [
                [
                    entry.pk,
                    audit_retention.digest_of([[entry.incident.public_id, entry.at.isoformat(), entry.data]]),
                ]
                for entry in entries
            ]
            closed = _closing_times(entry.incident for entry in entries)
            row = audit_retention.record_deletion(
                kind=Kind.MESSAGE,
                organization=organization,
                items=items,
                first_at=min(closed),
                last_at=max(closed),
                incidents=sorted({str(entry.incident.public_id) for entry in entries}),
            )
            TimelineEntry.objects.filter(pk__in=ids).delete()
            _say_on_timelines(entries, what="messages", ledger=row.pk)
        report.ledger.append(row)
        report.add(name, Kind.MESSAGE, len(ids), row.first_at, row.last_at)


def _say_on_timelines(gone: list[Evidence] | list[TimelineEntry], *, what: str, ledger: int) -> None:
    """An internal entry on each kept incident's timeline: how many of its `what` retention deleted,
    and the ledger row that lists them."""
    for incident in {item.incident_id: item.incident for item in gone}.values():
        add_timeline_entry(
            incident=incident,
            kind=TimelineEntry.Kind.RETENTION,
            actor=None,
            internal=True,
            what=what,
            count=sum(1 for item in gone if item.incident_id == incident.pk),
            ledger=ledger,
        )


def _evidence(report: Report, name: str, organization: Organization, now: datetime, batch: int) -> None:
    due = list_evidence_due(organization=organization, now=now)
    if report.dry_run:
        _count(report, name, Kind.EVIDENCE, due, "incident__closed_at")
        return
    for ids in _batches(due, batch):
        with transaction.atomic():
            items = list(Evidence.objects.filter(pk__in=ids).select_related("incident").order_by("pk"))
            closed = _closing_times(evidence.incident for evidence in items)
            custody = sum(evidence.custody.count() for evidence in items)
            row = audit_retention.record_deletion(
                kind=Kind.EVIDENCE,
                organization=organization,
                items=[[str(evidence.public_id), evidence.sha256] for evidence in items],
                first_at=min(closed),
                last_at=max(closed),
                custody_events=custody,
            )
            files = _purge(Evidence.objects.filter(pk__in=ids))
            _say_on_timelines(items, what="evidence", ledger=row.pk)
        _delete_files(files)
        report.ledger.append(row)
        report.add(name, Kind.EVIDENCE, len(ids), row.first_at, row.last_at)


def _incidents(report: Report, name: str, organization: Organization, now: datetime, batch: int) -> None:
    due = list_incidents_due(organization=organization, now=now)
    if report.dry_run:
        _count(report, name, Kind.INCIDENT, due, "closed_at")
        return
    for ids in _batches(due, batch):
        with transaction.atomic():
            incidents = list(Incident.objects.filter(pk__in=ids).order_by("pk"))
            evidence = list(Evidence.objects.filter(incident_id__in=ids))
            row = audit_retention.record_deletion(
                kind=Kind.INCIDENT,
                organization=organization,
                items=[[str(incident.public_id), incident.reference] for incident in incidents],
                first_at=min(_closing_times(incidents)),
                last_at=max(_closing_times(incidents)),
                evidence=[[str(item.public_id), item.sha256] for item in evidence],
            )
            files = _purge(Incident.objects.filter(pk__in=ids))
        _delete_files(files)
        report.ledger.append(row)
        report.add(name, Kind.INCIDENT, len(ids), row.first_at, row.last_at)


def _audit(report: Report, name: str, organization: Organization | None, now: datetime, batch: int) -> None:
    if report.dry_run:
        due: QuerySet[AuditEvent] = audit_retention.list_audit_records_due(organization=organization, now=now)
        _count(report, name, Kind.AUDIT, due, "at")
        return
    while (
        done := audit_retention.delete_audit_batch(organization=organization, now=now, batch=batch)
    ) is not None:
        report.ledger.append(done.ledger)
        report.add(name, Kind.AUDIT, done.ledger.count, done.ledger.first_at, done.ledger.last_at)


def _closing_times(incidents: Iterable[Incident]) -> list[datetime]:
    """When the incidents closed (all of them did: only closed incidents are due)."""
    return [incident.closed_at for incident in incidents if incident.closed_at is not None]


def _stored_files(row: models.Model) -> list[tuple[Storage, str]]:
    """Every stored file of the row (an evidence item's original, thumbnail, any other preview), with
    its storage."""
    found = []
    for model_field in row._meta.concrete_fields:
        if isinstance(model_field, models.FileField):
            value = getattr(row, model_field.attname)
            if value and value.name:
                found.append((value.storage, value.name))
    return found


def _delete_files(files: list[tuple[Storage, str]]) -> None:
    """After the rows' deletion committed (a file left by a failure here is logged; a row never
    outlives its file's deletion)."""
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:
            logger.exception("retention could not delete the evidence file %s", name)


def _purge(queryset: QuerySet) -> list[tuple[Storage, str]]:
    """Delete the rows and, first, every row that points at them (recursively); return the files
    they stored (evidence, a debrief's PDF, a bundle), to delete once the deletion commits."""
    model = queryset.model
    pks = list(queryset.values_list("pk", flat=True))
    if not pks:
        return []
    files: list[tuple[Storage, str]] = []
    for relation in model._meta.related_objects:
        if relation.many_to_many or relation.on_delete not in _FOLLOWED:
            continue
        related = relation.related_model._base_manager
        name = relation.field.name
        pointing = related.filter(**{f"{name}__in": pks})
        if relation.related_model is model:
            # A newer version of an item being deleted: unlink the versions within the batch.
            pointing.filter(pk__in=pks).update(**{name: None})
            pointing = pointing.exclude(pk__in=pks)
        files += _purge(pointing)
    rows = model._base_manager.filter(pk__in=pks)
    file_fields = [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
    for row in rows.only("pk", *(f.attname for f in file_fields)) if file_fields else ():
        files += _stored_files(row)
    rows.delete()
    return files
