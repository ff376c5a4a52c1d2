"""Bulk writes of registry rows for imports and the demo generator.

Row-by-row ORM saves cannot reach a million persons in minutes; this module inserts
columns of values with PostgreSQL ``COPY`` (psycopg) or SQLite ``executemany``, inside
the caller's transaction. Ids are allocated up front under a lock, so rows of one batch
can reference each other (a membership names its person and household) without a
round trip per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Model
from django.utils import timezone

from jiuzhu.registry import tally
from jiuzhu.registry.models import CategoryEnrollment, Household, Income, Membership, Person

BULK_MODELS: tuple[type[Model], ...] = (Household, Person, Membership, CategoryEnrollment, Income)
Value = str | int | bool | Decimal | dt.date | dt.datetime | None


def lock_registry_tables() -> None:
    """Serialise bulk writers: PostgreSQL locks the tables; SQLite's IMMEDIATE transaction already has.

    The village tally's day is locked first, as every writer of the tally does (``registry.tally``); a bulk
    writer re-derives the tally of the villages it wrote before committing (``tally.rebuild``).
    """
    tally.lock_for_bulk_load()
    if connection.vendor == "postgresql":
        tables = ", ".join(model._meta.db_table for model in BULK_MODELS)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")


def allocate_ids(model: type[Model], count: int) -> range:
    """``count`` fresh primary keys for ``model``; call inside the transaction after ``lock_registry_tables``."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_ids must run inside a transaction")
    start = (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1
    return range(start, start + count)


def insert_rows(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Value]]) -> int:
    """Insert ``rows`` (values in ``columns`` order, ids included) into ``model``'s table; returns the count."""
    table = model._meta.db_table
    column_list = ", ".join(columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})"  # noqa: S608 - names from models
            batch: list[Sequence[Value]] = []
            for row in rows:
                batch.append([_sqlite_value(v) for v in row])
                if len(batch) >= 5000:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
    return count


def reset_sequences() -> None:
    """After explicit ids, move PostgreSQL's sequences past them (SQLite needs nothing)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in BULK_MODELS:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - names from models
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )


def _sqlite_value(value: Any) -> Any:
    # Decimals as text keep exact values in SQLite (Django reads them back as Decimal).
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        # Django keeps aware datetimes in SQLite as naive UTC text.
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def now() -> dt.datetime:
    """The timestamp bulk rows get for ``created_at``/``updated_at``."""
    return timezone.now()


INDEXES_SQL = """
SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), pg_get_indexdef(i.indexrelid)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE i.indrelid = ANY(%s::regclass[])
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
ORDER BY 1
"""
# Primary keys and unique constraints of the tables, and every foreign key from or to them.
KEYS_SQL = """
SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid)
FROM pg_constraint
WHERE contype IN ('p', 'u') AND conrelid = ANY(%s::regclass[])
ORDER BY contype, 1, 2
"""
FOREIGN_KEYS_SQL = """
SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid)
FROM pg_constraint
WHERE contype = 'f' AND (conrelid = ANY(%s::regclass[]) OR confrelid = ANY(%s::regclass[]))
ORDER BY 1, 2
"""


class BulkLoad:
    """What a block of ``indexes_rebuilt_after`` may do to speed up its ``COPY``."""

    def __init__(self, *, rebuilding: bool) -> None:
        self.rebuilding = rebuilding
        self._defaults: list[tuple[str, str]] = []

    def constant_columns(self, model: type[Model], values: dict[str, Value]) -> dict[str, Value]:
        """Columns every new row gets the same value in (``created_at``…): while the indexes are being rebuilt,
        these become the columns' defaults until the block ends, and are returned, so that ``COPY`` can leave
        them out; PostgreSQL then does not parse the same timestamp a million times (a quarter of the CPU of a
        ``COPY`` into ``registry_person``). Otherwise nothing changes and nothing is returned."""
        if not self.rebuilding or not values:
            return {}
        quote = connection.ops.quote_name
        table = model._meta.db_table
        with connection.cursor() as cursor:
            for column, value in values.items():
                cursor.execute(f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} SET DEFAULT %s", [value])
                self._defaults.append((table, column))
        return dict(values)

    def restore(self) -> None:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table, column in self._defaults:
                cursor.execute(f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} DROP DEFAULT")
        self._defaults = []


@contextmanager
def indexes_rebuilt_after(tables: Sequence[str], *, rebuild: bool) -> Iterator[BulkLoad]:
    """Inside the caller's transaction: drop the tables' indexes, primary keys, unique constraints and foreign
    keys (theirs and those pointing at them), re-create them (catalogued names and definitions) on exit, then
    ANALYZE the tables.

    Measured on 1M persons (2 cores, PostgreSQL 15): COPY into ``registry_person`` with its indexes live
    took 71 s, into the bare table 8 s plus 18 s to build them; deferred foreign keys checked row by row at
    commit cost about a minute more, while re-adding a foreign key checks all rows in one join. Even the
    primary key costs more maintained row by row during a ``COPY`` (1.9 s of server CPU for 1M persons) than
    built afterwards (0.4 s). Callers rebuild only when a batch is at least as large as what the tables hold.
    Other sessions wait on the tables' locks until commit instead of seeing them without indexes; a failure
    (or a killed process) rolls everything back, the dropped indexes and keys included. Fresh statistics
    matter: planned on stale counts, the next import's joins ran as nested loops. SQLite needs none of this.
    """
    if not rebuild or connection.vendor != "postgresql":
        yield BulkLoad(rebuilding=False)
        return
    with connection.cursor() as cursor:
        cursor.execute(INDEXES_SQL, [list(tables)])
        indexes = cursor.fetchall()
        cursor.execute(KEYS_SQL, [list(tables)])
        keys = cursor.fetchall()
        cursor.execute(FOREIGN_KEYS_SQL, [list(tables), list(tables)])
        foreign_keys = cursor.fetchall()
        for table, name, _ in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for table, name, _ in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    load = BulkLoad(rebuilding=True)
    yield load
    load.restore()
    with connection.cursor() as cursor:
        # Sorts in memory; up to two parallel workers per index when the machine has cores to spare (1M persons:
        # 1 GB was no faster than 256 MB, and 0 or 1 worker slower than 2). No JIT: compiling each foreign key's
        # check query cost more than it saved.
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute("SET LOCAL jit = off")
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
