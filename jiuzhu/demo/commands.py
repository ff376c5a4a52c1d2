"""``jiuzhu demo``: a synthetic but realistic county in the low-income population database.

``demo_generate`` builds households and people for one real county (DESIGN.md §8) in one
transaction with one audit record; run again, it appends new households with new numbers and
ID numbers. ``demo_accounts_ensure`` creates one account per role for trying the county out,
and refuses under production settings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from rich.console import Console

from jiuzhu.accounts.models import Department, Role
from jiuzhu.accounts.services import system_user, user_create
from jiuzhu.audit.services import audit_record
from jiuzhu.audit.tags import AuditTag
from jiuzhu.core.errors import DomainError
from jiuzhu.demo import amounts, existing, generator, history, idgen
from jiuzhu.demo import attributes as facts_module
from jiuzhu.demo.geography import (
    DemoErrorCode,
    Township,
    Village,
    county_resolve,
    county_townships,
    township_villages,
)
from jiuzhu.demo.writer import (
    Reporter,
    TableRows,
    as_dates,
    as_foreign_keys,
    as_labels,
    as_list,
    as_money,
    as_nullable,
)
from jiuzhu.regions.models import Region, RegionLevel
from jiuzhu.registry import bulk, tally
from jiuzhu.registry.models import CategoryEnrollment, Household, Income, Membership, Person

DEFAULT_HOUSEHOLDS = 2000
DEFAULT_REGION = "140702"  # 山西省晋中市榆次区
MAX_HOUSEHOLDS = 5_000_000
# From this many persons, and when the batch at least doubles the registry, PostgreSQL indexes and
# foreign keys are rebuilt after the load instead of maintained row by row (registry.bulk.indexes_rebuilt_after).
REBUILD_INDEXES_FROM = 50_000
TOWNSHIP_NAME_NOISE = ("社会事务服务中心",)  # dropped from township names in addresses


@dataclass(frozen=True)
class DemoSummary:
    county_code: str
    county_name: str
    households: int
    persons: int
    enrollments: int
    incomes: int
    townships_with_households: int
    first_household_number: str
    last_household_number: str
    seed: int
    as_of: dt.date
    seconds: float


def demo_generate(
    *, households: int, region_code: str, seed: int, progress: bool = False, as_of: dt.date | None = None
) -> DemoSummary:
    """Generate ``households`` households in the county ``region_code`` (6 or 12 digits), all or nothing.

    The same seed (and ``as_of``, default today) gives the same households and people; ID numbers
    and household numbers continue above what the database already holds.
    """
    started = time.perf_counter()
    if not isinstance(households, int) or not 1 <= households <= MAX_HOUSEHOLDS:
        raise DomainError(
            DemoErrorCode.HOUSEHOLDS_OUT_OF_RANGE, f"户数应为1到{MAX_HOUSEHOLDS}之间的整数，收到“{households}”。"
        )
    as_of = as_of or timezone.localdate()
    with Reporter(progress) as reporter, transaction.atomic():
        bulk.lock_registry_tables()
        county = county_resolve(region_code)
        townships = county_townships(county)
        preparing = reporter.task("生成家庭和成员", 1)
        rng = np.random.default_rng(seed)
        counts = generator.allocate_townships(rng, [t.kind for t in townships], households)
        layout = _layout(county, townships, counts)
        synthetic = _synthesize(rng, layout, counts, day_of(as_of))
        reporter.advance(preparing, 1)
        summary = _write(reporter, layout, synthetic, seed=seed, as_of=as_of)
        audit_record(
            actor=system_user(),
            tag=AuditTag.DEMO_GENERATE,
            subject_type="region",
            subject_id=county.code,
            region_code=county.code,
            channel="命令行",
            after={
                "households": summary.households,
                "persons": summary.persons,
                "seed": seed,
                "as_of": as_of.isoformat(),
                "first_household_number": summary.first_household_number,
                "last_household_number": summary.last_household_number,
            },
            reason=f"生成演示数据：{county.name}{summary.households}户{summary.persons}人",
        )
    summary = dataclasses.replace(summary, seconds=round(time.perf_counter() - started, 1))
    if progress:
        Console(stderr=True).print(
            f"已生成演示数据：{summary.county_name}（{summary.county_code[:6]}）{summary.households}户、"
            f"{summary.persons}人，分布在{summary.townships_with_households}个乡镇(街道)；"
            f"户编号 {summary.first_household_number}–{summary.last_household_number}；"
            f"用时{summary.seconds}秒。"
        )
    return summary


def day_of(date: dt.date) -> int:
    return generator.day_of(date.year, date.month, date.day)


def _layout(county: Region, townships: list[Township], counts: np.ndarray) -> generator.CountyLayout:
    villages: list[Village] = []
    village_township: list[int] = []
    for index in np.flatnonzero(counts).tolist():
        found = township_villages(townships[index])
        villages += found
        village_township += [index] * len(found)
    code6 = county.code[:6]
    all_villages = list(
        Region.objects.filter(code__startswith=code6, level=RegionLevel.VILLAGE)
        .order_by("code")
        .values_list("code", flat=True)
    )
    neighbours = tuple(
        int(code[:6])
        for code in Region.objects.filter(parent_id=county.parent_id, level=RegionLevel.COUNTY)
        .exclude(code=county.code)
        .order_by("code")
        .values_list("code", flat=True)
    )
    return generator.CountyLayout(
        county_code=code6,
        county_name=county.name,
        townships=townships,
        villages=villages,
        village_township=np.array(village_township, dtype=np.int64),
        all_village_codes=all_villages,
        birthplace_codes=neighbours,
        city_code=int(code6[:4] + "00"),
        province_code=int(code6[:2] + "0000"),
    )


@dataclass
class Synthetic:
    households: generator.Households
    people: generator.People
    facts: facts_module.Facts
    history: history.History
    birthplace: np.ndarray
    addresses: Callable[[slice], list[str]]


def _synthesize(rng: np.random.Generator, layout: generator.CountyLayout, counts: np.ndarray, as_of: int) -> Synthetic:
    households = generator.place_households(rng, layout, counts)
    people = generator.build_members(rng, households, as_of)
    people.name = generator.draw_names(rng, people, len(households.status))
    facts = facts_module.person_facts(rng, people, households, as_of, len(layout.all_village_codes))
    standards = amounts.DemoStandards.for_county(layout.county_code)
    story = history.build_history(rng, households, people, facts, as_of, standards)
    birth_years, _, _ = generator.ymd(people.birth)
    married_in = np.isin(people.relation, (generator.SPOUSE, generator.DAUGHTER_IN_LAW, generator.SON_IN_LAW))
    birthplace = idgen.draw_birthplaces(
        rng,
        birth_years,
        married_in,
        county=int(layout.county_code),
        city=layout.city_code,
        province=layout.province_code,
        neighbours=layout.birthplace_codes,
    )
    return Synthetic(
        households=households,
        people=people,
        facts=facts,
        history=story,
        birthplace=birthplace,
        addresses=_addresses(rng, layout, households),
    )


def _addresses(
    rng: np.random.Generator, layout: generator.CountyLayout, households: generator.Households
) -> Callable[[slice], list[str]]:
    """家庭住址: 北关街道桥西社区3号楼2单元1502室 in town, 东阳镇王家庄村23号 in the countryside.

    Numbers are drawn now, strings made per chunk when rows are written.
    """
    places = [
        _short_township(layout.townships[t].name) + village.short_name
        for t, village in zip(layout.village_township.tolist(), layout.villages, strict=True)
    ]
    n = len(households.village)
    house = rng.integers(1, 400, n)
    building, unit = rng.integers(1, 31, n), rng.integers(1, 5, n)
    room = rng.integers(1, 19, n) * 100 + rng.integers(1, 5, n)

    def addresses(part: slice) -> list[str]:
        rows = zip(
            households.village[part].tolist(),
            households.urban[part].tolist(),
            house[part].tolist(),
            building[part].tolist(),
            unit[part].tolist(),
            room[part].tolist(),
            strict=True,
        )
        return [f"{places[v]}{b}号楼{u}单元{r}室" if urban else f"{places[v]}{h}号" for v, urban, h, b, u, r in rows]

    return addresses


def _short_township(name: str) -> str:
    for noise in TOWNSHIP_NAME_NOISE:
        name = name.removesuffix(noise)
    return name


def _write(
    reporter: Reporter, layout: generator.CountyLayout, data: Synthetic, *, seed: int, as_of: dt.date
) -> DemoSummary:
    households, people, facts, story = data.households, data.people, data.facts, data.history
    id_numbers, birth = idgen.assign_id_numbers(
        np.random.default_rng([seed, 1]),
        data.birthplace,
        people.birth,
        people.male,
        existing.id_sequences,
        latest_birth=day_of(as_of) - 7,
    )
    numbers = existing.household_numbers(layout.villages, households.village)
    village_codes = np.array([v.code for v in layout.villages])[households.village]
    household_ids = _ids(Household, len(village_codes))
    person_ids = _ids(Person, len(people))
    enrollments, incomes = story.enrollments, story.incomes
    enrollment_ids = _ids(CategoryEnrollment, len(enrollments["household"]))
    income_ids = _ids(Income, len(incomes["household"]))
    membership_ids = _ids(Membership, len(people))
    now = bulk.now()
    h = people.household
    living = people.deceased_on == generator.NO_DATE
    person_village = village_codes[h]
    hukou_codes = np.array([*layout.all_village_codes, ""])
    hukou_region = np.where(facts.hukou_region >= 0, hukou_codes[facts.hukou_region], person_village)
    relation = generator.RELATIONS[people.relation]
    tables = [
        TableRows(
            Household,
            "写入家庭",
            {
                "id": as_list(household_ids),
                "household_number": as_list(numbers),
                "region_id": as_list(village_codes),
                "address": data.addresses,
                "urban_rural": as_list(np.where(households.urban, "urban", "rural")),
                "status": "active",
                "phone": "",
                "financial_assets": as_money(story.financial_assets),
                "house_count": as_nullable(story.house_count),
                "vehicle_count": as_nullable(story.vehicle_count),
                "created_at": now,
                "updated_at": now,
            },
            len(household_ids),
        ),
        TableRows(
            Person,
            "写入人员",
            {
                "id": as_list(person_ids),
                "id_number": lambda part: idgen.format_id_numbers(id_numbers[part]),
                "name": as_list(people.name),
                "sex": as_list(np.where(people.male, "male", "female")),
                "birth_date": as_dates(birth),
                "region_id": as_list(person_village),
                "hukou_type": as_list(np.where(facts.hukou_urban, "urban", "rural")),
                "hukou_region_code": as_list(hukou_region),
                "phone": "",
                "disability_type": as_labels(facts.disability_type, facts_module.DISABILITY_TYPES),
                "disability_grade": as_nullable(facts.disability_grade),
                "self_care": as_labels(facts.self_care, facts_module.SELF_CARE),
                "labour_capacity": as_labels(facts.labour, facts_module.CAPACITY),
                "health": as_labels(facts.health, facts_module.HEALTH),
                "student": as_labels(facts.student, facts_module.STUDENT),
                "care_setting": as_labels(facts.care_setting, facts_module.CARE_SETTING),
                "special_status": as_labels(facts.special, facts_module.SPECIAL),
                "status": as_list(np.where(living, "active", "deceased")),
                "deceased_on": as_dates(people.deceased_on),
                "created_at": now,
                "updated_at": now,
            },
            len(person_ids),
        ),
        TableRows(
            Membership,
            "写入成员关系",
            {
                "id": as_list(membership_ids),
                "person_id": as_list(person_ids),
                "household_id": as_list(household_ids[h]),
                "relation": as_list(relation),
                "in_household": as_list(facts.in_household),
                "valid_from": as_dates(story.membership_from),
                "valid_to": as_dates(people.deceased_on),
            },
            len(person_ids),
        ),
        TableRows(
            CategoryEnrollment,
            "写入类别认定",
            {
                "id": as_list(enrollment_ids),
                "household_id": as_list(household_ids[enrollments["household"]]),
                "person_id": as_foreign_keys(enrollments["person"], person_ids),
                "category": as_list(history.CATEGORIES[enrollments["category"]]),
                "valid_from": as_dates(enrollments["valid_from"]),
                "valid_to": as_dates(enrollments["valid_to"]),
                "amount_month": as_money(enrollments["amount"]),
                "decision_number": _decision_numbers(layout.county_name, enrollments),
                "note": as_list(enrollments["note"]),
                "end_reason": as_list(enrollments["end_reason"]),
                "created_at": now,
            },
            len(enrollment_ids),
        ),
        TableRows(
            Income,
            "写入收入",
            {
                "id": as_list(income_ids),
                "household_id": as_list(household_ids[incomes["household"]]),
                "person_id": as_foreign_keys(incomes["person"], person_ids),
                "type": as_list(amounts.INCOME_TYPES[incomes["type"]]),
                "amount": as_money(incomes["amount"]),
                "period": as_list(amounts.PERIODS[incomes["period"]]),
                "valid_from": as_dates(incomes["valid_from"]),
                "valid_to": None,
            },
            len(income_ids),
        ),
    ]
    rebuild = len(person_ids) >= REBUILD_INDEXES_FROM and Person.objects.count() <= len(person_ids)
    with bulk.indexes_rebuilt_after([table.model._meta.db_table for table in tables], rebuild=rebuild):
        for table in tables:
            table.write(reporter)
    bulk.reset_sequences()
    tally.rebuild(villages=np.unique(village_codes).tolist())
    return DemoSummary(
        county_code=layout.county_code.ljust(12, "0"),
        county_name=layout.county_name,
        households=len(household_ids),
        persons=len(person_ids),
        enrollments=len(enrollment_ids),
        incomes=len(income_ids),
        townships_with_households=len(set(layout.village_township[households.village].tolist())),
        first_household_number=min(numbers.tolist()),
        last_household_number=max(numbers.tolist()),
        seed=seed,
        as_of=as_of,
        seconds=0.0,
    )


def _ids(model: type[Household | Person | Membership | CategoryEnrollment | Income], count: int) -> np.ndarray:
    allocated = bulk.allocate_ids(model, count)
    return np.arange(allocated.start, allocated.stop, dtype=np.int64)


def _decision_numbers(county_name: str, enrollments: dict[str, np.ndarray]) -> Callable[[slice], list[str]]:
    """决定文号 for 低保 and 特困 enrollments, numbered in order within each year: 榆民低保〔2024〕0123号."""
    category = enrollments["category"]
    years, _, _ = generator.ymd(enrollments["valid_from"])
    numbered = np.isin(category, (history.C_DIBAO, history.C_TEKUN))
    order = np.lexsort((enrollments["valid_from"], years, category))
    sequence = np.zeros(len(category), dtype=np.int64)
    keys = (category * 10_000 + years)[order]
    first = np.r_[True, keys[1:] != keys[:-1]] if len(keys) else np.zeros(0, dtype=bool)
    starts = np.maximum.accumulate(np.where(first, np.arange(len(keys)), 0)) if len(keys) else keys
    sequence[order] = np.arange(len(keys)) - starts + 1
    tekun = category == history.C_TEKUN
    prefix = county_name[:1]

    def numbers(part: slice) -> list[str]:
        rows = zip(
            tekun[part].tolist(), years[part].tolist(), sequence[part].tolist(), numbered[part].tolist(), strict=True
        )
        return [f"{prefix}民{'特困' if t else '低保'}〔{y}〕{s:04d}号" if flag else "" for t, y, s, flag in rows]

    return numbers


DEMO_ACCOUNTS = (
    ("demo_county", Role.COUNTY_MANAGER, "county", Department.CIVIL_AFFAIRS),
    ("demo_supervisor", Role.SUPERVISOR, "county", Department.CIVIL_AFFAIRS),
    ("demo_admin", Role.SYSTEM_ADMIN, "county", Department.CIVIL_AFFAIRS),
    ("demo_township", Role.TOWNSHIP_OFFICER, "township", Department.CIVIL_AFFAIRS),
    ("demo_reviewer", Role.TOWNSHIP_REVIEWER, "township", Department.CIVIL_AFFAIRS),
    ("demo_village", Role.VILLAGE_INFO_WORKER, "village", Department.CIVIL_AFFAIRS),
    ("demo_department_medical", Role.DEPARTMENT_USER, "county", Department.MEDICAL_INSURANCE),
)


@transaction.atomic
def demo_accounts_ensure(*, region_code: str, password: str) -> list[tuple[str, str]]:
    """Create or reset one demo account per role in the county; returns ``[(username, 中文说明)]``.

    County-level roles work at the county, the township roles in the county's first township, the
    village information worker in a village of that township that has households.
    """
    if not settings.JIUZHU_ALLOW_DEMO_ACCOUNTS:
        raise DomainError(
            DemoErrorCode.ACCOUNTS_REFUSED,
            "生产环境不能创建演示账户。演示账户的密码会打印在屏幕上，只能用于演示和测试环境。",
        )
    county = county_resolve(region_code)
    township_info = county_townships(county)[0]
    township = Region.objects.get(code=township_info.code)
    villages = township_villages(township_info)
    busiest = (
        Household.objects.filter(region__parent=township)
        .values("region_id")
        .annotate(total=Count("id"))
        .order_by("-total", "region_id")
        .first()
    )
    village = Region.objects.get(code=busiest["region_id"] if busiest else villages[0].code)
    places = {"county": county, "township": township, "village": village}
    accounts = []
    for username, role, level, department in DEMO_ACCOUNTS:
        region = places[level]
        label = (
            f"{role.label}（{region.name}）"
            if role != Role.DEPARTMENT_USER
            else f"{role.label}·{department.label}（{region.name}）"
        )
        user_create(
            username=username,
            password=password,
            role=role,
            region=region,
            display_name=f"演示{role.label}",
            department=department,
        )
        accounts.append((username, label))
    return accounts
