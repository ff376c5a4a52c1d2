"""Check every cell and every household of a file, column by column (vectorised with pyarrow and numpy).

A million rows are checked without a Python loop per row: each check yields a mask of bad
cells, and only those cells are turned into Chinese problems. The result holds typed values
(identifiers for enumerations, dates, ``Decimal`` money, null for an empty cell) and the rows
grouped into households, ready to be compared with the database.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jiuzhu.core import id_numbers
from jiuzhu.exchange.columns import BY_KEY, COLUMNS, HOUSEHOLD_KEYS, NOTHING, Column, Kind
from jiuzhu.exchange.problems import KEEP_LIMIT, Problems
from jiuzhu.exchange.reading import RawTable

COLUMN_ORDER = {c.key: i for i, c in enumerate(COLUMNS)}
MONEY_TYPE = pa.decimal128(12, 2)
MAX_COUNT = 32767  # PositiveSmallIntegerField
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK_CHARACTERS = np.frombuffer(b"10X98765432", dtype=np.uint8)
EARLIEST_BIRTH = dt.date(1890, 1, 1)
EPOCH = dt.date(1970, 1, 1)
PARALLEL_FROM_ROWS = 50_000  # files from this size have their columns checked on two threads
DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


@dataclass
class Households:
    """Rows grouped by 户编号: ``code[row]`` indexes ``numbers`` (-1 when the row has none)."""

    code: np.ndarray
    numbers: list[str]
    first_row: np.ndarray  # first row of each household
    values: dict[str, pa.Array] = field(default_factory=dict)  # household column → value per household
    source_row: dict[str, np.ndarray] = field(default_factory=dict)  # row each value was read from

    @property
    def size(self) -> int:
        return len(self.numbers)


@dataclass
class Rows:
    """The checked file: typed values per row, the ID number's facts, and the households."""

    raw: RawTable
    values: dict[str, pa.Array]
    invalid: dict[str, np.ndarray]  # cells with a problem, per column
    birth_date: pa.Array  # from the ID number (null where the number is invalid)
    sex: pa.Array
    households: Households

    @property
    def size(self) -> int:
        return self.raw.size

    def has(self, key: str) -> bool:
        return key in self.values

    def ok(self, key: str) -> np.ndarray:
        """Rows whose cell in ``key`` has no problem."""
        return ~self.invalid.get(key, np.zeros(self.size, dtype=bool))


class Reporter:
    """Turns masks of bad cells into problems, building the text only for the cells that will be shown."""

    def __init__(self, raw: RawTable, problems: Problems, *, keys: list[str] | None = None) -> None:
        self.raw = raw
        self.problems = problems
        self.invalid: dict[str, np.ndarray] = {
            k: v.copy() for k, v in raw.reported.items() if keys is None or k in keys
        }

    def mark(self, key: str, mask: np.ndarray, message: Callable[[int], str] | str) -> None:
        """Report each row of ``mask`` (skipping cells already reported) in column ``key``."""
        already = self.invalid.setdefault(key, np.zeros(self.raw.size, dtype=bool))
        positions = np.flatnonzero(mask & ~already)
        if not len(positions):
            return
        already[positions] = True
        self.problems.total += max(0, len(positions) - KEEP_LIMIT)
        header = BY_KEY[key].header
        for position in positions[:KEEP_LIMIT].tolist():
            text = message(position) if callable(message) else message
            self.problems.add(
                sheet=int(self.raw.sheet_index[position]),
                row=int(self.raw.row_number[position]),
                column=header,
                column_order=COLUMN_ORDER[key],
                problem=text,
            )

    def where(self, position: int) -> str:
        """How another row is named in a message: 第 N 行, with its sheet when that differs."""
        sheet = int(self.raw.sheet_index[position])
        row = int(self.raw.row_number[position])
        name = self.raw.sheets[sheet] if len(self.raw.sheets) > 1 else ""
        return f"工作表「{name}」第 {row} 行" if name else f"第 {row} 行"


