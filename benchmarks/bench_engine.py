"""Benchmark: 1,000,000 scenarios of one design in one vectorized engine call vs a per-scenario loop.

Targets on a 2-core machine (issue 2): 1e6 full evaluations < 0.5 s, peak memory < 1.5 GB, and at least
200x the throughput of calling the engine once per scenario. Run: ``python benchmarks/bench_engine.py``.
Ratios are measured in this one run, so they hold on any machine load.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from costmodel import Model


def draws(values: dict[str, float], n: int, seed: int, design: str) -> dict[str, np.ndarray]:
    """Every price and key design inputs (loading, coating density, electrolyte fill, cell height: geometry
    is vectorized too) drawn uniformly within ±30 % / ±10 % of the base."""
    rng = np.random.default_rng(seed)
    keys = [k for k in values if k.startswith("price.")]
    keys += [f"design.{design}.{p}" for p in ("cathode_loading_mg_cm2", "cathode_density_g_cm3", "electrolyte_fill_factor",
                                             "cell_height_mm", "utilisation", "plant_capacity_gwh")]
    out = {}
    for k in keys:
        width = 0.3 if k.startswith("price.") else 0.1
        out[k] = values[k] * rng.uniform(1 - width, 1 + width, n)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=1_000_000)
    parser.add_argument("--loop-sample", type=int, default=300)
    parser.add_argument("--design", default="nfpp")
    args = parser.parse_args()

    model = Model()
    pset = model.parameters(2025)
    inputs = {**pset.values, **draws(pset.values, args.n, 1, args.design)}
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    model.evaluate_arrays({k: (v[:1000] if isinstance(v, np.ndarray) else v) for k, v in inputs.items()}, pset.choices, [args.design])

    best = float("inf")
    for _ in range(3):
        total = None  # release the previous run's result arrays before the next run
        t0 = time.perf_counter()
        total = model.evaluate_arrays(inputs, pset.choices, [args.design])[args.design].total
        best = min(best, time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert total.shape == (args.n,) and np.isfinite(total).all()

    m = args.loop_sample
    t0 = time.perf_counter()
    for i in range(m):
        one = {k: (v[i] if isinstance(v, np.ndarray) else v) for k, v in inputs.items()}
        loop_total = model.evaluate_arrays(one, pset.choices, [args.design])[args.design].total
        assert abs(float(loop_total) - total[i]) <= 1e-9 * total[i]
    per_scenario = (time.perf_counter() - t0) / m

    vec_rate = args.n / best
    loop_rate = 1.0 / per_scenario
    print(f"design {args.design}: {args.n:,} scenarios in one call: {best:.3f} s ({vec_rate:,.0f} scenarios/s)")
    print(f"per-scenario loop ({m} sampled): {per_scenario * 1e3:.3f} ms each ({loop_rate:,.0f} scenarios/s)")
    print(f"speed-up vectorized / loop: {vec_rate / loop_rate:,.0f}x   (target >= 200x)")
    print(f"peak RSS: {peak:,.0f} MB (before the run {rss0:,.0f} MB)   (target < 1,500 MB)")
    print(f"time target (< 0.5 s for 1e6): {'met' if best < 0.5 * args.n / 1e6 else 'MISSED'}")


if __name__ == "__main__":
    main()
