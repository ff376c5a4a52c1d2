"""Test data builders shared by every app's tests (real regions come from the migration).

Jurisdiction used throughout the tests:
- county 榆次区 140702; townships 北关街道 140702001 and 锦纶街道 140702002;
- villages 羊毫街社区 140702001002 and 桥西社区 140702001003 (北关), 乐平社区 140702002009 (锦纶);
- outside: 太谷区 140703 (a synthetic village is made there when needed).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from jiuzhu.accounts.models import Department, Role, User
from jiuzhu.core.id_numbers import with_check_character
from jiuzhu.regions.models import Region, RegionLevel
from jiuzhu.regions.services import regions_load_fixture
from jiuzhu.registry import tally
from jiuzhu.registry.models import CategoryEnrollment, Household, Membership, Person

COUNTY = "140702000000"
TOWNSHIP_A = "140702001000"
TOWNSHIP_B = "140702002000"
VILLAGE_A1 = "140702001002"
VILLAGE_A2 = "140702001003"
VILLAGE_B1 = "140702002009"
OTHER_COUNTY = "140703000000"
OTHER_COUNTY_VILLAGE = "140703100901"

PASSWORD = "ceshi-mima-2026"  # noqa: S105 - test accounts only
_sequence = itertools.count(1)

ROLE_HOME_REGION = {
    Role.VILLAGE_INFO_WORKER: VILLAGE_A1,
    Role.TOWNSHIP_OFFICER: TOWNSHIP_A,
    Role.TOWNSHIP_REVIEWER: TOWNSHIP_A,
    Role.COUNTY_MANAGER: COUNTY,
    Role.DEPARTMENT_USER: COUNTY,
    Role.SUPERVISOR: COUNTY,
    Role.SYSTEM_ADMIN: COUNTY,
}


def region(code: str) -> Region:
    """A real region from the fixture, or the synthetic village outside the jurisdiction."""
    if not Region.objects.filter(level=RegionLevel.NATIONAL).exists():
        # transaction=True tests flush every table, the migration-loaded regions included.
        regions_load_fixture()
    if code == OTHER_COUNTY_VILLAGE:
        township = Region.objects.filter(code__startswith="140703", level=RegionLevel.TOWNSHIP).first()
        assert township is not None
        found, _ = Region.objects.get_or_create(
            code=OTHER_COUNTY_VILLAGE,
            defaults={"name": "测试村", "level": RegionLevel.VILLAGE, "parent": township, "is_synthetic": True},
        )
        return found
    return Region.objects.get(code=code)


def make_user(
    role: Role,
    region_code: str | None = None,
    *,
    username: str | None = None,
    department: Department = Department.CIVIL_AFFAIRS,
) -> User:
    """A user of ``role`` with the test password (fast hasher in test settings)."""
    code = region_code or ROLE_HOME_REGION[role]
    if role == Role.DEPARTMENT_USER and department == Department.CIVIL_AFFAIRS:
        department = Department.MEDICAL_INSURANCE
    user = User(
        username=username or f"{role.value}_{next(_sequence)}",
        role=role,
        region=region(code),
        display_name=f"测试{role.label}",
        department=department,
    )
    user.set_password(PASSWORD)
    user.save()
    return user


def id_number(*, birth: dt.date = dt.date(1960, 5, 1), sex: str = "male", county: str = "140702") -> str:
    """A valid, fictitious ID number, unique within a test run."""
    sequence = next(_sequence) % 500
    digit = sequence * 2 + (1 if sex == "male" else 0)
    return with_check_character(f"{county}{birth:%Y%m%d}{digit:03d}"[:17])


def make_household(
    village_code: str = VILLAGE_A1,
    *,
    members: int = 1,
    urban_rural: str = "rural",
    head_name: str = "张三",
    valid_from: dt.date = dt.date(2024, 1, 1),
    **person_fields: Any,
) -> Household:
    """A household with ``members`` people written directly (tests of services build through services)."""
    village = region(village_code)
    number = f"{village.code}{next(_sequence):05d}"
    household = Household.objects.create(
        household_number=number, region=village, urban_rural=urban_rural, address=f"{village.name}{next(_sequence)}号"
    )
    relations = ["head", "spouse", "son", "daughter", "parent", "grandchild"]
    for index in range(members):
        birth = dt.date(1960 + index * 7, 5, 1)
        sex = "male" if index % 2 == 0 else "female"
        person = Person.objects.create(
            id_number=id_number(birth=birth, sex=sex),
            name=head_name if index == 0 else f"{head_name[0]}成员{index}",
            sex=sex,
            birth_date=birth,
            region=village,
            hukou_type=urban_rural,
            **person_fields,
        )
        Membership.objects.create(
            person=person, household=household, relation=relations[index % len(relations)], valid_from=valid_from
        )
    tally.rebuild(villages=[village.code])  # written directly, so the village tally is re-derived as bulk loads do
    return household


def make_enrollment(
    household: Household,
    category: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    person: Person | None = None,
    **fields: Any,
) -> CategoryEnrollment:
    """A category enrollment of the household (or of ``person`` in it) written directly, not by a service."""
    enrollment = CategoryEnrollment.objects.create(
        household=household, category=category, valid_from=valid_from, valid_to=valid_to, person=person, **fields
    )
    tally.rebuild(villages=[household.region_id])  # the village tally counts categories
    return enrollment
