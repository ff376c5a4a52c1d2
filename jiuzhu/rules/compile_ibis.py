"""The same rule trees as Ibis expressions: one set-based plan for DuckDB (default) or Spark.

Each ``Step`` becomes a column of the household table ``H`` or the member table ``M``;
aggregates over members, obligors, incomes and expenses become grouped sub-plans joined
back by household. ``NULL`` plays "cannot determine": it propagates through arithmetic and
comparisons, and SQL's AND/OR are Kleene like the evaluator's. Where SQL functions ignore
NULLs (GREATEST, SUM) the compiler puts the NULL back explicitly. Money is never divided:
``DivRound`` uses the integer formula of ``money.Rounding`` and every step is cast to
DECIMAL(24,6) so DuckDB and Spark agree on scales.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.datatypes as dt_types
import ibis.expr.types as ir

from jiuzhu.rules import expr as e
from jiuzhu.rules.programmes.base import Programme

STEP_DECIMAL = dt_types.Decimal(24, 6)
OUT_DECIMAL = dt_types.Decimal(12, 2)
KEY = "household_id"
MEMBER_KEY = "member_index"


@dataclass(frozen=True)
class BatchTables:
    """Inputs of one batch, one row per household / member / income / expense / obligor."""

    households: ir.Table
    members: ir.Table  # with annual income columns income_<type>
    obligors: ir.Table


def _literal(value: Any) -> ir.Value:
    if value is None:  # an unset parameter or an unknown constant: numeric, like almost every parameter
        return ibis.null(STEP_DECIMAL)
    if isinstance(value, bool):
        return ibis.literal(value, type="boolean")
    if isinstance(value, Decimal):
        return ibis.literal(value, type=STEP_DECIMAL)
    if isinstance(value, dt.date):
        return ibis.literal(value, type="date")
    return ibis.literal(value)


class Compiler:
    """Compiles programmes for households that share one parameter set and one as-of date."""

    def __init__(self, tables: BatchTables, as_of: dt.date) -> None:
        self.as_of = as_of
        self.tables = tables
        self.h = tables.households
        # Household inputs are needed by member-level rules (area, …): join them once.
        self.m = tables.members.join(tables.households.select(KEY, "area", "incomes_declared"), KEY)
        self.o = tables.obligors.join(tables.households.select(KEY, "area"), KEY)
        self.node_columns: dict[int, str] = {}
        self.steps_done: set[str] = set()
        self.member_has: set[str] = set()
        self.obligor_has: set[str] = set()
        self.counter = 0

    # ------------------------------------------------------------------ preparation (joins)

    def _name(self, prefix: str) -> str:
        self.counter += 1
        return f"_{prefix}{self.counter}"

    def prepare(self, node: e.Node, level: str) -> None:
        """Add every column ``node`` needs (aggregates, household values on members) before compiling it."""
        if isinstance(node, e.Ref):
            if node.step.level == e.HOUSEHOLD and level == e.MEMBER:
                self._bring_to_members(node.step.name)
            elif node.step.level == e.HOUSEHOLD and level == e.OBLIGOR and node.step.name not in self.obligor_has:
                self.o = self.o.join(self.h.select(KEY, node.step.name), KEY)
                self.obligor_has.add(node.step.name)
            return
        if isinstance(node, e.Aggregate):
            if id(node) not in self.node_columns:
                self._aggregate(node)
            return
        if isinstance(node, e.MoneySum):
            if id(node) not in self.node_columns:
                self._money_sum(node)
            return
        for child in node.children():
            self.prepare(child, level)
        if isinstance(node, e.AgeAtLeast):
            self.prepare(node.years, level)

    def _bring_to_members(self, column: str) -> None:
        if column in self.member_has:
            return
        self.m = self.m.join(self.h.select(KEY, column), KEY)
        self.member_has.add(column)

    def _aggregate(self, node: e.Aggregate) -> None:
        source_level = node.entity
        self.prepare(node.item, source_level)
        table = self.m if source_level == e.MEMBER else self.o
        item = self.value(node.item, source_level, table)
        if node.kind == "sum":
            metrics = {"total": item.cast(STEP_DECIMAL).sum(), "nulls": item.isnull().cast("int64").sum()}
        else:
            metrics = {
                "hit": (item if node.kind == "any" else ~item).fill_null(False).any(),
                "nulls": item.isnull().cast("int64").sum(),
            }
        grouped = table.group_by(KEY).aggregate(**metrics)
        name = self._name("agg")
        joined = self.h.left_join(grouped, self.h[KEY] == grouped[KEY])
        if node.kind == "sum":
            value = ibis.cases(
                (joined.nulls > 0, ibis.null(STEP_DECIMAL)), else_=joined.total.fill_null(Decimal(0)).cast(STEP_DECIMAL)
            )
        elif node.kind == "any":
            value = ibis.cases(
                (joined.hit.fill_null(False), True), (joined.nulls > 0, ibis.null("boolean")), else_=False
            )
        else:
            value = ibis.cases(
                (joined.hit.fill_null(False), False), (joined.nulls > 0, ibis.null("boolean")), else_=True
            )
        if source_level == e.OBLIGOR:
            value = ibis.cases((joined.obligors_declared, value), else_=ibis.null(value.type()))
        self.h = joined.select(*[joined[c] for c in self.h.columns], **{name: value})
        self.node_columns[id(node)] = name

    def _money_sum(self, node: e.MoneySum) -> None:
        """Annual totals of the wide income/expense columns; null (unknown) when nothing was declared."""
        prefix = "income_" if node.source == "incomes" else "expense_"
        flag = "incomes_declared" if node.source == "incomes" else "expenses_declared"
        zero = ibis.literal(Decimal(0), type=STEP_DECIMAL)

        def total(table: ir.Table) -> ir.Value:
            result = zero
            for kind in node.types:
                if f"{prefix}{kind}" in table.columns:
                    result = result + table[f"{prefix}{kind}"].cast(STEP_DECIMAL).fill_null(zero)
            return result

        name = self._name("sum")
        if node.scope == e.MEMBER:
            value = ibis.cases((self.m[flag], total(self.m)), else_=ibis.null(STEP_DECIMAL))
            self.m = self.m.mutate(**{name: value})
        elif node.source == "incomes":
            # Members' incomes count only for 共同生活家庭成员; household-level incomes always count.
            members = self.m
            per_member = ibis.cases((members.in_household, total(members)), else_=zero)
            grouped = members.group_by(KEY).aggregate(members_total=per_member.sum())
            joined = self.h.left_join(grouped, self.h[KEY] == grouped[KEY])
            value = ibis.cases(
                (joined[flag], (joined.members_total.fill_null(zero) + total(joined)).cast(STEP_DECIMAL)),
                else_=ibis.null(STEP_DECIMAL),
            )
            self.h = joined.select(*[joined[c] for c in self.h.columns], **{name: value})
        else:
            value = ibis.cases((self.h[flag], total(self.h)), else_=ibis.null(STEP_DECIMAL))
            self.h = self.h.mutate(**{name: value})
        self.node_columns[id(node)] = name

    # ------------------------------------------------------------------ expressions

    def value(self, node: e.Node, level: str, table: ir.Table) -> ir.Value:
        """``node`` as an Ibis value over ``table`` (H, M or the obligors), after ``prepare``."""
        if isinstance(node, e.Lit):
            return _literal(node.value)
        if isinstance(node, e.Param):
            return _literal(node.value)
        if isinstance(node, e.Input):
            if node.field == "is_first":
                return table[MEMBER_KEY] == 0
            column = table[node.field]
            return column.cast(STEP_DECIMAL) if node.field == "disability_grade" else column
        if isinstance(node, e.AgeAtLeast):
            if not isinstance(node.years, (e.Lit, e.Param)) or node.years.value is None:
                return ibis.null("boolean")
            return table.birth_date <= ibis.literal(e.age_cutoff(self.as_of, int(node.years.value)), type="date")
        if isinstance(node, e.Ref):
            return table[node.step.name]
        if isinstance(node, (e.Aggregate, e.MoneySum)):
            return table[self.node_columns[id(node)]]
        if isinstance(node, e.Arith):
            a, b = self.value(node.a, level, table), self.value(node.b, level, table)
            return a + b if node.op == "+" else a - b if node.op == "-" else a * b
        if isinstance(node, e.Compare):
            a, b = self.value(node.a, level, table), self.value(node.b, level, table)
            return {"<": a < b, "≤": a <= b, ">": a > b, "≥": a >= b, "=": a == b, "≠": a != b}[node.op]
        if isinstance(node, e.IsIn):
            return self.value(node.a, level, table).isin(list(node.values))
        if isinstance(node, e.And):
            result = self.value(node.items[0], level, table)
            for item in node.items[1:]:
                result = result & self.value(item, level, table)
            return result
        if isinstance(node, e.Or):
            result = self.value(node.items[0], level, table)
            for item in node.items[1:]:
                result = result | self.value(item, level, table)
            return result
        if isinstance(node, e.Not):
            return ~self.value(node.a, level, table)
        if isinstance(node, e.If):
            cond = self.value(node.cond, level, table)
            then = self.value(node.then, level, table)
            other = self.value(node.other, level, table)
            result_type = then.type() if not then.type().is_null() else other.type()
            return ibis.cases(
                (cond.isnull(), ibis.null(result_type)), (cond, then.cast(result_type)), else_=other.cast(result_type)
            )
        if isinstance(node, e.Extreme):
            a, b = self.value(node.a, level, table), self.value(node.b, level, table)
            best = ibis.greatest(a, b) if node.op == "max" else ibis.least(a, b)
            return ibis.cases((a.isnull() | b.isnull(), ibis.null(best.type())), else_=best)
        if isinstance(node, e.Coalesce):
            return ibis.coalesce(self.value(node.a, level, table), self.value(node.default, level, table))
        if isinstance(node, e.DivRound):
            return self._div_round(node, level, table)
        raise TypeError(f"cannot compile {type(node).__name__}")

    def _div_round(self, node: e.DivRound, level: str, table: ir.Table) -> ir.Value:
        num = self.value(node.num, level, table).cast(STEP_DECIMAL)
        den = self.value(node.den, level, table).cast("int64")
        rounding = node.rounding
        scale = rounding.scale
        if rounding.mode == "half_up":
            # floor((num·scale + den/2) / den) = floor((2·num·scale + den) / (2·den)), integers only
            top = (num * ibis.literal(2 * scale, type=STEP_DECIMAL) + den).floor().cast("int64")
            units = top // (den * 2)
        else:
            top = (num * ibis.literal(scale, type=STEP_DECIMAL)).ceil().cast("int64")
            units = (top + den - 1) // den
        amount = units.cast(STEP_DECIMAL) * ibis.literal(rounding.unit, type=STEP_DECIMAL)
        return ibis.cases(
            (den.isnull() | num.isnull() | (den < 1), ibis.null(STEP_DECIMAL)), else_=amount.cast(STEP_DECIMAL)
        )

    # ------------------------------------------------------------------ steps and results

    def step(self, step: e.Step) -> None:
        if step.name in self.steps_done:
            return
        self.prepare(step.expr, step.level)
        table = self.m if step.level == e.MEMBER else self.h
        value = self.value(step.expr, step.level, table)
        if step.kind in ("money", "number") and not value.type().is_boolean():
            value = value.cast(STEP_DECIMAL)
        if step.level == e.MEMBER:
            self.m = self.m.mutate(**{step.name: value})
        else:
            self.h = self.h.mutate(**{step.name: value})
        self.steps_done.add(step.name)

    def programme_rows(self, programme: Programme) -> ir.Table:
        for step in programme.steps:
            self.step(step)
        h = self.h
        eligible = h[programme.eligible.name]
        amount = ibis.cases((eligible.fill_null(False), h[programme.amount_month.name]), else_=Decimal(0))
        columns: dict[str, ir.Value] = {
            KEY: h[KEY],
            "programme": ibis.literal(programme.id),
            "eligible": eligible,
            "amount_month": amount.cast(OUT_DECIMAL),
        }
        for key in OUTPUT_COLUMNS:
            output = programme.outputs.get(key)
            columns[key] = h[output.name].cast(OUT_DECIMAL) if output is not None else ibis.null(OUT_DECIMAL)
        return h.select(**columns)


# Programme-specific amounts carried in the long result table (null where a programme has none).
OUTPUT_COLUMNS = (
    "standard_month",
    "per_capita_income_month",
    "gap_month",
    "supplement_month",
    "basic_standard_month",
    "care_standard_month",
    "line_month",
)


def compile_results(programmes: list[Programme], tables: BatchTables, as_of: dt.date) -> ir.Table:
    """One long table: a row per household and programme (household_id, programme, eligible, amounts)."""
    compiler = Compiler(tables, as_of)
    parts = [compiler.programme_rows(programme) for programme in programmes]
    result = parts[0]
    for part in parts[1:]:
        result = result.union(part)
    return result
