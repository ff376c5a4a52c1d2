"""Worked examples: hand-computed cases for each seed pack (``jiuzhu/rules/examples/<code>.yaml``).

Each file names its pack and lists cases; a case states the rule it shows (its name, used as the test
id), where the expected figure comes from (``source``), the arithmetic done by hand (``note``), the
case-format input and the expected outputs per programme. The expected figures were computed from
the pack's values by hand, not copied from the engine: a failure means the engine and the written
rule disagree. A case may carry ``xfail: <reason>`` when the engine is known to disagree with the
rule (the reason says why); it then must still fail (strict).

``expect`` maps a programme id to the output keys to compare exactly; the special key
``reasons_contain`` lists fragments that must each appear in one of the programme's reasons.
``expect_notes`` lists fragments that must each appear in the output's ``notes``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from jiuzhu.rules.case import case_from_dict
from jiuzhu.rules.evaluate import evaluate_case
from jiuzhu.rules.params import default_library, normalise_region

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
CASE_KEYS = {"name", "source", "note", "case", "expect", "expect_notes", "xfail"}
TWO_DECIMALS = re.compile(r"\d+\.\d{2}")
MIN_CASES_PER_PACK = 8


def _plain(value: Any, where: str) -> Any:
    """YAML → the JSON a case file would hold: dates as ISO strings, no floats (money stays exact)."""
    if isinstance(value, float):
        raise AssertionError(f"{where}：数值应写成带引号的字符串（YAML 浮点数会失去精度）：{value}")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def _files() -> list[Path]:
    return sorted(EXAMPLES_DIR.glob("*.yaml"))


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}：应为映射"
    assert set(data) == {"pack", "cases"}, f"{path.name}：应只有 pack 和 cases 两个键"
    return data


def _params() -> list[Any]:
    params = []
    for path in _files():
        data = _load(path)
        for index, case in enumerate(data["cases"]):
            marks = [pytest.mark.xfail(reason=case["xfail"], strict=True)] if case.get("xfail") else []
            params.append(
                pytest.param(str(data["pack"]), case, id=case.get("name", f"{path.stem}[{index}]"), marks=marks)
            )
    return params


def test_every_seed_pack_has_worked_examples() -> None:
    library = default_library()
    files = {path.stem: _load(path) for path in _files()}
    assert set(files) >= {"140700", "321200", "610203", "340121", "341800"}
    for stem, data in files.items():
        assert str(data["pack"]) == stem, f"{stem}.yaml 的 pack 应为 {stem}"
        assert stem in library.packs, f"没有参数包 {stem}"
        cases = data["cases"]
        assert len(cases) >= MIN_CASES_PER_PACK, f"{stem}.yaml 只有 {len(cases)} 个案例"
        names = [case["name"] for case in cases]
        assert len(set(names)) == len(names), f"{stem}.yaml 有重名的案例"
        for case in cases:
            assert set(case) <= CASE_KEYS, f"{case['name']}：未知的键 {sorted(set(case) - CASE_KEYS)}"
            for key in ("name", "source", "note", "case", "expect"):
                assert case.get(key), f"{case.get('name')}：缺少 {key}"


@pytest.mark.parametrize(("pack", "example"), _params())
def test_worked_example(pack: str, example: dict[str, Any]) -> None:
    library = default_library()
    raw = _plain(example["case"], example["name"])
    case = case_from_dict(raw)
    assert pack in [p.region for p in library.chain(normalise_region(case.region))], (
        f"案例区划 {case.region} 不使用参数包 {pack}"
    )
    output = evaluate_case(case, library=library).output
    results = output["results"]
    for programme, expected in example["expect"].items():
        assert programme in results, f"结果中没有 {programme}（区划 {case.region}，{case.as_of}）"
        result = results[programme]
        for key, want in expected.items():
            if key == "reasons_contain":
                for fragment in want:
                    assert any(fragment in reason for reason in result["reasons"]), (
                        f"{programme} 的理由中没有“{fragment}”：{result['reasons']}"
                    )
                continue
            want = _plain(want, f"{example['name']}.expect.{programme}.{key}")
            if isinstance(want, str) and TWO_DECIMALS.fullmatch(want):
                assert isinstance(result.get(key), str), f"{programme}.{key} 应为两位小数的字符串"
            assert result.get(key) == want, f"{programme}.{key}：期望 {want!r}，引擎为 {result.get(key)!r}"
    for fragment in example.get("expect_notes", []):
        assert any(fragment in note for note in output.get("notes", [])), f"notes 中没有“{fragment}”"
    # Every parameter the trace shows says where it came from (case-format.md, Output).
    for row in output["trace"]:
        for parameter in row["parameters"]:
            where = f"{row['step']} 的参数 {parameter['name']}"
            assert parameter["region"], f"{where} 缺少 region"
            assert parameter["source"], f"{where} 缺少 source"
            assert parameter["unit"], f"{where} 缺少 unit"
            if not parameter["overlaid"]:
                assert parameter["effective"], f"{where} 缺少 effective"


def test_expected_amounts_are_exact_strings() -> None:
    """Every expected amount is a two-decimal string, as the contract prints it (``null`` when unknown)."""
    for path in _files():
        for case in _load(path)["cases"]:
            for programme, expected in case["expect"].items():
                for key, want in expected.items():
                    if (key.endswith("_month") or key in ("amount", "cap", "expense_annual")) and want is not None:
                        problem = f"{case['name']}：{programme}.{key} 应写成两位小数的字符串，实为 {want!r}"
                        assert isinstance(want, str), problem
                        assert TWO_DECIMALS.fullmatch(want), problem
                        assert Decimal(want) >= 0
