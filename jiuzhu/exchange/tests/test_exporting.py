"""Exports: the template's columns, masked IDs unless revealed by a user with the right, an audit record
each, only visible households, and a revealed export re-imports as unchanged in every format."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from django.utils import timezone
from openpyxl import load_workbook

from jiuzhu.accounts.models import Role, User
from jiuzhu.audit.models import AuditEvent
from jiuzhu.audit.tags import AuditTag
from jiuzhu.core import id_numbers
from jiuzhu.core.errors import DomainError, PermissionRefused
from jiuzhu.core.testing import factories
from jiuzhu.exchange.columns import COLUMNS
from jiuzhu.exchange.exporting import households_export
from jiuzhu.exchange.importing import households_import
from jiuzhu.exchange.problems import ImportRejected
from jiuzhu.exchange.tests.helpers import write
from jiuzhu.exchange.tests.test_importing import HEAD, family_rows
from jiuzhu.registry.models import CategoryEnrollment, Income, Person

pytestmark = pytest.mark.django_db
HEADERS = [c.header for c in COLUMNS]


@pytest.fixture
def registry(tmp_path: Path, county_manager: User) -> None:
    households_import(actor=county_manager, path=write(tmp_path, family_rows(), name="seed"))


def read_rows(path: Path) -> list[dict[str, object]]:
    if path.suffix == ".csv":
        return pacsv.read_csv(
            path, convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(HEADERS, "string"))
        ).to_pylist()
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    sheet = load_workbook(path, read_only=True)["家庭成员"]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], [*row, *[None] * (len(rows[0]) - len(row))], strict=True)) for row in rows[1:]]


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "parquet"])
def test_a_revealed_export_reimports_as_unchanged(
    tmp_path: Path, county_manager: User, registry: None, fmt: str
) -> None:
    # given a yearly income, which the file shows per month
    Income.objects.filter(person__id_number=HEAD, type="wage").update(amount=Decimal("14400"), period="year")
    out = tmp_path / f"export.{fmt}"
    result = households_export(actor=county_manager, fmt=fmt, out=out, reason="年度复核", reveal=True)
    assert (result.households, result.rows, result.revealed) == (2, 4, True)
    # when the export is imported again
    again = households_import(actor=county_manager, path=out)
    # then nothing changes
    assert (again.households_unchanged, again.persons_unchanged, again.changed) == (2, 4, False)


def test_export_has_the_template_columns_labels_and_values(
    tmp_path: Path, county_manager: User, registry: None
) -> None:
    out = tmp_path / "export.xlsx"
    households_export(actor=county_manager, fmt="xlsx", out=out, reason="核对", reveal=True)
    workbook = load_workbook(out, read_only=True)
    assert workbook.sheetnames == ["家庭成员", "填写说明"]
    rows = read_rows(out)
    assert list(rows[0]) == HEADERS
    head = rows[0]
    assert (head["户编号"], head["姓名"], head["身份证号"], head["与户主关系"], head["城乡类别"]) == (
        f"{factories.VILLAGE_A1}00901",
        "张三",
        HEAD,
        "户主",
        "农村",
    )
    assert (head["类别"], head["类别起始日期"], head["月保障金额(元)"]) == ("低保", dt.datetime(2024, 1, 1), 1350)
    assert head["工资性收入(元/月)"] == 1200
    assert head["养老金/退休金(元/月)"] is None  # unknown stays empty, never 0
    spouse = rows[1]
    assert (spouse["与户主关系"], spouse["残疾类别"], spouse["残疾等级"], spouse["工资性收入(元/月)"]) == (
        "配偶",
        "肢体",
        "二级",
        0,
    )
    single = rows[3]
    assert (single["个人类别"], single["个人月保障金额(元)"], single["供养方式"]) == ("特困", 980, "分散供养")


def test_id_numbers_are_masked_unless_revealed(tmp_path: Path, county_manager: User, registry: None) -> None:
    out = tmp_path / "masked.csv"
    result = households_export(actor=county_manager, fmt="csv", out=out, reason="统计")
    assert result.revealed is False
    numbers = [str(row["身份证号"]) for row in read_rows(out)]
    assert numbers[0] == id_numbers.mask(HEAD)
    assert all("*" in n for n in numbers)
    assert HEAD not in out.read_text(encoding="utf-8-sig")
    # and a masked export cannot be imported back
    with pytest.raises(ImportRejected):
        households_import(actor=county_manager, path=out)


def test_every_export_is_audited(tmp_path: Path, county_manager: User, registry: None) -> None:
    households_export(
        actor=county_manager,
        fmt="parquet",
        out=tmp_path / "a.parquet",
        reason="给医保局核对",
        reveal=True,
        region_code=factories.TOWNSHIP_A[:9],
    )
    event = AuditEvent.objects.get(tag=AuditTag.REGISTRY_EXPORT)
    assert (event.actor, event.reason, event.region_code) == (county_manager, "给医保局核对", factories.TOWNSHIP_A)
    assert event.after == {
        "format": "parquet",
        "region": factories.TOWNSHIP_A,
        "households": 2,
        "rows": 4,
        "revealed": True,
    }


def test_export_is_limited_to_the_region_and_to_what_the_user_sees(
    tmp_path: Path, county_manager: User, registry: None
) -> None:
    factories.make_household(factories.VILLAGE_B1, members=3)
    officer = factories.make_user(Role.TOWNSHIP_OFFICER)  # 北关街道
    assert households_export(actor=officer, fmt="csv", out=tmp_path / "a.csv", reason="x").rows == 4
    assert households_export(actor=county_manager, fmt="csv", out=tmp_path / "b.csv", reason="x").rows == 7
    assert (
        households_export(
            actor=county_manager, fmt="csv", out=tmp_path / "c.csv", reason="x", region_code=factories.VILLAGE_A2
        ).rows
        == 1
    )
    with pytest.raises(DomainError, match="不在您的管辖范围内"):
        households_export(
            actor=officer, fmt="csv", out=tmp_path / "d.csv", reason="x", region_code=factories.VILLAGE_B1
        )


def test_only_users_with_the_reveal_right_get_full_numbers(tmp_path: Path, registry: None) -> None:
    supervisor = factories.make_user(Role.SUPERVISOR)  # may export, may not reveal
    households_export(actor=supervisor, fmt="csv", out=tmp_path / "a.csv", reason="监督检查")
    with pytest.raises(PermissionRefused, match="查看完整身份证号"):
        households_export(actor=supervisor, fmt="csv", out=tmp_path / "b.csv", reason="监督检查", reveal=True)
    with pytest.raises(PermissionRefused, match="导出"):
        households_export(
            actor=factories.make_user(Role.VILLAGE_INFO_WORKER), fmt="csv", out=tmp_path / "c.csv", reason="x"
        )


def test_an_export_needs_a_reason_and_a_known_format(tmp_path: Path, county_manager: User) -> None:
    with pytest.raises(DomainError, match="请填写导出事由"):
        households_export(actor=county_manager, fmt="csv", out=tmp_path / "a.csv", reason="  ")
    with pytest.raises(DomainError, match="不支持的导出格式"):
        households_export(actor=county_manager, fmt="xls", out=tmp_path / "a.xls", reason="x")
    assert not AuditEvent.objects.filter(tag=AuditTag.REGISTRY_EXPORT).exists()


def test_the_deepest_status_is_exported_when_a_household_has_several(
    tmp_path: Path, county_manager: User, registry: None
) -> None:
    household = CategoryEnrollment.objects.get(category="dibao").household
    CategoryEnrollment.objects.create(household=household, category="other_hardship", valid_from=dt.date(2024, 1, 1))
    out = tmp_path / "a.csv"
    households_export(actor=county_manager, fmt="csv", out=out, reason="x")
    assert read_rows(out)[0]["类别"] == "低保"


def test_members_who_left_are_not_exported(tmp_path: Path, county_manager: User, registry: None) -> None:
    from jiuzhu.registry.models import Membership

    Membership.objects.filter(person__id_number=HEAD).update(valid_to=timezone.localdate())
    Person.objects.filter(id_number=HEAD).update(status="moved_out")
    assert households_export(actor=county_manager, fmt="csv", out=tmp_path / "a.csv", reason="x").rows == 3
