"""The bulletin socket: a site's guards and supervisors hear a bulletin published, updated or
cancelled for their sites, live (every page's banner and the bulletins page); an agency's people
hear its own bulletins answered (read receipts, sightings), live on the bulletin's page. Over the
consumer base (portal/sockets.py)."""

from accounts.events import user_group
from accounts.websocket import SessionRulesMiddleware
from bulletins import events, policy
from portal.sockets import PolicyConsumer


def _groups(user: object) -> tuple[str, ...] | None:
    """The sites' groups of a guard or supervisor; the agency's group of its people; else none."""
    agency_id = policy.answers_agency_id(user)  # type: ignore[arg-type]
    if agency_id is not None:
        return (events.agency_group(agency_id),)
    site_ids = list(policy.bulletin_sites(user).values_list("pk", flat=True))  # type: ignore[arg-type]
    if not site_ids:
        return None
    return tuple(events.site_group(site_id) for site_id in site_ids)


class BulletinConsumer(PolicyConsumer):
    user_group = staticmethod(user_group)
    session_rules = staticmethod(SessionRulesMiddleware.allowed)
    groups_of = staticmethod(_groups)
