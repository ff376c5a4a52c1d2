"""The import and export pages per right: upload, error table, summary, template, download; every page passes
the page checker."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from django.test import Client
from openpyxl import load_workbook

from jiuzhu.accounts.models import Role, User
from jiuzhu.audit.models import AuditEvent
from jiuzhu.audit.tags import AuditTag
from jiuzhu.core.testing import factories
from jiuzhu.core.testing.page_checker import check_page
from jiuzhu.exchange.columns import COLUMNS
from jiuzhu.exchange.tests.helpers import bad_check_character, member, write
from jiuzhu.exchange.tests.test_importing import HEAD, family_rows
from jiuzhu.registry.models import Household, Person

pytestmark = pytest.mark.django_db

IMPORT = "/exchange/import/households/"
TEMPLATE = "/exchange/import/households/template.xlsx"
EXPORT = "/exchange/export/households/"
H1 = f"{factories.VILLAGE_A1}00901"


def page(response: object, status: int = 200) -> str:
    assert response.status_code == status, response.content.decode()[:300]  # type: ignore[attr-defined]
    html = response.content.decode()  # type: ignore[attr-defined]
    check_page(html)
    return html


def upload(client: Client, path: Path, **extra: str) -> object:
    with path.open("rb") as handle:
        return client.post(IMPORT, {"file": handle, **extra})


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.TOWNSHIP_OFFICER, True),
        (Role.COUNTY_MANAGER, True),
        (Role.VILLAGE_INFO_WORKER, False),
        (Role.TOWNSHIP_REVIEWER, False),
        (Role.DEPARTMENT_USER, False),
        (Role.SUPERVISOR, False),
        (Role.SYSTEM_ADMIN, False),
    ],
)
def test_the_import_page_needs_the_import_right(client: Client, role: Role, allowed: bool) -> None:
    client.force_login(factories.make_user(role))
    html = page(client.get(IMPORT), 200 if allowed else 403)
    if allowed:
        assert "批量导入家庭和成员" in html
        assert TEMPLATE in html
    else:
        assert "批量导入" in html
        assert "权限" in html


def test_an_upload_with_errors_shows_the_error_table_and_writes_nothing(
    client: Client, tmp_path: Path, township_officer: User
) -> None:
    client.force_login(township_officer)
    bad, expected, actual = bad_check_character(factories.id_number())
    path = write(
        tmp_path,
        [
            member(H1),
            member(H1, name="李四", relation="配偶", id_number=bad),
            member(H1, name="王五", relation="子", village=factories.VILLAGE_A2),
            member("H2", village=factories.VILLAGE_B1),
        ],
    )
    html = page(upload(client, path), 422)
    assert "文件中发现 3 处错误，未写入任何数据" in html
    assert '<th>文件</th><th>工作表</th><th class="num">行</th><th>列</th><th>问题</th>' in html
    assert (
        f'<td>households.xlsx</td><td>家庭成员</td><td class="num">3</td><td>身份证号</td>'
        f'<td class="wraps">校验位错误：第18位应为“{expected}”，实为“{actual}”</td>'
    ) in html
    assert "“140702001003”与同户第 2 行的“140702001002”不一致" in html
    assert "乐平社区居民委员会不在您的管辖范围内" in html
    assert not Household.objects.exists()


def test_a_good_upload_shows_the_summary(client: Client, tmp_path: Path, county_manager: User) -> None:
    client.force_login(county_manager)
    html = page(upload(client, write(tmp_path, family_rows(), fmt="csv")))
    assert "导入完成：共 4 行。家庭：新增 2 户，更新 0 户，未变 0 户；人员：新增 4 人，更新 0 人，未变 0 人。" in html
    assert Person.objects.count() == 4
    event = AuditEvent.objects.get(tag=AuditTag.REGISTRY_IMPORT)
    assert event.after is not None
    assert event.after["file"] == "households.csv"
    # a second upload of the same file changes nothing, and says so
    html = page(upload(client, write(tmp_path, family_rows(), fmt="csv")))
    assert "文件内容与系统中的档案一致，没有任何改动" in html


def test_a_dry_run_upload_writes_nothing(client: Client, tmp_path: Path, county_manager: User) -> None:
    client.force_login(county_manager)
    html = page(upload(client, write(tmp_path, family_rows()), dry_run="on"))
    assert "校验通过（仅校验，未写入）" in html
    assert not Person.objects.exists()


def test_an_unsupported_file_is_refused_in_chinese(client: Client, tmp_path: Path, county_manager: User) -> None:
    client.force_login(county_manager)
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    assert "不支持旧版 .xls 文件" in page(upload(client, old), 422)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    assert "无法读取“broken.xlsx”：文件已损坏或不是 xlsx 格式。" in page(upload(client, broken), 400)
    assert "请选择要导入的文件" in page(client.post(IMPORT, {}), 422)


def test_the_template_has_headers_dropdowns_instructions_and_villages(
    client: Client, township_officer: User, tmp_path: Path
) -> None:
    client.force_login(township_officer)
    response = client.get(TEMPLATE)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    path = tmp_path / "template.xlsx"
    path.write_bytes(response.content)
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["家庭成员", "选项", "填写说明", "村(社区)代码"]
    data = workbook["家庭成员"]
    assert [c.value for c in data[1]] == [c.header for c in COLUMNS]
    validated = {str(v.sqref).split(":")[0][:-1] for v in data.data_validations.dataValidation}
    assert {"C", "M"} <= validated  # 城乡类别, 与户主关系 have dropdowns
    notes = [row[0] for row in workbook["填写说明"].iter_rows(values_only=True)]
    assert "身份证号" in notes
    assert "与户主关系" in notes
    villages = list(workbook["村(社区)代码"].iter_rows(min_row=2, values_only=True))
    assert (factories.VILLAGE_A1, "北关街道 羊毫街社区居民委员会") in villages
    assert all(code.startswith(factories.TOWNSHIP_A[:9]) for code, _ in villages)
    # and the empty template imports as "no data"
    assert "没有数据行" in page(upload(client, path), 400)


def test_a_village_worker_may_download_the_template_to_prepare_data(client: Client, village_worker: User) -> None:
    client.force_login(village_worker)
    assert client.get(TEMPLATE).status_code == 200
    client.force_login(factories.make_user(Role.DEPARTMENT_USER))
    assert client.get(TEMPLATE).status_code == 403


def test_the_export_page_offers_reveal_only_to_those_with_the_right(client: Client, county_manager: User) -> None:
    client.force_login(county_manager)
    html = page(client.get(EXPORT))
    assert "显示完整身份证号" in html
    assert "导出事由" in html
    assert "北关街道" in html
    client.force_login(factories.make_user(Role.SUPERVISOR))
    assert "显示完整身份证号" not in page(client.get(EXPORT))
    client.force_login(factories.make_user(Role.DEPARTMENT_USER))
    page(client.get(EXPORT), 403)


def test_export_downloads_a_file_and_records_it(client: Client, tmp_path: Path, county_manager: User) -> None:
    client.force_login(county_manager)
    upload(client, write(tmp_path, family_rows()))
    response = client.post(EXPORT, {"fmt": "csv", "region": factories.TOWNSHIP_A, "reason": "年度复核", "reveal": "on"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert ".csv" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    rows = pacsv.read_csv(
        io.BytesIO(body), convert_options=pacsv.ConvertOptions(column_types={"身份证号": "string"})
    ).to_pylist()
    assert len(rows) == 4
    assert rows[0]["身份证号"] == HEAD
    event = AuditEvent.objects.get(tag=AuditTag.REGISTRY_EXPORT)
    assert (event.reason, event.region_code, event.after["revealed"], event.ip_address) == (  # type: ignore[index]
        "年度复核",
        factories.TOWNSHIP_A,
        True,
        "127.0.0.1",
    )


def test_export_without_a_reason_or_outside_the_jurisdiction_is_refused(client: Client, township_officer: User) -> None:
    client.force_login(township_officer)
    html = page(client.post(EXPORT, {"fmt": "xlsx", "region": "", "reason": ""}), 422)
    assert "请填写导出事由" in html
    html = page(client.post(EXPORT, {"fmt": "xlsx", "region": factories.VILLAGE_B1, "reason": "x"}), 422)
    assert "请选择您管辖范围内的区域" in html
    assert not AuditEvent.objects.filter(tag=AuditTag.REGISTRY_EXPORT).exists()


def test_reveal_posted_by_a_user_without_the_right_is_ignored(
    client: Client, tmp_path: Path, county_manager: User
) -> None:
    client.force_login(county_manager)
    upload(client, write(tmp_path, family_rows()))
    client.force_login(factories.make_user(Role.SUPERVISOR))
    response = client.post(EXPORT, {"fmt": "csv", "reason": "检查", "reveal": "on"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert HEAD not in body
    assert AuditEvent.objects.get(tag=AuditTag.REGISTRY_EXPORT).after["revealed"] is False  # type: ignore[index]


def test_exported_xlsx_opens_with_the_members_sheet(client: Client, tmp_path: Path, county_manager: User) -> None:
    client.force_login(county_manager)
    upload(client, write(tmp_path, family_rows()))
    response = client.post(EXPORT, {"fmt": "xlsx", "reason": "核对"})
    path = tmp_path / "out.xlsx"
    path.write_bytes(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    assert load_workbook(path, read_only=True).sheetnames == ["家庭成员", "填写说明"]
