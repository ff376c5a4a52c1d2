"""The downloadable import template: 家庭成员 (headers, dropdowns), 填写说明, 村(社区)代码, 选项."""

from __future__ import annotations

import io
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from jiuzhu.exchange.columns import COLUMNS, Column, Kind
from jiuzhu.exchange.reading import DATA_SHEET

TEMPLATE_ROWS = 20000  # rows the dropdowns and text formats cover
VILLAGE_LIST_LIMIT = 5000  # above this, the village sheet lists no dropdown (Excel gets slow)
HEADER_FILL = PatternFill("solid", fgColor="FDE8E7")
REQUIRED_FILL = PatternFill("solid", fgColor="F8C9C5")
TEXT_KINDS = (Kind.TEXT, Kind.PHONE, Kind.REGION, Kind.ID_NUMBER)

GENERAL_NOTES = (
    "1. 一行填写一名家庭成员；同一户的各成员填写相同的「户编号」，每户须有且只有一名“户主”。",
    "2. 家庭信息列（户编号至机动车、类别、类别起始日期、月保障金额）可以只在户主那一行填写，其他成员行留空；"
    "如果填写，同一户各行须一致。",
    "3. 表头文字须与模板一致（列的顺序不限）；不需要的非必填列可以删除，删除的列导入时不会改动系统中的对应内容。",
    "4. 非必填列的空单元格表示“无/不明”：已有人员的该项会被清空。金额不填表示情况不明（不是0），没有该项收入请填0。",
    "5. 按「身份证号」识别人员、按「户编号」识别家庭：已有的更新，没有的新增；同一文件重复导入不会产生任何变化。",
    "6. 文件中未列出的已有成员保持不变；成员迁出、死亡、退出救助类别请在系统中办理。",
    "7. 类别与系统中现有类别不同时，原类别在新类别起始日期前一天终止，并从起始日期起纳入新类别。",
    "8. 导入前系统会检查全部内容；只要有一处错误，整个文件都不会写入，请按错误清单改正后重新导入。",
    "9. 身份证号、户编号、区划代码请设为“文本”格式（模板已设好），否则 Excel 会把长数字存成科学计数法并丢失后几位。",
    "10. 也可以导入 CSV（UTF-8 或 GBK 编码）和 Parquet 文件，表头相同。",
)


def allowed_values(column: Column) -> str:
    if column.kind in (Kind.ENUM, Kind.BOOL):
        return "、".join(column.labels)
    return ""


def instruction_rows() -> Iterable[list[str]]:
    """The 填写说明 sheet as rows of text (also appended to exports)."""
    yield ["填写说明"]
    for note in GENERAL_NOTES:
        yield [note]
    yield []
    yield ["列名", "是否必填", "填写要求", "可选值", "示例"]
    for column in COLUMNS:
        yield [column.header, "必填" if column.required else "", column.rule, allowed_values(column), column.example]


def template_workbook(*, villages: list[tuple[str, str]]) -> bytes:
    """The template as xlsx bytes; ``villages`` are (code, full name) the importer may use."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = DATA_SHEET
    _header(sheet)
    options = workbook.create_sheet("选项")
    _dropdowns(sheet, options)
    _instructions(workbook.create_sheet("填写说明"))
    _villages(sheet, workbook.create_sheet("村(社区)代码"), villages)
    options.sheet_state = "hidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _header(sheet: Worksheet) -> None:
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(10, min(24, len(column.header) * 2 + 4))
        if column.kind in TEXT_KINDS:
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, 202):  # Excel applies a column format to new cells only where it was set
                sheet.cell(row=row, column=index).number_format = "@"
        elif column.kind == Kind.DATE:
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
        elif column.kind == Kind.MONEY:
            sheet.column_dimensions[letter].number_format = "0.00"
    sheet.row_dimensions[1].height = 36
    sheet.freeze_panes = "A2"


def _dropdowns(sheet: Worksheet, options: Worksheet) -> None:
    position = 0
    for index, column in enumerate(COLUMNS, start=1):
        labels = column.labels if column.kind in (Kind.ENUM, Kind.BOOL) else []
        if not labels:
            continue
        position += 1
        letter = get_column_letter(position)
        options.cell(row=1, column=position, value=column.header)
        for row, label in enumerate(labels, start=2):
            options.cell(row=row, column=position, value=label)
        validation = DataValidation(
            type="list",
            formula1=f"选项!${letter}$2:${letter}${len(labels) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="warning",
            errorTitle="不是可选的值",
            error=f"「{column.header}」可选：{'、'.join(labels)}",
            showInputMessage=True,
            promptTitle=column.header,
            prompt=column.rule[:250],
        )
        target = get_column_letter(index)
        validation.add(f"{target}2:{target}{TEMPLATE_ROWS}")
        sheet.add_data_validation(validation)


def _instructions(sheet: Worksheet) -> None:
    for row in instruction_rows():
        sheet.append(row)
    sheet["A1"].font = Font(bold=True, size=14)
    header_row = len(GENERAL_NOTES) + 3
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for letter, width in zip("ABCDE", (22, 10, 70, 50, 22), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _villages(sheet: Worksheet, villages_sheet: Worksheet, villages: list[tuple[str, str]]) -> None:
    villages_sheet.append(["村(社区)代码", "名称"])
    for cell in villages_sheet[1]:
        cell.font = Font(bold=True)
    villages_sheet.column_dimensions["A"].width = 16
    villages_sheet.column_dimensions["B"].width = 50
    for code, name in villages:
        villages_sheet.append([code, name])
    if not villages or len(villages) > VILLAGE_LIST_LIMIT:
        return
    index = next(i for i, c in enumerate(COLUMNS, start=1) if c.key == "region_code")
    validation = DataValidation(
        type="list",
        formula1=f"'村(社区)代码'!$A$2:$A${len(villages) + 1}",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="不是管辖范围内的村(社区)",
        error="请从「村(社区)代码」工作表中选择您管辖范围内的村(社区)代码",
    )
    letter = get_column_letter(index)
    validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS}")
    sheet.add_data_validation(validation)
