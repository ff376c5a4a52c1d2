"""Reads of the registry. Every query starts from ``visible_to(user)``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, F, Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404

from jiuzhu.accounts.models import User
from jiuzhu.core import id_numbers
from jiuzhu.regions.models import PREFIX_LENGTH, Region, RegionLevel
from jiuzhu.regions.selectors import region_full_name
from jiuzhu.registry import tally
from jiuzhu.registry.choices import Category, HouseholdStatus
from jiuzhu.registry.models import CategoryEnrollment, Household, Income, Membership, Person


@dataclass(frozen=True)
class HouseholdFilter:
    region_code: str = ""
    category: str = ""
    status: str = ""
    query: str = ""  # exact ID number, household number, or the start of a member's name


def _looks_like_id_number(text: str) -> bool:
    text = id_numbers.normalize(text)
    return len(text) == 18 and text[:17].isdigit()


def looks_like_id_number(text: str) -> bool:
    """Whether a search text is taken as an ID number (exact match) rather than a name or 户编号."""
    return _looks_like_id_number(text)


def looks_like_name(text: str) -> bool:
    """Whether a search text is taken as the start of a member's name (not an ID number, not a 户编号)."""
    text = text.strip()
    return bool(text) and not _looks_like_id_number(text) and not text.isascii()


@contextmanager
def serial_plans() -> Iterator[None]:
    """Read a list page's rows without PostgreSQL's parallel workers (one transaction, ``SET LOCAL``).

    A list ordered by 户编号 under a LIMIT, limited to a township and a rare category, was planned as a
    parallel index scan: the workers handed pages outside the township never find a row, and the Gather Merge
    waits for each of them to reach the end of the index (200 ms instead of 3 ms for the same page read by
    one process). On a web server the other cores serve other requests anyway.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield


def household_list_for(*, user: User, filters: HouseholdFilter, on: dt.date | None = None) -> QuerySet[Household]:
    """Households the user may see, filtered; categories are those current on ``on`` (default today)."""
    households = Household.objects.visible_to(user)
    if filters.region_code:
        households = households.filter(region__code__startswith=filters.region_code)
    if filters.status:
        households = households.filter(status=filters.status)
    if filters.category:
        enrolled = CategoryEnrollment.objects.filter(category=filters.category)
        enrolled = enrolled.active_on(on) if on else enrolled.current()
        households = households.filter(id__in=enrolled.values("household_id"))
    query = filters.query.strip()
    if query:
        if _looks_like_id_number(query):
            members = Membership.objects.current().filter(person__id_number=id_numbers.normalize(query))
            households = households.filter(id__in=members.values("household_id"))
        elif not looks_like_name(query):  # a 户编号 (names are Chinese); one exact index lookup
            households = households.filter(household_number=query)
        else:
            # No OR with the 户编号 here: on PostgreSQL an OR beside the subquery forces a scan of every household.
            members = Membership.objects.current().filter(person__name__startswith=query)
            within = _tally_prefix(user=user, region_code=filters.region_code)
            if within:
                # A person's region is their current household's village (services keep it so): persons
                # outside are dropped before their memberships and households are looked up (a township
                # officer's "王欣": 900 persons in the county, 50 in the township).
                members = members.filter(person__region__code__startswith=within)
            households = households.filter(id__in=members.values("household_id"))
    return households.select_related("region").order_by("household_number")


def _tally_prefix(*, user: User, region_code: str) -> str | None:
    """The region prefix both the user's jurisdiction and the filter allow; ``None`` when they exclude each other
    (or the user has no jurisdiction)."""
    prefix = user.jurisdiction_prefix()
    if prefix is None:
        return None
    if region_code.startswith(prefix):
        return region_code
    return prefix if prefix.startswith(region_code) else None


def household_list_total(*, user: User, filters: HouseholdFilter, on: dt.date | None = None) -> int | None:
    """The number of households ``household_list_for`` lists, read from the village tally (``registry.tally``) when
    there is no search text: a sum over a few thousand rows instead of a count over the whole registry. ``None``
    when it must be counted directly: a search (small results, counted exactly) or a day the tally does not
    describe."""
    if filters.query.strip() or on is None:
        return None
    prefix = _tally_prefix(user=user, region_code=filters.region_code)
    if prefix is None:
        return 0
    return tally.household_total(prefix=prefix, on=on, status=filters.status, category=filters.category)


def households_in_order(*, ids: list[int]) -> list[Household]:
    """Households by primary key, in the order of ``ids`` (ids already read from a jurisdiction-limited list)."""
    found = Household.objects.select_related("region").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def household_page_rows(*, households: list[Household], on: dt.date | None = None) -> list[Household]:
    """Attach ``head``, ``member_count``, ``current_categories`` (labels) and ``category_tags`` (``Category``
    members, statuses first) to one page of households (2 queries). Memberships and categories are those
    in force on ``on`` (default: the open-ended, current ones)."""
    ids = [h.id for h in households]
    members: dict[int, list[Membership]] = {i: [] for i in ids}
    memberships = Membership.objects.filter(household_id__in=ids)
    memberships = memberships.active_on(on) if on else memberships.current()
    for membership in memberships.select_related("person"):
        members[membership.household_id].append(membership)
    enrollments = CategoryEnrollment.objects.filter(household_id__in=ids)
    enrollments = enrollments.active_on(on) if on else enrollments.current()
    found: dict[int, set[Category]] = {i: set() for i in ids}
    for household_id, category in enrollments.order_by().values_list("household_id", "category").distinct():
        found[household_id].add(Category(category))
    order = list(Category)
    for household in households:
        rows = members[household.id]
        tags = sorted(found[household.id], key=order.index)
        household.head = next((m.person for m in rows if m.relation == "head"), None)  # type: ignore[attr-defined]
        household.member_count = len(rows)  # type: ignore[attr-defined]
        household.current_categories = [tag.label for tag in tags]  # type: ignore[attr-defined]
        household.category_tags = tags  # type: ignore[attr-defined]
    return households


def household_get_for(*, user: User, household_id: int) -> Household:
    """One household inside the user's jurisdiction, else 404 (as if missing)."""
    return get_object_or_404(Household.objects.visible_to(user).select_related("region"), pk=household_id)


