"""Every kind of problem in an import file: the exact Chinese message, naming file, sheet, row and column;
and a file with problems writes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from jiuzhu.accounts.models import Role, User
from jiuzhu.audit.models import AuditEvent
from jiuzhu.core.testing import factories
from jiuzhu.exchange import parsing, reading
from jiuzhu.exchange.importing import households_import
from jiuzhu.exchange.problems import ImportRejected
from jiuzhu.exchange.tests.helpers import bad_check_character, member, write
from jiuzhu.registry.models import CategoryEnrollment, Household, Income, Membership, Person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["one thread", "two threads"])
def threads(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every check, as a small file is checked (one thread) and as a large one is (columns on two threads)."""
    if request.param == "two threads":
        monkeypatch.setattr(parsing, "PARALLEL_FROM_ROWS", 0)
        monkeypatch.setattr(reading, "PARALLEL_FROM_ROWS", 0)


SHEET = "households.xlsx 工作表「家庭成员」"
H1 = f"{factories.VILLAGE_A1}00901"
H2 = f"{factories.VILLAGE_A1}00902"


def problems(path: Path, actor: User) -> list[str]:
    with pytest.raises(ImportRejected) as rejected:
        households_import(actor=actor, path=path)
    return [str(p) for p in rejected.value.problems]


def test_wrong_check_character_names_row_column_and_both_characters(tmp_path: Path, county_manager: User) -> None:
    # given a spouse whose 18th character is wrong
    bad, expected, actual = bad_check_character(factories.id_number(birth=dt.date(1962, 3, 4), sex="female"))
    path = write(tmp_path, [member(H1), member(H1, name="李四", relation="配偶", id_number=bad)])
    # when / then
    assert problems(path, county_manager) == [
        f"{SHEET}第 3 行「身份证号」校验位错误：第18位应为“{expected}”，实为“{actual}”"
    ]


def test_missing_and_unknown_headers_are_named(tmp_path: Path, county_manager: User) -> None:
    path = write(
        tmp_path,
        [
            {
                "户编号": H1,
                "所属村(社区)代码": factories.VILLAGE_A1,
                "姓名": "张三",
                "身份证号码x": "1",
                "序号": "1",
                "备注": "x",
            }
        ],
    )
    assert problems(path, county_manager) == [
        f"{SHEET}第 1 行：表头缺少必填列：「城乡类别」、「身份证号」、「与户主关系」",
        f"{SHEET}第 1 行「身份证号码x」不是导入模板中的列名，请对照模板的「填写说明」改正（“序号”“备注”列可以保留）",
    ]


def test_headers_accept_units_full_width_brackets_and_english_identifiers(tmp_path: Path, county_manager: User) -> None:
    path = write(
        tmp_path,
        [
            {
                "household_number": H1,
                "所属村（社区）代码": factories.VILLAGE_A1,
                "urban_rural": "rural",
                "name": "张三",
                "公民身份号码": factories.id_number(),
                "relation": "head",
                "工资性收入": "1200",
            }
        ],
    )
    result = households_import(actor=county_manager, path=path)
    assert (result.households_created, result.persons_created) == (1, 1)
    assert Income.objects.get().amount == 1200


def test_the_same_id_number_twice_in_the_file(tmp_path: Path, county_manager: User) -> None:
    number = factories.id_number()
    path = write(tmp_path, [member(H1, id_number=number), member(H2, id_number=number)])
    assert problems(path, county_manager) == [f"{SHEET}第 3 行「身份证号」与第 2 行的身份证号相同：同一人只能出现一次"]


def test_two_heads_in_one_household(tmp_path: Path, county_manager: User) -> None:
    path = write(tmp_path, [member(H1), member(H1, name="李四", relation="户主", sex="female")])
    assert problems(path, county_manager) == [
        f"{SHEET}第 3 行「与户主关系」一户只能有一名户主，本户第 2 行已填写“户主”"
    ]


