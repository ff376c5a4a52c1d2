"""The programmes, each rule defined once; ``build_programmes`` assembles them for a parameter set."""

from __future__ import annotations

from collections.abc import Sequence
from weakref import WeakKeyDictionary

from jiuzhu.rules.expr import Node, Ref, Step
from jiuzhu.rules.params import ParameterSet
from jiuzhu.rules.programmes.base import Parameters, Programme
from jiuzhu.rules.programmes.common import build_common
from jiuzhu.rules.programmes.dibao import build_dibao
from jiuzhu.rules.programmes.marginal import build_marginal
from jiuzhu.rules.programmes.tekun import build_tekun

PROGRAMME_ORDER = ("dibao", "tekun", "marginal")
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


def _build_all(parameters: ParameterSet) -> dict[str, Programme]:
    p = Parameters(parameters)
    common = build_common(p)
    dibao = build_dibao(p, common)
    asset_test = next(s for s in dibao.steps if s.name == "dibao.asset_test")
    qualifies = next(s for s in dibao.steps if s.name == "dibao.qualifies")
    programmes = {
        "dibao": dibao,
        "tekun": build_tekun(p, common, asset_test),
        "marginal": build_marginal(p, common, qualifies, asset_test),
    }
    for programme in programmes.values():
        outputs = [*programme.steps, *programme.outputs.values(), programme.eligible, programme.amount_month]
        if programme.members_step is not None:
            outputs.append(programme.members_step)
        outputs += [condition.step for condition in programme.conditions]
        programme.steps = with_dependencies(outputs)
    return programmes


def build_programmes(parameters: ParameterSet, chosen: Sequence[str] | None = None) -> list[Programme]:
    """The programmes asked for (all the engine knows when ``chosen`` is None), built once per parameter set."""
    built = _cache.get(parameters)
    if built is None:
        built = _build_all(parameters)
        _cache[parameters] = built
    names = chosen if chosen is not None else PROGRAMME_ORDER
    return [built[name] for name in names if name in built]
