"""Exports: CSV rows of incidents, safe to open in a spreadsheet, and an incident as one JSON
document. Pure functions over rows the selectors already scoped."""

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from dispatch.models import Escalation
from incidents.models import Evidence, Incident, TimelineEntry
from portal import zones

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection"):
# such a cell is written with a leading apostrophe, which shows the text as typed and runs nothing.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The last two columns mark a drill's incident (CAP 1.2 status "Exercise"), and a real event filed
# during a drill as real: a row of a drill can never be read as a real event.
HEADER = (
    "Reference",
    "Received (site time)",
    "Site",
    "Category",
    "Severity",
    "Status",
    "Place",
    "Narrative",
    "CAP status",
    "Drill",
)


def neutralise(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def incident_row(incident: Incident) -> list[str]:
    received = timezone.localtime(incident.received_at, zones.zone(incident.site.time_zone))
    return [
        neutralise(value)
        for value in (
            incident.reference,
            received.isoformat(timespec="minutes"),
            incident.site.name,
            incident.category.name if incident.category else "",
            incident.get_severity_display() if incident.severity else "",
            incident.get_status_display(),
            incident.location,
            incident.narrative,
            incident.cap_status,
            incident.get_exercise_display() if incident.exercise else "",
        )
    ]


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def incident_document(
    incident: Incident,
    *,
    timeline: Iterable[TimelineEntry],
    evidence: Iterable[Evidence],
    escalations: Iterable[Escalation],
    personal_data: bool,
    parties: Iterable[Any],
) -> dict[str, Any]:
    """Everything the incident holds that the reader may see, as JSON types (times in UTC).

    Names and contacts of involved parties only with ``personal_data``; otherwise their role and
    description, and the fields' names say what was withheld."""
    rows = []
    # ``parties`` are the reader's (incidents' list_parties: redacted for an agency by its profile).
    for party in parties:
        entry = {"role": party.role, "description": party.description}
        if personal_data:
            entry |= {"name": party.name, "contact": party.contact}
            if party.withheld:
                entry["withheld"] = party.withheld
        rows.append(entry)
    return {
        "reference": incident.reference,
        "id": str(incident.public_id),
        "site": {
            "name": incident.site.name,
            "code": incident.site.code,
            "time_zone": incident.site.time_zone,
        },
        "category": incident.category.name if incident.category else None,
        "severity": incident.severity,
        "status": incident.status,
        # CAP 1.2's status: "Exercise" for a drill's incident; "drill" says a real event filed
        # during a drill is real ("real"), or nothing.
        "cap_status": incident.cap_status,
        "drill": incident.exercise or None,
        "occurred_at": _when(incident.occurred_at),
        "received_at": _when(incident.received_at),
        "submitted_at": _when(incident.submitted_at),
        "closed_at": _when(incident.closed_at),
        "location": incident.location,
        "latitude": str(incident.latitude) if incident.latitude is not None else None,
        "longitude": str(incident.longitude) if incident.longitude is not None else None,
        "narrative": incident.narrative,
        "resolution": incident.resolution,
        "reporter": incident.reporter.get_full_name() if incident.reporter else None,
        "parties": rows,
        "personal_data_withheld": not personal_data,
        "vehicles": [{"plate": v.plate, "description": v.description} for v in incident.vehicles.all()],
        "timeline": [
            {
                "at": _when(e.at),
                "kind": e.kind,
                "actor": e.actor.get_full_name() if e.actor else None,
                "data": e.data,
            }
            for e in timeline
        ],
        "evidence": [
            {
                "id": str(item.public_id),
                "kind": item.kind,
                "name": item.original_name,
                "content_type": item.content_type,
                "size": item.size,
                "sha256": item.sha256,
                "uploaded_at": _when(item.uploaded_at),
                "uploaded_by": item.uploaded_by.get_full_name(),
                "description": item.description,
                "version": item.version,
                "custody": [
                    {"at": _when(c.at), "action": c.action, "actor": c.actor.get_full_name()}
                    for c in item.custody.all()
                ],
            }
            for item in evidence
        ],
        "escalations": [
            {
                "agency": e.agency.name,
                "status": e.status,
                "source": e.source,
                "reason": e.reason,
                "requested_at": _when(e.requested_at),
                "accepted_at": _when(e.accepted_at),
                "rejected_at": _when(e.rejected_at),
                "rejection_reason": e.rejection_reason,
                "dispatched_at": _when(e.dispatched_at),
                "on_scene_at": _when(e.on_scene_at),
                "cleared_at": _when(e.cleared_at),
                "disposition": e.disposition,
                "case_number": e.case_number,
                "cancelled_at": _when(e.cancelled_at),
            }
            for e in escalations
        ],
    }


class _Line:
    """A file-like object whose write returns the line, so csv.writer yields text to stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(incidents: Iterable[Incident]) -> Iterator[str]:
    """The header, then one line per incident, produced one at a time (never the whole file)."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(HEADER)  # the BOM: spreadsheets read the text as UTF-8
    for incident in incidents:
        yield writer.writerow(incident_row(incident))


def incident_report_pdf(document: dict[str, Any]) -> bytes:
    """The incident report as a PDF: the same document as the JSON export (so the same personal-data
    rule), laid out for reading: the incident, its timeline, its evidence with SHA-256, and the
    escalations with the police's response, times in the site's zone."""
    # Loaded here, not at import: WeasyPrint needs Pango and HarfBuzz, which only the processes that
    # render must have; the rest of the portal works without them.
    from portal import pdf

    return pdf.html_to_pdf(
        render_to_string("analytics/incident_report_pdf.html", {"doc": document, "now": timezone.now()})
    )
