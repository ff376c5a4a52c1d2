"""Registry reads: scoped to the jurisdiction, effective-dated, and a fixed number of queries per page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from jiuzhu.accounts.models import Role, User
from jiuzhu.core.testing import factories
from jiuzhu.registry import selectors
from jiuzhu.registry.models import Household, Membership, Person
from jiuzhu.registry.selectors import HouseholdFilter

pytestmark = pytest.mark.django_db

ON = dt.date(2025, 6, 30)


def members(household: Household) -> list[Person]:
    return [m.person for m in Membership.objects.filter(household=household).select_related("person")]


# ---------------------------------------------------------------- who was in 低保 on a day


def test_who_was_in_dibao_in_this_village_on_2025_06_30(county_manager: User) -> None:
    # given households of 羊毫街社区 entering and leaving 低保 around 2025-06-30
    open_since_2024 = factories.make_household(factories.VILLAGE_A1)
    ends_that_day = factories.make_household(factories.VILLAGE_A1)
    ended_the_day_before = factories.make_household(factories.VILLAGE_A1)
    starts_that_day = factories.make_household(factories.VILLAGE_A1)
    starts_the_day_after = factories.make_household(factories.VILLAGE_A1)
    marginal_instead = factories.make_household(factories.VILLAGE_A1)
    other_village = factories.make_household(factories.VILLAGE_A2)
    factories.make_enrollment(open_since_2024, "dibao", dt.date(2024, 1, 1))
    factories.make_enrollment(ends_that_day, "dibao", dt.date(2024, 1, 1), valid_to=ON)
    factories.make_enrollment(ended_the_day_before, "dibao", dt.date(2024, 1, 1), valid_to=ON - dt.timedelta(days=1))
    factories.make_enrollment(starts_that_day, "dibao", ON)
    factories.make_enrollment(starts_the_day_after, "dibao", ON + dt.timedelta(days=1))
    factories.make_enrollment(marginal_instead, "marginal", dt.date(2024, 1, 1))
    factories.make_enrollment(other_village, "dibao", dt.date(2024, 1, 1))
    # when asked for the village on that day
    found = selectors.enrollments_active_on(
        user=county_manager, category="dibao", on=ON, region_code=factories.VILLAGE_A1
    )
    # then exactly those in force on the day, both ends inclusive
    assert {e.household_id for e in found} == {open_since_2024.pk, ends_that_day.pk, starts_that_day.pk}
    # and the whole county adds the other village
    county = selectors.enrollments_active_on(user=county_manager, category="dibao", on=ON)
    assert other_village.pk in {e.household_id for e in county}


def test_persons_in_dibao_on_a_day_follow_membership_dates(county_manager: User) -> None:
    household = factories.make_household(factories.VILLAGE_A1, members=4, valid_from=dt.date(2024, 1, 1))
    head, spouse, son, daughter = members(household)
    Membership.objects.filter(person=son).update(valid_to=dt.date(2025, 5, 31))  # left before the day
    Membership.objects.filter(person=daughter).update(valid_from=dt.date(2025, 7, 1))  # joined after
    factories.make_enrollment(household, "dibao", dt.date(2024, 1, 1))
    alone = factories.make_household(factories.VILLAGE_A1, members=2)
    _alone_head, alone_spouse = members(alone)
    factories.make_enrollment(alone, "dibao", dt.date(2025, 1, 1), person=alone_spouse)  # 单人保: only her
    outside = factories.make_household(factories.VILLAGE_B1)
    factories.make_enrollment(outside, "dibao", dt.date(2024, 1, 1))

    village = selectors.persons_in_category_on(
        user=county_manager, category="dibao", on=ON, region_code=factories.VILLAGE_A1
    )
    assert set(village) == {head, spouse, alone_spouse}

    worker = factories.make_user(Role.VILLAGE_INFO_WORKER, factories.VILLAGE_A1)
    assert set(selectors.persons_in_category_on(user=worker, category="dibao", on=ON)) == {head, spouse, alone_spouse}
    officer_b = factories.make_user(Role.TOWNSHIP_OFFICER, factories.TOWNSHIP_B)
    assert set(selectors.persons_in_category_on(user=officer_b, category="dibao", on=ON)) == set(members(outside))


# ---------------------------------------------------------------- list and page rows


def test_household_list_is_limited_to_the_jurisdiction() -> None:
    a1 = factories.make_household(factories.VILLAGE_A1)
    a2 = factories.make_household(factories.VILLAGE_A2)
    b1 = factories.make_household(factories.VILLAGE_B1)
    worker = factories.make_user(Role.VILLAGE_INFO_WORKER)
    officer = factories.make_user(Role.TOWNSHIP_OFFICER)
    county = factories.make_user(Role.COUNTY_MANAGER)
    nobody = factories.make_user(Role.COUNTY_MANAGER)
    nobody.is_active = False
    assert set(selectors.household_list_for(user=worker, filters=HouseholdFilter())) == {a1}
    assert set(selectors.household_list_for(user=officer, filters=HouseholdFilter())) == {a1, a2}
    assert set(selectors.household_list_for(user=county, filters=HouseholdFilter())) == {a1, a2, b1}
    assert not selectors.household_list_for(user=nobody, filters=HouseholdFilter()).exists()
    # a region filter cannot widen the jurisdiction
    wider = HouseholdFilter(region_code="140702")
    assert set(selectors.household_list_for(user=worker, filters=wider)) == {a1}


def test_household_search_matches_current_members_only(county_manager: User) -> None:
    household = factories.make_household(factories.VILLAGE_A1, members=2, head_name="孙悟")
    spouse = members(household)[1]
    found = selectors.household_list_for(user=county_manager, filters=HouseholdFilter(query=spouse.id_number))
    assert list(found) == [household]
    Membership.objects.filter(person=spouse).update(valid_to=dt.date(2025, 1, 1))
    found = selectors.household_list_for(user=county_manager, filters=HouseholdFilter(query=spouse.id_number))
    assert not found.exists()
    by_name = selectors.household_list_for(user=county_manager, filters=HouseholdFilter(query="孙"))
    assert list(by_name) == [household]


@pytest.mark.parametrize(
    ("text", "is_id", "is_name"),
    [
        pytest.param("14070219600501123X", True, False, id="18位身份证号"),
        pytest.param("14070219600501123x", True, False, id="小写x的身份证号"),
        pytest.param("14070200100200001", False, False, id="户编号"),
        pytest.param("YC-2023-01", False, False, id="外来户编号"),
        pytest.param("张", False, True, id="姓"),
        pytest.param(" 欧阳秀 ", False, True, id="复姓和名"),
        pytest.param("", False, False, id="空"),
    ],
)
def test_search_text_is_read_as_id_number_household_number_or_name(text: str, is_id: bool, is_name: bool) -> None:
    assert selectors.looks_like_id_number(text) is is_id
    assert selectors.looks_like_name(text) is is_name


def test_household_page_rows_attach_head_count_and_tags_in_two_queries(county_manager: User) -> None:
    households = [factories.make_household(factories.VILLAGE_A1, members=3, head_name=f"周{i}") for i in range(5)]
    factories.make_enrollment(households[0], "relapse_watch", dt.date(2024, 1, 1))
    factories.make_enrollment(households[0], "dibao", dt.date(2024, 1, 1))
    factories.make_enrollment(households[1], "dibao", dt.date(2024, 1, 1), valid_to=dt.date(2024, 12, 31))
    factories.make_enrollment(households[2], "tekun", dt.date(2099, 1, 1))  # decided, not yet in force
    page = list(selectors.household_list_for(user=county_manager, filters=HouseholdFilter()))
    with CaptureQueriesContext(connection) as queries:
        rows = selectors.household_page_rows(households=page, on=ON)
    assert len(queries) == 2
    first = next(h for h in rows if h.pk == households[0].pk)
    assert first.head.name == "周0"  # type: ignore[attr-defined]
    assert first.member_count == 3  # type: ignore[attr-defined]
    assert [c.value for c in first.category_tags] == ["dibao", "relapse_watch"]  # type: ignore[attr-defined]
    assert first.current_categories == ["低保", "防返贫监测"]  # type: ignore[attr-defined]
    second = next(h for h in rows if h.pk == households[1].pk)
    assert second.category_tags == []  # type: ignore[attr-defined]
    third = next(h for h in rows if h.pk == households[2].pk)
    assert third.category_tags == []  # type: ignore[attr-defined]


def test_household_detail_is_404_outside_the_jurisdiction() -> None:
    household = factories.make_household(factories.VILLAGE_A2)
    worker = factories.make_user(Role.VILLAGE_INFO_WORKER)
    with pytest.raises(Http404):
        selectors.household_detail_for(user=worker, household_id=household.pk, on=ON)
    with pytest.raises(Http404):
        selectors.person_get_for(user=worker, person_id=members(household)[0].pk)
    with pytest.raises(Http404):
        selectors.membership_get_for(user=worker, membership_id=Membership.objects.get(household=household).pk)
    enrollment = factories.make_enrollment(household, "dibao", dt.date(2024, 1, 1))
    with pytest.raises(Http404):
        selectors.enrollment_get_for(user=worker, enrollment_id=enrollment.pk)


def test_household_detail_collects_current_and_past(county_manager: User) -> None:
    household = factories.make_household(factories.VILLAGE_A1, members=3, head_name="吴一")
    head, spouse, son = members(household)
    Membership.objects.filter(person=son).update(valid_to=dt.date(2025, 1, 1))
    ended = factories.make_enrollment(household, "dibao", dt.date(2023, 1, 1), valid_to=dt.date(2024, 12, 31))
    current = factories.make_enrollment(household, "marginal", dt.date(2025, 1, 1))
    detail = selectors.household_detail_for(user=county_manager, household_id=household.pk, on=ON)
    assert detail.head == head
    assert [m.person for m in detail.members] == [head, spouse]
    assert len(detail.membership_history) == 3
    assert detail.enrollment_history == [ended, current]
    assert detail.active_enrollments == [current]
    assert detail.region_name == "山西省晋中市榆次区北关街道羊毫街社区居民委员会"


# ---------------------------------------------------------------- regions offered


def test_region_options_follow_the_jurisdiction(county_manager: User, village_worker: User) -> None:
    county = selectors.region_options_for(user=county_manager)
    codes = [o.code for o in county]
    assert codes == sorted(codes)
    assert all(c.startswith("140702") for c in codes)
    township = next(o for o in county if o.code == factories.TOWNSHIP_A)
    village = next(o for o in county if o.code == factories.VILLAGE_A1)
    assert (township.depth, township.prefix) == (0, "140702001")
    assert (village.depth, village.indented_name, village.prefix) == (1, "\u3000羊毫街社区", factories.VILLAGE_A1)
    assert [o.code for o in selectors.region_options_for(user=village_worker)] == [factories.VILLAGE_A1]
    villages = selectors.region_options_for(user=county_manager, villages_only=True)
    assert {o.level for o in villages} == {"village"}
    assert next(o for o in villages if o.code == factories.VILLAGE_B1).parent_name == "锦纶街道"


@pytest.mark.parametrize(
    ("official", "short"),
    [
        pytest.param("羊毫街社区居民委员会", "羊毫街社区", id="社区居民委员会→社区"),
        pytest.param("南砖井村村民委员会", "南砖井村", id="某村村民委员会→某村"),
        pytest.param("东阳村民委员会", "东阳村", id="村民委员会→村"),
        pytest.param("西街居民委员会", "西街居委会", id="居民委员会→居委会"),
        pytest.param("北关街道", "北关街道", id="其他名称不变"),
    ],
)
def test_short_region_name(official: str, short: str) -> None:
    assert selectors.short_region_name(official) == short


def test_village_get_for_refuses_outside_and_non_villages(village_worker: User) -> None:
    assert selectors.village_get_for(user=village_worker, code=factories.VILLAGE_A1).name.startswith("羊毫街")
    with pytest.raises(Http404):
        selectors.village_get_for(user=village_worker, code=factories.VILLAGE_A2)
    county = factories.make_user(Role.COUNTY_MANAGER)
    with pytest.raises(Http404):
        selectors.village_get_for(user=county, code=factories.TOWNSHIP_A)
