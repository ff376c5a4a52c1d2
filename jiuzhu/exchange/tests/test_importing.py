"""What an import writes: new records, idempotent re-imports, detected updates, effective-dated history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from django.db import connection
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.audit.models import AuditEvent
from jiuzhu.audit.tags import AuditTag
from jiuzhu.core.testing import factories
from jiuzhu.exchange import db, importing, planning
from jiuzhu.exchange.importing import households_import
from jiuzhu.exchange.problems import ImportRejected
from jiuzhu.exchange.tests.helpers import member, write
from jiuzhu.registry import tally
from jiuzhu.registry.models import CategoryEnrollment, Household, Income, Membership, Person

pytestmark = pytest.mark.django_db

H1 = f"{factories.VILLAGE_A1}00901"
H2 = f"{factories.VILLAGE_A2}00902"
HEAD = factories.id_number(birth=dt.date(1958, 7, 9), sex="male")
SPOUSE = factories.id_number(birth=dt.date(1961, 2, 3), sex="female")
CHILD = factories.id_number(birth=dt.date(2012, 9, 1), sex="female")
SINGLE = factories.id_number(birth=dt.date(1940, 1, 15), sex="male")


def family_rows(**changes: dict[str, str]) -> list[dict[str, str]]:
    """Two households: 张三's family of three (低保) and 王五 alone (特困, 分散供养)."""
    rows = [
        member(
            H1,
            name="张三",
            id_number=HEAD,
            家庭住址="羊毫街12号",
            联系电话="13800000000",
            **{
                "金融资产(元)": "3000",
                "住房(套)": "1",
                "机动车(辆)": "0",
                "工资性收入(元/月)": "1200",
                "养老金/退休金(元/月)": "",
                "劳动能力": "有劳动能力",
                "健康状况": "健康",
                "残疾类别": "",
                "残疾等级": "",
                "类别": "低保",
                "类别起始日期": "2024-01-01",
                "月保障金额(元)": "1350",
                "个人类别": "",
                "个人类别起始日期": "",
                "共同生活家庭成员": "是",
            },
        ),
        member(
            H1,
            name="李四",
            relation="配偶",
            id_number=SPOUSE,
            **{
                "工资性收入(元/月)": "0",
                "残疾类别": "肢体",
                "残疾等级": "二级",
                "劳动能力": "部分丧失劳动能力",
                "健康状况": "慢性病",
            },
        ),
        member(H1, name="张小红", relation="女", id_number=CHILD, 在校情况="小学"),
        member(
            H2,
            village=factories.VILLAGE_A2,
            name="王五",
            id_number=SINGLE,
            城乡类别="城市",
            **{
                "养老金/退休金(元/月)": "300.5",
                "劳动能力": "无劳动能力",
                "供养方式": "分散供养",
                "个人类别": "特困",
                "个人类别起始日期": "2023-06-01",
                "个人月保障金额(元)": "980",
            },
        ),
    ]
    for row in rows:
        row.update(changes.get(row["身份证号"], {}))
    return rows


def counts() -> list[int]:
    return [m.objects.count() for m in (Household, Person, Membership, CategoryEnrollment, Income)]


