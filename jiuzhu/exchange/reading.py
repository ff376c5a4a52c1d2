"""Read an xlsx, csv or parquet file into columns of text, one per known header.

xlsx is read with ``exchange.xlsx`` (a fast cell scanner), csv and parquet with pyarrow. Every cell
becomes text (or null when empty), so the checks that follow treat all formats alike.
Row numbers are those a user sees in Excel: the header is row 1 in CSV and Parquet.
"""

from __future__ import annotations

import concurrent.futures
import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from jiuzhu.core.errors import DomainError
from jiuzhu.exchange.columns import BY_KEY, COLUMN_GROUPS, COLUMNS, REQUIRED_KEYS, column_for_header, normalize_header
from jiuzhu.exchange.problems import ImportRejected, Problems
from jiuzhu.exchange.xlsx import Cells, Sheet, XlsxError, XlsxReader

SUPPORTED_SUFFIXES = (".xlsx", ".csv", ".parquet")
DATA_SHEET = "家庭成员"
AUX_SHEETS = ("填写说明", "村(社区)代码", "选项")
IGNORED_HEADERS = frozenset(normalize_header(h) for h in ("序号", "备注"))
HEADER_SCAN_ROWS = 10
MIN_KNOWN_HEADERS = 3
# Cells that must stay text: Excel turns long digit strings into floats and drops digits.
TEXT_KEYS = frozenset({"household_number", "id_number", "region_code", "phone"})
COLUMN_POSITION = {c.key: i for i, c in enumerate(COLUMNS)}
PARALLEL_FROM_ROWS = 50_000  # columns cleaned on two threads from this size


@dataclass
class RawTable:
    """Columns of stripped text (null for an empty cell), keyed by column identifier."""

    file: str
    sheets: list[str]
    columns: dict[str, pa.Array]
    row_number: np.ndarray  # spreadsheet row of each record
    sheet_index: np.ndarray  # index into ``sheets``
    reported: dict[str, np.ndarray] = field(default_factory=dict)  # cells already given a problem

    @property
    def size(self) -> int:
        return len(self.row_number)

    def has(self, key: str) -> bool:
        return key in self.columns


def read_table(path: Path, *, name: str, problems: Problems) -> RawTable:
    """Read ``path`` (shown to the user as ``name``); header problems raise ``ImportRejected``."""
    suffix = path.suffix.lower() or Path(name).suffix.lower()
    if suffix == ".xls":
        raise DomainError("import_old_xls", "不支持旧版 .xls 文件，请在 Excel 中“另存为” .xlsx 后再导入。")
    if suffix not in SUPPORTED_SUFFIXES:
        raise DomainError("import_format", f"无法导入“{name}”：只支持 .xlsx、.csv 和 .parquet 文件。")
    try:
        if suffix == ".xlsx":
            table = _read_xlsx(path, name, problems)
        elif suffix == ".csv":
            table = _read_csv(path, name, problems)
        else:
            table = _read_parquet(path, name, problems)
    except (OSError, ValueError, KeyError, pa.ArrowException):
        raise DomainError("import_unreadable", f"无法读取“{name}”：文件已损坏或不是{suffix[1:]}格式。") from None
    if problems:
        raise ImportRejected(problems)
    return table


# --- headers ---------------------------------------------------------------------------------------


def _map_header(cells: list[Any], *, sheet: int, row: int, problems: Problems) -> dict[int, str]:
    """Column position → column identifier; unknown, duplicate and missing headers become problems."""
    mapping: dict[int, str] = {}
    seen: dict[str, str] = {}
    for position, cell in enumerate(cells):
        text = "" if cell is None else str(cell).strip()
        if not text or normalize_header(text) in IGNORED_HEADERS:
            continue
        column = column_for_header(text)
        if column is None:
            problems.add(
                sheet=sheet,
                row=row,
                column=text,
                column_order=position,
                problem="不是导入模板中的列名，请对照模板的「填写说明」改正（“序号”“备注”列可以保留）",
            )
        elif column.key in seen:
            problems.add(
                sheet=sheet,
                row=row,
                column=text,
                column_order=position,
                problem=f"与「{seen[column.key]}」是同一列，重复出现",
            )
        else:
            seen[column.key] = text
            mapping[position] = column.key
    present = set(mapping.values())
    missing = [BY_KEY[k].header for k in REQUIRED_KEYS if k not in present]
    if missing:
        problems.add(
            sheet=sheet,
            row=row,
            column="",
            column_order=-1,
            problem="表头缺少必填列：" + "、".join(f"「{h}」" for h in missing),
        )
    for group in COLUMN_GROUPS:
        have = [k for k in group if k in present]
        if have and len(have) < len(group):
            absent = [BY_KEY[k].header for k in group if k not in present]
            problems.add(
                sheet=sheet,
                row=row,
                column="",
                column_order=-1,
                problem=f"有「{BY_KEY[have[0]].header}」列时必须同时有" + "、".join(f"「{h}」" for h in absent) + "列",
            )
    return mapping


