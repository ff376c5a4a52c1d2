"""Benchmark ``jiuzhu import households`` and ``jiuzhu export households`` on PostgreSQL.

Generates fictitious files with ``jiuzhu.exchange.synthetic`` (valid, unique ID numbers in real
榆次区 villages): a CSV and a Parquet file of ``--persons`` persons and an xlsx file of
``--xlsx-rows`` rows. Each file is imported by the real command, in a subprocess, into a fresh
PostgreSQL database; the CSV is then imported again (idempotent: nothing changes) and the database
is exported in each format. Every step prints one JSON line: seconds, rows per second, the child's
peak RSS and the machine's load average (the numbers mean little on a busy machine).

    .venv/bin/python bench/bench_import.py                      # 1M persons, 100k-row xlsx
    .venv/bin/python bench/bench_import.py --persons 100000 --xlsx-rows 10000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jiuzhu.exchange import synthetic  # noqa: E402 - after the path is set


def villages(county: str = "140702") -> list[str]:
    table = pacsv.read_csv(
        ROOT / "jiuzhu/regions/data/regions.csv", convert_options=pacsv.ConvertOptions(column_types={"code": "string"})
    )
    return [
        code
        for code, level in zip(table["code"].to_pylist(), table["level"].to_pylist(), strict=True)
        if level == "village" and code.startswith(county)
    ]


def run(args: list[str], url: str) -> tuple[float, int, str, str]:
    """Run ``python -m jiuzhu.cli ARGS``; (seconds, the child's peak RSS in KiB, stdout, stderr)."""
    env = {**os.environ, "JIUZHU_DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "jiuzhu.settings.base"}
    LOAD_AT_START[0] = os.getloadavg()[0]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "jiuzhu.cli", *args], env=env, cwd=ROOT, stdout=out, stderr=err, text=True
        )
        _, status, usage = os.wait4(process.pid, 0)  # reaps the child and gives its own peak RSS
        seconds = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise SystemExit(f"jiuzhu {' '.join(args)} failed:\n{stderr[-3000:]}")
    return seconds, usage.ru_maxrss, stdout, stderr


def fresh_database(server: str, name: str) -> str:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{server}/{name}".replace("postgresql://", "postgres://", 1)
    run(["migrate"], url)
    return url


RESULTS: list[Path] = []  # --results: files the JSON lines are appended to as well
LOAD_AT_START = [0.0]  # the 1-minute load average when the last command started


def report(**fields: object) -> None:
    fields["load_average_start"] = round(LOAD_AT_START[0], 2)
    fields["load_average"] = round(os.getloadavg()[0], 2)
    line = json.dumps(fields, ensure_ascii=False)
    print(line, flush=True)
    for path in RESULTS:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--server", default=os.environ.get("JIUZHU_BENCH_PG", "postgresql://postgres@127.0.0.1:5432"))
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    parser.add_argument("--formats", default="csv,parquet,xlsx", help="formats to import, comma-separated")
    parser.add_argument("--no-export", action="store_true", help="skip the second CSV import and the exports")
    parser.add_argument("--reuse-files", action="store_true", help="keep files already generated in --workdir")
    parser.add_argument("--results", type=Path, help="also append the JSON lines to this file")
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.results:
        RESULTS.append(args.results)
    args.workdir.mkdir(parents=True, exist_ok=True)
    files = {
        "csv": args.workdir / "households.csv",
        "parquet": args.workdir / "households.parquet",
        "xlsx": args.workdir / "households.xlsx",
    }
    if args.generate_only:
        places = villages()
        big = synthetic.households_table(persons=args.persons, villages=places, seed=20261123)
        synthetic.write_csv(big, files["csv"])
        synthetic.write_parquet(big, files["parquet"])
        synthetic.write_xlsx(synthetic.households_table(persons=args.xlsx_rows, villages=places, seed=7), files["xlsx"])
        return
    formats = [f for f in args.formats.split(",") if f]
    files = {fmt: path for fmt, path in files.items() if fmt in formats}
    # Generated in a child process: a forked child starts with its parent's resident memory, and the
    # peak RSS reported for each command must be its own.
    started = time.monotonic()
    if not (args.reuse_files and all(path.exists() for path in files.values())):
        command = [sys.executable, __file__, "--generate-only", "--persons", str(args.persons)]
        command += ["--xlsx-rows", str(args.xlsx_rows), "--workdir", str(args.workdir)]
        subprocess.run(command, check=True)
        report(
            step="generate",
            seconds=round(time.monotonic() - started, 1),
            files={k: f"{v.stat().st_size / 2**20:.0f} MiB" for k, v in files.items()},
        )

    databases = []
    for fmt, path in files.items():
        rows = args.xlsx_rows if fmt == "xlsx" else args.persons
        name = f"jiuzhu_bench_{fmt}"
        url = fresh_database(args.server, name)
        databases.append(name)
        seconds, peak, out, _ = run(["import", "households", str(path)], url)
        report(
            step="import",
            format=fmt,
            database="postgresql",
            rows=rows,
            seconds=round(seconds, 1),
            rows_per_second=round(rows / seconds),
            peak_rss_mib=round(peak / 1024),
            summary=out.splitlines()[0],
        )
        if fmt == "csv" and not args.no_export:
            seconds, peak, out, _ = run(["import", "households", str(path)], url)
            report(
                step="reimport (nothing changes)",
                format=fmt,
                database="postgresql",
                rows=rows,
                seconds=round(seconds, 1),
                rows_per_second=round(rows / seconds),
                peak_rss_mib=round(peak / 1024),
                summary=out.splitlines()[0],
            )
            for out_fmt in ("csv", "parquet", "xlsx"):
                target = args.workdir / f"export.{out_fmt}"
                seconds, peak, out, _ = run(
                    ["export", "households", "--format", out_fmt, "--out", str(target), "--reason", "性能测试"], url
                )
                report(
                    step="export",
                    format=out_fmt,
                    database="postgresql",
                    rows=args.persons,
                    seconds=round(seconds, 1),
                    rows_per_second=round(args.persons / seconds),
                    peak_rss_mib=round(peak / 1024),
                    size_mib=round(target.stat().st_size / 2**20),
                )
    if not args.keep:
        with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
            for name in databases:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
