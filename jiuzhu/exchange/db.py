"""Set-based database work for imports, on PostgreSQL and SQLite alike, inside the caller's transaction.

- ``key_table``: a temporary table of keys (ID numbers, 户编号) that queries join against,
  instead of a million-value ``IN (...)`` list.
- ``insert_table``: new rows from pyarrow columns; PostgreSQL gets them by ``COPY`` in the binary format
  (``exchange.pgcopy``; CSV written by pyarrow for other types), no Python object per value; SQLite
  through ``registry.bulk.insert_rows``.
- ``update_rows``: changed rows with one ``executemany`` per model.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from django.db import connection
from django.db.models import Model
from django.db.models.expressions import RawSQL

from jiuzhu.exchange import pgcopy
from jiuzhu.registry import bulk

COPY_CHUNK_ROWS = 100_000
_table_names = itertools.count(1)


@contextmanager
def key_table(keys: pa.Array) -> Iterator[RawSQL]:
    """A temporary table holding ``keys`` (distinct strings); yields ``RawSQL`` usable as ``field__in=…``."""
    name = f"exchange_keys_{next(_table_names)}"
    unique = keys.filter(keys.is_valid()).unique()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # No index: the keys are distinct and joined by hash; a 1M-key index costs seconds in temp buffers.
            cursor.execute(f"CREATE TEMPORARY TABLE {name} (k varchar(64)) ON COMMIT DROP")
            copy_table(cursor, name, pa.table({"k": unique}))
            cursor.execute(f"ANALYZE {name}")
        else:
            cursor.execute(f"CREATE TEMPORARY TABLE {name} (k text)")
            for start in range(0, len(unique), COPY_CHUNK_ROWS):
                cursor.executemany(
                    f"INSERT INTO {name} (k) VALUES (%s)",  # noqa: S608 - generated name
                    [(k,) for k in unique.slice(start, COPY_CHUNK_ROWS).to_pylist()],
                )
    try:
        yield RawSQL(f"SELECT k FROM {name}", ())  # noqa: S608, S611 - the name is generated here
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")


REBUILD_MIN_ROWS = 50_000


def should_rebuild_indexes(model: type[Model], new_rows: int) -> bool:
    """PostgreSQL, and a batch at least as large as the table: rebuilding beats updating the indexes row by row.

    Measured on 1M persons: COPY with the indexes live took 71 s, into the bare table 8 s plus 18 s to
    build them; deferred foreign keys checked row by row at commit cost about a minute more, while
    re-adding a foreign key checks all rows in one join (registry.bulk.indexes_rebuilt_after).
    """
    if connection.vendor != "postgresql" or new_rows < REBUILD_MIN_ROWS:
        return False
    return new_rows >= model._default_manager.count()


def analyze(models: Sequence[type[Model]]) -> None:
    """Refresh PostgreSQL's statistics after a large write: planned on stale counts, the next import's
    key joins ran as nested loops (20 s for 20,000 persons instead of 50 ms)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {model._meta.db_table}")


