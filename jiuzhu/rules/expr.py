"""The small expression language rules are written in, and its per-case semantics.

A rule is a tree of nodes over inputs (household, member, obligor), parameters (literals
carrying their provenance), constants and named steps. Each node evaluates on ``Decimal``
with three-valued logic: ``None`` is "cannot determine", it propagates through arithmetic
and comparisons, and ``and``/``or`` follow Kleene (false and unknown = false), exactly as
SQL ``NULL`` does, which is what lets ``compile_ibis`` run the same trees set-based.

Money is never divided except by ``DivRound``, an explicit rounded division by a whole
number that both executions compute with the same integer formula.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from jiuzhu.rules.money import Rounding

if TYPE_CHECKING:
    from jiuzhu.rules.evaluate import Context
    from jiuzhu.rules.params import ResolvedParameter

EMPTY: frozenset[str] = frozenset()
Result = tuple[Any, frozenset[str], str]  # value (None = unknown), what is missing, text for the trace

HOUSEHOLD = "household"
MEMBER = "member"
OBLIGOR = "obligor"


def show(value: Any) -> str:
    """A value as the Chinese trace writes it."""
    if value is None:
        return "未知"
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else f"{value.normalize():f}"
    return str(value)


class Node:
    """Base of every expression node. ``level`` is the entity a value belongs to."""

    level: str = HOUSEHOLD

    def ev(self, ctx: Context, index: int) -> Result:  # pragma: no cover - abstract
        raise NotImplementedError

    def children(self) -> Sequence[Node]:
        return ()

    # Operators so that rules read like formulas.
    def __add__(self, other: Node | int | Decimal) -> Node:
        return Arith("+", self, lift(other))

    def __radd__(self, other: int | Decimal) -> Node:
        return Arith("+", lift(other), self)

    def __sub__(self, other: Node | int | Decimal) -> Node:
        return Arith("-", self, lift(other))

    def __rsub__(self, other: int | Decimal) -> Node:
        return Arith("-", lift(other), self)

    def __mul__(self, other: Node | int | Decimal) -> Node:
        return Arith("×", self, lift(other))

    def __rmul__(self, other: int | Decimal) -> Node:
        return Arith("×", lift(other), self)

    def __lt__(self, other: Node | int | Decimal) -> Node:
        return Compare("<", self, lift(other))

    def __le__(self, other: Node | int | Decimal) -> Node:
        return Compare("≤", self, lift(other))

    def __gt__(self, other: Node | int | Decimal) -> Node:
        return Compare(">", self, lift(other))

    def __ge__(self, other: Node | int | Decimal) -> Node:
        return Compare("≥", self, lift(other))

    def eq(self, other: Node | int | Decimal | str | bool) -> Node:
        return Compare("=", self, lift(other))

    def ne(self, other: Node | int | Decimal | str | bool) -> Node:
        return Compare("≠", self, lift(other))

    def isin(self, values: Sequence[str | int]) -> Node:
        return IsIn(self, tuple(values))

    def __and__(self, other: Node) -> Node:
        return And((self, other))

    def __or__(self, other: Node) -> Node:
        return Or((self, other))

    def __invert__(self) -> Node:
        return Not(self)

    __hash__ = object.__hash__


def lift(value: Node | int | Decimal | str | bool) -> Node:
    """Constants in formulas become ``Lit`` nodes."""
    if isinstance(value, Node):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Lit(Decimal(value))
    return Lit(value)


def _level(*nodes: Node) -> str:
    levels = {n.level for n in nodes}
    if MEMBER in levels and OBLIGOR in levels:
        raise ValueError("member and obligor values cannot be combined")
    return MEMBER if MEMBER in levels else OBLIGOR if OBLIGOR in levels else HOUSEHOLD


@dataclass(eq=False)
class Lit(Node):
    value: Any
    text: str = ""

    def ev(self, ctx: Context, index: int) -> Result:
        return self.value, EMPTY, (self.text or show(self.value)) if ctx.trace else ""


@dataclass(eq=False)
class Param(Node):
    """A parameter's value (already converted to the unit the rule needs), with its provenance."""

    name: str
    label: str
    value: Any  # None when no pack sets it
    parameter: ResolvedParameter | None
    unit_text: str = ""
    conversion: str = ""  # e.g. "8978元/人·年 ÷ 12"

    def ev(self, ctx: Context, index: int) -> Result:
        if self.parameter is not None:
            ctx.used_parameters[self.name] = self.parameter
        if self.value is None:
            return (
                None,
                frozenset({f"参数“{self.label}”（{self.name}，本地区参数包未设置）"}),
                (f"{self.label} 未设置" if ctx.trace else ""),
            )
        if not ctx.trace:
            return self.value, EMPTY, ""
        text = f"{self.label} {show(self.value)}{self.unit_text}"
        if self.conversion:
            text += f"（{self.conversion}）"
        return self.value, EMPTY, text


