"""The case file (../shared/case-format.md): JSON → frozen dataclasses, strictly validated.

Every error names the key at fault and the problem in Chinese. Money is read as ``Decimal``
exactly (``parse_float=Decimal``). "Absent" and "null" differ where the contract says so:
an absent ``disability`` is unknown, ``null`` means no disability.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from jiuzhu.rules.errors import CaseError
from jiuzhu.rules.params import normalise_region

PROGRAMMES = (
    "dibao",
    "tekun",
    "marginal",
    "rigid_expense",
    "temporary_assistance",
    "disability_subsidies",
    "elderly_allowance",
    "child_allowance",
    "free_electricity",
)
SEX = ("male", "female")
RELATIONS = (
    "head",
    "spouse",
    "son",
    "daughter",
    "parent",
    "grandparent",
    "grandchild",
    "sibling",
    "son_in_law",
    "daughter_in_law",
    "other",
)
AREAS = ("urban", "rural")
CAPACITY = ("full", "partial", "none")
CARE_SETTINGS = ("institutional", "home_based")
DISABILITY_TYPES = ("visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple")
STUDENT = ("primary", "junior_secondary", "senior_secondary", "vocational", "college", "postgraduate")
COUNTED_INCOME = ("wage", "business", "property", "pension", "support_payment", "transfer_other")
EXCLUDABLE_INCOME = (
    "special_care",
    "family_planning_award",
    "reward",
    "assistance_in_kind",
    "basic_pension",
    "disability_subsidy",
    "elderly_allowance",
    "only_child_fee",
)
INCOME_TYPES = COUNTED_INCOME + EXCLUDABLE_INCOME
EXPENSE_TYPES = ("medical_out_of_pocket", "education", "disability_rehabilitation", "basic_living", "other")
INCOME_PERIODS = ("month", "year")
EXPENSE_PERIODS = ("month", "year", "once")
EMERGENCY_KINDS = ("emergency", "expense")
OBLIGOR_STATUS = ("tekun", "dibao", "low_income", "registered_poor", "none")
VEHICLE_TYPES = ("car", "motorcycle", "disability_vehicle", "electric_bike", "farm_vehicle", "other")
VEHICLE_PURPOSES = ("private", "livelihood")
PHASE_OUT_REASONS = ("employment", "voluntary")
# Amounts (and numeric overlay values) must stay below this: two decimals then fit Decimal's 28 digits.
MONEY_LIMIT = Decimal(10) ** 15
# A number written as a string: JSON's own grammar in ASCII digits (not Decimal's "1_000", "NaN" or "１２").
NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)

LABELS = {
    "wage": "工资性收入",
    "business": "家庭经营净收入",
    "property": "财产净收入",
    "pension": "养老金/退休金",
    "support_payment": "赡养抚养扶养费",
    "transfer_other": "其他转移净收入",
    "special_care": "优抚对象抚恤金、补助金",
    "family_planning_award": "计划生育奖励与扶助金",
    "reward": "见义勇为等奖励性收入",
    "assistance_in_kind": "政府发放的各类救助款物",
    "basic_pension": "城乡居民基本养老保险基础养老金",
    "disability_subsidy": "残疾人两项补贴",
    "elderly_allowance": "高龄津贴",
    "only_child_fee": "独生子女费",
    "medical_out_of_pocket": "医疗自付费用",
    "education": "教育支出",
    "disability_rehabilitation": "残疾康复支出",
    "basic_living": "基本生活支出",
    "other": "其他刚性支出",
    "month": "月",
    "year": "年",
    "once": "一次性",
}


@dataclass(frozen=True)
class Money:
    """An amount with its period, as declared."""

    type: str
    amount: Decimal
    period: str

    @property
    def label(self) -> str:
        return LABELS[self.type]


@dataclass(frozen=True)
class Disability:
    type: str
    grade: int

    @property
    def label(self) -> str:
        names = dict(zip(DISABILITY_TYPES, ("视力", "听力", "言语", "肢体", "智力", "精神", "多重"), strict=True))
        return f"{names[self.type]}残疾{self.grade}级"


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    id_number: str | None
    birth_date: dt.date | None
    birth_date_origin: str  # "birth_date" | "id_number" | ""
    sex: str | None
    relation: str | None
    hukou: str | None
    in_household: bool
    labour_capacity: str | None
    self_care: str | None
    care_setting: str
    disability_known: bool
    disability: Disability | None
    serious_illness: bool | None
    student_known: bool
    student: str | None
    incomes: tuple[Money, ...] | None  # None: the key was absent

    @property
    def display(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class Vehicle:
    type: str
    value: Decimal | None
    purpose: str


@dataclass(frozen=True)
class Assets:
    deposits: Decimal | None
    vehicles: tuple[Vehicle, ...] | None
    houses: int | None


@dataclass(frozen=True)
class Obligor:
    name: str
    relation: str
    annual_income: Decimal | None
    household_size: int | None
    age: int | None
    status: str | None
    severe_disability: bool | None
    incapacitated: bool | None


@dataclass(frozen=True)
class Emergency:
    """临时救助: what happened (an optional jiuzhu extension, docs/case-format.md)."""

    kind: str
    loss: Decimal | None
    expenses: Decimal | None
    date: dt.date | None


@dataclass(frozen=True)
class DibaoEnrollment:
    """The household is (or, during 渐退, was until lately) enrolled in 低保: an optional jiuzhu extension
    (docs/case-format.md, ``household.dibao_enrollment``). ``None`` fields are unknown."""

    since: dt.date
    amount_month: Decimal | None  # the monthly 低保金 paid before the 渐退 or exit
    registered_poor: bool | None  # 建档立卡贫困户 / 脱贫户 (脱贫人口)
    phase_out_reason: str | None  # employment | voluntary; None: no 渐退 or exit under way
    phase_out_start: dt.date | None


def enrollment_inputs(enrollment: DibaoEnrollment | None) -> dict[str, Any]:
    """``household.dibao_enrollment`` as the rules read it: household inputs named like the batch columns
    (``rules.batch.HOUSEHOLDS_SCHEMA``); all ``None`` when the case has no enrollment."""
    return {
        "dibao_since": enrollment.since if enrollment else None,
        "dibao_amount_month": enrollment.amount_month if enrollment else None,
        "dibao_registered_poor": enrollment.registered_poor if enrollment else None,
        "dibao_phase_out_reason": enrollment.phase_out_reason if enrollment else None,
        "dibao_phase_out_start": enrollment.phase_out_start if enrollment else None,
    }


@dataclass(frozen=True)
class Household:
    members: tuple[Member, ...]
    incomes: tuple[Money, ...] | None
    expenses: tuple[Money, ...] | None
    assets: Assets | None
    obligors: tuple[Obligor, ...] | None
    emergency: Emergency | None
    dibao_enrollment: DibaoEnrollment | None = None


@dataclass(frozen=True)
class Case:
    region: str
    as_of: dt.date
    area: str | None
    programmes: tuple[str, ...] | None
    parameters: Mapping[str, tuple[Decimal | str | tuple[str, ...] | bool, str]]
    household: Household


# ----------------------------------------------------------------------------- parsing helpers


def _require_map(raw: object, key: str) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        raise CaseError(key, f"{'' if key else '案件'}应为对象（{{…}}），实为{_kind(raw)}")
    return raw


def _kind(raw: object) -> str:
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return "布尔值"
    if isinstance(raw, (int, float, Decimal)):
        return "数字"
    if isinstance(raw, str):
        return "字符串"
    if isinstance(raw, list):
        return "列表"
    return "对象"


def _only(raw: Mapping[str, Any], key: str, allowed: Sequence[str]) -> None:
    for name in raw:
        if name not in allowed:
            raise CaseError(f"{key}.{name}" if key else name, "未知的字段")


def _string(raw: object, key: str) -> str:
    if not isinstance(raw, str):
        raise CaseError(key, f"应为字符串，实为{_kind(raw)}")
    return raw


def _enum(raw: object, key: str, choices: Sequence[str]) -> str:
    value = _string(raw, key)
    if value not in choices:
        raise CaseError(key, f"未知的取值“{value}”（可选：{'、'.join(choices)}）")
    return value


def _bool(raw: object, key: str) -> bool:
    if not isinstance(raw, bool):
        raise CaseError(key, f"应为 true 或 false，实为{_kind(raw)}")
    return raw


def _date(raw: object, key: str) -> dt.date:
    value = _string(raw, key)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CaseError(key, f"应为日期 YYYY-MM-DD，实为“{value}”") from None


def _money(raw: object, key: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal)):
        raise CaseError(key, f"金额应为字符串或数字，实为{_kind(raw)}")
    if isinstance(raw, str) and not NUMBER_TEXT.fullmatch(raw.strip()):
        raise CaseError(key, f"不是有效的金额：“{raw}”")
    value = Decimal(raw.strip()) if isinstance(raw, str) else Decimal(raw)
    if value < 0:
        raise CaseError(key, f"金额不能为负数：{raw}")
    if value >= MONEY_LIMIT:
        raise CaseError(key, f"金额过大：{raw}（应小于 10^15 元）")
    return value


def _integer(raw: object, key: str, low: int, high: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, (int, Decimal)):
        raise CaseError(key, f"应为整数，实为{_kind(raw)}")
    if isinstance(raw, Decimal) and (not raw.is_finite() or raw != raw.to_integral_value()):
        raise CaseError(key, f"应为整数，实为 {raw}")
    if not low <= raw <= high:  # compared before int(): 1E+999999999 must not be expanded
        raise CaseError(key, f"应在 {low}–{high} 之间，实为 {raw}")
    return int(raw)


def _list(raw: object, key: str) -> list[Any]:
    if not isinstance(raw, list):
        raise CaseError(key, f"应为列表，实为{_kind(raw)}")
    return raw


def _money_items(raw: object, key: str, types: Sequence[str], periods: Sequence[str]) -> tuple[Money, ...]:
    items = []
    for index, item in enumerate(_list(raw, key)):
        item_key = f"{key}[{index}]"
        mapping = _require_map(item, item_key)
        _only(mapping, item_key, ("type", "amount", "period", "note"))
        for required in ("type", "amount", "period"):
            if required not in mapping:
                raise CaseError(f"{item_key}.{required}", "缺少必填字段")
        items.append(
            Money(
                type=_enum(mapping["type"], f"{item_key}.type", types),
                amount=_money(mapping["amount"], f"{item_key}.amount"),
                period=_enum(mapping["period"], f"{item_key}.period", periods),
            )
        )
    return tuple(items)


def _birth_from_id(id_number: str | None) -> dt.date | None:
    if id_number is None or len(id_number) != 18 or not id_number[:17].isdigit():
        return None
    try:
        return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


MEMBER_KEYS = (
    "id",
    "name",
    "id_number",
    "birth_date",
    "sex",
    "relation",
    "hukou",
    "in_household",
    "labour_capacity",
    "self_care",
    "care_setting",
    "disability",
    "serious_illness",
    "student",
    "incomes",
)


def _member(raw: object, key: str, index: int) -> Member:
    data = _require_map(raw, key)
    _only(data, key, MEMBER_KEYS)
    id_number = _string(data["id_number"], f"{key}.id_number").strip().upper() if "id_number" in data else None
    birth_date, origin = None, ""
    if "birth_date" in data:
        birth_date, origin = _date(data["birth_date"], f"{key}.birth_date"), "birth_date"
    elif (from_id := _birth_from_id(id_number)) is not None:
        birth_date, origin = from_id, "id_number"
    disability = None
    if "disability" in data and data["disability"] is not None:
        d = _require_map(data["disability"], f"{key}.disability")
        _only(d, f"{key}.disability", ("type", "grade"))
        if "type" not in d or "grade" not in d:
            raise CaseError(f"{key}.disability", "应同时给出 type 和 grade")
        disability = Disability(
            type=_enum(d["type"], f"{key}.disability.type", DISABILITY_TYPES),
            grade=_integer(d["grade"], f"{key}.disability.grade", 1, 4),
        )
    student = None
    if "student" in data and data["student"] is not None:
        student = _enum(data["student"], f"{key}.student", STUDENT)
    return Member(
        id=_string(data["id"], f"{key}.id") if "id" in data else f"m{index + 1}",
        name=_string(data["name"], f"{key}.name") if "name" in data else "",
        id_number=id_number,
        birth_date=birth_date,
        birth_date_origin=origin,
        sex=_enum(data["sex"], f"{key}.sex", SEX) if "sex" in data else None,
        relation=_enum(data["relation"], f"{key}.relation", RELATIONS) if "relation" in data else None,
        hukou=_enum(data["hukou"], f"{key}.hukou", AREAS) if "hukou" in data else None,
        in_household=_bool(data["in_household"], f"{key}.in_household") if "in_household" in data else True,
        labour_capacity=_enum(data["labour_capacity"], f"{key}.labour_capacity", CAPACITY)
        if "labour_capacity" in data
        else None,
        self_care=_enum(data["self_care"], f"{key}.self_care", CAPACITY) if "self_care" in data else None,
        care_setting=_enum(data["care_setting"], f"{key}.care_setting", CARE_SETTINGS)
        if "care_setting" in data
        else "home_based",
        disability_known="disability" in data,
        disability=disability,
        serious_illness=_bool(data["serious_illness"], f"{key}.serious_illness") if "serious_illness" in data else None,
        student_known="student" in data,
        student=student,
        incomes=_money_items(data["incomes"], f"{key}.incomes", INCOME_TYPES, INCOME_PERIODS)
        if "incomes" in data
        else None,
    )


def _assets(raw: object, key: str) -> Assets:
    data = _require_map(raw, key)
    _only(data, key, ("deposits", "vehicles", "houses"))
    vehicles = None
    if "vehicles" in data:
        vehicles_list = []
        for index, item in enumerate(_list(data["vehicles"], f"{key}.vehicles")):
            item_key = f"{key}.vehicles[{index}]"
            v = _require_map(item, item_key)
            _only(v, item_key, ("type", "value", "purpose"))
            vehicles_list.append(
                Vehicle(
                    type=_enum(v.get("type", "car"), f"{item_key}.type", VEHICLE_TYPES),
                    value=_money(v["value"], f"{item_key}.value") if "value" in v else None,
                    purpose=_enum(v.get("purpose", "private"), f"{item_key}.purpose", VEHICLE_PURPOSES),
                )
            )
        vehicles = tuple(vehicles_list)
    return Assets(
        deposits=_money(data["deposits"], f"{key}.deposits") if "deposits" in data else None,
        vehicles=vehicles,
        houses=_integer(data["houses"], f"{key}.houses", 0, 100) if "houses" in data else None,
    )


def _obligors(raw: object, key: str) -> tuple[Obligor, ...]:
    obligors = []
    for index, item in enumerate(_list(raw, key)):
        item_key = f"{key}[{index}]"
        data = _require_map(item, item_key)
        _only(
            data,
            item_key,
            (
                "name",
                "relation",
                "annual_income",
                "household_size",
                "age",
                "status",
                "severe_disability",
                "incapacitated",
            ),
        )
        obligors.append(
            Obligor(
                name=_string(data.get("name", ""), f"{item_key}.name"),
                relation=_enum(data["relation"], f"{item_key}.relation", RELATIONS) if "relation" in data else "other",
                annual_income=_money(data["annual_income"], f"{item_key}.annual_income")
                if "annual_income" in data
                else None,
                household_size=_integer(data["household_size"], f"{item_key}.household_size", 1, 50)
                if "household_size" in data
                else None,
                age=_integer(data["age"], f"{item_key}.age", 0, 130) if "age" in data else None,
                status=_enum(data["status"], f"{item_key}.status", OBLIGOR_STATUS) if "status" in data else None,
                severe_disability=_bool(data["severe_disability"], f"{item_key}.severe_disability")
                if "severe_disability" in data
                else None,
                incapacitated=_bool(data["incapacitated"], f"{item_key}.incapacitated")
                if "incapacitated" in data
                else None,
            )
        )
    return tuple(obligors)


def _emergency(raw: object, key: str) -> Emergency:
    data = _require_map(raw, key)
    _only(data, key, ("kind", "loss", "expenses", "date"))
    if "kind" not in data:
        raise CaseError(f"{key}.kind", "缺少必填字段（emergency 急难型 或 expense 支出型）")
    return Emergency(
        kind=_enum(data["kind"], f"{key}.kind", EMERGENCY_KINDS),
        loss=_money(data["loss"], f"{key}.loss") if "loss" in data else None,
        expenses=_money(data["expenses"], f"{key}.expenses") if "expenses" in data else None,
        date=_date(data["date"], f"{key}.date") if "date" in data else None,
    )


def _dibao_enrollment(raw: object, key: str, as_of: dt.date) -> DibaoEnrollment:
    data = _require_map(raw, key)
    _only(data, key, ("since", "amount_month", "registered_poor", "phase_out"))
    if "since" not in data:
        raise CaseError(f"{key}.since", "缺少必填字段（纳入低保的日期）")
    since = _date(data["since"], f"{key}.since")
    if since > as_of:
        raise CaseError(f"{key}.since", f"纳入低保日期 {since} 晚于计算日期 {as_of}")
    reason, start = None, None
    if "phase_out" in data:
        phase_key = f"{key}.phase_out"
        phase = _require_map(data["phase_out"], phase_key)
        _only(phase, phase_key, ("reason", "start"))
        for required in ("reason", "start"):
            if required not in phase:
                raise CaseError(f"{phase_key}.{required}", "缺少必填字段")
        reason = _enum(phase["reason"], f"{phase_key}.reason", PHASE_OUT_REASONS)
        start = _date(phase["start"], f"{phase_key}.start")
        if start < since:
            raise CaseError(f"{phase_key}.start", f"渐退（退出）开始日期 {start} 早于纳入低保日期 {since}")
        if start > as_of:
            raise CaseError(f"{phase_key}.start", f"渐退（退出）开始日期 {start} 晚于计算日期 {as_of}")
    return DibaoEnrollment(
        since=since,
        amount_month=_money(data["amount_month"], f"{key}.amount_month") if "amount_month" in data else None,
        registered_poor=_bool(data["registered_poor"], f"{key}.registered_poor") if "registered_poor" in data else None,
        phase_out_reason=reason,
        phase_out_start=start,
    )


def _household(raw: object, as_of: dt.date) -> Household:
    data = _require_map(raw, "household")
    _only(
        data,
        "household",
        ("members", "incomes", "expenses", "assets", "obligors", "emergency", "dibao_enrollment"),
    )
    if "members" not in data:
        raise CaseError("household.members", "缺少必填字段")
    raw_members = _list(data["members"], "household.members")
    if not raw_members:
        raise CaseError("household.members", "至少应有一名成员")
    members = tuple(_member(m, f"household.members[{i}]", i) for i, m in enumerate(raw_members))
    ids = [m.id for m in members]
    for index, member_id in enumerate(ids):
        if ids.index(member_id) != index:
            raise CaseError(f"household.members[{index}].id", f"成员编号“{member_id}”重复")
    return Household(
        members=members,
        incomes=_money_items(data["incomes"], "household.incomes", INCOME_TYPES, INCOME_PERIODS)
        if "incomes" in data
        else None,
        expenses=_money_items(data["expenses"], "household.expenses", EXPENSE_TYPES, EXPENSE_PERIODS)
        if "expenses" in data
        else None,
        assets=_assets(data["assets"], "household.assets") if "assets" in data else None,
        obligors=_obligors(data["obligors"], "household.obligors") if "obligors" in data else None,
        emergency=_emergency(data["emergency"], "household.emergency") if "emergency" in data else None,
        dibao_enrollment=_dibao_enrollment(data["dibao_enrollment"], "household.dibao_enrollment", as_of)
        if "dibao_enrollment" in data
        else None,
    )


def _overlay_value(raw: object, key: str) -> Decimal | str | tuple[str, ...] | bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, list):
        return tuple(sorted(_string(item, key) for item in raw))
    if isinstance(raw, (int, Decimal)):
        return _money(raw, key)
    text = _string(raw, key)
    if not NUMBER_TEXT.fullmatch(text.strip()):
        return text  # a rule value such as "fen_half_up"; checked against the catalog later
    number = Decimal(text.strip())
    if number < 0:
        raise CaseError(key, f"参数值不能为负数：{text}")
    if number >= MONEY_LIMIT:
        raise CaseError(key, f"参数值过大：{text}（应小于 10^15）")
    return number


def case_from_dict(raw: object, *, as_of: dt.date | None = None, programmes: Sequence[str] | None = None) -> Case:
    """Validate a parsed case; ``as_of`` and ``programmes`` override the file's (``--as-of``, ``--programme``)."""
    data = _require_map(raw, "")
    _only(data, "", ("region", "as_of", "area", "programmes", "parameters", "household"))
    if "region" not in data:
        raise CaseError("region", "缺少必填字段")
    region = _string(data["region"], "region")
    try:
        normalise_region(region)
    except ValueError as error:
        raise CaseError("region", f"无效的区划代码“{region}”：{error}") from None
    if as_of is None:
        if "as_of" not in data:
            raise CaseError("as_of", "缺少必填字段（或在命令行用 --as-of 指定）")
        as_of = _date(data["as_of"], "as_of")
    elif "as_of" in data:
        _date(data["as_of"], "as_of")
    chosen: tuple[str, ...] | None = None
    if programmes:
        chosen = tuple(_enum(p, "--programme", PROGRAMMES) for p in programmes)
    elif "programmes" in data:
        chosen = tuple(
            _enum(p, f"programmes[{i}]", PROGRAMMES) for i, p in enumerate(_list(data["programmes"], "programmes"))
        )
    overlay: dict[str, tuple[Decimal | str | tuple[str, ...] | bool, str]] = {}
    if "parameters" in data:
        for name, spec in _require_map(data["parameters"], "parameters").items():
            key = f"parameters.{name}"
            entry = _require_map(spec, key)
            _only(entry, key, ("value", "unit"))
            if "value" not in entry or "unit" not in entry:
                raise CaseError(key, "应同时给出 value 和 unit")
            overlay[name] = (_overlay_value(entry["value"], f"{key}.value"), _string(entry["unit"], f"{key}.unit"))
    if "household" not in data:
        raise CaseError("household", "缺少必填字段")
    return Case(
        region=region,
        as_of=as_of,
        area=_enum(data["area"], "area", AREAS) if "area" in data else None,
        programmes=chosen,
        parameters=overlay,
        household=_household(data["household"], as_of),
    )


