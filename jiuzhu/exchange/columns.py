"""The columns of the household file: one definition for the template, the import and the export.

One row per person; the household columns are repeated on each member row (they may be left
blank on all but one row of a household). Headers and values are read in Chinese or as the
English identifiers of the glossary.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from django.db import models

from jiuzhu.registry.choices import (
    STATUS_CATEGORIES,
    Capacity,
    CareSetting,
    Category,
    DisabilityType,
    HealthStatus,
    HukouType,
    IncomeType,
    Relation,
    SelfCare,
    Sex,
    SpecialStatus,
    Student,
    UrbanRural,
)


class Kind(StrEnum):
    TEXT = "text"
    PHONE = "phone"
    REGION = "region"
    ID_NUMBER = "id_number"
    ENUM = "enum"
    DATE = "date"
    MONEY = "money"
    COUNT = "count"
    BOOL = "bool"


class Level(StrEnum):
    HOUSEHOLD = "household"
    PERSON = "person"
    MEMBERSHIP = "membership"
    CHECK = "check"  # read only to check against the ID number (性别, 出生日期)
    INCOME = "income"
    HOUSEHOLD_CATEGORY = "household_category"
    PERSON_CATEGORY = "person_category"


# A cell holding one of these means "nothing" for an optional enumeration (e.g. 残疾类别 “无”).
NOTHING = "__nothing__"


@dataclass(frozen=True)
class Column:
    key: str  # English identifier (glossary)
    header: str  # Chinese header as written in the template
    kind: Kind
    level: Level
    rule: str  # 填写要求, shown in the template's 填写说明
    example: str = ""
    required: bool = False
    max_length: int = 0
    choices: tuple[tuple[str, str], ...] = ()  # (stored value, Chinese label), label written on export
    aliases: Mapping[str, str] = field(default_factory=dict)  # other accepted texts → stored value
    header_aliases: tuple[str, ...] = ()
    empty_means: str | None = None  # stored value for an empty cell (fields that cannot be unknown)

    @property
    def labels(self) -> list[str]:
        return [label for _, label in self.choices]

    def value_map(self) -> dict[str, str]:
        """Normalised accepted text → stored value: labels, identifiers and aliases."""
        mapping: dict[str, str] = {}
        for value, label in self.choices:
            mapping[normalize_value(label)] = value
            mapping[normalize_value(value)] = value
        for text, value in self.aliases.items():
            mapping[normalize_value(text)] = value
        return mapping

    def label_of(self, value: str | None) -> str | None:
        if value is None:
            return None
        return dict(self.choices).get(value, value)


def normalize_value(text: str) -> str:
    """Full-width forms folded (NFKC), spaces removed, Latin letters lower-cased."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def normalize_header(text: str) -> str:
    return normalize_value(text)


def _choices(enum: type[models.TextChoices], only: tuple[str, ...] | None = None) -> tuple[tuple[str, str], ...]:
    members = [(str(m.value), str(m.label)) for m in enum]
    return tuple((v, lbl) for v, lbl in members if only is None or v in only)


GRADES = (("1", "一级"), ("2", "二级"), ("3", "三级"), ("4", "四级"))
YES_NO = (("true", "是"), ("false", "否"))

INCOME_COLUMNS: tuple[tuple[IncomeType, str], ...] = (
    (IncomeType.WAGE, "工资、薪金、劳动报酬等，扣除必要就业成本前"),
    (IncomeType.BUSINESS, "种养殖、个体经营等扣除成本后的净收入"),
    (IncomeType.PROPERTY, "利息、股息、租金、集体分红等"),
    (IncomeType.PENSION, "基本养老金、退休金（城乡居民基础养老金不计入，勿填在此列）"),
    (IncomeType.SUPPORT_PAYMENT, "实际收到的赡养费、抚养费、扶养费"),
    (IncomeType.TRANSFER_OTHER, "失业保险金、经常性赠与等其他转移净收入"),
)

MONEY_RULE = "元，最多两位小数，不能为负数；不填表示情况不明（不是0），没有此项收入请填0"

