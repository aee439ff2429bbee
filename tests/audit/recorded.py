"""Helpers: the one record of an action after a point, and the log still verifying."""

from audit import services
from audit.models import AuditEvent


def record_of(action, *, after=0):
    found = AuditEvent.objects.filter(action=action, id__gt=after).order_by("id")
    assert found.count() == 1, (action, list(AuditEvent.objects.values_list("action", flat=True)))
    return found.get()


def last_id():
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def assert_verifies():
    services.seal_records()
    assert services.verify().problem is None
