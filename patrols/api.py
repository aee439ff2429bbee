"""The patrols API: shifts, scans, check-ins and daily activity reports, through the same services
and policy as the pages."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role
from accounts.policy import has_role
from patrols import policy, selectors, services
from patrols.models import CheckIn, DailyReport, Scan, Shift
from portal.api import ID_RANGE, ApiViewSet, errors, public_id


class ShiftSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    guard = serializers.CharField()
    site = serializers.IntegerField(source="site_id")
    site_name = serializers.CharField(source="site.name")
    started_at = serializers.DateTimeField()
    planned_end_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField(source="is_overdue", help_text="Open past its planned end.")
    last_checkin_at = serializers.DateTimeField(allow_null=True)
    start_reason = serializers.CharField()
    end_reason = serializers.CharField()
    notes = serializers.CharField()


class StartSerializer(serializers.Serializer):
    site = serializers.IntegerField(help_text="One of your sites.", **ID_RANGE)
    hours = serializers.DecimalField(
        max_digits=4, decimal_places=1, default=Decimal(8), help_text="Planned length in hours."
    )
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)


class EndSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)


class ScanInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=120, help_text="The QR code's text or the short code typed.")
    idempotency_key = serializers.CharField(max_length=64, help_text="The same key again counts once.")
    device_at = serializers.DateTimeField(required=False, help_text="The device's clock at the scan.")
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)


class ScanSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    outcome = serializers.ChoiceField(choices=Scan.Outcome.choices)
    refusal = serializers.CharField()
    checkpoint = serializers.CharField(source="checkpoint.name", allow_null=True, default=None)
    received_at = serializers.DateTimeField()
    device_at = serializers.DateTimeField(allow_null=True)
    skew_seconds = serializers.IntegerField(
        allow_null=True, help_text="Device minus server, never corrected."
    )
    skew_flagged = serializers.BooleanField()


class CheckInInSerializer(serializers.Serializer):
    idempotency_key = serializers.CharField(max_length=64)
    device_at = serializers.DateTimeField(required=False)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)


class CheckInSerializer(serializers.Serializer):
    received_at = serializers.DateTimeField()
    device_at = serializers.DateTimeField(allow_null=True)
    skew_seconds = serializers.IntegerField(allow_null=True)
    skew_flagged = serializers.BooleanField()


class ReportSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    site = serializers.IntegerField(source="site_id")
    day = serializers.DateField()
    shift = serializers.UUIDField(source="shift.public_id", allow_null=True, default=None)
    status = serializers.ChoiceField(choices=DailyReport.Status.choices)
    pdf_sha256 = serializers.CharField()
    generated_at = serializers.DateTimeField(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    content = serializers.DictField(
        help_text="What the report says: shifts, rounds, scans, check-ins, incidents."
    )


def _place(data: dict[str, Any]) -> dict[str, Any]:
    return {"latitude": data.get("latitude"), "longitude": data.get("longitude")}


class ShiftViewSet(ApiViewSet):
    queryset = Shift.objects.none()
    serializer_class = ShiftSerializer
    lookup_url_kwarg = "id"
    http_method_names = ["get", "post", "head", "options"]

    def shift(self) -> Shift:
        return selectors.get_shift(shift_id=public_id(self.kwargs["id"]), for_user=self.user)

    @extend_schema(summary="Shifts you may see: a guard's own; a provider's, for its supervisors and admins")
    def list(self, request: Request) -> Response:
        items = policy.visible_shifts(self.user).select_related("site", "guard").order_by("-started_at")
        return self.page(items, ShiftSerializer)

    @extend_schema(summary="One shift", responses={200: ShiftSerializer, **errors(400, 401, 404)})
    def retrieve(self, request: Request, id: str) -> Response:
        return Response(ShiftSerializer(self.shift()).data)

    @extend_schema(
        summary="Start your shift at one of your sites (guards)",
        request=StartSerializer,
        responses={201: ShiftSerializer, **errors(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        if not has_role(self.user, Role.GUARD):
            raise PermissionDenied("Guards start their own shifts; supervisors use the patrol board.")
        data = self.parse(StartSerializer, request.data)
        site = selectors.list_workable_sites(guard=self.user).filter(pk=data["site"]).first()
        if site is None:
            raise PermissionDenied("That is not one of your sites.")
        shift = services.start_shift(
            guard=self.user, site=site, by=self.user, hours=data["hours"], **_place(data)
        )
        return Response(ShiftSerializer(shift).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="End a shift: the guard's own, or a guard's by a supervisor of the site (with a reason)",
        request=EndSerializer,
        responses={200: ShiftSerializer, **errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def end(self, request: Request, id: str) -> Response:
        shift = self.shift()
        if shift.guard_id != self.user.pk and not policy.supervises_site(self.user, shift.site):
            raise PermissionDenied("Only the guard or a supervisor of the site ends this shift.")
        data = self.parse(EndSerializer, request.data)
        ended = services.end_shift(
            shift=shift, by=self.user, reason=data["reason"], notes=data.get("notes"), **_place(data)
        )
        return Response(ShiftSerializer(ended).data)


class ScanViewSet(ApiViewSet):
    serializer_class = ScanSerializer

    @extend_schema(
        summary="Record a scan of a checkpoint on your open shift (guards)",
        description=(
            "201: recorded, accepted or refused (`outcome`, `refusal`: an unknown code or another "
            "site's is refused and recorded). 200: the same scan again (same key, or the same "
            "checkpoint within seconds), counted once. 400 outside a shift: start one first."
        ),
        request=ScanInSerializer,
        responses={201: ScanSerializer, 200: ScanSerializer, **errors(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        if not has_role(self.user, Role.GUARD):
            raise PermissionDenied("Only guards scan checkpoints.")
        data = self.parse(ScanInSerializer, request.data)
        result = services.record_scan(
            guard=self.user,
            code=data["code"],
            idempotency_key=data["idempotency_key"],
            method=Scan.Method.API,
            device_at=data.get("device_at"),
            **_place(data),
        )
        body = {**ScanSerializer(result.scan).data, "message": result.message}
        return Response(body, status=status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED)


class CheckInViewSet(ApiViewSet):
    serializer_class = CheckInSerializer

    @extend_schema(
        summary="\"I'm OK\": a lone worker's check-in on their open shift (guards)",
        request=CheckInInSerializer,
        responses={201: CheckInSerializer, **errors(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        if not has_role(self.user, Role.GUARD):
            raise PermissionDenied("Only guards check in.")
        data = self.parse(CheckInInSerializer, request.data)
        checkin: CheckIn = services.check_in(
            guard=self.user,
            idempotency_key=data["idempotency_key"],
            device_at=data.get("device_at"),
            **_place(data),
        )
        return Response(CheckInSerializer(checkin).data, status=status.HTTP_201_CREATED)


class DailyReportViewSet(ApiViewSet):
    queryset = DailyReport.objects.none()
    serializer_class = ReportSerializer
    lookup_url_kwarg = "id"
    http_method_names = ["get", "head", "options"]

    def report(self) -> DailyReport:
        return selectors.get_report(report_id=public_id(self.kwargs["id"]), for_user=self.user)

    @extend_schema(summary="Daily activity reports you may see")
    def list(self, request: Request) -> Response:
        items = policy.visible_reports(self.user).select_related("shift").order_by("-day", "-created_at")
        return self.page(items, ReportSerializer)

    @extend_schema(
        summary="One daily activity report", responses={200: ReportSerializer, **errors(400, 401, 404)}
    )
    def retrieve(self, request: Request, id: str) -> Response:
        return Response(ReportSerializer(self.report()).data)

    @extend_schema(
        summary="The report's PDF (its SHA-256 is `pdf_sha256`)",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **errors(400, 401, 404)},
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, id: str) -> FileResponse:
        report = self.report()
        if not report.pdf:
            raise Http404("The report's PDF is not ready yet.")
        return FileResponse(
            report.pdf.open("rb"), content_type="application/pdf", filename=f"dar-{report.day}.pdf"
        )
