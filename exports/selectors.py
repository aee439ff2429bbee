"""Reads of evidence bundles, scoped by the access policy."""

import uuid
from datetime import datetime

from django.db.models import Q, QuerySet

from accounts.policy import AnyUser
from exports import policy
from exports.models import Bundle
from incidents.models import Incident


def get_bundle(*, bundle_id: uuid.UUID | str, for_user: AnyUser) -> Bundle:
    """One bundle the user may see, or Bundle.DoesNotExist."""
    return (
        policy.visible_bundles(for_user)
        .select_related("incident", "incident__site", "requested_by")
        .get(public_id=bundle_id)
    )


def list_incident_bundles(*, incident: Incident, for_user: AnyUser) -> QuerySet[Bundle]:
    """The bundles of an incident the user may see, newest first."""
    return policy.visible_bundles(for_user).filter(incident=incident).select_related("requested_by")


def list_stalled_bundles(*, queued_before: datetime, silent_since: datetime) -> list[int]:
    """Bundles still queued long after they were asked for (their task was lost), and bundles being
    built whose worker has not reported progress since `silent_since` (it died mid-build)."""
    queued = Q(status=Bundle.Status.QUEUED, requested_at__lt=queued_before)
    silent = Q(status=Bundle.Status.BUILDING) & (
        Q(heartbeat_at__lt=silent_since) | Q(heartbeat_at__isnull=True, requested_at__lt=silent_since)
    )
    return list(Bundle.objects.filter(queued | silent).values_list("pk", flat=True))
