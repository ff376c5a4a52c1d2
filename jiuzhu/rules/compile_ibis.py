"""The same rule trees as Ibis expressions: one set-based plan for DuckDB (default) or Spark.

The plan is built in *rounds*, so that every engine gets a short, flat plan whatever the number
of steps and programmes:

- round −1: the household table ``H`` with the household inputs the rules read, the group of
  each household (``_g``) and every household step that needs no member or obligor;
- round r ≥ 0: the member table ``M_r`` (and the obligor table ``O_r``) is the previous one
  joined once with the household columns its steps need, every member step of round r becomes
  a column, every aggregate over members of round r is computed in ONE ``GROUP BY`` and joined
  back to ``H`` with a single left join, then the household steps of round r become columns.

A value's round is the number of household → member → household trips it needs (the programmes
need three or four), so the plan has a join and an aggregation per round however many steps and
programmes there are. Between rounds only the columns later rounds read are kept, a step read
once at its own level is written into its reader instead of becoming a column, and
``materialise`` is applied to each round's tables (Spark: computed once and cut from their
lineage, so its optimiser works on one round at a time; DuckDB: nothing). The result is one wide
table (a column per step) turned into the long table (a row per household and programme) by one
``UNNEST`` of the programme ids, not by a union per programme.

Households that resolve to different parameter sets or as-of dates (*groups*) share the same
plan: a step whose tree has the same shape in every group is compiled once and parameters that
differ become per-group literal columns (``CASE WHEN _g IN (0, 2) THEN 850 …``) computed once on
``H``; a step whose shape differs is a ``CASE`` over the groups' trees. One group compiles to
plain literals.

``NULL`` plays "cannot determine": it propagates through arithmetic and comparisons, and SQL's
AND/OR are Kleene like the evaluator's. Where SQL functions ignore NULLs (GREATEST, SUM) the
compiler puts the NULL back explicitly. No operand is written twice where nesting would double
it again (``If`` is ``CASE cond WHEN TRUE … WHEN FALSE …``, nested max/min is one GREATEST/LEAST),
so the SQL grows linearly with the rules. Money is never divided: ``DivRound`` uses the integer
formula of ``money.Rounding``.

Decimals are DECIMAL(18, s) throughout, s being the exact scale of the value (a money input 2, a
parameter 0.2 one, their product 3; at most ``MAX_SCALE``): 18 digits fit a 64-bit integer, and
DuckDB keeps the arithmetic of two such values in 64 bits (with an overflow check) where wider
decimals take 128-bit arithmetic, several times slower per value. Every value the compiler builds
carries its type explicitly (a column, a typed literal or a CAST, ``_as_decimal``), because Ibis's
own typing of ``a × b`` is not the engines'; values of different scales are cast to one scale before
a comparison, CASE, GREATEST or COALESCE, so that neither engine widens them. DuckDB and Spark then
compute the same types, and only the explicit casts could round (beyond ``MAX_SCALE`` places).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

import ibis
import ibis.expr.datatypes as dt_types
import ibis.expr.operations as ops
import ibis.expr.types as ir

from jiuzhu.rules import expr as e
from jiuzhu.rules.programmes.base import Programme

DECIMAL_WIDTH = 18  # the widest decimal held in a 64-bit integer
MAX_SCALE = 6
OUT_DECIMAL = dt_types.Decimal(12, 2)
KEY = "household_id"
MEMBER_KEY = "member_index"
GROUP = "_g"
ENTITIES = (e.MEMBER, e.OBLIGOR)

# Programme-specific amounts carried in the long result table (null where a programme has none).
OUTPUT_COLUMNS = (
    "standard_month",
    "per_capita_income_month",
    "gap_month",
    "supplement_month",
    "basic_standard_month",
    "care_standard_month",
    "line_month",
    "exit_award",  # 低保: the one-off sum on a voluntary exit (a pack's 主动退出 award)
)

Materialise = Callable[[ir.Table], ir.Table]
Groups = dict[int, Any]  # group index → a node, a value …
StepKey = tuple[str, str]  # a step's name and level


@dataclass(frozen=True)
class BatchTables:
    """Inputs of one batch, one row per household / member / obligor."""

    households: ir.Table
    members: ir.Table  # with annual income columns income_<type>
    obligors: ir.Table


@dataclass(frozen=True)
class PlanGroup:
    """Households evaluated with one parameter set on one as-of date.

    ``where`` selects them (a boolean over the households table; None: every household).
    """

    as_of: dt.date
    programmes: tuple[Programme, ...]
    where: ir.BooleanValue | None = None


# ---------------------------------------------------------------------------- literals and shapes


def _tag(value: Any) -> str:
    """The SQL type family a literal compiles to (None counts as numeric, like an unset parameter)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.date):
        return "date"
    return "decimal"


def _decimal_type(scale: int) -> dt_types.Decimal:
    """DECIMAL(18, scale), the scale capped at ``MAX_SCALE``."""
    return dt_types.Decimal(DECIMAL_WIDTH, min(max(scale, 0), MAX_SCALE))


def _literal_scale(value: Any) -> int:
    """The places an exact decimal literal needs (850 → 0, 0.2 → 1, 0.05 → 2)."""
    if value is None or isinstance(value, (bool, str, dt.date)):
        return 0
    exponent = Decimal(value).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _scale_of(value: ir.Value) -> int:
    """The scale of a value the compiler typed (integers and untyped nulls: 0)."""
    kind = value.type()
    return int(kind.scale or 0) if kind.is_decimal() else 0


def _is_number(value: ir.Value) -> bool:
    kind = value.type()
    return bool(kind.is_decimal() or kind.is_integer() or kind.is_null())


def _as_decimal(value: ir.Value, scale: int | None = None) -> ir.Value:
    """``value`` as DECIMAL(18, scale) in the engine (default: its own scale). The CAST is written
    unless the value is a column, literal or cast of exactly that type: Ibis's type of an expression
    is not always the engine's, and a cast to the type a value already has costs the engines nothing."""
    target = _decimal_type(_scale_of(value) if scale is None else scale)
    op = value.op()
    if value.type() == target and isinstance(op, (ops.Field, ops.Literal, ops.Cast)):
        return value
    return ops.Cast(op, to=target).to_expr()


