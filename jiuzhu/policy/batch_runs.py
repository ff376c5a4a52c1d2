"""``jiuzhu policy run``: snapshot the registry to Parquet, evaluate every household set-based (DuckDB, or
Spark on request) with the same rule definitions the per-case evaluator runs, re-check a random sample
household by household, and store the run with its results in one transaction.

The snapshot reads the registry as of the run's date: active households of the region, the memberships
in force, each member's and the household's incomes in force. The registry does not yet hold expenses,
obligors or reported emergencies, so 刚性支出, 特困's obligor test and 临时救助 answer "cannot determine"
(or "not reported") for registry households until intake records them; this is stated in the run's notes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.db import connection, transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.audit.services import audit_record
from jiuzhu.audit.tags import AuditTag
from jiuzhu.core.errors import DomainError
from jiuzhu.policy.models import BatchResult, BatchRun
from jiuzhu.policy.services import policy_library
from jiuzhu.registry.bulk import insert_rows
from jiuzhu.rules.batch import (
    HOUSEHOLDS_SCHEMA,
    MEMBERS_SCHEMA,
    OBLIGORS_SCHEMA,
    parameter_groups,
    read_tables,
    run_batch,
)
from jiuzhu.rules.case import EXPENSE_TYPES, INCOME_TYPES
from jiuzhu.rules.compile_ibis import OUTPUT_COLUMNS
from jiuzhu.rules.recheck import recheck

ENGINES = ("duckdb", "spark")
RESULT_SCHEMA = pa.schema(
    [
        ("household_id", pa.int64()),
        ("programme", pa.string()),
        ("eligible", pa.bool_()),
        ("amount_month", pa.decimal128(12, 2)),
        *[(c, pa.decimal128(12, 2)) for c in OUTPUT_COLUMNS],
    ]
)
Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


# ----------------------------------------------------------------------------- snapshot


def _raw_queries(region_code: str, as_of: dt.date) -> dict[str, tuple[str, list[Any]]]:
    """Portable SQL (PostgreSQL and SQLite) for the raw snapshot; amounts travel as text, never as float."""
    like = region_code + "%"
    day = as_of.isoformat()
    households = (
        "SELECT h.id, h.region_id, h.urban_rural, CAST(h.financial_assets AS TEXT), h.house_count, h.vehicle_count "
        "FROM registry_household h WHERE h.status = 'active' AND h.region_id LIKE %s ORDER BY h.id"
    )
    members = (
        "SELECT m.household_id, m.person_id, CASE WHEN m.relation = 'head' THEN 0 ELSE 1 END, m.id, "
        "p.birth_date, p.sex, m.relation, p.hukou_type, m.in_household, p.labour_capacity, p.self_care, "
        "p.care_setting, p.disability_grade, p.disability_type, p.health, p.student "
        "FROM registry_membership m JOIN registry_person p ON p.id = m.person_id "
        "JOIN registry_household h ON h.id = m.household_id "
        "WHERE h.status = 'active' AND h.region_id LIKE %s "
        "AND m.valid_from <= %s AND (m.valid_to IS NULL OR m.valid_to >= %s) "
        "ORDER BY m.household_id, 3, m.id"
    )
    incomes = (
        "SELECT i.household_id, i.person_id, i.type, i.period, CAST(i.amount AS TEXT) "
        "FROM registry_income i JOIN registry_household h ON h.id = i.household_id "
        "WHERE h.status = 'active' AND h.region_id LIKE %s "
        "AND i.valid_from <= %s AND (i.valid_to IS NULL OR i.valid_to >= %s)"
    )
    # 低保 of the whole household (person NULL), with any 渐退 recorded on it, and the 脱贫人口 / 建档立卡 flags
    # of the household or a member.
    enrollments = (
        "SELECT e.household_id, e.category, e.person_id, e.valid_from, CAST(e.amount_month AS TEXT), "
        "e.phase_out_reason, e.phase_out_start "
        "FROM registry_categoryenrollment e JOIN registry_household h ON h.id = e.household_id "
        "WHERE h.status = 'active' AND h.region_id LIKE %s "
        "AND e.category IN ('dibao', 'former_poor', 'registered_poor') "
        "AND e.valid_from <= %s AND (e.valid_to IS NULL OR e.valid_to >= %s)"
    )
    return {
        "households": (households, [like]),
        "members": (members, [like, day, day]),
        "incomes": (incomes, [like, day, day]),
        "enrollments": (enrollments, [like, day, day]),
    }


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _decimal(text: Any) -> Decimal | None:
    return None if text is None else Decimal(str(text)).quantize(Decimal("0.01"))


def _date(value: Any) -> dt.date | None:
    """A date column: a ``date`` from PostgreSQL, ISO text from SQLite."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _annual(period: str, amount: Decimal) -> Decimal:
    return amount * 12 if period == "month" else amount


