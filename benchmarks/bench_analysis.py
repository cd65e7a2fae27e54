"""Benchmark (issue 4): Monte Carlo of 1,000,000 draws across all designs, and a full tornado.

Targets on this 2-core machine: Monte Carlo < 3 s and < 2 GB peak RSS; tornado (40+ parameters, all
designs) < 0.3 s. Run: ``python benchmarks/bench_analysis.py``.
"""

from __future__ import annotations

import resource
import time

from costmodel import Model
from costmodel.analysis.montecarlo import monte_carlo
from costmodel.analysis.sensitivity import tornado


def main() -> None:
    model = Model()
    tornado(model)  # warm-up
    best = min(_timed(lambda: tornado(model)) for _ in range(5))
    t = tornado(model)
    print(f"tornado: {t['parameter'].nunique()} parameters x {t['design'].nunique()} designs in {best * 1e3:.1f} ms "
          f"(target < 300 ms: {'met' if best < 0.3 else 'MISSED'})")
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mc = min(_timed(lambda: monte_carlo(model, 1_000_000, seed=1)) for _ in range(2))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Monte Carlo 1,000,000 draws x 4 designs: {mc:.2f} s (target < 3 s: {'met' if mc < 3 else 'MISSED'})")
    print(f"peak RSS {peak:,.0f} MB (before {rss0:,.0f} MB; target < 2,048 MB: {'met' if peak < 2048 else 'MISSED'})")


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