def check_rows(raw: RawTable, *, problems: Problems, today: dt.date) -> Rows:
    """Check the cells of ``raw`` and group its rows into households; problems go to ``problems``."""
    report = Reporter(raw, problems)
    values: dict[str, pa.Array] = {}
    birth, sex = pa.nulls(raw.size, pa.date32()), pa.nulls(raw.size, pa.string())
    columns = [column for column in COLUMNS if column.key in raw.columns]
    for column, (own, typed, facts) in zip(columns, _each_column(raw, problems, columns), strict=True):
        problems.merge(own.problems)
        report.invalid[column.key] = own.invalid[column.key]
        values[column.key] = typed
        if facts is not None:
            birth, sex = facts
    _check_birth_and_sex(raw, values, birth, sex, report)
    _check_disability(values, report)
    _check_person_category(values, report, today)
    households = _group_households(values, report, today)
    return Rows(raw, values, report.invalid, birth, sex, households)


def _each_column(
    raw: RawTable, problems: Problems, columns: list[Column]
) -> Iterator[tuple[Reporter, pa.Array, tuple[pa.Array, pa.Array] | None]]:
    """Each column's cell checks (and the ID number's facts and duplicates), in column order: (its problems, its
    typed values, birth dates and sexes for the ID number column).

    The columns are independent (each check reports in its own column only), so a large file's are checked on
    two threads, each with its own ``Reporter``; pyarrow and NumPy release the GIL. The problems are merged in
    column order, as one thread would have found them.
    """

    def check(column: Column) -> tuple[Reporter, pa.Array, tuple[pa.Array, pa.Array] | None]:
        own = Reporter(raw, Problems(file=problems.file, sheets=problems.sheets), keys=[column.key])
        text = raw.columns[column.key]
        if column.required:
            own.mark(column.key, _np(text.is_null()), "不能为空")
        typed = _CHECKS[column.kind](column, text, own)
        facts = None
        if column.key == "id_number":
            facts = _id_facts(typed, own)
            _check_duplicate_ids({"id_number": typed}, own)  # after the facts, as ever: one problem per cell
        own.invalid.setdefault(column.key, np.zeros(raw.size, dtype=bool))
        return own, typed, facts

    if raw.size < PARALLEL_FROM_ROWS:
        yield from map(check, columns)
        return
    with concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="check") as pool:
        # the ID number column (checks and facts) is the longest: started first
        order = sorted(range(len(columns)), key=lambda i: columns[i].key != "id_number")
        futures = {i: pool.submit(check, columns[i]) for i in order}
        for i in range(len(columns)):
            yield futures[i].result()


# --- cell checks -------------------------------------------------------------------------------------
#
# Coded columns (enumerations, codes, dates, amounts) hold few distinct values: each is checked once,
# on the column's dictionary, and the result spread back to the rows.


def _np(mask: pa.Array) -> np.ndarray:
    """A boolean pyarrow array as numpy, null counted as False."""
    return np.asarray(pc.fill_null(mask, False), dtype=bool)


class Distinct:
    """The distinct values of a column and, for each row, the index of its value (-1 for an empty cell)."""

    def __init__(self, text: pa.Array) -> None:
        encoded = text.dictionary_encode()
        self.values: pa.Array = encoded.dictionary
        self.index = np.asarray(pc.fill_null(encoded.indices, -1), dtype=np.int64)

    def rows(self, per_value: np.ndarray | pa.Array) -> np.ndarray:
        """A mask over distinct values, as a mask over rows."""
        mask = per_value if isinstance(per_value, np.ndarray) else _np(per_value)
        if not len(mask):
            return np.zeros(len(self.index), dtype=bool)
        return (self.index >= 0) & mask[np.maximum(self.index, 0)]

    def spread(self, per_value: pa.Array) -> pa.Array:
        """Values computed per distinct value, back in row order (null for empty cells)."""
        return per_value.take(pa.array(self.index, mask=self.index < 0))


