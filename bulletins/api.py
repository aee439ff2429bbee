"""The bulletins API: the live bulletins of your sites (or your agency's), one bulletin, and its
read receipt, for apps and integrations that show BOLOs outside the portal's pages."""

from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from bulletins import policy, selectors, services
from bulletins.models import Bulletin
from portal.api import ApiViewSet, errors, public_id
from portal.text import UNSTORABLE, storable


class BulletinSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    agency = serializers.CharField(source="agency.name")
    is_live = serializers.BooleanField()
    sites = serializers.SerializerMethodField(help_text="Your sites it reached (all of them for its agency).")

    class Meta:
        model = Bulletin
        fields = [
            "id",
            "series",
            "version",
            "msg_type",
            "status",
            "agency",
            "kind",
            "title",
            "description",
            "plate",
            "last_seen_where",
            "last_seen_at",
            "do_text",
            "dont_text",
            "urgency",
            "severity",
            "certainty",
            "change_note",
            "published_at",
            "expires_at",
            "is_live",
            "sites",
        ]

    def get_sites(self, bulletin: Bulletin) -> list[str]:
        user = self.context["request"].user
        if policy.can_see_receipts(user, bulletin):
            return [site.name for site in bulletin.sites.order_by("name")]
        return [site.name for site in selectors.answer_sites(bulletin=bulletin, for_user=user)]


class BulletinViewSet(ApiViewSet):
    queryset = Bulletin.objects.none()  # for the schema: every read goes through the selectors
    serializer_class = BulletinSerializer
    lookup_url_kwarg = "id"
    http_method_names = ["get", "post", "head", "options"]

    def _require_access(self) -> None:
        if not policy.can_open_bulletins(self.user):
            raise PermissionDenied("Bulletins are for the agencies and the sites' guards and supervisors.")

    def bulletin(self) -> Bulletin:
        return selectors.get_bulletin(bulletin_id=public_id(self.kwargs["id"]), for_user=self.user)

    @extend_schema(
        summary="Live bulletins for your sites (your agency's own); ?all=1 or ?q= searches them all",
        parameters=[
            OpenApiParameter("all", OpenApiTypes.BOOL, description="Expired and cancelled ones too."),
            OpenApiParameter("q", OpenApiTypes.STR, description="In the title, description, plate or place."),
        ],
        responses={200: BulletinSerializer(many=True), **errors(400, 401, 403)},
    )
    def list(self, request: Request) -> Response:
        self._require_access()
        query = str(request.query_params.get("q", "")).strip()[:100]
        if not storable(query):
            raise serializers.ValidationError({"q": UNSTORABLE})
        if request.query_params.get("all") in ("1", "true") or query:
            items = selectors.search_bulletins(for_user=self.user, query=query)
        else:
            items = selectors.list_live_bulletins(for_user=self.user)
        return self.page(items, BulletinSerializer)

    @extend_schema(
        summary="One bulletin version", responses={200: BulletinSerializer, **errors(400, 401, 404)}
    )
    def retrieve(self, request: Request, id: str) -> Response:
        return Response(BulletinSerializer(self.bulletin(), context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Mark it read (guards and supervisors of a site it reached)",
        request=None,
        responses={201: BulletinSerializer, **errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def read(self, request: Request, id: str) -> Response:
        bulletin = self.bulletin()
        services.mark_bulletin_read(bulletin=bulletin, by=self.user)
        data: dict[str, Any] = BulletinSerializer(bulletin, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)
