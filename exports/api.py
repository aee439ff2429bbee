"""Exports in the API: an escalated incident as a NENA EIDO document (docs/eido.md)."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from audit import services as audit
from exports import policy
from exports.eido import eido_document
from incidents import disclosure, purpose
from incidents import selectors as incident_selectors
from incidents.models import Incident
from portal.api import ApiViewSet, errors, public_id


class EidoViewSet(ApiViewSet):
    queryset = Incident.objects.none()  # for the schema: the read goes through the selectors
    lookup_url_kwarg = "id"
    http_method_names = ["get", "head", "options"]

    @extend_schema(
        summary="An escalated incident as a NENA-STA-021 EIDO (JSON; docs/eido/eido-schema.yaml)",
        description=(
            "An agency's reader sends a purpose (a case number or a short reason) in the "
            "`X-Watchpost-Purpose` header or the `purpose` query parameter: 403 without one."
        ),
        responses={200: OpenApiTypes.OBJECT, **errors(401, 403, 404)},
    )
    def retrieve(self, request: Request, id: str) -> Response:
        incident = incident_selectors.get_incident(incident_id=public_id(id), for_user=self.user)
        if not policy.can_fetch_eido(self.user, incident):
            raise PermissionDenied(
                "Only the provider's staff and the agencies it was escalated to fetch its EIDO."
            )
        # Its persons carry names and contacts: an agency's reader states why (X-Watchpost-Purpose).
        stated = purpose.required_by_api(request._request, self.user, incident)
        why: dict[str, Any] = {}
        if stated.needed:
            why = {"purpose": stated.text, "incident": str(incident.public_id)}
        audit.record(action="incident.eido_exported", actor=self.user, obj=incident, **why)
        return Response(eido_document(incident, reader=disclosure.reader_of(self.user)))
