from django.contrib import admin

from preparedness.models import Briefing, CommunityEvent, Drill, Plan


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("title", "site", "kind", "scenario")
    list_filter = ("kind", "scenario")
    readonly_fields = ("created_by",)


@admin.register(Drill)
class DrillAdmin(admin.ModelAdmin):
    list_display = ("title", "site", "scenario", "starts_at", "ends_at", "closed_at")
    readonly_fields = ("scheduled_by", "closed_at")


@admin.register(Briefing)
class BriefingAdmin(admin.ModelAdmin):
    list_display = ("title", "provider", "agency", "starts_at", "recurrence")


@admin.register(CommunityEvent)
class CommunityEventAdmin(admin.ModelAdmin):
    # Residents' registrations are not shown here: only the organizers' page lists them.
    list_display = ("title", "kind", "starts_at", "capacity", "registered_count", "residents_deleted_at")
