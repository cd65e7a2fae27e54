"""Monte Carlo over price uncertainty: triangular or PERT marginals, Gaussian copula, chunked evaluation.

Marginals. Every price item with a low/high range in the Prices table is drawn between its low and
high with the table value as the mode: triangular (default) or PERT (a Beta with λ = 4, which puts
less weight on the tails). Items without a range are held at their table value; a zero-width range
(low = high) reproduces the deterministic cost exactly.

Correlations. The packaged ``correlations.csv`` gives rank (Spearman) correlations between items,
applied through a Gaussian copula (``copula.py``). Price links are NOT drawn twice: LFP cathode and
LiPF6 follow the Li2CO3 draw, coconut hard carbon the charcoal draw, aluminium foil the aluminium
draw, through the engine's links; the linked item's own draw is its premium at the reference driver
price, and the table gives only the residual correlation of that premium with its driver. The
effective rank correlation of each driver with its linked (effective) price is reported in ``links``.

Streams and memory. Draws come in blocks of ``BLOCK`` rows; block b uses its own generators seeded by
``SeedSequence(seed, spawn_key=(b, 0|1))``, filled row by row. The numbers therefore depend only on
the seed: not on the chunk size (rounded to whole blocks), and the first m draws of a run of N > m
are the draws of a run of m. Each chunk is one engine call on arrays; only the per-design totals
are kept (8 bytes × N × designs: 320 MB for 1e7 draws and 4 designs), so percentiles are exact.

Influence. Spearman rank correlations of each input with each design's cost are computed exactly on
the first ``INFLUENCE_DRAWS`` draws (all of them when N is smaller); their sampling error is about
(1 − ρ²)/√draws, below 0.003.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from costmodel.analysis.copula import (
    MARGINALS,
    copula_uniforms,
    correlated_uniforms,
    marginal,
    normal_correlation,
    rank_scores,
    transform,
)
from costmodel.analysis.inputs import price_ranges
from costmodel.engine.inputs import PriceBook
from costmodel.model import Model
from costmodel.validation import InputError, Problem

BLOCK = 65_536
"""Draws per random-number block (the unit of reproducibility and of chunking)."""

INFLUENCE_DRAWS = 2 * BLOCK
"""Draws used for the Spearman influence estimate."""

SOBOL_INFLUENCE_DRAWS = BLOCK // 2
"""Sobol points used for the influence estimate: quasi-random points estimate these smooth rank integrals at least as
well as four times as many random draws, and ranking is the slowest step of a short Sobol run."""

SAMPLERS = {
    "random": "plain random draws (PCG64 streams per block)",
    "sobol": "scrambled Sobol sequence (scipy.stats.qmc, Owen scrambling, seeded)",
}
"""Where the uniforms come from: ``random`` (independent draws) or ``sobol`` (quasi-random: the percentile error falls
faster than 1/√N: on the bundled data 2^17 Sobol points give the P5/P50/P95 of 10^6 random draws, see bench_analysis)."""

DISTRIBUTIONS = {
    "triangular": "triangular (low, mode = table value, high)",
    "pert": "PERT (Beta, λ = 4; low, mode = table value, high)",
}


def load_correlations() -> pd.DataFrame:
    """The packaged rank-correlation table (a, b, rho, source, date, status)."""
    with resources.files("costmodel.data").joinpath("correlations.csv").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, keep_default_na=False)


def correlation_matrix(items: Sequence[str], table: pd.DataFrame, source: str = "correlations") -> tuple[np.ndarray, pd.DataFrame]:
    """Rank-correlation matrix over ``items`` from a table of pairs, and the pairs used.

    Pairs naming an item that is not drawn (no range, unknown) are skipped; a rho outside [−1, 1], a
    self-pair or a pair given twice with different values is an error.
    """
    pos = {it: k for k, it in enumerate(items)}
    corr = np.eye(len(items))
    used, problems, seen = [], [], {}
    for n, r in enumerate(table.itertuples(index=False), start=2):
        a, b = str(r.a).strip(), str(r.b).strip()
        try:
            rho = float(r.rho)
        except (TypeError, ValueError):
            problems.append(Problem(f"{source} line {n}", f"rho {r.rho!r} is not a number"))
            continue
        if not -1.0 <= rho <= 1.0 or a == b:
            problems.append(Problem(f"{source} line {n}", f"{a}-{b}: rho must lie in [-1, 1] between two different items"))
            continue
        key = tuple(sorted((a, b)))
        if key in seen and seen[key] != rho:
            problems.append(Problem(f"{source} line {n}", f"{a}-{b} given twice with different rho"))
            continue
        seen[key] = rho
        if a in pos and b in pos:
            corr[pos[a], pos[b]] = corr[pos[b], pos[a]] = rho
            used.append((a, b, rho, getattr(r, "status", "")))
    if problems:
        raise InputError(problems, source)
    return corr, pd.DataFrame(used, columns=["a", "b", "rho", "status"])


@dataclass(frozen=True)
class MonteCarloResult:
    """Monte Carlo output.

    Attributes:
        totals: design → array of N totals (USD/kWh), draw i of every design from the same prices.
        summary: design, base (deterministic cost), mean, sd, p5, p50, p95, p_beats_reference and its
            standard error (the share of draws in which the design is cheaper than the reference).
        influence: input, design, spearman (rank correlation of the input's draw with the design's cost).
        inputs: item, unit, low, mode, high, drawn (False: no range, held at the table value).
        correlations: the rank correlations applied (a, b, rho, status).
        links: driver, target, residual_rho, effective_spearman (driver draw vs the linked price).
        n, seed, year, distribution, influence_draws, sampler: run settings.
    """

    totals: dict[str, np.ndarray]
    summary: pd.DataFrame
    influence: pd.DataFrame
    inputs: pd.DataFrame
    correlations: pd.DataFrame
    links: pd.DataFrame
    n: int
    seed: int
    year: int
    distribution: str
    influence_draws: int
    sampler: str = "random"


def _sobol(seed: int, k: int):
    """A scrambled Sobol engine of ``k`` dimensions seeded by ``seed`` (same seed, same points)."""
    from scipy.stats import qmc

    return qmc.Sobol(d=k, scramble=True, seed=np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**31,))))


def _sobol_draws(engine, m: int, chol: np.ndarray, ppf, order: np.ndarray) -> np.ndarray:
    """The next ``m`` points of a Sobol ``engine`` as prices (m × k), with the copula's correlations; Sobol dimension j
    drives item ``order[j]``."""
    import warnings

    with warnings.catch_warnings():  # balance needs powers of 2: a run of another size is still correct, only less even
        warnings.simplefilter("ignore", UserWarning)
        points = engine.random(m)
    u = np.empty_like(points)
    u[:, order] = points
    return transform(copula_uniforms(u, chol), ppf)


def importance_order(model: Model, pset, items: Sequence[str], low: np.ndarray, high: np.ndarray,
                     designs: Sequence[str]) -> np.ndarray:
    """Items by decreasing influence on the costs: each item's low-to-high swing of every design's cost (one engine
    call, the others at their table values), as a share of the design's root-sum-square swing; the largest share
    over designs ranks it. The first Sobol dimensions are the most even, so the inputs that matter get them."""
    k = len(items)
    values = dict(pset.values)
    for j, it in enumerate(items):
        col = np.full(2 * k, float(pset.values[f"price.{it}"]))
        col[2 * j], col[2 * j + 1] = low[j], high[j]
        values[f"price.{it}"] = col
    res = model.evaluate_arrays(values, pset.choices, designs)
    share = np.zeros(k)
    for d in designs:
        t = np.broadcast_to(np.asarray(res[d].total, dtype=float), (2 * k,))
        swing = np.abs(t[1::2] - t[0::2])
        norm = np.sqrt((swing ** 2).sum())
        if norm > 0:
            share = np.maximum(share, swing / norm)
    return np.argsort(-share, kind="stable")


def _block_draws(seed: int, block: int, m: int, chol: np.ndarray, ppf) -> np.ndarray:
    """The first ``m`` rows of block ``block``: prices (m × k) in each item's quoted unit."""
    rng_u = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block, 0)))
    rng_z = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block, 1)))
    return transform(correlated_uniforms(m, chol, rng_u, rng_z), ppf)


