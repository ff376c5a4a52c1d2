"""Bad cases through the real console script: exit 2, nothing on stdout, a Chinese message naming the key.

The corpus is ``bad_cases/``: each file is ``_baseline.json`` (valid) with one thing wrong, and
``index.yaml`` says which key the message must name (case-format.md: "exit 2 and a Chinese message
on stderr naming the key and the problem"). Usage errors of the command line are Chinese too.

Each run is ``jiuzhu policy compute FILE --json`` as a subprocess: the rules engine's tests do not
import the command line, which reaches Django. The corpus runs three processes at a time.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from jiuzhu.rules.case import case_from_json
from jiuzhu.rules.evaluate import evaluate_case

BAD_CASES = Path(__file__).resolve().parent / "bad_cases"
BASELINE = BAD_CASES / "_baseline.json"
INDEX: dict[str, dict[str, str]] = yaml.safe_load((BAD_CASES / "index.yaml").read_text(encoding="utf-8"))
CONSOLE = Path(sys.executable).with_name("jiuzhu")  # the installed console script
HAN = re.compile(r"[\u4e00-\u9fff]")

Run = tuple[int, str, str]  # exit status, stdout, stderr


def run_console(*argv: str) -> Run:
    """``jiuzhu *argv`` as a subprocess."""
    done = subprocess.run([str(CONSOLE), *argv], capture_output=True, text=True, timeout=300, check=False)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def corpus_runs() -> dict[str, Run]:
    """Every bad case through ``jiuzhu policy compute FILE --json``."""
    names = sorted(INDEX)
    with ThreadPoolExecutor(max_workers=3) as pool:
        runs = list(pool.map(lambda name: run_console("policy", "compute", str(BAD_CASES / name), "--json"), names))
    return dict(zip(names, runs, strict=True))


def assert_refused(run: Run, expected: dict[str, str]) -> None:
    status, out, err = run
    assert status == 2, err
    assert out == ""
    assert err.startswith("错误："), err
    assert err.endswith("\n")
    assert err.count("\n") == 1, "one line on stderr"
    assert "Traceback" not in err
    assert HAN.search(err.split("：", 2)[-1]), f"message not in Chinese: {err}"
    if "key" in expected:
        assert f"“{expected['key']}”" in err, f"message does not name {expected['key']}: {err}"
    if "contains" in expected:
        assert expected["contains"] in err, err


def test_index_lists_every_file_and_enough_of_them() -> None:
    files = {path.name for path in BAD_CASES.glob("*.json")} - {BASELINE.name}
    assert files == set(INDEX), f"not indexed: {sorted(files - set(INDEX))}; missing: {sorted(set(INDEX) - files)}"
    assert len(files) >= 20
    for name, entry in INDEX.items():
        assert entry.get("problem"), name
        assert "key" in entry or "contains" in entry, name


def test_baseline_is_valid() -> None:
    status, out, err = run_console("policy", "compute", str(BASELINE), "--json")
    assert status == 0, err
    assert err == ""
    assert json.loads(out)["results"]["dibao"]["eligible"] in (True, False, None)


@pytest.mark.parametrize("name", sorted(INDEX))
def test_bad_case_is_refused(corpus_runs: dict[str, Run], name: str) -> None:
    assert_refused(corpus_runs[name], INDEX[name])
    assert corpus_runs[name][2].startswith(f"错误：{BAD_CASES / name}："), "the message names the file first"


@pytest.mark.parametrize(
    "name", ["01-not-json-truncated.json", "24-sex-unknown.json", "51-parameter-unknown-unit.json"]
)
def test_bad_case_is_refused_with_explain_too(name: str) -> None:
    assert_refused(run_console("policy", "compute", str(BAD_CASES / name), "--explain"), INDEX[name])


# ----------------------------------------------------------------------------- near misses that are valid


def _baseline() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(BASELINE.read_text(encoding="utf-8"))
    return data


def _compute(text: str) -> dict[str, Any]:
    output: dict[str, Any] = evaluate_case(case_from_json(text)).output
    return output


def test_exponent_notation_is_an_exact_amount() -> None:
    """ "1.2e3" (string) and 1.2E3 (number) are 1200 exactly: Decimal notation, not a float."""
    text = json.dumps(_baseline(), ensure_ascii=False)
    plain = _compute(text)
    for other in (text.replace('"1200.00"', '"1.2e3"'), text.replace('"1200.00"', "1.2E3")):
        assert _compute(other)["results"] == plain["results"]


def test_byte_order_mark_is_accepted() -> None:
    assert _compute("\ufeff" + BASELINE.read_text(encoding="utf-8"))["region"] == "140702"


def test_as_of_option_overrides_a_missing_as_of(tmp_path: Path) -> None:
    data = _baseline()
    del data["as_of"]
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    status, out, err = run_console("policy", "compute", str(path), "--json", "--as-of", "2024-01-31")
    assert status == 0, err
    assert json.loads(out)["as_of"] == "2024-01-31"


def test_json_with_explain_keeps_stdout_pure_json() -> None:
    status, out, err = run_console("policy", "compute", str(BASELINE), "--json", "--explain")
    assert status == 0
    json.loads(out)  # nothing but the object
    assert "计算过程" in err


# ----------------------------------------------------------------------------- usage errors of the command line


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("policy", "compute", str(BASELINE), "--bogus"), "无法识别的参数：--bogus"),
        (("policy", "compute", "--json"), "缺少必需的参数：案件文件"),
        (("policy", "compute", str(BASELINE), "--programme"), "需要一个值"),
        (("policy",), "缺少必需的参数：子命令"),
        (("policy", "compte", str(BASELINE)), "无效的选项"),
        (("policy", "compute", "/nonexistent/case.json", "--json"), "不存在"),
        (("policy", "compute", str(BAD_CASES), "--json"), "是目录"),
        (("policy", "compute", str(BASELINE), "--as-of", "2025-13-01", "--json"), "--as-of 应为日期 YYYY-MM-DD"),
        (("policy", "compute", str(BASELINE), "--as-of", "30/06/2025"), "--as-of 应为日期 YYYY-MM-DD"),
        (("policy", "compute", str(BASELINE), "--programme", "wubao", "--json"), "“--programme”：未知的取值“wubao”"),
    ],
)
def test_usage_errors_are_chinese(argv: tuple[str, ...], expected: str) -> None:
    status, out, err = run_console(*argv)
    assert status == 2
    assert out == ""
    assert expected in err, err
    assert "Traceback" not in err
    assert "error:" not in err, err
    assert "usage:" not in err, err


def test_usage_error_shows_the_chinese_usage_line() -> None:
    status, out, err = run_console("policy", "compute", "--bogus")
    assert (status, out) == (2, "")
    assert err.startswith("用法：jiuzhu policy compute"), err


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gbk.json"
    path.write_bytes(json.dumps(_baseline(), ensure_ascii=False).encode("gbk"))
    status, out, err = run_console("policy", "compute", str(path), "--json")
    assert (status, out) == (2, "")
    assert "不是 UTF-8 编码的文本" in err


def test_deeply_nested_json_is_refused_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    status, out, err = run_console("policy", "compute", str(path), "--json")
    assert (status, out) == (2, "")
    assert "嵌套层数过多" in err
    assert "Traceback" not in err
