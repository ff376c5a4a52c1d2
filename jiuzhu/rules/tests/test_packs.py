"""Policy packs: the strict loader, region fallback and the seed packs' coverage of 2024-01-01 … 2026-11-23.

Loader errors are checked on packs written to ``tmp_path``: each must raise ``PackError`` naming the
file and the key at fault. The seed packs (000 晋中 140700, 001 泰州 321200, 002 印台 610203 with
铜川 610200, 003 长丰 340121 with 合肥 340100, 004 宣城 341800, and the provincial packs behind them)
must resolve both 低保 standards and pay 低保 on every date of the period, run their programmes, and
flag draft packs and example values.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from jiuzhu.rules.case import case_from_dict
from jiuzhu.rules.errors import PackError
from jiuzhu.rules.evaluate import evaluate_case
from jiuzhu.rules.params import (
    EXAMPLE_MARK,
    Library,
    default_library,
    load_catalog,
    load_library,
    load_pack,
    pack_status_flags,
    resolve,
)
from jiuzhu.rules.programmes import PROGRAMME_ORDER, known_programmes

START, END = dt.date(2024, 1, 1), dt.date(2026, 11, 23)
CHECK_DATES = (START, dt.date(2025, 6, 30), END)
RIGID_FROM = dt.date(2025, 1, 1)  # 刚性支出困难家庭认定办法 takes effect
ALL_BUT_ELECTRICITY = tuple(p for p in PROGRAMME_ORDER if p != "free_electricity")

# A district of each seed city → the packs it resolves through, most specific first.
CHAINS = {
    "140702": ["140700", "140000", "000000"],  # 榆次区 → 晋中市 → 山西省
    "321202": ["321200", "000000"],  # 海陵区 → 泰州市
    "610203": ["610203", "610200", "610000", "000000"],  # 印台区 (own draft pack) → 铜川市 → 陕西省
    "340121": ["340121", "340100", "340000", "000000"],  # 长丰县 (own pack) → 合肥市 → 安徽省
    "340102": ["340100", "340000", "000000"],  # 瑶海区 → 合肥市 (no 城区 pack)
    "341802": ["341800", "340000", "000000"],  # 宣州区 → 宣城市
}
# The seed districts and the programmes their packs run (free electricity only where 晋中 gives it).
SEEDS = {
    "140702": PROGRAMME_ORDER,
    "321202": ALL_BUT_ELECTRICITY,
    "610203": ALL_BUT_ELECTRICITY,
    "340121": ALL_BUT_ELECTRICITY,
    "341802": ALL_BUT_ELECTRICITY,
}
SEED_PACKS = ("140000", "140700", "321200", "610000", "610200", "610203", "340000", "340100", "340121", "341800")


@pytest.fixture(scope="module")
def library() -> Library:
    return default_library()


# ----------------------------------------------------------------------------- the strict loader

GOOD_META = """\
region: "140700"
name: 测试市
level: city
status: 正式
"""
GOOD_VALUE = """\
dibao.standard.urban:
  values:
    - value: 800
      unit: 元/人·月
      effective: 2024-01-01
      source: 测试文件〔2024〕1号
"""
SECOND_VALUE = """\
    - value: 830
      unit: 元/人·月
      effective: {effective}
      source: 测试文件〔2024〕2号