def test_import_creates_households_members_categories_and_incomes(tmp_path: Path, county_manager: User) -> None:
    result = households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    today = timezone.localdate()
    assert (result.households_created, result.persons_created, result.rows) == (2, 4, 4)
    assert result.summary() == (
        "导入完成：共 4 行。家庭：新增 2 户，更新 0 户，未变 0 户；人员：新增 4 人，更新 0 人，未变 0 人。"
    )
    household = Household.objects.get(household_number=H1)
    assert (household.region_id, household.urban_rural, household.address, household.phone) == (
        factories.VILLAGE_A1,
        "rural",
        "羊毫街12号",
        "13800000000",
    )
    assert (household.financial_assets, household.house_count, household.vehicle_count) == (Decimal("3000"), 1, 0)
    spouse = Person.objects.get(id_number=SPOUSE)
    assert (spouse.name, spouse.sex, spouse.birth_date, spouse.region_id) == (
        "李四",
        "female",
        dt.date(1961, 2, 3),
        factories.VILLAGE_A1,
    )
    assert (spouse.disability_type, spouse.disability_grade, spouse.labour_capacity, spouse.health) == (
        "physical",
        2,
        "partial",
        "chronic",
    )
    assert Person.objects.get(id_number=CHILD).student == "primary"
    assert [
        (m.person.id_number, m.relation, m.in_household, m.valid_from)
        for m in Membership.objects.filter(household=household).order_by("id")
    ] == [(HEAD, "head", True, today), (SPOUSE, "spouse", True, today), (CHILD, "daughter", True, today)]
    assert [
        (e.category, e.person_id, e.valid_from, e.amount_month, e.valid_to)
        for e in CategoryEnrollment.objects.filter(household=household)
    ] == [("dibao", None, dt.date(2024, 1, 1), Decimal("1350"), None)]
    single = Person.objects.get(id_number=SINGLE)
    assert [
        (e.category, e.person_id, e.valid_from, e.amount_month)
        for e in CategoryEnrollment.objects.filter(household__household_number=H2)
    ] == [("tekun", single.pk, dt.date(2023, 6, 1), Decimal("980"))]
    assert single.care_setting == "home_based"
    assert abs(single.created_at - timezone.now()) < dt.timedelta(minutes=5)
    assert single.updated_at == single.created_at
    assert abs(household.created_at - timezone.now()) < dt.timedelta(minutes=5)


def test_an_empty_cell_is_unknown_and_zero_is_zero(tmp_path: Path, county_manager: User) -> None:
    households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    incomes = {(i.person.id_number, i.type): (i.amount, i.period) for i in Income.objects.select_related("person")}
    # 张三 has a wage of 1200 and an empty pension cell: no pension record, not a zero one
    assert incomes[(HEAD, "wage")] == (Decimal("1200"), "month")
    assert (HEAD, "pension") not in incomes
    # 李四's wage is a recorded zero
    assert incomes[(SPOUSE, "wage")] == (Decimal("0"), "month")
    assert incomes[(SINGLE, "pension")] == (Decimal("300.50"), "month")
    # an empty 劳动能力 stays unknown
    assert Person.objects.get(id_number=CHILD).labour_capacity is None


def test_importing_the_same_file_again_changes_nothing(tmp_path: Path, county_manager: User) -> None:
    path = write(tmp_path, family_rows())
    households_import(actor=county_manager, path=path)
    before = counts()
    stamps = sorted(Person.objects.values_list("updated_at", flat=True))
    # when
    result = households_import(actor=county_manager, path=path)
    # then
    assert (result.households_created, result.households_updated, result.households_unchanged) == (0, 0, 2)
    assert (result.persons_created, result.persons_updated, result.persons_unchanged) == (0, 0, 4)
    assert result.changed is False
    assert counts() == before
    assert sorted(Person.objects.values_list("updated_at", flat=True)) == stamps


def test_every_format_imports_the_same(tmp_path: Path, county_manager: User) -> None:
    households_import(actor=county_manager, path=write(tmp_path, family_rows(), fmt="csv"))
    for fmt in ("xlsx", "parquet"):
        result = households_import(actor=county_manager, path=write(tmp_path, family_rows(), fmt=fmt))
        assert (result.households_unchanged, result.persons_unchanged, result.changed) == (2, 4, False)


def test_changed_fields_are_updates_and_the_audit_shows_them(tmp_path: Path, county_manager: User) -> None:
    households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    before = counts()
    # when the spouse's disability grade changes and the child leaves school
    changed = family_rows(**{SPOUSE: {"残疾等级": "一级"}, CHILD: {"在校情况": ""}})
    result = households_import(actor=county_manager, path=write(tmp_path, changed, name="changed"))
    # then
    assert (result.persons_created, result.persons_updated, result.persons_unchanged) == (0, 2, 2)
    assert (result.households_updated, result.households_unchanged) == (0, 2)
    assert Person.objects.get(id_number=SPOUSE).disability_grade == 1
    assert Person.objects.get(id_number=CHILD).student is None
    assert counts() == before
    audit = AuditEvent.objects.filter(tag=AuditTag.REGISTRY_IMPORT).order_by("-id").first()
    assert audit is not None
    assert audit.after is not None
    assert audit.after["file"] == "changed.xlsx"
    assert audit.after["persons_updated"] == 2
    spouse = Person.objects.get(id_number=SPOUSE)
    assert {"person_id": spouse.pk, "before": {"disability_grade": 2}, "after": {"disability_grade": 1}} in audit.after[
        "changes"
    ]
    assert audit.actor == county_manager
    assert audit.channel == "web"