COLUMNS: tuple[Column, ...] = (
    Column(
        "household_number",
        "户编号",
        Kind.TEXT,
        Level.HOUSEHOLD,
        required=True,
        max_length=32,
        rule="每户唯一，同户各成员行填写相同的户编号。已在系统中的家庭填写系统中的户编号（可从导出文件复制）；"
        "新家庭可按“村(社区)代码+5位序号”编写",
        example="14070200100200001",
        header_aliases=("家庭编号", "户号"),
    ),
    Column(
        "region_code",
        "所属村(社区)代码",
        Kind.REGION,
        Level.HOUSEHOLD,
        required=True,
        rule="12位统计用区划代码，须为您管辖范围内的村(社区)，见「村(社区)代码」工作表",
        example="140702001002",
        header_aliases=("村(社区)代码", "区划代码", "村代码"),
    ),
    Column(
        "urban_rural",
        "城乡类别",
        Kind.ENUM,
        Level.HOUSEHOLD,
        required=True,
        choices=_choices(UrbanRural),
        aliases={"城镇": "urban"},
        rule="城市或农村（按保障标准区分）",
        example="农村",
    ),
    Column(
        "address",
        "家庭住址",
        Kind.TEXT,
        Level.HOUSEHOLD,
        max_length=200,
        rule="不超过200字",
        example="榆次区北关街道羊毫街12号",
    ),
    Column(
        "phone",
        "联系电话",
        Kind.PHONE,
        Level.HOUSEHOLD,
        max_length=20,
        rule="手机或座机号码，不超过20位",
        example="13800000000",
    ),
    Column(
        "financial_assets",
        "金融资产(元)",
        Kind.MONEY,
        Level.HOUSEHOLD,
        rule="存款、有价证券等合计，" + MONEY_RULE,
        example="3000",
        header_aliases=("金融资产",),
    ),
    Column(
        "house_count",
        "住房(套)",
        Kind.COUNT,
        Level.HOUSEHOLD,
        rule="整数，不填表示情况不明",
        example="1",
        header_aliases=("住房",),
    ),
    Column(
        "vehicle_count",
        "机动车(辆)",
        Kind.COUNT,
        Level.HOUSEHOLD,
        rule="整数，不填表示情况不明",
        example="0",
        header_aliases=("机动车",),
    ),
    Column("name", "姓名", Kind.TEXT, Level.PERSON, required=True, max_length=50, rule="不超过50字", example="张三"),
    Column(
        "id_number",
        "身份证号",
        Kind.ID_NUMBER,
        Level.PERSON,
        required=True,
        rule="18位居民身份证号，末位可为X；请将此列设为文本格式，以免 Excel 把号码存成数字丢失后几位",
        example="140702196005011235",
        header_aliases=("身份证号码", "公民身份号码", "居民身份证号"),
    ),
    Column(
        "sex",
        "性别",
        Kind.ENUM,
        Level.CHECK,
        choices=_choices(Sex),
        rule="可不填；填写时须与身份证号第17位一致",
        example="男",
    ),
    Column(
        "birth_date",
        "出生日期",
        Kind.DATE,
        Level.CHECK,
        rule="可不填；填写时须与身份证号第7–14位一致，格式如2024-01-31",
        example="1960-05-01",
    ),
    Column(
        "relation",
        "与户主关系",
        Kind.ENUM,
        Level.MEMBERSHIP,
        required=True,
        choices=_choices(Relation),
        aliases={
            "本人": "head",
            "妻": "spouse",
            "夫": "spouse",
            "妻子": "spouse",
            "丈夫": "spouse",
            "儿子": "son",
            "长子": "son",
            "次子": "son",
            "女儿": "daughter",
            "长女": "daughter",
            "次女": "daughter",
            "父亲": "parent",
            "母亲": "parent",
            "祖父母": "grandparent",
            "外祖父母": "grandparent",
            "孙子女": "grandchild",
            "外孙子女": "grandchild",
            "孙子": "grandchild",
            "孙女": "grandchild",
            "外孙": "grandchild",
            "外孙女": "grandchild",
        },
        rule="每户有且只有一名户主",
        example="户主",
        header_aliases=("与户主关系(户主/配偶/子女等)",),
    ),
    Column(
        "in_household",
        "共同生活家庭成员",
        Kind.ENUM,
        Level.MEMBERSHIP,
        choices=YES_NO,
        aliases={"y": "true", "n": "false", "1": "true", "0": "false", "yes": "true", "no": "false"},
        empty_means="true",
        rule="是或否；否表示登记在户但收入不计入（如离家三年以上的宗教教职人员）；不填视为“是”",
        example="是",
    ),
    Column(
        "hukou_type",
        "户籍性质",
        Kind.ENUM,
        Level.PERSON,
        choices=_choices(HukouType),
        aliases={"非农业": "urban", "农业": "rural", "城市": "urban"},
        rule="城镇或农村",
        example="农村",
    ),
    Column(
        "disability_type",
        "残疾类别",
        Kind.ENUM,
        Level.PERSON,
        choices=_choices(DisabilityType),
        aliases={**{f"{label}残疾": value for value, label in _choices(DisabilityType)}, "无": NOTHING},
        rule="无残疾的不填；与残疾等级同时填写",
        example="肢体",
    ),
    Column(
        "disability_grade",
        "残疾等级",
        Kind.ENUM,
        Level.PERSON,
        choices=GRADES,
        aliases={"1级": "1", "2级": "2", "3级": "3", "4级": "4", "无": NOTHING},
        rule="一级至四级，与残疾类别同时填写",
        example="二级",
    ),
    Column(
        "self_care",
        "生活自理能力",
        Kind.ENUM,
        Level.PERSON,
        choices=_choices(SelfCare),
        aliases={
            "自理": "full",
            "半护理": "partial",
            "部分丧失": "partial",
            "部分自理": "partial",
            "全护理": "none",
            "完全丧失": "none",
            "不能自理": "none",
            "完全不能自理": "none",
        },
        rule="全自理、半护理或全护理",
        example="全自理",
    ),
    Column(
        "labour_capacity",
        "劳动能力",
        Kind.ENUM,
        Level.PERSON,
        choices=_choices(Capacity),
        aliases={
            "有": "full",
            "完全": "full",
            "部分丧失": "partial",
            "部分": "partial",
            "无": "none",
            "丧失劳动能力": "none",
            "完全丧失劳动能力": "none",
        },
        rule="有劳动能力、部分丧失劳动能力或无劳动能力",
        example="有劳动能力",
    ),
    Column(
        "health",
        "健康状况",
        Kind.ENUM,
        Level.PERSON,
        choices=_choices(HealthStatus),
        aliases={
            "重病": "serious_illness",
            "重特大疾病": "serious_illness",
            "大病": "serious_illness",
            "慢性疾病": "chronic",
        },
        rule="健康、慢性病或重病（重特大疾病）",
        example="健康",
    ),
    Column(
        "student",
        "在校情况",
        Kind.ENUM,
        Level.PERSON,
        choices=_choices(Student),
        aliases={
            "大专": "college",
            "本科": "college",
            "大学": "college",
            "中专": "vocational",
            "职高": "vocational",
            "硕士": "postgraduate",
            "博士": "postgraduate",
            "不在校": NOTHING,
            "无": NOTHING,
        },
        rule="全日制在校学生填写学段，不在校的不填",
        example="小学",
    ),
    Column(
        "special_status",
        "特殊情形",
        Kind.ENUM,
        Level.PERSON,
        choices=_choices(SpecialStatus),
        aliases={
            "宗教教职人员": "religious_apart",
            "服刑": "in_prison",
            "强制隔离戒毒": "in_prison",
            "失踪": "missing",
        },
        empty_means=SpecialStatus.NONE.value,
        rule="没有特殊情形的填“无”或不填",
        example="无",
    ),
    Column(
        "care_setting",
        "供养方式",
        Kind.ENUM,
        Level.PERSON,
        choices=_choices(CareSetting),
        aliases={"集中": "institutional", "分散": "home_based"},
        rule="特困人员填写：集中供养或分散供养",
        example="分散供养",
    ),
    *(
        Column(
            f"income_{income.value}",
            f"{income.label}(元/月)",
            Kind.MONEY,
            Level.INCOME,
            rule=f"{detail}；按月填写，" + MONEY_RULE,
            example="0",
            header_aliases=(income.label, f"{income.label}(元)"),
        )
        for income, detail in INCOME_COLUMNS
    ),
    Column(
        "category",
        "类别",
        Kind.ENUM,
        Level.HOUSEHOLD_CATEGORY,
        choices=_choices(Category, tuple(c.value for c in STATUS_CATEGORIES)),
        aliases={
            "最低生活保障": "dibao",
            "低保户": "dibao",
            "特困人员": "tekun",
            "特困供养": "tekun",
            "低保边缘家庭": "marginal",
            "低收入家庭": "marginal",
            "刚性支出困难家庭": "rigid_expense",
            "支出型困难家庭": "rigid_expense",
        },
        rule="家庭当前的救助类别（整户认定）；与现有类别不同时，原类别在新类别起始日期前一天终止。"
        "不填表示不变更；退出类别请在系统中办理",
        example="低保",
        header_aliases=("家庭类别", "救助类别"),
    ),
    Column(
        "category_from",
        "类别起始日期",
        Kind.DATE,
        Level.HOUSEHOLD_CATEGORY,
        rule="填写了类别时必填，格式如2024-01-31，不能晚于今天",
        example="2024-01-01",
    ),
    Column(
        "category_amount",
        "月保障金额(元)",
        Kind.MONEY,
        Level.HOUSEHOLD_CATEGORY,
        rule="整户每月发放金额，" + MONEY_RULE,
        example="1350",
        header_aliases=("月保障金额", "保障金额"),
    ),
    Column(
        "person_category",
        "个人类别",
        Kind.ENUM,
        Level.PERSON_CATEGORY,
        choices=_choices(Category, tuple(c.value for c in STATUS_CATEGORIES)),
        aliases={"特困人员": "tekun", "特困供养": "tekun", "单人保": "dibao", "最低生活保障": "dibao"},
        rule="单独认定到个人的类别，如特困人员、单人保（填“低保”）；不填表示不变更",
        example="特困",
    ),
    Column(
        "person_category_from",
        "个人类别起始日期",
        Kind.DATE,
        Level.PERSON_CATEGORY,
        rule="填写了个人类别时必填，格式如2024-01-31，不能晚于今天",
        example="2024-01-01",
    ),
    Column(
        "person_category_amount",
        "个人月保障金额(元)",
        Kind.MONEY,
        Level.PERSON_CATEGORY,
        rule="个人每月发放金额，" + MONEY_RULE,
        example="980",
        header_aliases=("个人月保障金额",),
    ),
)

BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}
HOUSEHOLD_KEYS = tuple(c.key for c in COLUMNS if c.level in (Level.HOUSEHOLD, Level.HOUSEHOLD_CATEGORY))
INCOME_KEYS = tuple(c.key for c in COLUMNS if c.level == Level.INCOME)
REQUIRED_KEYS = tuple(c.key for c in COLUMNS if c.required)
# Columns that only make sense together: a file with one of them must have the others.
COLUMN_GROUPS: tuple[tuple[str, ...], ...] = (
    ("disability_type", "disability_grade"),
    ("category", "category_from"),
    ("person_category", "person_category_from"),
)


def income_type_of(key: str) -> str:
    return key.removeprefix("income_")


def _header_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for column in COLUMNS:
        for text in (column.header, column.key, *column.header_aliases):
            lookup[normalize_header(text)] = column.key
    return lookup


HEADER_LOOKUP = _header_lookup()


def column_for_header(text: str) -> Column | None:
    """The column a header cell names (Chinese, with or without unit, or the English identifier)."""
    key = HEADER_LOOKUP.get(normalize_header(text))
    return BY_KEY[key] if key else None
