"""The answer patrols gives to portal.duty: the site of a guard's open shift."""

from typing import Any

from patrols.models import Shift
from portal import duty


def open_shift_site_id(user: Any) -> int | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Shift.objects.filter(guard_id=user.pk, ended_at__isnull=True)
        .values_list("site_id", flat=True)
        .first()
    )


duty.register_current_site(open_shift_site_id)
