"""Export the current members of visible households with the import template's columns, streamed.

Households are read in pages of ``PAGE`` by 户编号 (keyset pagination, four queries a page), each
page written at once: pyarrow's CSV and Parquet writers, openpyxl's write-only workbook for
xlsx. Memory stays flat for a million persons. An export of revealed ID numbers re-imports as
"unchanged". Every export is an audit record: format, region, counts, revealed or not, reason.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from django.db import connection, transaction

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import Permission, require
from jiuzhu.audit.services import audit_record
from jiuzhu.audit.tags import AuditTag
from jiuzhu.core import id_numbers
from jiuzhu.core.errors import DomainError
from jiuzhu.exchange.columns import BY_KEY, COLUMNS, INCOME_KEYS, Kind, income_type_of
from jiuzhu.exchange.parsing import MONEY_TYPE
from jiuzhu.exchange.planning import monthly_equivalent
from jiuzhu.exchange.selectors import export_region_for
from jiuzhu.exchange.template import instruction_rows
from jiuzhu.exchange.xlsx_writer import Column as XlsxColumn
from jiuzhu.exchange.xlsx_writer import XlsxWriter
from jiuzhu.registry.choices import STATUS_CATEGORIES
from jiuzhu.registry.models import CategoryEnrollment, Household, Income, Membership

FORMATS = {"xlsx": "Excel 工作簿（.xlsx）", "csv": "CSV（UTF-8，.csv）", "parquet": "Parquet（.parquet）"}
PAGE = 1000
Progress = Callable[[str], None]
KEYS = [c.key for c in COLUMNS]
_DEPTH = {c.value: i for i, c in enumerate(STATUS_CATEGORIES)}  # 特困 first: the deepest status wins


@dataclass(frozen=True)
class ExportResult:
    path: str  # "" when written to an open file (the web download)
    fmt: str
    households: int
    rows: int
    revealed: bool
    region_code: str

    def summary(self) -> str:
        ids = "含完整身份证号" if self.revealed else "身份证号已脱敏"
        return f"已导出 {self.households} 户、{self.rows} 人到 {self.path}（{ids}）。"


def households_export(
    *,
    actor: User,
    fmt: str,
    out: Path | BinaryIO,
    region_code: str = "",
    reason: str = "",
    reveal: bool = False,
    channel: str = "web",
    ip_address: str | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the current members of the households ``actor`` sees (within ``region_code``) to ``out``."""
    require(actor, Permission.REGISTRY_EXPORT)
    reason = reason.strip()
    if reveal:
        require(actor, Permission.ID_NUMBER_REVEAL)
    if not reason:
        raise DomainError("export_reason_required", "请填写导出事由（记入审计日志）。")
    if fmt not in FORMATS:
        raise DomainError("export_format", f"不支持的导出格式“{fmt}”：可选 xlsx、csv、parquet。")
    region = export_region_for(user=actor, code=region_code)
    say = progress or (lambda _message: None)
    households = 0
    rows = 0
    with _snapshot(), _writer(fmt, out) as write:
        for page in _pages(actor, region.prefix, reveal):
            write(page.columns)
            households += page.households
            rows += page.rows
            if households and households % (PAGE * 50) < PAGE:
                say(f"已导出 {households} 户、{rows} 人 …")
    with transaction.atomic():
        audit_record(
            actor=actor,
            tag=AuditTag.REGISTRY_EXPORT,
            subject_type="region",
            subject_id=region.code,
            region_code=region.code,
            reason=reason,
            channel=channel,
            ip_address=ip_address,
            after={"format": fmt, "region": region.code, "households": households, "rows": rows, "revealed": reveal},
        )
    return ExportResult(str(out) if isinstance(out, Path) else "", fmt, households, rows, reveal, region.code)


