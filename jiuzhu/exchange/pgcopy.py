"""PostgreSQL's binary ``COPY`` format, written from pyarrow columns without a Python object per value.

Why: for a text ``COPY`` the server splits every line into fields and parses each of them (dates, numbers,
ids) with the types' input functions; in the binary format each field arrives with its length, in the
type's own representation, and is only checked. The rows are assembled by pyarrow
(``binary_join_element_wise`` over a 2-byte field count and, per column, a 4-byte length and the value's
bytes), so building them costs a few memory copies.

Supported column types: ``bigint``, ``integer``, ``smallint``, ``boolean``, ``date``, ``timestamptz`` (from
pyarrow timestamps with a time zone), ``numeric`` (from
pyarrow decimals of at most 18 digits and 4 decimals), ``varchar``/``text``/``char`` (from pyarrow strings,
sent as UTF-8: the connection's client encoding must be UTF8), and columns of nulls for any type.
``chunks`` returns ``None`` for anything else, and callers fall back to the text format.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"  # signature, flags, extension
TRAILER = b"\xff\xff"
PG_EPOCH_DAYS = 10957  # 2000-01-01, PostgreSQL's day zero, counted from 1970-01-01
NUMERIC_NEG = 0x4000
NBASE_DIGITS = 4  # a numeric's digits are base 10,000
PG_EPOCH_MICROSECONDS = PG_EPOCH_DAYS * 86_400_000_000
INTEGERS = {"int8": (pa.int64(), ">i8"), "int4": (pa.int32(), ">i4"), "int2": (pa.int16(), ">i2")}
TEXTS = frozenset({"varchar", "text", "bpchar"})


def column_types(cursor: object, table: str) -> dict[str, str]:
    """Column name → PostgreSQL type name (``int8``, ``varchar``…) of ``table``."""
    cursor.execute(  # type: ignore[attr-defined]
        "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
        " WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
        [table],
    )
    return dict(cursor.fetchall())  # type: ignore[attr-defined]


def supported(table: pa.Table, types: Sequence[str]) -> bool:
    """Whether every column of ``table`` can be sent in binary to a column of the matching type."""
    return all(_encoder(column.type, kind) is not None for column, kind in zip(table.columns, types, strict=True))


def chunks(table: pa.Table, types: Sequence[str], *, rows: int) -> Iterator[bytes | memoryview]:
    """The binary ``COPY`` stream of ``table`` (columns in order, to columns of ``types``), ``rows`` at a time:
    the signature, the rows, the trailer."""
    if not supported(table, types):
        raise ValueError("a column's type has no binary encoding here")
    yield SIGNATURE
    for start in range(0, table.num_rows, rows):
        yield encode_rows(table.slice(start, rows), types)
    yield TRAILER


def encode_rows(table: pa.Table, types: Sequence[str]) -> memoryview:
    """The tuples of ``table`` in the binary format (no signature or trailer)."""
    size = table.num_rows
    parts: list[pa.Array] = [_fixed_width(np.full(size, table.num_columns, dtype=">i2"))]
    for column, kind in zip(table.columns, types, strict=True):
        array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        encode = _encoder(array.type, kind)
        assert encode is not None
        lengths, payload = encode(array)
        parts.append(_fixed_width(lengths.astype(">i4")))
        parts.append(payload)
    joined = pc.binary_join_element_wise(*parts, pa.scalar(b"", pa.binary()))
    offsets = np.frombuffer(joined.buffers()[1], dtype=np.int32)[joined.offset : joined.offset + size + 1]
    data = joined.buffers()[2]
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])] if size else memoryview(b"")


# --- per type: (lengths with -1 for null, payload as a binary array with b"" for null) ----------------------

Encoded = tuple[np.ndarray, pa.Array]


def _encoder(arrow: pa.DataType, kind: str) -> Callable[[pa.Array], Encoded] | None:
    """How a column of pyarrow type ``arrow`` is written for a PostgreSQL column of type ``kind``."""
    if pa.types.is_null(arrow):
        return _nulls
    if kind in INTEGERS and pa.types.is_integer(arrow):
        target, dtype = INTEGERS[kind]
        return lambda array: _integers(array, target, dtype)
    if kind == "bool" and pa.types.is_boolean(arrow):
        return _booleans
    if kind == "date" and pa.types.is_date32(arrow):
        return _dates
    if kind == "timestamptz" and pa.types.is_timestamp(arrow) and arrow.tz is not None:
        return _timestamps
    if kind == "numeric" and pa.types.is_decimal128(arrow) and arrow.precision <= 18 and 0 <= arrow.scale <= 4:
        return _numerics
    if kind in TEXTS and (pa.types.is_string(arrow) or pa.types.is_large_string(arrow)):
        return _texts
    return None


def _valid(array: pa.Array) -> np.ndarray | None:
    """Mask of non-null values, ``None`` when there is no null."""
    if not array.null_count:
        return None
    return np.asarray(array.is_valid(), dtype=bool)


def _fixed_width(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """A binary array of each value's bytes (b"" where not ``valid``)."""
    size = len(values)
    width = values.dtype.itemsize
    raw = np.ascontiguousarray(values).view(np.uint8).reshape(size, width)
    offsets = np.zeros(size + 1, dtype=np.int32)
    if valid is None:
        offsets[1:] = np.arange(width, (size + 1) * width, width, dtype=np.int32)
        data = raw.reshape(-1)
    else:
        np.cumsum(valid.astype(np.int32) * width, out=offsets[1:])
        data = raw[valid].reshape(-1)
    return pa.Array.from_buffers(pa.binary(), size, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _lengths(width: int, size: int, valid: np.ndarray | None) -> np.ndarray:
    return np.full(size, width, dtype=np.int32) if valid is None else np.where(valid, width, -1).astype(np.int32)


def _nulls(array: pa.Array) -> Encoded:
    size = len(array)
    return np.full(size, -1, dtype=np.int32), _fixed_width(np.zeros(size, dtype=np.uint8), np.zeros(size, bool))


def _integers(array: pa.Array, target: pa.DataType, dtype: str) -> Encoded:
    valid = _valid(array)
    values = np.asarray(pc.fill_null(pc.cast(array, target), 0)).astype(dtype)
    return _lengths(values.dtype.itemsize, len(array), valid), _fixed_width(values, valid)


def _booleans(array: pa.Array) -> Encoded:
    valid = _valid(array)
    values = np.asarray(pc.fill_null(array, False), dtype=bool).astype(np.uint8)
    return _lengths(1, len(array), valid), _fixed_width(values, valid)


def _dates(array: pa.Array) -> Encoded:
    valid = _valid(array)
    days = np.asarray(pc.fill_null(pc.cast(array, pa.int32()), 0), dtype=np.int64) - PG_EPOCH_DAYS
    return _lengths(4, len(array), valid), _fixed_width(days.astype(">i4"), valid)


def _timestamps(array: pa.Array) -> Encoded:
    """Microseconds since 2000-01-01 UTC (PostgreSQL's integer timestamps)."""
    valid = _valid(array)
    micros = np.asarray(pc.fill_null(pc.cast(pc.cast(array, pa.timestamp("us", "UTC")), pa.int64()), 0))
    return _lengths(8, len(array), valid), _fixed_width((micros - PG_EPOCH_MICROSECONDS).astype(">i8"), valid)


def _texts(array: pa.Array) -> Encoded:
    lengths = np.asarray(pc.fill_null(pc.binary_length(array), -1), dtype=np.int32)
    return lengths, pc.fill_null(pc.cast(array, pa.binary()), pa.scalar(b"", pa.binary()))


def _numerics(array: pa.Array) -> Encoded:
    """NUMERIC's binary form: digit count, weight, sign, display scale, then base-10,000 digits.

    Every value gets the same digits (all integer groups the precision allows, one group of decimals when the
    scale is not 0); PostgreSQL strips the leading and trailing zero groups (``make_result``)."""
    kind = array.type
    valid = _valid(array)
    size = len(array)
    words = np.frombuffer(array.buffers()[1], dtype=np.int64)[2 * array.offset : 2 * (array.offset + size)]
    unscaled = words[0::2].copy()  # the low half: values of at most 18 digits fit in it (two's complement)
    if valid is not None:
        unscaled[~valid] = 0
    negative = unscaled < 0
    magnitude = np.abs(unscaled)
    whole, fraction = np.divmod(magnitude, 10**kind.scale)
    integer_groups = max(1, -(-(kind.precision - kind.scale) // NBASE_DIGITS))
    fraction_groups = 1 if kind.scale else 0
    count = integer_groups + fraction_groups
    matrix = np.empty((size, 4 + count), dtype=">i2")
    matrix[:, 0] = count
    matrix[:, 1] = integer_groups - 1  # weight of the first group
    matrix[:, 2] = np.where(negative, NUMERIC_NEG, 0)
    matrix[:, 3] = kind.scale
    for group in range(integer_groups):
        matrix[:, 4 + group] = (whole // 10 ** (NBASE_DIGITS * (integer_groups - 1 - group))) % 10**NBASE_DIGITS
    if fraction_groups:
        matrix[:, 4 + integer_groups] = fraction * 10 ** (NBASE_DIGITS - kind.scale)
    record = matrix.view(np.dtype((np.void, matrix.itemsize * (4 + count)))).reshape(size)
    return _lengths(2 * (4 + count), size, valid), _fixed_width(record, valid)
