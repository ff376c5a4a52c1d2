"""PostgreSQL's binary COPY format written from pyarrow columns (exchange.pgcopy) and db.copy_table."""

from __future__ import annotations

import datetime as dt
import struct
from decimal import Decimal

import pyarrow as pa
import pytest
from django.db import connection

from jiuzhu.exchange import db, pgcopy

MONEY = pa.decimal128(12, 2)
ON_POSTGRESQL = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's COPY")


def test_a_row_is_its_field_count_then_each_length_and_value() -> None:
    table = pa.table(
        {
            "id": pa.array([1, 2], pa.int64()),
            "name": pa.array(["张三", None], pa.string()),
            "born": pa.array([dt.date(2000, 1, 2), None], pa.date32()),
            "ok": pa.array([True, None], pa.bool_()),
        }
    )
    data = bytes(pgcopy.encode_rows(table, ["int8", "varchar", "date", "bool"]))
    name = "张三".encode()
    first = struct.pack(">hiqi", 4, 8, 1, len(name)) + name + struct.pack(">iii", 4, 1, 1) + b"\x01"
    second = struct.pack(">hiqiii", 4, 8, 2, -1, -1, -1)
    assert data == first + second


def test_numeric_digits_are_base_ten_thousand_groups() -> None:
    values = pa.array([Decimal("12345678.90"), Decimal("-0.05"), None], MONEY)
    data = bytes(pgcopy.encode_rows(pa.table({"m": values}), ["numeric"]))
    # 4 groups for decimal(12, 2): three integer groups (weight 2) and one of decimals; zeros are stripped
    # by PostgreSQL
    assert data[:6] == struct.pack(">hi", 1, 16)
    assert struct.unpack(">8h", data[6:22]) == (4, 2, 0, 2, 0, 1234, 5678, 9000)
    assert struct.unpack(">8h", data[28:44]) == (4, 2, 0x4000, 2, 0, 0, 0, 500)
    assert data[44:] == struct.pack(">hi", 1, -1)


def test_unsupported_types_are_refused() -> None:
    assert not pgcopy.supported(pa.table({"x": pa.array([1.5])}), ["numeric"])
    assert not pgcopy.supported(pa.table({"x": pa.array(["2024-01-01"])}), ["date"])
    assert not pgcopy.supported(pa.table({"x": pa.array([1], pa.decimal128(30, 2))}), ["numeric"])
    assert pgcopy.supported(pa.table({"x": pa.nulls(2)}), ["jsonb"])
    with pytest.raises(ValueError, match="binary"):
        list(pgcopy.chunks(pa.table({"x": pa.array([1.5])}), ["numeric"], rows=10))


STAMP = dt.datetime(2026, 11, 23, 8, 30, 1, 123456, tzinfo=dt.UTC)
ROWS = {
    "big": pa.array([1, -(2**62), None, 0], pa.int64()),
    "small": pa.array([32767, -32768, None, 0], pa.int64()),
    "mid": pa.array([2**31 - 1, -(2**31), None, 7], pa.int64()),
    "flag": pa.array([True, False, None, True], pa.bool_()),
    "day": pa.array([dt.date(1890, 1, 1), dt.date(2000, 1, 1), None, dt.date(2099, 12, 31)], pa.date32()),
    "money": pa.array([Decimal("9999999999.99"), Decimal("-1.50"), None, Decimal("0.00")], MONEY),
    "whole": pa.array([Decimal("123456789012345678"), Decimal(0), None, Decimal(-10000)], pa.decimal128(18, 0)),
    "rate": pa.array([Decimal("1.2345"), Decimal("0.0001"), None, Decimal("-99.9")], pa.decimal128(8, 4)),
    "label": pa.array(['张三, "引号"\n换行', "", None, "\\N"], pa.string()),
    "code": pa.array(["140702001001", "x", None, " "], pa.string()),
    "stamp": pa.array([STAMP, dt.datetime(1999, 12, 31, tzinfo=dt.UTC), None, None], pa.timestamp("us", "UTC")),
    "nothing": pa.nulls(4),
}
DDL = """CREATE TEMPORARY TABLE copy_check (
    big bigint, small smallint, mid integer, flag boolean, day date, money numeric(12, 2),
    whole numeric(18, 0), rate numeric(8, 4), label varchar(50), code text, stamp timestamptz, nothing date
)"""


def _copied(table: pa.Table) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS copy_check")
        cursor.execute(DDL)
        kinds = pgcopy.column_types(cursor, "copy_check")
        binary = pgcopy.supported(table, [kinds[c] for c in table.column_names])
        assert binary == (table.column_names != ["rate", "stamp"])  # the test with a float expects CSV
        db.copy_table(cursor, "copy_check", table)
        cursor.execute(f"SELECT {', '.join(table.column_names)} FROM copy_check")  # noqa: S608 - the test's names
        return list(cursor.fetchall())


@ON_POSTGRESQL
@pytest.mark.django_db
@pytest.mark.parametrize("chunk", [1, 3, 100])
def test_every_type_round_trips_through_postgresql(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(db, "COPY_CHUNK_ROWS", chunk)
    copied = _copied(pa.table(ROWS))
    expected = list(zip(*(ROWS[k].to_pylist() for k in ROWS), strict=True))
    assert copied == expected


@ON_POSTGRESQL
@pytest.mark.django_db
def test_a_sliced_table_and_a_column_postgresql_rejects() -> None:
    table = pa.table(ROWS).slice(1, 2)
    assert _copied(table) == list(zip(*(ROWS[k].to_pylist()[1:3] for k in ROWS), strict=True))
    too_long = pa.table({"label": pa.array(["长" * 51])})
    with pytest.raises(Exception, match="too long"):
        _copied(too_long)


@ON_POSTGRESQL
@pytest.mark.django_db
def test_other_types_go_as_csv_and_a_timestamp_text_becomes_a_timestamp() -> None:
    stamp = dt.datetime(2026, 11, 23, 8, 30, tzinfo=dt.UTC)
    table = pa.table(
        {
            "rate": pa.array([1.5, None]),  # a float: no binary encoding here, so CSV
            "stamp": pa.array([stamp.isoformat(sep=" ")] * 2),
        }
    )
    assert _copied(table) == [(Decimal("1.5000"), stamp), (None, stamp)]


@ON_POSTGRESQL
@pytest.mark.django_db
def test_no_rows_and_an_empty_key_table() -> None:
    assert _copied(pa.table(ROWS).slice(0, 0)) == []
    with db.key_table(pa.array([None, "甲", "甲", "乙"], pa.string())) as keys, connection.cursor() as cursor:
        cursor.execute(f"SELECT k FROM ({keys.sql}) keys ORDER BY k")  # noqa: S608 - the key table's own SQL
        assert cursor.fetchall() == [("乙",), ("甲",)]
    with db.key_table(pa.array([], pa.string())) as keys, connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({keys.sql}) keys")  # noqa: S608 - the key table's own SQL
        assert cursor.fetchone() == (0,)
