"""The evidence API: one item with its chain of custody, and the original file (both logged)."""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import purpose, selectors, services
from incidents.api import serializers as s
from incidents.models import CustodyEvent, Evidence
from incidents.services.evidence import download_name
from portal.api import ApiViewSet, errors, public_id
from portal.requests import origin_of


@extend_schema_view(
    retrieve=extend_schema(
        summary="One evidence item, with its SHA-256 and chain of custody (the read is logged in it)",
        responses={200: s.EvidenceDetailSerializer, **errors(400, 401, 404)},
    ),
)
class EvidenceViewSet(ApiViewSet):
    queryset = Evidence.objects.none()  # for the schema: every read goes through the selectors
    serializer_class = s.EvidenceDetailSerializer
    lookup_field = "public_id"
    lookup_url_kwarg = "id"

    def evidence(self) -> Evidence:
        return selectors.get_evidence(evidence_id=public_id(self.kwargs["id"]), for_user=self.user)

    def retrieve(self, request: Request, id: str) -> Response:
        evidence = self.evidence()
        services.record_custody(
            evidence=evidence,
            actor=self.user,
            action=CustodyEvent.Action.VIEWED,
            origin=origin_of(request._request),
        )
        # list_evidence brings the custody log with its actors in one query.
        with_custody = selectors.list_evidence(incident=evidence.incident, for_user=self.user).get(
            pk=evidence.pk
        )
        return Response(s.EvidenceDetailSerializer(with_custody).data)

    @extend_schema(
        summary="The original file, byte for byte (logged in the chain of custody)",
        description=(
            "An agency's reader sends a purpose in the `X-Watchpost-Purpose` header or the `purpose` "
            "query parameter (403 without one); it goes into the audit record."
        ),
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, as an attachment; its SHA-256 is the evidence's."
            ),
            **errors(400, 401, 403, 404),
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, id: str) -> FileResponse:
        evidence = self.evidence()
        stated = purpose.required_by_api(request._request, self.user, evidence.incident)
        file = services.open_evidence_file(
            evidence=evidence,
            by=self.user,
            origin=origin_of(request._request),
            action=CustodyEvent.Action.DOWNLOADED,
            purpose=stated.text,
        )
        response = FileResponse(
            file, as_attachment=True, filename=download_name(evidence), content_type=evidence.content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
