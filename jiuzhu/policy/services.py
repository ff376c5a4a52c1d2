"""One case, computed: what ``jiuzhu policy compute`` and ``POST /api/v1/policy/compute`` both call.

Plain Python over the rules engine: Django is touched only when it is set up (for the database's
parameter records), so the command line computes a case without a database.
``policy_library`` is the one place the parameter library is obtained.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from jiuzhu.rules.case import case_from_json
from jiuzhu.rules.errors import CaseError, ParameterError
from jiuzhu.rules.evaluate import Evaluation, evaluate_case
from jiuzhu.rules.params import Library, default_library

# A case the caller got wrong (exit 2 / HTTP 422). Any other ``RulesError`` (a broken pack) is ours.
INVALID_CASE = (CaseError, ParameterError)


def policy_library() -> Library:
    """The packs a computation runs on: the YAML shipped with the package, with the parameter records
    administrators entered in the database layered over it when Django is set up with a database
    (the CLI sets it up when ``JIUZHU_DATABASE_URL`` is given). The single call site for the CLI, the
    API, batch runs and the pages."""
    from django.apps import apps

    base = default_library()
    if not apps.ready:
        return base
    from jiuzhu.policy.parameter_records import layered_library

    return layered_library(base)


def compute_case_text(
    text: str, *, as_of: dt.date | None = None, programmes: Sequence[str] | None = None
) -> Evaluation:
    """Parse case-file text (numbers as ``Decimal``) and evaluate it; ``as_of``/``programmes`` override the file's.

    Raises ``CaseError`` or ``ParameterError`` (Chinese ``message`` naming the key) for an invalid case.
    """
    case = case_from_json(text, as_of=as_of, programmes=programmes)
    return evaluate_case(case, library=policy_library())
