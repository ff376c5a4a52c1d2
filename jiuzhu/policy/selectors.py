"""What the policy pages read: the packs, their parameters with history, two regions side by side."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from jiuzhu.rules.params import DatedValue, Library, Pack, ResolvedParameter, format_value, resolve

LEVEL_LABELS = {"national": "全国", "province": "省级", "city": "市级", "county": "县级"}


@dataclass
class ParameterHistory:
    name: str
    label: str
    values: list[DatedValue]


def _shown(value: Any) -> str:
    shown = format_value(value)
    if isinstance(shown, list):
        return "、".join(shown)
    if isinstance(shown, bool):
        return "是" if shown else "否"
    return str(shown)


def packs(library: Library) -> list[Pack]:
    """Every pack, national first, then by region code."""
    return sorted(library.packs.values(), key=lambda p: (p.region != "000000", p.region))


def pack_parameters(library: Library, pack: Pack) -> list[ParameterHistory]:
    """The pack's own parameters in catalog order, each with its dated values (newest first)."""
    order = list(library.catalog)
    rows = [
        ParameterHistory(
            name=name,
            label=library.catalog[name].label,
            values=sorted(values, key=lambda v: v.effective, reverse=True),
        )
        for name, values in pack.parameters.items()
    ]
    return sorted(rows, key=lambda r: order.index(r.name) if r.name in order else len(order))


@dataclass
class ComparedParameter:
    name: str
    label: str
    a: ResolvedParameter | None
    b: ResolvedParameter | None

    @property
    def differs(self) -> bool:
        if self.a is None or self.b is None:
            return self.a is not self.b
        return (format_value(self.a.value), self.a.unit) != (format_value(self.b.value), self.b.unit)

    @property
    def a_text(self) -> str:
        return "" if self.a is None else f"{_shown(self.a.value)} {self.a.unit}"

    @property
    def b_text(self) -> str:
        return "" if self.b is None else f"{_shown(self.b.value)} {self.b.unit}"


def compare_regions(library: Library, a: str, b: str, as_of: dt.date) -> list[ComparedParameter]:
    """The parameters two regions resolve to on ``as_of``, in catalog order."""
    first, second = resolve(library, a, as_of), resolve(library, b, as_of)
    names = [n for n in library.catalog if first.get(n) is not None or second.get(n) is not None]
    return [ComparedParameter(n, library.catalog[n].label, first.get(n), second.get(n)) for n in names]


def shown(value: Any) -> str:
    """A parameter value as the pages write it."""
    return _shown(value)
