"""Registry routes of /api/v1/: households and persons, read-only, plus the audited ID-number reveal.

Authentication: ``Authorization: Bearer <token>`` (``jiuzhu.core.api_auth``) on every route here.
Jurisdiction: every read starts from a ``*_get_for`` / ``*_list_for`` selector, so a record outside
the caller's region is a 404, exactly like a missing one. Rights: ``Permission.REGISTRY_VIEW`` for
reads (403 otherwise), ``Permission.ID_NUMBER_REVEAL`` for the reveal.
"""

# No ``from __future__ import annotations`` here: @paginate wraps the view, and ninja would resolve
# string annotations in ninja.pagination's globals instead of this module's.

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.conf import settings as ninja_settings
from ninja.pagination import PageNumberPagination, paginate

from jiuzhu.accounts.models import Role, User
from jiuzhu.accounts.permissions import ROLE_PERMISSIONS, Permission, require
from jiuzhu.core import id_numbers
from jiuzhu.core.api_schemas import ErrorOut, ValidationErrorOut
from jiuzhu.registry import selectors, services
from jiuzhu.registry.choices import Category, HouseholdStatus, IncomeType, Period, Relation, UrbanRural
from jiuzhu.registry.schemas import (
    DisabilityOut,
    EnrollmentOut,
    HouseholdListItem,
    HouseholdOut,
    IncomeOut,
    MemberOut,
    MembershipOut,
    PersonOut,
    RevealIn,
    RevealOut,
    choices_text,
    money,
)

router = Router(tags=["低收入人口数据库"])

PAGE_SIZE_DEFAULT: int = ninja_settings.PAGINATION_PER_PAGE
PAGE_SIZE_MAX: int = ninja_settings.PAGINATION_MAX_PER_PAGE_SIZE  # settings.NINJA_MAX_PER_PAGE_SIZE
PAGE_MAX = 10_000_000  # keeps the offset far inside a 64-bit integer whatever page_size is

ERRORS_LIST: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}
ERRORS_READ: dict[int, type[Schema]] = {**ERRORS_LIST, 404: ErrorOut}


def _viewer(request: HttpRequest) -> User:
    """The token's user, who must hold the right to read the registry (403 in Chinese otherwise)."""
    user: User = request.auth  # type: ignore[attr-defined]  # set by BearerToken
    require(user, Permission.REGISTRY_VIEW)
    return user


class PageRowsPagination(PageNumberPagination):
    """``page``/``page_size`` pagination whose page is turned into rows by one bulk call.

    Unlike ninja's default it refuses a ``page_size`` above the cap (422) instead of silently
    shortening the page, so a client counting pages from ``count`` never skips records.
    """

    class PageQuery(PageNumberPagination.Input):
        page: int = Field(1, ge=1, le=PAGE_MAX, description=f"页码，从1开始，最大{PAGE_MAX}")
        page_size: int = Field(
            PAGE_SIZE_DEFAULT,
            ge=1,
            le=PAGE_SIZE_MAX,
            description=f"每页条数，默认{PAGE_SIZE_DEFAULT}，最大{PAGE_SIZE_MAX}；"
            f"超过{PAGE_SIZE_MAX}返回422，不会被悄悄截断",
        )

    # ninja reads ``Input``; the class's own name is what the OpenAPI document shows.
    Input = PageQuery  # type: ignore[assignment]  # a subclass; mypy cannot rebind a nested class

    def __init__(self, *, page_rows: Callable[[list[Any]], Sequence[Any]], **kwargs: Any) -> None:
        super().__init__(page_size=PAGE_SIZE_DEFAULT, max_page_size=PAGE_SIZE_MAX, **kwargs)
        self.page_rows = page_rows

    def paginate_queryset(self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any) -> Any:
        """``queryset`` may be a ``Listing``: the rows with their total known beforehand (the village tally's)."""
        total = None
        if isinstance(queryset, Listing):
            queryset, total = queryset.rows, queryset.total
        offset = (pagination.page - 1) * pagination.page_size
        with selectors.serial_plans():
            page = list(queryset[offset : offset + pagination.page_size])
            if total is None and (0 < len(page) < pagination.page_size or (offset == 0 and not page)):
                total = offset + len(page)  # the last page: nothing left to count (an ID search reads one row)
            if total is None:
                total = queryset.count()
            return {"items": self.page_rows(page), "count": total}


