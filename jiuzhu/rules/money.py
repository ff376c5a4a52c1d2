"""Rounding: the one place money is rounded, identically per case and in batch.

A rounding is a unit (0.01 元 for 分, 1 元, 10 元) and a mode. Both executions compute
``floor(x / unit + 0.5)`` (half up) or ``ceil(x / unit)`` (up) on non-negative amounts, the
batch engines through integer arithmetic only (DESIGN.md §2: no decimal division in SQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

HALF = Decimal("0.5")


@dataclass(frozen=True)
class Rounding:
    unit: Decimal  # 0.01, 1, 10
    mode: str  # "half_up" | "up"
    label: str

    @property
    def scale(self) -> Decimal:
        """1 / unit as an exact literal (100 for 分, 0.1 for 10 元)."""
        return Decimal(1) / self.unit

    def apply(self, amount: Decimal) -> Decimal:
        """Round a non-negative amount to ``unit``."""
        scaled = amount * self.scale
        if self.mode == "half_up":
            units = (scaled + HALF).to_integral_value(rounding=ROUND_FLOOR)
        else:
            units = scaled.to_integral_value(rounding=ROUND_CEILING)
        return (units * self.unit).quantize(Decimal("0.01"))


FEN_HALF_UP = Rounding(Decimal("0.01"), "half_up", "按分四舍五入")
YUAN_HALF_UP = Rounding(Decimal("1"), "half_up", "按元四舍五入")
YUAN_UP = Rounding(Decimal("1"), "up", "按元向上取整")
TEN_UP = Rounding(Decimal("10"), "up", "按十元向上取整")
# "none" publishes the computed figure as it is, kept to 分 like every amount.
NO_ROUNDING = Rounding(Decimal("0.01"), "half_up", "不另取整（保留到分）")

# Rule values of the parameters money.rounding and tekun.basic_standard.rounding (case-format.md).
ROUNDINGS = {
    "fen_half_up": FEN_HALF_UP,
    "yuan_half_up": YUAN_HALF_UP,
    "yuan_up": YUAN_UP,
    "ten_up": TEN_UP,
    "none": NO_ROUNDING,
}
TWO_PLACES = Decimal("0.01")


def money_text(amount: Decimal) -> str:
    """An amount as the contract writes it: a string with exactly two decimals."""
    return str(amount.quantize(TWO_PLACES, rounding=ROUND_HALF_UP))
