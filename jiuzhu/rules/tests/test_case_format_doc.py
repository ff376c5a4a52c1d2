"""docs/case-format.md keeps up with the engine: every catalogued parameter, programme id and value.

The generated tables are refreshed with ``python -m jiuzhu.rules.doc_catalog --write docs/case-format.md``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jiuzhu.rules import case
from jiuzhu.rules.doc_catalog import COMMAND, refresh
from jiuzhu.rules.params import default_library

DOC = Path(__file__).resolve().parents[3] / "docs" / "case-format.md"

pytestmark = pytest.mark.skipif(not DOC.exists(), reason="docs/ is not shipped with the package")


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def test_generated_sections_are_current() -> None:
    assert refresh(doc_text()) == doc_text(), f"docs/case-format.md is stale: run {COMMAND}"


def test_every_catalogued_parameter_is_listed() -> None:
    text = doc_text()
    missing = [name for name in default_library().catalog if f"`{name}`" not in text]
    assert not missing, f"docs/case-format.md does not list {missing}: run {COMMAND}"


@pytest.mark.parametrize(
    "values",
    [
        case.PROGRAMMES,
        case.SEX,
        case.RELATIONS,
        case.AREAS,
        case.CAPACITY,
        case.CARE_SETTINGS,
        case.DISABILITY_TYPES,
        case.STUDENT,
        case.INCOME_TYPES,
        case.EXPENSE_TYPES,
        case.EXPENSE_PERIODS,
        case.EMERGENCY_KINDS,
        case.OBLIGOR_STATUS,
        case.VEHICLE_TYPES,
        case.VEHICLE_PURPOSES,
        case.PHASE_OUT_REASONS,
        case.MEMBER_KEYS,
    ],
)
def test_every_accepted_value_and_key_is_documented(values: tuple[str, ...]) -> None:
    text = doc_text()
    missing = [value for value in values if f"`{value}`" not in text]
    assert not missing, f"docs/case-format.md does not mention {missing}"
