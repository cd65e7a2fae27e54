"""Benchmark: the stochastic optimizer (``optimize --uncertain 50``) on the bundled data.

Target (issue 16): the default instance with 50 price futures in under 60 s on 2 cores, build and solve times printed
apart. The run is the command's: the deterministic path, 50 futures' engine coefficients, the per-future solves
(perfect foresight and each candidate first year) on a local Dask cluster of one worker per core, and, when the
scenario decomposition does not prove the answer (or with ``--method extensive``), the extensive form (built, then
solved in two phases) and the stochastic plan's recourse.
Run: ``python benchmarks/bench_stochastic.py [--futures 50] [--risk mean|cvar90] [--method auto|extensive]``.
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
    parser.add_argument("--method", default="auto", help="auto or extensive")
    args = parser.parse_args()

    model = Model()
    data = load_default("nfpp", model.dataset)
    t0 = time.perf_counter()
    r = optimize_uncertain(model, data, draws=args.futures, seed=args.seed, risk=args.risk, workers=args.workers,
                           method=args.method)
    total = time.perf_counter() - t0
    t = r.timings
    print(f"optimize --uncertain {args.futures} --risk {args.risk} --method {args.method} (nfpp, seed {args.seed}): "
          f"total {total:.1f} s (target 60 s) = "
          f"deterministic path {t['deterministic']:.1f} + futures' coefficients {t['draws'] + t['coefficients']:.1f} + "
          f"extensive form build {t.get('build', 0.0):.1f} + solve {t.get('solve', 0.0):.1f} + per-future solves "
          f"{t['recourse']:.1f} ({r.workers}); "
          + ", ".join(f"{k}: {v.status} in {v.seconds:.1f} s" for k, v in r.status.items()) + "; "
          f"RP {r.rp:.3f}, VSS {r.vss:.3f}, EVPI {r.evpi:.3f} USD/kWh")


if __name__ == "__main__":
    main()
