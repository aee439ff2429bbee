"""The incident or evidence a page is about, through the selectors: a 404 for what is missing and
for what the user may not see alike."""

from typing import Any

from django.http import HttpRequest

from incidents import selectors
from incidents.models import Evidence, Incident
from portal.edges import found_or_404


def incident_or_404(request: HttpRequest, incident_id: Any) -> Incident:
    return found_or_404(
        lambda: selectors.get_incident(incident_id=incident_id, for_user=request.user),
        "No such incident, or not one you may see.",
    )


def evidence_or_404(request: HttpRequest, evidence_id: Any) -> Evidence:
    return found_or_404(
        lambda: selectors.get_evidence(evidence_id=evidence_id, for_user=request.user),
        "No such evidence, or not evidence you may see.",
    )
