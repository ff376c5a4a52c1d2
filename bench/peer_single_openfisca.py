"""The peer's single-case OpenFisca run with a p95: run in the peer's environment with the peer's
folder on PYTHONPATH (bench/bench_single.py does both). Same CASE, model and loop as the peer's
single_openfisca.py (``SimulationBuilder().build_from_entities`` then ``calculate``), timed per run.

    PYTHONPATH=/work/shared/peers/openfisca var/peer-venv/bin/python bench/peer_single_openfisca.py --runs 10000
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def quantiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 4),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 4),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()

    started = time.perf_counter()
    import dibao_of
    from common import PERIOD
    from openfisca_core.simulation_builder import SimulationBuilder
    from single_openfisca import CASE  # the peer's household

    tbs = dibao_of.CountryTaxBenefitSystem()
    startup = time.perf_counter() - started

    def run_once(trace: bool) -> float:
        simulation = SimulationBuilder().build_from_entities(tbs, CASE)
        simulation.trace = trace
        return float(simulation.calculate("dibao_benefit", PERIOD)[0])

    benefit = run_once(True)
    out: dict[str, object] = {"engine": "openfisca_single_p95", "households": 1, "startup_s": round(startup, 3)}
    for trace in (False, True):
        for _ in range(args.warmup):
            run_once(trace)
        samples = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            run_once(trace)
            samples.append(time.perf_counter() - t0)
        out["traced" if trace else "plain"] = quantiles(samples)
    out.update(benefit=benefit, runs=args.runs)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
