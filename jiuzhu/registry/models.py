"""The low-income population database: households, persons, memberships, categories, incomes.

History is kept by effective-dated rows (``valid_from``/``valid_to``, ``valid_to`` null
while current), never by overwriting: "who was in 低保 in this village on 2025-06-30"
is one query (``selectors.enrollments_active_on``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models import Q

from jiuzhu.core.scoping import RegionScopedQuerySet
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


def money_field(verbose_name: str, *, null: bool = False) -> models.DecimalField:
    """Money in 元 with 分: DECIMAL(12,2), never float."""
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, null=null, blank=null)


class EffectiveDatedQuerySet(RegionScopedQuerySet):
    def active_on(self, on: dt.date) -> EffectiveDatedQuerySet:
        """Rows in force on ``on``: started on or before it and not ended before it."""
        return self.filter(Q(valid_from__lte=on), Q(valid_to__isnull=True) | Q(valid_to__gte=on))

    def current(self) -> EffectiveDatedQuerySet:
        return self.filter(valid_to__isnull=True)


class Household(models.Model):
    household_number = models.CharField("户编号", max_length=32)  # unique: Meta (without a second LIKE index)
    # Indexed below by bytes: jurisdiction prefixes (LIKE '140702001%') and equality alike.
    region = models.ForeignKey(
        "regions.Region",
        verbose_name="所属村(社区)",
        on_delete=models.PROTECT,
        related_name="households",
        db_index=False,
    )
    address = models.CharField("家庭住址", max_length=200, blank=True)
    urban_rural = models.CharField("城乡类别", max_length=10, choices=UrbanRural.choices)
    status = models.CharField("状态", max_length=10, choices=HouseholdStatus.choices, default=HouseholdStatus.ACTIVE)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    # Assets: null means unknown (an asset test then cannot decide), never zero.
    financial_assets = money_field("金融资产（元）", null=True)
    house_count = models.PositiveSmallIntegerField("住房（套）", null=True, blank=True)
    vehicle_count = models.PositiveSmallIntegerField("机动车（辆）", null=True, blank=True)
    created_at = models.DateTimeField("建档时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = RegionScopedQuerySet.as_manager()
    region_field = "region__code"

    class Meta:
        verbose_name = "家庭"
        verbose_name_plural = "家庭"
        ordering = ["household_number"]
        constraints = [models.UniqueConstraint(fields=["household_number"], name="household_number_unique")]
        indexes = [
            # Jurisdiction prefixes (LIKE '140702001%') and equality; on SQLite a plain index.
            models.Index(fields=["region"], name="household_region_prefix_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.household_number


class Person(models.Model):
    id_number = models.CharField("身份证号", max_length=18)
    name = models.CharField("姓名", max_length=50)
    sex = models.CharField("性别", max_length=6, choices=Sex.choices)
    birth_date = models.DateField("出生日期")
    # Current household's village, kept by services: lets persons be scoped like households.
    region = models.ForeignKey(
        "regions.Region", verbose_name="所属村(社区)", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    hukou_type = models.CharField("户籍性质", max_length=10, choices=HukouType.choices, null=True, blank=True)
    hukou_region_code = models.CharField("户籍地区划代码", max_length=12, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    disability_type = models.CharField("残疾类别", max_length=15, choices=DisabilityType.choices, null=True, blank=True)
    disability_grade = models.PositiveSmallIntegerField("残疾等级", null=True, blank=True)
    self_care = models.CharField("生活自理能力", max_length=10, choices=SelfCare.choices, null=True, blank=True)
    labour_capacity = models.CharField("劳动能力", max_length=10, choices=Capacity.choices, null=True, blank=True)
    health = models.CharField("健康状况", max_length=20, choices=HealthStatus.choices, null=True, blank=True)
    student = models.CharField("在校情况", max_length=20, choices=Student.choices, null=True, blank=True)
    care_setting = models.CharField("供养方式", max_length=15, choices=CareSetting.choices, null=True, blank=True)
    special_status = models.CharField(
        "特殊情形", max_length=20, choices=SpecialStatus.choices, default=SpecialStatus.NONE
    )
    status = models.CharField("状态", max_length=10, choices=PersonStatus.choices, default=PersonStatus.ACTIVE)
    deceased_on = models.DateField("死亡日期", null=True, blank=True)
    created_at = models.DateTimeField("建档时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = RegionScopedQuerySet.as_manager()
    region_field = "region__code"

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员"
        # Every index costs time in a large import (they are rebuilt after it: registry.bulk): only what queries
        # use. ID numbers, names and region codes are looked up by equality or prefix, never sorted by a
        # language's rules, so PostgreSQL indexes them by bytes (pattern_ops: equality, LIKE 'x%' and the
        # ~<~ ranges of demo.existing), which also builds them two to three times faster than by collation.
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"],
                condition=Q(status="active"),
                name="person_unique_active_id_number",
                opclasses=["varchar_pattern_ops"],
            ),
            models.CheckConstraint(
                condition=Q(disability_grade__isnull=True) | Q(disability_grade__gte=1, disability_grade__lte=4),
                name="person_disability_grade_1_to_4",
            ),
        ]
        indexes = [
            models.Index(fields=["id_number"], name="person_id_number_idx", opclasses=["varchar_pattern_ops"]),
            # Names: the start of a name (PostgreSQL: person_name_prefix_idx, migration 0002; SQLite's LIKE
            # uses no index). Region: persons are read by household or id, never by region alone.
        ]

    def __str__(self) -> str:
        return self.name

    def age_on(self, on: dt.date) -> int:
        """Completed years on ``on``."""
        return on.year - self.birth_date.year - ((on.month, on.day) < (self.birth_date.month, self.birth_date.day))

    @property
    def is_serious_illness(self) -> bool | None:
        return None if self.health is None else self.health == HealthStatus.SERIOUS_ILLNESS


class Membership(models.Model):
    """A person's place in a household over a period."""

    person = models.ForeignKey(Person, verbose_name="人员", on_delete=models.PROTECT, related_name="memberships")
    household = models.ForeignKey(
        Household, verbose_name="家庭", on_delete=models.PROTECT, related_name="memberships", db_index=False
    )  # indexed by (household, valid_to)
    relation = models.CharField("与户主关系", max_length=20, choices=Relation.choices)
    in_household = models.BooleanField(
        "共同生活家庭成员", default=True, help_text="否：登记在户但收入不计入（如离家宗教教职人员）"
    )
    valid_from = models.DateField("起始日期")
    valid_to = models.DateField("终止日期", null=True, blank=True)

    objects = EffectiveDatedQuerySet.as_manager()
    region_field = "household__region__code"

    class Meta:
        verbose_name = "家庭成员关系"
        verbose_name_plural = "家庭成员关系"
        ordering = ["household_id", "valid_from", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(valid_to__isnull=True), name="membership_one_current_household"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="membership_period_ordered",
            ),
        ]
        indexes = [models.Index(fields=["household", "valid_to"])]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.household_id} {self.valid_from}–{self.valid_to or ''}"