@dataclass(eq=False)
class Input(Node):
    """A declared fact of the household, a member or an obligor (``None`` = unknown)."""

    entity: str
    field: str
    label: str

    def __post_init__(self) -> None:
        self.level = self.entity

    def ev(self, ctx: Context, index: int) -> Result:
        value = ctx.input(self.entity, self.field, index)
        if value is None:
            who = ctx.who(self.entity, index)
            return None, frozenset({f"{who}的{self.label}"}), f"{who}的{self.label} 未知" if ctx.trace else ""
        if not ctx.trace:
            return value, EMPTY, ""
        who = ctx.who(self.entity, index)
        return value, EMPTY, f"{who}的{self.label} {show(value)}"


def age_cutoff(as_of: dt.date, years: int) -> dt.date:
    """The latest birth date of someone aged at least ``years`` on ``as_of`` (29 Feb → 28 Feb)."""
    try:
        return as_of.replace(year=as_of.year - years)
    except ValueError:
        return as_of.replace(year=as_of.year - years, day=28)


@dataclass(eq=False)
class AgeAtLeast(Node):
    """年满 N 周岁 on the as-of date; computed from the birth date against a date literal."""

    entity: str
    years: Node  # a Param or Lit holding a whole number

    def __post_init__(self) -> None:
        self.level = self.entity

    def ev(self, ctx: Context, index: int) -> Result:
        years, missing, _ = self.years.ev(ctx, index)
        birth = ctx.input(self.entity, "birth_date", index)
        who = ctx.who(self.entity, index)
        if years is None or birth is None:
            missing = missing | ({f"{who}的出生日期"} if birth is None else set())
            return None, frozenset(missing), f"{who}的年龄 未知" if ctx.trace else ""
        value = birth <= age_cutoff(ctx.as_of, int(years))
        if not ctx.trace:
            return value, EMPTY, ""
        age = ctx.as_of.year - birth.year - ((ctx.as_of.month, ctx.as_of.day) < (birth.month, birth.day))
        return value, EMPTY, f"{who}{age}周岁{'≥' if value else '<'}{int(years)}周岁"


def _month_start(index: int) -> dt.date:
    """The first day of month ``index`` (year × 12 + month − 1), clamped to the calendar's range."""
    year, month = divmod(index, 12)
    return dt.date(min(max(year, dt.MINYEAR), dt.MAXYEAR), month + 1, 1)


def month_window_start(as_of: dt.date, months: int) -> dt.date:
    """The earliest start date of a period of ``months`` calendar months that still covers ``as_of``.

    The period counts whole months, the month it starts in being the first (a 6-month 渐退期 begun on
    any day of March runs to the end of August): it covers ``as_of`` when it started on or after the
    first day of the month ``months − 1`` months before the as-of month. ``months`` 0: the first day
    of the next month (no start on or before ``as_of`` qualifies)."""
    return _month_start(as_of.year * 12 + as_of.month - 1 - (months - 1))


def month_window_last_day(start: dt.date, months: int) -> dt.date | None:
    """The last day of a period of ``months`` calendar months begun on ``start`` (None: no period)."""
    if months < 1:
        return None
    return _month_start(start.year * 12 + start.month - 1 + months) - dt.timedelta(days=1)


