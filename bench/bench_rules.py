"""Batch benchmark of the rules engine against the peer OpenFisca benchmark (issue #4, P1).

The peer harness (/work/shared/peers/openfisca, README "The rule") defines one 低保 rule, a seeded
data generator, an OpenFisca model and a hand-written DuckDB query. This script runs the same
households through jiuzhu's batch path (``jiuzhu.rules.batch.run_batch``: the engine's own 低保
programme, compiled to Ibis and run on DuckDB) and through the peer's engines, side by side in one
process tree, and checks every household's eligibility and benefit (in fen) against the others.

The rule reaches jiuzhu as data: a pack directory named on the command line (``--packs``, default
``bench/packs``), loaded as a library of its own (``load_library(packs_dir=…)``, with the engine's
parameter catalog), so no real region carries it and the engine's national defaults that the peer
rule lacks (asset limits, 单人保) stay out. The peer's persons become jiuzhu's batch input through a
DuckDB view over the same Parquet file (lazy, so the Parquet scan is part of compute, as in the
peer's DuckDB query): ages become birth dates on 2025-01-01, monthly money becomes annual wide
income columns, and ``excluded_income`` (income the policy does not count, part of pension + other
income) is declared as an excluded type (special_care) and taken out of the counted pension/other.

    .venv/bin/python bench/bench_rules.py                          # 10k, 100k, 1M; 3 runs each
    .venv/bin/python bench/bench_rules.py --sizes 10000 --repeat 1  # quick check
    .venv/bin/python bench/bench_rules.py --sizes 10000000 --engines jiuzhu duckdb duckdb_warm
    .venv/bin/python bench/bench_rules.py jiuzhu 1000000           # one warm jiuzhu run (a worker)

Engines (each run is a fresh subprocess, JSON line on stdout):

- ``jiuzhu``: start-up (imports, pack library, DuckDB connection) and a warm-up batch of 10k
  households are reported apart; then the measured batch: ``read_s`` (Parquet sources and input
  views registered), ``compute_s`` (parameters resolved, programme built, Ibis plan compiled to SQL
  — ``compile_s`` — and executed into a result table, including the Parquet scan), ``write_s``
  (household_id, eligible, benefit_fen ordered by household to Parquet, like the peer). Memory:
  ``batch_peak_rss_mib`` = peak RSS during the batch (VmHWM reset just before it) minus RSS before
  reading; ``process_peak_rss_mib`` = the whole process's peak as the peer reports it.
- ``duckdb``: the peer's ``bench_duckdb.py`` unchanged, run with jiuzhu's interpreter (same DuckDB).
- ``duckdb_warm``: the peer's SQL (imported from ``bench_duckdb.py``) in a warm process measured
  exactly like ``jiuzhu`` (warm-up on 10k, VmHWM delta): the like-for-like reference.
- ``openfisca``: the peer's ``bench_openfisca.py`` unchanged, in the peer's virtual environment.

Results go to bench/results/rules-<date>.jsonl (one line per run, then ``compare`` and ``summary``
lines); benefits files to var/bench-peer/results; data to var/bench-peer/data (generated with the
peer's gen_data.py when missing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PEER = Path(os.environ.get("BENCH_PEER_DIR", "/work/shared/peers/openfisca"))
PEER_PYTHON = Path(os.environ.get("BENCH_PEER_PYTHON", ROOT / "var" / "peer-venv" / "bin" / "python"))
DATA = Path(os.environ.get("DIBAO_BENCH_DATA", ROOT / "var" / "bench-peer" / "data"))
OUT = Path(os.environ.get("DIBAO_BENCH_RESULTS", ROOT / "var" / "bench-peer" / "results"))
PACKS = ROOT / "bench" / "packs"
RESULTS = ROOT / "bench" / "results"
REGION = "119900"  # the benchmark pack's county (no real county has this code)
AS_OF = dt.date(2025, 1, 1)  # the peer's PERIOD 2025-01, first day
WARMUP = 10_000
MIB = 1024 * 1024

# How the peer's columns become jiuzhu's batch inputs (jiuzhu.rules.batch: HOUSEHOLDS_SCHEMA,
# MEMBERS_SCHEMA, OBLIGORS_SCHEMA). Every other column of those schemas is NULL: a fact the peer's
# data does not state is unknown to jiuzhu too (as in the single-case benchmark's case file).
MEMBER_COLUMNS = {
    "household_id": "household_id",
    "member_index": "0",  # only 特困's "first member" reads it
    # Aged exactly `age` on as_of: as_of − 366·age days lies in (as_of − (age+1) years, as_of − age
    # years] for every age below 365, and costs a fraction of DuckDB's calendar arithmetic.
    "birth_date": "DATE '{as_of}' - 366 * age",
    "in_household": "TRUE",
    "care_setting": "'home_based'",  # the case format's default
    "disability_grade": "disability_grade",
    "disability_type": "CASE WHEN disability_grade = 0 THEN 'none' END",  # a grade without a known type
    # Monthly DECIMAL(12,2) yuan → annual income per type. excluded_income (income the policy does not
    # count) is part of pension + other income: declared as special_care (excluded by the bench pack)
    # and taken out of the counted pension first, then of other income.
    "income_wage": "salary * 12",
    "income_pension": "(pension - least(excluded_income, pension)) * 12",
    "income_transfer_other": "(other_income - (excluded_income - least(excluded_income, pension))) * 12",
    "income_special_care": "excluded_income * 12",
}
HOUSEHOLD_COLUMNS = {
    "household_id": "household_id",
    "region": "'{region}'",
    "area": "'urban'",
    "incomes_declared": "TRUE",
    "expenses_declared": "FALSE",
    "obligors_declared": "FALSE",  # unknown, as in the single case (no "obligors" key)
}
DUCKDB_TYPES = {"int64": "BIGINT", "int32": "INTEGER", "string": "VARCHAR", "bool": "BOOLEAN", "date32[day]": "DATE"}


def _sql_type(arrow_type: Any) -> str:
    text = str(arrow_type)
    if text.startswith("decimal128"):
        return text.replace("decimal128", "DECIMAL")
    return DUCKDB_TYPES[text]


def view_sql(name: str, schema: Any, columns: dict[str, str], source: str | None, **values: str) -> str:
    """CREATE VIEW ``name`` with every column of the engine's ``schema``, typed as it says."""
    parts = []
    for field in schema:
        expression = columns.get(field.name, "NULL").format(**values)
        parts.append(f'CAST({expression} AS {_sql_type(field.type)}) AS "{field.name}"')
    body = ",\n    ".join(parts)
    where = f"FROM read_parquet('{source}')" if source else "WHERE FALSE"
    return f"CREATE OR REPLACE VIEW {name} AS\nSELECT\n    {body}\n{where}"


