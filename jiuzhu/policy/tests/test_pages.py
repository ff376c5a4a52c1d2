"""The policy pages: packs with sources, comparison, entitlement page and PDF, what-if, parameter records."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from jiuzhu.accounts.models import Role
from jiuzhu.accounts.services import system_user
from jiuzhu.audit.models import AuditEvent
from jiuzhu.core.errors import DomainError, PermissionRefused
from jiuzhu.core.testing import factories
from jiuzhu.policy.parameter_records import parameter_record_create
from jiuzhu.policy.services import compute_case_text, policy_library
from jiuzhu.policy.whatif import parse_setting, whatif
from jiuzhu.registry.models import Household, Income
from jiuzhu.rules.params import resolve

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2025, 6, 30)


def _login(client: Client, role: Role) -> None:
    client.force_login(factories.make_user(role))


def _household(wage_month: str) -> Household:
    household = factories.make_household(members=2, urban_rural="urban", labour_capacity="full", health="healthy")
    household.financial_assets = Decimal("1000.00")
    household.house_count = 1
    household.vehicle_count = 0
    household.save()
    head = household.memberships.get(relation="head").person
    Income.objects.create(
        household=household,
        person=head,
        type="wage",
        amount=Decimal(wage_month),
        period="month",
        valid_from=dt.date(2024, 1, 1),
    )
    return household


def test_pack_list_and_detail_show_sources_and_flag_drafts_and_examples(client: Client) -> None:
    _login(client, Role.DEPARTMENT_USER)
    page = client.get("/policy/").content.decode()
    assert "全国" in page
    assert "示例值" in page
    detail = client.get("/policy/packs/000000/").content.decode()
    assert "民发〔2021〕57号" in detail
    assert "低保边缘家庭收入倍数" in detail
    assert client.get("/policy/packs/999999/").status_code == 404


def test_compare_lists_both_regions_and_marks_differences(client: Client) -> None:
    _login(client, Role.COUNTY_MANAGER)
    response = client.get("/policy/compare/", {"a": "140702", "b": "341802", "as_of": "2025-06-30"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "低保边缘家庭收入倍数" in page
    bad = client.get("/policy/compare/", {"a": "99", "b": "341802", "as_of": "2025-06-30"}).content.decode()
    assert "区划" in bad


def test_entitlement_page_and_pdf_for_a_household_in_jurisdiction(client: Client) -> None:
    household = _household("300.00")
    _login(client, Role.TOWNSHIP_OFFICER)
    page = client.get(f"/policy/households/{household.pk}/", {"as_of": "2025-06-30"}).content.decode()
    assert "最低生活保障" in page or "低保" in page
    assert "计算过程" in page
    pdf = client.get(f"/policy/households/{household.pk}/pdf/", {"as_of": "2025-06-30"})
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    outsider = factories.make_household(factories.OTHER_COUNTY_VILLAGE)
    assert client.get(f"/policy/households/{outsider.pk}/").status_code == 404


def test_whatif_counts_who_gains_and_costs_it_per_month_and_year() -> None:
    household = _household("300.00")
    parameters = resolve(policy_library(), "140702", AS_OF)
    standard = parameters.get("dibao.standard.urban")
    assert standard is not None
    monthly = Decimal(str(standard.value)) if standard.unit == "元/人·月" else Decimal(str(standard.value)) / 12
    name, value = parse_setting(f"dibao.standard.urban={monthly + 100}元/人·月")
    report = whatif(region_code="140702", as_of=AS_OF, settings={name: value}, actor=system_user())
    dibao = report.by_programme["dibao"]
    assert dibao["gain"] == 1
    # 100 元 more per person for two persons, and the head (65) gets the elderly 分类施保 share of the rise
    elderly = parameters.get("dibao.category_supplement.elderly")
    assert elderly is not None
    assert elderly.unit == "倍标准"
    assert dibao["delta_month"] == Decimal("200.00") + Decimal(100) * Decimal(str(elderly.value))
    assert report.cost_year == report.cost_month * 12
    change = next(c for c in report.changes if c.programme == "dibao")
    assert change.household_id == household.id
    assert change.kind == "gain"
    assert AuditEvent.objects.filter(tag="policy:whatif").count() == 1


def test_whatif_refuses_a_bad_setting_in_chinese() -> None:
    _household("300.00")
    with pytest.raises(DomainError, match="格式错误"):
        parse_setting("dibao.standard.urban 900")
    with pytest.raises(DomainError, match="未知的单位"):
        whatif(
            region_code="140702",
            as_of=AS_OF,
            settings={"dibao.standard.urban": (Decimal(900), "元/人")},
            actor=system_user(),
        )


def test_whatif_page_downloads_an_excel_report(client: Client) -> None:
    _household("300.00")
    _login(client, Role.COUNTY_MANAGER)
    form = {"settings": "dibao.standard.urban=2000元/人·月", "as_of": "2025-06-30", "region": "", "format": "html"}
    page = client.post("/policy/whatif/", form).content.decode()
    assert "月增支" in page
    download = client.post("/policy/whatif/", {**form, "format": "xlsx"})
    book = load_workbook(io.BytesIO(download.content))
    assert book.sheetnames == ["汇总", "按乡镇", "变化家庭"]
    assert book["变化家庭"].max_row >= 2
    outside = client.post("/policy/whatif/", {**form, "region": "140703"}).content.decode()
    assert "不在您的管辖范围内" in outside


def test_parameter_record_is_audited_and_layered_over_the_yaml(tmp_path: object) -> None:
    admin = factories.make_user(Role.SYSTEM_ADMIN)
    record = parameter_record_create(
        actor=admin,
        region_code="140702",
        name="dibao.standard.urban",
        value="1234",
        unit="元/人·月",
        effective=dt.date(2026, 1, 1),
        source="榆政发〔2026〕1号",
    )
    assert AuditEvent.objects.filter(tag="policy:parameter_record", subject_id=str(record.pk)).exists()
    case = (
        '{"region": "140702", "as_of": "2026-03-01", "area": "urban", "programmes": ["dibao"], '
        '"household": {"members": [{"id": "m1", "incomes": []}], '
        '"assets": {"deposits": "0", "vehicles": [], "houses": 1}}}'
    )
    output = compute_case_text(case).output
    assert output["results"]["dibao"]["standard_month"] == "1234.00"
    before = compute_case_text(case.replace("2026-03-01", "2025-12-31")).output
    assert before["results"]["dibao"]["standard_month"] != "1234.00"


def test_parameter_records_are_checked_like_yaml_and_kept_to_the_jurisdiction() -> None:
    admin = factories.make_user(Role.SYSTEM_ADMIN)
    common = {"actor": admin, "name": "dibao.standard.urban", "effective": dt.date(2026, 1, 1), "source": "某文号"}
    with pytest.raises(DomainError, match="单位"):
        parameter_record_create(region_code="140702", value="900", unit="元", **common)  # type: ignore[arg-type]
    with pytest.raises(DomainError, match="负数"):
        parameter_record_create(region_code="140702", value="-1", unit="元/人·月", **common)  # type: ignore[arg-type]
    with pytest.raises(DomainError, match="管辖范围"):
        parameter_record_create(region_code="140703", value="900", unit="元/人·月", **common)  # type: ignore[arg-type]
    with pytest.raises(PermissionRefused):
        parameter_record_create(
            actor=factories.make_user(Role.COUNTY_MANAGER),
            region_code="140702",
            name="dibao.standard.urban",
            value="900",
            unit="元/人·月",
            effective=dt.date(2026, 1, 1),
            source="某文号",
        )


def test_household_page_loads_the_entitlement_summary_by_htmx(client: Client) -> None:
    household = _household("300.00")
    _login(client, Role.VILLAGE_INFO_WORKER)
    detail = client.get(f"/registry/households/{household.pk}/").content.decode()
    assert f'hx-get="/policy/households/{household.pk}/"' in detail
    partial = client.get(f"/policy/households/{household.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial
    assert "月金额" in partial
