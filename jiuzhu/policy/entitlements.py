"""A registry household's current entitlement: the household as the rules engine reads it, evaluated
with its full trace (the household page and its one-page PDF)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from jiuzhu.policy.batch_runs import registry_tables
from jiuzhu.policy.services import policy_library
from jiuzhu.policy.whatif import PROGRAMME_LABELS
from jiuzhu.registry.models import Household
from jiuzhu.rules.evaluate import evaluate_case
from jiuzhu.rules.recheck import case_from_rows


@dataclass
class Entitlement:
    household: Household
    as_of: dt.date
    output: dict[str, Any]
    rows: list[dict[str, Any]]  # one per programme: label, eligible, amount, reasons, missing
    member_names: dict[str, str]

    @property
    def parameters(self) -> list[dict[str, Any]]:
        """Every parameter the trace used, once, in the order first used."""
        seen: dict[str, dict[str, Any]] = {}
        for row in self.output.get("trace", []):
            for parameter in row["parameters"]:
                seen.setdefault(parameter["name"], parameter)
        return list(seen.values())

    @property
    def total_month(self) -> str:
        from decimal import Decimal

        total = sum((Decimal(r["amount_month"]) for r in self.rows if r["eligible"]), Decimal(0))
        return f"{total:.2f}"


def household_entitlement(*, household: Household, as_of: dt.date) -> Entitlement:
    """Evaluate the household as of ``as_of`` (the caller has checked the user may see it)."""
    tables = registry_tables(region_code=household.region_id, as_of=as_of)
    rows = [r for r in tables["households"].to_pylist() if r["household_id"] == household.id]
    members = [m for m in tables["members"].to_pylist() if m["household_id"] == household.id]
    names: dict[str, str] = {}
    if rows:
        people = list(household.memberships.active_on(as_of).select_related("person"))
        by_person = {m.person_id: m.person.name for m in people}
        ordered = sorted(people, key=lambda m: (m.relation != "head", m.id))
        for member, membership in zip(members, ordered, strict=False):
            member["name"] = by_person.get(membership.person_id, "")
        names = {f"m{i + 1}": m.person.name for i, m in enumerate(ordered)}
        case = case_from_rows(rows[0], members, [], as_of=as_of)
        output = evaluate_case(case, library=policy_library(), trace=True).output
    else:
        output = {"results": {}, "trace": [], "notes": ["该家庭在此日期没有在册记录"]}
    results = []
    for programme, result in output["results"].items():
        results.append(
            {
                "programme": programme,
                "label": PROGRAMME_LABELS.get(programme, programme),
                "eligible": result["eligible"],
                "amount_month": result["amount_month"],
                "reasons": result["reasons"],
                "missing": result["missing"],
                "members": [
                    names.get(m, m) for m in result.get("enrolled_members", result.get("eligible_members", []))
                ],
                "details": {k: v for k, v in result.items() if k.endswith("_month") and k != "amount_month" and v},
            }
        )
    return Entitlement(household=household, as_of=as_of, output=output, rows=results, member_names=names)
