"""Demo generator benchmark: a synthetic county of about ``--persons`` people into a fresh database.

    .venv/bin/python bench/bench_demo.py --persons 1000000              # PostgreSQL (default)
    .venv/bin/python bench/bench_demo.py --engine sqlite --persons 4000  # the embedded default

Creates a scratch database (PostgreSQL: ``jiuzhu_bench_demo`` through
``postgresql://postgres@127.0.0.1:5432/postgres``; SQLite: a file under ``var/``), migrates it with
``.venv/bin/jiuzhu migrate``, then runs ``demo_generate`` in a child process and measures its wall
time and peak resident memory. With ``--append`` it then times a second, small run into the now
large database (the everyday path: indexes maintained row by row). Prints JSON lines; the scratch
database is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import psutil
import psycopg

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "jiuzhu_bench_demo"
# Persons per generated household, deceased members included
# (measured: 995,026 persons in 506,073 households, seed 20261123).
PERSONS_PER_HOUSEHOLD = 1.966


def database_url(engine: str) -> str:
    if engine == "postgresql":
        return f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
    return f"sqlite:///{ROOT / 'var' / 'bench-demo.sqlite3'}"


def database_create(engine: str) -> None:
    if engine == "postgresql":
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}"')
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
    else:
        database_drop(engine)
    env = {**os.environ, "JIUZHU_DATABASE_URL": database_url(engine)}
    subprocess.run([str(VENV / "jiuzhu"), "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)


def database_drop(engine: str) -> None:
    if engine == "postgresql":
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}"')
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(database_url(engine).removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)


def run_child(engine: str, households: int, region: str, seed: int) -> dict[str, object]:
    """Generate in a child process; returns its summary (peak RSS measured by the child) and wall time."""
    env = {**os.environ, "JIUZHU_DATABASE_URL": database_url(engine), "DJANGO_SETTINGS_MODULE": "jiuzhu.settings.base"}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, __file__, "--child", "--households", str(households), "--region", region, "--seed", str(seed)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    summary.update(
        wall_seconds=round(seconds, 1),
        persons_per_second=round(summary["persons"] / max(summary["generator_seconds"], 0.1)),
    )
    return summary


def child(households: int, region: str, seed: int) -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from jiuzhu.demo.commands import demo_generate

    summary = demo_generate(households=households, region_code=region, seed=seed)
    print(
        json.dumps(
            {
                "households": summary.households,
                "persons": summary.persons,
                "enrollments": summary.enrollments,
                "incomes": summary.incomes,
                "generator_seconds": summary.seconds,
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
        )
    )


def machine(engine: str) -> dict[str, object]:
    info: dict[str, object] = {
        "kind": "machine",
        "cores": os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "engine": engine,
    }
    if engine == "postgresql":
        with psycopg.connect(ADMIN_URL) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            info["postgresql"] = row[0] if row else ""
    return info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000, help="about how many persons to generate")
    parser.add_argument("--engine", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--region", default="140702", help="county code (default 140702 榆次区)")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--append", type=int, default=2000, help="households of a second run (0: none)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--households", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.households, args.region, args.seed)
        return 0
    print(json.dumps(machine(args.engine)), flush=True)
    database_create(args.engine)
    try:
        households = max(1, round(args.persons / PERSONS_PER_HOUSEHOLD))
        print(
            json.dumps({"kind": "generate", **run_child(args.engine, households, args.region, args.seed)}), flush=True
        )
        if args.append:
            print(
                json.dumps({"kind": "append", **run_child(args.engine, args.append, args.region, args.seed + 1)}),
                flush=True,
            )
    finally:
        if not args.keep:
            database_drop(args.engine)
    return 0


if __name__ == "__main__":
    sys.exit(main())
