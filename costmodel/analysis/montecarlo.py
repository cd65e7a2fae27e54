"""Monte Carlo over price uncertainty: triangular marginals (low, mode = table value, high), Gaussian copula.

Draws are made and evaluated in chunks, so memory stays bounded for any N; only the per-design
totals are kept (8 bytes × N × designs) for exact percentiles. Spearman influence is computed on the
first INFLUENCE_SAMPLE draws of each chunk and averaged with chunk weights (sampling error about
1/sqrt(draws used), i.e. < 0.005 from 50,000 draws). A given seed and chunk size always give the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from costmodel.analysis.copula import correlated_uniforms, normal_correlation, spearman_matrix, triangular_ppf
from costmodel.analysis.inputs import price_ranges
from costmodel.model import Model

INFLUENCE_SAMPLE = 50_000
"""Draws per chunk used for the Spearman influence estimate."""


def load_correlations() -> pd.DataFrame:
    """The packaged rank-correlation table (a, b, rho, source, date, status)."""
    with resources.files("costmodel.data").joinpath("correlations.csv").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, keep_default_na=False)


@dataclass(frozen=True)
class MonteCarloResult:
    """Monte Carlo output.

    Attributes:
        totals: design → array of N totals (USD/kWh).
        summary: design, mean, p5, p50, p95, p_beats_reference (sodium designs vs the reference).
        influence: input, design, spearman (rank correlation of the input draw with the design's cost).
        inputs: the varied inputs with low, mode, high (quoted units).
        n, seed, distribution: run settings.
    """

    totals: dict[str, np.ndarray]
    summary: pd.DataFrame
    influence: pd.DataFrame
    inputs: pd.DataFrame
    n: int
    seed: int
    distribution: str


def monte_carlo(
    model: Model,
    n: int,
    seed: int = 0,
    year: int | None = None,
    designs: Sequence[str] | None = None,
    chunk: int = 250_000,
    correlations: pd.DataFrame | None = None,
    progress: Callable[[int], None] | None = None,
) -> MonteCarloResult:
    """Draw ``n`` price scenarios and evaluate every design on each.

    Args:
        model: the model (its Prices table gives low/high per item and year).
        n: number of draws. seed: random seed. chunk: draws per engine call.
        correlations: rank correlations (a, b, rho) between price items; the packaged table by default.
        progress: called with the number of draws done after each chunk.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    year = model.base_year if year is None else year
    designs = model.check_designs(designs)
    pset = model.parameters(year)
    ranges = price_ranges(model, year)
    ranges = ranges[np.isfinite(ranges["low"]) & np.isfinite(ranges["high"])]
    items = list(ranges.index)
    low = ranges["low"].to_numpy(float)
    high = ranges["high"].to_numpy(float)
    mode = np.array([pset.values[f"price.{i}"] for i in items])
    corr = np.eye(len(items))
    table = load_correlations() if correlations is None else correlations
    pos = {it: k for k, it in enumerate(items)}
    for r in table.itertuples():
        if r.a in pos and r.b in pos:
            corr[pos[r.a], pos[r.b]] = corr[pos[r.b], pos[r.a]] = float(r.rho)
    chol = np.linalg.cholesky(normal_correlation(corr))
    rng = np.random.default_rng(seed)
    out = {d: np.empty(n) for d in designs}
    infl = np.zeros((len(items), len(designs)))
    done = 0
    while done < n:
        m = min(chunk, n - done)
        u = correlated_uniforms(rng, m, chol)
        x = triangular_ppf(u, low, mode, high)
        values = dict(pset.values)
        values.update({f"price.{it}": x[:, k] for k, it in enumerate(items)})
        res = model.evaluate_arrays(values, pset.choices, designs)
        for d in designs:
            out[d][done:done + m] = np.broadcast_to(np.asarray(res[d].total, dtype=float), (m,))
        if m > 2:
            s = min(m, INFLUENCE_SAMPLE)
            t = np.column_stack([out[d][done:done + s] for d in designs])
            infl += m * spearman_matrix(x[:s], t)
        done += m
        if progress:
            progress(done)
    infl /= n
    ref = model.dataset.reference_design
    rows = []
    for d in designs:
        t = out[d]
        p5, p50, p95 = np.percentile(t, [5, 50, 95])
        beats = float(np.mean(t < out[ref])) if ref in out and d != ref else np.nan
        rows.append((d, float(t.mean()), p5, p50, p95, beats))
    summary = pd.DataFrame(rows, columns=["design", "mean", "p5", "p50", "p95", "p_beats_reference"])
    influence = pd.DataFrame(
        [(it, d, infl[k, j]) for k, it in enumerate(items) for j, d in enumerate(designs)], columns=["input", "design", "spearman"]
    )
    inputs = pd.DataFrame({"item": items, "low": low, "mode": mode, "high": high, "unit": ranges["unit"].to_numpy()})
    return MonteCarloResult(out, summary, influence, inputs, n, seed, "triangular (low, mode = table value, high)")
