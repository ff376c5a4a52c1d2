"""Per-case evaluation: every programme's result and a structured Chinese trace.

The same ``Step`` trees ``compile_ibis`` turns into SQL are interpreted here on ``Decimal``.
Output follows ../shared/case-format.md exactly (amounts as two-decimal strings).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from jiuzhu.rules.case import Case, Money, enrollment_inputs
from jiuzhu.rules.expr import EMPTY, HOUSEHOLD, MEMBER, OBLIGOR, Step, show
from jiuzhu.rules.money import money_text
from jiuzhu.rules.params import Library, ParameterSet, ResolvedParameter, default_library, pack_status_flags, resolve
from jiuzhu.rules.programmes import build_programmes
from jiuzhu.rules.programmes.base import Programme

MEMBER_FIELDS_BOOL = ("in_household", "serious_illness")


class Context:
    """What a rule can see of one case while it is evaluated, plus the values computed so far."""

    def __init__(self, case: Case, parameters: ParameterSet, *, trace: bool) -> None:
        self.case = case
        self.as_of = case.as_of
        self.parameters = parameters
        self.trace = trace
        self.members = case.household.members
        self.household_values: dict[str, tuple[Any, frozenset[str]]] = {}
        self.member_values: dict[str, list[tuple[Any, frozenset[str]]]] = {}
        self.used_parameters: dict[str, ResolvedParameter] = {}
        head = next((m for m in self.members if m.relation == "head"), None)
        self.area = case.area if case.area is not None else (head.hukou if head is not None else None)
        self.area_origin = "area" if case.area is not None else ("户主户籍" if self.area else "")
        household = case.household
        self.incomes_declared = household.incomes is not None or any(m.incomes is not None for m in self.members)
        self._household_inputs: dict[str, Any] = {
            "area": self.area,
            "deposits": household.assets.deposits if household.assets else None,
            "houses": household.assets.houses if household.assets else None,
            "vehicles_private": (
                sum(
                    1
                    for v in household.assets.vehicles
                    if v.purpose == "private" and v.type not in ("disability_vehicle", "electric_bike")
                )
                if household.assets and household.assets.vehicles is not None
                else None
            ),
            "emergency_kind": household.emergency.kind if household.emergency else None,
            "emergency_loss": household.emergency.loss if household.emergency else None,
            "emergency_expenses": household.emergency.expenses if household.emergency else None,
            **enrollment_inputs(household.dibao_enrollment),
        }
        self._member_inputs = [self._member_row(m, i) for i, m in enumerate(self.members)]

    @staticmethod
    def _member_row(member: Any, index: int) -> dict[str, Any]:
        return {
            "is_first": index == 0,
            "birth_date": member.birth_date,
            "sex": member.sex,
            "relation": member.relation,
            "hukou": member.hukou,
            "in_household": member.in_household,
            "labour_capacity": member.labour_capacity,
            "self_care": member.self_care,
            "care_setting": member.care_setting,
            "disability_grade": (
                None
                if not member.disability_known
                else Decimal(member.disability.grade)
                if member.disability
                else Decimal(0)
            ),
            "disability_type": (
                None if not member.disability_known else member.disability.type if member.disability else "none"
            ),
            "serious_illness": member.serious_illness,
            "student": None if not member.student_known else (member.student or "none"),
        }

    # -- what nodes ask for

    def input(self, entity: str, field: str, index: int) -> Any:
        if entity == HOUSEHOLD:
            return self._household_inputs[field]
        if entity == MEMBER:
            return self._member_inputs[index][field]
        obligor = self.case.household.obligors[index]  # type: ignore[index]
        value = getattr(obligor, field)
        return Decimal(value) if isinstance(value, int) and not isinstance(value, bool) else value

    def who(self, entity: str, index: int) -> str:
        if entity == MEMBER:
            return self.members[index].display
        if entity == OBLIGOR:
            obligors = self.case.household.obligors or ()
            return f"义务人{obligors[index].name or index + 1}"
        return "家庭"

    def count(self, entity: str) -> int | None:
        if entity == MEMBER:
            return len(self.members)
        obligors = self.case.household.obligors
        return None if obligors is None else len(obligors)

    @staticmethod
    def list_missing(entity: str) -> str:
        return "赡养（抚养、扶养）义务人情况" if entity == OBLIGOR else "家庭成员"

    def money_items(self, source: str, scope: str, index: int) -> Sequence[Money] | None:
        household = self.case.household
        if source == "expenses":
            return household.expenses
        if not self.incomes_declared:
            return None
        if scope == MEMBER:
            return self.members[index].incomes or ()
        items: list[Money] = list(household.incomes or ())
        for member in self.members:
            if member.in_household:
                items.extend(member.incomes or ())
        return items

    def step_value(self, step: Step, index: int) -> tuple[Any, frozenset[str]]:
        if step.level == MEMBER:
            return self.member_values[step.name][index]
        return self.household_values[step.name]


@dataclass
class Evaluation:
    output: dict[str, Any]  # the case-format output object

    def explain(self) -> str:
        """The trace as Chinese text (``--explain``)."""
        return render_explanation(self.output)


def _format(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "money" and isinstance(value, Decimal):
        return money_text(value)
    if isinstance(value, Decimal):
        return show(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _run_step(ctx: Context, step: Step, trace: list[dict[str, Any]]) -> None:
    if step.name in ctx.household_values or step.name in ctx.member_values:
        return  # shared by several programmes: computed once
    indexes = range(len(ctx.members)) if step.level == MEMBER else (0,)
    results = []
    for index in indexes:
        ctx.used_parameters = {}
        value, missing, formula = step.expr.ev(ctx, index)
        if value is not None:
            missing = EMPTY
        results.append((value, missing))
        if ctx.trace:
            entry: dict[str, Any] = {
                "step": step.name,
                "label": step.label,
                "value": _format(value, step.kind) if value is not None else None,
                "formula": formula,
                "parameters": [p.as_trace() for p in ctx.used_parameters.values()],
            }
            if step.level == MEMBER:
                entry["member"] = ctx.members[index].id
                entry["label"] = f"{ctx.members[index].display}：{step.label}"
            if missing:
                entry["missing"] = sorted(missing)
            trace.append(entry)
    if step.level == MEMBER:
        ctx.member_values[step.name] = results
    else:
        ctx.household_values[step.name] = results[0]


def _programme_result(ctx: Context, programme: Programme) -> dict[str, Any]:
    eligible, missing = ctx.household_values[programme.eligible.name]
    amount, _ = ctx.household_values[programme.amount_month.name]
    values = {key: ctx.household_values[step.name][0] for key, step in programme.outputs.items()}
    formatted = {
        key: _format(value, step.kind)
        for (key, step), value in zip(programme.outputs.items(), values.values(), strict=True)
    }
    result: dict[str, Any] = {
        "eligible": eligible,
        "missing": sorted(missing) if eligible is None else [],
        "reasons": [],
        "amount_month": money_text(amount) if eligible and amount is not None else "0.00",
    }
    # programme-specific output from step values; its "reasons", if any, follow the conditions' reasons
    extra = dict(programme.extra(ctx)) if programme.extra is not None else {}  # noqa: S610 - not QuerySet.extra
    texts = {k: ("未知" if v is None else v) for k, v in formatted.items()}
    for condition in programme.conditions:
        outcome, _ = ctx.household_values[condition.step.name]
        if outcome is None:
            continue
        template = condition.true_text if outcome else condition.false_text
        if template:
            result["reasons"].append(template.format(**texts))
    result["reasons"].extend(extra.pop("reasons", []))
    if eligible is None and missing:
        result["reasons"].append("无法判断：缺少" + "、".join(sorted(missing)))
    result["reasons"].extend(programme.notes)
    result.update(formatted)
    if programme.members_step is not None:
        flags = ctx.member_values[programme.members_step.name]
        result[programme.members_key] = [m.id for m, (flag, _) in zip(ctx.members, flags, strict=True) if flag]
    result.update(extra)
    return result


def evaluate_case(case: Case, *, library: Library | None = None, trace: bool = True) -> Evaluation:
    """Evaluate the case's programmes (all the pack knows when it names none) as of its date."""
    library = library or default_library()
    parameters = resolve(library, case.region, case.as_of, case.parameters)
    ctx = Context(case, parameters, trace=trace)
    programmes = build_programmes(parameters, case.programmes)
    trace_rows: list[dict[str, Any]] = []
    if trace:
        trace_rows.append(
            {
                "step": "case.area",
                "label": "城乡类别",
                "value": ctx.area,
                "formula": "案件 area 字段"
                if ctx.area_origin == "area"
                else ("取自户主户籍" if ctx.area else "未给出 area，且户主户籍未知"),
                "parameters": [],
            }
        )
    results = {}
    for programme in programmes:
        for step in programme.steps:
            _run_step(ctx, step, trace_rows)
        results[programme.id] = _programme_result(ctx, programme)
    output: dict[str, Any] = {
        "region": case.region,
        "as_of": case.as_of.isoformat(),
        "area": ctx.area,
        "parameters_fingerprint": parameters.fingerprint,
        "results": results,
        "trace": trace_rows,
    }
    notes = pack_status_flags(library, case.region, case.as_of)
    examples = {p["name"]: p["label"] for row in trace_rows for p in row["parameters"] if p.get("example")}
    if examples:
        named = (f"{examples[name]}（{name}）" for name in sorted(examples))
        notes.append("以下参数为示例值，待核实：" + "、".join(named))
    if notes:
        output["notes"] = notes
    return Evaluation(output=output)