class CategoryEnrollment(models.Model):
    """A household (or one member) in a category, tag or flag over a period."""

    household = models.ForeignKey(
        Household, verbose_name="家庭", on_delete=models.PROTECT, related_name="enrollments", db_index=False
    )  # indexed by (household, category)
    person = models.ForeignKey(
        Person,
        verbose_name="人员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrollments",
        help_text="空：整户；填写：个人（特困、单人保、防返贫监测等）",
    )
    category = models.CharField("类别", max_length=20, choices=Category.choices)
    valid_from = models.DateField("起始日期")
    valid_to = models.DateField("终止日期", null=True, blank=True)
    amount_month = money_field("月保障金额（元）", null=True)
    decision_number = models.CharField("决定文号", max_length=60, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    end_reason = models.CharField("退出原因", max_length=200, blank=True)
    # 渐退 (低保 only, set by services.enrollment_phase_out_start): why the household is leaving and the day it
    # began; the rules keep paying amount_month for the pack's months (case-format.md, dibao_enrollment).
    # The database default lets bulk inserts that name no phase-out column (imports, demo) leave it empty.
    phase_out_reason = models.CharField(
        "渐退原因", max_length=20, choices=PhaseOutReason.choices, blank=True, default="", db_default=""
    )
    phase_out_start = models.DateField("渐退开始日期", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EffectiveDatedQuerySet.as_manager()
    region_field = "household__region__code"

    class Meta:
        verbose_name = "类别认定"
        verbose_name_plural = "类别认定"
        ordering = ["valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="enrollment_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(amount_month__isnull=True) | Q(amount_month__gte=0), name="enrollment_amount_not_negative"
            ),
            # A 渐退 has both its reason and its start, or neither; it cannot begin before the enrollment.
            models.CheckConstraint(
                condition=Q(phase_out_reason="", phase_out_start__isnull=True)
                | Q(
                    phase_out_reason__in=PhaseOutReason.values,
                    phase_out_start__isnull=False,  # NULL >= valid_from would be unknown, which a CHECK lets pass
                    phase_out_start__gte=models.F("valid_from"),
                ),
                name="enrollment_phase_out_complete_and_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["category", "valid_from", "valid_to"]),
            models.Index(fields=["household", "category"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.valid_from}–{self.valid_to or ''}"


class Income(models.Model):
    """A declared or verified income of a member (or of the household as a whole)."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="incomes", db_index=False
    )  # indexed by (household, valid_to)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="incomes")
    type = models.CharField("收入类型", max_length=30, choices=IncomeType.choices)
    amount = money_field("金额（元）")
    period = models.CharField("周期", max_length=10, choices=Period.choices)
    valid_from = models.DateField("起始日期")
    valid_to = models.DateField("终止日期", null=True, blank=True)

    objects = EffectiveDatedQuerySet.as_manager()
    region_field = "household__region__code"

    class Meta:
        verbose_name = "收入"
        verbose_name_plural = "收入"
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="income_amount_not_negative")]
        indexes = [models.Index(fields=["household", "valid_to"])]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.amount}/{self.get_period_display()}"

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "amount": str(self.amount), "period": self.period}


class VillageTally(models.Model):
    """Households of one village with one status, in all (``category`` empty) or in one category in force on
    ``TallyDate.as_of``. Derived data, kept exact by ``registry.tally`` (the reason is in its docstring)."""

    region_code = models.CharField("村(社区)代码", max_length=12)
    status = models.CharField("家庭状态", max_length=10, choices=HouseholdStatus.choices)
    category = models.CharField("类别", max_length=20, blank=True)  # "": every household of the status
    households = models.IntegerField("户数", default=0)

    class Meta:
        verbose_name = "分村户数"
        verbose_name_plural = "分村户数"
        constraints = [
            models.UniqueConstraint(fields=["region_code", "status", "category"], name="village_tally_one_row_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.region_code} {self.status} {self.category or '全部'}: {self.households}"


class TallyDate(models.Model):
    """The one day the village tally describes (one row, id 1); its row lock orders the tally's writers."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    as_of = models.DateField("统计日期")

    class Meta:
        verbose_name = "分村户数统计日期"
        verbose_name_plural = "分村户数统计日期"

    def __str__(self) -> str:
        return str(self.as_of)
