"""The patrol sockets, over the consumer base (portal/sockets.py). The joint-patrol socket: an
agency's liaisons and org admins hear its running joint patrols move (a shift started or ended, a
checkpoint scanned, a round missed), live beside their board. The patrol-board socket: a provider's
supervisors and org admins hear what their board shows move. Either page then fetches its panel
again under the policy."""

from accounts.events import user_group
from accounts.websocket import SessionRulesMiddleware
from patrols import events, policy
from portal.sockets import PolicyConsumer


def _groups(user: object) -> tuple[str, ...] | None:
    """The agency's joint-patrol group for its people; anyone else is refused."""
    agency_id = policy.joint_agency_id(user)  # type: ignore[arg-type]
    return None if agency_id is None else (events.joint_group(agency_id),)


def _board_groups(user: object) -> tuple[str, ...] | None:
    """The provider's patrol-board group for its supervisors and org admins; anyone else is refused."""
    provider_id = policy.board_provider_id(user)  # type: ignore[arg-type]
    return None if provider_id is None else (events.board_group(provider_id),)


class PatrolBoardConsumer(PolicyConsumer):
    user_group = staticmethod(user_group)
    session_rules = staticmethod(SessionRulesMiddleware.allowed)
    groups_of = staticmethod(_board_groups)


class JointPatrolConsumer(PolicyConsumer):
    user_group = staticmethod(user_group)
    session_rules = staticmethod(SessionRulesMiddleware.allowed)
    groups_of = staticmethod(_groups)
