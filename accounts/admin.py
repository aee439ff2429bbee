from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import (
    Invitation,
    Membership,
    Organization,
    Partnership,
    Site,
    SiteAssignment,
    User,
)


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = True
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "membership__role", "membership__organization"]
    search_fields = ["email", "full_name"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "full_name", "password"]}),
        (
            "Access",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]})
    ]
    readonly_fields = ["last_login", "date_joined"]


class SiteInline(admin.TabularInline):
    model = Site
    fk_name = "provider"
    extra = 0
    fields = ["name", "code", "agency", "time_zone", "is_active"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "debrief_reviewers", "created_at"]
    list_filter = ["kind", "debrief_reviewers"]
    search_fields = ["name"]


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ["provider", "agency", "is_active", "created_at"]
    list_filter = ["is_active"]
    autocomplete_fields = ["provider", "agency"]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "provider", "agency", "time_zone", "is_active"]
    list_filter = ["is_active", "provider", "agency"]
    search_fields = ["name", "code", "address"]
    autocomplete_fields = ["provider", "agency"]


@admin.register(SiteAssignment)
class SiteAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "site", "created_at"]
    autocomplete_fields = ["user", "site"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "organization",
        "role",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["role", "organization"]
    readonly_fields = ["token_hash", "invited_by", "created_at", "accepted_at"]
    exclude = ["sites"]