@dataclass(eq=False)
class WithinMonths(Node):
    """The date ``field`` of ``entity`` lies in a period of ``months`` whole calendar months that is still
    running on the as-of date: ``month_window_start(as_of, months) ≤ date ≤ as_of``.

    Like ``AgeAtLeast``, the month arithmetic is done in Python on the as-of date, never on the data:
    the compiled plan compares the date column with two date literals."""

    entity: str
    field: str
    label: str
    months: Node  # a Param or Lit holding a whole number

    def __post_init__(self) -> None:
        self.level = self.entity

    def ev(self, ctx: Context, index: int) -> Result:
        months, missing, months_text = self.months.ev(ctx, index)
        date = ctx.input(self.entity, self.field, index)
        who = ctx.who(self.entity, index)
        if months is None or date is None:
            missing = missing | ({f"{who}的{self.label}"} if date is None else set())
            return None, frozenset(missing), f"{who}的{self.label} 未知" if ctx.trace else ""
        earliest = month_window_start(ctx.as_of, int(months))
        value = earliest <= date <= ctx.as_of
        if not ctx.trace:
            return value, EMPTY, ""
        inside = "在" if value else "不在"
        return (
            value,
            EMPTY,
            f"{who}的{self.label} {date.isoformat()} {inside} {earliest.isoformat()} 至 {ctx.as_of.isoformat()} 之间"
            f"（{months_text}，按整月计，开始之月为第一个月）",
        )


@dataclass(eq=False)
class Ref(Node):
    """The value of a named step computed earlier."""

    step: Step

    def __post_init__(self) -> None:
        self.level = self.step.level

    def ev(self, ctx: Context, index: int) -> Result:
        value, missing = ctx.step_value(self.step, index)
        if not ctx.trace:
            return value, missing, ""
        return value, missing, f"{self.step.label} {show(value)}"


@dataclass(eq=False)
class Arith(Node):
    op: str  # + - ×
    a: Node
    b: Node

    def __post_init__(self) -> None:
        self.level = _level(self.a, self.b)

    def children(self) -> Sequence[Node]:
        return (self.a, self.b)

    def ev(self, ctx: Context, index: int) -> Result:
        a, ma, ta = self.a.ev(ctx, index)
        b, mb, tb = self.b.ev(ctx, index)
        text = f"{_wrap(self.a, ta)} {self.op} {_wrap(self.b, tb)}" if ctx.trace else ""
        if a is None or b is None:
            return None, ma | mb, text
        value = a + b if self.op == "+" else a - b if self.op == "-" else a * b
        return value, EMPTY, text


def _wrap(node: Node, text: str) -> str:
    return f"（{text}）" if isinstance(node, (Arith, If)) else text


@dataclass(eq=False)
class Compare(Node):
    op: str  # < ≤ > ≥ = ≠
    a: Node
    b: Node

    def __post_init__(self) -> None:
        self.level = _level(self.a, self.b)

    def children(self) -> Sequence[Node]:
        return (self.a, self.b)

    def ev(self, ctx: Context, index: int) -> Result:
        a, ma, ta = self.a.ev(ctx, index)
        b, mb, tb = self.b.ev(ctx, index)
        text = f"{_wrap(self.a, ta)} {self.op} {_wrap(self.b, tb)}" if ctx.trace else ""
        if a is None or b is None:
            return None, ma | mb, text
        value = COMPARE[self.op](a, b)
        return value, EMPTY, text


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "≤": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "≥": lambda a, b: a >= b,
    "=": lambda a, b: a == b,
    "≠": lambda a, b: a != b,
}


@dataclass(eq=False)
class IsIn(Node):
    a: Node
    values: tuple[str | int, ...]

    def __post_init__(self) -> None:
        self.level = self.a.level

    def children(self) -> Sequence[Node]:
        return (self.a,)

    def ev(self, ctx: Context, index: int) -> Result:
        a, missing, text = self.a.ev(ctx, index)
        if a is None:
            return None, missing, text
        return a in self.values, EMPTY, text