def test_a_household_without_head(tmp_path: Path, county_manager: User) -> None:
    path = write(tmp_path, [member(H1, relation="配偶"), member(H1, name="张小", relation="子")])
    assert problems(path, county_manager) == [
        f"{SHEET}第 2 行「与户主关系」户编号 {H1} 的各行中没有“户主”，每户须有一名户主"
    ]


def test_village_outside_the_jurisdiction(tmp_path: Path, township_officer: User) -> None:
    # given a 北关街道 officer and a 锦纶街道 village
    path = write(tmp_path, [member(H1, village=factories.VILLAGE_B1)])
    assert problems(path, township_officer) == [
        f"{SHEET}第 2 行「所属村(社区)代码」“{factories.VILLAGE_B1}”乐平社区居民委员会不在您的管辖范围内"
    ]


def test_unknown_code_and_a_township_code(tmp_path: Path, county_manager: User) -> None:
    path = write(
        tmp_path,
        [
            member(H1, village="140702001999"),
            member(H2, village=factories.TOWNSHIP_A),
            member("X3", village="14070200100"),
        ],
    )
    assert problems(path, county_manager) == [
        f"{SHEET}第 2 行「所属村(社区)代码」“140702001999”不是系统中的区划代码，请核对",
        f"{SHEET}第 3 行「所属村(社区)代码」“{factories.TOWNSHIP_A}”是北关街道（乡镇(街道)），"
        "请填写村(社区)一级的12位代码",
        f"{SHEET}第 4 行「所属村(社区)代码」应为12位数字的村(社区)区划代码，实为“14070200100”",
    ]


def test_birth_date_and_sex_must_agree_with_the_id_number(tmp_path: Path, county_manager: User) -> None:
    number = factories.id_number(birth=dt.date(1960, 5, 1), sex="male")
    path = write(tmp_path, [member(H1, id_number=number, 出生日期="1960-05-02", 性别="女")])
    assert problems(path, county_manager) == [
        f"{SHEET}第 2 行「性别」“女”与身份证号第17位所示性别“男”不一致",
        f"{SHEET}第 2 行「出生日期」1960-05-02与身份证号中的出生日期1960-05-01不一致",
    ]


def test_an_id_number_active_in_another_household(tmp_path: Path, county_manager: User) -> None:
    # given a person already registered in another household
    existing = factories.make_household(members=2)
    spouse = Person.objects.get(memberships__household=existing, memberships__relation="spouse")
    path = write(tmp_path, [member(H1), member(H1, name=spouse.name, relation="配偶", id_number=spouse.id_number)])
    assert problems(path, county_manager) == [
        f"{SHEET}第 3 行「身份证号」已在另一户（户编号 {existing.household_number}）在册；"
        "如需迁入本户，请先在系统中办理迁出"
    ]


def test_an_id_number_active_outside_the_jurisdiction_does_not_leak_the_household(
    tmp_path: Path, township_officer: User
) -> None:
    existing = factories.make_household(factories.VILLAGE_B1)
    head = Person.objects.get(memberships__household=existing)
    path = write(tmp_path, [member(H1, id_number=head.id_number)])
    assert problems(path, township_officer) == [
        f"{SHEET}第 2 行「身份证号」已在您管辖范围以外的另一户在册，同一人不能重复在册"
    ]


def test_bad_numbers_negative_amounts_and_bad_dates(tmp_path: Path, county_manager: User) -> None:
    path = write(
        tmp_path,
        [
            member(
                H1,
                **{
                    "工资性收入(元/月)": "一千",
                    "财产净收入(元/月)": "-5",
                    "养老金/退休金(元/月)": "12.345",
                    "住房(套)": "1.5",
                    "类别": "低保",
                    "类别起始日期": "2023-02-30",
                },
            )
        ],
    )
    assert problems(path, county_manager) == [
        f"{SHEET}第 2 行「住房(套)」“1.5”应为不小于0的整数",
        f"{SHEET}第 2 行「工资性收入(元/月)」“一千”不是有效的金额",
        f"{SHEET}第 2 行「财产净收入(元/月)」不能为负数",
        f"{SHEET}第 2 行「养老金/退休金(元/月)」“12.345”超过两位小数（金额精确到分）",
        f"{SHEET}第 2 行「类别起始日期」“2023-02-30”不是有效的日期（格式如2024-01-31）",
    ]


