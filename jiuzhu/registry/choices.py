"""Enumerations of the registry, with the Chinese labels users read (GLOSSARY.md, case-format.md)."""

from __future__ import annotations

from django.db import models


class UrbanRural(models.TextChoices):
    URBAN = "urban", "城市"
    RURAL = "rural", "农村"


class HukouType(models.TextChoices):
    URBAN = "urban", "城镇"
    RURAL = "rural", "农村"


class Sex(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class Relation(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    SON = "son", "子"
    DAUGHTER = "daughter", "女"
    PARENT = "parent", "父母"
    GRANDPARENT = "grandparent", "祖父母/外祖父母"
    GRANDCHILD = "grandchild", "孙子女/外孙子女"
    SIBLING = "sibling", "兄弟姐妹"
    SON_IN_LAW = "son_in_law", "女婿"
    DAUGHTER_IN_LAW = "daughter_in_law", "儿媳"
    OTHER = "other", "其他"


class DisabilityType(models.TextChoices):
    VISUAL = "visual", "视力"
    HEARING = "hearing", "听力"
    SPEECH = "speech", "言语"
    PHYSICAL = "physical", "肢体"
    INTELLECTUAL = "intellectual", "智力"
    MENTAL = "mental", "精神"
    MULTIPLE = "multiple", "多重"


class Capacity(models.TextChoices):
    """劳动能力."""

    FULL = "full", "有劳动能力"
    PARTIAL = "partial", "部分丧失劳动能力"
    NONE = "none", "无劳动能力"


class SelfCare(models.TextChoices):
    FULL = "full", "全自理"
    PARTIAL = "partial", "半护理（部分丧失）"
    NONE = "none", "全护理（完全丧失）"


class CareSetting(models.TextChoices):
    INSTITUTIONAL = "institutional", "集中供养"
    HOME_BASED = "home_based", "分散供养"


class HealthStatus(models.TextChoices):
    HEALTHY = "healthy", "健康"
    CHRONIC = "chronic", "慢性病"
    SERIOUS_ILLNESS = "serious_illness", "重病（重特大疾病）"


class Student(models.TextChoices):
    PRIMARY = "primary", "小学"
    JUNIOR_SECONDARY = "junior_secondary", "初中"
    SENIOR_SECONDARY = "senior_secondary", "高中"
    VOCATIONAL = "vocational", "中职"
    COLLEGE = "college", "大专/本科"
    POSTGRADUATE = "postgraduate", "研究生"


class SpecialStatus(models.TextChoices):
    """Circumstances that take a person out of the counted household (审核确认办法 Art. 7)."""

    NONE = "none", "无"
    RELIGIOUS_APART = "religious_apart", "宗教教职人员（离家）"
    IN_PRISON = "in_prison", "服刑/强制隔离戒毒"
    MISSING = "missing", "宣告失踪"
    CONSCRIPT = "conscript", "义务兵"


class PersonStatus(models.TextChoices):
    ACTIVE = "active", "在册"
    DECEASED = "deceased", "死亡"
    MOVED_OUT = "moved_out", "迁出"


class HouseholdStatus(models.TextChoices):
    ACTIVE = "active", "在册"
    CLOSED = "closed", "注销"


class Category(models.TextChoices):
    DIBAO = "dibao", "低保"
    TEKUN = "tekun", "特困"
    MARGINAL = "marginal", "低保边缘"
    RIGID_EXPENSE = "rigid_expense", "刚性支出困难"
    OTHER_HARDSHIP = "other_hardship", "其他困难人员"
    RELAPSE_WATCH = "relapse_watch", "防返贫监测"
    FORMER_POOR = "former_poor", "脱贫人口"
    REGISTERED_POOR = "registered_poor", "建档立卡"
    REFUSED_APPLICANT = "refused_applicant", "申请未获批准"


class PhaseOutReason(models.TextChoices):
    """Why a household is leaving 低保 under a 渐退 (case-format.md, ``dibao_enrollment.phase_out.reason``)."""

    EMPLOYMENT = "employment", "就业增收"
    VOLUNTARY = "voluntary", "主动申报退出"


# The statuses exclude one another, deepest first (DOMAIN.md §1.1); the rest are tags and flags.
STATUS_CATEGORIES = (Category.TEKUN, Category.DIBAO, Category.MARGINAL, Category.RIGID_EXPENSE, Category.OTHER_HARDSHIP)
TAG_CATEGORIES = (Category.RELAPSE_WATCH,)
FLAG_CATEGORIES = (Category.FORMER_POOR, Category.REGISTERED_POOR, Category.REFUSED_APPLICANT)


class IncomeType(models.TextChoices):
    WAGE = "wage", "工资性收入"
    BUSINESS = "business", "家庭经营净收入"
    PROPERTY = "property", "财产净收入"
    PENSION = "pension", "养老金/退休金"
    SUPPORT_PAYMENT = "support_payment", "赡养抚养扶养费"
    TRANSFER_OTHER = "transfer_other", "其他转移净收入"
    SPECIAL_CARE = "special_care", "优抚对象抚恤金、补助金"
    FAMILY_PLANNING_AWARD = "family_planning_award", "计划生育奖励与扶助金"
    REWARD = "reward", "见义勇为等奖励性收入"
    ASSISTANCE_IN_KIND = "assistance_in_kind", "政府发放的各类救助款物"
    BASIC_PENSION = "basic_pension", "城乡居民基本养老保险基础养老金"
    DISABILITY_SUBSIDY = "disability_subsidy", "残疾人两项补贴"
    ELDERLY_ALLOWANCE = "elderly_allowance", "高龄津贴"
    ONLY_CHILD_FEE = "only_child_fee", "独生子女费"


class Period(models.TextChoices):
    MONTH = "month", "月"
    YEAR = "year", "年"
