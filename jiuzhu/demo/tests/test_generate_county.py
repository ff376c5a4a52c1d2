"""One generated county of 3,000 households, checked against the figures and rules it imitates.

The county is generated once for the module inside a transaction that is rolled back afterwards;
each test runs in a savepoint inside it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from django.db.models import Count

from jiuzhu.accounts.models import Role
from jiuzhu.audit.models import AuditEvent
from jiuzhu.audit.tags import AuditTag
from jiuzhu.core import id_numbers
from jiuzhu.core.testing import factories
from jiuzhu.demo.amounts import DemoStandards
from jiuzhu.demo.commands import DemoSummary, demo_generate
from jiuzhu.regions.models import Region, RegionLevel
from jiuzhu.registry import selectors
from jiuzhu.registry.models import CategoryEnrollment, Household, Income, Membership, Person

AS_OF = dt.date(2026, 11, 23)
HOUSEHOLDS = 3000
COUNTED_INCOME = ("wage", "business", "pension", "support_payment")


@pytest.fixture(scope="module")
def county(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[DemoSummary]:
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        yield demo_generate(households=HOUSEHOLDS, region_code="140702", seed=7, as_of=AS_OF)
        transaction.set_rollback(True)


@pytest.fixture
def data(county: DemoSummary, db: None) -> DemoSummary:
    return county


def age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def current_members() -> dict[int, list[Membership]]:
    members: dict[int, list[Membership]] = defaultdict(list)
    for membership in Membership.objects.current().select_related("person"):
        members[membership.household_id].append(membership)
    return members


def test_generates_the_households_asked_for_with_one_audit_record(data: DemoSummary) -> None:
    assert Household.objects.count() == HOUSEHOLDS == data.households
    assert Person.objects.count() == data.persons
    events = AuditEvent.objects.filter(tag=AuditTag.DEMO_GENERATE)
    assert events.count() == 1
    event = events.get()
    assert event.after is not None
    assert event.after["households"] == HOUSEHOLDS
    assert event.region_code == "140702000000"


def test_person_shares_follow_the_national_low_income_database(data: DemoSummary) -> None:
    # given the national shares of persons (DOMAIN.md §7): 低保 60 %, 特困 7 %, 边缘 9 %, 刚性 2 %, 其他 20 %
    persons = Person.objects.filter(status="active").count()
    statuses = ("dibao", "marginal", "rigid_expense", "other_hardship")
    household_status = dict(
        CategoryEnrollment.objects.current()
        .filter(person__isnull=True, category__in=statuses)
        .values_list("household_id", "category")
    )
    per_person = Counter(
        household_status.get(h) for h in Membership.objects.current().values_list("household_id", flat=True)
    )
    individual = Counter(
        CategoryEnrollment.objects.current().filter(person__isnull=False).values_list("category", flat=True)
    )
    shares = {
        category: (per_person[category] + individual[category]) / persons * 100 for category in (*statuses, "tekun")
    }
    # then each share is near the national one
    assert 56 <= shares["dibao"] <= 64, shares
    assert 5 <= shares["tekun"] <= 9, shares
    assert 7 <= shares["marginal"] <= 11.5, shares
    assert 1 <= shares["rigid_expense"] <= 3.2, shares
    assert 16 <= shares["other_hardship"] <= 24, shares


def test_each_household_and_person_has_at_most_one_current_status(data: DemoSummary) -> None:
    statuses = ("tekun", "dibao", "marginal", "rigid_expense", "other_hardship")
    current = CategoryEnrollment.objects.current().filter(category__in=statuses)
    whole = Counter(current.filter(person__isnull=True).values_list("household_id", flat=True))
    alone = Counter(current.filter(person__isnull=False).values_list("person_id", flat=True))
    assert max(whole.values()) == 1
    assert max(alone.values()) == 1
    # every household has a status: a household-level one, or 特困 members
    tekun_households = set(current.filter(category="tekun").values_list("household_id", flat=True))
    assert set(whole) | tekun_households == set(Household.objects.values_list("id", flat=True))


def test_tekun_is_enrolled_per_person_mostly_alone_elderly_or_disabled(data: DemoSummary) -> None:
    enrollments = CategoryEnrollment.objects.current().filter(category="tekun").select_related("person")
    assert enrollments.filter(person__isnull=True).count() == 0
    members = current_members()
    alone = 0
    for enrollment in enrollments:
        person = enrollment.person
        assert person is not None
        age = age_on(person.birth_date, AS_OF)
        assert age >= 60 or age < 18 or person.disability_grade is not None, person.pk
        assert person.labour_capacity == "none"
        assert person.care_setting in ("institutional", "home_based")
        assert enrollment.amount_month is not None
        assert enrollment.amount_month > 0
        alone += len(members[enrollment.household_id]) == 1
    assert alone / enrollments.count() > 0.7
    assert (
        Person.objects.exclude(id__in=enrollments.values("person_id")).filter(care_setting__isnull=False).count() == 0
    )


def test_every_id_number_is_valid_and_agrees_with_birth_date_and_sex(data: DemoSummary) -> None:
    for number, birth, sex in Person.objects.values_list("id_number", "birth_date", "sex"):
        facts = id_numbers.parse(number)
        assert (facts.birth_date, facts.sex) == (birth, sex), number


def test_id_numbers_start_with_real_codes_of_the_county_its_city_province_or_neighbours(data: DemoSummary) -> None:
    allowed = {"140702", "140700", "140000"} | {
        code[:6]
        for code in Region.objects.filter(parent_id="140700000000", level=RegionLevel.COUNTY).values_list(
            "code", flat=True
        )
    }
    places = Counter(n[:6] for n in Person.objects.values_list("id_number", flat=True))
    assert set(places) <= allowed
    assert places["140702"] / sum(places.values()) > 0.7
    # older people more often carry the city's or the province's code
    old = Person.objects.filter(birth_date__year__lt=1975, id_number__regex=r"^14(0000|0700)").count()
    young = Person.objects.filter(birth_date__year__gte=1990, id_number__regex=r"^14(0000|0700)").count()
    assert old > 0
    assert young == 0


def test_no_two_active_people_share_an_id_number(data: DemoSummary) -> None:
    duplicates = Person.objects.filter(status="active").values("id_number").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()
    assert Person.objects.values("id_number").distinct().count() == Person.objects.count()


def test_households_spread_over_townships_and_the_first_township_has_some(data: DemoSummary) -> None:
    townships = Counter(code[:9] for code in Household.objects.values_list("region_id", flat=True))
    assert len(townships) >= 3
    first = Region.objects.filter(parent_id="140702000000", level=RegionLevel.TOWNSHIP).order_by("code").first()
    assert first is not None
    assert townships[first.code[:9]] > 0
    assert max(townships.values()) < HOUSEHOLDS * 0.5
    # 榆次区 has real villages in the fixture: none are made up
    assert not Region.objects.filter(code__startswith="140702", is_synthetic=True).exists()
    assert Household.objects.filter(region__level=RegionLevel.VILLAGE).count() == HOUSEHOLDS


def test_household_sizes_run_from_one_to_six_and_rural_households_are_larger(data: DemoSummary) -> None:
    members = current_members()
    sizes = Counter(len(m) for m in members.values())
    assert set(sizes) <= set(range(1, 7))
    assert sizes[1] > 0
    assert sizes[5] + sizes[6] > 0
    urban_rural = dict(Household.objects.values_list("id", "urban_rural"))
    average = {
        kind: sum(len(m) for h, m in members.items() if urban_rural[h] == kind)
        / sum(1 for h in members if urban_rural[h] == kind)
        for kind in ("urban", "rural")
    }
    assert average["rural"] > average["urban"]
    # 街道 villages are mostly urban, 乡 villages mostly rural
    street = Household.objects.filter(region__code__regex=r"^140702(00[1-9]|0[1-9]\d)")
    township = Household.objects.filter(region__code__regex=r"^140702[23]\d\d")
    assert street.filter(urban_rural="urban").count() > 0.8 * street.count()
    assert township.filter(urban_rural="rural").count() > 0.8 * township.count()


def test_relations_and_birth_dates_agree_with_the_household_structure(data: DemoSummary) -> None:
    checked: Counter[str] = Counter()
    for household_members in current_members().values():
        by_relation = defaultdict(list)
        for membership in household_members:
            by_relation[membership.relation].append(membership.person)
        assert len(by_relation["head"]) == 1
        head = by_relation["head"][0]
        for spouse in by_relation["spouse"]:
            assert spouse.sex != head.sex
            assert abs(spouse.birth_date.year - head.birth_date.year) <= 15
            checked["spouse"] += 1
        parents = [head, *by_relation["spouse"]]
        for child in by_relation["son"] + by_relation["daughter"]:
            assert child.sex == ("male" if child in by_relation["son"] else "female")
            assert any(14 <= child.birth_date.year - p.birth_date.year <= 42 for p in parents), child.pk
            checked["child"] += 1
        for parent in by_relation["parent"]:
            assert 12 <= head.birth_date.year - parent.birth_date.year <= 48
            checked["parent"] += 1
        for grandchild in by_relation["grandchild"]:
            assert grandchild.birth_date.year - head.birth_date.year >= 34
            checked["grandchild"] += 1
    assert min(checked.values()) > 10, checked


def test_disability_is_six_to_eight_percent_and_commoner_among_the_elderly(data: DemoSummary) -> None:
    people = list(
        Person.objects.filter(status="active").values_list("birth_date", "disability_type", "disability_grade")
    )
    disabled = [p for p in people if p[2] is not None]
    assert 0.05 <= len(disabled) / len(people) <= 0.10
    assert all(p[1] and 1 <= p[2] <= 4 for p in disabled)
    assert all(p[1] is None for p in people if p[2] is None)
    elderly = [p for p in people if age_on(p[0], AS_OF) >= 60]
    younger = [p for p in people if age_on(p[0], AS_OF) < 60]
    share = {
        name: sum(p[2] is not None for p in group) / len(group)
        for name, group in (("elderly", elderly), ("younger", younger))
    }
    assert share["elderly"] > share["younger"]


def test_labour_capacity_self_care_and_schooling_agree_with_age_and_disability(data: DemoSummary) -> None:
    school_age = total_school_age = 0
    for person in Person.objects.filter(status="active"):
        age = age_on(person.birth_date, AS_OF)
        if age < 16 or age >= 70:
            assert person.labour_capacity == "none", person.pk
        if person.disability_grade in (1, 2):
            assert person.labour_capacity in ("none", None), person.pk
        if person.self_care == "none":
            assert person.labour_capacity in ("none", None)
        if age < 6:
            assert person.self_care is None
            assert person.student is None
        if 7 <= age <= 14:
            total_school_age += 1
            school_age += person.student in ("primary", "junior_secondary")
        if age >= 30:
            assert person.student in (None,), person.pk
    assert school_age / total_school_age > 0.9


def test_dibao_allowance_is_the_gap_between_standard_and_counted_income(data: DemoSummary) -> None:
    # given the demo county's (fictitious) standards
    standards = DemoStandards.for_county("140702")
    members = current_members()
    incomes: dict[int, Decimal] = defaultdict(Decimal)
    for household_id, amount, period in Income.objects.filter(type__in=COUNTED_INCOME).values_list(
        "household_id", "amount", "period"
    ):
        incomes[household_id] += (amount / 12).quantize(Decimal("0.01"), ROUND_HALF_UP) if period == "year" else amount
    enrollments = CategoryEnrollment.objects.current().filter(category="dibao", person__isnull=True)
    assert enrollments.count() > HOUSEHOLDS * 0.5
    for enrollment in enrollments.select_related("household"):
        urban = enrollment.household.urban_rural == "urban"
        standard = Decimal(standards.urban_month if urban else standards.rural_month) / 100
        counted = sum(1 for m in members[enrollment.household_id] if m.in_household)
        gap = (standard * counted - incomes[enrollment.household_id]).quantize(Decimal("1"), ROUND_HALF_UP)
        # then the allowance is that gap, in whole 元, and below the standard for the household
        assert enrollment.amount_month == max(gap, Decimal(10)), enrollment.pk
        assert 0 < enrollment.amount_month <= standard * counted
        assert re.fullmatch(r"榆民低保〔\d{4}〕\d{4}号", enrollment.decision_number)


def test_incomes_are_decimal_with_periods_and_excluded_kinds(data: DemoSummary) -> None:
    kinds = Counter(Income.objects.values_list("type", flat=True))
    assert {"wage", "business", "basic_pension", "disability_subsidy", "support_payment"} <= set(kinds)
    assert set(Income.objects.values_list("period", flat=True)) == {"month", "year"}
    assert Income.objects.filter(type="business", person__isnull=False).count() == 0
    for amount in Income.objects.values_list("amount", flat=True)[:500]:
        assert isinstance(amount, Decimal)
        assert amount > 0
        assert amount == amount.quantize(Decimal("0.01"))


def test_assets_are_known_for_most_households_and_unknown_for_some(data: DemoSummary) -> None:
    unknown = Household.objects.filter(financial_assets__isnull=True).count()
    assert 0 < unknown < HOUSEHOLDS * 0.3
    assert Household.objects.filter(financial_assets__gt=0).exists()


def test_relapse_watch_tags_about_five_percent_of_rural_households(data: DemoSummary) -> None:
    rural = Household.objects.filter(urban_rural="rural")
    tagged = CategoryEnrollment.objects.current().filter(category="relapse_watch")
    assert tagged.exclude(household__urban_rural="rural").count() == 0
    assert 0.03 <= tagged.count() / rural.count() <= 0.08
    assert CategoryEnrollment.objects.filter(category="relapse_watch", valid_to__isnull=False).exists()


def test_former_poor_households_were_registered_poor_until_the_day_before(data: DemoSummary) -> None:
    former = CategoryEnrollment.objects.filter(category="former_poor")
    assert former.count() > 0
    registered = dict(
        CategoryEnrollment.objects.filter(category="registered_poor").values_list("household_id", "valid_to")
    )
    for household_id, valid_from in former.values_list("household_id", "valid_from"):
        assert registered[household_id] == valid_from - dt.timedelta(days=1)
        assert dt.date(2016, 12, 31) <= registered[household_id] <= dt.date(2020, 12, 31)


def test_someone_was_in_dibao_on_a_past_date_but_is_not_now(data: DemoSummary) -> None:
    # given a county officer
    officer = factories.make_user(Role.COUNTY_MANAGER)
    # when asking who was in 低保 on 2025-06-30 and who is now
    past = set(
        selectors.enrollments_active_on(user=officer, category="dibao", on=dt.date(2025, 6, 30))
        .filter(person__isnull=True)
        .values_list("household_id", flat=True)
    )
    now = set(
        selectors.enrollments_active_on(user=officer, category="dibao", on=AS_OF)
        .filter(person__isnull=True)
        .values_list("household_id", flat=True)
    )
    # then the answers differ both ways: households left, others joined
    left = past - now
    assert left
    assert now - past
    household = Household.objects.get(pk=min(left))
    exits = selectors.recently_exited(household=household, on=AS_OF, years=2)
    assert exits
    assert exits[0].end_reason


def test_exits_refusals_and_returns_are_in_the_history(data: DemoSummary) -> None:
    ended = CategoryEnrollment.objects.filter(category__in=("dibao", "tekun"), valid_to__isnull=False)
    two_years_ago = AS_OF - dt.timedelta(days=730)
    recent = ended.filter(valid_to__gte=two_years_ago).values("household_id").distinct().count()
    assert 0.03 * HOUSEHOLDS <= recent <= 0.12 * HOUSEHOLDS
    assert ended.filter(valid_to__lt=two_years_ago).exists()
    returned = (
        CategoryEnrollment.objects.filter(category="dibao")
        .values("household_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert returned.exists()
    refused = CategoryEnrollment.objects.filter(category="refused_applicant")
    assert refused.exists()
    assert all(r.valid_from >= AS_OF - dt.timedelta(days=731) for r in refused)
    for enrollment in CategoryEnrollment.objects.filter(valid_to__isnull=False):
        assert enrollment.valid_from <= enrollment.valid_to <= AS_OF
    assert not CategoryEnrollment.objects.filter(valid_from__gt=AS_OF).exists()


def test_members_are_on_the_household_before_its_first_enrollment(data: DemoSummary) -> None:
    assert CategoryEnrollment.objects.values("household_id").distinct().count() == HOUSEHOLDS
    heads = dict(Membership.objects.filter(relation="head").values_list("household_id", "valid_from"))
    earliest: defaultdict[int, dt.date] = defaultdict(lambda: AS_OF)
    for household_id, valid_from in CategoryEnrollment.objects.values_list("household_id", "valid_from"):
        earliest[household_id] = min(earliest[household_id], valid_from)
    assert all(heads[h] <= earliest[h] for h in heads)
    deceased = Person.objects.filter(status="deceased")
    assert deceased.exists()
    for person in deceased:
        membership = person.memberships.get()
        assert membership.valid_to == person.deceased_on
        assert membership.valid_from < membership.valid_to


def test_names_are_chinese_with_common_surnames_first(data: DemoSummary) -> None:
    names = list(Person.objects.values_list("name", flat=True))
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", name) for name in names)
    surnames = Counter(name[0] for name in names)
    top = [s for s, _ in surnames.most_common(5)]
    assert {"王", "李", "张"} & set(top[:3])
    assert len(surnames) > 60
    # a grandmother's and a granddaughter's names come from different generations' lists
    old = Counter(
        n[1:] for n, b in Person.objects.filter(sex="female").values_list("name", "birth_date") if b.year < 1950
    )
    young = Counter(
        n[1:] for n, b in Person.objects.filter(sex="female").values_list("name", "birth_date") if b.year >= 2005
    )
    assert not {n for n, _ in old.most_common(5)} & {n for n, _ in young.most_common(5)}
