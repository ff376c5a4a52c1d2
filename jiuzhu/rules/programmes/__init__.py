"""The programmes, each rule defined once; ``build_programmes`` assembles them for a parameter set."""

from __future__ import annotations

from collections.abc import Sequence
from weakref import WeakKeyDictionary

from jiuzhu.rules.params import ParameterSet
from jiuzhu.rules.programmes.base import Parameters, Programme
from jiuzhu.rules.programmes.common import build_common
from jiuzhu.rules.programmes.dibao import build_dibao

PROGRAMME_ORDER = ("dibao",)
_cache: WeakKeyDictionary[ParameterSet, dict[str, Programme]] = WeakKeyDictionary()


def _build_all(parameters: ParameterSet) -> dict[str, Programme]:
    p = Parameters(parameters)
    common = build_common(p)
    return {"dibao": build_dibao(p, common)}


def build_programmes(parameters: ParameterSet, chosen: Sequence[str] | None = None) -> list[Programme]:
    """The programmes asked for (all the engine knows when ``chosen`` is None), built once per parameter set."""
    built = _cache.get(parameters)
    if built is None:
        built = _build_all(parameters)
        _cache[parameters] = built
    names = chosen if chosen is not None else PROGRAMME_ORDER
    return [built[name] for name in names if name in built]