def _known_header_count(cells: Sequence[Any]) -> int:
    return sum(1 for c in cells if c is not None and column_for_header(str(c).strip()) is not None)


# --- xlsx ------------------------------------------------------------------------------------------


def _read_xlsx(path: Path, name: str, problems: Problems) -> RawTable:
    try:
        reader = XlsxReader(path)
    except XlsxError:
        raise DomainError("import_unreadable", f"无法读取“{name}”：文件已损坏或不是 xlsx 格式。") from None
    with reader:
        try:
            return _read_workbook(reader, name, problems)
        except XlsxError:
            raise DomainError(
                "import_unreadable",
                f"无法读取“{name}”：文件结构不完整，请用 Excel 或 WPS 打开后“另存为” .xlsx 再导入。",
            ) from None


def _header_rows(cells: Cells) -> dict[int, list[str | None]]:
    """The first rows of a sheet as lists of text by column position."""
    rows: dict[int, list[str | None]] = {}
    for row, column, text in zip(cells.row.tolist(), cells.column.tolist(), cells.text.to_pylist(), strict=True):
        values = rows.setdefault(row, [])
        values.extend([None] * (column + 1 - len(values)))
        values[column] = text
    return dict(sorted(rows.items()))


def _read_workbook(reader: XlsxReader, name: str, problems: Problems) -> RawTable:
    candidates = [sheet for sheet in reader.sheets if sheet.name not in AUX_SHEETS]
    found: list[tuple[Sheet, int, list[str | None]]] = []
    for sheet in candidates:
        for row, cells in _header_rows(reader.cells(sheet, max_row=HEADER_SCAN_ROWS)).items():
            if _known_header_count(cells) >= MIN_KNOWN_HEADERS:
                found.append((sheet, row, cells))
                break
    if not found:
        for sheet in candidates[:1]:
            first = next(iter(_header_rows(reader.cells(sheet, max_row=HEADER_SCAN_ROWS)).items()), None)
            if first is not None:
                found.append((sheet, *first))
    if not found:
        raise DomainError("import_empty", f"“{name}”中没有数据：请按导入模板填写「{DATA_SHEET}」工作表。")
    problems.sheets[:] = [item[0].name for item in found]
    parts = []
    for index, (sheet, header_row, header) in enumerate(found):
        mapping = _map_header(header, sheet=index, row=header_row, problems=problems)
        if not problems:
            parts.append(_sheet_columns(index, reader.cells(sheet), header_row, mapping, problems))
    if problems:
        raise ImportRejected(problems)
    return _concat(name, problems.sheets, parts)


