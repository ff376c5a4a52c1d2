"""Registry pages per role: what each one sees, may change, and is refused; every page passes the checker."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jiuzhu.accounts.models import Role, User
from jiuzhu.audit.models import AuditEvent
from jiuzhu.audit.tags import AuditTag
from jiuzhu.core import id_numbers
from jiuzhu.core.testing import factories
from jiuzhu.core.testing.page_checker import check_fragment, check_page
from jiuzhu.registry import selectors, tally, views
from jiuzhu.registry.forms import HouseholdFilterForm
from jiuzhu.registry.models import CategoryEnrollment, Household, Income, Membership, Person

pytestmark = pytest.mark.django_db

LIST = "/registry/households/"


def get_page(client: Client, url: str, *, expect: int = 200, **params: str) -> str:
    response = client.get(url, params)
    assert response.status_code == expect, response.content.decode()[:500]
    html = response.content.decode()
    check_page(html)
    return html


def get_fragment(client: Client, url: str, **params: str) -> str:
    response = client.get(url, params, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    check_fragment(html)
    return html


def post_page(client: Client, url: str, data: dict[str, str], *, expect: int = 200) -> str:
    response = client.post(url, data)
    assert response.status_code == expect, response.content.decode()[:500]
    html = response.content.decode()
    check_page(html)
    return html


def logged_in(client: Client, role: Role, region_code: str | None = None) -> User:
    user = factories.make_user(role, region_code)
    client.force_login(user)
    return user


def head_of(household: Household) -> Person:
    return Membership.objects.get(household=household, relation="head").person


def field_errors(html: str, field_id: str) -> str:
    """The error list Django renders right after the field with this id (``id_<name>_error``)."""
    match = re.search(rf'<ul class="errorlist" id="{field_id}_error">(.*?)</ul>', html, re.S)
    return match.group(1) if match else ""


def head_form(id_number: str, **extra: str) -> dict[str, str]:
    return {"head-name": "赵建国", "head-id_number": id_number, "head-special_status": "none", **extra}


# ---------------------------------------------------------------- list


def test_list_shows_households_in_jurisdiction_with_masked_ids(client: Client) -> None:
    # given households in both villages of 北关街道 and one in 锦纶街道
    inside = factories.make_household(factories.VILLAGE_A1, head_name="张三")
    also_inside = factories.make_household(factories.VILLAGE_A2, head_name="李四")
    outside = factories.make_household(factories.VILLAGE_B1, head_name="王五")
    logged_in(client, Role.TOWNSHIP_OFFICER)
    # when the 北关 officer opens the list
    html = get_page(client, LIST)
    # then only 北关 households show, IDs masked, with village names people use
    assert inside.household_number in html
    assert also_inside.household_number in html
    assert outside.household_number not in html
    head = head_of(inside)
    assert id_numbers.mask(head.id_number) in html
    assert head.id_number not in html
    assert "羊毫街社区" in html
    assert "羊毫街社区居民委员会" not in html
    assert "共 <strong>2</strong> 户" in html


def test_list_search_by_exact_id_number_finds_only_that_household(client: Client) -> None:
    wanted = factories.make_household(factories.VILLAGE_A1, members=2, head_name="张三")
    other = factories.make_household(factories.VILLAGE_A1, head_name="张四")
    logged_in(client, Role.COUNTY_MANAGER)
    spouse = Membership.objects.get(household=wanted, relation="spouse").person
    html = get_page(client, LIST, q=spouse.id_number.lower())  # a lower-case x is normalised
    assert wanted.household_number in html
    assert other.household_number not in html


def test_list_id_search_by_htmx_does_not_push_the_number_into_the_address_bar(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1)
    logged_in(client, Role.COUNTY_MANAGER)
    response = client.get(LIST, {"q": head_of(household).id_number}, headers={"HX-Request": "true"})
    assert response["HX-Push-Url"] == "false"
    by_name = client.get(LIST, {"q": "张"}, headers={"HX-Request": "true"})
    assert "HX-Push-Url" not in by_name


def test_list_search_by_name_prefix_and_household_number(client: Client) -> None:
    zhang = factories.make_household(factories.VILLAGE_A1, head_name="张建国")
    li = factories.make_household(factories.VILLAGE_A1, head_name="李秀英")
    logged_in(client, Role.COUNTY_MANAGER)
    html = get_page(client, LIST, q="张建")
    assert zhang.household_number in html
    assert li.household_number not in html
    html = get_page(client, LIST, q="建国")  # the middle of a name is not a prefix
    assert zhang.household_number not in html
    html = get_page(client, LIST, q=li.household_number)
    assert li.household_number in html
    assert zhang.household_number not in html


def test_list_filters_by_region_category_and_status(client: Client) -> None:
    today = dt.date.today()
    a1_dibao = factories.make_household(factories.VILLAGE_A1)
    a2_dibao = factories.make_household(factories.VILLAGE_A2)
    a1_marginal = factories.make_household(factories.VILLAGE_A1)
    a1_former = factories.make_household(factories.VILLAGE_A1)
    closed = factories.make_household(factories.VILLAGE_A1)
    Household.objects.filter(pk=closed.pk).update(status="closed")
    tally.rebuild(villages=[closed.region_id])
    factories.make_enrollment(a1_dibao, "dibao", dt.date(2024, 1, 1))
    factories.make_enrollment(a2_dibao, "dibao", dt.date(2024, 1, 1))
    factories.make_enrollment(a1_marginal, "marginal", dt.date(2024, 1, 1))
    factories.make_enrollment(a1_former, "dibao", dt.date(2024, 1, 1), valid_to=today - dt.timedelta(days=1))
    logged_in(client, Role.COUNTY_MANAGER)

    html = get_page(client, LIST, category="dibao")
    assert {a1_dibao.household_number, a2_dibao.household_number} <= set(re.findall(r"\d{17}", html))
    assert a1_marginal.household_number not in html
    assert a1_former.household_number not in html

    html = get_page(client, LIST, category="dibao", region=factories.VILLAGE_A2)
    assert a2_dibao.household_number in html
    assert a1_dibao.household_number not in html

    html = get_page(client, LIST, region=factories.TOWNSHIP_A)  # a township covers its villages
    assert a1_dibao.household_number in html
    assert a2_dibao.household_number in html

    html = get_page(client, LIST, status="closed")
    assert closed.household_number in html
    assert a1_dibao.household_number not in html
    assert "已注销" in html


def test_list_region_select_offers_only_the_jurisdiction_indented(client: Client) -> None:
    logged_in(client, Role.COUNTY_MANAGER)
    html = get_page(client, LIST)
    assert f'<option value="{factories.TOWNSHIP_A}">北关街道</option>' in html
    assert f'<option value="{factories.VILLAGE_A1}">\u3000羊毫街社区</option>' in html
    assert "140703" not in html  # 太谷区 is another county


def test_list_offers_no_region_filter_to_a_village_worker(client: Client) -> None:
    logged_in(client, Role.VILLAGE_INFO_WORKER)
    html = get_page(client, LIST)
    assert 'name="region"' not in html
    assert 'name="category"' in html


def test_list_refuses_a_region_outside_the_jurisdiction_in_chinese(client: Client) -> None:
    inside = factories.make_household(factories.VILLAGE_A1)
    outside = factories.make_household(factories.VILLAGE_B1)
    logged_in(client, Role.TOWNSHIP_OFFICER)
    html = get_page(client, LIST, region=factories.VILLAGE_B1)
    assert "所属区域：选择一个有效的选项" in html
    assert outside.household_number not in html
    assert inside.household_number in html


def test_list_paginates_by_twenty_and_keeps_filters_in_pager_links(client: Client) -> None:
    households = [factories.make_household(factories.VILLAGE_A1) for _ in range(23)]
    for household in households:
        factories.make_enrollment(household, "dibao", dt.date(2024, 1, 1))
    factories.make_household(factories.VILLAGE_A1)  # not 低保: filtered out
    logged_in(client, Role.COUNTY_MANAGER)

    first = get_page(client, LIST, category="dibao")
    assert first.count('data-label="户编号"') == 20
    assert "共 <strong>23</strong> 户符合条件，第 1/2 页" in first
    assert 'href="?category=dibao&amp;page=2"' in first

    second = get_page(client, LIST, category="dibao", page="2")
    assert second.count('data-label="户编号"') == 3
    assert households[-1].household_number in second
    assert 'href="?category=dibao&amp;page=1"' in second

    beyond = get_page(client, LIST, category="dibao", page="99")  # a stale link shows the last page
    assert "第 2/2 页" in beyond


def test_list_name_search_counts_only_up_to_the_cap(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    # given more households whose head is named 张… than the cap (1000 in production, 3 here)
    monkeypatch.setattr(views, "NAME_SEARCH_CAP", 3)
    for _ in range(5):
        factories.make_household(factories.VILLAGE_A1, head_name="张三")
    factories.make_household(factories.VILLAGE_A1, head_name="李四")
    logged_in(client, Role.COUNTY_MANAGER)
    # when searching the surname
    html = get_page(client, LIST, q="张")
    # then the page says there are more than the cap and lists the first ones only
    assert "共 <strong>3</strong>+ 户" in html
    assert "姓名以“张”开头的家庭超过3户" in html
    assert html.count('data-label="户编号"') == 3
    # and a filter without a name is counted exactly
    assert "共 <strong>6</strong> 户" in get_page(client, LIST, status="active")


def test_list_name_search_pages_through_the_matches_in_order(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    monkeypatch.setattr(views, "NAME_SEARCH_CAP", 4)
    numbers = sorted(
        factories.make_household(factories.VILLAGE_A1, head_name="张三").household_number for _ in range(5)
    )
    logged_in(client, Role.COUNTY_MANAGER)
    pages = [get_page(client, LIST, q="张", page=str(n)) for n in (1, 2)]
    assert "共 <strong>4</strong>+ 户" in pages[0]
    assert "第 2/2 页" in pages[1]
    shown = [re.findall(r'class="idn">(\d+)</a>', page) for page in pages]
    assert shown == [numbers[:2], numbers[2:4]]


def test_list_search_by_id_number_reads_the_match_without_counting(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1, members=2)
    logged_in(client, Role.COUNTY_MANAGER)
    with CaptureQueriesContext(connection) as queries:
        html = get_page(client, LIST, q=head_of(household).id_number)
    assert "共 <strong>1</strong> 户" in html
    assert household.household_number in html
    assert not [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper() and "registry_" in q["sql"]]


def test_list_htmx_request_returns_only_the_results_partial(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1, head_name="张三")
    logged_in(client, Role.COUNTY_MANAGER)
    fragment = get_fragment(client, LIST, q="张")
    assert fragment.lstrip().startswith('<div id="results"')
    assert "<html" not in fragment
    assert "<form" not in fragment
    assert household.household_number in fragment
    # a history restore after a cache miss needs the whole page
    response = client.get(LIST, {"q": "张"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    check_page(response.content.decode())
    assert "HX-Request" in response["Vary"]


def test_list_filter_form_works_without_javascript_and_with_htmx(client: Client) -> None:
    logged_in(client, Role.COUNTY_MANAGER)
    html = get_page(client, LIST)
    form = re.search(r'<form class="filters household-filters"[^>]*>', html)
    assert form is not None
    tag = form.group(0)
    assert 'method="get"' in tag
    assert f'action="{LIST}"' in tag
    assert f'hx-get="{LIST}"' in tag
    assert 'hx-target="#results"' in tag
    assert 'hx-push-url="true"' in tag


def test_list_empty_states_are_chinese(client: Client) -> None:
    logged_in(client, Role.COUNTY_MANAGER)
    assert "您的管辖范围内还没有登记家庭" in get_page(client, LIST)
    factories.make_household(factories.VILLAGE_A1, head_name="张三")
    assert "没有找到符合条件的家庭" in get_page(client, LIST, q="欧阳")


def test_list_page_query_count_does_not_grow_with_rows(client: Client) -> None:
    for index in range(25):
        household = factories.make_household(factories.VILLAGE_A1 if index % 2 else factories.VILLAGE_A2, members=3)
        factories.make_enrollment(household, "dibao", dt.date(2024, 1, 1))
        factories.make_enrollment(household, "relapse_watch", dt.date(2024, 1, 1))
    user = logged_in(client, Role.COUNTY_MANAGER)
    user.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, {"category": "dibao"})
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(reads) <= 9, reads  # session, user, region, regions offered, total (tally), page, members, categories
    assert response.status_code == 200
    assert response.content.decode().count("防返贫监测</span>") == 20


# ---------------------------------------------------------------- detail


def test_detail_shows_facts_members_categories_and_history(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1, members=3, head_name="张三", urban_rural="rural")
    head = head_of(household)
    child = Membership.objects.get(household=household, relation="son")
    Person.objects.filter(pk=head.pk).update(
        disability_type="physical",
        disability_grade=2,
        self_care="partial",
        labour_capacity="none",
        health="serious_illness",
    )
    Income.objects.create(
        household=household,
        person=head,
        type="wage",
        amount=Decimal("1200.50"),
        period="month",
        valid_from=dt.date(2024, 1, 1),
    )
    factories.make_enrollment(
        household,
        "dibao",
        dt.date(2023, 1, 1),
        valid_to=dt.date(2024, 12, 31),
        amount_month=Decimal("640.00"),
        decision_number="榆民低〔2023〕8号",
        end_reason="收入超过标准",
    )
    factories.make_enrollment(household, "marginal", dt.date(2025, 1, 1))
    Membership.objects.filter(pk=child.pk).update(valid_to=dt.date(2025, 9, 1))
    Person.objects.filter(pk=child.person_id).update(status="moved_out")
    logged_in(client, Role.COUNTY_MANAGER)

    html = get_page(client, f"/registry/households/{household.pk}/")

    assert "山西省晋中市榆次区北关街道羊毫街社区居民委员会" in html
    assert "<dt>金融资产</dt><dd>未登记</dd>" in html
    assert "<dt>住房</dt><dd>未登记</dd>" in html
    assert "张三户" in html
    assert "农村" in html
    assert "肢体2级" in html
    assert "半护理（部分丧失）" in html
    assert "重病（重特大疾病）" in html
    assert "工资性收入 1,200.50元/月" in html
    assert "榆民低〔2023〕8号" in html
    assert "收入超过标准" in html
    assert "640.00元" in html
    assert "2024-12-31" in html
    assert "已退出" in html
    assert "至今" in html
    assert "家庭成员（2人）" in html  # the son moved out
    assert "2025-09-01" in html
    assert "迁出" in html
    assert id_numbers.mask(head.id_number) in html
    assert head.id_number not in html


def test_detail_outside_jurisdiction_is_404_like_missing(client: Client) -> None:
    elsewhere = factories.make_household(factories.VILLAGE_A2)
    logged_in(client, Role.VILLAGE_INFO_WORKER)  # 羊毫街社区 only
    html = get_page(client, f"/registry/households/{elsewhere.pk}/", expect=404)
    assert "不在您的管辖范围内" in html
    get_page(client, "/registry/households/999999/", expect=404)


@pytest.mark.parametrize("role", [Role.TOWNSHIP_REVIEWER, Role.DEPARTMENT_USER, Role.SUPERVISOR])
def test_roles_without_edit_right_see_no_edit_controls(client: Client, role: Role) -> None:
    household = factories.make_household(factories.VILLAGE_A1)
    enrollment = factories.make_enrollment(household, "dibao", dt.date(2024, 1, 1))
    logged_in(client, role)
    html = get_page(client, f"/registry/households/{household.pk}/")
    for control in ("修改家庭信息", "新增成员", "纳入类别", "办理退出", "迁出/死亡", "/edit/", "登记渐退", "撤销渐退"):
        assert control not in html
    assert "新增家庭" not in get_page(client, LIST)
    assert enrollment.pk


@pytest.mark.parametrize("role", [Role.TOWNSHIP_REVIEWER, Role.DEPARTMENT_USER, Role.SUPERVISOR])
def test_roles_without_edit_right_are_refused_with_403_in_chinese(client: Client, role: Role) -> None:
    household = factories.make_household(factories.VILLAGE_A1)
    person = head_of(household)
    membership = Membership.objects.get(person=person)
    enrollment = factories.make_enrollment(household, "dibao", dt.date(2024, 1, 1))
    logged_in(client, role)
    urls = [
        "/registry/households/new/",
        f"/registry/households/{household.pk}/edit/",
        f"/registry/households/{household.pk}/members/new/",
        f"/registry/households/{household.pk}/enrollments/new/",
        f"/registry/persons/{person.pk}/edit/",
        f"/registry/memberships/{membership.pk}/end/",
        f"/registry/enrollments/{enrollment.pk}/end/",
        f"/registry/enrollments/{enrollment.pk}/phase-out/",
        f"/registry/enrollments/{enrollment.pk}/phase-out/cancel/",
    ]
    for url in urls:
        html = get_page(client, url, expect=403)
        assert "新增、修改家庭和成员" in html
        post_page(client, url, {"address": "改", "reason": "x"}, expect=403)
    household.refresh_from_db()
    assert household.address != "改"
    assert not AuditEvent.objects.exclude(tag__startswith="user:").exists()


def test_every_page_about_a_record_outside_the_jurisdiction_is_404(client: Client) -> None:
    elsewhere = factories.make_household(factories.VILLAGE_B1)
    person = head_of(elsewhere)
    membership = Membership.objects.get(person=person)
    enrollment = factories.make_enrollment(elsewhere, "dibao", dt.date(2024, 1, 1))
    logged_in(client, Role.TOWNSHIP_OFFICER)  # 北关: may edit and reveal, but not in 锦纶
    urls = [
        f"/registry/households/{elsewhere.pk}/edit/",
        f"/registry/households/{elsewhere.pk}/members/new/",
        f"/registry/households/{elsewhere.pk}/enrollments/new/",
        f"/registry/persons/{person.pk}/edit/",
        f"/registry/persons/{person.pk}/reveal/",
        f"/registry/memberships/{membership.pk}/end/",
        f"/registry/enrollments/{enrollment.pk}/end/",
        f"/registry/enrollments/{enrollment.pk}/phase-out/",
        f"/registry/enrollments/{enrollment.pk}/phase-out/cancel/",
    ]
    for url in urls:
        get_page(client, url, expect=404)
        post_page(client, url, {"reason": "入户调查"}, expect=404)
    assert not AuditEvent.objects.filter(tag=AuditTag.ID_NUMBER_REVEAL).exists()


def test_a_user_without_edit_right_gets_404_not_403_outside_the_jurisdiction(client: Client) -> None:
    elsewhere = factories.make_household(factories.VILLAGE_B1)
    logged_in(client, Role.TOWNSHIP_REVIEWER)
    get_page(client, f"/registry/households/{elsewhere.pk}/edit/", expect=404)


# ---------------------------------------------------------------- ID number reveal


def test_department_user_sees_masked_ids_and_no_reveal_button(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1, members=2)
    logged_in(client, Role.DEPARTMENT_USER)
    html = get_page(client, f"/registry/households/{household.pk}/")
    for membership in Membership.objects.filter(household=household):
        assert id_numbers.mask(membership.person.id_number) in html
        assert membership.person.id_number not in html
    assert "/reveal/" not in html
    assert ">显示<" not in html


def test_reveal_shows_the_full_number_and_audits_the_reason(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1)
    person = head_of(household)
    officer = logged_in(client, Role.TOWNSHIP_OFFICER)
    detail = get_page(client, f"/registry/households/{household.pk}/")
    assert f'hx-get="/registry/persons/{person.pk}/reveal/"' in detail
    # the button asks for a reason first
    form = get_fragment(client, f"/registry/persons/{person.pk}/reveal/")
    assert "查看事由" in form
    assert person.id_number not in form
    # when the reason is given
    response = client.post(
        f"/registry/persons/{person.pk}/reveal/", {"reason": "入户调查，核对证件"}, headers={"HX-Request": "true"}
    )
    # then the fragment holds the full number, not cached, and the reveal is audited with the reason
    html = response.content.decode()
    check_fragment(html)
    assert person.id_number in html
    assert "已留痕" in html
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(tag=AuditTag.ID_NUMBER_REVEAL)
    assert event.actor == officer
    assert event.subject_id == str(person.pk)
    assert event.reason == "入户调查，核对证件"
    assert event.region_code == factories.VILLAGE_A1
    # and hiding it again gives back the masked number
    hidden = get_fragment(client, f"/registry/persons/{person.pk}/reveal/", cancel="1")
    assert id_numbers.mask(person.id_number) in hidden
    assert person.id_number not in hidden


def test_reveal_without_javascript_is_a_page_too(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1)
    person = head_of(household)
    logged_in(client, Role.COUNTY_MANAGER)
    assert "查看事由" in get_page(client, f"/registry/persons/{person.pk}/reveal/")
    html = post_page(client, f"/registry/persons/{person.pk}/reveal/", {"reason": "家庭经济状况核对"})
    assert person.id_number in html


def test_reveal_needs_a_reason(client: Client) -> None:
    person = head_of(factories.make_household(factories.VILLAGE_A1))
    logged_in(client, Role.TOWNSHIP_OFFICER)
    response = client.post(f"/registry/persons/{person.pk}/reveal/", {"reason": "   "}, headers={"HX-Request": "true"})
    html = response.content.decode()
    check_fragment(html)
    assert "这个字段是必填项" in html
    assert person.id_number not in html
    assert not AuditEvent.objects.filter(tag=AuditTag.ID_NUMBER_REVEAL).exists()


@pytest.mark.parametrize("role", [Role.VILLAGE_INFO_WORKER, Role.DEPARTMENT_USER, Role.SUPERVISOR])
def test_reveal_is_refused_without_the_right(client: Client, role: Role) -> None:
    household = factories.make_household(factories.VILLAGE_A1)
    person = head_of(household)
    logged_in(client, role)
    assert "/reveal/" not in get_page(client, f"/registry/households/{household.pk}/")
    get_page(client, f"/registry/persons/{person.pk}/reveal/", expect=403)  # not even the reason form
    html = post_page(client, f"/registry/persons/{person.pk}/reveal/", {"reason": "想看看"}, expect=403)
    assert "查看完整身份证号" in html
    assert person.id_number not in html
    assert not AuditEvent.objects.filter(tag=AuditTag.ID_NUMBER_REVEAL).exists()


# ---------------------------------------------------------------- create and edit


def test_create_household_with_its_head(client: Client) -> None:
    worker = logged_in(client, Role.VILLAGE_INFO_WORKER)
    html = get_page(client, "/registry/households/new/")
    assert f'<option value="{factories.VILLAGE_A1}" selected>羊毫街社区</option>' in html
    number = factories.id_number(birth=dt.date(1970, 3, 8), sex="female")
    response = client.post(
        "/registry/households/new/",
        {
            "village": factories.VILLAGE_A1,
            "urban_rural": "urban",
            "address": "羊毫街12号",
            "phone": "0354-3012345",
            "valid_from": "2025-02-01",
            **head_form(number, **{"head-labour_capacity": "partial"}),
        },
    )
    household = Household.objects.get(address="羊毫街12号")
    assert response.status_code == 302
    assert response["Location"] == f"/registry/households/{household.pk}/"
    head = head_of(household)
    assert head.id_number == number
    assert head.sex == "female"
    assert head.birth_date == dt.date(1970, 3, 8)
    assert head.labour_capacity == "partial"
    assert Membership.objects.get(person=head).valid_from == dt.date(2025, 2, 1)
    assert household.household_number.startswith(factories.VILLAGE_A1)
    assert AuditEvent.objects.filter(tag=AuditTag.HOUSEHOLD_CREATE, actor=worker).exists()
    detail = get_page(client, response["Location"])
    assert "已新增家庭" in detail


def test_create_household_shows_the_check_character_error_next_to_the_id_field(client: Client) -> None:
    logged_in(client, Role.TOWNSHIP_OFFICER)
    valid = factories.id_number()
    wrong = valid[:17] + ("0" if valid[17] != "0" else "1")
    html = post_page(
        client,
        "/registry/households/new/",
        {
            "village": factories.VILLAGE_A1,
            "urban_rural": "rural",
            "address": "桥西1号",
            "valid_from": "2025-01-01",
            **head_form(wrong),
        },
    )
    assert f"校验位错误：第18位应为“{valid[17]}”" in field_errors(html, "id_head-id_number")
    assert "请按红字提示修改" in html
    assert not Household.objects.exists()


def test_create_household_checks_birth_date_and_sex_against_the_id(client: Client) -> None:
    logged_in(client, Role.TOWNSHIP_OFFICER)
    number = factories.id_number(birth=dt.date(1960, 5, 1), sex="male")
    html = post_page(
        client,
        "/registry/households/new/",
        {
            "village": factories.VILLAGE_A1,
            "urban_rural": "rural",
            "address": "桥西1号",
            "valid_from": "2025-01-01",
            **head_form(number, **{"head-birth_date": "1961-05-01", "head-sex": "female"}),
        },
    )
    assert "与身份证号中的出生日期1960-05-01不一致" in field_errors(html, "id_head-birth_date")
    assert "与身份证号第17位所示性别“男”不一致" in field_errors(html, "id_head-sex")
    assert not Household.objects.exists()


def test_create_household_shows_every_missing_field_at_once(client: Client) -> None:
    logged_in(client, Role.TOWNSHIP_OFFICER)
    html = post_page(client, "/registry/households/new/", {"head-special_status": "none"})
    for field in ("id_village", "id_urban_rural", "id_address", "id_head-name", "id_head-id_number"):
        assert "这个字段是必填项" in field_errors(html, field)


def test_village_worker_cannot_create_a_household_in_another_village(client: Client) -> None:
    logged_in(client, Role.VILLAGE_INFO_WORKER)
    html = post_page(
        client,
        "/registry/households/new/",
        {
            "village": factories.VILLAGE_A2,
            "urban_rural": "rural",
            "address": "桥西1号",
            "valid_from": "2025-01-01",
            **head_form(factories.id_number()),
        },
    )
    assert "选择一个有效的选项" in field_errors(html, "id_village")
    assert not Household.objects.exists()


def test_village_worker_edits_a_household_in_own_village(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1)
    worker = logged_in(client, Role.VILLAGE_INFO_WORKER)
    html = get_page(client, f"/registry/households/{household.pk}/edit/")
    assert "金融资产（元）" in html
    response = client.post(
        f"/registry/households/{household.pk}/edit/",
        {
            "urban_rural": "urban",
            "address": "羊毫街3号",
            "phone": "",
            "financial_assets": "8000.5",
            "house_count": "1",
            "vehicle_count": "",
            "status": "active",
        },
    )
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.address == "羊毫街3号"
    assert household.financial_assets == Decimal("8000.50")
    assert household.house_count == 1
    assert household.vehicle_count is None
    event = AuditEvent.objects.get(tag=AuditTag.HOUSEHOLD_UPDATE)
    after = event.after or {}
    assert event.actor == worker
    assert after["financial_assets"] == "8000.50"
    detail = get_page(client, f"/registry/households/{household.pk}/")
    assert "8,000.50元" in detail
    assert "<dt>机动车</dt><dd>未登记</dd>" in detail


def test_household_edit_rejects_negative_assets_in_chinese(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1)
    logged_in(client, Role.VILLAGE_INFO_WORKER)
    html = post_page(
        client,
        f"/registry/households/{household.pk}/edit/",
        {"urban_rural": "urban", "address": "x", "financial_assets": "-1", "status": "active"},
    )
    assert "确保该值大于或等于0" in field_errors(html, "id_financial_assets")


def test_add_member_registers_person_and_membership(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1)
    logged_in(client, Role.VILLAGE_INFO_WORKER)
    number = factories.id_number(birth=dt.date(2012, 9, 1), sex="female")
    response = client.post(
        f"/registry/households/{household.pk}/members/new/",
        {
            "name": "赵小花",
            "id_number": number,
            "relation": "daughter",
            "valid_from": "2025-03-01",
            "in_household": "on",
            "student": "primary",
            "special_status": "none",
        },
    )
    assert response.status_code == 302
    person = Person.objects.get(id_number=number)
    assert person.student == "primary"
    assert person.region_id == factories.VILLAGE_A1
    membership = Membership.objects.get(person=person)
    assert membership.household == household
    assert membership.relation == "daughter"
    assert membership.in_household


def test_add_member_with_an_id_already_registered_shows_it_next_to_the_field(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1)
    taken = head_of(factories.make_household(factories.VILLAGE_A2)).id_number
    logged_in(client, Role.TOWNSHIP_OFFICER)
    html = post_page(
        client,
        f"/registry/households/{household.pk}/members/new/",
        {"name": "重复", "id_number": taken, "relation": "son", "valid_from": "2025-03-01", "special_status": "none"},
    )
    assert "已登记在另一户" in field_errors(html, "id_id_number")
    assert Membership.objects.filter(household=household).count() == 1


@pytest.mark.parametrize(
    ("disability_type", "grade", "message"),
    [
        pytest.param("physical", "5", "残疾等级应为1–4级", id="等级5级：超出1–4级"),
        pytest.param("physical", "", "残疾类别和残疾等级应同时填写或同时为空", id="有类别无等级"),
        pytest.param("", "2", "残疾类别和残疾等级应同时填写或同时为空", id="有等级无类别"),
    ],
)
def test_add_member_checks_disability_grade(client: Client, disability_type: str, grade: str, message: str) -> None:
    household = factories.make_household(factories.VILLAGE_A1)
    logged_in(client, Role.VILLAGE_INFO_WORKER)
    html = post_page(
        client,
        f"/registry/households/{household.pk}/members/new/",
        {
            "name": "钱六",
            "id_number": factories.id_number(birth=dt.date(1990, 1, 1)),
            "relation": "son",
            "valid_from": "2025-03-01",
            "special_status": "none",
            "disability_type": disability_type,
            "disability_grade": grade,
        },
    )
    assert message in field_errors(html, "id_disability_grade")
    assert Membership.objects.filter(household=household).count() == 1


def test_edit_member_saves_and_keeps_the_old_values_in_the_audit_log(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1, members=2)
    spouse = Membership.objects.get(household=household, relation="spouse").person
    logged_in(client, Role.VILLAGE_INFO_WORKER)
    html = get_page(client, f"/registry/persons/{spouse.pk}/edit/")
    # the edit form is no way round the reveal right: it shows the masked number and starts empty
    assert spouse.id_number not in html
    assert f"现登记为 {id_numbers.mask(spouse.id_number)}；无需更正请留空" in html
    response = client.post(
        f"/registry/persons/{spouse.pk}/edit/",
        {"name": "张秀兰", "id_number": "", "relation": "spouse", "health": "chronic", "special_status": "none"},
    )
    assert response.status_code == 302
    spouse.refresh_from_db()
    assert spouse.name == "张秀兰"
    assert spouse.health == "chronic"
    event = AuditEvent.objects.get(tag=AuditTag.PERSON_UPDATE)
    before, after = event.before or {}, event.after or {}
    assert before["name"] == "张成员1"
    assert after["name"] == "张秀兰"
    assert before["id_number"] == id_numbers.mask(spouse.id_number)


def test_edit_member_corrects_the_id_number_and_derives_birth_date_and_sex(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1)
    head = head_of(household)
    logged_in(client, Role.VILLAGE_INFO_WORKER)
    corrected = factories.id_number(birth=dt.date(1961, 7, 9), sex="female")
    wrong = corrected[:17] + ("0" if corrected[17] != "0" else "1")
    html = post_page(
        client,
        f"/registry/persons/{head.pk}/edit/",
        {"name": head.name, "id_number": wrong, "relation": "head", "special_status": "none"},
    )
    assert "校验位错误" in field_errors(html, "id_id_number")
    response = client.post(
        f"/registry/persons/{head.pk}/edit/",
        {"name": head.name, "id_number": corrected, "relation": "head", "special_status": "none"},
    )
    assert response.status_code == 302
    head.refresh_from_db()
    assert (head.id_number, head.birth_date, head.sex) == (corrected, dt.date(1961, 7, 9), "female")


def test_edit_member_refuses_a_second_head(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1, members=2)
    spouse = Membership.objects.get(household=household, relation="spouse").person
    logged_in(client, Role.VILLAGE_INFO_WORKER)
    html = post_page(
        client,
        f"/registry/persons/{spouse.pk}/edit/",
        {"name": spouse.name, "id_number": spouse.id_number, "relation": "head", "special_status": "none"},
    )
    assert "该户已有户主" in field_errors(html, "id_relation")
    assert Membership.objects.get(person=spouse).relation == "spouse"


# ---------------------------------------------------------------- membership and categories


def test_membership_end_moves_a_member_out_and_keeps_history(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1, members=3)
    son = Membership.objects.get(household=household, relation="son")
    factories.make_enrollment(household, "tekun", dt.date(2024, 1, 1), person=son.person)
    logged_in(client, Role.VILLAGE_INFO_WORKER)
    html = get_page(client, f"/registry/memberships/{son.pk}/end/")
    assert "仍在以下个人救助类别中" in html
    assert "特困" in html
    response = client.post(
        f"/registry/memberships/{son.pk}/end/", {"status": "moved_out", "on": "2025-09-01", "reason": "户口迁往太原市"}
    )
    assert response.status_code == 302
    son.refresh_from_db()
    son.person.refresh_from_db()
    assert son.valid_to == dt.date(2025, 9, 1)
    assert son.person.status == "moved_out"
    event = AuditEvent.objects.get(tag=AuditTag.MEMBERSHIP_END)
    assert event.reason == "户口迁往太原市"
    detail = get_page(client, f"/registry/households/{household.pk}/")
    assert "家庭成员（2人）" in detail
    assert "已离开本户" not in detail
    assert "迁出</td>" in detail


def test_membership_end_date_before_joining_is_refused_in_chinese(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1, valid_from=dt.date(2024, 1, 1))
    membership = Membership.objects.get(household=household)
    logged_in(client, Role.VILLAGE_INFO_WORKER)
    html = post_page(
        client,
        f"/registry/memberships/{membership.pk}/end/",
        {"status": "deceased", "on": "2023-12-31", "reason": "去世"},
    )
    assert "不能早于入户日期2024-01-01" in field_errors(html, "id_on")
    membership.refresh_from_db()
    assert membership.valid_to is None


def test_enrollment_start_and_end_through_the_pages(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1, members=2)
    spouse = Membership.objects.get(household=household, relation="spouse").person
    logged_in(client, Role.TOWNSHIP_OFFICER)
    html = get_page(client, f"/registry/households/{household.pk}/enrollments/new/")
    assert f'<option value="{spouse.pk}">个人：{spouse.name}</option>' in html
    response = client.post(
        f"/registry/households/{household.pk}/enrollments/new/",
        {
            "category": "dibao",
            "subject": "household",
            "valid_from": "2025-01-01",
            "amount_month": "1230.50",
            "decision_number": "榆民低〔2025〕1号",
        },
    )
    assert response.status_code == 302
    enrollment = CategoryEnrollment.objects.get(household=household)
    assert enrollment.person is None
    assert enrollment.amount_month == Decimal("1230.50")
    response = client.post(
        f"/registry/households/{household.pk}/enrollments/new/",
        {"category": "tekun", "subject": str(spouse.pk), "valid_from": "2025-02-01"},
    )
    assert response.status_code == 302
    assert CategoryEnrollment.objects.get(category="tekun").person == spouse

    response = client.post(
        f"/registry/enrollments/{enrollment.pk}/end/", {"on": "2025-06-30", "reason": "收入超过标准"}
    )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.valid_to == dt.date(2025, 6, 30)
    assert enrollment.end_reason == "收入超过标准"
    assert AuditEvent.objects.filter(tag=AuditTag.ENROLLMENT_END, reason="收入超过标准").exists()
    ended = get_page(client, f"/registry/enrollments/{enrollment.pk}/end/")
    assert "该认定已于 2025-06-30 终止" in ended
    assert '<form method="post" action="/registry/enrollments' not in ended


def test_enrollment_start_refuses_a_second_status_in_chinese(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1)
    factories.make_enrollment(household, "dibao", dt.date(2024, 1, 1))
    logged_in(client, Role.TOWNSHIP_OFFICER)
    form_page = get_page(client, f"/registry/households/{household.pk}/enrollments/new/")
    assert "低保·整户</span>（2024-01-01起）" in form_page
    html = post_page(
        client,
        f"/registry/households/{household.pk}/enrollments/new/",
        {"category": "marginal", "subject": "household", "valid_from": "2025-01-01"},
    )
    assert "该家庭已是“低保”，请先办理退出再纳入“低保边缘”" in html
    assert CategoryEnrollment.objects.filter(household=household).count() == 1


def test_enrollment_subject_must_be_a_current_member(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1)
    stranger = head_of(factories.make_household(factories.VILLAGE_A1))
    logged_in(client, Role.TOWNSHIP_OFFICER)
    html = post_page(
        client,
        f"/registry/households/{household.pk}/enrollments/new/",
        {"category": "tekun", "subject": str(stranger.pk), "valid_from": "2025-01-01"},
    )
    assert "选择一个有效的选项" in field_errors(html, "id_subject")
    assert not CategoryEnrollment.objects.exists()


def test_enrollment_end_before_start_is_refused(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1)
    enrollment = factories.make_enrollment(household, "dibao", dt.date(2024, 1, 1))
    logged_in(client, Role.TOWNSHIP_OFFICER)
    html = post_page(client, f"/registry/enrollments/{enrollment.pk}/end/", {"on": "2023-01-01", "reason": "x"})
    assert "不能早于起始日期2024-01-01" in field_errors(html, "id_on")


def post_fragment(client: Client, url: str, data: dict[str, str]) -> tuple[str, dict[str, str]]:
    response = client.post(url, data, headers={"HX-Request": "true"})
    assert response.status_code == 200, response.content.decode()[:500]
    html = response.content.decode()
    check_fragment(html)
    return html, dict(response.headers)


def test_phase_out_is_recorded_and_cancelled_inline_on_the_household_page(client: Client) -> None:
    # given a whole household's 低保 in 桥西社区, inside the 北关 officer's township
    household = factories.make_household(factories.VILLAGE_A2, members=2)
    enrollment = factories.make_enrollment(household, "dibao", dt.date(2023, 4, 1), amount_month=Decimal("620"))
    factories.make_enrollment(household, "relapse_watch", dt.date(2024, 1, 1))  # a tag: no 渐退 offered
    logged_in(client, Role.TOWNSHIP_OFFICER)
    url = f"/registry/enrollments/{enrollment.pk}/phase-out/"
    page = get_page(client, f"/registry/households/{household.pk}/")
    assert page.count("登记渐退</a>") == 1
    assert f'hx-get="{url}" hx-target="#phase-out-{enrollment.pk}"' in page
    assert "phase-out-changed from:body" in page  # the entitlement panel is computed again after a change

    # when they open the form in the row, the dates are checked next to the field, in Chinese
    form = get_fragment(client, url)
    assert '<option value="employment">就业增收</option>' in form
    assert '<option value="voluntary">主动申报退出</option>' in form
    html, _ = post_fragment(client, url, {"reason": "employment", "start": "2023-03-31"})
    assert "不能早于纳入低保的日期2023-04-01" in field_errors(html, f"id_phase_out{enrollment.pk}_start")
    html, _ = post_fragment(client, url, {"reason": "", "start": ""})
    assert field_errors(html, f"id_phase_out{enrollment.pk}_reason")
    assert field_errors(html, f"id_phase_out{enrollment.pk}_start")
    enrollment.refresh_from_db()
    assert enrollment.phase_out_start is None

    # then a valid one is recorded, audited, shown in its row, and tells the page to compute the entitlement again
    html, headers = post_fragment(client, url, {"reason": "employment", "start": "2025-05-10"})
    assert "渐退：就业增收，自2025年5月起" in html
    assert "撤销渐退" in html
    assert headers["HX-Trigger"] == "phase-out-changed"
    enrollment.refresh_from_db()
    assert (enrollment.phase_out_reason, enrollment.phase_out_start) == ("employment", dt.date(2025, 5, 10))
    assert AuditEvent.objects.filter(tag=AuditTag.ENROLLMENT_PHASE_OUT_START).count() == 1
    page = get_page(client, f"/registry/households/{household.pk}/")
    assert "渐退：就业增收，自2025年5月起" in page
    assert "登记渐退</a>" not in page
    # a second one is refused on the form until the first is cancelled
    html, _ = post_fragment(client, url, {"reason": "voluntary", "start": "2025-06-01"})
    assert "如需更改，请先撤销渐退" in html

    # and 撤销渐退 takes it back, audited, offering 登记渐退 again
    html, headers = post_fragment(client, f"{url}cancel/", {})
    assert "登记渐退</a>" in html
    assert headers["HX-Trigger"] == "phase-out-changed"
    enrollment.refresh_from_db()
    assert (enrollment.phase_out_reason, enrollment.phase_out_start) == ("", None)
    assert AuditEvent.objects.filter(tag=AuditTag.ENROLLMENT_PHASE_OUT_CANCEL).count() == 1
    # 取消 in the open form puts the row's line back
    assert "登记渐退</a>" in get_fragment(client, url, cancel="1")


def test_phase_out_pages_work_without_javascript(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1)
    enrollment = factories.make_enrollment(household, "dibao", dt.date(2024, 1, 1), amount_month=Decimal("850"))
    logged_in(client, Role.VILLAGE_INFO_WORKER)  # keeps the data of 羊毫街: the same right as any enrollment
    url = f"/registry/enrollments/{enrollment.pk}/phase-out/"
    assert "渐退原因" in get_page(client, url)
    response = client.post(url, {"reason": "voluntary", "start": "2025-05-01"})
    assert response.status_code == 302
    page = get_page(client, f"/registry/households/{household.pk}/")
    assert "已登记渐退：主动申报退出，自2025年5月起。" in page
    assert "渐退：主动申报退出，自2025年5月起" in page
    confirm = get_page(client, f"{url}cancel/")
    assert "确认撤销渐退" in confirm
    assert client.post(f"{url}cancel/").status_code == 302
    assert "已撤销渐退" in get_page(client, f"/registry/households/{household.pk}/")
    # cancelling again is refused in Chinese
    assert "该低保没有登记渐退，无需撤销" in post_page(client, f"{url}cancel/", {}, expect=400)


def test_phase_out_is_offered_only_on_a_current_whole_household_dibao(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1, members=2)
    spouse = Membership.objects.get(household=household, relation="spouse").person
    ended = factories.make_enrollment(household, "dibao", dt.date(2022, 1, 1), dt.date(2023, 12, 31))
    marginal = factories.make_enrollment(household, "marginal", dt.date(2024, 1, 1))
    tekun = factories.make_enrollment(household, "tekun", dt.date(2024, 1, 1), person=spouse)
    logged_in(client, Role.TOWNSHIP_OFFICER)
    assert "登记渐退" not in get_page(client, f"/registry/households/{household.pk}/")
    assert "该认定已于 2023-12-31 终止" in get_page(client, f"/registry/enrollments/{ended.pk}/phase-out/")
    for enrollment in (marginal, tekun):
        page = get_page(client, f"/registry/enrollments/{enrollment.pk}/phase-out/")
        assert "渐退只适用于整户低保" in page
        html = post_page(
            client, f"/registry/enrollments/{enrollment.pk}/phase-out/", {"reason": "employment", "start": "2025-05-01"}
        )
        assert "渐退只适用于低保" in html
    assert not CategoryEnrollment.objects.exclude(phase_out_reason="").exists()


def test_pages_render_only_the_queries_they_need(client: Client) -> None:
    household = factories.make_household(factories.VILLAGE_A1, members=4)
    factories.make_enrollment(household, "dibao", dt.date(2024, 1, 1))
    logged_in(client, Role.COUNTY_MANAGER)
    from django.db import connection

    with CaptureQueriesContext(connection) as queries:
        get_page(client, f"/registry/households/{household.pk}/")
    assert len(queries) <= 12


def test_the_region_select_escapes_names_and_marks_the_choice() -> None:
    regions = [
        selectors.RegionOption(
            code="140702001002",
            name='<b>"村"</b>',
            level="village",
            prefix="140702001002",
            parent_code=None,
            parent_name="",
            depth=0,
        )
    ]
    form = HouseholdFilterForm({"region": "140702001002"}, regions=regions)
    assert form.is_valid()
    html = str(form["region"])
    assert '<option value="140702001002" selected>&lt;b&gt;&quot;村&quot;&lt;/b&gt;</option>' in html
    assert 'hx-trigger="change"' in html
    refused = HouseholdFilterForm({"region": "140703000000"}, regions=regions)
    assert not refused.is_valid()
    assert "140703000000" in refused.errors["region"][0]
