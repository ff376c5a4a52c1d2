"""The generated tables of docs/case-format.md: programmes and their result keys, parameters, income types.

python -m jiuzhu.rules.doc_catalog --write docs/case-format.md   # refresh the marked sections
python -m jiuzhu.rules.doc_catalog --check docs/case-format.md   # exit 1 when they are out of date

Each table sits between ``<!-- BEGIN GENERATED: name -->`` and ``<!-- END GENERATED: name -->``;
the text around them is written by hand and left alone. The tables come from the engine itself:
the parameter catalog (packs/parameters.yaml), the programme ids the case parser accepts, and the
result keys the programmes actually produce for a sample case.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jiuzhu.rules.case import COUNTED_INCOME, EXCLUDABLE_INCOME, EXPENSE_TYPES, LABELS, PROGRAMMES, case_from_dict
from jiuzhu.rules.evaluate import PROGRAMME_LABELS, evaluate_case
from jiuzhu.rules.params import CatalogEntry, default_library, resolve
from jiuzhu.rules.programmes import build_programmes

COMMAND = "python -m jiuzhu.rules.doc_catalog --write docs/case-format.md"
COMMON_KEYS = ("eligible", "missing", "reasons", "amount_month")
KIND_LABELS = {
    "amount": "金额或份额",
    "number": "数值",
    "integer": "整数",
    "rule": "规则",
    "set": "项目列表",
    "flag": "是否",
}
# A household that reaches every programme, so every result key shows (values do not matter here).
SAMPLE_CASE: dict[str, Any] = {
    "region": "140702",
    "as_of": "2025-06-30",
    "household": {
        "members": [
            {"id": "m1", "name": "甲", "birth_date": "1940-01-01", "relation": "head", "hukou": "urban", "incomes": []},
            {"id": "m2", "name": "乙", "birth_date": "2015-01-01", "relation": "grandchild", "incomes": []},
        ],
        "incomes": [],
        "expenses": [{"type": "medical_out_of_pocket", "amount": "20000", "period": "year"}],
        "assets": {"deposits": "0", "vehicles": [], "houses": 1},
        "obligors": [],
        "emergency": {"kind": "expense", "expenses": "20000"},
    },
}
# Keys a programme's ``extra`` callback adds (no step behind them to take a label from).
EXTRA_KEY_LABELS = {
    "instalments": "分次发放时各次的金额（列表）",
    "phase_out_until": "渐退期的最后一日（YYYY-MM-DD；不在渐退期为 null）",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_programmes() -> str:
    """Programme ids, Chinese names and the keys each result adds to the common four."""
    library = default_library()
    case = case_from_dict(SAMPLE_CASE, programmes=PROGRAMMES)
    results: dict[str, dict[str, Any]] = evaluate_case(case, library=library, trace=False).output["results"]
    parameters = resolve(library, case.region, case.as_of)
    built = {programme.id: programme for programme in build_programmes(parameters, PROGRAMMES)}
    lines = ["| id | 名称 | 结果中的其他键 |", "|---|---|---|"]
    for programme_id in PROGRAMMES:
        programme = built.get(programme_id)
        keys = [key for key in results.get(programme_id, {}) if key not in COMMON_KEYS]
        described = []
        for key in keys:
            if programme is not None and key in programme.outputs:
                described.append(f"`{key}` {programme.outputs[key].label}")
            elif programme is not None and key == programme.members_key and programme.members_step is not None:
                described.append(f"`{key}` 成员编号列表：{programme.members_step.label}")
            else:
                described.append(f"`{key}` {EXTRA_KEY_LABELS.get(key, '')}".rstrip())
        label = PROGRAMME_LABELS.get(programme_id, programme_id)
        lines.append(f"| `{programme_id}` | {_cell(label)} | {_cell('；'.join(described)) or '—'} |")
    return "\n".join(lines)


def _units(entry: CatalogEntry) -> str:
    return " 或 ".join(f"`{unit}`" for unit in entry.units)


def render_parameters() -> str:
    """Every name of the parameter catalog, with its label, kind, units and allowed values."""
    catalog = default_library().catalog
    lines = ["| 参数名 | 含义 | 类型 | 单位 | 可选值 |", "|---|---|---|---|---|"]
    for name in sorted(catalog):
        entry = catalog[name]
        choices = " · ".join(f"`{choice}`" for choice in entry.choices) or "—"
        kind = KIND_LABELS.get(entry.kind, entry.kind)
        lines.append(f"| `{name}` | {_cell(entry.label)} | {kind} | {_units(entry)} | {choices} |")
    return "\n".join(lines)


def render_money_types() -> str:
    """Income and expense types (``type`` of an income or expense item) with their Chinese names."""
    lines = ["| `type` | 名称 | 用于 |", "|---|---|---|"]
    for name in COUNTED_INCOME:
        lines.append(f"| `{name}` | {LABELS[name]} | 收入：计入家庭收入 |")
    for name in EXCLUDABLE_INCOME:
        lines.append(f"| `{name}` | {LABELS[name]} | 收入：全国规定不计入（参数 `income.excluded_types`） |")
    for name in EXPENSE_TYPES:
        lines.append(f"| `{name}` | {LABELS[name]} | 支出（`household.expenses`） |")
    return "\n".join(lines)


SECTIONS: dict[str, Callable[[], str]] = {
    "programmes": render_programmes,
    "parameters": render_parameters,
    "money-types": render_money_types,
}


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- BEGIN GENERATED: {re.escape(name)} [^>]*-->\n)(.*?)(<!-- END GENERATED: {re.escape(name)} -->)",
        re.DOTALL,
    )


def refresh(text: str) -> str:
    """``text`` with every marked section regenerated; a missing marker is an error."""
    for name, render in SECTIONS.items():
        pattern = _pattern(name)
        if not pattern.search(text):
            raise ValueError(f"缺少生成区段的标记：<!-- BEGIN GENERATED: {name} （{COMMAND}）-->")
        body = render()

        def replace(match: re.Match[str], body: str = body) -> str:
            return f"{match.group(1)}{body}\n{match.group(3)}"

        text = pattern.sub(replace, text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="生成 docs/case-format.md 中的参数表、项目表和收支类型表")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, help="重写该文件中的生成区段")
    group.add_argument("--check", type=Path, help="生成区段不是最新时以状态1退出")
    args = parser.parse_args(argv)
    path: Path = args.write or args.check
    current = path.read_text(encoding="utf-8")
    try:
        fresh = refresh(current)
    except ValueError as error:
        print(f"错误：{path}：{error}", file=sys.stderr)
        return 2
    if args.write:
        if fresh != current:
            path.write_text(fresh, encoding="utf-8")
        return 0
    if fresh != current:
        print(f"{path} 的生成区段不是最新的：运行 {COMMAND}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
