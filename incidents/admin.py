from django.contrib import admin
from django.http import HttpRequest

from incidents.models import Category, Incident, TimelineEntry


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """Platform admins edit the category list (mapped to APCO ANS 2.103 codes where one fits)."""

    list_display = ["name", "code", "apco_code", "default_severity", "position", "is_active"]
    list_editable = ["apco_code", "default_severity", "position", "is_active"]
    list_filter = ["is_active", "default_severity"]
    search_fields = ["name", "code", "apco_code"]
    prepopulated_fields = {"code": ["name"]}


class ReadOnlyAdmin(admin.ModelAdmin):
    """Incidents change only through the services (timeline, audit, events): the admin only reads."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    fields = ["at", "kind", "actor", "data"]
    readonly_fields = ["at", "kind", "actor", "data"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["reference", "site", "category", "severity", "status", "received_at"]
    list_filter = ["status", "severity", "category", "site__provider"]
    search_fields = ["reference", "narrative"]
    date_hierarchy = "received_at"
    inlines = [TimelineInline]
