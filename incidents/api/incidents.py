"""The incidents API: report, read, edit and triage incidents, and add to them (notes, people,
vehicles, evidence).

Access comes from the selectors (what the user may not see is 404) and the services
(PermissionDenied is 403); portal/api.py turns their exceptions into the API's JSON errors.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import parsers, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.utils.urls import remove_query_param, replace_query_param

from audit import services as audit
from incidents import policy, purpose, selectors, services
from incidents.api import serializers as s
from incidents.models import Incident, TimelineEntry
from incidents.uploads import install_upload_handlers
from portal.api import CONFLICT, ApiViewSet, errors, public_id
from portal.requests import origin_of


def _rename_error(error: DjangoValidationError, old: str, new: str) -> DjangoValidationError:
    """The service's error for one of its arguments, under the name the API's field has."""
    if not hasattr(error, "error_dict") or old not in error.error_dict:
        return error
    return DjangoValidationError(
        {(new if field == old else field): errors for field, errors in error.error_dict.items()}
    )


@extend_schema_view(
    list=extend_schema(
        summary="Incidents you may see, filtered, searched and sorted",
        description=(
            "Keyset pages, newest first by default: follow `next` (older) and `previous` (newer); "
            "each carries a `cursor`. Deep pages cost what the first does. `count` stops at 1,000 "
            "(`count_capped`). A search (`q`) answers with the exact matches of a reference, plate "
            "or name when there are any, else the best-ranked of its newest 300 matches (then "
            "`count` is at most 300, capped when full)."
        ),
        parameters=[s.IncidentFilterSerializer],
        responses={200: s.IncidentPageSerializer, **errors(400, 401)},
    ),
    retrieve=extend_schema(
        summary="One incident, with its parties and vehicles",
        description=(
            "For an agency's reader the parties' names and contacts are null unless the request sends "
            "a purpose (`X-Watchpost-Purpose` header or `purpose` query parameter); the read is then "
            "audited with it."
        ),
        responses={200: s.IncidentDetailSerializer, **errors(400, 401, 404)},
    ),
    create=extend_schema(
        summary="Report an incident (idempotent by idempotency_key)",
        request=s.IncidentCreateSerializer,
        responses={
            201: s.IncidentDetailSerializer,
            200: OpenApiResponse(
                s.IncidentDetailSerializer, description="Already reported with this idempotency_key."
            ),
            **errors(400, 401, 403),
        },
    ),
    partial_update=extend_schema(
        summary="Change fields of a report (optimistic locking by version)",
        request=s.IncidentUpdateSerializer,
        responses={200: s.IncidentDetailSerializer, **errors(400, 401, 403, 404), **CONFLICT},
    ),
)
class IncidentViewSet(ApiViewSet):
    queryset = Incident.objects.none()  # for the schema: every read goes through the selectors
    serializer_class = s.IncidentDetailSerializer
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def initialize_request(self, request: Any, *args: Any, **kwargs: Any) -> Request:
        drf_request = super().initialize_request(request, *args, **kwargs)
        if self.action == "evidence" and request.method == "POST":
            # Before anything (the session's CSRF check included) parses the body.
            install_upload_handlers(request)
        return drf_request

    def incident(self) -> Incident:
        return selectors.get_incident(incident_id=public_id(self.kwargs["id"]), for_user=self.user)

    def respond(self, incident: Incident, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.get_incident(incident_id=incident.public_id, for_user=self.user)
        return self.represent(fresh, status_code)

    def represent(self, incident: Incident, status_code: int = status.HTTP_200_OK) -> Response:
        # An agency's reader sees names and contacts only with a purpose (X-Watchpost-Purpose).
        stated = purpose.of_api(self.request._request, self.user, incident)
        personal_data = policy.can_view_personal_data(self.user, incident) and not stated.missing
        context = {
            **self.get_serializer_context(),
            "personal_data": personal_data,
            "parties": selectors.list_parties(incident=incident, for_user=self.user),
        }
        return Response(s.IncidentDetailSerializer(incident, context=context).data, status=status_code)

    def list(self, request: Request) -> Response:
        query = s.IncidentFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = selectors.page_incidents(
            for_user=self.user,
            filters=query.filters(),
            cursor=query.validated_data.get("cursor"),
            size=query.validated_data["page_size"],
        )
        url = remove_query_param(request.build_absolute_uri(), "page")
        data = s.IncidentSerializer(page.rows, many=True, context=self.get_serializer_context()).data
        return Response(
            {
                "count": page.count,
                "count_capped": page.count_capped,
                "next": page.next_cursor and replace_query_param(url, "cursor", page.next_cursor),
                "previous": page.previous_cursor and replace_query_param(url, "cursor", page.previous_cursor),
                "results": data,
            }
        )

    def retrieve(self, request: Request, id: str) -> Response:
        incident = self.incident()
        audit.record(action="incident.viewed", actor=self.user, obj=incident, via="api")
        stated = purpose.of_api(request._request, self.user, incident)
        if stated.needed and not stated.missing:
            services.record_personal_data_view(
                incident=incident,
                by=self.user,
                purpose=stated.text,
                what="incident with its people",
                via="api",
                origin=origin_of(request._request),
            )
        return self.respond(incident)

    def create(self, request: Request) -> Response:
        try:
            data = self.parse(s.IncidentCreateSerializer, request.data)
        except serializers.ValidationError:
            # Who may not report at all hears that rather than what is wrong with the report. (A valid
            # report from them is refused by the service with the same words: no query here for it.)
            if not policy.reportable_sites(self.user).exists():
                raise PermissionDenied(services.NO_REPORTABLE_SITE) from None
            raise
        result = services.report_incident(
            reporter=self.user,
            site=data.pop("site"),
            idempotency_key=data.pop("idempotency_key"),
            submit=data.pop("submit"),
            device_time=data.pop("device_time", None),
            parties=[services.PartyInput(**party) for party in data.pop("parties", [])],
            vehicles=[services.VehicleInput(**vehicle) for vehicle in data.pop("vehicles", [])],
            **data,
        )
        if result.created:
            # The service hands back what it wrote (site, category, parties, vehicles): no re-read.
            response = self.represent(result.incident, status.HTTP_201_CREATED)
        else:
            response = self.respond(result.incident)
        response["Location"] = reverse(
            "api:incident-detail", args=[result.incident.public_id], request=request
        )
        return response

    def partial_update(self, request: Request, id: str) -> Response:
        changes = self.parse(s.IncidentUpdateSerializer, request.data)
        version = changes.pop("version")
        incident = services.update_incident(
            incident=self.incident(), by=self.user, expected_version=version, **changes
        )
        return self.respond(incident)

    @extend_schema(
        summary="Send a draft (or a report sent back) to the supervisors",
        request=s.VersionSerializer,
        responses={200: s.IncidentDetailSerializer, **errors(400, 401, 403, 404), **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, id: str) -> Response:
        data = self.parse(s.VersionSerializer, request.data)
        incident = services.submit_incident(
            incident=self.incident(), by=self.user, expected_version=data.get("version")
        )
        return self.respond(incident)

    @extend_schema(
        summary="Accept a submitted report (supervisors)",
        request=s.VersionSerializer,
        responses={200: s.IncidentDetailSerializer, **errors(400, 401, 403, 404), **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, id: str) -> Response:
        data = self.parse(s.VersionSerializer, request.data)
        incident = services.accept_incident(
            incident=self.incident(), by=self.user, expected_version=data.get("version")
        )
        return self.respond(incident)

    @extend_schema(
        summary="Send a report back to its reporter with a question (supervisors)",
        request=s.RequestInfoSerializer,
        responses={200: s.IncidentDetailSerializer, **errors(400, 401, 403, 404), **CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="request-info", url_name="request-info")
    def request_info(self, request: Request, id: str) -> Response:
        data = self.parse(s.RequestInfoSerializer, request.data)
        incident = services.request_more_information(
            incident=self.incident(),
            by=self.user,
            comment=data["comment"],
            expected_version=data.get("version"),
        )
        return self.respond(incident)

    @extend_schema(
        summary="Close a report with its resolution (supervisors)",
        request=s.CloseSerializer,
        responses={200: s.IncidentDetailSerializer, **errors(400, 401, 403, 404), **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, id: str) -> Response:
        data = self.parse(s.CloseSerializer, request.data)
        incident = services.close_incident(
            incident=self.incident(),
            by=self.user,
            resolution=data["resolution"],
            expected_version=data.get("version"),
            confirmed=data["confirm"],
        )
        return self.respond(incident)

    @extend_schema(
        summary="The incident's history, oldest first",
        responses={200: s.TimelineEntrySerializer(many=True), **errors(400, 401, 404)},
    )
    @action(detail=True, methods=["get"])
    def timeline(self, request: Request, id: str) -> Response:
        return self.page(
            selectors.list_timeline(incident=self.incident(), for_user=self.user), s.TimelineEntrySerializer
        )

    @extend_schema(
        methods=["GET"],
        summary="The incident's notes, oldest first",
        responses={200: s.NoteSerializer(many=True), **errors(400, 401, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a note",
        request=s.NoteInputSerializer,
        responses={201: s.NoteSerializer, **errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["get", "post"])
    def notes(self, request: Request, id: str) -> Response:
        incident = self.incident()
        if request.method == "GET":
            notes = selectors.list_timeline(incident=incident, for_user=self.user).filter(
                kind=TimelineEntry.Kind.NOTE_ADDED
            )
            return self.page(notes, s.NoteSerializer)
        data = self.parse(s.NoteInputSerializer, request.data)
        note = services.add_note(
            incident=incident, by=self.user, text=data["text"], internal=data.get("internal", False)
        )
        return Response(s.NoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="People involved (name and contact only for those who may see personal data)",
        description=(
            "An agency's reader sends a purpose (a case number or a short reason, 3 to 200 characters) "
            "in the `X-Watchpost-Purpose` header or the `purpose` query parameter; without one the "
            "answer is 403 saying so. Each read is audited with its purpose."
        ),
        responses={200: s.PartySerializer(many=True), **errors(400, 401, 403, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Record a person involved",
        request=s.PartyInputSerializer,
        responses={201: s.PartySerializer, **errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["get", "post"])
    def parties(self, request: Request, id: str) -> Response:
        incident = self.incident()
        personal_data = policy.can_view_personal_data(self.user, incident)
        if request.method == "GET":
            stated = purpose.required_by_api(request._request, self.user, incident)
            if stated.needed:
                services.record_personal_data_view(
                    incident=incident,
                    by=self.user,
                    purpose=stated.text,
                    what="people",
                    via="api",
                    origin=origin_of(request._request),
                )
            parties = selectors.list_parties(incident=incident, for_user=self.user)
            return self.page(parties, s.PartySerializer, personal_data=personal_data)
        data = self.parse(s.PartyInputSerializer, request.data)
        party = services.add_party(incident=incident, by=self.user, party=services.PartyInput(**data))
        context = {"personal_data": personal_data}
        shown = next(
            p for p in selectors.list_parties(incident=incident, for_user=self.user) if p.pk == party.pk
        )
        return Response(s.PartySerializer(shown, context=context).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="Vehicles involved",
        responses={200: s.VehicleSerializer(many=True), **errors(400, 401, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Record a vehicle involved",
        request=s.VehicleInputSerializer,
        responses={201: s.VehicleSerializer, **errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["get", "post"])
    def vehicles(self, request: Request, id: str) -> Response:
        incident = self.incident()
        if request.method == "GET":
            return self.page(incident.vehicles.all(), s.VehicleSerializer)
        data = self.parse(s.VehicleInputSerializer, request.data)
        vehicle = services.add_vehicle(incident=incident, by=self.user, vehicle=services.VehicleInput(**data))
        return Response(s.VehicleSerializer(vehicle).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="The incident's evidence, oldest first",
        responses={200: s.EvidenceSerializer(many=True), **errors(400, 401, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Upload a file as evidence (multipart), checked against the client's SHA-256 if given",
        request={"multipart/form-data": s.EvidenceUploadSerializer},
        responses={201: s.EvidenceDetailSerializer, **errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[parsers.MultiPartParser])
    def evidence(self, request: Request, id: str) -> Response:
        incident = self.incident()
        if request.method == "GET":
            return self.page(
                selectors.list_evidence(incident=incident, for_user=self.user), s.EvidenceSerializer
            )
        data = self.parse(s.EvidenceUploadSerializer, request.data)
        supersedes = None
        if "supersedes" in data:
            supersedes = (
                selectors.list_evidence(incident=incident, for_user=self.user)
                .filter(public_id=data["supersedes"])
                .first()
            )
            if supersedes is None:
                raise serializers.ValidationError(
                    {"supersedes": ["No evidence with that id on this incident."]}
                )
        try:
            evidence = services.add_evidence(
                incident=incident,
                by=self.user,
                upload=data["file"],
                client_sha256=data.get("sha256"),
                origin=origin_of(request._request),
                description=data["description"],
                supersedes=supersedes,
                internal=data.get("internal", False),
            )
        except DjangoValidationError as error:
            raise _rename_error(error, "evidence", "file") from None
        stored = selectors.list_evidence(incident=incident, for_user=self.user).get(pk=evidence.pk)
        return Response(s.EvidenceDetailSerializer(stored).data, status=status.HTTP_201_CREATED)