@dataclass(frozen=True)
class Listing:
    """A list view's rows and, when known without counting them, their number."""

    rows: QuerySet[Any]
    total: int | None


def _household_list_items(households: list[Any]) -> list[HouseholdListItem]:
    """One page of households as list items: a fixed number of queries whatever the page size."""
    # household_page_rows attaches head, member_count and category_tags to each household.
    rows: list[Any] = selectors.household_page_rows(households=households, on=timezone.localdate())
    items = []
    for household in rows:
        head = household.head
        items.append(
            HouseholdListItem(
                id=household.id,
                household_number=household.household_number,
                region_code=household.region_id,
                region_name=household.region.name,
                urban_rural=UrbanRural(household.urban_rural),
                status=HouseholdStatus(household.status),
                head_name=head.name if head else None,
                head_id_number_masked=id_numbers.mask(head.id_number) if head else None,
                member_count=household.member_count,
                categories=household.category_tags,
            )
        )
    return items


class HouseholdQuery(Schema):
    region: str | None = Field(
        None, pattern=r"^\d{2,12}$", description="区划代码前缀，如 140702001（北关街道）或完整的12位村(社区)代码"
    )
    category: Category | None = Field(None, description=f"当前类别：{choices_text(Category)}")
    status: HouseholdStatus | None = Field(None, description=f"家庭状态：{choices_text(HouseholdStatus)}")
    q: str | None = Field(None, max_length=50, description="检索：完整身份证号（精确）、成员姓名开头或户编号（精确）")


@router.get(
    "/households",
    response={200: list[HouseholdListItem], **ERRORS_LIST},
    summary="家庭列表（分页、筛选、检索）",
    description=(
        "管辖范围内的家庭，按户编号排序，分页返回 {items, count}，count 为筛选后的总数。"
        f"page_size 默认{PAGE_SIZE_DEFAULT}、最大{PAGE_SIZE_MAX}，超过最大值返回422（不截断）。"
        "可按区划前缀(region)、当前类别(category)、状态(status)筛选；q 可为完整身份证号、姓名开头或户编号。"
        "身份证号一律脱敏。q 中的身份证号仅用于检索：本服务的日志只记录路径，不记录查询参数；"
        "部署时前置代理的访问日志也应去掉查询参数。"
        "需要“查看低收入人口数据库”权限。"
    ),
)
@paginate(PageRowsPagination, page_rows=_household_list_items)
def list_households(request: HttpRequest, filters: Query[HouseholdQuery]) -> Any:
    user = _viewer(request)
    today = timezone.localdate()
    chosen = selectors.HouseholdFilter(
        region_code=filters.region or "",
        category=filters.category or "",
        status=filters.status or "",
        query=filters.q or "",
    )
    return Listing(
        rows=selectors.household_list_for(user=user, on=today, filters=chosen),
        total=selectors.household_list_total(user=user, on=today, filters=chosen),
    )


def _disability(person: Any) -> DisabilityOut | None:
    if person.disability_type is None and person.disability_grade is None:
        return None
    return DisabilityOut(type=person.disability_type, grade=person.disability_grade)


def _person_facts(person: Any) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "id_number_masked": id_numbers.mask(person.id_number),
        "sex": person.sex,
        "birth_date": person.birth_date,
        "status": person.status,
        "hukou_type": person.hukou_type,
        "disability": _disability(person),
        "self_care": person.self_care,
        "labour_capacity": person.labour_capacity,
        "health": person.health,
        "student": person.student,
        "care_setting": person.care_setting,
        "special_status": person.special_status,
    }


def _enrollment(enrollment: Any) -> EnrollmentOut:
    return EnrollmentOut(
        id=enrollment.id,
        category=enrollment.category,
        person_id=enrollment.person_id,
        valid_from=enrollment.valid_from,
        valid_to=enrollment.valid_to,
        amount_month=money(enrollment.amount_month),
        decision_number=enrollment.decision_number,
        end_reason=enrollment.end_reason,
        phase_out_reason=enrollment.phase_out_reason or None,
        phase_out_start=enrollment.phase_out_start,
    )


