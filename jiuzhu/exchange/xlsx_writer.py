"""A streaming xlsx writer that builds the worksheet XML column-wise with pyarrow.

openpyxl's write-only mode spends ~15 µs of Python per cell: a million persons × 37 columns
would take ten minutes. Here each column of a batch becomes its cells' XML in a few vectorised
string operations, the cells are joined into rows the same way, and the bytes go straight into
the zip entry. Text is written as inline strings, dates as date-styled serial numbers, amounts
as numbers shown with two decimals. A sheet holds at most Excel's 1,048,576 rows; further rows
go to 家庭成员2, 家庭成员3 …
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MAX_ROWS = 1_048_576
EXCEL_EPOCH_OFFSET = 25569  # Excel's day number of 1970-01-01
STYLE_DATE, STYLE_MONEY, STYLE_HEADER = 1, 2, 3
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_INVALID_XML = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"


@dataclass(frozen=True)
class Column:
    header: str
    width: float


def _letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _escape(text: pa.Array) -> pa.Array:
    if pc.any(pc.fill_null(pc.match_substring_regex(text, _INVALID_XML), False)).as_py():
        text = pc.replace_substring_regex(text, _INVALID_XML, "")
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        if pc.any(pc.fill_null(pc.match_substring(text, char), False)).as_py():
            text = pc.replace_substring(text, char, entity)
    return text


def _cells(values: pa.Array, letter: str, rows: pa.Array) -> pa.Array:
    """Each value's ``<c>`` element ("" for a null: no cell)."""
    kind = values.type
    if pa.types.is_date(kind):
        serial = pc.add(pc.cast(pc.cast(values, pa.int32()), pa.int64()), EXCEL_EPOCH_OFFSET)
        parts = [f'<c r="{letter}', rows, f'" s="{STYLE_DATE}"><v>', pc.cast(serial, pa.string()), "</v></c>"]
    elif pa.types.is_decimal(kind):
        parts = [f'<c r="{letter}', rows, f'" s="{STYLE_MONEY}"><v>', pc.cast(values, pa.string()), "</v></c>"]
    elif pa.types.is_integer(kind) or pa.types.is_floating(kind):
        parts = [f'<c r="{letter}', rows, '"><v>', pc.cast(values, pa.string()), "</v></c>"]
    else:
        parts = [f'<c r="{letter}', rows, '" t="inlineStr"><is><t>', _escape(values), "</t></is></c>"]
    joined = pc.binary_join_element_wise(*parts, "")
    return pc.fill_null(joined, "")


def _raw_bytes(strings: pa.Array) -> bytes:
    """The concatenation of a string array's values, read straight from its data buffer."""
    strings = pa.concat_arrays([strings]) if strings.offset else strings
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32)[: len(strings) + 1]
    data = strings.buffers()[2]
    return data.to_pybytes()[offsets[0] : offsets[-1]] if data is not None else b""


class XlsxWriter:
    """``write(table)`` for each batch (columns in ``columns`` order), then ``close()``."""

    def __init__(self, sink: str | IO[bytes], *, sheet: str, columns: list[Column]) -> None:
        self._zip = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self._base = sheet
        self._columns = columns
        self._sheets: list[str] = []
        self._entry: IO[bytes] | None = None
        self._rows = 0
        self._extra: list[tuple[str, list[list[str]]]] = []

    def _open_sheet(self) -> None:
        self._close_sheet()
        name = self._base if not self._sheets else f"{self._base}{len(self._sheets) + 1}"
        self._sheets.append(name)
        self._entry = self._zip.open(f"xl/worksheets/sheet{len(self._sheets)}.xml", "w", force_zip64=True)
        widths = "".join(
            f'<col min="{i}" max="{i}" width="{c.width}" customWidth="1"/>'
            for i, c in enumerate(self._columns, start=1)
        )
        header = "".join(
            f'<c r="{_letters(i)}1" s="{STYLE_HEADER}" t="inlineStr"><is><t>{escape(c.header)}</t></is></c>'
            for i, c in enumerate(self._columns)
        )
        self._entry.write(
            (
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}">'
                '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft"'
                ' state="frozen"/></sheetView></sheetViews>'
                f'<cols>{widths}</cols><sheetData><row r="1">{header}</row>'
            ).encode()
        )
        self._rows = 1

    def _close_sheet(self) -> None:
        if self._entry is not None:
            self._entry.write(b"</sheetData></worksheet>")
            self._entry.close()
            self._entry = None

    def write(self, table: pa.Table) -> None:
        start = 0
        while start < table.num_rows:
            if self._entry is None or self._rows >= MAX_ROWS:
                self._open_sheet()
            take = min(table.num_rows - start, MAX_ROWS - self._rows)
            self._write_rows(table.slice(start, take))
            start += take

    def _write_rows(self, table: pa.Table) -> None:
        first = self._rows + 1
        rows = pc.cast(pa.array(np.arange(first, first + table.num_rows, dtype=np.int64)), pa.string())
        cells = [_cells(table.column(i).combine_chunks(), _letters(i), rows) for i in range(table.num_columns)]
        xml = pc.binary_join_element_wise('<row r="', rows, '">', *cells, "</row>", "")
        assert self._entry is not None
        self._entry.write(_raw_bytes(xml))
        self._rows += table.num_rows

    def add_text_sheet(self, name: str, rows: Iterable[list[str]]) -> None:
        """A small sheet of text rows (written at close), e.g. 填写说明."""
        self._extra.append((name, [list(r) for r in rows]))

    def close(self) -> None:
        if self._entry is None and not self._sheets:
            self._open_sheet()
        self._close_sheet()
        for name, rows in self._extra:
            self._sheets.append(name)
            body = "".join(
                f'<row r="{n}">'
                + "".join(
                    f'<c r="{_letters(i)}{n}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'
                    for i, text in enumerate(row)
                    if text
                )
                + "</row>"
                for n, row in enumerate(rows, start=1)
            )
            self._zip.writestr(
                f"xl/worksheets/sheet{len(self._sheets)}.xml",
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}">'
                f'<cols><col min="1" max="1" width="22" customWidth="1"/><col min="3" max="3" '
                f'width="70" customWidth="1"/></cols><sheetData>{body}</sheetData></worksheet>',
            )
        self._write_package()
        self._zip.close()

    def _write_package(self) -> None:
        count = len(self._sheets)
        sheets = "".join(
            f'<sheet name={quoteattr(n)} sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(self._sheets, start=1)
        )
        self._zip.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>{sheets}</sheets>'
            "</workbook>",
        )
        relations = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, count + 1)
        )
        self._zip.writestr(
            "xl/_rels/workbook.xml.rels",
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
                f'openxmlformats.org/package/2006/relationships">{relations}<Relationship Id="rId{count + 1}" '
                f'Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
            ),
        )
        self._zip.writestr("xl/styles.xml", STYLES)
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, count + 1)
        )
        self._zip.writestr(
            "[Content_Types].xml",
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.'
                'org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/'
                f'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{overrides}</Types>'
            ),
        )
        self._zip.writestr(
            "_rels/.rels",
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
                f'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{_REL}/officeDocument"'
                ' Target="xl/workbook.xml"/></Relationships>'
            ),
        )


STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{_NS}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="等线"/></font><font><b/><sz val="11"/><name val="等线"/></font>'
    '</fonts><fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
    '</fill><fill><patternFill patternType="solid"><fgColor rgb="FFFDE8E7"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
