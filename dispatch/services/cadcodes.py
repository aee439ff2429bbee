"""An agency's own CAD codes: each category mapped to what the agency's dispatch system calls it
(beside the category's APCO common code). Kept by the agency's org admins; every change is audited."""

from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import Organization, User
from audit import services as audit
from dispatch import policy
from dispatch.models import AgencyCadCode
from incidents.models import Category

CAD_CODE_LENGTH = 40


def _clean(category: Category, value: str) -> str:
    code = (value or "").strip()
    if len(code) > CAD_CODE_LENGTH:
        raise ValidationError(
            {category.code: f"Keep {category.name}'s CAD code to {CAD_CODE_LENGTH} characters."}
        )
    if not code.isprintable():
        raise ValidationError(
            {category.code: f"{category.name}'s CAD code may hold only printable characters."}
        )
    return code


@transaction.atomic
def save_cad_codes(*, agency: Organization, by: User, codes: Mapping[str, str]) -> dict[str, str]:
    """Set the agency's CAD code of each category named (by category code) in ``codes``; a blank
    code removes the mapping. Every code is checked before anything is written. Returns what
    changed, as {category code: new code ("" when removed)}."""
    if not policy.can_edit_cad_codes(by, agency):
        raise PermissionDenied("Only the agency's own org admins map its CAD codes.")
    categories = {category.code: category for category in Category.objects.filter(code__in=list(codes))}
    unknown = sorted(set(codes) - set(categories))
    if unknown:
        raise ValidationError(f"No category with the code {', '.join(unknown)}.")
    cleaned = {code: _clean(categories[code], value) for code, value in codes.items()}
    current = {
        row.category_id: row for row in AgencyCadCode.objects.select_for_update().filter(agency=agency)
    }
    changed: dict[str, str] = {}
    for code, value in cleaned.items():
        category = categories[code]
        row = current.get(category.pk)
        if row is None and value:
            AgencyCadCode.objects.create(agency=agency, category=category, cad_code=value)
        elif row is not None and not value:
            row.delete()
        elif row is not None and row.cad_code != value:
            row.cad_code = value
            row.save(update_fields=["cad_code"])
        else:
            continue
        changed[code] = value
    if changed:
        audit.record(action="cad_codes.saved", actor=by, obj=agency, organization=agency, changed=changed)
    return changed
