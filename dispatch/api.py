"""The dispatch API: escalations and their lifecycle, the panic button, messages, and the board's
numbered event log for integrations (CAD, paging) that poll instead of holding a websocket."""

from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from dispatch import events, policy, selectors, services
from dispatch.models import CadReport, Escalation, RejectionCause, VerificationLevel
from incidents import selectors as incident_selectors
from incidents.api import reference as reference_api
from incidents.models import Category
from portal.api import CONFLICT, ID_RANGE, ApiViewSet, errors, public_id
from portal.edges import parse_int


class EscalationSerializer(serializers.Serializer):
    """An escalation as the board draws it (the same shape as a board event's ``escalation``)."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=Escalation.Status.choices)
    status_label = serializers.CharField()
    source = serializers.ChoiceField(choices=Escalation.Source.choices)  # type: ignore[assignment]
    is_panic = serializers.BooleanField()
    panic_active = serializers.BooleanField()
    panic_cleared_at = serializers.DateTimeField(
        allow_null=True, help_text='When a supervisor said "guard is safe".'
    )
    panic_cleared_by = serializers.CharField(allow_null=True, help_text="Who cleared the panic.")
    reason = serializers.CharField()
    rejection_reason = serializers.CharField()
    rejection_cause = serializers.ChoiceField(
        choices=[("", "Not rejected"), *RejectionCause.choices], help_text="ASAP-shaped cause of a rejection."
    )
    rejection_cause_label = serializers.CharField()
    verification_level = serializers.ChoiceField(
        choices=VerificationLevel.choices,
        help_text="AVS-01-shaped: 0 no call for service … 4 threat to life.",
    )
    verification_label = serializers.CharField()
    verification_confirmed = serializers.BooleanField(help_text="Confirmed by the provider's supervisor.")
    cancel_reason = serializers.CharField()
    disposition = serializers.CharField()
    case_number = serializers.CharField()
    version = serializers.IntegerField()
    requested_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    dispatched_at = serializers.DateTimeField(allow_null=True)
    on_scene_at = serializers.DateTimeField(allow_null=True)
    cleared_at = serializers.DateTimeField(allow_null=True)
    incident = serializers.DictField(help_text="Reference, severity, category, site, place and narrative.")


class EscalateSerializer(serializers.Serializer):
    incident = serializers.UUIDField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class StepSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, help_text="The version you saw (accept only).")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    disposition = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    case_number = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")
    cause = serializers.ChoiceField(
        choices=RejectionCause.choices, required=False, default=RejectionCause.OTHER, help_text="reject only"
    )
    level = serializers.IntegerField(required=False, min_value=0, max_value=4, help_text="verify only")


class MessageSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class CadStatusSerializer(serializers.Serializer):
    """A status from the agency's CAD (docs/cad-status.md)."""

    event_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="The CAD's own event id; the key unless an Idempotency-Key header is sent.",
    )
    status = serializers.ChoiceField(choices=[str(s) for s in services.cad.REPORTABLE])
    cause = serializers.CharField(required=False, allow_blank=True, help_text="Rejected: why (free text).")
    cause_code = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="Rejected: the CAD's cause code, if any."
    )
    disposition = serializers.CharField(
        required=False, allow_blank=True, help_text="Cleared: what the police did."
    )
    case_number = serializers.CharField(required=False, allow_blank=True, max_length=40)


class CadStatusResultSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=CadReport.Outcome.choices)
    replayed = serializers.BooleanField(help_text="The same key was sent before: its first answer, again.")
    steps = serializers.ListField(child=serializers.CharField(), help_text="The lifecycle steps it took.")
    escalation = EscalationSerializer()


class PanicSerializer(serializers.Serializer):
    idempotency_key = serializers.UUIDField()
    site = serializers.IntegerField(
        required=False,
        help_text="One of your sites (another is refused with 403); default: the first.",
        **ID_RANGE,
    )
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)
    accuracy = serializers.IntegerField(required=False, min_value=0)


class BoardEventSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    event = serializers.CharField()
    escalation = EscalationSerializer()
    message = serializers.DictField(required=False)


# The API spells the actions with hyphens (a URL path segment): on-scene, clear-panic.
STEPS = {action.slug: action for action in services.ACTIONS.values()}
STEPS_SUMMARY = ", ".join(
    f"{slug} ({', '.join(action.fields)})" if action.fields else slug for slug, action in STEPS.items()
)


class EscalationViewSet(ApiViewSet):
    queryset = Escalation.objects.none()  # for the schema: every read goes through the selectors
    serializer_class = EscalationSerializer
    lookup_url_kwarg = "id"
    http_method_names = ["get", "post", "head", "options"]

    def escalation(self) -> Escalation:
        return selectors.get_escalation(escalation_id=public_id(self.kwargs["id"]), for_user=self.user)

    def render(self, escalation: Escalation, code: int = status.HTTP_200_OK) -> Response:
        return Response(events.escalation_payload(escalation), status=code)

    @extend_schema(
        summary="Escalations you may see: your agency's, or those of your provider's incidents",
        parameters=[OpenApiParameter("open", OpenApiTypes.BOOL, description="Only open ones (the board).")],
        responses={200: EscalationSerializer(many=True), **errors(401)},
    )
    def list(self, request: Request) -> Response:
        if request.query_params.get("open") in ("1", "true"):
            items = selectors.list_board_escalations(for_user=self.user)
        else:
            items = (
                policy.visible_escalations(self.user)
                .select_related("incident__site", "incident__category", "agency")
                .order_by("-requested_at")
            )
        page = self.paginate_queryset(items)
        return self.get_paginated_response([events.escalation_payload(e) for e in page or []])

    @extend_schema(summary="One escalation", responses={200: EscalationSerializer, **errors(400, 401, 404)})
    def retrieve(self, request: Request, id: str) -> Response:
        return self.render(self.escalation())

    @extend_schema(
        summary="Escalate an incident to its site's agency (supervisors; guards for severity 1)",
        request=EscalateSerializer,
        responses={201: EscalationSerializer, **errors(400, 401, 403, 404)},
    )
    def create(self, request: Request) -> Response:
        data = self.parse(EscalateSerializer, request.data)
        incident = incident_selectors.get_incident(incident_id=data["incident"], for_user=self.user)
        escalation = services.escalate_incident(incident=incident, by=self.user, reason=data["reason"])
        return self.render(escalation, status.HTTP_201_CREATED)

    @extend_schema(
        summary=f"Take one step: {STEPS_SUMMARY}",
        parameters=[OpenApiParameter("step", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(STEPS))],
        request=StepSerializer,
        responses={200: EscalationSerializer, **errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step>[a-z-]+)")
    def step(self, request: Request, id: str, step: str) -> Response:
        if step not in STEPS:
            raise serializers.ValidationError({"step": [f"Choose one of: {', '.join(STEPS)}."]})
        data = self.parse(StepSerializer, request.data)
        return self.render(STEPS[step].take(escalation=self.escalation(), by=self.user, values=data))

    @extend_schema(
        summary="Report the police side from the agency's CAD (idempotent by key or event id)",
        parameters=[
            OpenApiParameter(
                "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, description="Else event_id."
            )
        ],
        request=CadStatusSerializer,
        responses={200: CadStatusResultSerializer, **errors(400, 401, 403, 404), **CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="cad-status")
    def cad_status(self, request: Request, id: str) -> Response:
        data = self.parse(CadStatusSerializer, request.data)
        result = services.report_cad_status(
            escalation=self.escalation(),
            by=self.user,
            key=request.headers.get("Idempotency-Key") or data.get("event_id", ""),
            status=data["status"],
            cause=data.get("cause", ""),
            cause_code=data.get("cause_code", ""),
            disposition=data.get("disposition", ""),
            case_number=data.get("case_number", ""),
        )
        return Response(
            {
                "outcome": result.report.outcome,
                "replayed": result.replayed,
                "steps": result.report.steps,
                "escalation": events.escalation_payload(result.escalation),
            }
        )

    @extend_schema(
        summary="Post a message on the escalated incident",
        request=MessageSerializer,
        responses={201: OpenApiTypes.OBJECT, **errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def messages(self, request: Request, id: str) -> Response:
        data = self.parse(MessageSerializer, request.data)
        escalation = self.escalation()
        entry = services.post_message(incident=escalation.incident, by=self.user, text=data["text"])
        return Response(
            {"id": entry.pk, "text": data["text"], "at": entry.at}, status=status.HTTP_201_CREATED
        )


class PanicViewSet(ApiViewSet):
    serializer_class = PanicSerializer

    @extend_schema(
        summary="Press the panic button (guards): a severity-1 incident and its escalation at once",
        request=PanicSerializer,
        responses={201: OpenApiTypes.OBJECT, **errors(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        data = self.parse(PanicSerializer, request.data)
        incident, escalation, alerted = services.press_panic(
            guard=self.user,
            site=selectors.get_panic_site(guard=self.user, site_id=data.get("site")),
            idempotency_key=data["idempotency_key"],
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            accuracy_m=data.get("accuracy"),
        )
        body: dict[str, Any] = {"incident": str(incident.public_id), "reference": incident.reference}
        body["escalation"] = events.escalation_payload(escalation) if escalation else None
        body["alerted"] = alerted  # who was alerted, in the words the guard's screen shows
        return Response(body, status=status.HTTP_201_CREATED)


class BoardEventViewSet(ApiViewSet):
    serializer_class = BoardEventSerializer

    @extend_schema(
        summary="Your agency's board events numbered after `after`, in order (poll to replay)",
        parameters=[OpenApiParameter("after", OpenApiTypes.INT, default=0)],
        responses={200: BoardEventSerializer(many=True), **errors(400, 401, 403)},
    )
    def list(self, request: Request) -> Response:
        agency = policy.board_agency(self.user)
        if agency is None:
            raise PermissionDenied("Only an agency's liaisons and admins read its board.")
        after = parse_int(request.query_params.get("after", "0"))
        if after is None or after > ID_RANGE["max_value"]:
            raise serializers.ValidationError({"after": ["A whole number: the last sequence you have."]})
        records = selectors.list_board_events_after(agency_id=agency.pk, after=after, limit=500)
        return Response([events.as_message(record) for record in records])


class AgencyCategorySerializer(reference_api.s.CategorySerializer):
    """A category with its APCO common code and, for an agency's people, the agency's own CAD code."""

    cad_code = serializers.SerializerMethodField(
        help_text="Your agency's own CAD code for the category (null when you are not an agency's "
        "liaison or admin, or it has none)."
    )

    class Meta(reference_api.s.CategorySerializer.Meta):
        fields = [*reference_api.s.CategorySerializer.Meta.fields, "cad_code"]
        read_only_fields = fields

    def get_cad_code(self, category: Category) -> str | None:
        codes: dict[int, str] | None = self.context.get("cad_codes")
        return None if codes is None else codes.get(category.pk)


@extend_schema_view(
    list=extend_schema(
        summary="Incident categories, with their APCO codes and your agency's CAD codes",
        responses={200: AgencyCategorySerializer(many=True)},
    ),
    retrieve=extend_schema(summary="One category", responses={200: AgencyCategorySerializer, **errors(404)}),
)
class CategoryViewSet(reference_api.CategoryViewSet):
    """incidents' categories, with the agency's own CAD code that dispatch keeps."""

    serializer_class = AgencyCategorySerializer

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        agency = policy.cad_code_agency(self.request.user)
        context["cad_codes"] = None if agency is None else selectors.cad_codes_of(agency_id=agency.pk)
        return context