def _zero(like: ir.Value) -> ir.Value:
    """0 of the decimal type of ``like``."""
    return ibis.literal(Decimal(0), type=_decimal_type(_scale_of(like)))


def _null_like(like: ir.Value) -> ir.Value:
    return ibis.null(like.type() if not like.type().is_null() else _decimal_type(0))


def _unify(values: list[ir.Value]) -> list[ir.Value]:
    """Values of one type for a CASE, GREATEST or COALESCE: numbers as DECIMAL(18, largest scale)."""
    if any(v.type().is_decimal() for v in values) and all(_is_number(v) for v in values):
        scale = max(_scale_of(v) for v in values)
        return [_as_decimal(v, scale) for v in values]
    result_type = _common_type(values)
    return [v if v.type() == result_type else v.cast(result_type) for v in values]


def _add_all(values: list[ir.Value]) -> ir.Value:
    """The sum of decimal values (none: 0), each partial sum typed."""
    if not values:
        return ibis.literal(Decimal(0), type=_decimal_type(0))
    total = values[0]
    for value in values[1:]:
        total = _as_decimal(total + value, max(_scale_of(total), _scale_of(value)))
    return total


def _literal(value: Any, tag: str | None = None) -> ir.Value:
    tag = tag or _tag(value)
    if value is None:  # an unset parameter or an unknown constant
        return ibis.null(_decimal_type(0) if tag == "decimal" else tag)
    if tag == "boolean":
        return ibis.literal(value, type="boolean")
    if tag == "decimal":
        return ibis.literal(Decimal(value), type=_decimal_type(_literal_scale(value)))
    if tag == "date":
        return ibis.literal(value, type="date")
    return ibis.literal(value, type="string")


def _years(node: e.AgeAtLeast) -> int | None:
    if not isinstance(node.years, (e.Lit, e.Param)) or node.years.value is None:
        return None
    return int(node.years.value)


def _shape(node: e.Node, level_of: Callable[[e.Step], str]) -> tuple[Any, ...]:
    """A node's tree with parameter values (and as-of dates) left out: equal shapes compile to one
    expression whose parameters are per-group columns. ``level_of`` gives the level of the step a
    reference resolves to in the group."""

    def shape(node: e.Node) -> tuple[Any, ...]:
        if isinstance(node, e.Lit):
            return ("lit", _tag(node.value), node.value)
        if isinstance(node, e.Param):
            return ("param", _tag(node.value))
        if isinstance(node, e.Input):
            return ("input", node.entity, node.field)
        if isinstance(node, e.AgeAtLeast):
            return ("age", node.entity)
        if isinstance(node, e.WithinMonths):
            return ("within_months", node.entity, node.field)
        if isinstance(node, e.Ref):
            return ("ref", node.step.name, level_of(node.step))
        if isinstance(node, e.Aggregate):
            return ("aggregate", node.kind, node.entity, shape(node.item))
        if isinstance(node, e.MoneySum):
            return ("money_sum", node.source, node.types, node.scope)
        if isinstance(node, e.DivRound):
            r = node.rounding
            return ("div_round", r.mode, r.unit, shape(node.num), shape(node.den))
        if isinstance(node, e.IsIn):
            return ("isin", node.values, shape(node.a))
        if isinstance(node, (e.Arith, e.Compare, e.Extreme)):
            return (type(node).__name__, node.op, shape(node.a), shape(node.b))
        if isinstance(node, (e.And, e.Or, e.Not, e.If, e.Coalesce)):
            return (type(node).__name__, *[shape(child) for child in node.children()])
        raise TypeError(f"cannot compile {type(node).__name__}")

    return shape(node)


def _children(nodes: Groups) -> list[Groups]:
    """The aligned children of nodes of one shape."""
    columns: list[Groups] = []
    for g, node in nodes.items():
        for i, child in enumerate(node.children()):
            if len(columns) <= i:
                columns.append({})
            columns[i][g] = child
    return columns


def _slot_values(nodes: Groups, as_of: Mapping[int, dt.date]) -> Groups | None:
    """Per-group values of a parameter (or of an age's birth-date cutoff); None for other nodes."""
    first = next(iter(nodes.values()))
    if isinstance(first, e.Param):
        return {g: node.value for g, node in nodes.items()}
    if isinstance(first, e.AgeAtLeast):
        values: Groups = {}
        for g, node in nodes.items():
            years = _years(node)
            values[g] = None if years is None else e.age_cutoff(as_of[g], years)
        return values
    if isinstance(first, e.WithinMonths):  # both bounds: they identify an aggregate's values
        low, high = _window_values(nodes, as_of)
        return {g: (low[g], high[g]) for g in nodes}
    return None


def _window_values(nodes: Groups, as_of: Mapping[int, dt.date]) -> tuple[Groups, Groups]:
    """Per-group bounds of aligned ``WithinMonths`` nodes: the earliest date still in the period, and
    the as-of date (both computed here, in Python; the plan only compares the date column with them)."""
    low: Groups = {}
    for g, node in nodes.items():
        months = node.months.value if isinstance(node.months, (e.Lit, e.Param)) else None
        low[g] = None if months is None else e.month_window_start(as_of[g], int(months))
    return low, {g: as_of[g] for g in nodes}


def _slot_key(values: Groups, tag: str) -> tuple[Any, ...]:
    return (tag, *sorted((g, _tag(v), v) for g, v in values.items()))


def _uniform(values: Groups) -> bool:
    items = list(values.values())
    return all(_tag(v) == _tag(items[0]) and v == items[0] for v in items[1:])


def _values_key(nodes: Groups, as_of: Mapping[int, dt.date]) -> tuple[Any, ...]:
    """Every per-group parameter value under aligned nodes: with the shape, identifies an aggregate."""
    found: list[Any] = []

    def walk(aligned: Groups) -> None:
        values = _slot_values(aligned, as_of)
        if values is not None:
            found.append(tuple(sorted((g, _tag(v), v) for g, v in values.items())))
        for child in _children(aligned):
            walk(child)

    walk(nodes)
    return tuple(found)


# ---------------------------------------------------------------------------- the plan


