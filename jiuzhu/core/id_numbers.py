"""居民身份证号 (GB 11643): validation and masking.

python-stdnum gives the check character and the birth date. Its birth-place table is
dated, and real numbers carry codes created after the holder's birth (DESIGN.md §5b), so
an unknown place code is a warning, never an error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

MASK_KEEP_HEAD = 4
MASK_KEEP_TAIL = 4


class IdNumberError(ValueError):
    """A Chinese sentence saying what is wrong with an ID number."""


@dataclass(frozen=True)
class IdNumberFacts:
    id_number: str
    birth_date: dt.date
    sex: str  # "male" / "female"


def normalize(raw: str) -> str:
    """Strip spaces, upper-case the check character; 15-digit legacy numbers are not converted here."""
    return raw.strip().replace(" ", "").upper()


def parse(raw: str) -> IdNumberFacts:
    """Validate an 18-character number and return its birth date and sex, or raise ``IdNumberError``."""
    number = normalize(raw)
    if len(number) != 18:
        raise IdNumberError(f"应为18位，实际为{len(number)}位")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberError("前17位应为数字，第18位应为数字或X")
    try:
        birth = ric.get_birth_date(number)
    except (InvalidComponent, InvalidFormat, ValidationError):
        raise IdNumberError("第7–14位出生日期无效") from None
    if birth > dt.date.today():
        raise IdNumberError("出生日期晚于今天")
    if birth.year < 1890:
        raise IdNumberError("出生日期早于1890年")
    expected = ric.calc_check_digit(number)
    if number[17] != expected:
        raise IdNumberError(f"校验位错误：第18位应为“{expected}”，实为“{number[17]}”")
    try:
        ric.validate(number)
    except InvalidChecksum:  # pragma: no cover - covered by the explicit check above
        raise IdNumberError("校验位错误") from None
    except (InvalidComponent, InvalidLength, InvalidFormat, ValidationError):
        pass  # birth-place code unknown to stdnum's dated table: a warning at most (§5b)
    sex = "male" if int(number[16]) % 2 == 1 else "female"
    return IdNumberFacts(id_number=number, birth_date=birth, sex=sex)


def mask(number: str) -> str:
    """``140702196005011235`` → ``1407**********1235``; anything short is fully starred."""
    if len(number) <= MASK_KEEP_HEAD + MASK_KEEP_TAIL:
        return "*" * len(number)
    return number[:MASK_KEEP_HEAD] + "*" * (len(number) - MASK_KEEP_HEAD - MASK_KEEP_TAIL) + number[-MASK_KEEP_TAIL:]


def with_check_character(first17: str) -> str:
    """Append the GB 11643 check character to 17 digits (used by the demo generator)."""
    return first17 + ric.calc_check_digit(first17 + "0")  # stdnum ignores the last character