def persons_path(n: int) -> Path:
    return DATA / f"persons_{n}.parquet"


def households_path(n: int) -> Path:
    return DATA / f"households_{n}.parquet"


def benefits_path(engine: str, n: int) -> Path:
    return OUT / f"benefits_{engine}_{n}.parquet"


# ---------------------------------------------------------------------------- memory and timing


def _status() -> dict[str, int]:
    text = Path("/proc/self/status").read_text()
    return {k: int(v) * 1024 for k, v in re.findall(r"^(VmHWM|VmRSS):\s+(\d+) kB", text, re.M)}


def reset_peak() -> int:
    """Reset this process's peak RSS (Linux ≥ 4.0: clear_refs 5) and return the RSS now, in bytes."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    return _status()["VmRSS"]


def peak() -> int:
    return _status()["VmHWM"]


class Phases:
    """Wall-clock phases, and the process's CPU time (all threads) per phase as ``cpu_<phase>``: on a
    shared machine CPU time moves far less than wall time when other jobs compete for the cores."""

    def __init__(self) -> None:
        self.values: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.t0 = time.perf_counter()
        self.c0 = time.process_time()

    def restart(self) -> None:
        self.t0 = time.perf_counter()
        self.c0 = time.process_time()

    def lap(self, name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.values[name] = round(now - self.t0, 3)
        self.cpu[f"cpu_{name}"] = round(cpu - self.c0, 3)
        self.t0, self.c0 = now, cpu


def engine_files() -> str:
    """A short hash of the engine's source as measured (the rules package changes while we work)."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "jiuzhu" / "rules").rglob("*.py")):
        if "tests" in path.parts:
            continue
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# ---------------------------------------------------------------------------- the jiuzhu worker