@router.get(
    "/households/{household_id}",
    response={200: HouseholdOut, **ERRORS_READ},
    summary="家庭详情",
    description=(
        "一户的基本情况、当前成员（含残疾、自理、劳动能力、健康、在校情况与当前收入）、当前类别、"
        "全部类别认定历史和成员变动历史。金额为两位小数的字符串，身份证号脱敏。"
        "管辖范围外的家庭与不存在的家庭一样返回404。需要“查看低收入人口数据库”权限。"
    ),
)
def get_household(request: HttpRequest, household_id: int) -> HouseholdOut:
    user = _viewer(request)
    detail = selectors.household_detail_for(user=user, household_id=household_id, on=timezone.localdate())
    household = detail.household
    members = [
        MemberOut(
            **_person_facts(membership.person),
            relation=Relation(membership.relation),
            in_household=membership.in_household,
            member_since=membership.valid_from,
            incomes=[
                IncomeOut(
                    type=IncomeType(income.type),
                    amount=money(income.amount),
                    period=Period(income.period),
                    valid_from=income.valid_from,
                )
                for income in membership.person.incomes.all()
            ],
        )
        for membership in detail.members
    ]
    categories = sorted({Category(e.category) for e in detail.active_enrollments}, key=list(Category).index)
    return HouseholdOut(
        id=household.id,
        household_number=household.household_number,
        region_code=household.region_id,
        region_name=household.region.name,
        region_full_name=detail.region_name,
        address=household.address,
        phone=household.phone,
        urban_rural=UrbanRural(household.urban_rural),
        status=HouseholdStatus(household.status),
        financial_assets=money(household.financial_assets),
        house_count=household.house_count,
        vehicle_count=household.vehicle_count,
        members=members,
        categories=categories,
        category_history=[_enrollment(enrollment) for enrollment in detail.enrollment_history],
        membership_history=[
            MembershipOut(
                person_id=m.person_id,
                name=m.person.name,
                relation=Relation(m.relation),
                in_household=m.in_household,
                valid_from=m.valid_from,
                valid_to=m.valid_to,
            )
            for m in detail.membership_history
        ],
    )


@router.get(
    "/persons/{person_id}",
    response={200: PersonOut, **ERRORS_READ},
    summary="人员详情",
    description=(
        "一名人员的登记信息（身份证号脱敏）、当前所在家庭及与户主关系，以及覆盖本人的类别认定"
        "（个人认定和当前家庭的整户认定）。管辖范围外的人员与不存在的人员一样返回404。"
        "需要“查看低收入人口数据库”权限。"
    ),
)
def get_person(request: HttpRequest, person_id: int) -> PersonOut:
    user = _viewer(request)
    person = selectors.person_get_for(user=user, person_id=person_id)
    membership = selectors.person_current_membership(person=person)
    return PersonOut(
        **_person_facts(person),
        region_code=person.region_id,
        deceased_on=person.deceased_on,
        household_id=membership.household_id if membership else None,
        household_number=membership.household.household_number if membership else None,
        relation=Relation(membership.relation) if membership else None,
        in_household=membership.in_household if membership else None,
        enrollments=[_enrollment(e) for e in selectors.person_enrollments_for(user=user, person=person)],
    )


_REVEAL_ROLES = "、".join(
    Role(role).label for role, rights in ROLE_PERMISSIONS.items() if Permission.ID_NUMBER_REVEAL in rights
)


@router.post(
    "/persons/{person_id}/id-number/reveal",
    response={200: RevealOut, 400: ErrorOut, **ERRORS_READ},
    summary="查看完整身份证号（留痕）",
    description=(
        f"返回一名人员的完整身份证号，仅限具有“查看完整身份证号”权限的角色（{_REVEAL_ROLES}），"
        "其他角色返回403。必须填写事由；每次查看连同事由、操作人和IP地址写入审计记录。"
        "身份证号只出现在响应正文中，响应不可缓存。管辖范围外的人员返回404。"
    ),
)
def reveal_id_number(request: HttpRequest, person_id: int, payload: RevealIn, response: HttpResponse) -> RevealOut:
    user = _viewer(request)
    person = selectors.person_get_for(user=user, person_id=person_id)
    full = services.id_number_reveal(
        actor=user, person=person, reason=payload.reason, channel="api", ip_address=request.META.get("REMOTE_ADDR")
    )
    response["Cache-Control"] = "no-store"
    return RevealOut(id_number=full)
