"""Template filters of the registry pages: masked ID numbers, ages, money, unknown values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import template

from jiuzhu.core import id_numbers
from jiuzhu.registry.selectors import short_region_name

register = template.Library()

UNREGISTERED = "未登记"


@register.filter
def masked_id(value: str | None) -> str:
    """``140702196005011235`` → ``1407**********1235``: the only way an ID number reaches a page unasked."""
    return id_numbers.mask(value) if value else ""


@register.filter
def short_region(name: str) -> str:
    """羊毫街社区居民委员会 → 羊毫街社区 (``selectors.short_region_name``)."""
    return short_region_name(name or "")


@register.filter
def age_on(person: Any, on: dt.date) -> int | str:
    """Completed years on ``on`` (``person.age_on``); empty when the birth date is unknown."""
    if person is None or getattr(person, "birth_date", None) is None:
        return ""
    return int(person.age_on(on))


@register.filter
def yuan(value: Decimal | int | None) -> str:
    """``Decimal("1234.5")`` → ``1,234.50元``; unknown stays unknown (never 0)."""
    if value is None:
        return UNREGISTERED
    return f"{Decimal(value):,.2f}元"


@register.filter
def or_unregistered(value: Any, unit: str = "") -> str:
    """``None``/empty → 未登记; otherwise the value with its unit (``{{ h.house_count|or_unregistered:"套" }}``)."""
    if value is None or value == "":
        return UNREGISTERED
    return f"{value}{unit}"