def register_inputs(raw: Any, n: int) -> None:
    """The peer's Parquet files as jiuzhu's three batch tables (lazy views: scanned by the query)."""
    from jiuzhu.rules.batch import HOUSEHOLDS_SCHEMA, MEMBERS_SCHEMA, OBLIGORS_SCHEMA

    raw.execute(
        view_sql("bench_members", MEMBERS_SCHEMA, MEMBER_COLUMNS, str(persons_path(n)), as_of=AS_OF.isoformat())
    )
    raw.execute(
        view_sql("bench_households", HOUSEHOLDS_SCHEMA, HOUSEHOLD_COLUMNS, str(households_path(n)), region=REGION)
    )
    raw.execute(view_sql("bench_obligors", OBLIGORS_SCHEMA, {}, None))


def jiuzhu_batch(
    con: Any,
    library: Any,
    n: int,
    phases: Phases,
    *,
    write: bool = True,
    programme: str = "engine",
    stream: bool = False,
) -> dict[str, Any]:
    """One batch over the peer's Parquet files: read (views), compute (plan → result table), write.

    ``programme``: "engine" runs the engine's 低保 programme through ``run_batch``; "rule" compiles
    bench/peer_rule.py (the peer's rule in jiuzhu's expression nodes) with ``compile_results``.
    ``stream``: one COPY from the plan straight to Parquet (no result table, no ORDER BY); its time is
    reported as compute_s (write_s = 0).
    """
    from jiuzhu.rules.batch import run_batch

    raw = con.con
    register_inputs(raw, n)
    tables = {
        "households": con.table("bench_households"),
        "members": con.table("bench_members"),
        "obligors": con.table("bench_obligors"),
    }
    phases.lap("read_s")
    started = time.perf_counter()
    if programme == "engine":
        result = run_batch(con, tables, as_of=AS_OF, programmes=["dibao"], library=library, regions=[REGION])
    else:
        from peer_rule import build_peer_rule

        from jiuzhu.rules.compile_ibis import BatchTables, compile_results
        from jiuzhu.rules.params import resolve

        rule = build_peer_rule(resolve(library, REGION, AS_OF))
        batch = BatchTables(households=tables["households"], members=tables["members"], obligors=tables["obligors"])
        result = compile_results([rule], batch, AS_OF)
    sql = con.compile(result)
    compile_s = time.perf_counter() - started
    extra: dict[str, Any] = {"compile_s": round(compile_s, 3), "stream": stream}
    if stream:
        path = benefits_path(os.environ.get("BENCH_ENGINE", "jiuzhu"), n)
        path.parent.mkdir(parents=True, exist_ok=True)
        raw.execute(
            "COPY (SELECT household_id, eligible, CAST(amount_month * 100 AS BIGINT) AS benefit_fen "
            f"FROM ({sql}) WHERE programme = 'dibao') TO '{path}' (FORMAT parquet)"
        )
        phases.lap("compute_s")
        phases.values["write_s"] = 0.0
        phases.cpu["cpu_write_s"] = 0.0
        rows, eligible, total_fen = raw.execute(
            f"SELECT count(*), count(*) FILTER (WHERE eligible), sum(benefit_fen) FROM read_parquet('{path}')"
        ).fetchone()
        extra.update(
            households_out=int(rows),
            eligible_households=int(eligible),
            total_benefit_yuan=float(total_fen) / 100,
            sql_chars=len(str(sql)),
        )
        return extra
    raw.execute(f"CREATE OR REPLACE TABLE bench_result AS {sql}")
    phases.lap("compute_s")
    if write:
        path = benefits_path(os.environ.get("BENCH_ENGINE", "jiuzhu"), n)
        path.parent.mkdir(parents=True, exist_ok=True)
        raw.execute(
            "COPY (SELECT household_id, eligible, CAST(amount_month * 100 AS BIGINT) AS benefit_fen "
            f"FROM bench_result WHERE programme = 'dibao' ORDER BY household_id) TO '{path}' (FORMAT parquet)"
        )
        phases.lap("write_s")
    rows, eligible, total, unknown = raw.execute(
        "SELECT count(*), count(*) FILTER (WHERE eligible), sum(amount_month), "
        "count(*) FILTER (WHERE eligible IS NULL) FROM bench_result"
    ).fetchone()
    extra.update(
        households_out=int(rows),
        eligible_households=int(eligible),
        eligible_unknown=int(unknown),
        total_benefit_yuan=float(total),
        sql_chars=len(str(sql)),
    )
    return extra