"""


def _pack(tmp_path: Path, values: str, meta: str = GOOD_META, folder: str = "140700") -> Path:
    pack = tmp_path / folder
    pack.mkdir()
    (pack / "pack.yaml").write_text(textwrap.dedent(meta), encoding="utf-8")
    (pack / "dibao.yaml").write_text(textwrap.dedent(values), encoding="utf-8")
    return pack


def _load_error(pack: Path) -> str:
    with pytest.raises(PackError) as caught:
        load_pack(pack, load_catalog())
    return str(caught.value)


def test_a_good_pack_loads(tmp_path: Path) -> None:
    pack = load_pack(_pack(tmp_path, GOOD_VALUE), load_catalog())
    (value,) = pack.parameters["dibao.standard.urban"]
    assert value.value == Decimal(800)
    assert value.unit == "元/人·月"
    assert value.effective == dt.date(2024, 1, 1)
    assert not value.is_example


@pytest.mark.parametrize(
    ("values", "file", "key", "problem"),
    [
        pytest.param(
            GOOD_VALUE.replace("      source:", "      valeu: 1\n      source:"),
            "dibao.yaml",
            "dibao.standard.urban.values[0].valeu",
            "未知的键",
            id="值中的未知键",
        ),
        pytest.param(
            GOOD_VALUE.replace("  values:", "  vals: []\n  values:"),
            "dibao.yaml",
            "dibao.standard.urban.vals",
            "未知的键",
            id="参数中的未知键",
        ),
        pytest.param(
            GOOD_VALUE.replace("dibao.standard.urban:", "dibao.standard.city:"),
            "dibao.yaml",
            "dibao.standard.city",
            "未知的参数名",
            id="未知参数名",
        ),
        pytest.param(
            GOOD_VALUE.replace("      unit: 元/人·月\n", ""),
            "dibao.yaml",
            "dibao.standard.urban.values[0].unit",
            "缺少必填项",
            id="缺少单位",
        ),
        pytest.param(
            GOOD_VALUE.replace("      source: 测试文件〔2024〕1号\n", ""),
            "dibao.yaml",
            "dibao.standard.urban.values[0].source",
            "缺少必填项",
            id="缺少来源",
        ),
        pytest.param(
            GOOD_VALUE.replace("unit: 元/人·月", "unit: 元/月"),
            "dibao.yaml",
            "dibao.standard.urban.values[0].unit",
            "单位“元/月”不适用",
            id="单位不适用于该参数",
        ),
        pytest.param(
            GOOD_VALUE.replace("unit: 元/人·月", "unit: 元/人·周"),
            "dibao.yaml",
            "dibao.standard.urban.values[0].unit",
            "不适用",
            id="未知单位",
        ),
        pytest.param(
            GOOD_VALUE.replace("value: 800", "value: 800.5"),
            "dibao.yaml",
            "dibao.standard.urban.values[0].value",
            "带引号的字符串",
            id="浮点数值",
        ),
        pytest.param(
            GOOD_VALUE.replace("value: 800", 'value: "-1"'),
            "dibao.yaml",
            "dibao.standard.urban.values[0].value",
            "不能为负数",
            id="负数值",
        ),
        pytest.param(
            GOOD_VALUE.replace("value: 800", 'value: "八百"'),
            "dibao.yaml",
            "dibao.standard.urban.values[0].value",
            "不是有效的数值",
            id="非数值",
        ),
        pytest.param(
            GOOD_VALUE.replace("effective: 2024-01-01", 'effective: "2024-13-01"'),
            "dibao.yaml",
            "dibao.standard.urban.values[0].effective",
            "应为日期",
            id="无效日期",
        ),
        pytest.param(
            GOOD_VALUE.replace("effective: 2024-01-01", "effective: 2024-01-01 08:00:00"),
            "dibao.yaml",
            "dibao.standard.urban.values[0].effective",
            "不能带时间",
            id="日期带时间",
        ),
        pytest.param(
            GOOD_VALUE.replace("effective: 2024-01-01", "effective: 2024-01-01\n      end: 2023-12-31"),
            "dibao.yaml",
            "dibao.standard.urban.values[0].end",
            "终止日期早于生效日期",
            id="终止早于生效",
        ),
        pytest.param(
            GOOD_VALUE.replace("effective: 2024-01-01", "effective: 2024-01-01\n      end: 2024-07-01")
            + SECOND_VALUE.format(effective="2024-07-01"),
            "dibao.yaml",
            "dibao.standard.urban",
            "有效期重叠",
            id="有效期重叠",
        ),
        pytest.param(
            GOOD_VALUE + SECOND_VALUE.format(effective="2024-01-01"),
            "dibao.yaml",
            "dibao.standard.urban",
            "有效期重叠",
            id="同日生效的两个值",
        ),
        pytest.param(
            GOOD_VALUE.replace("unit: 元/人·月", "unit: 倍").replace("dibao.standard.urban", "dibao.phase_out.months"),
            "dibao.yaml",
            "dibao.phase_out.months.values[0].unit",
            "不适用",
            id="整数参数用了倍",
        ),
        pytest.param(
            "money.rounding:\n  values:\n    - value: round_down\n      unit: 规则\n"
            "      effective: 2024-01-01\n      source: 测试\n",
            "dibao.yaml",
            "money.rounding.values[0].value",
            "之一",
            id="规则取值不在选项中",
        ),
        pytest.param(
            "dibao.individual.serious_illness:\n  values:\n    - value: 是\n      unit: 是否\n"
            "      effective: 2024-01-01\n      source: 测试\n",
            "dibao.yaml",
            "dibao.individual.serious_illness.values[0].value",
            "true 或 false",
            id="开关不是布尔值",
        ),
        pytest.param(
            "dibao.standard.urban:\n  values: []\n",
            "dibao.yaml",
            "dibao.standard.urban.values",
            "非空列表",
            id="空的值列表",
        ),
    ],
)
def test_loader_rejects_with_file_and_key(tmp_path: Path, values: str, file: str, key: str, problem: str) -> None:
    message = _load_error(_pack(tmp_path, values))
    assert file in message, message
    assert f"“{key}”" in message, message
    assert problem in message, message


def test_loader_rejects_a_parameter_set_twice_in_one_pack(tmp_path: Path) -> None:
    pack = _pack(tmp_path, GOOD_VALUE)
    (pack / "extra.yaml").write_text(GOOD_VALUE, encoding="utf-8")
    message = _load_error(pack)
    assert "extra.yaml" in message
    assert "“dibao.standard.urban”" in message
    assert "重复定义" in message


@pytest.mark.parametrize(
    ("meta", "folder", "key", "problem"),
    [
        pytest.param(GOOD_META + "owner: 某人\n", "140700", "owner", "未知的键", id="pack.yaml未知键"),
        pytest.param(GOOD_META, "140702", "region", "与文件夹名", id="区划与文件夹不符"),
        pytest.param(GOOD_META.replace("正式", "草稿"), "140700", "status", "征求意见稿", id="未知状态"),
        pytest.param(
            GOOD_META.replace("正式", "征求意见稿"), "140700", "effective", "自何日起", id="征求意见稿无生效日"
        ),
        pytest.param(GOOD_META + 'effective: "2025-02-30"\n', "140700", "effective", "应为日期", id="pack生效日无效"),
    ],
)
def test_loader_rejects_bad_pack_yaml(tmp_path: Path, meta: str, folder: str, key: str, problem: str) -> None:
    message = _load_error(_pack(tmp_path, GOOD_VALUE, meta=meta, folder=folder))
    assert "pack.yaml" in message, message
    assert f"“{key}”" in message, message
    assert problem in message, message


@pytest.mark.parametrize(
    ("values", "meta"),
    [
        pytest.param(GOOD_VALUE.replace("effective: 2024-01-01", "effective: 2024-13-01"), GOOD_META, id="值的日期"),
        pytest.param(GOOD_VALUE, GOOD_META + "effective: 2025-02-30\n", id="pack.yaml的日期"),
    ],
)
def test_loader_rejects_an_unquoted_impossible_date(tmp_path: Path, values: str, meta: str) -> None:
    message = _load_error(_pack(tmp_path, values, meta=meta))
    assert "effective" in message
    assert "应为日期" in message or "不是有效的 YAML" in message


def test_loader_rejects_bad_yaml_naming_the_file(tmp_path: Path) -> None:
    message = _load_error(_pack(tmp_path, "dibao.standard.urban: [unclosed\n"))
    assert "dibao.yaml" in message
    assert "不是有效的 YAML" in message


def test_library_needs_the_national_pack(tmp_path: Path) -> None:
    _pack(tmp_path, GOOD_VALUE)
    with pytest.raises(PackError, match="000000"):
        load_library(tmp_path)


# ----------------------------------------------------------------------------- region fallback


def test_every_seed_pack_loads(library: Library) -> None:
    for code in SEED_PACKS:
        assert code in library.packs, f"缺少参数包 {code}"
        assert library.packs[code].parameters, f"参数包 {code} 没有参数"


@pytest.mark.parametrize(("district", "chain"), CHAINS.items())
def test_region_fallback(library: Library, district: str, chain: list[str]) -> None:
    assert [pack.region for pack in library.chain(district)] == chain
    # a 12-digit 统计用区划代码 of a village in the district resolves the same way
    as_of = dt.date(2025, 6, 30)
    assert resolve(library, district + "001200", as_of).values == resolve(library, district, as_of).values


@pytest.mark.parametrize(
    ("district", "name", "region"),
    [
        ("140702", "dibao.standard.urban", "140700"),
        ("140702", "child_allowance.orphan_standard", "140000"),
        ("140702", "dibao.phase_out.registered_poor.months", "140700"),
        ("140702", "dibao.phase_out.months", "000000"),
        ("140702", "dibao.assets.max_houses", "000000"),
        ("321202", "dibao.standard.rural", "321200"),
        ("610203", "marginal.line.urban", "610203"),
        ("610203", "dibao.standard.urban", "610200"),
        ("610203", "disability_subsidies.care.amount", "610000"),
        ("340121", "dibao.standard.urban", "340121"),
        ("340121", "tekun.care_standard.institutional.none", "340100"),
        ("340121", "income.disposable_per_capita.urban", "340000"),
        ("340102", "child_allowance.orphan_standard", "340100"),
        ("341802", "dibao.standard.rural", "341800"),
    ],
)
def test_each_value_comes_from_the_most_specific_pack(library: Library, district: str, name: str, region: str) -> None:
    parameter = resolve(library, district, dt.date(2025, 6, 30)).get(name)
    assert parameter is not None, f"{district} 没有 {name}"
    assert parameter.region == region


def test_hefei_urban_districts_have_no_county_standard(library: Library) -> None:
    """合肥's 城区 and 县域 standards differ: the city pack sets neither, so 瑶海区 gets none from 长丰's."""
    parameters = resolve(library, "340102", dt.date(2025, 6, 30))
    assert parameters.get("dibao.standard.urban") is None
    assert parameters.get("tekun.basic_standard.urban") is None


# ----------------------------------------------------------------------------- the seed packs over 2024–2026


@pytest.mark.parametrize("district", SEEDS)
@pytest.mark.parametrize("as_of", CHECK_DATES, ids=str)
def test_seed_standards_resolve(library: Library, district: str, as_of: dt.date) -> None:
    parameters = resolve(library, district, as_of)
    for name in ("dibao.standard.urban", "dibao.standard.rural"):
        parameter = parameters.get(name)
        assert parameter is not None, f"{district} 在 {as_of} 没有 {name}"
        assert parameter.region != "000000"
        assert isinstance(parameter.value, Decimal)
        assert parameter.value > 0
        assert parameter.effective is not None
        assert parameter.effective <= as_of
        assert parameter.source


@pytest.mark.parametrize("district", SEEDS)
@pytest.mark.parametrize("as_of", CHECK_DATES, ids=str)
def test_seed_packs_run_their_programmes(library: Library, district: str, as_of: dt.date) -> None:
    expected = [p for p in SEEDS[district] if p != "rigid_expense" or as_of >= RIGID_FROM]
    assert known_programmes(resolve(library, district, as_of)) == expected


def _boundaries(library: Library, district: str) -> list[dt.date]:
    """Every date in the period on which a value of the district's packs starts, ends or has just ended."""
    dates = {START, END}
    for pack in library.chain(district):
        if pack.effective is not None:
            dates |= {pack.effective - dt.timedelta(days=1), pack.effective}
        for values in pack.parameters.values():
            for value in values:
                dates |= {value.effective - dt.timedelta(days=1), value.effective}
                if value.end is not None:
                    dates |= {value.end, value.end + dt.timedelta(days=1)}
    return sorted(d for d in dates if START <= d <= END)


