from django.contrib import admin

from dispatch import selectors
from dispatch.models import AgencyCadCode, Escalation, EscalationRule, Jurisdiction, SiteFallback
from incidents.admin import ReadOnlyAdmin


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    """A site's rule: reports of these categories, or this severe, escalate by themselves."""

    list_display = ["site", "max_severity", "is_active"]
    list_filter = ["is_active"]
    autocomplete_fields = ["site"]
    filter_horizontal = ["categories"]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["incident", "agency", "status", "source", "requested_at", "accepted_at", "cleared_at"]
    list_filter = ["status", "source", "agency"]
    search_fields = ["incident__reference", "case_number"]


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    """An agency's area; the sites it holds are listed (their suggested agency)."""

    list_display = ["name", "agency"]
    list_filter = ["agency"]
    readonly_fields = ["sites_inside"]

    @admin.display(description="Active sites inside (by their coordinates)")
    def sites_inside(self, jurisdiction: Jurisdiction) -> str:
        if not jurisdiction.pk:
            return "—"
        return (
            ", ".join(str(site) for site in selectors.list_sites_inside(jurisdiction=jurisdiction)) or "None"
        )


@admin.register(SiteFallback)
class SiteFallbackAdmin(admin.ModelAdmin):
    """Mutual aid: a site's agencies after its primary one, in order."""

    list_display = ["site", "agency", "position"]
    autocomplete_fields = ["site", "agency"]


@admin.register(AgencyCadCode)
class AgencyCadCodeAdmin(admin.ModelAdmin):
    """An agency's own CAD codes for the categories (beside each category's APCO code)."""

    list_display = ["agency", "category", "apco_code", "cad_code", "description"]
    list_filter = ["agency"]
    search_fields = ["cad_code", "category__name", "agency__name"]

    @admin.display(description="APCO code")
    def apco_code(self, obj: AgencyCadCode) -> str:
        return obj.category.apco_code
