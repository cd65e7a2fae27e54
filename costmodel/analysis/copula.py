"""Correlated draws: a Gaussian copula with triangular or PERT marginals, and rank correlation.

Rank (Spearman) correlations requested between inputs are turned into the correlations of the
underlying normal scores that produce them, ρ = 2 sin(π ρ_s / 6) (exact for a Gaussian copula,
Kruskal 1958), repaired to the nearest positive-definite matrix by eigenvalue clipping when the
requested set is inconsistent, and applied through its Cholesky factor. Normal scores become
uniforms through Φ, and uniforms become prices through each marginal's inverse CDF; monotone
transforms keep rank correlations, so the prices carry the requested Spearman correlations.

Φ and its inverse are ``scipy.special.ndtr``/``ndtri`` (full double precision in both tails); the PERT inverse
interpolates the exact regularized incomplete beta function (``scipy.special.betainc``) tabulated once per item.
Uniforms come from a seeded generator (plain random draws) or from a scrambled Sobol sequence
(``scipy.stats.qmc``, quasi-random: see ``montecarlo``); ``copula_uniforms`` gives either the copula's correlations.

References:
    W. H. Kruskal, Ordinal measures of association, JASA 53 (1958) 814-861.
    I. M. Sobol', Distribution of points in a cube and approximate evaluation of integrals, USSR Comput. Math. Math.
        Phys. 7 (1967) 86-112; A. B. Owen, Scrambling Sobol' and Niederreiter-Xing points, J. Complexity 14 (1998) 466-489.
    D. Vose, Risk Analysis, 3rd ed., Wiley 2008: triangular and PERT distributions.
"""

from __future__ import annotations

import numpy as np
from scipy import special


def erfc(x: np.ndarray) -> np.ndarray:
    """Complementary error function, vectorized (``scipy.special.erfc``)."""
    return special.erfc(np.asarray(x, dtype=float))


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """Standard normal CDF Φ(z), vectorized (``scipy.special.ndtr``: full precision in both tails)."""
    return special.ndtr(np.asarray(z, dtype=float))


def normal_ppf(u: np.ndarray) -> np.ndarray:
    """Inverse standard normal CDF Φ⁻¹(u), vectorized (``scipy.special.ndtri``)."""
    return special.ndtri(np.asarray(u, dtype=float))


def _widths(low: np.ndarray, mode: np.ndarray, high: np.ndarray):
    """Range made to contain the mode; width, and a safe (non-zero) width for division."""
    low = np.minimum(low, mode)
    high = np.maximum(high, mode)
    width = high - low
    return low, high, width, np.where(width > 0, width, 1.0)