def _sheet_columns(
    index: int, cells: Cells, header_row: int, mapping: dict[int, str], problems: Problems
) -> tuple[dict[str, pa.Array], np.ndarray, dict[str, np.ndarray]]:
    """One text column per mapped header (rows below the header that have a value in some mapped column)."""
    lookup = np.full(max(max(mapping, default=0), int(cells.column.max(initial=0))) + 1, -1, dtype=np.int64)
    keys = [mapping[p] for p in sorted(mapping)]
    for order, position in enumerate(sorted(mapping)):
        lookup[position] = order
    slot = lookup[cells.column]
    data = cells.select((cells.row > header_row) & (slot >= 0))
    slot = lookup[data.column]
    row_numbers = np.unique(data.row)
    record = np.searchsorted(row_numbers, data.row)
    columns: dict[str, pa.Array] = {}
    reported: dict[str, np.ndarray] = {}
    for order, key in enumerate(keys):
        mine = slot == order
        target = np.full(len(row_numbers), -1, dtype=np.int64)
        target[record[mine]] = np.arange(int(mine.sum()))
        text = data.text.filter(pa.array(mine))
        if key in TEXT_KEYS:
            # Excel keeps 15 significant digits: a long number typed without text format has lost some.
            lost = data.numeric[mine] & np.asarray(
                pc.fill_null(pc.match_substring_regex(text, r"^-?(\d{16,}|\d\.\d+[eE]\+?(1[5-9]|[2-9]\d))$"), False),
                dtype=bool,
            )
            if lost.any():
                positions = np.flatnonzero(lost)
                for position in record[mine][positions].tolist():
                    problems.add(
                        sheet=index,
                        row=int(row_numbers[position]),
                        column=BY_KEY[key].header,
                        column_order=COLUMN_POSITION[key],
                        problem="被 Excel 存成了数字，后几位已丢失；请把该列设为“文本”格式后重新录入",
                    )
                flags = np.zeros(len(row_numbers), dtype=bool)
                flags[record[mine][positions]] = True
                reported[key] = flags
                text = pc.if_else(pa.array(lost), pa.scalar(None, pa.string()), text)
        columns[key] = text.take(pa.array(target, mask=target < 0))
    return columns, row_numbers, reported


def _concat(
    name: str, sheets: list[str], parts: list[tuple[dict[str, pa.Array], np.ndarray, dict[str, np.ndarray]]]
) -> RawTable:
    keys = [c.key for c in COLUMNS if any(c.key in part[0] for part in parts)]
    columns: dict[str, pa.Array] = {}
    for key in keys:
        chunks = [part[0][key] if key in part[0] else pa.nulls(len(part[1]), type=pa.string()) for part in parts]
        columns[key] = pa.concat_arrays(chunks)
    columns = _cleaned(columns)
    reported: dict[str, np.ndarray] = {}
    for key in {k for part in parts for k in part[2]}:
        reported[key] = np.concatenate([part[2].get(key, np.zeros(len(part[1]), bool)) for part in parts])
    row_number = np.concatenate([p[1] for p in parts]).astype(np.int64)
    sheet_index = np.concatenate([np.full(len(p[1]), i, dtype=np.int16) for i, p in enumerate(parts)])
    table = RawTable(name, sheets, columns, row_number, sheet_index, reported)
    keep = _non_blank(columns, table.size)
    if keep.all():
        return table
    selector = pa.array(keep)
    return RawTable(
        name,
        sheets,
        {k: v.filter(selector) for k, v in columns.items()},
        row_number[keep],
        sheet_index[keep],
        {k: v[keep] for k, v in reported.items()},
    )


# --- csv -------------------------------------------------------------------------------------------


def _detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) unless the start of the file is not UTF-8: then GB18030 (Excel's 中文 CSV)."""
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    cut = head.rfind(b"\n")
    sample = head if cut < 0 or len(head) < (1 << 20) else head[: cut + 1]
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf8"


def _read_csv(path: Path, name: str, problems: Problems) -> RawTable:
    encoding = _detect_encoding(path)
    with path.open(encoding="utf-8-sig" if encoding == "utf8" else encoding, newline="") as handle:
        first = handle.readline()
    delimiter = "\t" if "\t" in first and "," not in first else ","
    header = next(csv.reader(io.StringIO(first), delimiter=delimiter), [])
    if not header:
        raise DomainError("import_empty", f"“{name}”是空文件。")
    problems.sheets[:] = [""]
    mapping = _map_header(header, sheet=0, row=1, problems=problems)
    if problems:
        raise ImportRejected(problems)
    names = [f"f{i}" for i in range(len(header))]
    bad_rows: list[tuple[int | None, int]] = []

    def on_invalid(row: Any) -> str:
        bad_rows.append((row.number, row.actual_columns))
        return "skip"

    def read(use_threads: bool) -> pa.Table:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding=encoding, skip_rows=1, column_names=names, use_threads=use_threads, block_size=8 << 20
            ),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                include_columns=[names[p] for p in sorted(mapping)],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )

    table = read(use_threads=True)
    if bad_rows:
        bad_rows.clear()
        read(use_threads=False)  # single-threaded, the reader knows each bad row's line number
        for line, actual in bad_rows:
            problems.add(
                sheet=0,
                row=line or 0,
                column="",
                problem=f"该行有 {actual} 列，表头有 {len(header)} 列：多了或少了逗号"
                "（文字中的逗号需用英文双引号括起）",
            )
        raise ImportRejected(problems)
    columns = _cleaned({mapping[p]: table.column(names[p]) for p in sorted(mapping)})
    keep = _non_blank(columns, table.num_rows)
    row_number = np.arange(2, table.num_rows + 2, dtype=np.int64)
    if not keep.all():
        selector = pa.array(keep)
        columns = {k: v.filter(selector) for k, v in columns.items()}
        row_number = row_number[keep]
    return RawTable(name, [""], columns, row_number, np.zeros(len(row_number), dtype=np.int16))