def _fold(text: pa.Array) -> pa.Array:
    """Full-width characters folded to ASCII (NFKC) and inner spaces removed, for coded values."""
    if not pc.all(pc.fill_null(pc.string_is_ascii(text), True)).as_py():
        text = pc.utf8_normalize(text, "NFKC")
    if pc.any(pc.fill_null(pc.match_substring_regex(text, r"\s"), False)).as_py():
        text = pc.replace_substring_regex(text, r"\s+", "")
    return text


def _check_text(column: Column, text: pa.Array, report: Reporter) -> pa.Array:
    if column.max_length:
        length = pc.utf8_length(text)
        report.mark(
            column.key,
            _np(pc.greater(length, column.max_length)),
            lambda p: f"超过 {column.max_length} 个字（现为 {length[p].as_py()} 个字）",
        )
    if column.key == "household_number":
        return _fold(text)
    return text


def _check_phone(column: Column, text: pa.Array, report: Reporter) -> pa.Array:
    folded = _fold(text)
    bad = _np(pc.invert(pc.match_substring_regex(folded, r"^\+?[0-9][0-9()\-]*$")))
    report.mark(column.key, bad, lambda p: f"“{text[p].as_py()}”不是有效的电话号码：只能包含数字和“-”")
    report.mark(column.key, _np(pc.greater(pc.utf8_length(folded), column.max_length)), f"超过 {column.max_length} 位")
    return folded


def _check_region(column: Column, text: pa.Array, report: Reporter) -> pa.Array:
    distinct = Distinct(text)
    folded = _fold(distinct.values)
    bad = distinct.rows(pc.invert(pc.match_substring_regex(folded, r"^\d{12}$")))
    report.mark(column.key, bad, lambda p: f"应为12位数字的村(社区)区划代码，实为“{text[p].as_py()}”")
    return distinct.spread(folded)


def _check_enum(column: Column, text: pa.Array, report: Reporter) -> pa.Array:
    mapping = column.value_map()
    keys = pa.array(list(mapping), type=pa.string())
    targets = pa.array([None if v == NOTHING else v for v in mapping.values()], type=pa.string())
    distinct = Distinct(text)
    index = pc.index_in(pc.utf8_lower(_fold(distinct.values)), value_set=keys)
    allowed = "、".join(column.labels)
    report.mark(
        column.key, distinct.rows(index.is_null()), lambda p: f"“{text[p].as_py()}”不是可选的值（可选：{allowed}）"
    )
    result = distinct.spread(targets.take(index))
    if column.empty_means is not None:
        result = pc.if_else(text.is_null(), pa.scalar(column.empty_means), result)
    return result


def _check_date(column: Column, text: pa.Array, report: Reporter) -> pa.Array:
    distinct = Distinct(text)
    dates, bad = parse_dates(distinct.values)
    report.mark(column.key, distinct.rows(bad), lambda p: f"“{text[p].as_py()}”不是有效的日期（格式如2024-01-31）")
    return distinct.spread(dates)