def test_values_outside_the_lists_and_missing_required_cells(tmp_path: Path, county_manager: User) -> None:
    path = write(
        tmp_path, [member(H1, 城乡类别="郊区", 残疾类别="肢体", 残疾等级=""), member(H1, name="", relation="儿子")]
    )
    assert problems(path, county_manager) == [
        f"{SHEET}第 2 行「城乡类别」“郊区”不是可选的值（可选：城市、农村）",
        f"{SHEET}第 2 行「残疾等级」残疾类别和残疾等级应同时填写或同时为空",
        f"{SHEET}第 3 行「姓名」不能为空",
    ]


def test_household_columns_must_agree_within_a_household(tmp_path: Path, county_manager: User) -> None:
    path = write(
        tmp_path,
        [
            member(H1, 家庭住址="羊毫街1号"),
            member(H1, name="李四", relation="配偶", 家庭住址=""),
            member(H1, name="张小", relation="子", 家庭住址="羊毫街2号"),
        ],
    )
    assert problems(path, county_manager) == [
        f"{SHEET}第 4 行「家庭住址」“羊毫街2号”与同户第 2 行的“羊毫街1号”不一致：同一户的家庭信息应相同"
    ]


def test_the_value_most_rows_of_a_household_hold_is_taken_and_the_odd_row_reported(
    tmp_path: Path, county_manager: User
) -> None:
    # given the head's row with another village than the rest of the household
    path = write(
        tmp_path,
        [
            member(H1, village=factories.VILLAGE_B1),
            member(H1, name="李四", relation="配偶"),
            member(H1, name="张小", relation="子"),
        ],
    )
    assert problems(path, county_manager) == [
        f"{SHEET}第 2 行「所属村(社区)代码」“{factories.VILLAGE_B1}”与同户第 3 行的“{factories.VILLAGE_A1}”不一致："
        "同一户的家庭信息应相同"
    ]


def test_columns_that_belong_together(tmp_path: Path, county_manager: User) -> None:
    path = write(tmp_path, [member(H1, 残疾类别="肢体", 类别起始日期="2024-01-01")])
    assert problems(path, county_manager) == [
        f"{SHEET}第 1 行：有「残疾类别」列时必须同时有「残疾等级」列",
        f"{SHEET}第 1 行：有「类别起始日期」列时必须同时有「类别」列",
    ]


def test_category_needs_a_start_date_not_in_the_future(tmp_path: Path, county_manager: User) -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    path = write(
        tmp_path,
        [
            member(H1, 类别="低保", 类别起始日期=""),
            member(H2, 类别="低保", 类别起始日期=tomorrow.isoformat()),
            member("X3", 类别="", 类别起始日期="", **{"月保障金额(元)": "500"}),
        ],
    )
    assert problems(path, county_manager) == [
        f"{SHEET}第 2 行「类别起始日期」填写了「类别」时必须填写",
        f"{SHEET}第 3 行「类别起始日期」不能晚于今天",
        f"{SHEET}第 4 行「类别」填写了「月保障金额(元)」但没有填写类别",
    ]


def test_a_masked_id_number_cannot_be_imported(tmp_path: Path, county_manager: User) -> None:
    path = write(tmp_path, [member(H1, id_number="1407**********1235")])
    assert problems(path, county_manager) == [
        f"{SHEET}第 2 行「身份证号」是脱敏号码（含“*”），不能用于导入；请使用显示完整身份证号的导出文件或原始资料"
    ]


