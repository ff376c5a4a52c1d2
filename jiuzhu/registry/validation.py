"""Checks on person and household data, shared by the web forms, the API and imports.

Each problem names the field by its Chinese label, so the caller can point at a form
field or at a spreadsheet cell.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from jiuzhu.core import id_numbers
from jiuzhu.registry.choices import Sex


@dataclass(frozen=True)
class FieldProblem:
    field: str  # model field name
    label: str  # Chinese column / field label
    message: str

    def __str__(self) -> str:
        return f"“{self.label}”{self.message}"


def check_person_identity(*, id_number: str, birth_date: dt.date | None, sex: str | None) -> list[FieldProblem]:
    """The ID number is valid and agrees with the birth date and sex given (when given)."""
    try:
        facts = id_numbers.parse(id_number)
    except id_numbers.IdNumberError as error:
        return [FieldProblem("id_number", "身份证号", str(error))]
    problems = []
    if birth_date is not None and birth_date != facts.birth_date:
        problems.append(
            FieldProblem(
                "birth_date",
                "出生日期",
                f"{birth_date:%Y-%m-%d}与身份证号中的出生日期{facts.birth_date:%Y-%m-%d}不一致",
            )
        )
    if sex and sex != facts.sex:
        problems.append(
            FieldProblem("sex", "性别", f"“{Sex(sex).label}”与身份证号第17位所示性别“{Sex(facts.sex).label}”不一致")
        )
    return problems


def check_disability(*, disability_type: str | None, disability_grade: int | None) -> list[FieldProblem]:
    """Type and grade come together; grades run 1–4."""
    if disability_grade is not None and not 1 <= disability_grade <= 4:
        return [FieldProblem("disability_grade", "残疾等级", "应为1–4级")]
    if bool(disability_type) != (disability_grade is not None):
        return [FieldProblem("disability_grade", "残疾等级", "残疾类别和残疾等级应同时填写或同时为空")]
    return []
