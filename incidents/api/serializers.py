"""What the API reads and writes. Input serializers only parse types; the services own the rules."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts import selectors as account_selectors
from accounts.models import Organization, Site, User
from incidents import selectors
from incidents.models import (
    Category,
    CustodyEvent,
    Evidence,
    Incident,
    InvolvedParty,
    Severity,
    TimelineEntry,
    Vehicle,
)
from portal.api import ID_RANGE
from portal.text import storable

# --- Input ----------------------------------------------------------------------------------


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so that a misspelt field is an error and not silently ignored."""

    also_allowed: tuple[str, ...] = ()

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields) - set(self.also_allowed))
            if unknown:
                known = ", ".join([*self.fields, *self.also_allowed])
                raise serializers.ValidationError(
                    {name: [f"Unknown field. Known fields: {known}."] for name in unknown}
                )
        return super().to_internal_value(data)


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 moment that must carry its time zone: a reporter's device may be anywhere."""

    default_error_messages = {
        "naive": "Give the time zone too, e.g. 2026-03-01T14:05:00+01:00 or 2026-03-01T13:05:00Z."
    }

    def enforce_timezone(self, value: datetime) -> datetime:
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


def _site_field(**kwargs: Any) -> serializers.PrimaryKeyRelatedField:
    return serializers.PrimaryKeyRelatedField(
        queryset=Site.objects.none(),
        error_messages={
            "does_not_exist": "No site {pk_value} among the sites you can see.",
            "incorrect_type": "Give the site's numeric id (see /api/v1/sites/).",
        },
        **kwargs,
    )


