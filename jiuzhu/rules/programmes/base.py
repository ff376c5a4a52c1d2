"""What a programme is (its steps, result and reasons) and how rules read parameters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from jiuzhu.rules import units
from jiuzhu.rules.expr import Lit, Param, Step
from jiuzhu.rules.money import ROUNDINGS, Rounding
from jiuzhu.rules.params import ParameterSet, ResolvedParameter


@dataclass(frozen=True)
class Condition:
    """A test whose outcome is told to the applicant: ``true_text``/``false_text`` format step values."""

    step: Step
    true_text: str
    false_text: str


@dataclass
class Programme:
    id: str
    label: str
    source: str
    steps: list[Step]
    eligible: Step
    amount_month: Step
    outputs: dict[str, Step] = field(default_factory=dict)
    members_key: str = ""  # "enrolled_members" / "eligible_members"
    members_step: Step | None = None  # member-level bool
    conditions: list[Condition] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # static Chinese notes (e.g. 渐退期 months)
    extra: Callable[[Any], dict[str, Any]] | None = None  # programme-specific output from step values
    # Parameters without which the pack does not run this programme ("all the pack knows", case-format.md).
    required: tuple[str, ...] = ()


class Parameters:
    """Rules read parameters through this view: values arrive as ``Param`` nodes with provenance."""

    def __init__(self, parameter_set: ParameterSet) -> None:
        self.set = parameter_set

    def _resolved(self, name: str) -> tuple[ResolvedParameter | None, str]:
        parameter = self.set.get(name)
        entry = self.set.catalog.get(name)
        if entry is None:  # a programming error: every name a rule reads is catalogued
            raise KeyError(name)
        return parameter, entry.label

    def raw(self, name: str) -> Any:
        parameter = self.set.get(name)
        return None if parameter is None else parameter.value

    def unit_of(self, name: str) -> str | None:
        parameter = self.set.get(name)
        return None if parameter is None else parameter.unit

    def number(self, name: str) -> Param:
        """A dimensionless number, a count or a share, as stated."""
        parameter, label = self._resolved(name)
        value = parameter.value if parameter is not None else None
        unit_text = parameter.unit if parameter is not None and parameter.unit not in ("倍", "规则") else ""
        if unit_text == "倍标准":
            unit_text = "倍标准"
        return Param(name, label, value, parameter, unit_text if unit_text != "倍" else "倍")

    def money(self, name: str, unit: str) -> Param:
        """A money parameter in ``unit`` (元/人·月 ↔ 元/人·年 converted exactly; the trace shows it)."""
        parameter, label = self._resolved(name)
        if parameter is None:
            return Param(name, label, None, None, unit)
        value = parameter.value
        conversion = ""
        if parameter.unit != unit:
            if not units.convertible(parameter.unit, unit):
                return Param(name, label, None, parameter, unit)
            assert isinstance(value, Decimal)
            converted = units.convert(value, parameter.unit, unit)
            factor = "× 12" if units.UNITS[unit].months > units.UNITS[parameter.unit].months else "÷ 12"
            conversion = f"{value}{parameter.unit} {factor}"
            value = converted
        return Param(name, label, value, parameter, unit, conversion)

    def flag(self, name: str) -> Param:
        parameter, label = self._resolved(name)
        return Param(name, label, None if parameter is None else parameter.value, parameter)

    def choice(self, name: str, default: str) -> str:
        """A rule-valued parameter read at build time (it shapes the formula, not a value in it)."""
        value = self.raw(name)
        return str(value) if value is not None else default

    def set_of(self, name: str) -> tuple[str, ...]:
        value = self.raw(name)
        return tuple(value) if isinstance(value, tuple) else ()

    def rounding(self, name: str, default: str = "fen_half_up") -> Rounding:
        return ROUNDINGS[self.choice(name, default)]

    def resolved(self, name: str) -> ResolvedParameter | None:
        return self.set.get(name)

    def published(self, name: str, formula_inputs: tuple[str, ...]) -> ResolvedParameter | None:
        """A published figure (e.g. a 特困 standard), unless the case overlays an input of its formula
        without overlaying the figure, or a formula input comes from a more specific pack than the figure."""
        figure = self.set.get(name)
        if figure is None:
            return None
        if figure.overlaid:
            return figure
        for input_name in formula_inputs:
            source = self.set.get(input_name)
            if source is None:
                continue
            if source.overlaid:
                return None
            if len(source.region.rstrip("0")) > len(figure.region.rstrip("0")):
                return None
        return figure


def lit_years(value: int) -> Lit:
    return Lit(Decimal(value), f"{value}周岁")
