"""Price response to tight supply, and the fixed point of prices, cell cost and demand.

Supply curve (ASSUMPTION, editable per material in the Capacity table and by ``capacity.<m>.*`` overrides):
the price multiplier rises linearly with utilisation u = demand / nameplate in two tiers,

    m(u) = min(price_cap, 1 + price_slope × clip(u − threshold, 0, ceiling − threshold)
                              + shortage_slope × max(0, u − ceiling))

monotone non-decreasing in u because both slopes are non-negative and the cap is at least 1 (checked when read). The multiplier applies to
the material's price of the period (``price.<material>``); a precursor's rise reaches its products through the
engine's price links (coconut-shell charcoal → coconut hard carbon).

Fixed point: prices → engine cell cost → segment demand (cost elasticity) → material demand → utilisation →
multipliers. ``solve`` iterates m ← m + damping × (F(m) − m) until the largest change is below ``tol``; it
reports the iterations, and says so when it does not converge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def price_multiplier(u: np.ndarray, threshold: np.ndarray, ceiling: np.ndarray, price_slope: np.ndarray,
                     shortage_slope: np.ndarray, price_cap: np.ndarray | float = np.inf) -> np.ndarray:
    """Price multiplier (-) at utilisation ``u`` (-); 1 below the threshold, 1 where ``u`` is NaN (no capacity)."""
    u = np.nan_to_num(np.asarray(u, dtype=float), nan=0.0, posinf=1e6)
    tier1 = np.clip(u - threshold, 0.0, np.maximum(ceiling - threshold, 0.0))
    tier2 = np.maximum(u - ceiling, 0.0)
    return np.minimum(1.0 + price_slope * tier1 + shortage_slope * tier2, np.maximum(price_cap, 1.0))


@dataclass(frozen=True)
class FixedPoint:
    """Outcome of the fixed-point iteration.

    Attributes:
        value: the multipliers at the end (M, P).
        iterations: evaluations of F made.
        converged: the last change was below the tolerance.
        change: largest absolute change of a multiplier in the last iteration.
        worst: (row, column) of that change.
    """

    value: np.ndarray
    iterations: int
    converged: bool
    change: float
    worst: tuple[int, int]


def solve(step: Callable[[np.ndarray], np.ndarray], start: np.ndarray, *, tol: float = 1e-6, max_iter: int = 200,
          damping: float = 0.5) -> FixedPoint:
    """Iterate ``m ← m + damping × (step(m) − m)`` from ``start`` until the largest change is below ``tol``.

    Args:
        step: F, the multipliers implied by multipliers ``m``.
        tol: convergence tolerance on the multipliers (-).
        max_iter: most evaluations of ``step``.
        damping: share of the step taken (0 < damping ≤ 1); below 1 it calms oscillations.
    """
    m = np.array(start, dtype=float)
    change, worst = float("inf"), (0, 0)
    for k in range(1, max_iter + 1):
        target = step(m)
        delta = target - m
        flat = int(np.argmax(np.abs(delta))) if delta.size else 0
        change = float(np.abs(delta).max()) if delta.size else 0.0
        worst = tuple(int(x) for x in np.unravel_index(flat, delta.shape)) if delta.size else (0, 0)
        if change < tol:
            return FixedPoint(target, k, True, change, worst)
        m = m + damping * delta
    return FixedPoint(m, max_iter, False, change, worst)