def use_compile_module(path: Path) -> None:
    """Measure a candidate compiler: load ``path`` as jiuzhu.rules.compile_ibis before batch imports it."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("jiuzhu.rules.compile_ibis", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["jiuzhu.rules.compile_ibis"] = module
    spec.loader.exec_module(module)


def run_jiuzhu(
    n: int,
    threads: int,
    packs: Path,
    compile_module: Path | None = None,
    programme: str = "engine",
    stream: bool = False,
) -> dict[str, Any]:
    phases = Phases()
    if compile_module is not None:
        use_compile_module(compile_module)
    import ibis

    from jiuzhu.rules.params import load_library

    library = load_library(packs_dir=packs)
    con = ibis.duckdb.connect(threads=threads)
    phases.lap("startup_s")
    jiuzhu_batch(con, library, WARMUP, Phases(), write=False, programme=programme)
    con.con.execute("DROP TABLE bench_result")
    phases.lap("warmup_s")
    before = reset_peak()
    phases.restart()
    extra = jiuzhu_batch(con, library, n, phases, programme=programme, stream=stream)
    batch_peak = peak()
    import duckdb

    return {
        **phases.values,
        "total_s": round(sum(phases.values[k] for k in ("read_s", "compute_s", "write_s")), 3),
        **phases.cpu,
        "cpu_total_s": round(sum(phases.cpu[f"cpu_{k}"] for k in ("read_s", "compute_s", "write_s")), 3),
        **extra,
        "rss_before_mib": round(before / MIB, 1),
        "batch_peak_rss_mib": round((batch_peak - before) / MIB, 1),
        "process_peak_rss_mib": round(batch_peak / MIB, 1),
        "duckdb": duckdb.__version__,
        "ibis": ibis.__version__,
        "engine_files": engine_files(),
        "compile_module": None if compile_module is None else str(compile_module),
        "programme": programme,
        "threads": threads,
    }


# ---------------------------------------------------------------------------- jiuzhu on Spark


def spark_inputs(n: int) -> dict[str, Path]:
    """The three batch tables of ``n`` households as Parquet files in jiuzhu's batch schema (written
    once per size by DuckDB from the same views jiuzhu's DuckDB run reads; not timed)."""
    import duckdb

    paths = {name: OUT / "spark-input" / f"{name}_{n}.parquet" for name in ("households", "members", "obligors")}
    if all(path.exists() for path in paths.values()):
        return paths
    paths["households"].parent.mkdir(parents=True, exist_ok=True)
    raw = duckdb.connect()
    register_inputs(raw, n)
    for name, path in paths.items():
        raw.execute(f"COPY (SELECT * FROM bench_{name}) TO '{path}' (FORMAT parquet)")
    return paths


def spark_batch(backend: Any, library: Any, n: int, phases: Phases, *, programme: str) -> dict[str, Any]:
    """One batch on Spark: read (Parquet registered), compute and write fused (Spark is lazy; the
    rounds' checkpoints run while the plan is built), reported as compute_s."""
    import shutil

    from jiuzhu.rules.batch import materialiser, run_batch
    from jiuzhu.rules.compile_ibis import BatchTables, PlanGroup, compile_plan
    from jiuzhu.rules.params import resolve

    paths = spark_inputs(n)
    tables = {name: backend.read_parquet(str(path), table_name=f"bench_{name}_{n}") for name, path in paths.items()}
    phases.lap("read_s")
    if programme == "engine":
        result = run_batch(backend, tables, as_of=AS_OF, programmes=["dibao"], library=library, regions=[REGION])
    else:
        from peer_rule import build_peer_rule

        rule = build_peer_rule(resolve(library, REGION, AS_OF))
        batch = BatchTables(households=tables["households"], members=tables["members"], obligors=tables["obligors"])
        result = compile_plan([PlanGroup(AS_OF, (rule,))], batch, materialise=materialiser(backend))
    out = result.filter(result.programme == "dibao").select(
        "household_id", "eligible", benefit_fen=(result.amount_month * 100).cast("int64")
    )
    path = benefits_path(os.environ.get("BENCH_ENGINE", "jiuzhu_spark"), n)
    shutil.rmtree(path, ignore_errors=True)
    path.unlink(missing_ok=True)
    backend.to_parquet(out, str(path))
    phases.lap("compute_s")
    phases.values["write_s"], phases.cpu["cpu_write_s"] = 0.0, 0.0
    import duckdb

    rows, eligible, total_fen = duckdb.sql(
        f"SELECT count(*), count(*) FILTER (WHERE eligible), sum(benefit_fen) FROM read_parquet('{path}/*.parquet')"
    ).fetchone()
    totals = {"households_out": int(rows), "eligible_households": int(eligible)}
    return {**totals, "total_benefit_yuan": float(total_fen) / 100}