def analyze_if_never(models: Sequence[type[Model]], *, min_rows: int = 1000) -> None:
    """ANALYZE tables PostgreSQL has never analysed although they hold rows (e.g. right after another bulk
    load, before autovacuum came by), so that the comparison queries are planned on real counts."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(%s) AND last_analyze IS NULL"
            " AND last_autoanalyze IS NULL AND n_live_tup >= %s",
            [[m._meta.db_table for m in models], min_rows],
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def insert_table(
    model: type[Model],
    table: pa.Table,
    *,
    constants: dict[str, Any] | None = None,
    load: bulk.BulkLoad | None = None,
) -> int:
    """Insert the rows of ``table`` (column names are database columns, ids included) into ``model``, with the
    same value of each of ``constants`` in every row (as column defaults during a large load: ``BulkLoad``)."""
    if not table.num_rows:
        return 0
    constants = dict(constants or {})
    defaulted = load.constant_columns(model, constants) if load is not None else {}
    for column, value in constants.items():
        if column not in defaulted:
            constant = pa.nulls(table.num_rows) if value is None else pa.repeat(pa.scalar(value), table.num_rows)
            table = table.append_column(column, constant)
    columns = table.column_names
    if connection.vendor != "postgresql":
        total = 0
        for batch in table.to_batches(max_chunksize=50_000):
            rows = zip(*(batch.column(i).to_pylist() for i in range(batch.num_columns)), strict=True)
            total += bulk.insert_rows(model, columns, rows)
        return total
    with connection.cursor() as cursor:
        copy_table(cursor, model._meta.db_table, table)
    return table.num_rows


def copy_table(cursor: Any, name: str, table: pa.Table) -> None:
    """``COPY`` the rows of ``table`` (columns named as the database's) into the table ``name`` (PostgreSQL).

    In PostgreSQL's binary format when every column's type allows it (``exchange.pgcopy``): measured on a
    million persons (15 columns into ``registry_person``), the server then spent 1.4 s of CPU instead of 1.9 s
    for the same rows as CSV (no splitting of lines, no parsing of dates and numbers); the encoding (0.3 s
    more than writing CSV) runs on the other core. Otherwise as CSV. A string constant sent to a
    ``timestamptz`` column (``created_at`` of a small import) is turned into a timestamp first.
    """
    quote = connection.ops.quote_name
    column_list = ", ".join(quote(c) for c in table.column_names)
    types = pgcopy.column_types(cursor, name)
    kinds = [types.get(c, "") for c in table.column_names]
    typed = _timestamps(table, kinds)
    if cursor.cursor.connection.info.encoding == "utf-8" and pgcopy.supported(typed, kinds):
        sql = f"COPY {name} ({column_list}) FROM STDIN (FORMAT binary)"
        _copy(cursor, sql, lambda: pgcopy.chunks(typed, kinds, rows=COPY_CHUNK_ROWS))
    else:
        _copy(cursor, f"COPY {name} ({column_list}) FROM STDIN (FORMAT csv)", lambda: _csv_chunks(table))


def _timestamps(table: pa.Table, kinds: list[str]) -> pa.Table:
    """String columns bound for ``timestamptz`` columns as timestamps (ISO text with an offset, as ``bulk.now``)."""
    for index, kind in enumerate(kinds):
        column = table.column(index)
        if kind == "timestamptz" and pa.types.is_string(column.type) and not column.null_count:
            values = column.unique().to_pylist()
            if len(values) == 1 and (stamp := dt.datetime.fromisoformat(values[0])).tzinfo is not None:
                converted = pa.repeat(pa.scalar(stamp, pa.timestamp("us", "UTC")), len(column))
                table = table.set_column(index, table.field(index).name, converted)
    return table


def _csv_chunks(table: pa.Table) -> Iterator[memoryview]:
    """CSV as PostgreSQL's ``COPY … (FORMAT csv)`` reads it: null unquoted, "" empty."""
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    for start in range(0, table.num_rows, COPY_CHUNK_ROWS):
        buffer = io.BytesIO()
        pacsv.write_csv(table.slice(start, COPY_CHUNK_ROWS), buffer, options)
        yield buffer.getbuffer()


def _copy(cursor: Any, sql: str, produce_chunks: Callable[[], Iterator[bytes | memoryview]]) -> None:
    """Run ``COPY … FROM STDIN`` with the data ``produce_chunks`` yields.

    A thread builds the next chunk while this one sends the current one: pyarrow and NumPy release the GIL, so
    the encoding runs on the other core while PostgreSQL reads.
    """
    chunks: queue.Queue[bytes | memoryview | BaseException | None] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def put(item: bytes | memoryview | BaseException | None) -> bool:
        """Queue ``item`` unless the sender has stopped (an error there): then say so."""
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunk in produce_chunks():
                if not put(chunk):
                    return
            put(None)
        except BaseException as error:  # handed to the sending thread, which raises it
            put(error)

    producer = threading.Thread(target=produce, name="copy-encode", daemon=True)
    producer.start()
    try:
        with cursor.cursor.copy(sql) as copy:
            while (chunk := chunks.get()) is not None:
                if isinstance(chunk, BaseException):
                    raise chunk
                copy.write(chunk)
    finally:
        stop.set()
        producer.join()


def update_rows(model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """``UPDATE`` each row: values in ``columns`` order followed by the row's id."""
    if not rows:
        return 0
    table = model._meta.db_table
    assignments = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in columns)
    sql = f"UPDATE {table} SET {assignments} WHERE id = %s"  # noqa: S608 - names from models
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 10_000):
            cursor.executemany(sql, [list(map(_value, row)) for row in rows[start : start + 10_000]])
    return len(rows)


def _value(value: Any) -> Any:
    """SQLite gets Decimals as text (exact) and dates as ISO text, as Django itself stores them."""
    if connection.vendor == "postgresql" or value is None:
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
