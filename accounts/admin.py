from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models

from accounts.models import (
    Invitation,
    Membership,
    Organization,
    Partnership,
    Site,
    SiteAssignment,
    User,
)
from portal import zones


class ZoneChoices:
    """A time-zone field is a choice among the tz database's names, not free text."""

    def formfield_for_dbfield(self, db_field: "models.Field[Any, Any]", request: Any, **kwargs: Any) -> Any:
        if db_field.name == "time_zone":
            blank = [("", "— their organization's —")] if db_field.blank else []
            return forms.TypedChoiceField(
                choices=[*blank, *zones.zone_choices()],
                required=not db_field.blank,
                initial=db_field.get_default(),
                label=db_field.verbose_name.capitalize(),
                help_text=db_field.help_text,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = True
    extra = 0


@admin.register(User)
class UserAdmin(ZoneChoices, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "membership__role", "membership__organization"]
    search_fields = ["email", "full_name"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "full_name", "password", "time_zone"]}),
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


class SiteInline(ZoneChoices, admin.TabularInline):
    model = Site
    fk_name = "provider"
    extra = 0
    fields = ["name", "code", "agency", "time_zone", "is_active"]


@admin.register(Organization)
class OrganizationAdmin(ZoneChoices, admin.ModelAdmin):
    list_display = ["name", "kind", "time_zone", "debrief_reviewers", "created_at"]
    list_filter = ["kind", "debrief_reviewers"]
    search_fields = ["name"]


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ["provider", "agency", "is_active", "created_at"]
    list_filter = ["is_active"]
    autocomplete_fields = ["provider", "agency"]


@admin.register(Site)
class SiteAdmin(ZoneChoices, admin.ModelAdmin):
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
