"""Benchmark: the stochastic optimizer (``optimize --uncertain 50``) on the bundled data.

Target (issue 16): the default instance with 50 price futures in under 60 s on 2 cores, build and solve times printed
apart. The run is the command's: the deterministic path, 50 futures' engine coefficients, the extensive form (built,
then solved in two phases), and the per-future recourse solves (perfect foresight and each plan) on a local Dask
cluster of one worker per core. Run: ``python benchmarks/bench_stochastic.py [--futures 50] [--risk mean|cvar90]``.
"""

from __future__ import annotations

import argparse
import time

from costmodel import Model
from costmodel.optimize.data import load_default
from costmodel.optimize.stochastic import optimize_uncertain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--futures", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--risk", default="mean")
    parser.add_argument("--workers", type=int, default=None, help="default: one per core from 20 futures")
    args = parser.parse_args()

    model = Model()
    data = load_default("nfpp", model.dataset)
    t0 = time.perf_counter()
    r = optimize_uncertain(model, data, draws=args.futures, seed=args.seed, risk=args.risk, workers=args.workers)
    total = time.perf_counter() - t0
    t = r.timings
    print(f"optimize --uncertain {args.futures} --risk {args.risk} (nfpp, seed {args.seed}): total {total:.1f} s (target 60 s) = "
          f"deterministic path {t['deterministic']:.1f} + futures' coefficients {t['draws'] + t['coefficients']:.1f} + "
          f"extensive form build {t['build']:.1f} + solve {t['solve']:.1f} ("
          + ", ".join(f"{k} {v.seconds:.1f} s {v.status}" for k, v in r.status.items())
          + f") + per-future recourse {t['recourse']:.1f} ({r.workers}); "
          f"RP {r.rp:.3f}, VSS {r.vss:.3f}, EVPI {r.evpi:.3f} USD/kWh")


if __name__ == "__main__":
    main()