@contextlib.contextmanager
def _snapshot() -> Iterator[None]:
    """PostgreSQL: one read-only repeatable-read transaction, so every page sees the same moment.

    SQLite reads outside a transaction (its transactions take the write lock here) and pages by 户编号.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield  # inside a caller's transaction, that transaction's snapshot rules
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


# --- reading pages ---------------------------------------------------------------------------------


@dataclass
class Page:
    columns: dict[str, list[Any]]
    households: int
    rows: int


def _pages(actor: User, prefix: str, reveal: bool) -> Iterator[Page]:
    """Pages of ``PAGE`` households by 户编号; each page's members, incomes and categories are read by the
    same 户编号 window (no long id lists), every query starting from ``visible_to``."""
    visible = Household.objects.visible_to(actor).filter(region__code__startswith=prefix)
    scope = {"household__region__code__startswith": prefix}
    members = Membership.objects.visible_to(actor).current().filter(**scope)
    incomes = (
        Income.objects.visible_to(actor)
        .current()
        .filter(**scope, person__isnull=False, type__in=[income_type_of(k) for k in INCOME_KEYS])
    )
    enrollments = CategoryEnrollment.objects.visible_to(actor).current().filter(**scope, category__in=STATUS_CATEGORIES)
    fields = (
        "id",
        "household_number",
        "region_id",
        "urban_rural",
        "address",
        "phone",
        "financial_assets",
        "house_count",
        "vehicle_count",
    )
    last = ""
    while True:
        households = list(
            visible.filter(household_number__gt=last).order_by("household_number").values_list(*fields)[:PAGE]
        )
        if not households:
            return
        window = {"household__household_number__gt": last, "household__household_number__lte": households[-1][1]}
        last = households[-1][1]
        yield _page(
            households, members.filter(**window), incomes.filter(**window), enrollments.filter(**window), reveal
        )


LABELS = {c.key: dict(c.choices) for c in COLUMNS if c.choices}
INCOME_TYPES = [income_type_of(k) for k in INCOME_KEYS]
NO_CATEGORY = (None, None, None)


def _page(households: list[tuple[Any, ...]], members: Any, incomes: Any, enrollments: Any, reveal: bool) -> Page:
    by_household: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in members.values_list(
        "household_id",
        "person_id",
        "relation",
        "in_household",
        "person__id_number",
        "person__name",
        "person__sex",
        "person__birth_date",
        "person__hukou_type",
        "person__disability_type",
        "person__disability_grade",
        "person__self_care",
        "person__labour_capacity",
        "person__health",
        "person__student",
        "person__special_status",
        "person__care_setting",
    ):
        by_household[row[0]].append(row)
    income: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for person_id, kind, amount, period in incomes.values_list("person_id", "type", "amount", "period"):
        income[(person_id, kind)] += monthly_equivalent(amount, period)
    household_category: dict[int, tuple[Any, ...]] = {}
    person_category: dict[int, tuple[Any, ...]] = {}
    for household_id, person_id, category, valid_from, amount in enrollments.values_list(
        "household_id", "person_id", "category", "valid_from", "amount_month"
    ):
        target, key = (person_category, person_id) if person_id else (household_category, household_id)
        if key not in target or _DEPTH[category] < _DEPTH[target[key][0]]:
            target[key] = (category, valid_from, amount)
    mask = (lambda number: number) if reveal else id_numbers.mask
    category_ = LABELS["category"]
    (
        urban_rural_,
        sex_,
        relation_,
        hukou_,
        disability_,
        grade_,
        self_care_,
        labour_,
        health_,
        student_,
        special_,
        care_,
    ) = (
        LABELS[k]
        for k in (
            "urban_rural",
            "sex",
            "relation",
            "hukou_type",
            "disability_type",
            "disability_grade",
            "self_care",
            "labour_capacity",
            "health",
            "student",
            "special_status",
            "care_setting",
        )
    )
    rows: list[tuple[Any, ...]] = []
    for household_id, number, region, urban_rural, address, phone, assets, houses, vehicles in households:
        category, category_from, category_amount = household_category.get(household_id, NO_CATEGORY)
        household = (number, region, urban_rural_.get(urban_rural), address, phone, assets, houses, vehicles)
        for (
            _,
            person_id,
            relation,
            in_household,
            id_number,
            name,
            sex,
            birth,
            hukou,
            disability,
            grade,
            self_care,
            labour,
            health,
            student,
            special,
            care,
        ) in sorted(by_household.get(household_id, ()), key=lambda m: (m[2] != "head", m[7], m[1])):
            personal, personal_from, personal_amount = person_category.get(person_id, NO_CATEGORY)
            # In COLUMNS order: household, person, incomes, household category, personal category.
            rows.append(
                (
                    *household,
                    name,
                    mask(id_number),
                    sex_.get(sex),
                    birth,
                    relation_.get(relation),
                    "是" if in_household else "否",
                    hukou_.get(hukou),
                    disability_.get(disability),
                    None if grade is None else grade_.get(str(grade)),
                    self_care_.get(self_care),
                    labour_.get(labour),
                    health_.get(health),
                    student_.get(student),
                    special_.get(special),
                    care_.get(care),
                    *(income.get((person_id, kind)) for kind in INCOME_TYPES),
                    category_.get(category),
                    category_from,
                    category_amount,
                    category_.get(personal),
                    personal_from,
                    personal_amount,
                )
            )
    columns = dict(zip(KEYS, map(list, zip(*rows, strict=True)), strict=True)) if rows else {k: [] for k in KEYS}
    return Page(columns, len(households), len(rows))


# --- writers ---------------------------------------------------------------------------------------

Write = Callable[[dict[str, list[Any]]], None]


def _arrow_type(key: str, *, text_only: bool) -> pa.DataType:
    kind = BY_KEY[key].kind
    if text_only:
        return pa.string()
    if kind == Kind.MONEY:
        return MONEY_TYPE
    if kind == Kind.DATE:
        return pa.date32()
    if kind == Kind.COUNT:
        return pa.int32()
    return pa.string()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _arrow_table(columns: dict[str, list[Any]], *, text_only: bool) -> pa.Table:
    arrays = []
    for key in KEYS:
        values = [_text(v) for v in columns[key]] if text_only else columns[key]
        arrays.append(pa.array(values, type=_arrow_type(key, text_only=text_only)))
    return pa.Table.from_arrays(arrays, names=[BY_KEY[k].header for k in KEYS])


@contextlib.contextmanager
def _writer(fmt: str, out: Path | BinaryIO) -> Iterator[Write]:
    if fmt == "xlsx":
        with _xlsx_writer(out) as write:
            yield write
        return
    sink = out.open("wb") if isinstance(out, Path) else out
    try:
        if fmt == "csv":
            sink.write(b"\xef\xbb\xbf")  # BOM: Excel opens UTF-8 Chinese correctly
            schema = pa.schema([(BY_KEY[k].header, pa.string()) for k in KEYS])
            with pacsv.CSVWriter(sink, schema) as writer:
                yield lambda columns: writer.write_table(_arrow_table(columns, text_only=True))
        else:
            schema = pa.schema([(BY_KEY[k].header, _arrow_type(k, text_only=False)) for k in KEYS])
            with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
                yield lambda columns: writer.write_table(_arrow_table(columns, text_only=False))
    finally:
        if isinstance(out, Path):
            sink.close()


@contextlib.contextmanager
def _xlsx_writer(out: Path | BinaryIO) -> Iterator[Write]:
    writer = XlsxWriter(
        str(out) if isinstance(out, Path) else out,
        sheet="家庭成员",
        columns=[XlsxColumn(c.header, max(10, min(22, len(c.header) * 2 + 4))) for c in COLUMNS],
    )
    yield lambda columns: writer.write(_arrow_table(columns, text_only=False))
    writer.add_text_sheet("填写说明", instruction_rows())
    writer.close()