# --- parquet ---------------------------------------------------------------------------------------


def _as_text(array: pa.ChunkedArray) -> pa.Array:
    array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    kind = array.type
    if pa.types.is_dictionary(kind):
        array = array.dictionary_decode()
        kind = array.type
    if pa.types.is_timestamp(kind):
        array = pc.cast(array, pa.date32())
    elif pa.types.is_boolean(kind):
        return pc.if_else(array, "是", "否")
    if pa.types.is_string(array.type):
        return array
    return pc.cast(array, pa.string())


def _read_parquet(path: Path, name: str, problems: Problems) -> RawTable:
    # ParquetFile, not read_table: read_table goes through pyarrow.dataset, whose import alone costs a second.
    table = pq.ParquetFile(path).read()
    problems.sheets[:] = [""]
    mapping = _map_header(table.column_names, sheet=0, row=1, problems=problems)
    if problems:
        raise ImportRejected(problems)
    columns = _cleaned({key: table.column(position) for position, key in mapping.items()}, convert=_as_text)
    keep = _non_blank(columns, table.num_rows)
    row_number = np.arange(2, table.num_rows + 2, dtype=np.int64)
    if not keep.all():
        selector = pa.array(keep)
        columns = {k: v.filter(selector) for k, v in columns.items()}
        row_number = row_number[keep]
    return RawTable(name, [""], columns, row_number, np.zeros(len(row_number), dtype=np.int16))


# --- shared ----------------------------------------------------------------------------------------


def _cleaned(
    columns: dict[str, pa.Array | pa.ChunkedArray], convert: Callable[[Any], pa.Array] | None = None
) -> dict[str, pa.Array]:
    """``_clean`` (after ``convert``) of each column, on two threads: pyarrow's kernels release the GIL, and
    nothing else runs while a file is read (about 40 ms per column of a million cells)."""

    def clean(array: pa.Array | pa.ChunkedArray) -> pa.Array:
        return _clean(convert(array) if convert is not None else array)

    if len(columns) < 2 or max((len(c) for c in columns.values()), default=0) < PARALLEL_FROM_ROWS:
        return {key: clean(array) for key, array in columns.items()}
    with concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="clean") as pool:
        return dict(zip(columns, pool.map(clean, columns.values()), strict=True))


def _clean(array: pa.Array) -> pa.Array:
    """Strip spaces (full-width ones too); an empty cell becomes null."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    trimmed = pc.utf8_trim_whitespace(array)
    blank = pc.equal(trimmed, pa.scalar("", pa.string()))
    if not pc.any(blank).as_py():  # the usual column: skip copying it once more
        return trimmed
    return pc.if_else(blank, pa.scalar(None, pa.string()), trimmed)


def _non_blank(columns: dict[str, pa.Array], size: int) -> np.ndarray:
    """Rows with at least one non-empty cell (blank lines at the end of a sheet are common)."""
    keep = np.zeros(size, dtype=bool)
    for array in columns.values():
        keep |= np.asarray(array.is_valid(), dtype=bool)
    return keep
