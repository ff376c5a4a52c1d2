"""``jiuzhu import households`` and ``jiuzhu export households``: the operator's commands, audited as 命令行."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiuzhu.audit.models import AuditEvent
from jiuzhu.audit.tags import AuditTag
from jiuzhu.core.testing import factories
from jiuzhu.exchange.commands import export_households_command, import_households_command
from jiuzhu.exchange.tests.helpers import bad_check_character, member, write
from jiuzhu.exchange.tests.test_importing import HEAD, family_rows
from jiuzhu.registry.models import Person

pytestmark = pytest.mark.django_db


def test_import_prints_the_summary_and_is_audited_as_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert import_households_command(write(tmp_path, family_rows(), fmt="csv")) == 0
    out, err = capsys.readouterr()
    assert "导入完成：共 4 行。家庭：新增 2 户，更新 0 户，未变 0 户；人员：新增 4 人，更新 0 人，未变 0 人。" in out
    assert "正在写入数据库" in err
    event = AuditEvent.objects.get(tag=AuditTag.REGISTRY_IMPORT)
    assert (event.actor_label, event.channel) == ("命令行", "命令行")
    assert Person.objects.count() == 4


def test_a_bad_file_exits_2_listing_the_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad, expected, actual = bad_check_character(factories.id_number())
    assert import_households_command(write(tmp_path, [member("H1", id_number=bad)])) == 2
    _, err = capsys.readouterr()
    assert (
        f"households.xlsx 工作表「家庭成员」第 2 行「身份证号」校验位错误：第18位应为“{expected}”，实为“{actual}”"
        in err
    )
    assert "错误：文件中发现 1 处错误，未写入任何数据。" in err
    assert bad not in err.replace(f"“{actual}”", "")  # the number itself is not printed
    assert not Person.objects.exists()


def test_long_problem_lists_are_cut_at_200_with_the_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [member(f"H{i}", 城乡类别="郊区") for i in range(250)]
    assert import_households_command(write(tmp_path, rows, fmt="csv")) == 2
    _, err = capsys.readouterr()
    assert err.count("不是可选的值") == 200
    assert "……仅列出前 200 处。" in err
    assert "错误：文件中发现 250 处错误" in err


def test_a_missing_or_unsupported_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert import_households_command(tmp_path / "none.xlsx") == 2
    assert "错误：找不到文件" in capsys.readouterr().err
    other = tmp_path / "data.txt"
    other.write_text("x")
    assert import_households_command(other) == 2
    assert "只支持 .xlsx、.csv 和 .parquet 文件" in capsys.readouterr().err


def test_export_is_masked_and_audited(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import_households_command(write(tmp_path, family_rows()))
    out_file = tmp_path / "out.csv"
    assert export_households_command(fmt="csv", out=out_file, region_code="140702", reason="月度核对") == 0
    assert "已导出 2 户、4 人" in capsys.readouterr().out
    assert HEAD not in out_file.read_text(encoding="utf-8-sig")
    event = AuditEvent.objects.get(tag=AuditTag.REGISTRY_EXPORT)
    assert (event.reason, event.channel, event.after["revealed"]) == ("月度核对", "命令行", False)  # type: ignore[index]
    # reveal is ready for the flag the CLI will get
    assert export_households_command(fmt="csv", out=out_file, reason="x", reveal=True) == 0
    assert HEAD in out_file.read_text(encoding="utf-8-sig")


def test_export_with_a_bad_region_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert export_households_command(fmt="csv", out=tmp_path / "a.csv", region_code="1407029") == 2
    assert "区划代码“1407029”应为2、4、6、9或12位数字" in capsys.readouterr().err
    assert export_households_command(fmt="csv", out=tmp_path / "no" / "a.csv") == 2
    assert "不存在" in capsys.readouterr().err