def monte_carlo(
    model: Model,
    n: int,
    seed: int = 0,
    year: int | None = None,
    designs: Sequence[str] | None = None,
    chunk: int = 200_000,
    dist: str = "triangular",
    correlations: pd.DataFrame | None = None,
    progress: Callable[[int], None] | None = None,
    sampler: str = "random",
) -> MonteCarloResult:
    """Draw ``n`` price scenarios and evaluate every design on each (the same draw for all designs).

    Args:
        model: the model; its Prices table gives low/high per item and year.
        n: number of draws. seed: random seed (same seed, same numbers, whatever ``chunk``).
        year: price year (the base year when omitted).
        chunk: draws per engine call, rounded down to whole blocks of ``BLOCK`` (at least one).
        dist: ``triangular`` or ``pert``.
        correlations: rank correlations (a, b, rho) between price items; the packaged table by default.
        progress: called with the number of draws done after each chunk.
        sampler: ``random`` (independent draws, per-block streams) or ``sobol`` (a scrambled Sobol sequence seeded by
            ``seed``: the first m points of a run of N are those of a run of m; powers of 2 are the most even).
    """
    if n < 1:
        raise InputError([Problem("-n", "the number of draws must be at least 1")], "montecarlo")
    if sampler not in SAMPLERS:
        raise InputError([Problem("--sampler", f"unknown sampler {sampler!r}; choose {' or '.join(SAMPLERS)}")], "montecarlo")
    if dist not in MARGINALS:
        raise InputError([Problem("--dist", f"unknown distribution {dist!r}; choose {' or '.join(MARGINALS)}")], "montecarlo")
    pset = model.parameters(year)
    designs = model.check_designs(designs)
    inputs, items, (low, _, high), used, chol, ppf = _copula(model, pset, dist, correlations)

    per_chunk = max(1, int(chunk) // BLOCK)
    totals = {d: np.empty(n) for d in designs}
    keep = min(n, INFLUENCE_DRAWS if sampler == "random" else SOBOL_INFLUENCE_DRAWS)
    sample = np.empty((len(items), keep))  # item-major, for ranking
    done, block = 0, 0
    engine = _sobol(seed, len(items)) if sampler == "sobol" and items else None
    order = importance_order(model, pset, items, low, high, designs) if engine is not None else None
    while done < n:
        rows = min(per_chunk * BLOCK, n - done)
        x = np.empty((len(items), rows))  # item-major: each price is a contiguous array for the engine
        at = 0
        while at < rows:
            m = min(BLOCK, rows - at)
            xb = _sobol_draws(engine, m, chol, ppf, order) if engine is not None else _block_draws(seed, block, m, chol, ppf)
            x[:, at:at + m] = xb.T
            if done + at < keep:
                s = min(m, keep - done - at)
                sample[:, done + at:done + at + s] = xb[:s].T
            at += m
            block += 1
        values = dict(pset.values)
        values.update({f"price.{it}": x[j] for j, it in enumerate(items)})
        res = model.evaluate_arrays(values, pset.choices, designs)
        for d in designs:
            totals[d][done:done + rows] = np.broadcast_to(np.asarray(res[d].total, dtype=float), (rows,))
        done += rows
        if progress:
            progress(done)

    base = model.evaluate_arrays(pset.values, pset.choices, designs)
    ref = model.dataset.reference_design
    rows_out = []
    for d in designs:
        t = totals[d]
        p5, p50, p95 = np.percentile(t, [5, 50, 95])
        if ref in totals and d != ref:
            p = float(np.mean(t < totals[ref]))
            se = float(np.sqrt(p * (1 - p) / n))
        else:
            p = se = np.nan
        rows_out.append((d, float(np.asarray(base[d].total)), float(t.mean()), float(t.std()), p5, p50, p95, p, se))
    summary = pd.DataFrame(rows_out, columns=["design", "base", "mean", "sd", "p5", "p50", "p95", "p_beats_reference", "p_beats_stderr"])

    scores = rank_scores(sample)
    infl = scores @ rank_scores(np.vstack([totals[d][:keep] for d in designs])).T
    influence = pd.DataFrame(
        [(it, d, float(infl[k, j])) for k, it in enumerate(items) for j, d in enumerate(designs)], columns=["input", "design", "spearman"]
    )
    links = _link_correlations(model, pset, items, sample, scores, used)
    return MonteCarloResult(totals, summary, influence, inputs, used, links, n, seed, pset.year, DISTRIBUTIONS[dist], keep, sampler)


def price_inputs(model: Model, year: int, values) -> pd.DataFrame:
    """Price items with their range: item, unit, low, mode (the parameter value), high, drawn.

    An item is drawn when its low and high are both given; a range not containing the value is
    widened to contain it.
    """
    r = price_ranges(model, year)
    mode = np.array([float(values[f"price.{i}"]) for i in r.index])
    low, high = r["low"].to_numpy(float), r["high"].to_numpy(float)
    drawn = np.isfinite(low) & np.isfinite(high)
    low = np.where(drawn, np.minimum(low, mode), mode)
    high = np.where(drawn, np.maximum(high, mode), mode)
    return pd.DataFrame({"item": r.index, "unit": r["unit"].to_numpy(), "low": low, "mode": mode, "high": high, "drawn": drawn})


def _link_correlations(model: Model, pset, items: list[str], sample: np.ndarray, scores: np.ndarray, used: pd.DataFrame) -> pd.DataFrame:
    """Rank correlation of each link driver's draw with the target's effective (linked) price."""
    pos = {it: k for k, it in enumerate(items)}
    values = dict(pset.values)
    values.update({f"price.{it}": sample[j] for j, it in enumerate(items)})
    book = PriceBook(values, model.dataset.static)
    rho = {tuple(sorted((r.a, r.b))): r.rho for r in used.itertuples()}
    rows = []
    for link in model.dataset.static.links:
        if link.driver not in pos:
            continue
        eff = np.broadcast_to(np.asarray(book[link.target], dtype=float), (sample.shape[1],))
        s = float(rank_scores(eff[None, :])[0] @ scores[pos[link.driver]])
        rows.append((link.driver, link.target, rho.get(tuple(sorted((link.driver, link.target))), 0.0), s))
    return pd.DataFrame(rows, columns=["driver", "target", "residual_rho", "effective_spearman"])


def _copula(model: Model, pset, dist: str, correlations: pd.DataFrame | None):
    """The drawn items of a year and their copula: (inputs table, items, (low, mode, high), correlations used, Cholesky
    factor of the normal correlation, the marginals' inverse CDF)."""
    inputs = price_inputs(model, pset.year, pset.values)
    drawn = inputs[inputs["drawn"]]
    items = list(drawn["item"])
    low, mode, high = (drawn[c].to_numpy(float) for c in ("low", "mode", "high"))
    corr, used = correlation_matrix(items, load_correlations() if correlations is None else correlations)
    chol = np.linalg.cholesky(normal_correlation(corr))
    return inputs, items, (low, mode, high), used, chol, marginal(dist, low, mode, high)


def price_draws(model: Model, n: int, seed: int = 0, year: int | None = None, dist: str = "triangular",
                correlations: pd.DataFrame | None = None) -> tuple[list[str], np.ndarray]:
    """``n`` price futures from the same copula and marginals as ``monte_carlo`` (its first ``n`` random draws).

    Returns:
        (items drawn, prices items × n in each item's quoted unit).
    """
    if n < 1:
        raise InputError([Problem("draws", "the number of price futures must be at least 1")], "montecarlo")
    if dist not in MARGINALS:
        raise InputError([Problem("--dist", f"unknown distribution {dist!r}; choose {' or '.join(MARGINALS)}")], "montecarlo")
    _, items, _, _, chol, ppf = _copula(model, model.parameters(year), dist, correlations)
    x = np.empty((len(items), n))
    at, block = 0, 0
    while at < n:
        m = min(BLOCK, n - at)
        x[:, at:at + m] = _block_draws(seed, block, m, chol, ppf).T
        at += m
        block += 1
    return items, x