def run_spark(n: int, threads: int, packs: Path, programme: str) -> dict[str, Any]:
    """jiuzhu's batch on Spark local mode (``threads`` cores), warm: start-up and a 10k warm-up apart.
    Memory: the driver's Python process (VmHWM delta) and the JVM's RSS at the end."""
    import psutil

    phases = Phases()
    spark_inputs(WARMUP)
    spark_inputs(n)
    phases.restart()
    from jiuzhu.rules.params import load_library
    from jiuzhu.rules.spark import spark_backend

    library = load_library(packs_dir=packs)
    backend = spark_backend(cores=threads)
    phases.lap("startup_s")
    spark_batch(backend, library, WARMUP, Phases(), programme=programme)
    phases.lap("warmup_s")
    before = reset_peak()
    phases.restart()
    extra = spark_batch(backend, library, n, phases, programme=programme)
    batch_peak = peak()
    jvm = [c for c in psutil.Process().children(recursive=True) if "java" in c.name()]
    import pyspark

    return {
        **phases.values,
        "total_s": round(sum(phases.values[k] for k in ("read_s", "compute_s", "write_s")), 3),
        **phases.cpu,
        **extra,
        "batch_peak_rss_mib": round((batch_peak - before) / MIB, 1),
        "jvm_rss_mib": round(sum(c.memory_info().rss for c in jvm) / MIB, 1),
        "pyspark": pyspark.__version__,
        "engine_files": engine_files(),
        "programme": programme,
        "threads": threads,
    }


# ---------------------------------------------------------------------------- the peer's SQL, warm


def run_duckdb_warm(n: int, threads: int, stream: bool = False) -> dict[str, Any]:
    """The peer's hand-written query, measured like jiuzhu: warm process, VmHWM delta."""
    phases = Phases()
    sys.path.insert(0, str(PEER))
    import duckdb
    from bench_duckdb import PARAMETERS, RULE_SQL  # the peer's module, unchanged
    from common import PERIOD

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute("CREATE TABLE parameters (name VARCHAR, effective_from DATE, value DECIMAL(18,4))")
    con.executemany("INSERT INTO parameters VALUES (?, ?, ?)", PARAMETERS)
    phases.lap("startup_s")
    con.execute(RULE_SQL, {"period_start": f"{PERIOD}-01", "persons": str(persons_path(WARMUP))})
    con.execute("DROP TABLE result")
    phases.lap("warmup_s")
    before = reset_peak()
    phases.restart()
    phases.lap("read_s")  # nothing to do before the query: it scans the Parquet file itself
    path = benefits_path(os.environ.get("BENCH_ENGINE", "duckdb_warm"), n)
    path.parent.mkdir(parents=True, exist_ok=True)
    if stream:  # the same query, straight from Parquet to Parquet
        select = RULE_SQL.split("CREATE OR REPLACE TABLE result AS", 1)[1]
        select = select.replace("$period_start", f"DATE '{PERIOD}-01'").replace("$persons", f"'{persons_path(n)}'")
        con.execute(
            "COPY (SELECT household_id, eligible, CAST(benefit * 100 AS BIGINT) AS benefit_fen "
            f"FROM ({select})) TO '{path}' (FORMAT parquet)"
        )
        phases.lap("compute_s")
        phases.values["write_s"], phases.cpu["cpu_write_s"] = 0.0, 0.0
        batch_peak = peak()
        rows, eligible, total = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE eligible), sum(benefit_fen) / 100 FROM read_parquet('{path}')"
        ).fetchone()
    else:
        con.execute(RULE_SQL, {"period_start": f"{PERIOD}-01", "persons": str(persons_path(n))})
        phases.lap("compute_s")
        con.execute(
            "COPY (SELECT household_id, eligible, CAST(benefit * 100 AS BIGINT) AS benefit_fen "
            f"FROM result ORDER BY household_id) TO '{path}' (FORMAT parquet)"
        )
        phases.lap("write_s")
        batch_peak = peak()
        rows, eligible, total = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE eligible), sum(benefit) FROM result"
        ).fetchone()
    return {
        **phases.values,
        "total_s": round(sum(phases.values[k] for k in ("read_s", "compute_s", "write_s")), 3),
        **phases.cpu,
        "cpu_total_s": round(sum(phases.cpu[f"cpu_{k}"] for k in ("read_s", "compute_s", "write_s")), 3),
        "households_out": int(rows),
        "eligible_households": int(eligible),
        "total_benefit_yuan": float(total),
        "rss_before_mib": round(before / MIB, 1),
        "batch_peak_rss_mib": round((batch_peak - before) / MIB, 1),
        "process_peak_rss_mib": round(batch_peak / MIB, 1),
        "duckdb": duckdb.__version__,
        "stream": stream,
        "threads": threads,
    }


