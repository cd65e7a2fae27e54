"""Benchmark: a sweep of deterministic optimizations (one per price future), serial vs a local Dask cluster.

Target (issue 16): 200 optimizations at least 1.7x faster on a 2-core local cluster than one after the other in one
process, with the same table. Both runs are measured here, one after the other, so the ratio holds on any machine
load. Run: ``python benchmarks/bench_sweep.py [--cases 200] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import time

from costmodel import Model
from costmodel.analysis.montecarlo import price_draws
from costmodel.optimize.sweeps import Settings, draw_cases
from costmodel.sweep import run_cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    model = Model()
    items, prices = price_draws(model, args.cases, args.seed)
    settings = Settings(None, None, "nfpp", 2026, 2028, 0.5, "highs", None, None)
    cases = draw_cases(settings, items, prices, {})

    t0 = time.perf_counter()
    serial = run_cases(cases, workers=1)
    t_serial = time.perf_counter() - t0
    t0 = time.perf_counter()
    parallel = run_cases(cases, workers=args.workers)
    t_parallel = time.perf_counter() - t0

    same = [(o.key, o.status, o.value) for o in serial] == [(o.key, o.status, o.value) for o in parallel]
    failed = sum(o.status != "ok" for o in parallel)
    print(f"sweep of {args.cases} optimizations (nfpp, price futures, seed {args.seed}): serial {t_serial:.1f} s, "
          f"local Dask cluster with {args.workers} workers {t_parallel:.1f} s (cluster start-up included): "
          f"{t_serial / t_parallel:.2f}x faster (target 1.7x); same table: {same}; failed cases: {failed}")


if __name__ == "__main__":
    main()
