"""Correlated draws: a Gaussian copula with triangular marginals.

Rank (Spearman) correlations requested in the correlation table are converted to the normal
correlations that produce them, ρ = 2 sin(π ρ_s / 6) (Kruskal 1958), repaired to the nearest
positive-definite matrix by eigenvalue clipping if needed, and applied by Cholesky factor.
"""

from __future__ import annotations

import numpy as np


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """Standard normal CDF Φ(z), vectorized (erf by Abramowitz & Stegun 7.1.26, |error| < 1.5e-7)."""
    x = np.abs(z) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-x * x)
    return 0.5 * (1.0 + np.sign(z) * erf)


def triangular_ppf(u: np.ndarray, low: np.ndarray, mode: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Inverse CDF of the triangular distribution (low ≤ mode ≤ high); a zero-width range returns the mode."""
    width = high - low
    safe = np.where(width > 0, width, 1.0)
    c = np.where(width > 0, (mode - low) / safe, 0.5)
    left = low + np.sqrt(u * safe * (mode - low))
    right = high - np.sqrt((1.0 - u) * safe * (high - mode))
    return np.where(width > 0, np.where(u < c, left, right), mode)


def normal_correlation(rank_corr: np.ndarray) -> np.ndarray:
    """Normal-copula correlation matrix giving the requested Spearman matrix, made positive definite."""
    rho = 2.0 * np.sin(np.pi * np.asarray(rank_corr, dtype=float) / 6.0)
    np.fill_diagonal(rho, 1.0)
    w, v = np.linalg.eigh(rho)
    if w.min() < 1e-10:
        w = np.clip(w, 1e-10, None)
        rho = v @ np.diag(w) @ v.T
        d = np.sqrt(np.diag(rho))
        rho = rho / np.outer(d, d)
    return rho


def correlated_uniforms(rng: np.random.Generator, n: int, chol: np.ndarray) -> np.ndarray:
    """``n`` rows of uniforms whose normal scores have correlation chol @ chol.T.

    Columns without any correlation are drawn as plain uniforms (same distribution, no CDF cost).
    """
    k = chol.shape[0]
    off = np.abs(np.tril(chol, -1))  # the Cholesky factor is lower triangular
    linked = np.flatnonzero(off.sum(axis=0) + off.sum(axis=1) > 0)
    u = rng.random((n, k))
    if linked.size:
        sub = chol[np.ix_(linked, linked)]
        z = rng.standard_normal((n, linked.size)) @ sub.T
        u[:, linked] = np.clip(normal_cdf(z), 1e-12, 1 - 1e-12)
    return u


def ranks(x: np.ndarray) -> np.ndarray:
    """Column-wise ranks 0..n-1 of a 2-D array (ties are negligible for continuous draws)."""
    out = np.empty(x.shape, dtype=float)
    idx = np.argsort(x, axis=0)
    np.put_along_axis(out, idx, np.arange(x.shape[0], dtype=float)[:, None], axis=0)
    return out


def spearman_matrix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman rank correlations between the columns of x (n×k) and of y (n×d), as a k×d matrix.

    A constant column has no rank correlation: its entries are 0.
    """
    rx, ry = ranks(x), ranks(y)
    rx -= rx.mean(axis=0)
    ry -= ry.mean(axis=0)
    sx = np.sqrt((rx * rx).sum(axis=0))
    sy = np.sqrt((ry * ry).sum(axis=0))
    num = rx.T @ ry
    den = np.outer(sx, sy)
    const = (np.ptp(x, axis=0)[:, None] == 0) | (np.ptp(y, axis=0)[None, :] == 0)
    return np.where(const | (den == 0), 0.0, num / np.where(den == 0, 1.0, den))