def household_members(*, household: Household, on: dt.date | None = None) -> list[Membership]:
    """Memberships current (or in force on ``on``), head first."""
    memberships = Membership.objects.filter(household=household)
    memberships = memberships.active_on(on) if on else memberships.current()
    rows = list(
        memberships.select_related("person").prefetch_related(
            Prefetch("person__incomes", queryset=Income.objects.current())
        )
    )
    return sorted(rows, key=lambda m: (m.relation != "head", m.person.birth_date))


def household_membership_history(*, household: Household) -> list[Membership]:
    return list(Membership.objects.filter(household=household).select_related("person").order_by("valid_from", "id"))


def household_enrollment_history(*, household: Household) -> list[CategoryEnrollment]:
    """Every category, tag and flag the household or its members ever had, oldest first."""
    return list(
        CategoryEnrollment.objects.filter(household=household).select_related("person").order_by("valid_from", "id")
    )


def household_enrollments_active_on(*, household: Household, on: dt.date) -> list[CategoryEnrollment]:
    """The household's categories (whole or of one member) in force on ``on``."""
    return list(
        CategoryEnrollment.objects.filter(household=household)
        .active_on(on)
        .select_related("person")
        .order_by("valid_from", "id")
    )


def person_get_for(*, user: User, person_id: int) -> Person:
    return get_object_or_404(Person.objects.visible_to(user), pk=person_id)


def person_current_membership(*, person: Person) -> Membership | None:
    return Membership.objects.current().filter(person=person).select_related("household").first()


def person_latest_membership(*, person: Person) -> Membership | None:
    """The current membership, else the one that ended last (a person who moved out or died)."""
    return (
        Membership.objects.filter(person=person)
        .select_related("household")
        .order_by(F("valid_to").desc(nulls_first=True), "-valid_from", "-id")
        .first()
    )


def person_current_enrollments(*, person: Person, on: dt.date) -> list[CategoryEnrollment]:
    """Categories naming this person individually that are in force on ``on`` (e.g. 特困 of a member who died)."""
    return list(CategoryEnrollment.objects.active_on(on).filter(person=person).order_by("valid_from", "id"))


def membership_get_for(*, user: User, membership_id: int) -> Membership:
    """One membership inside the user's jurisdiction, else 404."""
    return get_object_or_404(
        Membership.objects.visible_to(user).select_related("person", "household"), pk=membership_id
    )


