"""Bulk writes of registry rows for imports and the demo generator.

Row-by-row ORM saves cannot reach a million persons in minutes; this module inserts
columns of values with PostgreSQL ``COPY`` (psycopg) or SQLite ``executemany``, inside
the caller's transaction. Ids are allocated up front under a lock, so rows of one batch
can reference each other (a membership names its person and household) without a
round trip per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Model
from django.utils import timezone

from jiuzhu.registry.models import CategoryEnrollment, Household, Income, Membership, Person

BULK_MODELS: tuple[type[Model], ...] = (Household, Person, Membership, CategoryEnrollment, Income)
Value = str | int | bool | Decimal | dt.date | dt.datetime | None


def lock_registry_tables() -> None:
    """Serialise bulk writers: PostgreSQL locks the tables; SQLite's IMMEDIATE transaction already has."""
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
