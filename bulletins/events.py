"""Bulletin events: a version published (an alert, an update or a cancellation) goes to the
bulletin sockets of the sites it reached; a read receipt or a sighting goes to the publishing
agency's. Sent only through publish_on_commit."""

from collections.abc import Iterable

from bulletins.models import Bulletin
from portal.realtime import Event


def site_group(site_id: int) -> str:
    """The bulletin sockets of the guards and supervisors of one site."""
    return f"bulletins.site.{site_id}"


def agency_group(agency_id: int) -> str:
    """The bulletin sockets of the publishing agency's liaisons."""
    return f"bulletins.agency.{agency_id}"


def bulletin_published(bulletin: Bulletin, *, site_ids: Iterable[int]) -> Event:
    """``bulletin.published``: which bulletin and version; the page fetches what it shows (its own
    rules apply), so the payload carries no more than a banner's headline."""
    return Event(
        name="bulletin.published",
        payload={
            "bulletin": str(bulletin.public_id),
            "series": str(bulletin.series),
            "version": bulletin.version,
            "msg_type": bulletin.msg_type,
            "title": bulletin.title,
        },
        groups=(*(site_group(site_id) for site_id in site_ids), agency_group(bulletin.agency_id)),
        subject=(bulletin.pk,),
    )


def bulletin_answered(bulletin: Bulletin, *, answer: str, site_name: str) -> Event:
    """``bulletin.answered``: someone read it or reported a sighting (the agency's detail page)."""
    return Event(
        name="bulletin.answered",
        payload={"bulletin": str(bulletin.public_id), "answer": answer, "site": site_name},
        groups=(agency_group(bulletin.agency_id),),
        subject=(bulletin.pk,),
    )
