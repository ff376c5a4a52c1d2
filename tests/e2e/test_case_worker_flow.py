"""A township case worker's day in the browser: sign in, find a household, open it, correct a member
(a wrong ID is refused in Chinese), record a 低保 渐退, import a spreadsheet with a bad row (the row is named),
export."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from jiuzhu.accounts.models import Role
from jiuzhu.audit.models import AuditEvent
from jiuzhu.core.testing import factories
from jiuzhu.registry.models import CategoryEnrollment, Household, Income, Person
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("工作台")


def test_case_worker_finds_opens_and_corrects_a_household(page: Page, live_server: object) -> None:
    base = str(live_server)
    officer = factories.make_user(Role.TOWNSHIP_OFFICER, username="zhangsan_officer")
    household = factories.make_household(factories.VILLAGE_A1, members=3, head_name="王建国")
    factories.make_household(factories.VILLAGE_A2, members=2, head_name="李秀英")
    factories.make_household(factories.OTHER_COUNTY_VILLAGE, members=1, head_name="王外县")
    head = Person.objects.get(name="王建国")

    sign_in(page, base, officer.username)
    screenshot(page, "e2e-01-home")

    # Search by the head's name: the household of another county is not listed.
    page.get_by_role("link", name="家庭档案").first.click()
    page.get_by_label("查询").fill("王")
    page.get_by_role("button", name="查询").click()
    results = page.locator("#results")
    expect(results).to_contain_text(household.household_number)
    expect(results).not_to_contain_text("王外县")
    expect(results).to_contain_text("1407**********")
    expect(results).not_to_contain_text(head.id_number)
    screenshot(page, "e2e-02-search")

    # Search by the exact ID number finds the same household.
    page.get_by_label("查询").fill(head.id_number)
    page.get_by_role("button", name="查询").click()
    expect(results).to_contain_text(household.household_number)
    expect(results).to_contain_text("共 1 户")

    # Open it.
    page.get_by_role("link", name=household.household_number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("王建国")
    expect(page.locator("body")).to_contain_text("山西省晋中市榆次区")
    screenshot(page, "e2e-03-household")

    # Edit a member with a wrong check character: refused next to the field, in Chinese.
    page.get_by_role("row", name=re.compile("王建国")).first.get_by_role("link", name="修改").click()
    wrong = head.id_number[:17] + ("0" if head.id_number[17] != "0" else "1")
    page.get_by_label("更正身份证号").fill(wrong)
    page.get_by_role("button", name="保存").click()
    expect(page.locator("body")).to_contain_text("校验位错误")
    expect(page.locator("body")).to_contain_text(f"第18位应为“{head.id_number[17]}”")
    screenshot(page, "e2e-04-bad-id")
    head.refresh_from_db()
    assert head.id_number != wrong

    # Reveal the full number with a reason: shown, and audited.
    page.goto(f"{base}/registry/households/{household.pk}/")
    page.get_by_role("row", name=re.compile("王建国")).first.get_by_role("link", name="显示").click()
    page.get_by_label(re.compile("查看事由")).fill("核对户籍信息")
    page.get_by_role("button", name="确认查看").click()
    expect(page.locator("body")).to_contain_text(head.id_number)
    assert AuditEvent.objects.filter(tag="person:id_number_reveal", reason="核对户籍信息").count() == 1
    screenshot(page, "e2e-05-reveal")


def test_case_worker_records_a_dibao_phase_out(page: Page, live_server: object) -> None:
    """The head found work and the income is over the standard: the officer records a 渐退 on the household's
    低保 in its row, and the entitlement below is computed again with the previous 低保金 kept."""
    base = str(live_server)
    officer = factories.make_user(Role.TOWNSHIP_OFFICER, username="wangwu_officer")
    household = factories.make_household(factories.VILLAGE_A1, members=2, head_name="郝建国", labour_capacity="full")
    household.financial_assets, household.house_count, household.vehicle_count = Decimal("2000"), 1, 0
    household.save()
    head = Person.objects.get(name="郝建国")
    Income.objects.create(
        household=household,
        person=head,
        type="wage",
        amount=Decimal("3000"),
        period="month",
        valid_from=dt.date(2024, 1, 1),
    )
    dibao = factories.make_enrollment(
        household, "dibao", dt.date(2023, 4, 1), amount_month=Decimal("620.00"), decision_number="榆民低〔2023〕12号"
    )
    start = timezone.localdate().replace(day=1)  # the 渐退 runs from this month: today's entitlement is inside it

    sign_in(page, base, officer.username)
    page.goto(f"{base}/registry/households/{household.pk}/")
    entitlement = page.locator("[hx-trigger*='phase-out-changed']")
    expect(entitlement).to_contain_text("不低于低保标准")  # over the standard: no 低保 without a 渐退
    phase_out = page.locator(f"#phase-out-{dibao.pk}")
    phase_out.get_by_role("link", name="登记渐退").click()
    phase_out.get_by_label("渐退原因").select_option(label="就业增收")
    phase_out.get_by_label("渐退开始日期").fill("2023-03-01")  # before the household entered 低保: refused
    phase_out.get_by_role("button", name="确认登记").click()
    expect(phase_out).to_contain_text("不能早于纳入低保的日期2023-04-01")
    screenshot(page, "e2e-08-phase-out-form")
    phase_out.get_by_label("渐退开始日期").fill(start.isoformat())
    phase_out.get_by_role("button", name="确认登记").click()
    expect(phase_out).to_contain_text(f"渐退：就业增收，自{start.year}年{start.month}月起")
    expect(phase_out.get_by_role("button", name="撤销渐退")).to_be_visible()
    # the entitlement panel is computed again: 低保 goes on at the previous amount during the 渐退期
    expect(entitlement).to_contain_text(f"渐退期（自{start.year}年{start.month}月起）：渐退期内继续发放")
    expect(entitlement).to_contain_text("620.00")
    dibao.refresh_from_db()
    assert (dibao.phase_out_reason, dibao.phase_out_start) == ("employment", start)
    assert CategoryEnrollment.objects.get(pk=dibao.pk).valid_to is None
    assert AuditEvent.objects.filter(tag="enrollment:phase_out_start").count() == 1
    screenshot(page, "e2e-09-phase-out")


def test_import_names_the_bad_row_and_export_downloads(page: Page, live_server: object, tmp_path: Path) -> None:
    base = str(live_server)
    officer = factories.make_user(Role.TOWNSHIP_OFFICER, username="lisi_officer")
    factories.make_household(factories.VILLAGE_A1, members=2, head_name="赵德胜")
    sign_in(page, base, officer.username)

    # Download the template, fill two rows, the second with a wrong check character.
    page.goto(f"{base}/exchange/import/households/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("下载.*模板")).click()
    template = tmp_path / "模板.xlsx"
    download_info.value.save_as(template)
    good = factories.id_number(sex="male")
    bad = factories.id_number(sex="female")
    bad = bad[:17] + ("0" if bad[17] != "0" else "1")
    workbook = load_workbook(template)
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    rows = [
        {
            "户编号": "E2E-0001",
            "所属村(社区)代码": factories.VILLAGE_A1,
            "城乡类别": "农村",
            "家庭住址": "测试路1号",
            "姓名": "孙大伟",
            "身份证号": good,
            "与户主关系": "户主",
        },
        {
            "户编号": "E2E-0001",
            "所属村(社区)代码": factories.VILLAGE_A1,
            "城乡类别": "农村",
            "家庭住址": "测试路1号",
            "姓名": "孙小红",
            "身份证号": bad,
            "与户主关系": "女",
        },
    ]
    for index, row in enumerate(rows, start=2):
        for column, header in enumerate(headers, start=1):
            if header in row:
                sheet.cell(row=index, column=column, value=row[header])
    upload = tmp_path / "households.xlsx"
    workbook.save(upload)
    before = Household.objects.count()

    page.get_by_label(re.compile("文件")).set_input_files(str(upload))
    page.get_by_role("button", name="开始导入").click()
    expect(page.locator("body")).to_contain_text("未写入任何数据")
    error_row = page.locator("table.exchange-errors tbody tr").first
    expect(error_row.locator("td").nth(0)).to_have_text("households.xlsx")
    expect(error_row.locator("td").nth(2)).to_have_text("3")  # the Excel row of 孙小红
    expect(error_row.locator("td").nth(3)).to_have_text("身份证号")
    expect(error_row.locator("td").nth(4)).to_contain_text("校验位错误")
    screenshot(page, "e2e-06-import-error")
    assert Household.objects.count() == before  # nothing written

    # Export the township's households as CSV: a file with masked ID numbers.
    page.goto(f"{base}/exchange/export/households/")
    page.get_by_role("radio", name=re.compile("CSV")).check()
    page.get_by_label(re.compile("事由")).fill("月度核对")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="导出", exact=True).click()
    exported = tmp_path / "export.csv"
    download_info.value.save_as(exported)
    text = exported.read_text(encoding="utf-8-sig")
    assert "赵德胜" in text
    assert "1407**********" in text
    assert AuditEvent.objects.filter(tag="registry:export").exists()
    screenshot(page, "e2e-07-export")
