"""The registry routes of /api/v1/: households, persons and the audited ID-number reveal."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jiuzhu.accounts.models import Role, User
from jiuzhu.audit.models import AuditEvent
from jiuzhu.audit.tags import AuditTag
from jiuzhu.core import id_numbers
from jiuzhu.core.testing import factories
from jiuzhu.core.testing.factories import OTHER_COUNTY_VILLAGE, VILLAGE_A1, VILLAGE_A2, VILLAGE_B1
from jiuzhu.registry import tally
from jiuzhu.registry.models import CategoryEnrollment, Household, Income, Membership, Person

pytestmark = pytest.mark.django_db

HOUSEHOLDS = "/api/v1/households"


def token_for(client: Client, user: User) -> str:
    response = client.post(
        "/api/v1/auth/token",
        {"username": user.username, "password": factories.PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


class Api:
    """A test client speaking as one user through a real bearer token."""

    def __init__(self, client: Client, user: User) -> None:
        self.client, self.user = client, user
        self.headers = {"Authorization": f"Bearer {token_for(client, user)}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, headers=self.headers)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(path, body, content_type="application/json", headers=self.headers)


def api_for(client: Client, role: Role, region_code: str | None = None) -> Api:
    return Api(client, factories.make_user(role, region_code))


def head_of(household: Household) -> Person:
    return Membership.objects.get(household=household, relation="head", valid_to__isnull=True).person


def enroll(
    household: Household,
    category: str,
    *,
    person: Person | None = None,
    valid_from: dt.date = dt.date(2024, 3, 1),
    valid_to: dt.date | None = None,
    amount_month: Decimal | None = None,
    **fields: Any,
) -> CategoryEnrollment:
    enrollment = CategoryEnrollment.objects.create(
        household=household,
        person=person,
        category=category,
        valid_from=valid_from,
        valid_to=valid_to,
        amount_month=amount_month,
        **fields,
    )
    tally.rebuild(villages=[household.region_id])  # written directly, not by a service
    return enrollment


def all_strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in all_strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in all_strings(item)]
    return [value] if isinstance(value, str) else []


@pytest.fixture
def county(client: Client) -> Api:
    return api_for(client, Role.COUNTY_MANAGER)


@pytest.fixture
def households_everywhere(db: None) -> dict[str, Household]:
    """One household in each test village: two in 北关街道, one in 锦纶街道, one outside 榆次区."""
    return {
        code: factories.make_household(code, head_name=name)
        for code, name in [
            (VILLAGE_A1, "王一"),
            (VILLAGE_A2, "王二"),
            (VILLAGE_B1, "王三"),
            (OTHER_COUNTY_VILLAGE, "王四"),
        ]
    }


# --- authentication and rights -------------------------------------------------------------------


@pytest.mark.parametrize("path", [HOUSEHOLDS, f"{HOUSEHOLDS}/1", "/api/v1/persons/1"])
def test_read_routes_refuse_a_request_without_token(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert "令牌" in response.json()["detail"]


def test_reveal_refuses_a_request_without_token(client: Client) -> None:
    response = client.post("/api/v1/persons/1/id-number/reveal", {"reason": "核对"}, content_type="application/json")
    assert response.status_code == 401


def test_a_user_without_the_registry_right_is_refused_on_every_route(client: Client) -> None:
    # given a signed-up user in 榆次区 whose role carries no rights (role not yet assigned)
    household = factories.make_household(VILLAGE_A1)
    user = factories.make_user(Role.COUNTY_MANAGER)
    user.role = ""
    user.save(update_fields=["role"])
    api = Api(client, user)
    person = head_of(household)
    # when they call each route, then each is a 403 in Chinese
    for response in [
        api.get(HOUSEHOLDS),
        api.get(f"{HOUSEHOLDS}/{household.pk}"),
        api.get(f"/api/v1/persons/{person.pk}"),
        api.post(f"/api/v1/persons/{person.pk}/id-number/reveal", {"reason": "核对"}),
    ]:
        assert response.status_code == 403
        assert "查看低收入人口数据库" in response.json()["detail"]


# --- list: shape, pagination, filters --------------------------------------------------------------


def test_list_items_carry_the_documented_fields_with_masked_id_numbers(county: Api) -> None:
    # given a three-person household on 低保 with the head also watched for relapse
    household = factories.make_household(VILLAGE_A1, members=3, head_name="李大")
    head = head_of(household)
    enroll(household, "dibao", amount_month=Decimal("1350.00"))
    enroll(household, "relapse_watch", person=head)
    enroll(household, "marginal", valid_from=dt.date(2023, 1, 1), valid_to=dt.date(2024, 2, 29))
    # when the county lists households
    response = county.get(HOUSEHOLDS)
    # then the page has items and count, and the item says who and what, with the ID masked
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "count"}
    assert body["count"] == 1
    assert body["items"] == [
        {
            "id": household.pk,
            "household_number": household.household_number,
            "region_code": VILLAGE_A1,
            "region_name": "羊毫街社区居民委员会",
            "urban_rural": "rural",
            "status": "active",
            "head_name": "李大",
            "head_id_number_masked": id_numbers.mask(head.id_number),
            "member_count": 3,
            "categories": ["dibao", "relapse_watch"],
        }
    ]
    assert head.id_number not in response.content.decode()


def test_list_counts_only_current_members_and_reports_a_household_without_head(county: Api) -> None:
    household = factories.make_household(VILLAGE_A1, members=2)
    Membership.objects.filter(household=household, relation="head").update(valid_to=dt.date(2025, 1, 1))
    item = county.get(HOUSEHOLDS).json()["items"][0]
    assert item["member_count"] == 1
    assert item["head_name"] is None
    assert item["head_id_number_masked"] is None


def test_list_is_paginated_by_page_and_page_size_in_household_number_order(county: Api) -> None:
    households = [factories.make_household(VILLAGE_A1) for _ in range(5)]
    numbers = sorted(h.household_number for h in households)
    first = county.get(HOUSEHOLDS, page=1, page_size=2).json()
    third = county.get(HOUSEHOLDS, page=3, page_size=2).json()
    beyond = county.get(HOUSEHOLDS, page=4, page_size=2).json()
    assert first["count"] == third["count"] == beyond["count"] == 5
    assert [i["household_number"] for i in first["items"]] == numbers[:2]
    assert [i["household_number"] for i in third["items"]] == numbers[4:]
    assert beyond["items"] == []


def test_list_pages_fifty_by_default_and_up_to_500_on_request(county: Api) -> None:
    for _ in range(51):
        factories.make_household(VILLAGE_A1)
    by_default = county.get(HOUSEHOLDS).json()
    largest = county.get(HOUSEHOLDS, page_size=500)
    assert (by_default["count"], len(by_default["items"])) == (51, 50)
    assert largest.status_code == 200
    assert (largest.json()["count"], len(largest.json()["items"])) == (51, 51)


def test_list_refuses_a_page_size_above_500_in_chinese_rather_than_shortening_the_page(county: Api) -> None:
    response = county.get(HOUSEHOLDS, page_size=501)
    assert response.status_code == 422
    assert response.json()["detail"] == "请求参数有误：page_size: 不能大于500"


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"page": 0}, "page: 不能小于1"),
        ({"page": 10**18}, "page: 不能大于10000000"),
        ({"page_size": "abc"}, "page_size: 应为整数"),
        ({"category": "rich"}, "category: 应为以下之一"),
        ({"region": "14a7"}, "region: 格式不正确"),
    ],
    ids=["页码为0", "页码过大", "每页条数不是整数", "类别不存在", "区划代码含字母"],
)
def test_list_refuses_bad_parameters_in_chinese(county: Api, params: dict[str, Any], problem: str) -> None:
    response = county.get(HOUSEHOLDS, **params)
    assert response.status_code == 422
    assert problem in response.json()["detail"]


def test_list_validation_errors_do_not_echo_the_rejected_search_text(county: Api) -> None:
    too_long = "140702196005011235" * 3
    response = county.get(HOUSEHOLDS, q=too_long)
    assert response.status_code == 422
    assert "q: 不能超过50个字符" in response.json()["detail"]
    assert "140702196005011235" not in response.content.decode()


def test_a_refused_search_is_logged_without_its_query(county: Api, caplog: pytest.LogCaptureFixture) -> None:
    id_number = factories.id_number()
    county.get(HOUSEHOLDS, q=id_number, page_size=501)
    assert "Unprocessable Entity: /api/v1/households" in caplog.text
    assert id_number not in caplog.text


def test_list_filters_by_region_prefix(county: Api, households_everywhere: dict[str, Household]) -> None:
    township_a = county.get(HOUSEHOLDS, region="140702001").json()
    village_b1 = county.get(HOUSEHOLDS, region=VILLAGE_B1).json()
    assert {i["region_code"] for i in township_a["items"]} == {VILLAGE_A1, VILLAGE_A2}
    assert township_a["count"] == 2
    assert [i["region_code"] for i in village_b1["items"]] == [VILLAGE_B1]


def test_list_region_filter_cannot_widen_the_jurisdiction(
    client: Client, households_everywhere: dict[str, Household]
) -> None:
    village = api_for(client, Role.VILLAGE_INFO_WORKER)
    assert village.get(HOUSEHOLDS, region="140702").json()["count"] == 1
    assert village.get(HOUSEHOLDS, region="140703").json()["count"] == 0


def test_list_filters_by_current_category_and_status(county: Api) -> None:
    on_dibao = factories.make_household(VILLAGE_A1)
    left_dibao = factories.make_household(VILLAGE_A1)
    closed = factories.make_household(VILLAGE_A1)
    enroll(on_dibao, "dibao")
    enroll(left_dibao, "dibao", valid_to=dt.date(2025, 1, 31), end_reason="收入超过标准")
    Household.objects.filter(pk=closed.pk).update(status="closed")
    tally.rebuild(villages=[closed.region_id])
    assert [i["id"] for i in county.get(HOUSEHOLDS, category="dibao").json()["items"]] == [on_dibao.pk]
    assert [i["id"] for i in county.get(HOUSEHOLDS, status="closed").json()["items"]] == [closed.pk]
    assert county.get(HOUSEHOLDS, status="active").json()["count"] == 2


def test_list_searches_by_exact_id_number_name_prefix_and_household_number(county: Api) -> None:
    zhao = factories.make_household(VILLAGE_A1, head_name="赵春生")
    qian = factories.make_household(VILLAGE_A1, head_name="钱秋")
    zhao_id = head_of(zhao).id_number

    def found(q: str) -> list[int]:
        return [item["id"] for item in county.get(HOUSEHOLDS, q=q).json()["items"]]

    assert found(zhao_id) == [zhao.pk]
    assert found(zhao_id[:17]) == []  # a partial ID number is not a search
    assert found("赵春") == [zhao.pk]
    assert found("春生") == []  # names match from the start only
    assert found(qian.household_number) == [qian.pk]


def test_list_search_by_id_number_finds_nothing_outside_the_jurisdiction(
    client: Client, households_everywhere: dict[str, Household]
) -> None:
    village = api_for(client, Role.VILLAGE_INFO_WORKER)
    outsider = head_of(households_everywhere[VILLAGE_B1]).id_number
    assert village.get(HOUSEHOLDS, q=outsider).json() == {"items": [], "count": 0}


def test_list_query_count_does_not_grow_with_the_page(client: Client) -> None:
    # given 40 households of 3 members, each with categories
    for _ in range(40):
        household = factories.make_household(VILLAGE_A1, members=3)
        enroll(household, "dibao")
        enroll(household, "relapse_watch", person=head_of(household))
    api = api_for(client, Role.COUNTY_MANAGER)
    # when a page of 500 is read, then a handful of reads serve it (besides transaction control and the
    # SET LOCAL of selectors.serial_plans): token, total (village tally), page, members, categories
    with CaptureQueriesContext(connection) as queries:
        body = api.get(HOUSEHOLDS, page_size=500).json()
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(reads) <= 5, reads
    assert body["count"] == 40
    assert all(item["member_count"] == 3 for item in body["items"])


# --- household detail ---------------------------------------------------------------------------------


@pytest.fixture
def documented_household(db: None) -> Household:
    """A household with history: a member who moved out, incomes, a disability, 低保 then 特困 for one."""
    household = factories.make_household(VILLAGE_A2, members=3, head_name="孙福", urban_rural="urban")
    Household.objects.filter(pk=household.pk).update(
        financial_assets=Decimal("3200.50"), house_count=1, vehicle_count=0, phone="13800000000"
    )
    household.refresh_from_db()
    head = head_of(household)
    Person.objects.filter(pk=head.pk).update(
        disability_type="physical",
        disability_grade=2,
        self_care="partial",
        labour_capacity="none",
        health="serious_illness",
    )
    daughter = Membership.objects.get(household=household, relation="son").person
    Person.objects.filter(pk=daughter.pk).update(student="senior_secondary")
    Income.objects.create(
        household=household,
        person=head,
        type="pension",
        amount=Decimal("1200"),
        period="month",
        valid_from=dt.date(2024, 1, 1),
    )
    Income.objects.create(
        household=household,
        person=head,
        type="wage",
        amount=Decimal("900.5"),
        period="month",
        valid_from=dt.date(2023, 1, 1),
        valid_to=dt.date(2023, 12, 31),
    )
    spouse = Membership.objects.get(household=household, relation="spouse")
    spouse.valid_to = dt.date(2025, 3, 31)
    spouse.save()
    enroll(
        household,
        "dibao",
        valid_from=dt.date(2023, 5, 1),
        valid_to=dt.date(2024, 12, 31),
        amount_month=Decimal("980"),
        decision_number="榆民低〔2023〕12号",
        end_reason="纳入特困",
    )
    enroll(
        household,
        "tekun",
        person=head,
        valid_from=dt.date(2025, 1, 1),
        amount_month=Decimal("1105.00"),
        decision_number="榆民特〔2025〕3号",
    )
    enroll(household, "relapse_watch", valid_from=dt.date(2025, 2, 1))
    return household


def test_household_detail_reports_members_incomes_categories_and_history(
    county: Api, documented_household: Household
) -> None:
    household = documented_household
    head = head_of(household)
    response = county.get(f"{HOUSEHOLDS}/{household.pk}")
    assert response.status_code == 200
    body = response.json()
    assert {
        k: body[k]
        for k in (
            "id",
            "household_number",
            "region_code",
            "region_name",
            "urban_rural",
            "status",
            "financial_assets",
            "house_count",
            "vehicle_count",
        )
    } == {
        "id": household.pk,
        "household_number": household.household_number,
        "region_code": VILLAGE_A2,
        "region_name": "桥西社区居民委员会",
        "urban_rural": "urban",
        "status": "active",
        "financial_assets": "3200.50",
        "house_count": 1,
        "vehicle_count": 0,
    }
    assert body["region_full_name"] == "山西省晋中市榆次区北关街道桥西社区居民委员会"
    # current members only, head first, with the facts the rules need
    assert [m["relation"] for m in body["members"]] == ["head", "son"]
    head_row = body["members"][0]
    assert head_row == {
        "id": head.pk,
        "name": "孙福",
        "id_number_masked": id_numbers.mask(head.id_number),
        "sex": "male",
        "birth_date": "1960-05-01",
        "status": "active",
        "hukou_type": "urban",
        "disability": {"type": "physical", "grade": 2},
        "self_care": "partial",
        "labour_capacity": "none",
        "health": "serious_illness",
        "student": None,
        "care_setting": None,
        "special_status": "none",
        "relation": "head",
        "in_household": True,
        "member_since": "2024-01-01",
        "incomes": [{"type": "pension", "amount": "1200.00", "period": "month", "valid_from": "2024-01-01"}],
    }
    assert body["members"][1]["disability"] is None
    assert body["members"][1]["student"] == "senior_secondary"
    # categories now, and every enrollment ever, money as strings
    assert body["categories"] == ["tekun", "relapse_watch"]
    assert [(e["category"], e["person_id"], e["valid_to"], e["amount_month"]) for e in body["category_history"]] == [
        ("dibao", None, "2024-12-31", "980.00"),
        ("tekun", head.pk, None, "1105.00"),
        ("relapse_watch", None, None, None),
    ]
    assert body["category_history"][0]["decision_number"] == "榆民低〔2023〕12号"
    assert body["category_history"][0]["end_reason"] == "纳入特困"
    # the spouse who left is in the membership history, not among the members
    assert [(m["relation"], m["valid_to"]) for m in body["membership_history"]] == [
        ("head", None),
        ("spouse", "2025-03-31"),
        ("son", None),
    ]


def test_household_detail_never_shows_a_full_id_number(county: Api, documented_household: Household) -> None:
    text = county.get(f"{HOUSEHOLDS}/{documented_household.pk}").content.decode()
    for membership in Membership.objects.filter(household=documented_household):
        assert membership.person.id_number not in text
        if membership.valid_to is None:
            assert id_numbers.mask(membership.person.id_number) in text


def test_household_detail_reports_unknown_assets_as_null_not_zero(county: Api) -> None:
    household = factories.make_household(VILLAGE_A1)
    body = county.get(f"{HOUSEHOLDS}/{household.pk}").json()
    assert body["financial_assets"] is None
    assert body["house_count"] is None


def test_household_detail_reports_a_recorded_phase_out_and_null_without_one(county: Api) -> None:
    household = factories.make_household(VILLAGE_A1)
    enroll(
        household,
        "dibao",
        amount_month=Decimal("620"),
        phase_out_reason="employment",
        phase_out_start=dt.date(2025, 5, 10),
    )
    other = factories.make_household(VILLAGE_A1)
    enroll(other, "dibao", amount_month=Decimal("500"))
    history = county.get(f"{HOUSEHOLDS}/{household.pk}").json()["category_history"]
    assert [(e["phase_out_reason"], e["phase_out_start"]) for e in history] == [("employment", "2025-05-10")]
    history = county.get(f"{HOUSEHOLDS}/{other.pk}").json()["category_history"]
    assert [(e["phase_out_reason"], e["phase_out_start"]) for e in history] == [(None, None)]


def test_household_detail_query_count_does_not_grow_with_members(
    client: Client, documented_household: Household, django_assert_max_num_queries: Any
) -> None:
    api = api_for(client, Role.COUNTY_MANAGER)
    big = factories.make_household(VILLAGE_A1, members=6)
    for membership in Membership.objects.filter(household=big):
        Income.objects.create(
            household=big,
            person=membership.person,
            type="wage",
            amount=Decimal("100"),
            period="month",
            valid_from=dt.date(2024, 1, 1),
        )
        enroll(big, "relapse_watch", person=membership.person)
    # token, household, members, their incomes, enrollments, region path, membership history
    for household in (documented_household, big):
        with django_assert_max_num_queries(7):
            assert api.get(f"{HOUSEHOLDS}/{household.pk}").status_code == 200


def test_an_unknown_household_is_a_404_in_chinese(county: Api) -> None:
    response = county.get(f"{HOUSEHOLDS}/999999")
    assert response.status_code == 404
    assert response.json()["detail"] == "未找到该记录，或该记录不在您的管辖范围内。"


def test_a_household_id_that_is_not_a_number_is_a_422(county: Api) -> None:
    assert county.get(f"{HOUSEHOLDS}/abc").status_code == 422


# --- person ---------------------------------------------------------------------------------------------


def test_person_detail_reports_facts_household_and_covering_enrollments(
    county: Api, documented_household: Household
) -> None:
    household = documented_household
    head = head_of(household)
    # an enrollment of another member does not cover the head
    son = Membership.objects.get(household=household, relation="son").person
    enroll(household, "other_hardship", person=son)
    response = county.get(f"/api/v1/persons/{head.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["id_number_masked"] == id_numbers.mask(head.id_number)
    assert head.id_number not in response.content.decode()
    assert (body["household_id"], body["household_number"], body["relation"], body["in_household"]) == (
        household.pk,
        household.household_number,
        "head",
        True,
    )
    assert body["region_code"] == VILLAGE_A2
    assert body["disability"] == {"type": "physical", "grade": 2}
    assert [(e["category"], e["person_id"]) for e in body["enrollments"]] == [
        ("dibao", None),
        ("tekun", head.pk),
        ("relapse_watch", None),
    ]


def test_person_detail_query_count_is_fixed(
    client: Client, documented_household: Household, django_assert_max_num_queries: Any
) -> None:
    api = api_for(client, Role.COUNTY_MANAGER)
    head = head_of(documented_household)
    # token, person, current membership, covering enrollments
    with django_assert_max_num_queries(4):
        assert api.get(f"/api/v1/persons/{head.pk}").status_code == 200


def test_person_who_left_every_household_has_no_household(county: Api, documented_household: Household) -> None:
    spouse = Membership.objects.get(household=documented_household, relation="spouse").person
    body = county.get(f"/api/v1/persons/{spouse.pk}").json()
    assert body["household_id"] is None
    assert body["relation"] is None
    assert body["enrollments"] == []


# --- jurisdiction: outside is a 404, identical to missing ------------------------------------------------

VISIBLE = {
    (Role.VILLAGE_INFO_WORKER, VILLAGE_A1): {VILLAGE_A1},
    (Role.TOWNSHIP_OFFICER, "140702001000"): {VILLAGE_A1, VILLAGE_A2},
    (Role.TOWNSHIP_REVIEWER, "140702002000"): {VILLAGE_B1},
    (Role.COUNTY_MANAGER, "140702000000"): {VILLAGE_A1, VILLAGE_A2, VILLAGE_B1},
    (Role.DEPARTMENT_USER, "140702000000"): {VILLAGE_A1, VILLAGE_A2, VILLAGE_B1},
}
LEVELS = [
    pytest.param(role, region, visible, id=f"{role.label}@{region}") for (role, region), visible in VISIBLE.items()
]


@pytest.mark.parametrize(("role", "region", "visible"), LEVELS)
def test_list_shows_exactly_the_jurisdiction(
    client: Client, households_everywhere: dict[str, Household], role: Role, region: str, visible: set[str]
) -> None:
    api = api_for(client, role, region)
    body = api.get(HOUSEHOLDS).json()
    assert {item["region_code"] for item in body["items"]} == visible
    assert body["count"] == len(visible)


@pytest.mark.parametrize(("role", "region", "visible"), LEVELS)
def test_household_and_person_outside_the_jurisdiction_are_404_like_missing(
    client: Client, households_everywhere: dict[str, Household], role: Role, region: str, visible: set[str]
) -> None:
    api = api_for(client, role, region)
    missing_household = api.get(f"{HOUSEHOLDS}/999999")
    missing_person = api.get("/api/v1/persons/999999")
    for code, household in households_everywhere.items():
        person = head_of(household)
        household_response = api.get(f"{HOUSEHOLDS}/{household.pk}")
        person_response = api.get(f"/api/v1/persons/{person.pk}")
        if code in visible:
            assert household_response.status_code == 200, code
            assert person_response.status_code == 200, code
        else:
            assert household_response.status_code == 404, code
            assert household_response.content == missing_household.content
            assert person_response.status_code == 404, code
            assert person_response.content == missing_person.content


@pytest.mark.parametrize(("role", "region", "visible"), LEVELS)
def test_reveal_outside_the_jurisdiction_is_404_and_leaves_no_audit(
    client: Client, households_everywhere: dict[str, Household], role: Role, region: str, visible: set[str]
) -> None:
    api = api_for(client, role, region)
    for code, household in households_everywhere.items():
        if code in visible:
            continue
        person = head_of(household)
        response = api.post(f"/api/v1/persons/{person.pk}/id-number/reveal", {"reason": "核对"})
        assert response.status_code == 404, code
        assert person.id_number not in response.content.decode()
    assert not AuditEvent.objects.filter(tag=AuditTag.ID_NUMBER_REVEAL).exists()


def test_a_person_outside_the_jurisdiction_cannot_be_reached_through_an_enrollment_inside(
    client: Client, households_everywhere: dict[str, Household]
) -> None:
    # given a person in 太谷区 whose old individual enrollment was in a 榆次区 household
    outsider = head_of(households_everywhere[OTHER_COUNTY_VILLAGE])
    enroll(households_everywhere[VILLAGE_A1], "tekun", person=outsider, valid_to=dt.date(2024, 12, 31))
    county = api_for(client, Role.COUNTY_MANAGER)
    # then the person is still outside, but the enrollment shows in the household's history
    assert county.get(f"/api/v1/persons/{outsider.pk}").status_code == 404
    history = county.get(f"{HOUSEHOLDS}/{households_everywhere[VILLAGE_A1].pk}").json()["category_history"]
    assert [e["person_id"] for e in history] == [outsider.pk]


# --- reveal ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.TOWNSHIP_OFFICER, Role.TOWNSHIP_REVIEWER, Role.COUNTY_MANAGER])
def test_reveal_returns_the_full_number_and_records_who_why_and_from_where(client: Client, role: Role) -> None:
    person = head_of(factories.make_household(VILLAGE_A1))
    api = api_for(client, role)
    response = api.client.post(
        f"/api/v1/persons/{person.pk}/id-number/reveal",
        {"reason": "  核对医疗救助申请  "},
        content_type="application/json",
        headers=api.headers,
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 200
    assert response.json() == {"id_number": person.id_number}
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(tag=AuditTag.ID_NUMBER_REVEAL)
    assert (
        event.actor_id,
        event.subject_type,
        event.subject_id,
        event.reason,
        event.channel,
        event.ip_address,
        event.region_code,
    ) == (api.user.pk, "person", str(person.pk), "核对医疗救助申请", "api", "10.1.2.3", VILLAGE_A1)


@pytest.mark.parametrize("role", [Role.VILLAGE_INFO_WORKER, Role.DEPARTMENT_USER, Role.SUPERVISOR, Role.SYSTEM_ADMIN])
def test_reveal_is_refused_in_chinese_to_roles_without_the_right(client: Client, role: Role) -> None:
    person = head_of(factories.make_household(VILLAGE_A1))
    response = api_for(client, role).post(f"/api/v1/persons/{person.pk}/id-number/reveal", {"reason": "核对"})
    assert response.status_code == 403
    assert response.json()["detail"] == "您的角色没有“查看完整身份证号”权限。"
    assert person.id_number not in response.content.decode()
    assert not AuditEvent.objects.filter(tag=AuditTag.ID_NUMBER_REVEAL).exists()


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"reason": ""}, 422, "请求参数有误：payload.reason: 不能为空"),
        ({}, 422, "请求参数有误：payload.reason: 必须填写"),
        ({"reason": "   "}, 400, "请填写查看完整身份证号的事由。"),
    ],
    ids=["事由为空", "缺少事由", "事由只有空格"],
)
def test_reveal_requires_a_reason(client: Client, body: dict[str, Any], status: int, detail: str) -> None:
    person = head_of(factories.make_household(VILLAGE_A1))
    response = api_for(client, Role.TOWNSHIP_OFFICER).post(f"/api/v1/persons/{person.pk}/id-number/reveal", body)
    assert response.status_code == status
    assert response.json()["detail"] == detail
    assert person.id_number not in response.content.decode()
    assert not AuditEvent.objects.filter(tag=AuditTag.ID_NUMBER_REVEAL).exists()


# --- the contract ---------------------------------------------------------------------------------------


def test_no_route_carries_an_id_number_in_its_url() -> None:
    from jiuzhu.api import api

    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        assert "id_number}" not in path
        for operation in operations.values():
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert not any("id_number" in name for name in names), path


def test_every_registry_operation_has_a_chinese_summary_and_description() -> None:
    from jiuzhu.api import api

    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            for text in (operation["summary"], operation["description"]):
                assert any("\u4e00" <= ch <= "\u9fff" for ch in text), path


def test_list_documents_the_page_size_cap() -> None:
    from jiuzhu.api import api

    parameters = api.get_openapi_schema()["paths"][HOUSEHOLDS]["get"]["parameters"]
    page_size = next(p for p in parameters if p["name"] == "page_size")
    assert page_size["schema"]["maximum"] == 500
    assert "422" in page_size["description"]


def test_json_carries_chinese_as_utf8_text(county: Api) -> None:
    factories.make_household(VILLAGE_A1, head_name="周晓")
    response = county.get(HOUSEHOLDS)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "周晓".encode() in response.content
    assert json.loads(response.content.decode("utf-8"))["items"][0]["head_name"] == "周晓"