def test_a_changed_income_keeps_its_history(tmp_path: Path, county_manager: User) -> None:
    households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    old = Income.objects.get(person__id_number=HEAD, type="wage")
    Income.objects.filter(pk=old.pk).update(valid_from=dt.date(2024, 1, 1))  # recorded long ago
    # when the wage changes
    households_import(
        actor=county_manager, path=write(tmp_path, family_rows(**{HEAD: {"工资性收入(元/月)": "1500"}}), name="raise")
    )
    # then the old record ended yesterday and a new one starts today
    today = timezone.localdate()
    assert [
        (i.amount, i.valid_from, i.valid_to)
        for i in Income.objects.filter(person__id_number=HEAD, type="wage").order_by("id")
    ] == [(Decimal("1200"), dt.date(2024, 1, 1), today - dt.timedelta(days=1)), (Decimal("1500"), today, None)]


def test_a_yearly_income_equal_per_month_is_unchanged(tmp_path: Path, county_manager: User) -> None:
    households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    Income.objects.filter(person__id_number=HEAD, type="wage").update(amount=Decimal("14400"), period="year")
    result = households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    assert result.persons_updated == 0


def test_a_new_category_ends_the_old_one_the_day_before(tmp_path: Path, county_manager: User) -> None:
    households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    rows = family_rows(**{HEAD: {"类别": "低保边缘", "类别起始日期": "2025-03-01", "月保障金额(元)": ""}})
    result = households_import(actor=county_manager, path=write(tmp_path, rows, name="marginal"))
    assert (result.households_updated, result.households_unchanged) == (1, 1)
    assert [
        (e.category, e.valid_from, e.valid_to, e.amount_month)
        for e in CategoryEnrollment.objects.filter(household__household_number=H1).order_by("id")
    ] == [
        ("dibao", dt.date(2024, 1, 1), dt.date(2025, 2, 28), Decimal("1350")),
        ("marginal", dt.date(2025, 3, 1), None, None),
    ]
    # and importing it again changes nothing
    again = households_import(actor=county_manager, path=write(tmp_path, rows, name="marginal"))
    assert again.changed is False


def test_a_new_category_cannot_start_before_the_current_one(tmp_path: Path, county_manager: User) -> None:
    households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    rows = family_rows(**{HEAD: {"类别": "低保边缘", "类别起始日期": "2023-12-31"}})
    with pytest.raises(ImportRejected) as rejected:
        households_import(actor=county_manager, path=write(tmp_path, rows))
    assert [str(p) for p in rejected.value.problems] == [
        "households.xlsx 工作表「家庭成员」第 2 行「类别起始日期」应晚于现有类别“低保”的起始日期2024-01-01："
        "原类别将在新类别起始日期前一天终止"
    ]


def test_the_same_category_with_a_new_amount_is_corrected_in_place(tmp_path: Path, county_manager: User) -> None:
    households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    households_import(actor=county_manager, path=write(tmp_path, family_rows(**{HEAD: {"月保障金额(元)": "1400"}})))
    assert [
        (e.category, e.amount_month, e.valid_to)
        for e in CategoryEnrollment.objects.filter(household__household_number=H1)
    ] == [("dibao", Decimal("1400"), None)]


def test_an_empty_category_changes_nothing(tmp_path: Path, county_manager: User) -> None:
    households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    rows = family_rows(**{HEAD: {"类别": "", "类别起始日期": "", "月保障金额(元)": ""}})
    assert households_import(actor=county_manager, path=write(tmp_path, rows)).changed is False
    assert CategoryEnrollment.objects.filter(household__household_number=H1, valid_to__isnull=True).count() == 1