def test_an_id_number_excel_stored_as_a_number(tmp_path: Path, county_manager: User) -> None:
    path = write(tmp_path, [member(H1)])
    # given the ID cell typed as a number, as Excel does without text format
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    sheet = workbook.active
    assert sheet is not None
    sheet["E2"] = 140702196005011235
    workbook.save(path)
    assert problems(path, county_manager) == [
        f"{SHEET}第 2 行「身份证号」被 Excel 存成了数字，后几位已丢失；请把该列设为“文本”格式后重新录入"
    ]


def test_a_csv_row_with_a_missing_comma(tmp_path: Path, county_manager: User) -> None:
    path = tmp_path / "households.csv"
    path.write_text(
        f"户编号,所属村(社区)代码,城乡类别,姓名,身份证号,与户主关系\n"
        f"{H1},{factories.VILLAGE_A1},农村,张三,{factories.id_number()},户主\n"
        f"{H1},{factories.VILLAGE_A1},农村,李四 {factories.id_number()},配偶\n",
        encoding="utf-8",
    )
    assert problems(path, county_manager) == [
        "households.csv 第 3 行：该行有 5 列，表头有 6 列：多了或少了逗号（文字中的逗号需用英文双引号括起）"
    ]


def test_csv_and_parquet_name_no_sheet(tmp_path: Path, county_manager: User) -> None:
    rows = [member(H1, 城乡类别="郊区")]
    for fmt in ("csv", "parquet"):
        path = write(tmp_path, rows, fmt=fmt)
        assert problems(path, county_manager) == [
            f"households.{fmt} 第 2 行「城乡类别」“郊区”不是可选的值（可选：城市、农村）"
        ]


def test_a_file_with_one_bad_row_writes_nothing(tmp_path: Path, county_manager: User) -> None:
    # given 30 good households and one bad row at the end
    factories.make_household(members=2)
    counts = [m.objects.count() for m in (Household, Person, Membership, CategoryEnrollment, Income, AuditEvent)]
    rows = [
        member(f"{factories.VILLAGE_A1}{i:05d}", 类别="低保", 类别起始日期="2024-01-01", **{"工资性收入(元/月)": "100"})
        for i in range(100, 130)
    ]
    rows.append(member(H1, relation="配偶"))
    path = write(tmp_path, rows)
    # when
    found = problems(path, county_manager)
    # then only the bad row is reported and nothing was written
    assert found == [f"{SHEET}第 32 行「与户主关系」户编号 {H1} 的各行中没有“户主”，每户须有一名户主"]
    assert [
        m.objects.count() for m in (Household, Person, Membership, CategoryEnrollment, Income, AuditEvent)
    ] == counts


def test_problems_are_all_collected_and_counted(tmp_path: Path, county_manager: User) -> None:
    rows = [member(f"{factories.VILLAGE_A1}{i:05d}", 城乡类别="郊区", 户籍性质="外星") for i in range(300)]
    with pytest.raises(ImportRejected) as rejected:
        households_import(actor=county_manager, path=write(tmp_path, rows, fmt="csv"))
    assert rejected.value.total == 600
    assert rejected.value.message == "文件中发现 600 处错误，未写入任何数据。请改正后重新导入。"


def test_only_users_with_the_import_right_may_import(tmp_path: Path, village_worker: User) -> None:
    from jiuzhu.core.errors import PermissionRefused

    with pytest.raises(PermissionRefused, match="批量导入"):
        households_import(actor=village_worker, path=write(tmp_path, [member(H1)]))


def test_a_reviewer_cannot_import(tmp_path: Path) -> None:
    from jiuzhu.core.errors import PermissionRefused

    reviewer = factories.make_user(Role.TOWNSHIP_REVIEWER)
    with pytest.raises(PermissionRefused):
        households_import(actor=reviewer, path=write(tmp_path, [member(H1)]))