@dataclass
class _Reads:
    """What a value reads from the table it is computed on: columns, and steps of the same level."""

    columns: set[str] = field(default_factory=set)
    steps: set[StepKey] = field(default_factory=set)


@dataclass
class _StepInfo:
    name: str
    level: str
    kind: str
    column: str
    defs: dict[int, e.Step] = field(default_factory=dict)
    classes: list[Groups] = field(default_factory=list)  # groups partitioned by shape: {g: expr}
    round: int | None = None
    inline: bool = False  # written into the one step that reads it, not a column
    reads: _Reads = field(default_factory=lambda: _Reads())


@dataclass
class _Aggregate:
    column: str
    kind: str  # sum | any | all | money (a household income total: members' part + household's)
    entity: str
    nodes: Groups  # the aligned Aggregate / MoneySum nodes
    round: int = 0
    reads: _Reads = field(default_factory=lambda: _Reads())  # what the item reads on the entity table


@dataclass
class _Slot:
    column: str
    tag: str
    values: Groups


class Plan:
    """Compiles programmes for groups of households into one result table."""

    def __init__(
        self,
        groups: Sequence[PlanGroup],
        tables: BatchTables,
        *,
        keys: Sequence[str] = (KEY,),
        materialise: Materialise | None = None,
    ) -> None:
        if not groups:
            raise ValueError("no group of households to compile")
        self.groups = list(groups)
        self.tables = tables
        self.keys = tuple(keys)
        self.materialise = materialise or (lambda table: table)
        self.as_of = {g: group.as_of for g, group in enumerate(self.groups)}
        self.steps: dict[StepKey, _StepInfo] = {}
        self.order: list[StepKey] = []
        self.aggregates: dict[tuple[Any, ...], _Aggregate] = {}
        self.slots: dict[tuple[Any, ...], _Slot] = {}
        self.constants: dict[StepKey, bool] = {}  # memo of _constant
        self.household_inputs: set[str] = set()
        self.household_columns = set(tables.households.columns)
        self.carry: dict[str, dict[str, int]] = {entity: {} for entity in ENTITIES}  # column → its H round
        self.canonical: list[dict[str, e.Step]] = []
        self.programme_ids: list[str] = []
        self.programme_groups: dict[str, set[int]] = {}
        self._collect()
        for name in self.order:
            self._step_round(name)
        self._mark_inline()

    # ------------------------------------------------------------------ analysis (pure Python)

    def _collect(self) -> None:
        """Every step the outputs need, per group, in an order that computes dependencies first.

        Like the evaluator, a group knows a step by its name: the first definition in programme
        order is the one every reference to that name reads."""
        for g, group in enumerate(self.groups):
            canonical: dict[str, e.Step] = {}
            for programme in group.programmes:
                for step in [*programme.steps, *self._outputs(programme)]:
                    canonical.setdefault(step.name, step)
            self.canonical.append(canonical)
            for programme in group.programmes:
                if programme.id not in self.programme_groups:
                    self.programme_ids.append(programme.id)
                    self.programme_groups[programme.id] = set()
                self.programme_groups[programme.id].add(g)
                for step in self._outputs(programme):
                    self._define(canonical[step.name], g, ())
        visited: set[StepKey] = set()

        def visit(key: StepKey, path: tuple[StepKey, ...]) -> None:
            if key in path:
                raise ValueError(f"steps refer to each other in a circle: {' → '.join(k[0] for k in (*path, key))}")
            if key in visited:
                return
            for g, step in self.steps[key].defs.items():
                for ref in _refs(step.expr):
                    visit(self._step_key(ref, g), (*path, key))
            visited.add(key)
            self.order.append(key)

        for key in list(self.steps):
            visit(key, ())

    @staticmethod
    def _outputs(programme: Programme) -> list[e.Step]:
        return [programme.eligible, programme.amount_month, *programme.outputs.values()]

    def _target(self, step: e.Step, g: int) -> e.Step:
        """The step a reference to ``step`` reads in group ``g`` (the group's definition of the name)."""
        return self.canonical[g].get(step.name, step)

    def _step_key(self, step: e.Step, g: int) -> StepKey:
        return _key(self._target(step, g))

    def _define(self, step: e.Step, g: int, path: tuple[str, ...]) -> None:
        # A step may be a household value in one group and a member value in another (a constant
        # where the pack sets nothing): each level is its own column.
        if step.name in path:
            raise ValueError(f"steps refer to each other in a circle: {' → '.join((*path, step.name))}")
        info = self.steps.get(_key(step))
        if info is None:
            info = _StepInfo(step.name, step.level, step.kind, f"s{len(self.steps)}")
            self.steps[_key(step)] = info
        if g in info.defs:
            return
        info.defs[g] = step
        for ref in _refs(step.expr):
            self._define(self._target(ref, g), g, (*path, step.name))

    def _mark_inline(self) -> None:
        """A step read once, at its own level, and not an output is written into its reader: fewer
        columns and projections, no value computed twice."""
        uses: dict[StepKey, list[str]] = {key: [] for key in self.steps}

        def walk(node: e.Node, g: int, level: str) -> None:
            if isinstance(node, e.Ref):
                uses[self._step_key(node.step, g)].append(level)
                return
            if isinstance(node, e.Aggregate):
                walk(node.item, g, node.entity)
                return
            for child in node.children():
                walk(child, g, level)

        for info in self.steps.values():
            for nodes in info.classes:
                g, expr = next(iter(nodes.items()))
                walk(expr, g, info.level)
        outputs = {
            self._step_key(step, g)
            for g, group in enumerate(self.groups)
            for programme in group.programmes
            for step in self._outputs(programme)
        }
        for key, info in self.steps.items():
            info.inline = key not in outputs and (uses[key] == [info.level] or self._constant(key))

    def _constant(self, key: StepKey) -> bool:
        """A step that reads no column (a parameter, a figure computed from parameters): written as
        an expression wherever it is read, so it is never carried onto member rows and the engine
        folds it to a literal."""
        known = self.constants.get(key)
        if known is None:
            info = self.steps[key]
            known = not info.reads.columns and all(self._constant(k) for k in info.reads.steps)
            if info.round is not None:  # its reads are complete: the answer is final
                self.constants[key] = known
        return known

    def _step_round(self, name: StepKey) -> int:
        info = self.steps[name]
        if info.round is not None:
            return info.round
        by_shape: dict[tuple[Any, ...], Groups] = {}
        for g, step in info.defs.items():
            by_shape.setdefault(self._shape(step.expr, g), {})[g] = step.expr
        info.classes = list(by_shape.values())
        level = info.level
        if len(info.classes) > 1 or len(info.defs) < len(self.groups):
            self._need_household(GROUP, level, -1)
            info.reads.columns.add(GROUP)
        info.round = max(self._scan(nodes, level, info.reads) for nodes in info.classes)
        return info.round

    def _need_household(self, column: str, level: str, round_: int) -> int:
        """A household column used at ``level``: on members/obligors it is carried from H; the round it is usable."""
        if level == e.HOUSEHOLD:
            return round_
        known = self.carry[level].get(column)
        self.carry[level][column] = round_ if known is None else max(known, round_)
        return round_ + 1

    def _household_input(self, name: str, level: str, reads: _Reads) -> int:
        self.household_inputs.add(name)
        reads.columns.add(_h(name) if level != e.HOUSEHOLD else name)
        return self._need_household(_h(name) if level != e.HOUSEHOLD else name, level, -1)

    def _household_column(self, column: str, level: str, round_: int, reads: _Reads) -> int:
        """A column of H (slot, step, aggregate) read at ``level``: on members/obligors under the same name."""
        reads.columns.add(column)
        return self._need_household(column, level, round_)

    def _scan(self, nodes: Groups, level: str, reads: _Reads) -> int:
        """The first round in which aligned ``nodes`` can be computed at ``level``; registers what they need
        (slots, aggregates, carried columns) and adds what they read to ``reads``."""
        base = -1 if level == e.HOUSEHOLD else 0
        first = next(iter(nodes.values()))
        if isinstance(first, e.Lit):
            return base
        if isinstance(first, (e.Param, e.AgeAtLeast)):
            values = _slot_values(nodes, self.as_of)
            assert values is not None
            tag = "date" if isinstance(first, e.AgeAtLeast) else _tag(first.value)
            if isinstance(first, e.AgeAtLeast):
                reads.columns.add("birth_date")
            if not _uniform(values):
                slot = self._slot(values, tag)
                return max(base, self._household_column(slot.column, level, -1, reads))
            return base
        if isinstance(first, e.WithinMonths):
            found = base
            if first.entity == e.HOUSEHOLD:
                found = max(found, self._household_input(first.field, level, reads))
            else:
                reads.columns.add(first.field)
            for values in _window_values(nodes, self.as_of):
                if not _uniform(values):
                    slot = self._slot(values, "date")
                    found = max(found, self._household_column(slot.column, level, -1, reads))
            return found
        if isinstance(first, e.Input):
            if first.entity == e.HOUSEHOLD:
                return max(base, self._household_input(first.field, level, reads))
            reads.columns.add(MEMBER_KEY if first.field == "is_first" else first.field)
            return base
        if isinstance(first, e.Ref):
            key = self._step_key(first.step, next(iter(nodes)))
            step_round = self._step_round(key)
            info = self.steps[key]
            if info.level == level or self._constant(key):
                reads.steps.add(key)
                return max(base, step_round)
            return max(base, self._household_column(info.column, level, step_round, reads))
        if isinstance(first, (e.Aggregate, e.MoneySum)):
            return max(base, self._scan_aggregate(nodes, level, reads))
        return max([base, *[self._scan(child, level, reads) for child in _children(nodes)]])

    def _scan_aggregate(self, nodes: Groups, level: str, reads: _Reads) -> int:
        first = next(iter(nodes.values()))
        if isinstance(first, e.MoneySum):
            if first.source == "expenses":
                # Inline: the household's expenses (at any level) and whether they were declared.
                for kind in first.types:
                    if f"expense_{kind}" in self.household_columns:
                        self._household_input(f"expense_{kind}", level, reads)
                return self._household_input("expenses_declared", level, reads)
            if first.scope != e.HOUSEHOLD:
                # Inline: the member's own incomes, known when the household declared incomes.
                reads.columns.update(f"income_{kind}" for kind in first.types)
                return self._household_input("incomes_declared", level, reads)
            aggregate = self._aggregate(nodes, "money", e.MEMBER, 0)
            aggregate.reads.columns.update({"in_household", *(f"income_{kind}" for kind in first.types)})
            self.household_inputs.add("incomes_declared")
            self.household_inputs.update(f"income_{kind}" for kind in first.types)
            return self._household_column(aggregate.column, level, 0, reads)
        items = {g: node.item for g, node in nodes.items()}
        item_reads = _Reads()
        item_round = self._scan(items, first.entity, item_reads)
        aggregate = self._aggregate(nodes, first.kind, first.entity, item_round)
        aggregate.reads = item_reads
        if first.entity == e.OBLIGOR:
            self.household_inputs.add("obligors_declared")
        return self._household_column(aggregate.column, level, aggregate.round, reads)

    def _aggregate(self, nodes: Groups, kind: str, entity: str, round_: int) -> _Aggregate:
        key = self._aggregate_key(nodes)
        found = self.aggregates.get(key)
        if found is None:
            found = _Aggregate(f"a{len(self.aggregates)}", kind, entity, nodes, round_)
            self.aggregates[key] = found
        return found

    def _columns(self, reads: _Reads) -> set[str]:
        """The columns ``reads`` needs on its table, through the steps written inline."""
        columns = set(reads.columns)
        for key in reads.steps:
            info = self.steps[key]
            columns |= self._columns(info.reads) if info.inline or self._constant(key) else {info.column}
        return columns

    def _shape(self, node: e.Node, g: int) -> tuple[Any, ...]:
        return _shape(node, lambda step: self._target(step, g).level)

    def _aggregate_key(self, nodes: Groups) -> tuple[Any, ...]:
        g, first = next(iter(nodes.items()))
        return (self._shape(first, g), _values_key(nodes, self.as_of))

    def _slot(self, values: Groups, tag: str) -> _Slot:
        key = _slot_key(values, tag)
        found = self.slots.get(key)
        if found is None:
            found = _Slot(f"p{len(self.slots)}", tag, values)
            self.slots[key] = found
        return found

    # ------------------------------------------------------------------ expressions

    def value(self, nodes: Groups, level: str, table: ir.Table) -> ir.Value:
        """Aligned ``nodes`` as one Ibis value over ``table`` (H, M_r or O_r)."""
        first = next(iter(nodes.values()))
        if isinstance(first, e.Lit):
            return _literal(first.value)
        if isinstance(first, e.Param):
            return self._slot_value(nodes, _tag(first.value), level, table)
        if isinstance(first, e.AgeAtLeast):
            return table.birth_date <= self._slot_value(nodes, "date", level, table)
        if isinstance(first, e.WithinMonths):
            date = table[_h(first.field) if first.entity != level else first.field]
            low, high = (self._date_bound(values, table) for values in _window_values(nodes, self.as_of))
            return (date >= low) & (date <= high)
        if isinstance(first, e.Input):
            if first.field == "is_first":
                return table[MEMBER_KEY] == 0
            column = table[_h(first.field) if first.entity != level else first.field]
            return column.cast(_decimal_type(0)) if first.field == "disability_grade" else column
        if isinstance(first, e.Ref):
            key = self._step_key(first.step, next(iter(nodes)))
            info = self.steps[key]
            if info.inline or self._constant(key):
                return self.step_value(info, table)
            return table[info.column]
        if isinstance(first, e.MoneySum) and (first.scope != e.HOUSEHOLD or first.source == "expenses"):
            return self._inline_money_sum(first, level, table)
        if isinstance(first, (e.Aggregate, e.MoneySum)):
            return table[self.aggregates[self._aggregate_key(nodes)].column]
        children = _children(nodes)
        if isinstance(first, e.Arith):
            a, b = (self.value(child, level, table) for child in children)
            if first.op in ("+", "-"):
                return _as_decimal(a + b if first.op == "+" else a - b, max(_scale_of(a), _scale_of(b)))
            return _as_decimal(a * b, _scale_of(a) + _scale_of(b))
        if isinstance(first, e.Compare):
            a, b = (self.value(child, level, table) for child in children)
            if a.type().is_decimal() and b.type().is_decimal() and _scale_of(a) != _scale_of(b):
                a, b = _unify([a, b])
            return {"<": a < b, "≤": a <= b, ">": a > b, "≥": a >= b, "=": a == b, "≠": a != b}[first.op]
        if isinstance(first, e.IsIn):
            return self.value(children[0], level, table).isin(list(first.values))
        if isinstance(first, (e.And, e.Or)):
            result = self.value(children[0], level, table)
            for child in children[1:]:
                item = self.value(child, level, table)
                result = result & item if isinstance(first, e.And) else result | item
            return result
        if isinstance(first, e.Not):
            return ~self.value(children[0], level, table)
        if isinstance(first, e.If):
            # CASE cond WHEN TRUE … WHEN FALSE … END: cond written once, unknown when cond is.
            cond, then, other = (self.value(child, level, table) for child in children)
            then, other = _unify([then, other])
            return cond.cases((True, then), (False, other), else_=_null_like(then))
        if isinstance(first, e.Extreme):
            # max(max(a, b), c) is one GREATEST(a, b, c): nested pairs would write each operand 2ⁿ times.
            operands = _unify([self.value(part, level, table) for part in _extreme_operands(nodes, first.op)])
            best = ibis.greatest(*operands) if first.op == "max" else ibis.least(*operands)
            if operands[0].type().is_decimal():
                best = _as_decimal(best, _scale_of(operands[0]))
            unknown = operands[0].isnull()
            for operand in operands[1:]:
                unknown = unknown | operand.isnull()
            return ibis.cases((unknown, _null_like(operands[0])), else_=best)
        if isinstance(first, e.Coalesce):
            a, default = _unify([self.value(child, level, table) for child in children])
            return ibis.coalesce(a, default)
        if isinstance(first, e.DivRound):
            num, den = (self.value(child, level, table) for child in children)
            return _div_round(num, den, first)
        raise TypeError(f"cannot compile {type(first).__name__}")

    def _slot_value(self, nodes: Groups, tag: str, level: str, table: ir.Table) -> ir.Value:
        values = _slot_values(nodes, self.as_of)
        assert values is not None
        if _uniform(values):
            return _literal(next(iter(values.values())), tag)
        return table[self.slots[_slot_key(values, tag)].column]

    def _date_bound(self, values: Groups, table: ir.Table) -> ir.Value:
        """A per-group date: a literal when every group has the same, else its slot column."""
        if _uniform(values):
            return _literal(next(iter(values.values())), "date")
        return table[self.slots[_slot_key(values, "date")].column]

    def _inline_money_sum(self, node: e.MoneySum, level: str, table: ir.Table) -> ir.Value:
        """A member's own incomes, or the household's expenses (at any level); null when undeclared."""
        if node.source == "expenses":
            names = [f"expense_{kind}" for kind in node.types]
            columns = [table[_h(n) if level != e.HOUSEHOLD else n] for n in names if n in self.household_columns]
            flag = table[_h("expenses_declared") if level != e.HOUSEHOLD else "expenses_declared"]
        else:
            columns = [table[f"income_{kind}"] for kind in node.types if f"income_{kind}" in table.columns]
            flag = table[_h("incomes_declared")]
        total = _add_all([_as_decimal(column).fill_null(_zero(_as_decimal(column))) for column in columns])
        return ibis.cases((flag, total), else_=_null_like(total))

    def step_value(self, info: _StepInfo, table: ir.Table) -> ir.Value:
        """A step's column: one expression, or a CASE over the groups when their trees differ."""
        compiled = [(nodes, self._typed(info, self.value(nodes, info.level, table))) for nodes in info.classes]
        if len(compiled) == 1 and len(info.defs) == len(self.groups):
            return compiled[0][1]
        values = _unify([value for _, value in compiled])
        groups = [table[GROUP].isin(sorted(nodes)) for nodes, _ in compiled]
        branches = list(zip(groups, values, strict=True))
        return ibis.cases(*branches, else_=_null_like(values[0]))

    @staticmethod
    def _typed(info: _StepInfo, value: ir.Value) -> ir.Value:
        if info.kind in ("money", "number") and _is_number(value):
            return _as_decimal(value)
        return value

    # ------------------------------------------------------------------ tables, round by round

    def _households(self) -> ir.Table:
        """Round −1: the households of every group, the inputs the rules read and the group index."""
        h = self.tables.households
        if len(self.groups) == 1 and self.groups[0].where is None:
            group: ir.Value = ibis.literal(0, type="int32")
        else:
            group = ibis.cases(
                *[
                    (grp.where if grp.where is not None else ibis.literal(True), ibis.literal(g, type="int32"))
                    for g, grp in enumerate(self.groups)
                ],
                else_=ibis.null("int32"),
            )
        columns = [c for c in h.columns if c in self.household_inputs and c not in self.keys]
        h = h.select(*self.keys, *columns, **{GROUP: group})
        if len(self.groups) > 1 or self.groups[0].where is not None:
            h = h.filter(h[GROUP].notnull())
        slots = {slot.column: self._slot_column(slot, h) for slot in self.slots.values()}
        return h.mutate(**slots) if slots else h

    def _slot_column(self, slot: _Slot, h: ir.Table) -> ir.Value:
        by_value: dict[tuple[str, Any], list[int]] = {}
        for g, value in slot.values.items():
            by_value.setdefault((_tag(value), value), []).append(g)
        branches = [(h[GROUP].isin(groups), _literal(value, slot.tag)) for (_, value), groups in by_value.items()]
        if slot.tag == "decimal":
            scale = max(_literal_scale(value) for value in slot.values.values())
            branches = [(cond, _as_decimal(value, scale)) for cond, value in branches]
            return ibis.cases(*branches, else_=ibis.null(_decimal_type(scale)))
        return ibis.cases(*branches, else_=ibis.null(slot.tag))

    def _depends(self, key: StepKey) -> set[StepKey]:
        """The step columns a step reads, through the steps written into it."""
        found: set[StepKey] = set()
        for g, step in self.steps[key].defs.items():
            for ref in _refs(step.expr):
                target = self._step_key(ref, g)
                written_in = self.steps[target].inline or self._constant(target)
                found |= self._depends(target) if written_in else {target}
        return found

    def _add_steps(self, table: ir.Table, names: list[StepKey]) -> ir.Table:
        """Mutate steps of one round and level, in as few projections as their dependencies allow."""
        pending = [n for n in names if not self.steps[n].inline]
        while pending:
            batch = [n for n in pending if not self._depends(n) & set(pending)]
            if not batch:  # pragma: no cover - the order is topological
                raise ValueError(f"circular steps: {pending}")
            table = table.mutate(**{self.steps[n].column: self.step_value(self.steps[n], table) for n in batch})
            pending = [n for n in pending if n not in batch]
        return table

    def _entity_base(self, entity: str) -> ir.Table:
        return self.tables.members if entity == e.MEMBER else self.tables.obligors

    def _aggregate_metrics(
        self, entity_table: ir.Table, aggregates: list[_Aggregate], entity: str
    ) -> tuple[ir.Table, dict[str, Any]]:
        """The entity table with each aggregate's item as a column (computed once per row, not once per
        use in the aggregate's CASE), and the aggregate metrics over it."""
        items = {
            f"_i_{aggregate.column}": self.value({g: n.item for g, n in aggregate.nodes.items()}, entity, entity_table)
            for aggregate in aggregates
            if isinstance(next(iter(aggregate.nodes.values())), e.Aggregate)
        }
        entity_table = entity_table.mutate(**items) if items else entity_table
        count = entity_table.count()
        metrics: dict[str, Any] = {f"_n_{entity}": count}
        for aggregate in aggregates:
            first = next(iter(aggregate.nodes.values()))
            if isinstance(first, e.MoneySum):
                total = _add_all(_incomes(entity_table, first.types))
                member_total = ibis.cases((entity_table.in_household, total), else_=_zero(total))
                metrics[aggregate.column] = _as_decimal(member_total.sum(), _scale_of(total))
                continue
            assert isinstance(first, e.Aggregate)
            item = entity_table[f"_i_{aggregate.column}"]
            some_unknown = item.count() < count
            if aggregate.kind == "sum":
                item = _as_decimal(item)
                metrics[aggregate.column] = ibis.cases(
                    (some_unknown, _null_like(item)), else_=_as_decimal(item.sum(), _scale_of(item))
                )
            else:
                hit = item.any() if aggregate.kind == "any" else (~item).any()
                metrics[aggregate.column] = ibis.cases(
                    (hit, aggregate.kind == "any"), (some_unknown, ibis.null("boolean")), else_=aggregate.kind != "any"
                )
        return entity_table, metrics

    def _finish_aggregate(self, aggregate: _Aggregate, table: ir.Table) -> ir.Value:
        """The household value of an aggregate joined from its entity table (no row: empty list)."""
        column = table[aggregate.column]
        first = next(iter(aggregate.nodes.values()))
        missing = table[f"_n_{aggregate.entity}"].isnull()
        if isinstance(first, e.MoneySum):
            total = _add_all([column.fill_null(_zero(column)), *_incomes(table, first.types)])
            return ibis.cases((table.incomes_declared, total), else_=_null_like(total))
        if aggregate.kind == "sum":
            value = ibis.cases((missing, _zero(column)), else_=column)
        else:
            value = ibis.cases((missing, aggregate.kind == "all"), else_=column)
        if aggregate.entity == e.OBLIGOR:
            value = ibis.cases((table.obligors_declared, value), else_=ibis.null(value.type()))
        return value

    def _entity_rounds(self, entity: str) -> list[int]:
        """The rounds in which the member (obligor) table has steps or aggregates."""
        rounds = {info.round for info in self.steps.values() if info.level == entity and not info.inline}
        rounds |= {a.round for a in self.aggregates.values() if a.entity == entity}
        return sorted(r for r in rounds if r is not None)

    def _live(self, last: int) -> tuple[dict[int, set[str]], dict[str, dict[int, set[str]]]]:
        """Columns still needed after each round, on H and on each entity table (dead ones are dropped,
        so that what Spark keeps between rounds stays narrow)."""
        outputs = {
            self.steps[self._step_key(step, g)].column
            for g, group in enumerate(self.groups)
            for programme in group.programmes
            for step in self._outputs(programme)
        }
        household: dict[int, set[str]] = {r: {*self.keys, GROUP, *outputs} for r in range(-1, last + 1)}
        entity: dict[str, dict[int, set[str]]] = {}

        def need(table: dict[int, set[str]], columns: set[str], until: int) -> None:
            for r in table:
                if r < until:
                    table[r] |= columns

        for info in self.steps.values():
            if info.inline or info.round is None:
                continue
            if info.level == e.HOUSEHOLD:
                need(household, self._columns(info.reads), info.round)
        for aggregate in self.aggregates.values():
            first = next(iter(aggregate.nodes.values()))
            finish = {"obligors_declared"} if aggregate.entity == e.OBLIGOR else set()
            if isinstance(first, e.MoneySum):
                finish = {"incomes_declared", *(f"income_{kind}" for kind in first.types)}
            need(household, finish, aggregate.round)
        for name in ENTITIES:
            rounds = self._entity_rounds(name)
            table: dict[int, set[str]] = {r: set(self.keys) for r in rounds}
            entity[name] = table
            for info in self.steps.values():
                if info.level == name and not info.inline and info.round is not None:
                    need(table, self._columns(info.reads), info.round)
            for aggregate in self.aggregates.values():
                if aggregate.entity == name:
                    need(table, self._columns(aggregate.reads), aggregate.round)
            for column, round_ in self.carry[name].items():
                brought = min((r for r in rounds if r > round_), default=None)
                if brought is not None:
                    need(household, {_unh(column)}, brought)
        return household, entity

    def wide(self) -> ir.Table:
        """The household table with a column per step (``s…``): every output of every programme."""
        h = self._households()
        h = self._add_steps(h, self._names(e.HOUSEHOLD, -1))
        last = max((info.round or 0 for info in self.steps.values() if info.level == e.HOUSEHOLD), default=0)
        live_household, live_entity = self._live(last)
        entity_tables: dict[str, ir.Table | None] = dict.fromkeys(ENTITIES)
        carried: dict[str, set[str]] = {entity: set() for entity in ENTITIES}
        for round_ in range(last + 1):
            grouped: list[tuple[ir.Table, list[_Aggregate], str]] = []
            for entity in ENTITIES:
                if round_ not in live_entity[entity]:
                    continue
                steps = self._names(entity, round_)
                aggregates = [a for a in self.aggregates.values() if a.entity == entity and a.round == round_]
                table = entity_tables[entity]
                base = self._entity_base(entity) if table is None else table
                bring = sorted(c for c, r in self.carry[entity].items() if r < round_ and c not in carried[entity])
                if bring or table is None:
                    # The first time on household_id alone (members have no other key), then on every key.
                    source = h.select(*self.keys, **{c: h[_unh(c)] for c in bring})
                    base = base.join(source, [KEY] if table is None else list(self.keys))
                    carried[entity].update(bring)
                table = self._add_steps(base, steps)
                if aggregates:
                    with_items, metrics = self._aggregate_metrics(table, aggregates, entity)
                    grouped.append((with_items.group_by(list(self.keys)).aggregate(**metrics), aggregates, entity))
                if any(r > round_ for r in live_entity[entity]):
                    keep = live_entity[entity][round_]
                    table = self.materialise(table.select(*[c for c in table.columns if c in keep]))
                entity_tables[entity] = table
            if grouped:
                kept = list(h.columns)
                for aggregated, _, _ in grouped:
                    h = h.left_join(aggregated, list(self.keys)).select(
                        *kept, *[c for c in aggregated.columns if c not in self.keys]
                    )
                    kept = list(h.columns)
                finished = {a.column: self._finish_aggregate(a, h) for _, aggs, _ in grouped for a in aggs}
                base_columns = [c for c in h.columns if not c.startswith("_n_") and c not in finished]
                h = h.select(*base_columns, **finished)
            h = self._add_steps(h, self._names(e.HOUSEHOLD, round_))
            if round_ < last:
                h = self.materialise(h.select(*[c for c in h.columns if c in live_household[round_]]))
        return h

    def _names(self, level: str, round_: int) -> list[StepKey]:
        return [n for n in self.order if self.steps[n].level == level and self.steps[n].round == round_]

    def _output(self, table: ir.Table, pid: str, pick: Callable[[Programme], e.Step | None]) -> ir.Value | None:
        """A programme's output step on the wide table (a CASE over groups if they name different steps)."""
        by_column: dict[str, list[int]] = {}
        for g, group in enumerate(self.groups):
            for programme in group.programmes:
                step = pick(programme) if programme.id == pid else None
                if step is not None:
                    by_column.setdefault(self.steps[self._step_key(step, g)].column, []).append(g)
        if not by_column:
            return None
        if len(by_column) == 1:
            return table[next(iter(by_column))]
        values = [table[c] for c in by_column]
        result_type = _common_type(values)
        return ibis.cases(
            *[(table[GROUP].isin(gs), table[c].cast(result_type)) for c, gs in by_column.items()],
            else_=ibis.null(result_type),
        )

    def results(self) -> ir.Table:
        """One long table: a row per household and programme (household_id, programme, eligible, amounts).

        Each programme's outputs are first cast to DECIMAL(12,2) on the wide table (once per household,
        shared outputs once), then one UNNEST of the programme ids makes the rows and a CASE on the
        programme id picks the columns: no union per programme."""
        wide = self.wide()
        columns: dict[str, ir.Value] = {}  # output columns on the wide table
        picked: dict[str, dict[str, str]] = {pid: {} for pid in self.programme_ids}
        casts: dict[tuple[Any, ...], str] = {}

        def add(pid: str, key: str, value: ir.Value | None, cast: Any) -> None:
            if value is None:
                return
            kind = key if key in ("eligible", "amount_month") else "out"
            signature: tuple[Any, ...] = (kind, value.op(), str(cast), pid if key == "amount_month" else "")
            name = casts.get(signature)
            if name is None:
                name = casts[signature] = f"o{len(casts)}"
                columns[name] = value.cast(cast) if cast is not None else value
            picked[pid][key] = name

        for pid in self.programme_ids:
            eligible = self._output(wide, pid, lambda p: p.eligible)
            amount = self._output(wide, pid, lambda p: p.amount_month)
            add(pid, "eligible", eligible, None)
            if eligible is not None and amount is not None:
                paid = ibis.cases((eligible.fill_null(False), amount), else_=_zero(amount))
                add(pid, "amount_month", paid, OUT_DECIMAL)
            for key in OUTPUT_COLUMNS:
                add(pid, key, self._output(wide, pid, partial(_programme_output, key=key)), OUT_DECIMAL)
        # The last round and the outputs are kept too (Spark: computed like the other rounds), so that
        # what remains is the cheap explosion into a row per programme.
        outputs = self.materialise(wide.select(*self.keys, GROUP, **columns))
        exploded = outputs.mutate(programme=ibis.array(self.programme_ids).unnest())
        programme = exploded.programme

        def pick(key: str, result_type: Any) -> ir.Value:
            branches = [(programme == pid, exploded[names[key]]) for pid, names in picked.items() if key in names]
            if not branches:
                return ibis.null(result_type)
            if len(self.programme_ids) == 1:
                return branches[0][1]
            return ibis.cases(*branches, else_=ibis.null(result_type))

        selected: dict[str, ir.Value] = {
            "programme": programme,
            "eligible": pick("eligible", "boolean"),
            "amount_month": pick("amount_month", OUT_DECIMAL),
        }
        for key in OUTPUT_COLUMNS:
            selected[key] = pick(key, OUT_DECIMAL)
        missing = [pid for pid, gs in self.programme_groups.items() if len(gs) < len(self.groups)]
        if missing:  # a programme some groups do not run: drop its rows for them
            selected["_keep"] = ibis.cases(
                *[(programme == pid, exploded[GROUP].isin(sorted(self.programme_groups[pid]))) for pid in missing],
                else_=True,
            )
        result = exploded.select(KEY, **selected, **{k: exploded[k] for k in self.keys if k != KEY})
        if missing:
            result = result.filter(result["_keep"]).drop("_keep")
        return result


