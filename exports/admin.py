from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from exports import signing
from exports.models import Bundle


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin):
    """Bundles are made by the export service only; the list shows the signing key's fingerprint."""

    list_display = ("incident", "purpose", "requested_by", "requested_at", "status", "key_fingerprint")
    list_filter = ("status",)
    search_fields = ("incident__reference", "purpose", "sha256")
    readonly_fields = [field.name for field in Bundle._meta.fields]
    change_list_template = "admin/exports/bundle/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            key = {"fingerprint": signing.key_fingerprint(), "problem": ""}
        except signing.SigningKeyMissing as missing:
            key = {"fingerprint": "", "problem": str(missing)}
        return super().changelist_view(request, {**(extra_context or {}), "signing_key": key})