def registry_tables(*, region_code: str, as_of: dt.date) -> dict[str, pa.Table]:
    """The batch tables (``rules.batch`` schemas) for the registry's households in ``region_code`` on ``as_of``."""
    queries = _raw_queries(region_code, as_of)
    household_rows = _fetch(*queries["households"])
    member_rows = _fetch(*queries["members"])
    income_rows = _fetch(*queries["incomes"])
    enrollment_rows = _fetch(*queries["enrollments"])

    current: dict[tuple[int, int], dict[str, Any]] = {}
    households: dict[int, dict[str, Any]] = {}
    for hid, region, area, assets, houses, vehicles in household_rows:
        households[hid] = {
            "household_id": hid,
            "region": region[:6],
            "area": area,
            "deposits": _decimal(assets),
            "houses": houses,
            "vehicles_private": vehicles,
            # The registry's incomes in force are its knowledge of the household: none recorded = none.
            "incomes_declared": True,
            "expenses_declared": False,
            "obligors_declared": False,
            "emergency_kind": None,
            "emergency_loss": None,
            "emergency_expenses": None,
            # household.dibao_enrollment: filled below from the registry's 低保 enrollments, the 渐退 from the
            # reason and start recorded on the enrollment (registry.services.enrollment_phase_out_start).
            "dibao_since": None,
            "dibao_amount_month": None,
            "dibao_registered_poor": None,
            "dibao_phase_out_reason": None,
            "dibao_phase_out_start": None,
            **{f"income_{t}": None for t in INCOME_TYPES},
            **{f"expense_{t}": None for t in EXPENSE_TYPES},
        }
    members: list[dict[str, Any]] = []
    index: dict[int, int] = {}
    for row in member_rows:
        hid, pid, _, _, birth, sex, relation, hukou, in_household, labour, self_care, setting, grade, kind = row[:14]
        health, student = row[14], row[15]
        if hid not in households:
            continue
        position = index.get(hid, 0)
        index[hid] = position + 1
        member = {
            "household_id": hid,
            "member_index": position,
            "birth_date": birth if isinstance(birth, dt.date) else dt.date.fromisoformat(str(birth)),
            "sex": sex,
            "relation": relation,
            "hukou": hukou,
            "in_household": bool(in_household),
            "labour_capacity": labour,
            "self_care": self_care,
            "care_setting": setting or "home_based",
            # The registry records a disability when there is one: blank means none.
            "disability_grade": int(grade) if grade and kind else 0,
            "disability_type": kind if grade and kind else "none",
            "serious_illness": None if health is None else health == "serious_illness",
            "student": student or "none",
            **{f"income_{t}": None for t in INCOME_TYPES},
        }
        members.append(member)
        current[(hid, pid)] = member
    flagged = {row[0] for row in enrollment_rows if row[1] != "dibao"}
    for hid, category, pid, since, amount, phase_out_reason, phase_out_start in enrollment_rows:
        household = households.get(hid)
        if household is None or category != "dibao" or pid is not None:
            continue  # a flag, or 单人保 (one member's 低保): not the household's enrollment
        household["dibao_since"] = _date(since)
        # The amount is recorded on the enrollment when it was entered with one; else it stays unknown.
        household["dibao_amount_month"] = _decimal(amount)
        # Like disabilities, the registry records a 脱贫人口 / 建档立卡 flag where there is one: none means not.
        household["dibao_registered_poor"] = hid in flagged
        # A 渐退 recorded to begin after the date is not under way on it (a case's start may not follow as_of).
        start = _date(phase_out_start)
        if phase_out_reason and start is not None and start <= as_of:
            household["dibao_phase_out_reason"] = phase_out_reason
            household["dibao_phase_out_start"] = start
    for hid, pid, kind, period, amount in income_rows:
        target = households.get(hid) if pid is None else current.get((hid, pid))
        if target is None:
            continue  # the income of someone no longer a member on this date
        key = f"income_{kind}"
        target[key] = (target[key] or Decimal(0)) + _annual(period, Decimal(str(amount)))
    return {
        "households": pa.Table.from_pylist(list(households.values()), HOUSEHOLDS_SCHEMA),
        "members": pa.Table.from_pylist(members, MEMBERS_SCHEMA),
        "obligors": pa.Table.from_pylist([], OBLIGORS_SCHEMA),
    }