def triangular_ppf(u: np.ndarray, low: np.ndarray, mode: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Inverse CDF of the triangular distribution (low, mode, high); a zero-width range returns the mode exactly.

    F⁻¹(u) = low + √(u (high − low)(mode − low)) below u = (mode − low)/(high − low), else
    high − √((1 − u)(high − low)(high − mode)).

    Args:
        u: uniforms in [0, 1], shape (n, k). low, mode, high: shape (k,), in any one unit per column.
    """
    mode = np.asarray(mode, float)
    low, high, _, safe = _widths(np.asarray(low, float), mode, np.asarray(high, float))
    below = u < (mode - low) / safe
    root = np.sqrt(np.where(below, u * (safe * (mode - low)), (1.0 - u) * (safe * (high - mode))))
    return np.where(below, low + root, high - root)  # zero width: root = 0 and low = high = mode


PERT_GRID = 4097
"""Points of the tabulated (exact) Beta CDF behind ``pert_ppf`` (inverse error below 1e-6 of the range)."""


def pert_shape(low: np.ndarray, mode: np.ndarray, high: np.ndarray, lam: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    """Beta shape parameters (α, β) of the PERT distribution: α = 1 + λ(m − a)/(b − a), β = 1 + λ(b − m)/(b − a)."""
    low, high, width, safe = _widths(np.asarray(low, float), np.asarray(mode, float), np.asarray(high, float))
    frac = np.where(width > 0, (np.asarray(mode, float) - low) / safe, 0.5)
    return 1.0 + lam * frac, 1.0 + lam * (1.0 - frac)


def _beta_cdf_table(alpha: float, beta: float, grid: np.ndarray) -> np.ndarray:
    """Beta(α, β) CDF on ``grid`` (the regularized incomplete beta function, ``scipy.special.betainc``)."""
    return special.betainc(alpha, beta, grid)


PERT_LOOKUP = 2**14 + 1
"""Points of the inverse table on a uniform grid of u, used between ``PERT_TAIL`` and 1 − ``PERT_TAIL``."""

PERT_TAIL = 2.0**-6
"""Below this probability (and above 1 minus it) the inverse is read from the CDF table itself (steep tails)."""


class PertInverse:
    """Inverse CDF of the PERT distribution for k columns, tables built once.

    PERT is a Beta(α, β) on [low, high] with mean (low + λ·mode + high)/(λ + 2). The Beta CDF of
    each column is tabulated on ``PERT_GRID`` points (``scipy.special.betainc``). In the body
    (``PERT_TAIL`` ≤ u ≤ 1 − ``PERT_TAIL``) the inverse is interpolated from a table on a uniform
    grid of u (index arithmetic, no search); in the tails, where the inverse is steep, by searching the
    CDF table. Either way the error is below 1e-6 of the range. A zero-width range returns the mode exactly.
    """

    def __init__(self, low: np.ndarray, mode: np.ndarray, high: np.ndarray, lam: float = 4.0) -> None:
        self.mode = np.asarray(mode, float)
        self.low, self.high, self.width, _ = _widths(np.asarray(low, float), self.mode, np.asarray(high, float))
        alpha, beta = pert_shape(self.low, self.mode, self.high, lam)
        self.grid = np.linspace(0.0, 1.0, PERT_GRID)
        flat = _beta_cdf_table(1.0, 1.0, self.grid)  # zero-width columns: any table, overwritten by the mode
        self.cdf = [_beta_cdf_table(float(a), float(b), self.grid) if w > 0 else flat
                    for a, b, w in zip(alpha, beta, self.width, strict=True)]
        u_grid = np.linspace(0.0, 1.0, PERT_LOOKUP)
        self.table = np.concatenate([np.interp(u_grid, c, self.grid) for c in self.cdf])
        self.offset = np.arange(len(self.cdf)) * PERT_LOOKUP

    def __call__(self, u: np.ndarray) -> np.ndarray:
        """Values for uniforms ``u`` (n × k)."""
        pos = u * (PERT_LOOKUP - 1)
        i = np.minimum(pos.astype(np.intp), PERT_LOOKUP - 2)
        frac = pos - i
        i += self.offset
        lo = self.table[i]
        x = lo + frac * (self.table[i + 1] - lo)
        tails = (u < PERT_TAIL) | (u > 1.0 - PERT_TAIL)
        for j in np.flatnonzero(tails.any(axis=0)):
            rows = tails[:, j]
            x[rows, j] = np.interp(u[rows, j], self.cdf[j], self.grid)
        out = self.low + self.width * x
        flat = self.width <= 0
        if flat.any():
            out[:, flat] = self.mode[flat]
        return out


def pert_ppf(u: np.ndarray, low: np.ndarray, mode: np.ndarray, high: np.ndarray, lam: float = 4.0) -> np.ndarray:
    """Inverse CDF of the PERT distribution (see ``PertInverse``); u is n × k, low/mode/high have k entries."""
    return PertInverse(low, mode, high, lam)(np.asarray(u, dtype=float))


def marginal(dist: str, low: np.ndarray, mode: np.ndarray, high: np.ndarray):
    """The inverse CDF u (n × k) → values of ``dist`` (``triangular`` or ``pert``) with these ranges, set up once."""
    if dist == "pert":
        return PertInverse(low, mode, high)
    if dist == "triangular":
        return lambda u: triangular_ppf(u, low, mode, high)
    raise ValueError(f"unknown distribution {dist!r}")


MARGINALS = ("triangular", "pert")
"""Names of the marginal distributions."""


def normal_correlation(rank_corr: np.ndarray) -> np.ndarray:
    """Normal-score correlation matrix giving the requested Spearman matrix, made positive definite if needed."""
    rho = 2.0 * np.sin(np.pi * np.asarray(rank_corr, dtype=float) / 6.0)
    np.fill_diagonal(rho, 1.0)
    w, v = np.linalg.eigh(rho)
    if w.min() < 1e-10:
        w = np.clip(w, 1e-10, None)
        rho = v @ np.diag(w) @ v.T
        d = np.sqrt(np.diag(rho))
        rho = rho / np.outer(d, d)
    return rho


def linked_columns(chol: np.ndarray) -> np.ndarray:
    """Indices of the columns that take part in any correlation (the rest are independent)."""
    off = np.abs(np.tril(chol, -1))  # the Cholesky factor is lower triangular
    return np.flatnonzero(off.sum(axis=0) + off.sum(axis=1) > 0)


TILE = 4096
"""Rows transformed at a time: keeps the temporaries of Φ and of the inverse CDFs in cache (about 2x faster)."""


def correlated_uniforms(n: int, chol: np.ndarray, rng_u: np.random.Generator, rng_z: np.random.Generator | None = None) -> np.ndarray:
    """``n`` rows of uniforms whose normal scores have correlation ``chol @ chol.T``.

    Independent columns are plain uniforms from ``rng_u`` (same distribution, no Φ to evaluate);
    correlated columns are Φ(Z Lᵀ) with Z from ``rng_z`` (``rng_u`` when omitted). Each stream is
    filled row by row, so the first m rows do not depend on n.
    """
    k = chol.shape[0]
    linked = linked_columns(chol)
    free = np.setdiff1d(np.arange(k), linked)
    u = np.empty((n, k))
    if free.size:
        u[:, free] = rng_u.random((n, free.size))
    if linked.size:
        sub_t = chol[np.ix_(linked, linked)].T
        z = (rng_z if rng_z is not None else rng_u).standard_normal((n, linked.size))
        for a in range(0, n, TILE):
            u[a:a + TILE, linked] = np.clip(normal_cdf(z[a:a + TILE] @ sub_t), 1e-15, 1 - 1e-15)
    return u


def copula_uniforms(u: np.ndarray, chol: np.ndarray) -> np.ndarray:
    """Independent uniforms ``u`` (n × k; e.g. a Sobol block) made into uniforms whose normal scores have correlation
    ``chol @ chol.T``: correlated columns become Φ(Φ⁻¹(u) Lᵀ), independent ones are kept. Changed in place and returned."""
    linked = linked_columns(chol)
    if linked.size:
        sub_t = chol[np.ix_(linked, linked)].T
        for a in range(0, u.shape[0], TILE):
            z = normal_ppf(np.clip(u[a:a + TILE, linked], 1e-15, 1 - 1e-15))
            u[a:a + TILE, linked] = np.clip(normal_cdf(z @ sub_t), 1e-15, 1 - 1e-15)
    return u


def transform(u: np.ndarray, ppf) -> np.ndarray:
    """``ppf(u)`` tile by tile (the same numbers, less memory traffic)."""
    out = np.empty(u.shape)
    for a in range(0, u.shape[0], TILE):
        out[a:a + TILE] = ppf(u[a:a + TILE])
    return out


def ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 0..n−1 along the last axis (ties broken by sort order; negligible for continuous draws)."""
    x = np.atleast_2d(x)
    out = np.empty(x.shape, dtype=float)
    idx = np.argsort(x, axis=-1)
    np.put_along_axis(out, idx, np.broadcast_to(np.arange(x.shape[-1], dtype=float), x.shape), axis=-1)
    return out


def rank_scores(x: np.ndarray) -> np.ndarray:
    """Centred, unit-norm ranks of each row of ``x`` (k × n); a constant row scores 0."""
    r = ranks(x)
    r -= (r.shape[-1] - 1) / 2.0
    norm = np.sqrt((r * r).sum(axis=-1, keepdims=True))
    const = np.ptp(x, axis=-1, keepdims=True) == 0
    return np.where(const, 0.0, r / np.where(norm == 0, 1.0, norm))


def spearman_matrix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman rank correlations between the columns of x (n×k) and of y (n×d), as a k×d matrix.

    The Pearson correlation of the ranks; a constant column has no rank correlation: its entries are 0.
    """
    return rank_scores(np.ascontiguousarray(np.asarray(x, float).T)) @ rank_scores(np.ascontiguousarray(np.asarray(y, float).T)).T