def civil_dates(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(days since 1970-01-01, valid) for calendar parts; 2023-02-30 is not valid."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_index = np.clip(month - 1, 0, 11)
    length = DAYS_IN_MONTH[month_index] + (leap & (month == 2))
    valid = (month >= 1) & (month <= 12) & (day >= 1) & (day <= length) & (year >= 1)
    months = ((np.where(valid, year, 1970) - 1970) * 12 + month_index).astype("datetime64[M]")
    days = months.astype("datetime64[D]").astype(np.int64) + np.where(valid, day - 1, 0)
    return days, valid


def parse_dates(text: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """2024-01-31, 2024/1/31, 2024.1.31, 2024年1月31日 or 20240131 → date32; second: mask of bad cells."""
    folded = _fold(text)
    split = pc.extract_regex(folded, r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?$")
    packed = pc.extract_regex(folded, r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
    parts = [
        np.asarray(pc.cast(pc.coalesce(pc.struct_field(split, [i]), pc.struct_field(packed, [i]), "0"), pa.int64()))
        for i in range(3)
    ]
    days, valid = civil_dates(*parts)
    dates = pa.array(days.astype(np.int32), type=pa.date32(), mask=~valid)
    bad = _np(text.is_valid()) & ~valid
    return dates, bad


def _check_money(column: Column, text: pa.Array, report: Reporter) -> pa.Array:
    distinct = Distinct(text)
    raw = distinct.values
    folded = pc.replace_substring_regex(_fold(raw), r"[,，]|元$", "")
    # Trailing zeros after the point do not count as decimals: 12.500 is 12.50.
    folded = pc.replace_substring_regex(folded, r"^(-?\d+\.\d*?)0+$", r"\1")
    folded = pc.replace_substring_regex(folded, r"\.$", "")
    number = pc.match_substring_regex(folded, r"^-?\d+(\.\d+)?$")
    report.mark(column.key, distinct.rows(pc.invert(number)), lambda p: f"“{text[p].as_py()}”不是有效的金额")
    report.mark(column.key, distinct.rows(pc.and_(number, pc.starts_with(folded, "-"))), "不能为负数")
    report.mark(
        column.key,
        distinct.rows(pc.match_substring_regex(folded, r"^\d+\.\d{3,}$")),
        lambda p: f"“{text[p].as_py()}”超过两位小数（金额精确到分）",
    )
    report.mark(
        column.key,
        distinct.rows(pc.match_substring_regex(folded, r"^\d{11,}")),
        lambda p: f"“{text[p].as_py()}”金额过大",
    )
    good = pc.match_substring_regex(folded, r"^\d{1,10}(\.\d{1,2})?$")
    return distinct.spread(pc.cast(pc.if_else(good, folded, pa.scalar(None, pa.string())), MONEY_TYPE))


def _check_count(column: Column, text: pa.Array, report: Reporter) -> pa.Array:
    distinct = Distinct(text)
    folded = _fold(distinct.values)
    digits = pc.match_substring_regex(folded, r"^\d{1,5}$")
    report.mark(column.key, distinct.rows(pc.invert(digits)), lambda p: f"“{text[p].as_py()}”应为不小于0的整数")
    number = pc.cast(pc.if_else(digits, folded, pa.scalar(None, pa.string())), pa.int32())
    report.mark(column.key, distinct.rows(pc.greater(number, MAX_COUNT)), "数值过大")
    return distinct.spread(pc.if_else(pc.less_equal(number, MAX_COUNT), number, pa.scalar(None, pa.int32())))


def _check_id_number(column: Column, text: pa.Array, report: Reporter) -> pa.Array:
    folded = pc.utf8_upper(_fold(text))
    report.mark(
        column.key,
        _np(pc.match_substring(folded, "*")),
        "是脱敏号码（含“*”），不能用于导入；请使用显示完整身份证号的导出文件或原始资料",
    )
    return folded


_CHECKS: dict[Kind, Callable[[Column, pa.Array, Reporter], pa.Array]] = {
    Kind.TEXT: _check_text,
    Kind.PHONE: _check_phone,
    Kind.REGION: _check_region,
    Kind.ID_NUMBER: _check_id_number,
    Kind.ENUM: _check_enum,
    Kind.BOOL: _check_enum,
    Kind.DATE: _check_date,
    Kind.MONEY: _check_money,
    Kind.COUNT: _check_count,
}


# --- ID numbers --------------------------------------------------------------------------------------


def digit_matrix(strings: pa.Array, width: int) -> np.ndarray:
    """An array of ASCII strings all ``width`` long, as an (n, width) uint8 matrix without copying per row."""
    strings = pa.concat_arrays([strings]) if strings.offset else strings
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32)[: len(strings) + 1]
    data = np.frombuffer(strings.buffers()[2], dtype=np.uint8)
    return data[offsets[0] : offsets[-1]].reshape(-1, width)


def id_number_facts(numbers: pa.Array, today: dt.date) -> tuple[np.ndarray, pa.Array, pa.Array]:
    """(valid mask, birth date, sex) of upper-cased numbers, with the rules of ``core.id_numbers.parse``."""
    shape = _np(pc.match_substring_regex(numbers, r"^\d{17}[\dX]$"))
    filled = pc.if_else(pa.array(shape), numbers, pa.scalar("1" * 6 + "19000101" + "0000", pa.string()))
    matrix = digit_matrix(filled, 18)
    digits = matrix[:, :17].astype(np.int64) - 48
    checksum = ID_CHECK_CHARACTERS[(digits @ ID_WEIGHTS) % 11] == matrix[:, 17]
    year = digits[:, 6:10] @ np.array([1000, 100, 10, 1])
    days, real = civil_dates(year, digits[:, 10] * 10 + digits[:, 11], digits[:, 12] * 10 + digits[:, 13])
    in_range = (days >= (EARLIEST_BIRTH - EPOCH).days) & (days <= (today - EPOCH).days)
    valid = shape & checksum & real & in_range
    sex = pa.array(np.where(digits[:, 16] % 2 == 1, "male", "female"), type=pa.string(), mask=~valid)
    return valid, pa.array(days.astype(np.int32), type=pa.date32(), mask=~valid), sex


def _id_facts(numbers: pa.Array, report: Reporter) -> tuple[pa.Array, pa.Array]:
    today = dt.date.today()  # core.id_numbers.parse compares with the same date
    valid, births, sex = id_number_facts(numbers, today)
    bad = _np(numbers.is_valid()) & ~valid
    messages: dict[int, str] = {}
    for position in np.flatnonzero(bad)[:KEEP_LIMIT].tolist():
        try:
            id_numbers.parse(numbers[position].as_py())
        except id_numbers.IdNumberError as error:
            messages[position] = str(error)
        else:  # the vectorised rules and core.id_numbers disagree: trust the core
            messages[position] = ""
    accepted = [p for p, m in messages.items() if not m]
    if accepted:
        bad[accepted] = False
    report.mark("id_number", bad, lambda p: messages.get(p, "不是有效的身份证号"))
    return births, sex


def _check_birth_and_sex(
    raw: RawTable, values: dict[str, pa.Array], birth: pa.Array, sex: pa.Array, report: Reporter
) -> None:
    if "birth_date" in values:
        given = values["birth_date"]
        differs = _np(pc.not_equal(given, birth))
        report.mark(
            "birth_date",
            differs,
            lambda p: f"{given[p].as_py():%Y-%m-%d}与身份证号中的出生日期{birth[p].as_py():%Y-%m-%d}不一致",
        )
    if "sex" in values:
        given_sex = values["sex"]
        differs = _np(pc.not_equal(given_sex, sex))
        label = dict(BY_KEY["sex"].choices)
        report.mark(
            "sex",
            differs,
            lambda p: f"“{label[given_sex[p].as_py()]}”与身份证号第17位所示性别“{label[sex[p].as_py()]}”不一致",
        )


def _check_duplicate_ids(values: dict[str, pa.Array], report: Reporter) -> None:
    numbers = values.get("id_number")
    if numbers is None:
        return
    codes = _codes(numbers)
    present = codes >= 0
    rows = np.flatnonzero(present)
    _, first_index, counts = np.unique(codes[rows], return_index=True, return_counts=True)
    if (counts == 1).all():
        return
    first_of_code = np.full(codes.max() + 1, -1, dtype=np.int64)
    first_of_code[codes[rows[first_index]]] = rows[first_index]
    first = np.where(present, first_of_code[np.maximum(codes, 0)], -1)
    repeated = present & (first != np.arange(len(codes)))
    report.mark("id_number", repeated, lambda p: f"与{report.where(int(first[p]))}的身份证号相同：同一人只能出现一次")


def _check_disability(values: dict[str, pa.Array], report: Reporter) -> None:
    if "disability_type" not in values:
        return
    kind = _np(values["disability_type"].is_valid())
    grade = _np(values["disability_grade"].is_valid())
    both_ok = report.invalid.get("disability_type", np.zeros(len(kind), bool)) | report.invalid.get(
        "disability_grade", np.zeros(len(kind), bool)
    )
    report.mark("disability_grade", (kind != grade) & ~both_ok, "残疾类别和残疾等级应同时填写或同时为空")


def _category_problems(
    values: dict[str, pa.Array],
    invalid: dict[str, np.ndarray],
    today: dt.date,
    *,
    category: str,
    start: str,
    amount: str,
) -> list[tuple[str, np.ndarray, str]]:
    """A category needs its start date; a date or amount needs a category; the start is not in the future."""
    size = len(values[category])
    none = np.zeros(size, bool)
    has_category = _np(values[category].is_valid()) | invalid.get(category, none)
    has_start = _np(values[start].is_valid()) | invalid.get(start, none)
    found = [
        (start, has_category & ~has_start, f"填写了「{BY_KEY[category].header}」时必须填写"),
        (category, ~has_category & has_start, f"填写了「{BY_KEY[start].header}」但没有填写类别"),
        (start, _np(pc.greater(values[start], pa.scalar(today))), "不能晚于今天"),
    ]
    if amount in values:
        has_amount = _np(values[amount].is_valid()) | invalid.get(amount, none)
        found.append((category, ~has_category & has_amount, f"填写了「{BY_KEY[amount].header}」但没有填写类别"))
    return found


def _check_person_category(values: dict[str, pa.Array], report: Reporter, today: dt.date) -> None:
    if "person_category" not in values:
        return
    for key, mask, message in _category_problems(
        values,
        report.invalid,
        today,
        category="person_category",
        start="person_category_from",
        amount="person_category_amount",
    ):
        report.mark(key, mask, message)


# --- households --------------------------------------------------------------------------------------


def _codes(array: pa.Array) -> np.ndarray:
    """Dictionary codes of ``array`` (-1 for null): equal values, equal codes."""
    encoded = array.dictionary_encode()
    return np.asarray(pc.fill_null(encoded.indices, -1), dtype=np.int64)


def _group_households(values: dict[str, pa.Array], report: Reporter, today: dt.date) -> Households:
    numbers = values.get("household_number")
    size = report.raw.size
    if numbers is None:
        return Households(np.full(size, -1, np.int64), [], np.zeros(0, np.int64))
    encoded = numbers.dictionary_encode()
    code = np.asarray(pc.fill_null(encoded.indices, -1), dtype=np.int64)
    names = encoded.dictionary.to_pylist()
    first_row = np.full(len(names), size, dtype=np.int64)
    rows = np.arange(size)
    np.minimum.at(first_row, code[code >= 0], rows[code >= 0])
    households = Households(code, names, first_row)
    for key in HOUSEHOLD_KEYS:
        if key in values and key != "household_number":
            _household_value(households, key, values[key], report)
    _check_household_category(households, report, today)
    _check_heads_in_file(households, values, report)
    return households


def _first_rows(owners: np.ndarray, rows: np.ndarray, households: int) -> np.ndarray:
    """Per household, the first of ``rows`` it owns (``owners``), -1 for none."""
    first = np.full(households, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, owners, rows)
    return np.where(first == np.iinfo(np.int64).max, -1, first)


def _agree_with(typed: pa.Array, rows: np.ndarray, reference_rows: np.ndarray) -> bool:
    """Whether the values at ``rows`` equal those at ``reference_rows``, one for one."""
    selected = typed.take(pa.array(rows))
    reference = typed.take(pa.array(reference_rows))
    return bool(pc.all(pc.equal(selected, reference)).as_py())


def _household_value(households: Households, key: str, typed: pa.Array, report: Reporter) -> None:
    """The household's value of ``key`` is the one most of its non-empty cells hold (the earliest on a tie);
    the cells that disagree with it are the ones reported, not the rows that were right."""
    code = households.code
    valid = _np(typed.is_valid()) & (code >= 0) & ~report.invalid.get(key, np.zeros(len(code), bool))
    rows = np.flatnonzero(valid)
    source = np.full(households.size, -1, dtype=np.int64)
    first = _first_rows(code[rows], rows, households.size)
    if len(rows) and _agree_with(typed, rows, first[code[rows]]):
        # The usual file: every member row repeats its household's values, so the first row holding one is
        # the source and no cell differs (no dictionary encoding and sorting of a million values).
        households.source_row[key] = np.where(first >= 0, first, households.first_row)
        households.values[key] = typed.take(pa.array(first, mask=first < 0))
        return
    value_code = _codes(typed)
    if len(rows):
        # one entry per (household, value): how many rows hold it and the first of them
        pairs = code[rows] * (int(value_code.max()) + 1) + value_code[rows]
        _, first, counts = np.unique(pairs, return_index=True, return_counts=True)
        owner = code[rows[first]]
        best = np.lexsort((rows[first], -counts, owner))  # per household: most rows, then earliest
        chosen = best[np.r_[True, owner[best][1:] != owner[best][:-1]]]
        source[owner[chosen]] = rows[first[chosen]]
    households.source_row[key] = np.where(source >= 0, source, households.first_row)
    households.values[key] = typed.take(pa.array(source, mask=source < 0))
    reference = np.where(code >= 0, source[np.maximum(code, 0)], -1)
    differs = valid & (reference >= 0) & (value_code != value_code[np.maximum(reference, 0)])
    raw = report.raw.columns[key]
    report.mark(
        key,
        differs,
        lambda p: (
            f"“{raw[p].as_py()}”与同户{report.where(int(reference[p]))}的"
            f"“{raw[int(reference[p])].as_py()}”不一致：同一户的家庭信息应相同"
        ),
    )


def _check_household_category(households: Households, report: Reporter, today: dt.date) -> None:
    """The category checks on household values, reported at the row each value was read from."""
    if "category" not in households.values:
        return
    keys = [k for k in ("category", "category_from", "category_amount") if k in households.values]
    invalid: dict[str, np.ndarray] = {
        k: report.invalid.get(k, np.zeros(report.raw.size, bool))[households.source_row[k]] for k in keys
    }
    for key, mask, message in _category_problems(
        households.values, invalid, today, category="category", start="category_from", amount="category_amount"
    ):
        rows = np.zeros(report.raw.size, bool)
        rows[households.source_row[key][mask]] = True
        report.mark(key, rows, message)


def _check_heads_in_file(households: Households, values: dict[str, pa.Array], report: Reporter) -> None:
    """Two rows of one household saying 户主: the second is wrong (zero heads is checked with the database)."""
    if "relation" not in values:
        return
    code = households.code
    head = _np(pc.equal(values["relation"], "head")) & (code >= 0)
    rows = np.flatnonzero(head)
    if not len(rows):
        return
    first_head = np.full(households.size, -1, dtype=np.int64)
    unique, first = np.unique(code[rows], return_index=True)
    first_head[unique] = rows[first]
    extra = head & (first_head[np.maximum(code, 0)] != np.arange(len(code)))
    report.mark(
        "relation", extra, lambda p: f"一户只能有一名户主，本户{report.where(int(first_head[code[p]]))}已填写“户主”"
    )
