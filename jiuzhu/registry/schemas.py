"""Typed request and response bodies of the registry routes under /api/v1/.

Money travels as a string with two decimals ("1200.00"), dates as ISO 8601, ID numbers masked
(``1407**********1234``) except in the body of the reveal response.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, overload

from django.db import models
from ninja import Field, Schema

from jiuzhu.registry.choices import (
    Capacity,
    CareSetting,
    Category,
    DisabilityType,
    HealthStatus,
    HouseholdStatus,
    HukouType,
    IncomeType,
    Period,
    PersonStatus,
    PhaseOutReason,
    Relation,
    SelfCare,
    Sex,
    SpecialStatus,
    Student,
    UrbanRural,
)

MONEY_PATTERN = r"^\d+\.\d{2}$"
Money = Annotated[str, Field(pattern=MONEY_PATTERN, examples=["1200.00"])]
MaskedIdNumber = Annotated[str, Field(examples=["1407**********1234"], description="脱敏身份证号")]


def choices_text(choices: type[models.TextChoices]) -> str:
    """``urban=城市，rural=农村``: the Chinese meaning of each identifier, for the OpenAPI document."""
    return "，".join(f"{choice.value}={choice.label}" for choice in choices)


@overload
def money(amount: Decimal) -> str: ...
@overload
def money(amount: None) -> None: ...
def money(amount: Decimal | None) -> str | None:
    """A stored amount (already to the 分) as the API's string; ``None`` stays ``None`` (unknown)."""
    return None if amount is None else f"{amount:.2f}"


class HouseholdListItem(Schema):
    id: int = Field(description="家庭编号（内部），用于 GET /api/v1/households/{id}")
    household_number: str = Field(description="户编号")
    region_code: str = Field(description="所属村(社区)的12位统计用区划代码")
    region_name: str = Field(description="所属村(社区)名称")
    urban_rural: UrbanRural = Field(description=f"城乡类别：{choices_text(UrbanRural)}")
    status: HouseholdStatus = Field(description=f"状态：{choices_text(HouseholdStatus)}")
    head_name: str | None = Field(description="户主姓名；无在册户主时为空")
    head_id_number_masked: MaskedIdNumber | None
    member_count: int = Field(description="今天登记在户的成员数")
    categories: list[Category] = Field(
        description=f"今天有效的类别、标签与标识（整户或个人），状态类在前：{choices_text(Category)}"
    )


class DisabilityOut(Schema):
    type: DisabilityType | None = Field(description=f"残疾类别：{choices_text(DisabilityType)}")
    grade: int | None = Field(description="残疾等级，1–4级")


class IncomeOut(Schema):
    type: IncomeType = Field(description=f"收入类型：{choices_text(IncomeType)}")
    amount: Money = Field(description="金额（元），两位小数的字符串")
    period: Period = Field(description=f"金额所属周期：{choices_text(Period)}")
    valid_from: dt.date


class PersonFacts(Schema):
    id: int = Field(description="人员编号（内部），用于 GET /api/v1/persons/{id}")
    name: str
    id_number_masked: MaskedIdNumber
    sex: Sex = Field(description=f"性别：{choices_text(Sex)}")
    birth_date: dt.date
    status: PersonStatus = Field(description=f"人员状态：{choices_text(PersonStatus)}")
    hukou_type: HukouType | None = Field(description=f"户籍性质：{choices_text(HukouType)}；空为未知")
    disability: DisabilityOut | None = Field(description="残疾情况；无残疾登记时为空")
    self_care: SelfCare | None = Field(description=f"生活自理能力：{choices_text(SelfCare)}；空为未知")
    labour_capacity: Capacity | None = Field(description=f"劳动能力：{choices_text(Capacity)}；空为未知")
    health: HealthStatus | None = Field(description=f"健康状况：{choices_text(HealthStatus)}；空为未知")
    student: Student | None = Field(description=f"在校情况：{choices_text(Student)}；空为不在校或未知")
    care_setting: CareSetting | None = Field(description=f"供养方式（特困）：{choices_text(CareSetting)}")
    special_status: SpecialStatus = Field(description=f"特殊情形：{choices_text(SpecialStatus)}")


class MemberOut(PersonFacts):
    relation: Relation = Field(description=f"与户主关系：{choices_text(Relation)}")
    in_household: bool = Field(description="是否共同生活家庭成员（否：登记在户但收入不计入）")
    member_since: dt.date = Field(description="成员关系起始日期")
    incomes: list[IncomeOut] = Field(description="当前收入")


class EnrollmentOut(Schema):
    id: int
    category: Category = Field(description=f"类别：{choices_text(Category)}")
    person_id: int | None = Field(description="个人认定的人员编号；整户认定时为空")
    valid_from: dt.date
    valid_to: dt.date | None = Field(description="终止日期；仍有效时为空")
    amount_month: Money | None = Field(description="月保障金额（元），两位小数的字符串；未定时为空")
    decision_number: str = Field(description="决定文号")
    end_reason: str = Field(description="退出原因")
    phase_out_reason: PhaseOutReason | None = Field(
        description=f"渐退原因（仅低保）：{choices_text(PhaseOutReason)}；未登记渐退时为空"
    )
    phase_out_start: dt.date | None = Field(description="渐退起始日期；未登记渐退时为空")


class MembershipOut(Schema):
    person_id: int
    name: str
    relation: Relation = Field(description=f"与户主关系：{choices_text(Relation)}")
    in_household: bool
    valid_from: dt.date
    valid_to: dt.date | None = Field(description="终止日期；仍在户时为空")


class HouseholdOut(Schema):
    id: int
    household_number: str = Field(description="户编号")
    region_code: str = Field(description="所属村(社区)的12位统计用区划代码")
    region_name: str = Field(description="所属村(社区)名称")
    region_full_name: str = Field(description="省市县乡村全称")
    address: str
    phone: str
    urban_rural: UrbanRural = Field(description=f"城乡类别：{choices_text(UrbanRural)}")
    status: HouseholdStatus = Field(description=f"状态：{choices_text(HouseholdStatus)}")
    financial_assets: Money | None = Field(description="金融资产（元）；空为未知（不是零）")
    house_count: int | None = Field(description="住房套数；空为未知")
    vehicle_count: int | None = Field(description="机动车辆数；空为未知")
    members: list[MemberOut] = Field(description="当前成员，户主在前")
    categories: list[Category] = Field(description="今天有效的类别、标签与标识（整户或个人），状态类在前")
    category_history: list[EnrollmentOut] = Field(description="全部类别认定（含已终止），按起始日期")
    membership_history: list[MembershipOut] = Field(description="全部成员关系（含已迁出），按起始日期")


class PersonOut(PersonFacts):
    region_code: str = Field(description="当前所属村(社区)的12位区划代码")
    deceased_on: dt.date | None
    household_id: int | None = Field(description="当前所在家庭编号；不在任何家庭时为空")
    household_number: str | None
    relation: Relation | None = Field(description=f"与户主关系：{choices_text(Relation)}")
    in_household: bool | None
    enrollments: list[EnrollmentOut] = Field(
        description="覆盖本人的类别认定：本人的个人认定，以及当前所在家庭的整户认定（person_id 为空）"
    )


class RevealIn(Schema):
    reason: str = Field(
        min_length=1, max_length=200, description="查看事由，写入审计记录", examples=["核对医疗救助申请"]
    )


class RevealOut(Schema):
    id_number: str = Field(description="完整身份证号")
