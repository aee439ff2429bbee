"""The fault run's people and rules, made in its database through the real services before the
processes start: the tests' two providers and two agencies (tests/world.py), a second liaison for
agency X and an admin for agency Y, each agency's ladder and agency X's paging webhook."""

from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from accounts import services as account_services
from accounts.models import ApiToken, Role
from accounts.policy import requires_mfa
from notifications import services
from notifications.models import Channel, Kind, Target
from tests.factories import member
from tests.world import build_world

if TYPE_CHECKING:
    from tests.chaos.run import Actors, Config

LADDER = "Fault run ladder"


@dataclass
class Cast:
    world: SimpleNamespace
    actors: "Actors"
    webhook_secret: str
    endpoint_id: int
    ladder_delay: int
    board_people: dict[str, list[Any]]

    def board_cookies(self, count: int) -> list[tuple[str, str]]:
        """``count`` board sessions, spread over the agencies' liaisons and admins (two of three on X)."""
        people = [("X", person) for person in self.board_people["X"]] * 2
        people += [("Y", person) for person in self.board_people["Y"]]
        return [(agency, session_cookie(person)) for agency, person in (people * count)[:count]]


def session_cookie(user: Any) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def _token(user: Any, admin: Any, scope: str = ApiToken.Scope.WRITE) -> str:
    # A liaison's token is issued by the liaison (second factor); a guard's by their org admin.
    by = user if requires_mfa(user) else admin
    _, secret = account_services.issue_api_token(user=user, by=by, name="fault run", scope=scope)
    return secret


def _step(delay: int, target: str, channels: Sequence[str]) -> services.StepInput:
    return services.StepInput(
        delay_seconds=delay, target=target, channels=channels, required_channels=channels
    )


def build(config: "Config", *, hook_url: str) -> Cast:
    from tests.chaos.run import Actors

    w = build_world()
    w.liaison_x2 = member(Role.LIAISON, w.agency_x)
    w.admin_y = member(Role.ORG_ADMIN, w.agency_y)
    w.liaison_y2 = member(Role.LIAISON, w.agency_y)
    people = [Channel.IN_APP, Channel.EMAIL]
    for agency, admin, webhooks in ((w.agency_x, w.admin_x, True), (w.agency_y, w.admin_y, False)):
        steps = [_step(0, Target.ON_DUTY_LIAISONS, people)]
        if webhooks:
            steps.append(_step(0, Target.WEBHOOKS, []))
        steps.append(_step(config.ladder_delay, Target.ORG_ADMINS, [Channel.EMAIL]))
        services.save_escalation_policy(by=admin, organization=agency, name=LADDER, site=None, steps=steps)
    endpoint = services.create_webhook_endpoint(
        by=w.admin_x,
        organization=w.agency_x,
        name="CAD",
        url=hook_url,
        events=[Kind.PAGE, Kind.UPDATE, Kind.MESSAGE],
    )
    actors = Actors(
        guard_a=_token(w.guard_a, w.admin_a),
        guard_b=_token(w.guard_b, w.admin_b),
        supervisor_a=_token(w.supervisor_a, w.admin_a),
        supervisor_b=_token(w.supervisor_b, w.admin_b),
        liaisons={
            "X": [_token(w.liaison_x, w.admin_x), _token(w.liaison_x2, w.admin_x)],
            "Y": [_token(w.liaison_y, w.admin_y), _token(w.liaison_y2, w.admin_y)],
        },
        site_a1=w.a1.pk,
        site_b1=w.b1.pk,
    )
    return Cast(
        world=w,
        actors=actors,
        webhook_secret=endpoint.secret,
        endpoint_id=endpoint.pk,
        ladder_delay=config.ladder_delay,
        board_people={
            "X": [w.liaison_x, w.liaison_x2, w.admin_x],
            "Y": [w.liaison_y, w.liaison_y2, w.admin_y],
        },
    )