def case_from_json(text: str, **overrides: Any) -> Case:
    """Parse case-file text; JSON numbers become ``Decimal`` (never float)."""
    try:
        raw = json.loads(
            text.removeprefix("\ufeff"),  # a byte-order mark, as some Windows editors write
            parse_float=Decimal,
            parse_int=Decimal,  # also no int() of a 5000-digit literal (Python limits that conversion)
            parse_constant=_no_constant,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as error:
        problem = _JSON_PROBLEMS.get(error.msg, error.msg)
        raise CaseError("", f"不是有效的 JSON：第 {error.lineno} 行第 {error.colno} 列，{problem}") from None
    except RecursionError:
        raise CaseError("", "不是有效的案件：JSON 嵌套层数过多") from None
    return case_from_dict(raw, **overrides)


# json's messages (``JSONDecodeError.msg``) in Chinese; any other is kept as json words it.
_JSON_PROBLEMS = {
    "Expecting value": "此处应为一个值",
    "Expecting property name enclosed in double quotes": "键名应使用双引号",
    "Expecting ',' delimiter": "缺少逗号",
    "Expecting ':' delimiter": "缺少冒号",
    "Extra data": "JSON 结束后还有多余内容",
    "Unterminated string starting at": "字符串没有结束引号",
    "Invalid control character at": "字符串中有未转义的控制字符",
    "Invalid \\escape": "无效的转义序列",
    "Invalid \\uXXXX escape": "无效的 \\u 转义序列",
}


def _no_constant(name: str) -> Decimal:
    """``NaN`` and ``Infinity`` are not JSON (RFC 8259), though Python's parser accepts them."""
    raise CaseError("", f"不是有效的 JSON：“{name}”不是 JSON 数值")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object naming a key twice is ambiguous: refused instead of keeping the last value."""
    data: dict[str, Any] = {}
    for name, value in pairs:
        if name in data:
            raise CaseError(name, "在同一个 JSON 对象中出现了两次")
        data[name] = value
    return data