def test_a_member_missing_from_a_reimport_stays(tmp_path: Path, county_manager: User) -> None:
    households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    rows = [r for r in family_rows() if r["身份证号"] != CHILD]
    result = households_import(actor=county_manager, path=write(tmp_path, rows))
    assert result.changed is False
    assert Membership.objects.current().filter(person__id_number=CHILD, household__household_number=H1).exists()


def test_a_file_listing_only_some_members_keeps_the_head_in_the_database(tmp_path: Path, county_manager: User) -> None:
    households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    new_child = factories.id_number(birth=dt.date(2020, 1, 1), sex="male")
    result = households_import(
        actor=county_manager, path=write(tmp_path, [member(H1, name="张小明", relation="子", id_number=new_child)])
    )
    assert (result.persons_created, result.households_unchanged) == (1, 1)
    assert Membership.objects.current().filter(household__household_number=H1).count() == 4


def test_the_head_can_change_when_both_are_listed(tmp_path: Path, county_manager: User) -> None:
    households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    rows = family_rows(**{HEAD: {"与户主关系": "配偶"}, SPOUSE: {"与户主关系": "户主"}})
    result = households_import(actor=county_manager, path=write(tmp_path, rows))
    assert result.persons_updated == 2
    assert Membership.objects.current().get(household__household_number=H1, relation="head").person.id_number == SPOUSE


def test_a_column_the_file_lacks_is_left_alone(tmp_path: Path, county_manager: User) -> None:
    households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    # given a department file with only the keys and 健康状况
    rows = [
        {k: r[k] for k in ("户编号", "所属村(社区)代码", "城乡类别", "姓名", "身份证号", "与户主关系")}
        | {"健康状况": "重病"}
        for r in family_rows()
        if r["身份证号"] == SPOUSE
    ]
    rows[0]["与户主关系"] = "配偶"
    # when
    result = households_import(actor=county_manager, path=write(tmp_path, rows))
    # then only 健康状况 changed
    spouse = Person.objects.get(id_number=SPOUSE)
    assert (result.persons_updated, spouse.health, spouse.disability_grade) == (1, "serious_illness", 2)
    assert Income.objects.filter(person=spouse, valid_to__isnull=True).count() == 1


def test_a_household_moves_to_another_village_with_its_members(tmp_path: Path, county_manager: User) -> None:
    households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    rows = family_rows()
    for row in rows[:3]:
        row["所属村(社区)代码"] = factories.VILLAGE_B1
    result = households_import(actor=county_manager, path=write(tmp_path, rows))
    assert result.households_updated == 1
    assert set(
        Person.objects.filter(memberships__household__household_number=H1).values_list("region_id", flat=True)
    ) == {factories.VILLAGE_B1}


def test_a_dry_run_checks_and_writes_nothing(tmp_path: Path, county_manager: User) -> None:
    before = counts()
    audits = AuditEvent.objects.count()
    result = households_import(actor=county_manager, path=write(tmp_path, family_rows()), dry_run=True)
    assert (result.dry_run, result.persons_created) == (True, 4)
    assert result.summary().startswith("校验通过（仅校验，未写入）")
    assert counts() == before
    assert AuditEvent.objects.count() == audits


def test_each_import_is_one_audit_record(tmp_path: Path, county_manager: User) -> None:
    path = write(tmp_path, family_rows())
    households_import(actor=county_manager, path=path, channel="命令行")
    audit = AuditEvent.objects.get(tag=AuditTag.REGISTRY_IMPORT)
    assert audit.after is not None
    assert (audit.after["households_created"], audit.after["persons_created"], audit.after["rows"]) == (2, 4, 4)
    assert audit.channel == "命令行"
    assert audit.region_code == county_manager.region_id
    assert len(audit.subject_id) == 64  # the file's SHA-256
    assert HEAD not in str(audit.after)  # no ID number in the audit log


def test_a_csv_saved_by_chinese_excel_in_gbk_imports(tmp_path: Path, county_manager: User) -> None:
    utf8 = write(tmp_path, family_rows(), fmt="csv")
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(utf8.read_text(encoding="utf-8-sig").encode("gb18030"))
    result = households_import(actor=county_manager, path=gbk)
    assert (result.households_created, result.persons_created) == (2, 4)
    assert Person.objects.get(id_number=SPOUSE).name == "李四"


