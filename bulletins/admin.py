from django.contrib import admin

from bulletins.models import Bulletin, ReadReceipt, Sighting


@admin.register(Bulletin)
class BulletinAdmin(admin.ModelAdmin):
    list_display = ("title", "agency", "kind", "version", "msg_type", "status", "published_at", "expires_at")
    list_filter = ("kind", "msg_type", "status")
    search_fields = ("title", "plate")
    readonly_fields = (
        "public_id",
        "series",
        "version",
        "msg_type",
        "published_by",
        "published_at",
        "superseded_at",
    )


admin.site.register(ReadReceipt)
admin.site.register(Sighting)
