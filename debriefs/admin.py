from django.contrib import admin

from debriefs.models import CorrectiveAction, Debrief, ResponseTarget
from incidents.admin import ReadOnlyAdmin


@admin.register(ResponseTarget)
class ResponseTargetAdmin(admin.ModelAdmin):
    """Response-time targets per agency or site (defaults: NENA 15 s to answer, NFPA 1225 60 s to process)."""

    list_display = ["interval", "agency", "site", "seconds", "percentile"]
    list_filter = ["interval", "agency"]
    autocomplete_fields = ["site"]


@admin.register(Debrief)
class DebriefAdmin(ReadOnlyAdmin):
    list_display = ["incident", "version", "status", "pdf_status", "approved_at"]
    list_filter = ["status", "pdf_status"]
    search_fields = ["incident__reference", "summary"]


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(ReadOnlyAdmin):
    list_display = ["what", "incident", "owner", "due_date", "status"]
    list_filter = ["status"]