def test_a_typed_parquet_file_from_a_department_imports(tmp_path: Path, county_manager: User) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # given a department's Parquet file with dates, decimals and integers as real types
    table = pa.table(
        {
            "户编号": [H1],
            "所属村(社区)代码": [factories.VILLAGE_A1],
            "城乡类别": ["农村"],
            "姓名": ["张三"],
            "身份证号": [HEAD],
            "与户主关系": ["户主"],
            "出生日期": pa.array([dt.date(1958, 7, 9)], pa.date32()),
            "住房(套)": pa.array([2], pa.int64()),
            "工资性收入(元/月)": pa.array([Decimal("1200.50")], pa.decimal128(10, 2)),
            "类别": ["低保"],
            "类别起始日期": pa.array([dt.datetime(2024, 1, 1)], pa.timestamp("ms")),
            "共同生活家庭成员": pa.array([True]),
        }
    )
    path = tmp_path / "department.parquet"
    pq.write_table(table, path)
    # when
    households_import(actor=county_manager, path=path)
    # then
    household = Household.objects.get(household_number=H1)
    assert household.house_count == 2
    assert Income.objects.get(person__id_number=HEAD).amount == Decimal("1200.50")
    assert CategoryEnrollment.objects.get(household=household).valid_from == dt.date(2024, 1, 1)


def assert_tally_exact() -> None:
    """The village tally behind list totals and home figures equals direct counts (registry.tally)."""
    day = tally.as_of()
    assert day is not None
    assert tally.stored_counts() == tally.direct_counts(on=day)


def test_imports_keep_the_village_tally_exact(tmp_path: Path, county_manager: User) -> None:
    # new households, members and categories
    households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    assert_tally_exact()
    assert tally.stored_counts()[(factories.VILLAGE_A1, "active", "dibao")] == 1
    # a changed category ends the old one (before today) and starts another
    rows = family_rows(**{HEAD: {"类别": "低保边缘", "类别起始日期": "2025-03-01", "月保障金额(元)": ""}})
    households_import(actor=county_manager, path=write(tmp_path, rows, name="marginal"))
    assert_tally_exact()
    assert (factories.VILLAGE_A1, "active", "dibao") not in tally.stored_counts()
    # a household moving to another village takes its counts along
    for row in rows[:3]:
        row["所属村(社区)代码"] = factories.VILLAGE_B1
    households_import(actor=county_manager, path=write(tmp_path, rows, name="moved"))
    assert_tally_exact()
    assert tally.stored_counts()[(factories.VILLAGE_B1, "active", "marginal")] == 1
    # a dry run and a rejected file change nothing
    before = tally.stored_counts()
    for row in rows[:3]:
        row["所属村(社区)代码"] = factories.VILLAGE_A2
    households_import(actor=county_manager, path=write(tmp_path, rows, name="dry"), dry_run=True)
    with pytest.raises(ImportRejected):  # 低保 cannot start again before the current 低保边缘
        households_import(actor=county_manager, path=write(tmp_path, family_rows(), name="bad"))
    assert tally.stored_counts() == before


def test_a_large_import_re_derives_the_whole_tally(
    tmp_path: Path, county_manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "TALLY_ALL_FROM", 1)
    factories.make_household(factories.VILLAGE_B1)
    households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    assert_tally_exact()
    assert tally.as_of() == timezone.localdate()


def test_new_persons_are_numbered_in_id_number_order() -> None:
    numbers = ["14070219580709001X", "140702195807090011", "110101199003070013", "14070219580709002X"]
    order = planning.id_number_order(pa.array(numbers))
    assert [numbers[i] for i in order] == sorted(numbers)
    odd = ["2", "10", "1"]  # not ID numbers: sorted as strings
    assert [odd[i] for i in planning.id_number_order(pa.array(odd))] == ["1", "10", "2"]


