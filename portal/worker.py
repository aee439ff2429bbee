"""The worker's broker consumer: Celery's, surviving a broker that goes away with tasks unacknowledged;
and its Django fixup, keeping each pool process's database connections between tasks.
The ground: imports no app.

Celery 5.7's Django fixup closes every connection and then the whole connection pool
(``close_pool``) before and after every task in a prefork worker: each task opened two new
PostgreSQL sessions (the pool's first connection and the one it handed out), a backend started and
authenticated, the time zone set, a pool thread started, for a task that then ran about five
statements (docs/RELIABILITY.md, "Delivery throughput"). ``PoolKeepingFixup`` does at task
boundaries what Django does at the end of a request: a connection goes back to the process's pool,
or is dropped when it is broken. The pool checks a connection before handing it out (portal/env.py),
so one PostgreSQL cut while idle (a restart, ``pg_terminate_backend``) is replaced, not used. A pool
process still drops the pool it inherited from the main process when it starts (Celery's own step).

Celery 5.7 (kombu 5.7), on losing its Redis connection, first collects the connection (which drops
the transport's client) and then closes it; closing the channel restores the unacknowledged
messages through a new connection pool, which it builds from the client that is gone, and raises
``AttributeError: 'NoneType' object has no attribute 'hostname'``. Nothing catches it: the worker
logs "Unrecoverable error" and exits, and every delivery waits until someone starts it again. The
fault run (docs/RELIABILITY.md) saw both workers exit at the same Redis restart. With acknowledgement
after the task (CELERY_TASK_ACKS_LATE) and prefetching, some message is nearly always unacknowledged.

Here the close that fails that way is logged and the consumer goes on to reconnect as it does for
any other broker loss. The messages it could not restore stay in Redis's unacknowledged set, which
kombu restores after the visibility timeout; the outbox does not wait for that: its sweep queues
again what a lost task leaves behind (notifications.services.outbox).

The same fault has a second path: a task that was running while the connection was lost ends after
the consumer reconnected, and acknowledges (or rejects) its message on the old channel. kombu's
QoS.ack builds a pool for it from the transport's client, which is gone (Channel.pool, _connparams:
``self.connection.client.hostname``), and the AttributeError ends the worker from its event loop
("Unrecoverable error"). So an acknowledgement on a channel closed with its connection is not tried:
it is logged and the message is left where it is, in the unacknowledged set kombu restores after the
visibility timeout (a Redis restarted empty has forgotten it anyway)."""

import logging
import os
from collections.abc import Callable
from functools import partial
from typing import Any

from celery import Celery
from celery.fixups import django as django_fixups
from celery.worker.consumer import Consumer

logger = logging.getLogger(__name__)


def _connection_gone(channel: Any) -> bool:
    """The channel was closed with its connection: nothing acknowledged on it can reach Redis."""
    return bool(getattr(channel, "closed", False)) or getattr(channel.connection, "client", None) is None


def _settle_unless_connection_gone(settle: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``message.ack_log_error`` (or ``reject_log_error``) unless its channel is gone."""
    message = getattr(settle, "__self__", None)
    channel = getattr(message, "channel", None)
    if channel is not None and _connection_gone(channel):
        logger.warning(
            "acknowledgement on a lost broker connection left undone: task %s (delivery tag %s) stays "
            "unacknowledged and is restored after the visibility timeout",
            (getattr(message, "headers", None) or {}).get("id"),
            getattr(message, "delivery_tag", None),
        )
        return None
    return settle(*args, **kwargs)


class BrokerLossConsumer(Consumer):
    def call_soon_ack(self, p: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        # Every task message's ack and reject pass here (create_task_handler); the check runs when
        # the event loop calls it, after the task ended, not when the task was received.
        # celery-types does not declare call_soon_ack (Celery 5.7 has it: consumer.py)
        return super().call_soon_ack(partial(_settle_unless_connection_gone, p), *args, **kwargs)  # type: ignore[misc]

    def on_connection_error_after_connected(self, exc: Exception) -> None:
        connection = self.connection
        if connection is not None:
            close = connection.close

            def close_what_is_left() -> None:
                try:
                    close()
                except AttributeError as error:  # the restore's pool, built from the client that is gone
                    logger.warning(
                        "broker connection lost with messages unacknowledged; they are restored "
                        "after the visibility timeout (%s)",
                        error,
                    )

            connection.close = close_what_is_left  # type: ignore[method-assign]
        super().on_connection_error_after_connected(exc)


class PoolKeepingWorkerFixup(django_fixups.DjangoWorkerFixup):  # type: ignore[name-defined]
    def on_task_prerun(self, sender: Any, **kwargs: Any) -> None:
        if not getattr(sender.request, "is_eager", False):
            self.return_connections()

    def on_task_postrun(self, sender: Any, **kwargs: Any) -> None:
        if not getattr(sender.request, "is_eager", False):
            self.return_connections()
            self.close_cache()

    def return_connections(self) -> None:
        """Each connection back to the pool (CONN_MAX_AGE 0), or dropped if it is broken."""
        for connection in self._db.connections.all(initialized_only=True):
            try:
                connection.close_if_unusable_or_obsolete()
            except self.interface_errors:
                pass
            except self.DatabaseError as error:
                if "closed" not in str(error) and "not connected" not in str(error):
                    raise


class PoolKeepingFixup(django_fixups.DjangoFixup):
    @property
    def worker_fixup(self) -> Any:
        if self._worker_fixup is None:
            self._worker_fixup: Any = PoolKeepingWorkerFixup(self.app)
        return self._worker_fixup

    @worker_fixup.setter
    def worker_fixup(self, value: Any) -> None:
        self._worker_fixup = value


def django_fixup(app: Celery, env: str = "DJANGO_SETTINGS_MODULE") -> PoolKeepingFixup | None:
    """Celery's Django fixup (``Celery(fixups=...)``), with ``PoolKeepingWorkerFixup`` in workers."""
    if not os.environ.get(env) or "django" in str(app.loader_cls).lower():
        return None
    fixup = PoolKeepingFixup(app)
    fixup.install()
    return fixup