@pytest.mark.parametrize("district", SEEDS)
@pytest.mark.parametrize("area", ["urban", "rural"])
def test_seed_packs_pay_dibao_throughout(library: Library, district: str, area: str) -> None:
    """A household without income gets the full standard on every boundary date of 2024-01-01 … 2026-11-23."""
    for as_of in _boundaries(library, district):
        case = case_from_dict(
            {
                "region": district,
                "as_of": as_of.isoformat(),
                "area": area,
                "programmes": ["dibao"],
                "household": {
                    "members": [
                        {
                            "id": "m1",
                            "birth_date": "1980-01-01",
                            "relation": "head",
                            "labour_capacity": "full",
                            "disability": None,
                            "serious_illness": False,
                            "incomes": [],
                        }
                    ],
                    "assets": {"deposits": "0", "vehicles": [], "houses": 1},
                },
            }
        )
        result = evaluate_case(case, library=library, trace=False).output["results"]["dibao"]
        assert result["eligible"] is True, f"{district} {area} {as_of}：{result}"
        standard = resolve(library, district, as_of).get(f"dibao.standard.{area}")
        assert standard is not None
        assert isinstance(standard.value, Decimal)
        monthly = standard.value / 12 if standard.unit == "元/人·年" else standard.value
        assert Decimal(result["amount_month"]) == monthly.quantize(Decimal("0.01")), f"{district} {area} {as_of}"