def test_a_registered_person_joining_a_household_takes_its_village(tmp_path: Path, county_manager: User) -> None:
    # given an active person without a household (written directly: the services never leave one so)
    households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    Membership.objects.filter(person__id_number=CHILD).delete()
    Person.objects.filter(id_number=CHILD).update(region=factories.region(factories.VILLAGE_A2))
    # when a file lists them in 张三's household (村 A1)
    households_import(actor=county_manager, path=write(tmp_path, family_rows(), name="again"))
    # then they are a member there, and their region (the jurisdiction of persons) is that village
    assert Membership.objects.current().filter(person__id_number=CHILD, household__household_number=H1).exists()
    assert Person.objects.get(id_number=CHILD).region_id == factories.VILLAGE_A1


CATALOG_SQL = """
SELECT 'index', c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname LIKE 'registry_%%'
UNION ALL
SELECT 'constraint', conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid::regclass::text LIKE 'registry_%%' OR confrelid::regclass::text LIKE 'registry_%%'
UNION ALL
SELECT 'default', table_name || '.' || column_name, column_default FROM information_schema.columns
WHERE table_name LIKE 'registry_%%' AND column_default IS NOT NULL
ORDER BY 1, 2, 3
"""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the index rebuild is PostgreSQL's (registry.bulk)")
def test_a_large_import_restores_every_index_key_and_default(
    tmp_path: Path, county_manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def catalog() -> list[tuple[str, str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(CATALOG_SQL)
            return list(cursor.fetchall())

    before = catalog()
    monkeypatch.setattr(db, "REBUILD_MIN_ROWS", 0)  # the path of a million rows into an empty registry
    assert db.should_rebuild_indexes(Person, 4)
    result = households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    assert (result.households_created, result.persons_created) == (2, 4)
    assert catalog() == before  # indexes, keys, foreign keys back; no column default left behind
    today = timezone.localdate()
    household = Household.objects.get(household_number=H1)
    assert (household.status, household.created_at) == ("active", household.updated_at)
    spouse = Person.objects.get(id_number=SPOUSE)
    assert (spouse.status, spouse.phone, spouse.hukou_region_code, spouse.deceased_on) == ("active", "", "", None)
    membership = Membership.objects.get(person=spouse)
    assert (membership.valid_from, membership.valid_to) == (today, None)
    enrollment = CategoryEnrollment.objects.get(household=household)
    assert (enrollment.valid_to, enrollment.decision_number, enrollment.end_reason) == (None, "", "")
    assert enrollment.note.startswith("批量导入")
    assert {(i.period, i.valid_from, i.valid_to) for i in Income.objects.all()} == {("month", today, None)}
    ids = list(Person.objects.order_by("id").values_list("id_number", flat=True))
    assert ids == sorted(ids)  # numbered in ID number order (planning.id_number_order)
    assert_tally_exact()


def test_an_empty_registry_is_planned_without_reading_it(
    tmp_path: Path, county_manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_comparison(keys: pa.Array) -> None:
        raise AssertionError("an empty registry has nothing to compare with")

    monkeypatch.setattr(db, "key_table", no_comparison)
    assert not planning.registry_holds_rows()
    result = households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    assert (result.households_created, result.persons_created, result.persons_unchanged) == (2, 4, 0)
    assert planning.registry_holds_rows()
    monkeypatch.undo()
    again = households_import(actor=county_manager, path=write(tmp_path, family_rows(), name="again"))
    assert (again.changed, again.persons_unchanged) == (False, 4)


def test_a_registry_holding_only_a_deceased_person_is_compared(tmp_path: Path, county_manager: User) -> None:
    # given a registry whose only record is a deceased person (no household)
    Person.objects.create(
        id_number=SINGLE,
        name="王五",
        sex="male",
        birth_date=dt.date(1940, 1, 15),
        region=factories.region(factories.VILLAGE_A2),
        status="deceased",
        deceased_on=dt.date(2024, 3, 1),
    )
    assert planning.registry_holds_rows()
    # when a file lists that ID number, then it is refused and nothing is written
    with pytest.raises(ImportRejected) as rejected:
        households_import(actor=county_manager, path=write(tmp_path, family_rows()))
    assert [p.problem for p in rejected.value.problems] == ["该身份证号的人员已登记为死亡，不能再导入"]
    assert not Household.objects.exists()
