"""The reference data a client needs to file a report: the categories and the sites it may see."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from accounts import selectors as account_selectors
from accounts.models import Site
from incidents import selectors
from incidents.api import serializers as s
from incidents.models import Category
from portal.api import ApiViewSet, errors


@extend_schema_view(
    list=extend_schema(summary="Incident categories", responses={200: s.CategorySerializer(many=True)}),
    retrieve=extend_schema(summary="One category", responses={200: s.CategorySerializer, **errors(404)}),
)
class CategoryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = s.CategorySerializer
    queryset = Category.objects.none()
    lookup_field = "code"
    lookup_value_regex = r"[-\w]+"  # a slug: anything else is no category (404), not a query

    def get_queryset(self) -> QuerySet[Category]:
        return selectors.list_categories()


@extend_schema_view(
    list=extend_schema(summary="Sites you may see", responses={200: s.SiteSerializer(many=True)}),
    retrieve=extend_schema(summary="One site", responses={200: s.SiteSerializer, **errors(404)}),
)
class SiteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = s.SiteSerializer
    queryset = Site.objects.none()

    def get_queryset(self) -> QuerySet[Site]:
        return account_selectors.list_sites(for_user=self.request.user)