def render_explanation(output: dict[str, Any]) -> str:
    """Chinese text of a result and its trace, for ``--explain`` and printed notices."""
    lines = [
        f"区划 {output['region']}，计算日期 {output['as_of']}，城乡类别 "
        f"{ {'urban': '城市', 'rural': '农村'}.get(output.get('area') or '', '未知') }",
        f"参数指纹 {output['parameters_fingerprint']}",
    ]
    for note in output.get("notes", []):
        lines.append(f"注意：{note}")
    for programme, result in output["results"].items():
        verdict = {True: "符合", False: "不符合", None: "无法判断"}[result["eligible"]]
        lines.append("")
        lines.append(f"【{PROGRAMME_LABELS.get(programme, programme)}】{verdict}，每月 {result['amount_month']} 元")
        for reason in result["reasons"]:
            lines.append(f"  · {reason}")
    lines.append("")
    lines.append("计算过程：")
    for row in output["trace"]:
        value = row["value"] if row["value"] is not None else "无法确定"
        lines.append(f"  {row['label']} = {value}")
        if row.get("formula"):
            lines.append(f"      {row['formula']}")
        for p in row.get("parameters", []):
            flag = "（本案覆盖）" if p["overlaid"] else ""
            flag += "（示例值，待核实）" if p.get("example") else ""
            flag += "（征求意见稿）" if p.get("draft") else ""
            lines.append(
                f"      参数 {p['label']} {p['value']}{p['unit']}，{p['region_name']}（{p['region']}），"
                f"{p['effective'] or ''}起，依据：{p['source']}{flag}"
            )
        if row.get("missing"):
            lines.append(f"      缺少：{'、'.join(row['missing'])}")
    return "\n".join(lines)


PROGRAMME_LABELS = {
    "dibao": "最低生活保障（低保）",
    "tekun": "特困人员救助供养",
    "marginal": "低保边缘家庭",
    "rigid_expense": "刚性支出困难家庭",
    "temporary_assistance": "临时救助",
    "disability_subsidies": "残疾人两项补贴",
    "elderly_allowance": "高龄津贴",
    "child_allowance": "困境儿童生活补贴",
    "free_electricity": "免费用电",
}
