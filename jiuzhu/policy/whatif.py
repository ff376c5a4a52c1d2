"""What-if (政策调整测算): the registry evaluated under the current parameters and under a reform (some
parameters set to new values from a date), in one run on the batch engine; who enters, leaves, gains or
loses, and the cost per month and per year by township and programme.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction

from jiuzhu.accounts.models import User
from jiuzhu.audit.services import audit_record
from jiuzhu.audit.tags import AuditTag
from jiuzhu.core.errors import DomainError
from jiuzhu.policy.batch_runs import registry_tables, write_snapshot
from jiuzhu.policy.services import policy_library
from jiuzhu.regions.models import Region
from jiuzhu.registry.models import Household
from jiuzhu.rules.batch import read_tables, run_batch
from jiuzhu.rules.errors import RulesError
from jiuzhu.rules.params import resolve

PROGRAMME_LABELS = {
    "dibao": "低保",
    "tekun": "特困",
    "marginal": "低保边缘",
    "rigid_expense": "刚性支出困难",
    "temporary_assistance": "临时救助",
    "disability_subsidies": "残疾人两项补贴",
    "elderly_allowance": "高龄津贴",
    "child_allowance": "困境儿童补贴",
    "free_electricity": "免费用电",
}
CHANGE_LABELS = {"enter": "新增", "leave": "退出", "gain": "增发", "lose": "减发"}
SETTING = re.compile(r"^\s*([a-z_][a-z0-9_.]*)\s*=\s*([0-9]+(?:\.[0-9]+)?|[a-z_]+)\s*(\S*)\s*$")


def parse_setting(text: str) -> tuple[str, tuple[Any, str]]:
    """``NAME=VALUE[UNIT]`` (e.g. ``dibao.standard.urban=900元/人·月``) → (name, (value, unit))."""
    match = SETTING.match(text)
    if match is None:
        raise DomainError(
            "bad_setting", f"参数设置“{text}”格式错误：应为 参数名=数值单位，如 dibao.standard.urban=900元/人·月"
        )
    name, value, unit = match.groups()
    parsed: Any = Decimal(value) if value[0].isdigit() else value
    return name, (parsed, unit or ("规则" if not value[0].isdigit() else ""))


@dataclass
class Change:
    household_id: int
    household_number: str
    township: str
    programme: str
    kind: str  # enter | leave | gain | lose
    before_eligible: bool | None
    after_eligible: bool | None
    before: Decimal
    after: Decimal


@dataclass
class WhatIfReport:
    region_code: str
    as_of: dt.date
    settings: dict[str, tuple[Any, str]]
    households: int
    by_programme: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_township: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)

    @property
    def cost_month(self) -> Decimal:
        return sum((row["delta_month"] for row in self.by_programme.values()), Decimal(0))

    @property
    def cost_year(self) -> Decimal:
        return self.cost_month * 12


def _paid(row: dict[str, Any] | None) -> Decimal:
    if row is None or not row["eligible"]:
        return Decimal(0)
    return Decimal(row["amount_month"])


def whatif(
    *, region_code: str, as_of: dt.date, settings: dict[str, tuple[Any, str]], actor: User, channel: str = "cli"
) -> WhatIfReport:
    """Baseline and reform over the registry households of ``region_code`` on ``as_of`` (one DuckDB session)."""
    if not settings:
        raise DomainError("no_setting", "至少需要一项参数设置（--set 参数名=数值单位）")
    library = policy_library()
    try:
        resolve(library, region_code[:6], as_of, settings)  # validates names, values and units first
    except RulesError as error:
        raise DomainError("bad_setting", error.message.replace("parameters.", "")) from None
    tables = registry_tables(region_code=region_code, as_of=as_of)
    if tables["households"].num_rows == 0:
        raise DomainError("no_households", f"区划 {region_code} 内没有在册家庭，无法测算")
    import ibis

    backend = ibis.duckdb.connect()
    with tempfile.TemporaryDirectory(prefix="jiuzhu-whatif-") as folder:
        paths, _ = write_snapshot(tables, Path(folder))
        ibis_tables = read_tables(backend, paths, prefix="whatif_")
        regions = sorted(set(tables["households"].column("region").to_pylist()))
        baseline = run_batch(backend, ibis_tables, as_of=as_of, library=library, regions=regions)
        reform = run_batch(backend, ibis_tables, as_of=as_of, library=library, regions=regions, overlay=settings)
        keys = ["household_id", "programme", "eligible", "amount_month"]
        before_rows = baseline.select(*keys).to_pyarrow().to_pylist()
        after_rows = reform.select(*keys).to_pyarrow().to_pylist()

    households = dict(
        Household.objects.filter(id__in=tables["households"].column("household_id").to_pylist()).values_list(
            "id", "region_id"
        )
    )
    numbers = dict(Household.objects.filter(id__in=households).values_list("id", "household_number"))
    township_names = dict(
        Region.objects.filter(code__in={code[:9] + "000" for code in households.values()}).values_list("code", "name")
    )
    before = {(r["household_id"], r["programme"]): r for r in before_rows}
    after = {(r["household_id"], r["programme"]): r for r in after_rows}
    report = WhatIfReport(region_code=region_code, as_of=as_of, settings=settings, households=len(households))
    empty = {"before_households": 0, "after_households": 0, "before_month": Decimal(0), "after_month": Decimal(0)}
    counts: dict[str, dict[str, Any]] = defaultdict(lambda: {**empty, **dict.fromkeys(CHANGE_LABELS, 0)})
    townships: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {**empty, **dict.fromkeys(CHANGE_LABELS, 0)})
    for key in sorted(set(before) | set(after)):
        hid, programme = key
        b, a = before.get(key), after.get(key)
        paid_before, paid_after = _paid(b), _paid(a)
        township = township_names.get(households[hid][:9] + "000", households[hid][:9])
        for bucket in (counts[programme], townships[(township, programme)]):
            bucket["before_households"] += 1 if b and b["eligible"] else 0
            bucket["after_households"] += 1 if a and a["eligible"] else 0
            bucket["before_month"] += paid_before
            bucket["after_month"] += paid_after
        was, now = bool(b and b["eligible"]), bool(a and a["eligible"])
        kind = (
            "enter"
            if now and not was
            else "leave"
            if was and not now
            else "gain"
            if paid_after > paid_before
            else "lose"
            if paid_after < paid_before
            else ""
        )
        if kind:
            counts[programme][kind] += 1
            townships[(township, programme)][kind] += 1
            report.changes.append(
                Change(
                    household_id=hid,
                    household_number=numbers.get(hid, str(hid)),
                    township=township,
                    programme=programme,
                    kind=kind,
                    before_eligible=b["eligible"] if b else None,
                    after_eligible=a["eligible"] if a else None,
                    before=paid_before,
                    after=paid_after,
                )
            )
    for bucket in [*counts.values(), *townships.values()]:
        bucket["delta_month"] = bucket["after_month"] - bucket["before_month"]
        bucket["delta_year"] = bucket["delta_month"] * 12
    report.by_programme = {p: counts[p] for p in PROGRAMME_LABELS if p in counts}
    report.by_township = dict(sorted(townships.items()))
    with transaction.atomic():
        audit_record(
            actor=actor,
            tag=AuditTag.POLICY_WHATIF,
            subject_type="region",
            subject_id=region_code,
            region_code=region_code,
            after={
                "as_of": as_of.isoformat(),
                "settings": {k: [str(v[0]), v[1]] for k, v in settings.items()},
                "cost_month": f"{report.cost_month:.2f}",
            },
            channel=channel,
        )
    return report


def write_report_xlsx(report: WhatIfReport, path: Path) -> None:
    """The what-if report as a workbook: 汇总, 按乡镇, 变化家庭 (Chinese headers, exact decimals)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "汇总"
    settings_text = "；".join(f"{k} = {v[0]}{v[1]}" for k, v in report.settings.items())
    summary.append(["政策调整测算", f"区划 {report.region_code}", f"测算日期 {report.as_of.isoformat()}"])
    summary.append(["调整内容", settings_text])
    summary.append(["家庭户数", report.households])
    summary.append(["月增支（元）", report.cost_month])
    summary.append(["年增支（元）", report.cost_year])
    summary.append([])
    header = [
        "项目",
        "调整前户数",
        "调整后户数",
        "新增",
        "退出",
        "增发",
        "减发",
        "调整前月金额",
        "调整后月金额",
        "月增支",
        "年增支",
    ]
    summary.append(header)
    for cell in summary[summary.max_row]:
        cell.font = Font(bold=True)
    for programme, row in report.by_programme.items():
        summary.append([PROGRAMME_LABELS.get(programme, programme), *_row(row)])
    township_sheet = book.create_sheet("按乡镇")
    township_sheet.append(["乡镇（街道）", *header])
    for (township, programme), row in report.by_township.items():
        township_sheet.append([township, PROGRAMME_LABELS.get(programme, programme), *_row(row)])
    changes = book.create_sheet("变化家庭")
    changes.append(["户编号", "乡镇（街道）", "项目", "变化", "调整前月金额", "调整后月金额", "差额"])
    for change in report.changes:
        changes.append(
            [
                change.household_number,
                change.township,
                PROGRAMME_LABELS.get(change.programme, change.programme),
                CHANGE_LABELS[change.kind],
                change.before,
                change.after,
                change.after - change.before,
            ]
        )
    for sheet in book.worksheets:
        for column in sheet.columns:
            letter = column[0].column_letter
            sheet.column_dimensions[letter].width = 16
            for cell in column:
                if isinstance(cell.value, Decimal):
                    cell.number_format = "#,##0.00"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def _row(row: dict[str, Any]) -> list[Any]:
    return [
        row["before_households"],
        row["after_households"],
        row["enter"],
        row["leave"],
        row["gain"],
        row["lose"],
        row["before_month"],
        row["after_month"],
        row["delta_month"],
        row["delta_year"],
    ]