def _kleene(items: tuple[Node, ...], ctx: Context, index: int, absorbing: bool, joiner: str) -> Result:
    """and (absorbing False) / or (absorbing True): the absorbing value wins, else unknown if any is unknown."""
    unknown: set[str] = set()
    texts = []
    result: bool | None = not absorbing
    for item in items:
        value, missing, text = item.ev(ctx, index)
        texts.append(text)
        if value is absorbing:
            return absorbing, EMPTY, joiner.join(texts) if ctx.trace else ""
        if value is None:
            result = None
            unknown |= missing
    return result, frozenset(unknown) if result is None else EMPTY, joiner.join(texts) if ctx.trace else ""


@dataclass(eq=False)
class And(Node):
    items: tuple[Node, ...]

    def __post_init__(self) -> None:
        self.level = _level(*self.items)

    def children(self) -> Sequence[Node]:
        return self.items

    def ev(self, ctx: Context, index: int) -> Result:
        return _kleene(self.items, ctx, index, False, " 且 ")


@dataclass(eq=False)
class Or(Node):
    items: tuple[Node, ...]

    def __post_init__(self) -> None:
        self.level = _level(*self.items)

    def children(self) -> Sequence[Node]:
        return self.items

    def ev(self, ctx: Context, index: int) -> Result:
        return _kleene(self.items, ctx, index, True, " 或 ")


@dataclass(eq=False)
class Not(Node):
    a: Node

    def __post_init__(self) -> None:
        self.level = self.a.level

    def children(self) -> Sequence[Node]:
        return (self.a,)

    def ev(self, ctx: Context, index: int) -> Result:
        value, missing, text = self.a.ev(ctx, index)
        return (None if value is None else not value), missing, f"非（{text}）" if ctx.trace else ""


@dataclass(eq=False)
class If(Node):
    """``then`` when ``cond`` is true, ``other`` when false, unknown when ``cond`` is unknown."""

    cond: Node
    then: Node
    other: Node

    def __post_init__(self) -> None:
        self.level = _level(self.cond, self.then, self.other)

    def children(self) -> Sequence[Node]:
        return (self.cond, self.then, self.other)

    def ev(self, ctx: Context, index: int) -> Result:
        cond, missing, ctext = self.cond.ev(ctx, index)
        if cond is None:
            return None, missing, f"（{ctext}）未知" if ctx.trace else ""
        value, missing, text = (self.then if cond else self.other).ev(ctx, index)
        return value, missing, text


@dataclass(eq=False)
class Extreme(Node):
    """max(a, b) or min(a, b)."""

    op: str  # max | min
    a: Node
    b: Node

    def __post_init__(self) -> None:
        self.level = _level(self.a, self.b)

    def children(self) -> Sequence[Node]:
        return (self.a, self.b)

    def ev(self, ctx: Context, index: int) -> Result:
        a, ma, ta = self.a.ev(ctx, index)
        b, mb, tb = self.b.ev(ctx, index)
        text = f"{self.op}（{ta}，{tb}）" if ctx.trace else ""
        if a is None or b is None:
            return None, ma | mb, text
        return (max(a, b) if self.op == "max" else min(a, b)), EMPTY, text


def maximum(a: Node | int | Decimal, b: Node | int | Decimal) -> Node:
    return Extreme("max", lift(a), lift(b))


def minimum(a: Node | int | Decimal, b: Node | int | Decimal) -> Node:
    return Extreme("min", lift(a), lift(b))


@dataclass(eq=False)
class Coalesce(Node):
    """``a`` when known, else ``default`` (used where the policy says what unknown means)."""

    a: Node
    default: Node

    def __post_init__(self) -> None:
        self.level = _level(self.a, self.default)

    def children(self) -> Sequence[Node]:
        return (self.a, self.default)

    def ev(self, ctx: Context, index: int) -> Result:
        value, missing, text = self.a.ev(ctx, index)
        if value is None:
            return self.default.ev(ctx, index)
        return value, missing, text


