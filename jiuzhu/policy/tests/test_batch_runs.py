"""``policy_run``: the registry snapshot, the set-based evaluation, the sample re-check and the stored run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.test import Client

from jiuzhu.accounts.models import Role
from jiuzhu.accounts.services import system_user
from jiuzhu.audit.models import AuditEvent
from jiuzhu.core.errors import DomainError
from jiuzhu.core.testing import factories
from jiuzhu.policy.batch_runs import policy_run, registry_tables
from jiuzhu.policy.entitlements import household_entitlement
from jiuzhu.policy.models import BatchResult, BatchRun
from jiuzhu.registry import services
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


def test_snapshot_carries_the_dibao_enrollment_and_its_phase_out() -> None:
    """低保 enrollments give the start date and, when recorded, the amount; a 建档立卡 flag marks the
    household; a 渐退 recorded on the enrollment gives its reason and start once it has begun."""
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
    phasing_out = _poor_household("300.00")
    CategoryEnrollment.objects.create(
        household=phasing_out,
        category="dibao",
        valid_from=dt.date(2023, 4, 1),
        amount_month=Decimal("620.00"),
        phase_out_reason="employment",
        phase_out_start=dt.date(2025, 3, 10),
    )
    not_yet = _poor_household("300.00")  # 渐退 recorded to begin after the date: not under way on it
    CategoryEnrollment.objects.create(
        household=not_yet,
        category="dibao",
        valid_from=dt.date(2023, 4, 1),
        phase_out_reason="voluntary",
        phase_out_start=dt.date(2025, 7, 1),
    )
    rows = {r["household_id"]: r for r in registry_tables(region_code=COUNTY, as_of=AS_OF)["households"].to_pylist()}
    assert rows[enrolled.id]["dibao_since"] == dt.date(2024, 3, 1)
    assert rows[enrolled.id]["dibao_amount_month"] == Decimal("850.00")
    assert rows[enrolled.id]["dibao_registered_poor"] is True
    assert rows[unpriced.id]["dibao_amount_month"] is None
    assert rows[unpriced.id]["dibao_registered_poor"] is False
    assert rows[ended.id]["dibao_since"] is None
    assert rows[phasing_out.id]["dibao_phase_out_reason"] == "employment"
    assert rows[phasing_out.id]["dibao_phase_out_start"] == dt.date(2025, 3, 10)
    assert rows[not_yet.id]["dibao_since"] == dt.date(2023, 4, 1)
    others = [r for hid, r in rows.items() if hid != phasing_out.id]
    assert all(r["dibao_phase_out_reason"] is None and r["dibao_phase_out_start"] is None for r in others)
    # The re-check rebuilds each enrollment into its case and agrees with the batch.
    assert policy_run(region_code=COUNTY, as_of=AS_OF, actor=system_user()).run.rechecked == 5


def _phasing_out_household() -> Household:
    """郝建国's household of the 晋中 worked example (rules/examples/140700.yaml, 渐退 cases): rural, two members,
    the head's wage 1500 a month (18000 a year ≥ 6540 × 2, so over the 低保 standard), 2000 in deposits, one
    house; in 低保 since 2023-04-01 at 620.00 a month."""
    household = factories.make_household(members=2, urban_rural="rural", labour_capacity="full", health="healthy")
    household.financial_assets = Decimal("2000.00")
    household.house_count = 1
    household.vehicle_count = 0
    household.save()
    Income.objects.create(
        household=household,
        person=household.memberships.get(relation="head").person,
        type="wage",
        amount=Decimal("1500"),
        period="month",
        valid_from=dt.date(2024, 1, 1),
    )
    officer = factories.make_user(Role.TOWNSHIP_OFFICER)
    services.enrollment_start(
        actor=officer,
        household=household,
        category="dibao",
        valid_from=dt.date(2023, 4, 1),
        amount_month=Decimal("620"),
    )
    return household


def test_a_household_in_phase_out_keeps_its_previous_amount_in_the_run_and_on_its_page(client: Client) -> None:
    """Recorded through the registry service, a 渐退 reaches the batch run and the household's entitlement: the
    national (and 晋中) 6 months from 2022-10-01, begun in March 2025, still run on 2025-06-30."""
    household = _phasing_out_household()
    officer = factories.make_user(Role.TOWNSHIP_OFFICER)
    enrollment = CategoryEnrollment.objects.get(household=household, category="dibao")

    def dibao_result() -> dict[str, object]:
        results = policy_run(region_code=COUNTY, as_of=AS_OF, actor=system_user()).results.to_pylist()
        return next(r for r in results if r["household_id"] == household.id and r["programme"] == "dibao")

    # without a 渐退 the income is over the standard: not eligible
    assert dibao_result()["eligible"] is False

    services.enrollment_phase_out_start(
        actor=officer, enrollment=enrollment, reason="employment", start=dt.date(2025, 3, 10)
    )
    in_phase_out = dibao_result()
    assert in_phase_out["eligible"] is True
    assert in_phase_out["amount_month"] == Decimal("620.00")  # the previous 低保金, not the (zero) gap
    assert BatchRun.objects.get().rechecked == 1  # the per-case re-check agrees with the batch

    entitlement = household_entitlement(household=household, as_of=AS_OF)
    dibao = next(r for r in entitlement.rows if r["programme"] == "dibao")
    assert dibao["eligible"] is True
    assert dibao["amount_month"] == "620.00"
    reason = "给予6个月渐退期（自2025年3月起）：渐退期内继续发放，至2025年8月"
    assert any(reason in text for text in dibao["reasons"])
    assert entitlement.output["results"]["dibao"]["phase_out_until"] == "2025-08-31"

    client.force_login(officer)
    page = client.get(f"/policy/households/{household.pk}/", {"as_of": "2025-06-30"}).content.decode()
    assert reason in page
    assert "620.00" in page

    # after the six months (from 2025-09-01) the 渐退 has run out: not eligible, and the page says why
    after = household_entitlement(household=household, as_of=dt.date(2025, 9, 1))
    dibao_after = next(r for r in after.rows if r["programme"] == "dibao")
    assert dibao_after["eligible"] is False
    assert any("6个月渐退期已于2025年8月届满，不再发放" in text for text in dibao_after["reasons"])

    # cancelled, the household is computed as before
    services.enrollment_phase_out_cancel(actor=officer, enrollment=enrollment)
    assert dibao_result()["eligible"] is False


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