def write_snapshot(tables: dict[str, pa.Table], folder: Path) -> tuple[dict[str, str], str]:
    """Write the tables as Parquet; returns the paths and a hash of their content (the run's input hash)."""
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    paths = {}
    for name in ("households", "members", "obligors"):
        path = folder / f"{name}.parquet"
        pq.write_table(tables[name], path)
        paths[name] = str(path)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, tables[name].schema) as writer:
            writer.write_table(tables[name])
        digest.update(sink.getvalue().to_pybytes())
    return paths, "sha256:" + digest.hexdigest()


# ----------------------------------------------------------------------------- the run


@dataclass
class RunOutcome:
    run: BatchRun
    results: pa.Table


def _backend(engine: str) -> Any:
    if engine == "spark":
        from jiuzhu.rules.spark import spark_backend

        return spark_backend()
    import ibis

    return ibis.duckdb.connect()


def _sql(expr: Any, engine: str) -> str:
    import ibis

    try:
        return str(ibis.to_sql(expr, dialect="spark" if engine == "spark" else "duckdb"))
    except Exception as error:
        return f"-- 无法生成查询语句：{error}"


def results_table(raw: pa.Table) -> pa.Table:
    """The run's rows as ``--out`` writes them: sorted, typed, nothing run-specific."""
    columns = {name: raw.column(name).cast(RESULT_SCHEMA.field(name).type) for name in RESULT_SCHEMA.names}
    table = pa.table(columns, schema=RESULT_SCHEMA)
    return table.sort_by([("household_id", "ascending"), ("programme", "ascending")])


def _summaries(table: pa.Table) -> tuple[dict[str, dict[str, int]], dict[str, str]]:
    counts: dict[str, dict[str, int]] = {}
    totals: dict[str, Decimal] = {}
    for row in table.select(["programme", "eligible", "amount_month"]).to_pylist():
        key = "null" if row["eligible"] is None else ("true" if row["eligible"] else "false")
        counts.setdefault(row["programme"], {"true": 0, "false": 0, "null": 0})[key] += 1
        if row["eligible"]:
            totals[row["programme"]] = totals.get(row["programme"], Decimal(0)) + row["amount_month"]
    return counts, {p: f"{counts and totals.get(p, Decimal(0)):.2f}" for p in counts}