@dataclass(eq=False)
class Aggregate(Node):
    """A household value over its members or obligors: sum / count / any / all, unknown if any item is."""

    kind: str  # sum | any | all
    entity: str  # member | obligor
    item: Node
    label: str = ""

    level = HOUSEHOLD

    def children(self) -> Sequence[Node]:
        return (self.item,)

    def ev(self, ctx: Context, index: int) -> Result:
        count = ctx.count(self.entity)
        if count is None:
            return None, frozenset({ctx.list_missing(self.entity)}), f"{self.label} 未知" if ctx.trace else ""
        values = [self.item.ev(ctx, i) for i in range(count)]
        unknown = frozenset().union(*(m for v, m, _ in values if v is None)) if values else EMPTY
        if self.kind == "sum":
            if any(v is None for v, _, _ in values):
                return None, unknown, f"{self.label} 未知" if ctx.trace else ""
            total = sum((v for v, _, _ in values), Decimal(0))
            return total, EMPTY, f"{self.label} {show(total)}" if ctx.trace else ""
        truth = [v for v, _, _ in values]
        if self.kind == "any":
            result = True if True in truth else (None if None in truth else False)
        else:
            result = False if False in truth else (None if None in truth else True)
        return result, unknown if result is None else EMPTY, f"{self.label} {show(result)}" if ctx.trace else ""


def member_sum(item: Node, label: str) -> Node:
    return Aggregate("sum", MEMBER, item, label)


def member_count(cond: Node, label: str) -> Node:
    return Aggregate("sum", MEMBER, If(cond, Lit(Decimal(1)), Lit(Decimal(0))), label)


def member_any(cond: Node, label: str) -> Node:
    return Aggregate("any", MEMBER, cond, label)


def obligor_all(cond: Node, label: str) -> Node:
    return Aggregate("all", OBLIGOR, cond, label)


@dataclass(eq=False)
class MoneySum(Node):
    """Annual total of declared incomes or expenses of the given types (a month counts 12 times).

    ``scope`` is the household (every income, members' and the household's) or the member.
    Unknown when the case declares no such list at all (case-format.md: ``[]`` means none).
    """

    source: str  # incomes | expenses
    types: tuple[str, ...]
    scope: str  # household | member
    label: str

    def __post_init__(self) -> None:
        self.level = self.scope

    def ev(self, ctx: Context, index: int) -> Result:
        items = ctx.money_items(self.source, self.scope, index)
        if items is None:
            what = "家庭收入" if self.source == "incomes" else "家庭刚性支出"
            return None, frozenset({what}), f"{self.label} 未知" if ctx.trace else ""
        total = Decimal(0)
        parts = []
        for item in items:
            if item.type not in self.types:
                continue
            annual = item.amount * 12 if item.period == "month" else item.amount
            total += annual
            if ctx.trace:
                parts.append(
                    f"{item.label}{show(item.amount)}元/月×12"
                    if item.period == "month"
                    else f"{item.label}{show(item.amount)}元"
                )
        if not ctx.trace:
            return total, EMPTY, ""
        return total, EMPTY, f"{self.label} {show(total)}" + (f"（{' + '.join(parts)}）" if parts else "")


@dataclass(eq=False)
class DivRound(Node):
    """``num ÷ den`` rounded as ``rounding`` says; ``den`` a whole number ≥ 1 (else unknown)."""

    num: Node
    den: Node
    rounding: Rounding

    def __post_init__(self) -> None:
        self.level = _level(self.num, self.den)

    def children(self) -> Sequence[Node]:
        return (self.num, self.den)

    def ev(self, ctx: Context, index: int) -> Result:
        num, mn, tn = self.num.ev(ctx, index)
        den, md, td = self.den.ev(ctx, index)
        text = f"{_wrap(self.num, tn)} ÷ {_wrap(self.den, td)}，{self.rounding.label}" if ctx.trace else ""
        if num is None or den is None:
            return None, mn | md, text
        if den < 1:
            return None, frozenset({"共同生活家庭成员（人数为0）"}), text
        return self.rounding.apply(Decimal(num) / Decimal(den)), EMPTY, text


def rounded(value: Node, rounding: Rounding) -> Node:
    return DivRound(value, Lit(Decimal(1), "1"), rounding)


@dataclass(eq=False)
class Step:
    """A named, labelled intermediate or result; its value appears in the trace."""

    name: str
    label: str
    expr: Node
    kind: str = "money"  # money | bool | number | text
    level: str = field(init=False)

    def __post_init__(self) -> None:
        self.level = self.expr.level

    def ref(self) -> Ref:
        return Ref(self)