# ----------------------------------------------------------------------------- flags: drafts and example values


def test_yintai_pack_is_a_draft_loaded_from_its_date(library: Library) -> None:
    pack = library.packs["610203"]
    assert pack.status == "征求意见稿"
    assert pack.is_draft
    assert pack.effective == dt.date(2025, 4, 10)
    before, after = dt.date(2025, 4, 9), dt.date(2025, 4, 10)
    assert resolve(library, "610203", before).get("marginal.line.urban") is None
    line = resolve(library, "610203", after).get("marginal.line.urban")
    assert line is not None
    assert line.draft
    assert line.region == "610203"
    assert line.value == Decimal(998)
    assert line.unit == "元/人·月"
    rural = resolve(library, "610203", after).get("marginal.line.rural")
    assert rural is not None
    assert rural.value == Decimal(8978)
    assert rural.unit == "元/人·年"
    assert not pack_status_flags(library, "610203", before)
    assert any("征求意见稿" in note for note in pack_status_flags(library, "610203", after))
    # the 铜川 city pack behind it is not a draft
    standard = resolve(library, "610203", after).get("dibao.standard.urban")
    assert standard is not None
    assert not standard.draft
    for code in SEED_PACKS:
        if code != "610203":
            assert not library.packs[code].is_draft, code