def _programme_output(programme: Programme, key: str) -> e.Step | None:
    return programme.outputs.get(key)


def _key(step: e.Step) -> StepKey:
    return (step.name, step.level)


def _h(name: str) -> str:
    """The name of a household column carried onto member/obligor rows."""
    return f"h_{name}"


def _unh(name: str) -> str:
    return name[2:] if name.startswith("h_") else name


def _refs(node: e.Node) -> Iterable[e.Step]:
    """The steps a tree refers to (directly, not through them)."""
    if isinstance(node, e.Ref):
        yield node.step
        return
    for child in node.children():
        yield from _refs(child)


def _incomes(table: ir.Table, types: Sequence[str]) -> list[ir.Value]:
    """The income columns of ``types`` on ``table``, each 0 where null."""
    columns = [_as_decimal(table[f"income_{kind}"]) for kind in types if f"income_{kind}" in table.columns]
    return [column.fill_null(_zero(column)) for column in columns]


def _extreme_operands(nodes: Groups, op: str) -> list[Groups]:
    """The operands of aligned nested max (or min) nodes, flattened: max(max(a, b), c) → [a, b, c]."""
    result: list[Groups] = []
    for child in _children(nodes):
        first = next(iter(child.values()))
        if isinstance(first, e.Extreme) and first.op == op:
            result.extend(_extreme_operands(child, op))
        else:
            result.append(child)
    return result