def policy_run(
    *,
    region_code: str,
    as_of: dt.date,
    engine: str = "duckdb",
    actor: User,
    out: Path | None = None,
    sample: int = 50,
    seed: int | None = None,
    progress: Progress = _quiet,
    channel: str = "cli",
) -> RunOutcome:
    """Evaluate every active household of ``region_code`` as of ``as_of`` and store the run (replacing any
    earlier run for the same region and date). Raises ``DomainError`` with a Chinese message on bad input."""
    if engine not in ENGINES:
        raise DomainError("bad_engine", f"未知的计算引擎“{engine}”：应为 duckdb 或 spark")
    if not region_code.isdigit() or len(region_code) not in (2, 4, 6, 9, 12):
        raise DomainError("bad_region", f"区划代码“{region_code}”格式错误：应为2、4、6、9或12位数字")
    started = time.perf_counter()
    started_at = timezone.now()
    library = policy_library()

    progress("1/5 读取登记数据快照…")
    tables = registry_tables(region_code=region_code, as_of=as_of)
    household_count = tables["households"].num_rows
    if household_count == 0:
        raise DomainError("no_households", f"区划 {region_code} 内没有在册家庭，未计算")
    with tempfile.TemporaryDirectory(prefix="jiuzhu-run-") as folder:
        paths, input_hash = write_snapshot(tables, Path(folder))
        progress(f"2/5 已写出快照：{household_count} 户，{tables['members'].num_rows} 人")

        progress(f"3/5 用 {engine} 计算…")
        backend = _backend(engine)
        ibis_tables = read_tables(backend, paths, prefix=f"run_{int(time.time() * 1000)}_")
        regions = sorted(set(tables["households"].column("region").to_pylist()))
        expr = run_batch(backend, ibis_tables, as_of=as_of, library=library, regions=regions)
        raw = expr.to_pyarrow()
        generated_sql = _sql(expr, engine)
    results = results_table(raw)
    groups = parameter_groups(regions, as_of, library)
    fingerprint = (
        groups[0].parameters.fingerprint
        if len(groups) == 1
        else "sha256:" + hashlib.sha256("|".join(sorted(g.parameters.fingerprint for g in groups)).encode()).hexdigest()
    )

    progress(f"4/5 抽样逐户复核（{min(sample, household_count)} 户）…")
    rng = random.Random(seed)
    ids = tables["households"].column("household_id").to_pylist()
    chosen = set(rng.sample(ids, min(sample, len(ids))))
    mask = pa.array([i in chosen for i in ids])
    member_mask = pc.is_in(tables["members"].column("household_id"), pa.array(sorted(chosen), pa.int64()))
    result_mask = pc.is_in(results.column("household_id"), pa.array(sorted(chosen), pa.int64()))
    rechecked = recheck(
        households=tables["households"].filter(mask).to_pylist(),
        members=tables["members"].filter(member_mask).to_pylist(),
        obligors=[],
        results=results.filter(result_mask).to_pylist(),
        as_of=as_of,
        library=library,
    )

    progress("5/5 保存计算结果…")
    counts, totals = _summaries(results)
    with transaction.atomic():
        previous = BatchRun.objects.filter(region_code=region_code, as_of=as_of).first()
        if previous is not None:
            BatchResult.objects.filter(run=previous).delete()
            previous.delete()
        run = BatchRun.objects.create(
            region_code=region_code,
            as_of=as_of,
            engine=engine,
            parameters_fingerprint=fingerprint,
            input_hash=input_hash,
            generated_sql=generated_sql,
            households=household_count,
            counts=counts,
            totals=totals,
            rechecked=rechecked,
            duration_seconds=Decimal(str(round(time.perf_counter() - started, 2))),
            started_at=started_at,
            finished_at=timezone.now(),
            created_by=actor,
        )
        insert_rows(
            BatchResult,
            ["run_id", "household_id", "programme", "eligible", "amount_month"],
            (
                (run.id, row["household_id"], row["programme"], row["eligible"], row["amount_month"])
                for row in results.select(["household_id", "programme", "eligible", "amount_month"]).to_pylist()
            ),
        )
        audit_record(
            actor=actor,
            tag=AuditTag.POLICY_BATCH_RUN,
            subject_type="batch_run",
            subject_id=run.id,
            region_code=region_code,
            after={"as_of": as_of.isoformat(), "engine": engine, "households": household_count, "totals": totals},
            channel=channel,
        )
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(results, out)
    return RunOutcome(run=run, results=results)