class CodeField(serializers.SlugRelatedField):
    """A row by its code; a code no column can hold (a NUL) is unknown, not a database error."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and not storable(data):
            self.fail("invalid")
        return super().to_internal_value(data)


def _category_field(**kwargs: Any) -> serializers.SlugRelatedField:
    return CodeField(
        slug_field="code",
        queryset=selectors.list_categories(),
        error_messages={
            "does_not_exist": "No active category with the code {value} (see /api/v1/categories/).",
            "invalid": "Give the category's code (see /api/v1/categories/).",
        },
        help_text="The category's code (see /api/v1/categories/).",
        **kwargs,
    )


class PartyInputSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=InvolvedParty.Role.choices)
    description = serializers.CharField(help_text="What they look like, what they did.")
    name = serializers.CharField(required=False, allow_blank=True, default="")
    contact = serializers.CharField(required=False, allow_blank=True, default="")
    internal = serializers.BooleanField(
        required=False, default=False, help_text="The provider's own: never shown to an agency."
    )


class VehicleInputSerializer(StrictSerializer):
    plate = serializers.CharField(required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")


class _IncidentFieldsSerializer(StrictSerializer):
    category = _category_field(required=False, allow_null=True)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, allow_null=True)
    occurred_at = AwareDateTimeField(required=False, help_text="When it happened; defaults to now.")
    location = serializers.CharField(
        required=False, allow_blank=True, help_text="The place on the site, e.g. 'loading bay 2'."
    )
    latitude = serializers.FloatField(required=False, allow_null=True)
    longitude = serializers.FloatField(required=False, allow_null=True)
    location_accuracy_m = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    narrative = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class IncidentCreateSerializer(_IncidentFieldsSerializer):
    idempotency_key = serializers.UUIDField(
        help_text="A UUID the client makes up once per report: retrying with it returns the first incident."
    )
    site = _site_field(help_text="The site's id (see /api/v1/sites/).")
    submit = serializers.BooleanField(
        default=True, help_text="Send the report to the supervisors now (true), or keep it as a draft."
    )
    device_time = AwareDateTimeField(
        required=False, allow_null=True, help_text="The reporting device's clock when it sent the report."
    )
    parties = PartyInputSerializer(many=True, required=False)
    vehicles = VehicleInputSerializer(many=True, required=False)
    as_drill = serializers.BooleanField(
        default=False,
        help_text="Part of the drill running at the site (refused when none is): marked EXERCISE.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["site"].queryset = account_selectors.list_sites(for_user=request.user)  # type: ignore[attr-defined]


class IncidentUpdateSerializer(_IncidentFieldsSerializer):
    version = serializers.IntegerField(
        min_value=1,
        help_text="The version you read. If the incident changed since, nothing is saved and you get 409.",
    )


class VersionSerializer(StrictSerializer):
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you read (optional): a change since gives 409."
    )


class RequestInfoSerializer(VersionSerializer):
    comment = serializers.CharField(allow_blank=True, help_text="What information is missing.")


class CloseSerializer(VersionSerializer):
    resolution = serializers.CharField(allow_blank=True, help_text="How the incident was resolved.")
    confirm = serializers.BooleanField(
        default=False,
        help_text=(
            "Close although a panic is active or the police response is open. Without it such a close "
            'is refused with code "confirm_close" and the reasons.'
        ),
    )


class NoteInputSerializer(StrictSerializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)
    internal = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Internal: seen by the provider only, never by an agency. Default: shared with the "
        "agencies the incident is shared with.",
    )


class IncidentFilterSerializer(StrictSerializer):
    """The list's query parameters."""

    also_allowed = ("format",)

    cursor = serializers.CharField(
        required=False,
        max_length=400,
        help_text=(
            "Where the page starts: the `next` or `previous` link of the page before carries it. "
            "Absent: the first page. Opaque; it stays valid while the list's filters are the same."
        ),
    )
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=200, default=50, help_text="Rows per page (at most 200)."
    )
    page = serializers.IntegerField(
        required=False,
        help_text=(
            "Retired: page numbers are answered with 400 (code `page_retired`) beyond page 1; "
            "follow the `next` link (a cursor) instead."
        ),
    )
    site = serializers.IntegerField(required=False, help_text="A site's id.", **ID_RANGE)
    status = serializers.ChoiceField(choices=Incident.Status.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    category = CodeField(
        slug_field="code",
        queryset=Category.objects.all(),
        required=False,
        help_text="A category's code.",
        error_messages={"does_not_exist": "No category with the code {value}."},
    )
    reporter = serializers.IntegerField(required=False, help_text="The reporter's user id.", **ID_RANGE)
    received_from = serializers.DateField(required=False, help_text="Received on or after this day.")
    received_to = serializers.DateField(required=False, help_text="Received on or before this day.")
    q = serializers.CharField(
        required=False, max_length=200, help_text="Full-text search: reference, narrative, place, people."
    )
    ordering = serializers.ChoiceField(choices=list(selectors.SORTS), default="newest")
    drills = serializers.ChoiceField(
        choices=list(selectors.DRILL_CHOICES),
        default="hide",
        help_text="Drill (EXERCISE) incidents: hidden by default, included, or only them.",
    )

    def validate_page(self, value: int) -> int:
        if value != 1:
            raise serializers.ValidationError(
                "Page numbers are retired on this list (counting a million rows to find page "
                f"{value} was the slow part): follow the `next` link of each page, which carries a cursor.",
                code="page_retired",
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("received_from"), attrs.get("received_to")
        if start and end and start > end:
            raise serializers.ValidationError({"received_to": "The end comes before the start."})
        return attrs

    def filters(self) -> selectors.IncidentFilters:
        data = self.validated_data
        category = data.get("category")
        return selectors.IncidentFilters(
            site=data.get("site"),
            status=data.get("status"),
            severity=data.get("severity"),
            category=category.pk if category else None,
            reporter=data.get("reporter"),
            received_from=data.get("received_from"),
            received_to=data.get("received_to"),
            text=data.get("q", ""),
            sort=data["ordering"],
            drills=data["drills"],
        )


# --- Output ---------------------------------------------------------------------------------


class IncidentPageSerializer(serializers.Serializer):
    """A keyset page of incidents (for the schema; the view builds the same shape)."""

    count = serializers.IntegerField(help_text="Rows that match, counted up to 1,000 (see count_capped).")
    count_capped = serializers.BooleanField(help_text="More than 1,000 match: show it as “1,000+”.")
    next = serializers.URLField(allow_null=True, help_text="The older rows (the next page), with its cursor.")
    previous = serializers.URLField(
        allow_null=True, help_text="The newer rows (the page before), with its cursor."
    )
    results = serializers.ListField(child=serializers.DictField())


class UserRefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="get_full_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "name"]
        read_only_fields = fields


class OrganizationRefSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "name", "kind"]
        read_only_fields = fields


class SiteRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "code", "name"]
        read_only_fields = fields


class SiteSerializer(serializers.ModelSerializer):
    provider = OrganizationRefSerializer(read_only=True)
    agency = OrganizationRefSerializer(read_only=True, allow_null=True)
    latitude = serializers.FloatField(read_only=True, allow_null=True)
    longitude = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Site
        fields = [
            "id",
            "code",
            "name",
            "address",
            "latitude",
            "longitude",
            "time_zone",
            "is_active",
            "provider",
            "agency",
        ]
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["code", "name", "apco_code", "default_severity"]
        read_only_fields = fields


class CategoryRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["code", "name"]
        read_only_fields = fields


class PartySerializer(serializers.Serializer):
    """A person involved, as the reader sees it (incidents.disclosure.PartyView). Name and contact are
    null for those who may not see personal data, or when the agency's redaction profile withholds
    them (``withheld`` names them; ``initials`` says the name is shortened)."""

    role = serializers.ChoiceField(choices=InvolvedParty.Role.choices, read_only=True)
    role_label = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True, allow_null=True, help_text="Null when withheld from you.")
    contact = serializers.CharField(read_only=True, allow_null=True, help_text="Null when withheld from you.")
    internal = serializers.BooleanField(
        read_only=True, help_text="The provider's own (never shown to an agency)."
    )
    withheld = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Fields withheld from you until released."
    )
    initials = serializers.BooleanField(read_only=True, help_text="The name is shown as initials.")
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        for name in InvolvedParty.PERSONAL_DATA_FIELDS:
            if not self.context.get("personal_data") or name in data["withheld"]:
                data[name] = None
        return data


class VehicleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vehicle
        fields = ["plate", "description", "created_at"]
        read_only_fields = fields


class IncidentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    severity_label = serializers.CharField(source="get_severity_display", read_only=True, allow_null=True)
    site = SiteRefSerializer(read_only=True)
    category = CategoryRefSerializer(read_only=True, allow_null=True)
    reporter = UserRefSerializer(read_only=True)
    latitude = serializers.FloatField(read_only=True, allow_null=True)
    longitude = serializers.FloatField(read_only=True, allow_null=True)
    cap_status = serializers.CharField(
        read_only=True, help_text="CAP 1.2 status: Exercise for a drill's incident, else Actual."
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "reference",
            "version",
            "status",
            "status_label",
            "exercise",
            "cap_status",
            "severity",
            "severity_label",
            "category",
            "site",
            "reporter",
            "occurred_at",
            "received_at",
            "submitted_at",
            "closed_at",
            "updated_at",
            "location",
            "latitude",
            "longitude",
        ]
        read_only_fields = fields


class IncidentDetailSerializer(IncidentSerializer):
    parties = serializers.SerializerMethodField(help_text="As you may see them (redacted for an agency).")
    vehicles = VehicleSerializer(many=True, read_only=True)

    class Meta(IncidentSerializer.Meta):
        fields = [
            *IncidentSerializer.Meta.fields,
            "location_accuracy_m",
            "device_time",
            "narrative",
            "resolution",
            "parties",
            "vehicles",
        ]
        read_only_fields = fields

    @extend_schema_field(PartySerializer(many=True))
    def get_parties(self, incident: Incident) -> list[dict[str, Any]]:
        # The view hands the reader's parties (incidents' list_parties), never incident.parties.
        rows = self.context.get("parties", [])
        return list(PartySerializer(rows, many=True, context=self.context).data)


class TimelineEntrySerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    actor = UserRefSerializer(read_only=True, allow_null=True)
    # A field named like Serializer.data: DRF's metaclass moves declared fields off the class.
    data = serializers.DictField(  # type: ignore[assignment]
        read_only=True, help_text="What changed; its keys depend on the kind."
    )

    class Meta:
        model = TimelineEntry
        fields = ["at", "kind", "kind_label", "actor", "data", "internal"]
        read_only_fields = fields


class NoteSerializer(serializers.ModelSerializer):
    author = UserRefSerializer(source="actor", read_only=True, allow_null=True)
    text = serializers.CharField(source="data.text", read_only=True)

    class Meta:
        model = TimelineEntry
        fields = ["at", "author", "text", "internal"]
        read_only_fields = fields


class CustodyEventSerializer(serializers.ModelSerializer):
    actor = UserRefSerializer(read_only=True)

    class Meta:
        model = CustodyEvent
        fields = ["action", "actor", "at"]
        read_only_fields = fields


class EvidenceSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    uploaded_by = UserRefSerializer(read_only=True)
    supersedes: serializers.SlugRelatedField[Evidence] = serializers.SlugRelatedField(
        slug_field="public_id", read_only=True, allow_null=True, help_text="The evidence this replaces."
    )

    class Meta:
        model = Evidence
        fields = [
            "id",
            "kind",
            "content_type",
            "original_name",
            "size",
            "sha256",
            "description",
            "internal",
            "version",
            "supersedes",
            "uploaded_by",
            "uploaded_at",
        ]
        read_only_fields = fields


class EvidenceDetailSerializer(EvidenceSerializer):
    incident: serializers.SlugRelatedField[Incident] = serializers.SlugRelatedField(
        slug_field="public_id", read_only=True
    )
    custody = CustodyEventSerializer(many=True, read_only=True)

    class Meta(EvidenceSerializer.Meta):
        fields = [*EvidenceSerializer.Meta.fields, "incident", "custody"]
        read_only_fields = fields


class EvidenceUploadSerializer(StrictSerializer):
    file = serializers.FileField(allow_empty_file=False)
    sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$",
        required=False,
        help_text="The SHA-256 (hex) the client computed: a mismatch means the file was damaged on the way.",
        error_messages={"invalid": "Give the SHA-256 as 64 hexadecimal characters."},
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")
    internal = serializers.BooleanField(
        required=False, default=False, help_text="The provider's own: never shown to an agency."
    )
    supersedes = serializers.UUIDField(
        required=False, help_text="The id of the evidence this file replaces (a new version of it)."
    )
