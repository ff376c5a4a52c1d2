"""Reads of the registry. Every query starts from ``visible_to(user)``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from jiuzhu.accounts.models import User
from jiuzhu.core import id_numbers
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
        else:
            members = Membership.objects.current().filter(person__name__startswith=query)
            households = households.filter(Q(id__in=members.values("household_id")) | Q(household_number=query))
    return households.select_related("region").order_by("household_number")


def household_page_rows(*, households: list[Household]) -> list[Household]:
    """Attach ``head``, ``member_count`` and ``current_categories`` to one page of households (3 queries)."""
    ids = [h.id for h in households]
    members: dict[int, list[Membership]] = {i: [] for i in ids}
    for membership in Membership.objects.current().filter(household_id__in=ids).select_related("person"):
        members[membership.household_id].append(membership)
    categories: dict[int, list[str]] = {i: [] for i in ids}
    for enrollment in CategoryEnrollment.objects.current().filter(household_id__in=ids).order_by("category"):
        label = Category(enrollment.category).label
        if label not in categories[enrollment.household_id]:
            categories[enrollment.household_id].append(label)
    for household in households:
        rows = members[household.id]
        household.head = next((m.person for m in rows if m.relation == "head"), None)  # type: ignore[attr-defined]
        household.member_count = len(rows)  # type: ignore[attr-defined]
        household.current_categories = categories[household.id]  # type: ignore[attr-defined]
    return households


def household_get_for(*, user: User, household_id: int) -> Household:
    """One household inside the user's jurisdiction, else 404 (as if missing)."""
    return get_object_or_404(Household.objects.visible_to(user).select_related("region"), pk=household_id)


def household_members(*, household: Household, on: dt.date | None = None) -> list[Membership]:
    """Memberships current (or in force on ``on``), head first."""
    memberships = Membership.objects.filter(household=household)
    memberships = memberships.active_on(on) if on else memberships.current()
    rows = list(memberships.select_related("person").prefetch_related(
        Prefetch("person__incomes", queryset=Income.objects.current())))
    return sorted(rows, key=lambda m: (m.relation != "head", m.person.birth_date))


def household_membership_history(*, household: Household) -> list[Membership]:
    return list(Membership.objects.filter(household=household).select_related("person")
                .order_by("valid_from", "id"))


def household_enrollment_history(*, household: Household) -> list[CategoryEnrollment]:
    """Every category, tag and flag the household or its members ever had, oldest first."""
    return list(CategoryEnrollment.objects.filter(household=household).select_related("person")
                .order_by("valid_from", "id"))


def person_get_for(*, user: User, person_id: int) -> Person:
    return get_object_or_404(Person.objects.visible_to(user), pk=person_id)


def person_current_membership(*, person: Person) -> Membership | None:
    return Membership.objects.current().filter(person=person).select_related("household").first()


def enrollments_active_on(*, user: User, category: str, on: dt.date, region_code: str = "") -> QuerySet[CategoryEnrollment]:
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
    whole = Membership.objects.active_on(on).filter(
        household_id__in=enrollments.filter(person__isnull=True).values("household_id")).values("person_id")
    individual = enrollments.filter(person__isnull=False).values("person_id")
    return Person.objects.visible_to(user).filter(Q(id__in=whole) | Q(id__in=individual))


def recently_exited(*, household: Household, on: dt.date, years: int) -> list[CategoryEnrollment]:
    """低保/特困 enrollments that ended within ``years`` before ``on`` (extended monitoring scope)."""
    since = on.replace(year=on.year - years) if not (on.month == 2 and on.day == 29) else on.replace(
        year=on.year - years, day=28)
    return list(CategoryEnrollment.objects.filter(
        household=household, category__in=[Category.DIBAO, Category.TEKUN],
        valid_to__gte=since, valid_to__lte=on))


def household_counts_by_category(*, user: User, on: dt.date) -> dict[str, int]:
    """Households per current category within the user's jurisdiction (home page figures)."""
    counts = {category.value: 0 for category in Category}
    rows = (CategoryEnrollment.objects.visible_to(user).active_on(on).values("category")
            .annotate(households=Count("household_id", distinct=True)))
    for row in rows:
        counts[row["category"]] = row["households"]
    counts["households"] = Household.objects.visible_to(user).filter(status=HouseholdStatus.ACTIVE).count()
    return counts
