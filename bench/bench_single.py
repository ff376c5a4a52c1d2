"""Single-case benchmark (issue #4, P3): one household evaluated in-process with its full Chinese
trace, against the peer's single-case OpenFisca run measured in the same run.

The household is the peer's (single_openfisca.py CASE): a grandmother aged 75 with a 600 yuan
pension, a father aged 45 earning 2,000 yuan, a child aged 10 with a grade-1 disability, month
2025-01 (standard 850). jiuzhu reads it as a case file (case-format.md) for the benchmark county
119900 of ``bench/packs`` and runs ``evaluate_case(case, library=…, trace=True)``; each timed run
parses the case dict and evaluates it (the peer's timed run also builds its simulation from a dict).
Expected: eligible, 420.00 yuan (gap 250 + two supplements of 85).

    .venv/bin/python bench/bench_single.py                  # jiuzhu and OpenFisca, 10,000 runs each
    .venv/bin/python bench/bench_single.py --runs 1000 --show
    .venv/bin/python bench/bench_single.py jiuzhu           # only jiuzhu (a worker)

Engines, each in its own process (JSON line on stdout, appended to bench/results/rules-<date>.jsonl):

- ``jiuzhu``: median and p95 of ``--runs`` runs traced and untraced (parse + evaluate), and of
  evaluate alone, after ``--warmup`` runs.
- ``openfisca_single``: the peer's ``single_openfisca.py --repeat RUNS`` unchanged (medians only).
- ``openfisca_single_p95``: ``bench/peer_single_openfisca.py`` in the peer's environment: the
  peer's CASE and model, the same build-and-calculate loop, median and p95.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_rules import AS_OF, PACKS, PEER, PEER_PYTHON, REGION, RESULTS, child, engine_files, machine  # noqa: E402

CASE: dict[str, Any] = {
    "region": REGION,
    "as_of": AS_OF.isoformat(),
    "area": "urban",
    "programmes": ["dibao"],
    "household": {
        "members": [
            {
                "id": "grandmother",
                "name": "祖母",
                "relation": "grandparent",
                "birth_date": "1950-01-01",  # 75 on 2025-01-01
                "disability": None,
                "incomes": [{"type": "pension", "amount": "600", "period": "month"}],
            },
            {
                "id": "father",
                "name": "父亲",
                "relation": "head",
                "birth_date": "1980-01-01",  # 45
                "disability": None,
                "incomes": [{"type": "wage", "amount": "2000", "period": "month"}],
            },
            {
                "id": "child",
                "name": "孩子",
                "relation": "son",
                "birth_date": "2015-01-01",  # 10
                "disability": {"type": "physical", "grade": 1},
                "incomes": [],
            },
        ],
        "incomes": [],
    },
}


def quantiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 4),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 4),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 4),
    }


def run_jiuzhu(runs: int, warmup: int, packs: Path, show: bool) -> dict[str, Any]:
    started = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    from jiuzhu.rules.case import case_from_dict
    from jiuzhu.rules.evaluate import evaluate_case
    from jiuzhu.rules.params import load_library

    library = load_library(packs_dir=packs)
    startup = time.perf_counter() - started
    first_started = time.perf_counter()
    evaluation = evaluate_case(case_from_dict(CASE), library=library, trace=True)
    first = time.perf_counter() - first_started
    result = evaluation.output["results"]["dibao"]
    if show:
        print(evaluation.explain(), file=sys.stderr)
    case = case_from_dict(CASE)

    def timed(fn: Any) -> list[float]:
        for _ in range(warmup):
            fn()
        samples = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
        return samples

    traced = timed(lambda: evaluate_case(case_from_dict(CASE), library=library, trace=True))
    plain = timed(lambda: evaluate_case(case_from_dict(CASE), library=library, trace=False))
    traced_only = timed(lambda: evaluate_case(case, library=library, trace=True))
    parse_only = timed(lambda: case_from_dict(CASE))
    return {
        "startup_s": round(startup, 3),
        "first_case_s": round(first, 4),
        "eligible": result["eligible"],
        "amount_month": result["amount_month"],
        "trace_rows": len(evaluation.output["trace"]),
        "traced": quantiles(traced),
        "plain": quantiles(plain),
        "traced_evaluate_only": quantiles(traced_only),
        "parse_only": quantiles(parse_only),
        "runs": runs,
        "engine_files": engine_files(),
    }


def drive(args: argparse.Namespace) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = RESULTS / f"rules-{dt.date.today().isoformat()}{args.tag}.jsonl"
    me = Path(__file__).resolve()
    rows = [{"kind": "machine", "date": dt.date.today().isoformat(), **machine(), "load_average": os.getloadavg()}]
    for _ in range(args.repeat):
        rows.append(
            child([str(me), "jiuzhu", "--runs", str(args.runs), "--packs", str(args.packs)], Path(sys.executable))
        )
        rows.append(child([str(PEER / "single_openfisca.py"), "--repeat", str(args.runs)], PEER_PYTHON))
        rows.append(
            child(
                [str(ROOT / "bench" / "peer_single_openfisca.py"), "--runs", str(args.runs)],
                PEER_PYTHON,
                env={"PYTHONPATH": str(PEER)},
            )
        )
    with log.open("a", encoding="utf-8") as fh:
        for row in rows:
            row.setdefault("kind", "single")
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            print(json.dumps(row, ensure_ascii=False))
    singles = [r for r in rows if r.get("kind") == "single" and "error" not in r]
    jiuzhu = [r for r in singles if r["engine"] == "jiuzhu"]
    peer = [r for r in singles if r["engine"] == "openfisca_single"]
    mine = [r for r in singles if r["engine"] == "openfisca_single_p95"]
    if jiuzhu and peer:
        traced = statistics.median(r["traced"]["median_ms"] for r in jiuzhu)
        plain_of = statistics.median(r["median_ms_per_case"] for r in peer)
        print(
            "| Engine | Median ms | p95 ms |\n|---|---|---|\n"
            f"| jiuzhu, traced (parse + evaluate) | {traced:.3f} | "
            f"{statistics.median(r['traced']['p95_ms'] for r in jiuzhu):.3f} |\n"
            f"| jiuzhu, untraced | {statistics.median(r['plain']['median_ms'] for r in jiuzhu):.3f} | "
            f"{statistics.median(r['plain']['p95_ms'] for r in jiuzhu):.3f} |\n"
            f"| OpenFisca (single_openfisca.py), untraced | {plain_of:.3f} | "
            + (f"{statistics.median(r['plain']['p95_ms'] for r in mine):.3f}" if mine else "")
            + " |\n"
            f"| OpenFisca (single_openfisca.py), traced | "
            f"{statistics.median(r['median_ms_per_case_traced'] for r in peer):.3f} | "
            + (f"{statistics.median(r['traced']['p95_ms'] for r in mine):.3f}" if mine else "")
            + " |\n"
            f"\njiuzhu traced median / OpenFisca untraced median = {traced / plain_of:.2f} (goal ≤ 1)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="all", choices=["all", "jiuzhu"])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=1, help="driver: how many times to run every engine")
    parser.add_argument("--packs", type=Path, default=PACKS)
    parser.add_argument("--show", action="store_true", help="print jiuzhu's trace to stderr")
    parser.add_argument("--tag", default="")
    args = parser.parse_args()
    if args.mode == "all":
        drive(args)
        return
    row = run_jiuzhu(args.runs, args.warmup, args.packs, args.show)
    print(json.dumps({"engine": "jiuzhu", "households": 1, **row}, ensure_ascii=False))


if __name__ == "__main__":
    main()
