"""``policy_run``: the registry snapshot, the set-based evaluation, the sample re-check and the stored run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from jiuzhu.accounts.services import system_user
from jiuzhu.audit.models import AuditEvent
from jiuzhu.core.errors import DomainError
from jiuzhu.core.testing import factories
from jiuzhu.policy.batch_runs import policy_run, registry_tables
from jiuzhu.policy.models import BatchResult, BatchRun
from jiuzhu.registry.models import CategoryEnrollment, Household, Income
from jiuzhu.rules.params import default_library, resolve
from jiuzhu.rules.recheck import RecheckMismatch, recheck

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 6, 30)
COUNTY = "140702"


def _poor_household(wage_month: str, *, members: int = 2) -> Household:
    household = factories.make_household(members=members, urban_rural="urban", labour_capacity="full", health="healthy")
    household.financial_assets = Decimal("1000.00")
    household.house_count = 1
    household.vehicle_count = 0
    household.save()
    head = household.memberships.get(relation="head").person
    Income.objects.create(
        household=household,
        person=head,
        type="wage",
        amount=Decimal(wage_month),
        period="month",
        valid_from=dt.date(2024, 1, 1),
    )
    return household


def _standard_annual() -> Decimal:
    parameters = resolve(default_library(), COUNTY, AS_OF)
    standard = parameters.get("dibao.standard.urban")
    assert standard is not None, "the 晋中 pack pays 低保 on every date since 2024-01-01"
    value = Decimal(str(standard.value))
    return value * 12 if standard.unit == "元/人·月" else value


def test_snapshot_reads_members_and_incomes_in_force() -> None:
    household = _poor_household("300.00")
    Income.objects.create(  # ended before the date: not counted
        household=household,
        type="business",
        amount=Decimal("5000"),
        period="year",
        valid_from=dt.date(2020, 1, 1),
        valid_to=dt.date(2023, 12, 31),
    )
    tables = registry_tables(region_code=COUNTY, as_of=AS_OF)
    row = tables["households"].to_pylist()[0]
    assert row["household_id"] == household.id
    assert row["region"] == COUNTY
    assert row["deposits"] == Decimal("1000.00")
    assert row["income_business"] is None
    members = tables["members"].to_pylist()
    assert [m["relation"] for m in members] == ["head", "spouse"]
    assert members[0]["income_wage"] == Decimal("3600.00")
    assert members[0]["disability_type"] == "none"


def test_snapshot_carries_the_dibao_enrollment_but_no_phase_out() -> None:
    """低保 enrollments give the start date and, when recorded, the amount; a 建档立卡 flag marks the
    household; the registry holds no 渐退, so the phase-out columns stay null (computed as today)."""
    enrolled = _poor_household("300.00")
    CategoryEnrollment.objects.create(
        household=enrolled, category="dibao", valid_from=dt.date(2024, 3, 1), amount_month=Decimal("850.00")
    )
    CategoryEnrollment.objects.create(household=enrolled, category="registered_poor", valid_from=dt.date(2016, 1, 1))
    unpriced = _poor_household("300.00")
    CategoryEnrollment.objects.create(household=unpriced, category="dibao", valid_from=dt.date(2025, 1, 1))
    ended = _poor_household("300.00")  # left 低保 before the date: not enrolled
    CategoryEnrollment.objects.create(
        household=ended, category="dibao", valid_from=dt.date(2023, 1, 1), valid_to=dt.date(2024, 12, 31)
    )
    rows = {r["household_id"]: r for r in registry_tables(region_code=COUNTY, as_of=AS_OF)["households"].to_pylist()}
    assert rows[enrolled.id]["dibao_since"] == dt.date(2024, 3, 1)
    assert rows[enrolled.id]["dibao_amount_month"] == Decimal("850.00")
    assert rows[enrolled.id]["dibao_registered_poor"] is True
    assert rows[unpriced.id]["dibao_amount_month"] is None
    assert rows[unpriced.id]["dibao_registered_poor"] is False
    assert rows[ended.id]["dibao_since"] is None
    assert all(r["dibao_phase_out_reason"] is None and r["dibao_phase_out_start"] is None for r in rows.values())
    # The re-check rebuilds each enrollment into its case and agrees with the batch.
    assert policy_run(region_code=COUNTY, as_of=AS_OF, actor=system_user()).run.rechecked == 3


def test_run_pays_the_gap_stores_the_run_and_rerunning_replaces_it(tmp_path: Path) -> None:
    household = _poor_household("300.00")
    outcome = policy_run(region_code=COUNTY, as_of=AS_OF, actor=system_user(), out=tmp_path / "a.parquet")
    results = {r["programme"]: r for r in outcome.results.to_pylist() if r["household_id"] == household.id}
    expected_gap = ((_standard_annual() * 2 - Decimal("3600")) / 12).quantize(Decimal("0.01"))
    assert results["dibao"]["eligible"] is True
    assert results["dibao"]["gap_month"] == expected_gap
    run = BatchRun.objects.get()
    assert run.households == 1
    assert run.rechecked == 1
    assert run.counts["dibao"]["true"] == 1
    assert Decimal(run.totals["dibao"]) == results["dibao"]["amount_month"]
    assert run.input_hash.startswith("sha256:")
    assert run.parameters_fingerprint.startswith("sha256:")
    assert "SELECT" in run.generated_sql.upper()
    stored = BatchResult.objects.filter(run=run).count()
    assert stored == outcome.results.num_rows

    again = policy_run(region_code=COUNTY, as_of=AS_OF, actor=system_user(), out=tmp_path / "b.parquet")
    assert BatchRun.objects.count() == 1
    assert BatchResult.objects.count() == stored
    assert again.run.input_hash == run.input_hash
    first, second = pq.read_table(tmp_path / "a.parquet"), pq.read_table(tmp_path / "b.parquet")
    assert first.equals(second)
    assert set(first.column_names) >= {"household_id", "programme", "eligible", "amount_month"}
    assert not {"run_id", "engine", "started_at"} & set(first.column_names)
    assert AuditEvent.objects.filter(tag="policy:batch_run").count() == 2


def test_a_region_without_households_is_refused_in_chinese() -> None:
    with pytest.raises(DomainError, match="没有在册家庭"):
        policy_run(region_code="140703", as_of=AS_OF, actor=system_user())
    assert not BatchRun.objects.exists()


def test_recheck_fails_loudly_on_any_difference() -> None:
    household = _poor_household("300.00")
    tables = registry_tables(region_code=COUNTY, as_of=AS_OF)
    outcome = policy_run(region_code=COUNTY, as_of=AS_OF, actor=system_user())
    rows = outcome.results.to_pylist()
    for row in rows:
        if row["programme"] == "dibao":
            row["amount_month"] += Decimal("0.01")
    with pytest.raises(RecheckMismatch, match=str(household.id)):
        recheck(
            households=tables["households"].to_pylist(),
            members=tables["members"].to_pylist(),
            obligors=[],
            results=rows,
            as_of=AS_OF,
            library=default_library(),
        )
