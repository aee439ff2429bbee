"""Export events: a requested bundle is built by a worker (its page polls the progress)."""

from exports.models import Bundle
from portal.realtime import Event


def bundle_requested(bundle: Bundle) -> Event:
    """``bundle.requested``: a worker builds the bundle (subject: the bundle's pk)."""
    return Event(
        name="bundle.requested",
        payload={"id": str(bundle.public_id), "status": bundle.status},
        subject=(bundle.pk,),
    )
