"""Build import files for the tests: rows as {Chinese header: text}, written as real xlsx, csv or parquet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook

from jiuzhu.core.testing import factories
from jiuzhu.exchange import synthetic

HEADERS_MINIMAL = ("户编号", "所属村(社区)代码", "城乡类别", "姓名", "身份证号", "与户主关系")


def member(number: str, **values: Any) -> dict[str, Any]:
    """One row: a member of household ``number``.

    ``village``, ``name``, ``relation``, ``id_number`` (or ``birth`` and ``sex`` for a new valid one) set the
    usual cells; any other keyword is a column by its Chinese header.
    """
    birth: dt.date = values.pop("birth", dt.date(1960, 5, 1))
    sex: str = values.pop("sex", "male")
    row: dict[str, Any] = {
        "户编号": number,
        "所属村(社区)代码": values.pop("village", factories.VILLAGE_A1),
        "城乡类别": "农村",
        "姓名": values.pop("name", "张三"),
        "身份证号": values.pop("id_number", None) or factories.id_number(birth=birth, sex=sex),
        "与户主关系": values.pop("relation", "户主"),
    }
    row.update(values)
    return row


def headers_of(rows: list[dict[str, Any]]) -> list[str]:
    headers: list[str] = []
    for row in rows:
        headers.extend(h for h in row if h not in headers)
    return headers


def write(
    tmp_path: Path,
    rows: list[dict[str, Any]],
    *,
    fmt: str = "xlsx",
    name: str = "households",
    headers: list[str] | None = None,
    sheet: str = "家庭成员",
) -> Path:
    """Write ``rows`` to ``tmp_path/name.fmt``; a missing cell is empty."""
    headers = headers or headers_of(rows)
    path = tmp_path / f"{name}.{fmt}"
    table = pa.table(
        {
            h: pa.array([None if row.get(h) in (None, "") else str(row[h]) for row in rows], type=pa.string())
            for h in headers
        }
    )
    if fmt == "csv":
        synthetic.write_csv(table, path)
    elif fmt == "parquet":
        pq.write_table(table, path)
    else:
        workbook = Workbook()
        worksheet = workbook.active
        assert worksheet is not None
        worksheet.title = sheet
        worksheet.append(headers)
        for row in rows:
            worksheet.append([row.get(h) if row.get(h) != "" else None for h in headers])
        workbook.save(path)
    return path


def bad_check_character(number: str) -> tuple[str, str, str]:
    """``number`` with a wrong 18th character: (bad number, expected, actual)."""
    expected = number[17]
    actual = "0" if expected != "0" else "1"
    return number[:17] + actual, expected, actual