def _common_type(values: list[ir.Value]) -> Any:
    types = [v.type() for v in values if not v.type().is_null()]
    if not types:
        return _decimal_type(0)
    if any(t.is_boolean() for t in types):
        return dt_types.boolean
    if any(t.is_string() for t in types):
        return dt_types.string
    if any(t.is_date() for t in types):
        return dt_types.date
    return _decimal_type(max(_scale_of(v) for v in values))


def _div_round(num: ir.Value, den: ir.Value, node: e.DivRound) -> ir.Value:
    num = _as_decimal(num)
    rounding = node.rounding
    unit = _literal(rounding.unit)
    # half up: floor((num·scale + den/2) / den) = floor((2·num·scale + den) / (2·den)), integers only
    factor = _literal(2 * rounding.scale if rounding.mode == "half_up" else rounding.scale)
    scaled = _as_decimal(num * factor, _scale_of(num) + _scale_of(factor))
    constant = den.op()
    if isinstance(constant, ops.Literal) and constant.value is not None and constant.value == int(constant.value):
        # 12 months, 1: integer literals, folded here rather than cast in SQL
        d = int(constant.value)
        if d < 1:
            return ibis.null(_decimal_type(_scale_of(unit)))
        if rounding.mode == "half_up":
            top = _as_decimal(scaled + _literal(Decimal(d)), _scale_of(scaled)).floor().cast("int64")
            units = top // ibis.literal(2 * d, type="int64")
        else:
            top = scaled.ceil().cast("int64")
            units = (top + (d - 1)) // ibis.literal(d, type="int64")
        return _as_decimal(units.cast(_decimal_type(0)) * unit, _scale_of(unit))
    den = den.cast("int64")
    if rounding.mode == "half_up":
        top = _as_decimal(scaled + den.cast(_decimal_type(0)), _scale_of(scaled)).floor().cast("int64")
        units = top // (den * 2)
    else:
        top = scaled.ceil().cast("int64")
        units = (top + den - 1) // den
    amount = _as_decimal(units.cast(_decimal_type(0)) * unit, _scale_of(unit))
    # An unknown num or den makes the arithmetic NULL by itself; den < 1 is unknown too (no members).
    return ibis.cases((den < 1, _null_like(amount)), else_=amount)


def compile_plan(
    groups: Sequence[PlanGroup],
    tables: BatchTables,
    *,
    keys: Sequence[str] = (KEY,),
    materialise: Materialise | None = None,
) -> ir.Table:
    """The long result table for every group of households, in one plan."""
    return Plan(groups, tables, keys=keys, materialise=materialise).results()


def compile_results(programmes: list[Programme], tables: BatchTables, as_of: dt.date) -> ir.Table:
    """One long table: a row per household and programme, every household with one parameter set."""
    return compile_plan([PlanGroup(as_of, tuple(programmes))], tables)
