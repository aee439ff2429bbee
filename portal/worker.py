"""The worker's broker consumer: Celery's, surviving a broker that goes away with tasks unacknowledged.
The ground: imports no app.

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
again what a lost task leaves behind (notifications.services.outbox)."""

import logging

from celery.worker.consumer import Consumer

logger = logging.getLogger(__name__)


class BrokerLossConsumer(Consumer):
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