def enrollment_get_for(*, user: User, enrollment_id: int) -> CategoryEnrollment:
    """One category enrollment inside the user's jurisdiction, else 404."""
    return get_object_or_404(
        CategoryEnrollment.objects.visible_to(user).select_related("person", "household"), pk=enrollment_id
    )


@dataclass(frozen=True)
class HouseholdDetail:
    """Everything the household page shows, read in a fixed handful of queries."""

    household: Household
    region_name: str  # 省市县乡村 full name
    members: list[Membership]  # current, head first, each person with current incomes prefetched
    head: Person | None
    membership_history: list[Membership]
    enrollment_history: list[CategoryEnrollment]
    active_enrollments: list[CategoryEnrollment]  # in force on the day asked


def household_detail_for(*, user: User, household_id: int, on: dt.date) -> HouseholdDetail:
    """The household page's data; 404 outside the user's jurisdiction."""
    household = household_get_for(user=user, household_id=household_id)
    memberships = household_membership_history(household=household)
    # The current members are the open rows of the history (one query less than reading them again).
    members = sorted(
        (m for m in memberships if m.valid_to is None), key=lambda m: (m.relation != "head", m.person.birth_date)
    )
    prefetch_related_objects(members, Prefetch("person__incomes", queryset=Income.objects.current()))
    history = household_enrollment_history(household=household)
    active = [e for e in history if e.valid_from <= on and (e.valid_to is None or e.valid_to >= on)]
    return HouseholdDetail(
        household=household,
        region_name=region_full_name(region=household.region),
        members=members,
        head=next((m.person for m in members if m.relation == "head"), None),
        membership_history=memberships,
        enrollment_history=history,
        active_enrollments=active,
    )


def short_region_name(name: str) -> str:
    """The name people say: 羊毫街社区居民委员会 → 羊毫街社区, 东赵村村民委员会 → 东赵村 (official names stay in
    the full region path)."""
    for suffix, replacement in (
        ("社区居民委员会", "社区"),
        ("村村民委员会", "村"),
        ("村民委员会", "村"),
        ("居民委员会", "居委会"),
    ):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)] + replacement
    return name


@dataclass(frozen=True)
class RegionOption:
    code: str
    name: str
    level: str
    prefix: str  # leading code digits of the region and everything under it
    parent_code: str | None
    parent_name: str
    depth: int  # levels below the first level offered, for indentation

    @property
    def short_name(self) -> str:
        return short_region_name(self.name)

    @property
    def indented_name(self) -> str:
        return "\u3000" * self.depth + self.short_name


# Levels a region filter offers below the user's own region: two levels keep a county's list (about
# 300 townships and villages) in one select; a city or province user narrows by county and township.
_LEVEL_ORDER = [
    RegionLevel.NATIONAL,
    RegionLevel.PROVINCE,
    RegionLevel.CITY,
    RegionLevel.COUNTY,
    RegionLevel.TOWNSHIP,
    RegionLevel.VILLAGE,
]
FILTER_LEVELS_BELOW = 2


def region_options_for(*, user: User, villages_only: bool = False) -> list[RegionOption]:
    """Regions inside the user's jurisdiction, in tree order: the next two levels below the user's region
    for a filter, or every village (``villages_only``) for choosing where a household lives."""
    prefix = user.jurisdiction_prefix()
    if prefix is None or user.region is None:
        return []
    own = _LEVEL_ORDER.index(RegionLevel(user.region.level))
    if villages_only:
        levels = [RegionLevel.VILLAGE]
    else:
        levels = _LEVEL_ORDER[own + 1 : own + 1 + FILTER_LEVELS_BELOW] or [RegionLevel.VILLAGE]
    # Every list page needs these (300 for a county): kept per process while the number of regions is the same
    # (the regions are reference data: villages are added, e.g. synthetic ones, not renamed while serving).
    key = (prefix, tuple(levels))
    version = Region.objects.count()
    cached = _REGION_OPTIONS.get(key)
    if cached is not None and cached[0] == version:
        return list(cached[1])
    # Plain values, not model instances: a county's 300 regions and their parents cost 25 ms as objects.
    regions = (
        Region.objects.filter(code__startswith=prefix, level__in=levels)
        .order_by("code")
        .values_list("code", "name", "level", "parent_id", "parent__name")
    )
    first = min(_LEVEL_ORDER.index(level) for level in levels)
    options = [
        RegionOption(
            code=code,
            name=name,
            level=level,
            prefix=code[: PREFIX_LENGTH[RegionLevel(level)]],
            parent_code=parent_code,
            parent_name=parent_name or "",
            depth=_LEVEL_ORDER.index(RegionLevel(level)) - first,
        )
        for code, name, level, parent_code, parent_name in regions
    ]
    _REGION_OPTIONS[key] = (version, tuple(options))
    return options


