"""Benchmark (issue 4): Monte Carlo of 1,000,000 draws across all designs, and a full tornado.

Targets on this 2-core machine: Monte Carlo < 3 s and < 2 GB peak RSS; tornado (40+ parameters,
all designs, one engine call) < 0.3 s. Also timed: the PERT marginals, break-even and an exact
Shapley diff. Run: ``python benchmarks/bench_analysis.py``.
"""

from __future__ import annotations

import resource
import time

from costmodel import Model
from costmodel.analysis.attribution import shapley
from costmodel.analysis.breakeven import break_even
from costmodel.analysis.montecarlo import monte_carlo
from costmodel.analysis.sensitivity import tornado
from costmodel.scenario import apply_overrides


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> None:
    model = Model()
    monte_carlo(model, 1000)  # warm-up: imports, catalog, first engine call
    before = _peak_mb()
    mc = _best(lambda: monte_carlo(model, 1_000_000, seed=1), 2)
    peak = _peak_mb()
    designs = len(model.dataset.design_names)
    print(f"Monte Carlo 1,000,000 draws x {designs} designs (triangular, copula, chunks of 196,608): {mc:.2f} s "
          f"(target < 3 s: {_verdict(mc < 3)})")
    print(f"  peak RSS {peak:,.0f} MB (before {before:,.0f} MB; target < 2,048 MB: {_verdict(peak < 2048)})")
    pert = _best(lambda: monte_carlo(model, 1_000_000, seed=1, dist="pert"), 1)
    print(f"Monte Carlo 1,000,000 draws, PERT marginals: {pert:.2f} s")

    tornado(model)
    best = _best(lambda: tornado(model), 5)
    t = tornado(model)
    print(f"tornado: {t['parameter'].nunique()} parameters x {t['design'].nunique()} designs in one engine call: {best * 1e3:.1f} ms "
          f"(target < 300 ms: {_verdict(best < 0.3)})")

    be = _best(lambda: break_even(model, "price.li2co3", "nfpp", "lfp", hi=1e6), 3)
    print(f"break-even Li2CO3 NFPP vs LFP (513-point scan + refinement to 1e-10): {be * 1e3:.1f} ms")

    pset = model.parameters()
    texts = ["price.nfpp=x1.1", "price.hc_coconut=x1.2", "price.li2co3=60000", "price.vc=x2", "price.fec=x2", "price.lipf6=x1.5",
             "price.al_foil=x1.1", "design.nfpp.cell_yield=0.95", "material.nfpp.capacity_ah_kg=120", "fx.cny_per_usd=7.2",
             "global.wacc=0.1", "design.nfpp.anode_material=hc_bamboo"]
    b = apply_overrides(pset, texts)
    sh = _best(lambda: shapley(model, (pset.values, pset.choices), b), 2)
    print(f"Shapley diff, 12 inputs (4,096 coalitions, 2 choice patterns), all designs: {sh * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