def test_example_values_are_flagged(library: Library) -> None:
    as_of = dt.date(2025, 6, 30)
    example = resolve(library, "140702", as_of).get("dibao.standard.urban")
    assert example is not None
    assert example.example
    published = resolve(library, "321202", as_of).get("dibao.standard.urban")
    assert published is not None
    assert not published.example
    seed_rule = resolve(library, "140702", as_of).get("free_electricity.kwh_month")
    assert seed_rule is not None
    assert not seed_rule.example
    township = resolve(library, "340121", as_of).get("temporary_assistance.township_limit")
    assert township is not None
    assert township.example, "“2024元以下”须标为待核实"
    case = case_from_dict(
        {
            "region": "140702",
            "as_of": as_of.isoformat(),
            "area": "urban",
            "programmes": ["dibao"],
            "household": {
                "members": [
                    {
                        "id": "m1",
                        "relation": "head",
                        "birth_date": "1980-01-01",
                        "disability": None,
                        "serious_illness": False,
                        "incomes": [],
                    }
                ],
                "assets": {"deposits": "0", "vehicles": [], "houses": 1},
            },
        }
    )
    output = evaluate_case(case, library=library).output
    flagged = {p["name"] for row in output["trace"] for p in row["parameters"] if p["example"]}
    assert "dibao.standard.urban" in flagged
    assert any("dibao.standard.urban" in note and "示例值" in note for note in output.get("notes", []))


def test_seed_pack_sources_are_consistent(library: Library) -> None:
    """Every value cites a source; an example value says so at the start of its source, never elsewhere."""
    for code in SEED_PACKS:
        for name, values in library.packs[code].parameters.items():
            for value in values:
                assert value.source, f"{code} {name}"
                if EXAMPLE_MARK in value.source:
                    assert value.source.startswith(f"{EXAMPLE_MARK}，待核实："), f"{code} {name}：{value.source}"
                    assert len(value.source) > len(f"{EXAMPLE_MARK}，待核实：") + 8, f"{code} {name} 未说明代表什么"
