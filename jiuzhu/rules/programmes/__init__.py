"""The programmes, each rule defined once; ``build_programmes`` assembles them for a parameter set."""

from __future__ import annotations

from collections.abc import Sequence
from weakref import WeakKeyDictionary

from jiuzhu.rules.expr import Node, Ref, Step
from jiuzhu.rules.params import ParameterSet
from jiuzhu.rules.programmes.base import Parameters, Programme
from jiuzhu.rules.programmes.child_allowance import build_child_allowance
from jiuzhu.rules.programmes.common import build_common
from jiuzhu.rules.programmes.dibao import build_asset_test, build_dibao
from jiuzhu.rules.programmes.disability_subsidies import build_disability_subsidies
from jiuzhu.rules.programmes.elderly_allowance import build_elderly_allowance
from jiuzhu.rules.programmes.free_electricity import build_free_electricity
from jiuzhu.rules.programmes.marginal import build_marginal
from jiuzhu.rules.programmes.rigid_expense import build_rigid_expense
from jiuzhu.rules.programmes.tekun import build_tekun
from jiuzhu.rules.programmes.temporary_assistance import build_temporary_assistance

# The order results are reported in (case-format.md's programme ids).
PROGRAMME_ORDER = (
    "dibao",
    "tekun",
    "marginal",
    "rigid_expense",
    "temporary_assistance",
    "disability_subsidies",
    "elderly_allowance",
    "child_allowance",
    "free_electricity",
)
_cache: WeakKeyDictionary[ParameterSet, dict[str, Programme]] = WeakKeyDictionary()


def _dependencies(node: Node, found: dict[str, Step]) -> None:
    if isinstance(node, Ref):
        if node.step.name not in found:
            _dependencies(node.step.expr, found)
            found[node.step.name] = node.step
        return
    for child in node.children():
        _dependencies(child, found)
    years = getattr(node, "years", None)
    if isinstance(years, Node):
        _dependencies(years, found)


def with_dependencies(steps: Sequence[Step]) -> list[Step]:
    """``steps`` preceded by every step they refer to, each once, in an order that computes them first."""
    found: dict[str, Step] = {}
    for step in steps:
        if step.name not in found:
            _dependencies(step.expr, found)
            found[step.name] = step
    return list(found.values())


def _step(programme: Programme, name: str) -> Step:
    return next(s for s in programme.steps if s.name == name)


def _build_all(parameters: ParameterSet) -> dict[str, Programme]:
    p = Parameters(parameters)
    common = build_common(p)
    asset_test = build_asset_test(p, common)
    tekun = build_tekun(p, common, asset_test)
    assert tekun.members_step is not None
    dibao = build_dibao(p, common, asset_test, tekun.members_step)
    qualifies = _step(dibao, "dibao.household_covered")  # 低保 (渐退期 included) comes before 低保边缘
    enrolled = _step(dibao, "dibao.enrolled_member")
    marginal = build_marginal(p, common, qualifies, asset_test)
    programmes = {
        "dibao": dibao,
        "tekun": tekun,
        "marginal": marginal,
        "rigid_expense": build_rigid_expense(p, common, asset_test, dibao.eligible, tekun.eligible, marginal.eligible),
        "temporary_assistance": build_temporary_assistance(p, common),
        "disability_subsidies": build_disability_subsidies(p, enrolled, marginal.eligible),
        "elderly_allowance": build_elderly_allowance(p, enrolled, tekun.members_step, marginal.eligible),
        "child_allowance": build_child_allowance(p, enrolled),
        "free_electricity": build_free_electricity(p, dibao.eligible, tekun.eligible),
    }
    for programme in programmes.values():
        outputs = [*programme.steps, *programme.outputs.values(), programme.eligible, programme.amount_month]
        if programme.members_step is not None:
            outputs.append(programme.members_step)
        outputs += [condition.step for condition in programme.conditions]
        programme.steps = with_dependencies(outputs)
    owners: dict[str, Step] = {}
    for programme in programmes.values():
        for step in programme.steps:
            if owners.setdefault(step.name, step) is not step:  # a step name is its identity in both engines
                raise ValueError(f"two different steps are named {step.name}")
    return programmes


def known_programmes(parameters: ParameterSet) -> list[str]:
    """The programmes the pack runs: those whose required parameters all resolve for this region and date."""
    built = _built(parameters)
    return [name for name in PROGRAMME_ORDER if all(parameters.get(r) is not None for r in built[name].required)]


def _built(parameters: ParameterSet) -> dict[str, Programme]:
    built = _cache.get(parameters)
    if built is None:
        built = _build_all(parameters)
        _cache[parameters] = built
    return built


def build_programmes(parameters: ParameterSet, chosen: Sequence[str] | None = None) -> list[Programme]:
    """The programmes asked for (all the pack knows when ``chosen`` is None), built once per parameter set."""
    built = _built(parameters)
    names = chosen if chosen is not None else known_programmes(parameters)
    return [built[name] for name in names if name in built]