_REGION_OPTIONS: dict[tuple[str, tuple[str, ...]], tuple[int, tuple[RegionOption, ...]]] = {}


def village_get_for(*, user: User, code: str) -> Region:
    """A village inside the user's jurisdiction, else 404."""
    prefix = user.jurisdiction_prefix()
    if prefix is None or not code.startswith(prefix):
        raise Http404("不在管辖范围内")
    return get_object_or_404(Region, code=code, level=RegionLevel.VILLAGE)


def enrollments_active_on(
    *, user: User, category: str, on: dt.date, region_code: str = ""
) -> QuerySet[CategoryEnrollment]:
    """Enrollments in ``category`` in force on ``on`` inside the user's jurisdiction (and ``region_code``).

    "Who was in 低保 in this village on 2025-06-30" is
    ``enrollments_active_on(user=u, category="dibao", on=date(2025, 6, 30), region_code=village)``.
    """
    enrollments = CategoryEnrollment.objects.visible_to(user).active_on(on).filter(category=category)
    if region_code:
        enrollments = enrollments.filter(household__region__code__startswith=region_code)
    return enrollments.select_related("household", "person")


def persons_in_category_on(*, user: User, category: str, on: dt.date, region_code: str = "") -> QuerySet[Person]:
    """Persons covered by ``category`` on ``on``: members, on that date, of households enrolled whole,
    plus persons enrolled individually."""
    enrollments = enrollments_active_on(user=user, category=category, on=on, region_code=region_code)
    whole = (
        Membership.objects.active_on(on)
        .filter(household_id__in=enrollments.filter(person__isnull=True).values("household_id"))
        .values("person_id")
    )
    individual = enrollments.filter(person__isnull=False).values("person_id")
    return Person.objects.visible_to(user).filter(Q(id__in=whole) | Q(id__in=individual))


def recently_exited(*, household: Household, on: dt.date, years: int) -> list[CategoryEnrollment]:
    """低保/特困 enrollments that ended within ``years`` before ``on`` (extended monitoring scope)."""
    since = (
        on.replace(year=on.year - years)
        if not (on.month == 2 and on.day == 29)
        else on.replace(year=on.year - years, day=28)
    )
    return list(
        CategoryEnrollment.objects.filter(
            household=household, category__in=[Category.DIBAO, Category.TEKUN], valid_to__gte=since, valid_to__lte=on
        )
    )


def household_counts_by_category(*, user: User, on: dt.date) -> dict[str, int]:
    """Home figures within the user's jurisdiction: ``households`` (active households) and, per category, the
    households with it in force on ``on``. Read from the village tally (``registry.tally``); counted directly
    only for a day the tally does not describe."""
    prefix = user.jurisdiction_prefix()
    if prefix is not None:
        figures = tally.household_figures(prefix=prefix, on=on)
        if figures is not None:
            return figures
    counts = {category.value: 0 for category in Category}
    rows = (
        CategoryEnrollment.objects.visible_to(user)
        .active_on(on)
        .order_by()
        .values("category")
        .annotate(households=Count("household_id", distinct=True))
    )
    for row in rows:
        counts[row["category"]] = row["households"]
    counts["households"] = Household.objects.visible_to(user).filter(status=HouseholdStatus.ACTIVE).count()
    return counts


def person_enrollments_for(*, user: User, person: Person) -> list[CategoryEnrollment]:
    """Enrollments covering a person, oldest first: those naming them individually (in any household the
    user may see) and the whole-household ones of their current household."""
    current = Membership.objects.current().filter(person=person).values("household_id")
    covering = Q(person=person) | Q(person__isnull=True, household_id__in=current)
    return list(CategoryEnrollment.objects.visible_to(user).filter(covering).order_by("valid_from", "id"))
