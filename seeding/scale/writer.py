# ruff: noqa: S608 (SQL assembled from model table names only)
"""Rows in bulk: explicit primary keys, COPY in batches, and a progress bar while they go."""

import sys
import time
from typing import Any, Protocol

from django.db import connection
from django.db.models import Max, Model

BATCH = 20_000


class Output(Protocol):
    """Where progress goes: a text stream, or a management command's stderr."""

    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...

    def isatty(self) -> bool: ...


class Progress:
    """A one-line progress bar on a terminal; a line every 10 % otherwise (logs, make)."""

    def __init__(self, label: str, total: int, out: Output = sys.stderr) -> None:
        self.label, self.total, self.out = label, max(total, 1), out
        self.done = 0
        self.started = time.monotonic()
        self.shown = -1.0
        self.tty = out.isatty()

    def advance(self, count: int) -> None:
        self.done += count
        share = self.done / self.total
        if self.tty and (time.monotonic() - self.shown > 0.2 or self.done >= self.total):
            bar = "#" * int(share * 30)
            self.out.write(f"\r  {self.label:<16} [{bar:<30}] {self.done:>10,}/{self.total:,} {self._rate()}")
            self.shown = time.monotonic()
        elif not self.tty and int(share * 10) > int(self.shown):
            self.out.write(f"  {self.label:<16} {self.done:>10,}/{self.total:,} {self._rate()}\n")
            self.shown = int(share * 10)
        self.out.flush()

    def close(self) -> None:
        if self.tty:
            self.out.write("\n")
            self.out.flush()

    def _rate(self) -> str:
        elapsed = time.monotonic() - self.started
        return f"{elapsed:6.1f} s ({self.done / elapsed if elapsed else 0:,.0f}/s)"


class Ids:
    """Explicit primary keys for COPY: from the table's current maximum, the sequence set after."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.next = (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1

    def take(self) -> int:
        value = self.next
        self.next += 1
        return value

    def sync_sequence(self) -> None:
        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1)) FROM {table}"
            )


class Writer:
    """Rows of one model, sent by COPY in batches, with the model's concrete columns."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields]
        self.columns = [str(f.column) for f in self.fields]
        self.names = [f.attname for f in self.fields]
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0

    def add(self, **values: Any) -> None:
        self._append(tuple(values[name] for name in self.names))

    def add_object(self, instance: Model) -> None:
        """An unsaved instance's row, as it stands."""
        self._append(tuple(getattr(instance, name) for name in self.names))

    def _append(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in self.rows:
                copy.write_row(row)
        self.count += len(self.rows)
        self.rows = []