# ---------------------------------------------------------------------------- the driver


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text()
    total_kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))  # type: ignore[union-attr]
    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    return {
        "cores": os.cpu_count(),
        "cpu": cpu.group(1).strip() if cpu else platform.machine(),
        "ram_gib": round(total_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def child(args: list[str], python: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one engine in a fresh process; its last JSON line, plus wall time and the child's ru_maxrss."""
    load = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(python), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DIBAO_BENCH_DATA": str(DATA), "DIBAO_BENCH_RESULTS": str(OUT), **(env or {})},
        cwd=ROOT,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    stdout, stderr = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
    if os.waitstatus_to_exitcode(status) != 0:
        return {"error": stderr.strip().splitlines()[-1:] or ["failed"], "wall_s": round(wall, 2)}
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    row = json.loads(lines[-1])
    row.update(
        wall_s=round(wall, 2),
        child_cpu_s=round(usage.ru_utime + usage.ru_stime, 2),  # the whole child, start-up included
        child_maxrss_mib=round(usage.ru_maxrss / 1024, 1),
        load_before=round(load, 2),
    )
    return row


def ensure_data(sizes: list[int]) -> None:
    missing = [n for n in [*sizes, WARMUP] if not persons_path(n).exists() or not households_path(n).exists()]
    if missing:
        DATA.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [str(PEER_PYTHON), str(PEER / "gen_data.py"), *map(str, sorted(set(missing)))],
            check=True,
            env={**os.environ, "DIBAO_BENCH_DATA": str(DATA)},
        )


def compare(n: int, engines: list[str]) -> list[dict[str, Any]]:
    """Household by household: every engine against every other (eligibility, benefit in fen)."""
    import numpy as np
    import pyarrow.parquet as pq

    loaded = {}
    for engine in engines:
        path = benefits_path(engine, n)
        if path.exists():
            table = pq.read_table(path).sort_by("household_id")
            loaded[engine] = {c: table[c].to_numpy(zero_copy_only=False) for c in table.column_names}
    rows = []
    names = sorted(loaded)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            x, y = loaded[a], loaded[b]
            same_ids = bool(np.array_equal(x["household_id"], y["household_id"]))
            row: dict[str, Any] = {"kind": "compare", "households": n, "a": a, "b": b, "same_households": same_ids}
            if same_ids:
                gap = np.abs(x["benefit_fen"].astype(np.int64) - y["benefit_fen"].astype(np.int64))
                row.update(
                    compared=len(gap),
                    eligibility_mismatches=int((x["eligible"] != y["eligible"]).sum()),
                    benefit_mismatches=int((gap != 0).sum()),
                    max_gap_fen=int(gap.max()) if len(gap) else 0,
                )
                row["identical"] = row["eligibility_mismatches"] == 0 and row["benefit_mismatches"] == 0
            rows.append(row)
    return rows


def total_of(row: dict[str, Any]) -> float:
    return sum(row.get(k, 0.0) for k in ("read_s", "build_s", "compute_s", "write_s"))


def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Median per (engine, size) of every phase, and jiuzhu's ratios."""
    by: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in runs:
        if "error" not in row:
            by.setdefault((row["engine"], row["households"]), []).append(row)
    out = []
    for (engine, n), rows in sorted(by.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        summary: dict[str, Any] = {"kind": "summary", "engine": engine, "households": n, "runs": len(rows)}
        for key in ("read_s", "build_s", "compute_s", "write_s", "compile_s", "startup_s", "load_s", "warmup_s"):
            values = [r[key] for r in rows if key in r]
            if values:
                summary[key] = round(statistics.median(values), 3)
        summary["total_s"] = round(statistics.median(total_of(r) for r in rows), 3)
        for key in ("cpu_total_s", "child_cpu_s"):
            values = [r[key] for r in rows if key in r]
            if values:
                summary[key] = round(statistics.median(values), 3)
        for key in ("batch_peak_rss_mib", "process_peak_rss_mib", "peak_rss_mib", "child_maxrss_mib", "jvm_rss_mib"):
            values = [r[key] for r in rows if key in r]
            if values:
                summary[key] = round(statistics.median(values), 1)
        summary["load_before"] = round(statistics.median(r.get("load_before", 0) for r in rows), 2)
        out.append(summary)
    # Goals (issue #4): OpenFisca's time / jiuzhu's ≥ 4; jiuzhu's time / the DuckDB query's ≤ 1.3.
    totals = {(s["engine"], s["households"]): s["total_s"] for s in out}
    for s in out:
        if not s["engine"].startswith("jiuzhu") or s["total_s"] <= 0:
            continue
        n = s["households"]
        if ("openfisca", n) in totals:
            s["speedup_vs_openfisca"] = round(totals[("openfisca", n)] / s["total_s"], 2)
        others = ("duckdb_warm_stream",) if s["engine"].endswith("_stream") else ("duckdb", "duckdb_warm")
        for other in others:
            if (other, n) in totals and totals[(other, n)] > 0:
                s[f"time_vs_{other}"] = round(s["total_s"] / totals[(other, n)], 2)
    return out


def table(summaries: list[dict[str, Any]]) -> str:
    lines = [
        "| Engine | Households | Read s | Build s | Compute s | Write s | Total s | Peak RSS MiB (batch Δ / process) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        rss = s.get("batch_peak_rss_mib")
        process = s.get("process_peak_rss_mib") or s.get("peak_rss_mib") or s.get("child_maxrss_mib") or 0
        jvm = f" + JVM {s['jvm_rss_mib']:.0f}" if s.get("jvm_rss_mib") else ""  # Spark: driver, then the JVM
        process = f"{process:.0f}{jvm}"
        lines.append(
            f"| {s['engine']} | {s['households']:,} | {s.get('read_s', 0):.2f} | {s.get('build_s', 0):.2f} "
            f"| {s.get('compute_s', 0):.2f} | {s.get('write_s', 0):.2f} | {s['total_s']:.2f} "
            f"| {'' if rss is None else f'{rss:.0f} / '}{process} |"
        )
    return "\n".join(lines)


def drive(args: argparse.Namespace) -> None:
    ensure_data(args.sizes)
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = RESULTS / f"rules-{dt.date.today().isoformat()}{args.tag}.jsonl"
    me = Path(__file__).resolve()
    header = {
        "kind": "machine",
        "date": dt.date.today().isoformat(),
        **machine(),
        "engine_files": engine_files(),
        "sizes": args.sizes,
        "repeat": args.repeat,
        "threads": args.threads,
        "load_average": os.getloadavg(),
    }
    runs: list[dict[str, Any]] = []
    with log.open("a", encoding="utf-8") as fh:

        def emit(row: dict[str, Any]) -> None:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            fh.flush()
            print(json.dumps(row, ensure_ascii=False), flush=True)

        emit(header)
        for n in args.sizes:
            for rep in range(args.repeat):
                for engine in args.engines:
                    if engine == "openfisca" and n > args.openfisca_max:
                        continue
                    if engine.endswith("_spark"):  # jiuzhu_spark, jiuzhu_rule_spark
                        programme = "rule" if engine.startswith("jiuzhu_rule") else "engine"
                        args_ = [str(me), "spark", str(n), "--threads", str(args.threads), "--packs", str(args.packs)]
                        row = child(
                            [*args_, "--programme", programme], Path(sys.executable), env={"BENCH_ENGINE": engine}
                        )
                        row["engine"] = engine
                    elif engine.startswith("jiuzhu"):
                        # jiuzhu: the engine's 低保; jiuzhu_rule: bench/peer_rule.py; "_patched": with
                        # --compile-module (a candidate compile_ibis.py) instead of the engine's;
                        # "_stream": one COPY from Parquet to Parquet.
                        extra = ["--programme", "rule" if engine.startswith("jiuzhu_rule") else "engine"]
                        if "_patched" in engine:
                            extra += ["--compile-module", str(args.compile_module)]
                        if engine.endswith("_stream"):
                            extra.append("--stream")
                        row = child(
                            [
                                str(me),
                                "jiuzhu",
                                str(n),
                                "--threads",
                                str(args.threads),
                                "--packs",
                                str(args.packs),
                                *extra,
                            ],
                            Path(sys.executable),
                            env={"BENCH_ENGINE": engine},
                        )
                        row["engine"] = engine
                    elif engine in ("duckdb_warm", "duckdb_warm_stream"):
                        stream = ["--stream"] if engine.endswith("_stream") else []
                        row = child(
                            [str(me), "duckdb_warm", str(n), "--threads", str(args.threads), *stream],
                            Path(sys.executable),
                            env={"BENCH_ENGINE": engine},
                        )
                        row["engine"] = engine
                    elif engine == "duckdb":
                        row = child(
                            [str(PEER / "bench_duckdb.py"), str(n), "--threads", str(args.threads)],
                            Path(sys.executable),
                        )
                    elif engine == "openfisca":
                        row = child([str(PEER / "bench_openfisca.py"), str(n)], PEER_PYTHON)
                    else:
                        raise SystemExit(f"unknown engine {engine}")
                    row.setdefault("engine", engine)
                    row.setdefault("households", n)
                    row.update(kind="run", repeat=rep)
                    runs.append(row)
                    emit(row)
            for row in compare(n, list(args.engines)):
                emit(row)
        summaries = summarise(runs)
        for s in summaries:
            emit(s)
    print(table(summaries))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="all", choices=["all", "jiuzhu", "duckdb_warm", "spark"])
    parser.add_argument("households", nargs="?", type=int, help="with jiuzhu / duckdb_warm: one run of N households")
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engines", nargs="+", default=["openfisca", "duckdb", "duckdb_warm", "jiuzhu"])
    parser.add_argument("--openfisca-max", type=int, default=1_000_000, help="largest size OpenFisca runs")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--packs", type=Path, default=PACKS, help="the benchmark's pack directory")
    parser.add_argument("--tag", default="", help="suffix of the results file name")
    parser.add_argument(
        "--programme", choices=["engine", "rule"], default="engine", help="jiuzhu worker: which programme"
    )
    parser.add_argument("--stream", action="store_true", help="workers: Parquet to Parquet in one COPY")
    parser.add_argument(
        "--compile-module",
        type=Path,
        help="a candidate jiuzhu/rules/compile_ibis.py to measure instead of the engine's (engine jiuzhu_patched)",
    )
    args = parser.parse_args()
    if args.mode == "all":
        drive(args)
        return
    if args.households is None:
        parser.error(f"{args.mode} needs a number of households")
    if args.mode == "spark":
        sys.path.insert(0, str(ROOT))
        sys.path.insert(0, str(ROOT / "bench"))
        row = run_spark(args.households, args.threads, args.packs, args.programme)
    elif args.mode == "jiuzhu":
        sys.path.insert(0, str(ROOT))
        sys.path.insert(0, str(ROOT / "bench"))
        row = run_jiuzhu(args.households, args.threads, args.packs, args.compile_module, args.programme, args.stream)
    else:
        row = run_duckdb_warm(args.households, args.threads, args.stream)
    print(json.dumps({"engine": args.mode, "households": args.households, **row}, ensure_ascii=False))


if __name__ == "__main__":
    main()
