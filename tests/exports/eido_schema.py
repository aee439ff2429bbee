"""The project's EIDO schema (docs/eido/eido-schema.yaml, written from NENA-STA-021; NENA's published
openapi.yaml is not redistributed here) as a JSON Schema validator, for the tests that check a document
is an EIDO (the API's and the one webhooks receive). The NIEM Core types it names for persons and
vehicles resolve to docs/eido/niem-core-subset.yaml; both are closed, so a name the standard does not
have fails. Times are checked as RFC 3339 date-times (with their offset)."""

import re
from datetime import datetime
from pathlib import Path

import jsonschema
import yaml
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.processes import ROOT

DOCS = ROOT / "docs" / "eido"
SCHEMA = DOCS / "eido-schema.yaml"
NIEM_CORE = DOCS / "niem-core-subset.yaml"
REGISTRIES = DOCS / "registries.yaml"
BASE = "https://watchpost.invalid/docs/eido/"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")

formats = jsonschema.FormatChecker(formats=())


@formats.checks("date-time")
def _is_date_time(value: object) -> bool:
    """RFC 3339's date-time (jsonschema checks it only with an optional package, not installed here)."""
    if not isinstance(value, str):
        return True  # the type is another keyword's business
    if not RFC3339.match(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def validator() -> jsonschema.Draft202012Validator:
    schema = yaml.safe_load(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    registry = Registry().with_resources(
        (BASE + path.name, DRAFT202012.create_resource(yaml.safe_load(Path(path).read_text())))
        for path in (SCHEMA, NIEM_CORE)
    )
    root = {"$ref": BASE + SCHEMA.name}
    return jsonschema.Draft202012Validator(root, registry=registry, format_checker=formats)


def problems_of(document: dict) -> list[str]:
    """What the schema finds wrong, and any registry-bound value not in STA-021's registry."""
    found = [f"{list(e.absolute_path)}: {e.message}" for e in validator().iter_errors(document)]
    registries = yaml.safe_load(Path(REGISTRIES).read_text())
    bound = [
        ("personComponent", "personIncidentRoleRegistryText", "EIDO-PersonRole"),
        ("vehicleComponent", "vehicleRelationshipType", "EIDO-VehicleRelationshipType"),
        ("locationComponent", "locationTypeDescriptionRegistryText", "EIDO-LocationType"),
    ]
    for component, field, name in bound:
        for index, item in enumerate(document.get(component) or []):
            values = item.get(field)
            for value in values if isinstance(values, list) else [values]:
                if value not in registries[name]:
                    found.append(f"[{component!r}, {index}, {field!r}]: {value!r} is not in {name}")
    return found
