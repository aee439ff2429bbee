"""Reads to a PostgreSQL replica, everything else to the primary (docs/scaling.md).

Installed only when DATABASE_REPLICA_URL is set (portal/settings.py). A read goes to the ``replica``
alias unless it could miss the caller's own writes: inside a transaction on the primary (a service's
checks and its writes, ``select_for_update``) and, for the rest of a request or task, after it has
written anything (read-your-writes; a replica lags by a fraction of a second). Migrations run on the
primary only. The ground of the portal: imports no app."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connections
from django.http import HttpRequest, HttpResponse

PRIMARY = "default"
REPLICA = "replica"

_wrote: ContextVar[bool] = ContextVar("watchpost_wrote_to_primary", default=False)


class PrimaryReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str:
        if _wrote.get() or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model: type, **hints: Any) -> str:
        _wrote.set(True)
        return PRIMARY

    def allow_relation(self, first: Any, second: Any, **hints: Any) -> bool:
        return True  # the same data on both aliases

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY


@contextmanager
def fresh_scope() -> Iterator[None]:
    """A unit of work (a request, a task) that has written nothing yet: its reads may use the replica."""
    token = _wrote.set(False)
    try:
        yield
    finally:
        _wrote.reset(token)


def forget_writes() -> None:
    """Start a fresh unit of work in this context (a Celery task: portal/celery.py)."""
    _wrote.set(False)


class ReplicaScopeMiddleware:
    """Each request starts with reads on the replica, until it writes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with fresh_scope():
            return self.get_response(request)
