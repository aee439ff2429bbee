"""What a report's fields, parties and vehicles must be before a service stores them."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from incidents.models import PANIC_CATEGORY, Category, Incident, InvolvedParty, Severity
from portal.text import clean_text

MAX_TEXT = 20_000
MAX_ACCURACY_M = 1_000_000  # a position known no better than to 1,000 km is no position
CLOCK_SKEW = timedelta(minutes=10)
EDITABLE_FIELDS = (
    "category",
    "severity",
    "occurred_at",
    "location",
    "latitude",
    "longitude",
    "location_accuracy_m",
    "narrative",
)


@dataclass(frozen=True)
class PartyInput:
    role: str
    description: str
    name: str = ""
    contact: str = ""
    internal: bool = False


@dataclass(frozen=True)
class VehicleInput:
    description: str
    plate: str = ""


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


# Only the panic button files in the panic category (dispatch.services.press_panic): chosen on a form
# or through the API, it would look like an alarm while alerting no one.
PANIC_REFUSED = (
    "Panic / duress is raised only by the panic button (press and hold it): a report in that "
    "category would alert no one. Choose another category."
)


def clean_fields(fields: Mapping[str, Any], *, now: datetime, panic: bool = False) -> dict[str, Any]:
    """Validate the editable fields given; return them normalised. Raises one ValidationError for all.
    The panic category is accepted only from the panic button (``panic``)."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise ValueError(f"{name} is not an editable incident field")
        try:
            cleaned[name] = _clean_field(name, value, now=now)
            if name == "category" and not panic and getattr(cleaned[name], "code", None) == PANIC_CATEGORY:
                raise ValidationError(PANIC_REFUSED)
        except ValidationError as error:
            errors[name] = " ".join(error.messages)
    if ("latitude" in cleaned) != ("longitude" in cleaned) or (
        (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None)
    ):
        errors.setdefault("latitude", "Give both latitude and longitude, or neither.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_field(name: str, value: Any, *, now: datetime) -> Any:
    if name == "category":
        if value is None:
            return None
        category = value if isinstance(value, Category) else Category.objects.filter(pk=value).first()
        if category is None or not category.is_active:
            raise ValidationError("Choose one of the listed categories.")
        return category
    if name == "severity":
        if value in (None, ""):
            return None
        try:
            severity = int(value)
        except (TypeError, ValueError):
            raise ValidationError("Severity is 1 (life-threatening) to 4 (informational).") from None
        if severity not in Severity.values:
            raise ValidationError("Severity is 1 (life-threatening) to 4 (informational).")
        return severity
    if name == "occurred_at":
        if not isinstance(value, datetime) or timezone.is_naive(value):
            raise ValidationError("Give the date and time it happened, with its time zone.")
        if value > now + CLOCK_SKEW:
            raise ValidationError("The time it happened cannot be in the future.")
        return value
    if name in ("latitude", "longitude"):
        if value in (None, ""):
            return None
        limit = 90 if name == "latitude" else 180
        try:
            number = Decimal(str(value)).quantize(Decimal("0.000001"))
        except (InvalidOperation, ValueError):
            raise ValidationError(f"The {name} must be a number.") from None
        if not number.is_finite() or not -limit <= number <= limit:
            raise ValidationError(f"The {name} must lie between -{limit} and {limit}.")
        return number
    if name == "location_accuracy_m":
        if value in (None, ""):
            return None
        try:
            accuracy = int(float(value))
        except (TypeError, ValueError, OverflowError):
            raise ValidationError("The accuracy must be a whole number of metres.") from None
        if accuracy > MAX_ACCURACY_M:
            raise ValidationError(f"The accuracy must be at most {MAX_ACCURACY_M:,} metres.")
        return max(accuracy, 0)
    return clean_text(str(value or ""), field=name, limit=200 if name == "location" else MAX_TEXT)


def require_complete(incident: Incident) -> None:
    """A report is sent only with its category and severity."""
    errors = {}
    if incident.category_id is None:
        errors["category"] = "Choose a category before sending the report."
    if incident.severity is None:
        errors["severity"] = "Choose a severity before sending the report."
    if errors:
        raise ValidationError(errors)


def clean_party(party: PartyInput) -> PartyInput:
    if party.role not in InvolvedParty.Role.values:
        raise ValidationError(
            {"parties": "A party is a subject, victim, witness, reporting person, minor or other."}
        )
    description = clean_text(party.description, field="parties", limit=MAX_TEXT, what="a description")
    if not description:
        raise ValidationError({"parties": "Describe each person involved."})
    return PartyInput(
        role=party.role,
        description=description,
        name=clean_text(party.name, field="parties", limit=200, what="a name"),
        contact=clean_text(party.contact, field="parties", limit=200, what="a contact"),
        internal=bool(party.internal),
    )


def clean_vehicle(vehicle: VehicleInput) -> VehicleInput:
    description = clean_text(vehicle.description, field="vehicles", limit=200, what="a description")
    plate = clean_text(vehicle.plate.upper(), field="vehicles", limit=20, what="a plate")
    if not description and not plate:
        raise ValidationError({"vehicles": "Give a plate or a description for each vehicle."})
    return VehicleInput(description=description, plate=plate)
