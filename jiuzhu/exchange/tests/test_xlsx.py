"""The fast xlsx reader gives the text a user sees in Excel, for files as Excel, WPS and openpyxl write them."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from jiuzhu.exchange.xlsx import XlsxError, XlsxReader, number_text


def cells_of(path: Path, sheet: int = 0) -> dict[tuple[int, int], str]:
    with XlsxReader(path) as reader:
        cells = reader.cells(reader.sheets[sheet])
    return {
        (r, c): t for r, c, t in zip(cells.row.tolist(), cells.column.tolist(), cells.text.to_pylist(), strict=True)
    }


def test_strings_numbers_dates_and_booleans(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "家庭成员"
    sheet.append(["张三 & 李四 <户主>", 'say "hi"', "第一行\n第二行", 1200, 1234.56, 0.1 + 0.2, True, False])
    sheet.append(
        [dt.date(2024, 1, 31), dt.datetime(2023, 6, 1, 8, 30), Decimal("980.50"), None, "", "  ", -5, 140702001002]
    )
    sheet["J2"] = "=A1"  # a formula without a cached value: empty
    sheet["AA3"] = "远处的列"
    path = tmp_path / "mixed.xlsx"
    workbook.save(path)
    assert cells_of(path) == {
        (1, 0): "张三 & 李四 <户主>",
        (1, 1): 'say "hi"',
        (1, 2): "第一行\n第二行",
        (1, 3): "1200",
        (1, 4): "1234.56",
        (1, 5): "0.3",
        (1, 6): "是",
        (1, 7): "否",
        (2, 0): "2024-01-31",
        (2, 1): "2023-06-01",
        (2, 2): "980.5",
        (2, 5): "  ",
        (2, 6): "-5",
        (2, 7): "140702001002",
        (3, 26): "远处的列",
    }


def test_rich_text_and_the_1904_date_system(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.epoch = CALENDAR_MAC_1904
    sheet = workbook.active
    assert sheet is not None
    sheet["A1"] = CellRichText(["王", TextBlock(InlineFont(b=True), "五")])
    sheet["B1"] = dt.date(2020, 2, 29)
    path = tmp_path / "rich.xlsx"
    workbook.save(path)
    assert cells_of(path) == {(1, 0): "王五", (1, 1): "2020-02-29"}


def test_a_namespace_prefix_and_shared_strings_as_excel_writes_them(tmp_path: Path) -> None:
    # given a worksheet written with an "x:" prefix and a shared-string table, as some tools do
    source = tmp_path / "plain.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["a"])
    workbook.save(source)
    prefixed = tmp_path / "prefixed.xlsx"
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sheet_xml = (
        f'<x:worksheet xmlns:x="{ns}"><x:sheetData><x:row r="1"><x:c r="A1" t="s"><x:v>1</x:v></x:c>'
        '<x:c r="B1" s="0" t="s"><x:v>0</x:v></x:c><x:c r="C1"><x:v>45292</x:v></x:c></x:row>'
        '<x:row r="3"><x:c r="B3" t="inlineStr"><x:is><x:t xml:space="preserve"> 乙 </x:t></x:is></x:c>'
        "</x:row></x:sheetData></x:worksheet>"
    )
    shared = (
        f'<sst xmlns="{ns}" count="2" uniqueCount="2"><si><t>户编号</t></si>'
        "<si><r><t>身份</t></r><r><rPr><b/></rPr><t>证号</t></r>"
        '<rPh sb="0" eb="1"><t>みょうじ</t></rPh></si></sst>'
    )
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(prefixed, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml.encode()
            if item.filename == "[Content_Types].xml":
                data = re.sub(
                    rb"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                    data,
                )
            new.writestr(item, data)
        new.writestr("xl/sharedStrings.xml", shared)
    assert cells_of(prefixed) == {(1, 0): "身份证号", (1, 1): "户编号", (1, 2): "45292", (3, 1): " 乙 "}


def test_many_rows_across_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from jiuzhu.exchange import xlsx

    monkeypatch.setattr(xlsx, "BLOCK", 4096)  # force many blocks
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("s")
    for index in range(3000):
        sheet.append([f"行{index}", index])
    path = tmp_path / "many.xlsx"
    workbook.save(path)
    cells = cells_of(path)
    assert len(cells) == 6000
    assert cells[(3000, 0)] == "行2999"
    assert cells[(1500, 1)] == "1499"


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(XlsxError):
        XlsxReader(path)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3.0, "3"),
        (1234.5600000000001, "1234.56"),
        (0.1 + 0.2, "0.3"),
        (1.5e17, "150000000000000000"),
        (1.234567, "1.234567"),
    ],
)
def test_number_text(value: float, text: str) -> None:
    assert number_text(value) == text


def test_the_writer_makes_a_workbook_excel_readers_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa
    from openpyxl import load_workbook

    from jiuzhu.exchange import xlsx_writer

    monkeypatch.setattr(xlsx_writer, "MAX_ROWS", 4)  # three data rows per sheet
    path = tmp_path / "out.xlsx"
    writer = xlsx_writer.XlsxWriter(
        str(path),
        sheet="家庭成员",
        columns=[
            xlsx_writer.Column("姓名", 10),
            xlsx_writer.Column("起始日期", 12),
            xlsx_writer.Column("金额", 10),
            xlsx_writer.Column("套数", 8),
        ],
    )
    table = pa.table(
        {
            "a": pa.array(["张<三>&李", None, "王\x01五", "赵六", "钱七"]),
            "b": pa.array([dt.date(2024, 1, 31), None, dt.date(1900, 3, 1), None, None], pa.date32()),
            "c": pa.array([Decimal("1350.5"), None, Decimal("0"), None, None], pa.decimal128(12, 2)),
            "d": pa.array([1, None, 0, None, 2], pa.int32()),
        }
    )
    writer.write(table)
    writer.add_text_sheet("填写说明", [["说明"], ["列名", "", "要求 & 说明"]])
    writer.close()
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["家庭成员", "家庭成员2", "填写说明"]
    first = [[c.value for c in row] for row in workbook["家庭成员"].iter_rows()]
    assert first == [
        ["姓名", "起始日期", "金额", "套数"],
        ["张<三>&李", dt.datetime(2024, 1, 31), 1350.5, 1],
        [None, None, None, None],
        ["王五", dt.datetime(1900, 3, 1), 0, 0],
    ]
    assert workbook["家庭成员"]["C2"].number_format == "0.00"
    assert [[c.value for c in row] for row in workbook["家庭成员2"].iter_rows()] == [
        ["姓名", "起始日期", "金额", "套数"],
        ["赵六", None, None, None],
        ["钱七", None, None, 2],
    ]
    assert workbook["填写说明"]["C2"].value == "要求 & 说明"
    # and the fast reader reads back what it wrote
    assert cells_of(path)[(2, 0)] == "张<三>&李"
    assert cells_of(path)[(2, 1)] == "2024-01-31"
