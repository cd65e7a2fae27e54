"""End-use demand: market × penetration × kWh per unit → cell demand (GWh) by segment and design.

    segment GWh  G_s = market_s × penetration_s × kwh_per_unit_s / 1e6 × L   (market in units per year; kWh → GWh)
                 G_s = market_s × penetration_s × L                          (market in GWh per year)
                 L = the period's length in years (1 for a year, 1/12 for a month)
    design GWh   D_d = Σ_s G_s × mix_{s,d} × f_s
    response     f_s = (c_s / c0_s)^(−η_s), c_s = Σ_d mix_{s,d} × cost_d  (the segment's mix-weighted cell cost,
                 USD/kWh, against the cost before any price response; η_s = cost_elasticity)
Arrays: segments S × designs D × periods P.
"""

from __future__ import annotations

import numpy as np

from costmodel.supply.params import SupplyParameters, period_length_years


def segment_gwh(params: SupplyParameters) -> np.ndarray:
    """Cell demand of each segment's mix before any price response, GWh per period (S, P)."""
    rows = []
    length = np.array([period_length_years(p) for p in params.periods])
    for s in params.segments:
        market = params.array(f"segment.{s}.market") * length
        pen = params.array(f"segment.{s}.penetration")
        if params.data.market_units.get(s) == "gwh":
            rows.append(market * pen)
        else:
            rows.append(market * pen * params.array(f"segment.{s}.kwh_per_unit") / 1e6)
    return np.array(rows, dtype=float).reshape(len(params.segments), len(params.periods))


def mix(params: SupplyParameters, designs: tuple[str, ...]) -> np.ndarray:
    """Share of each segment's cells by design (S, D, P), each segment summing to 1 over designs."""
    return np.array([[params.array(f"segment.{s}.mix_{d}") for d in designs] for s in params.segments],
                    dtype=float).reshape(len(params.segments), len(designs), len(params.periods))


def elasticity(params: SupplyParameters) -> np.ndarray:
    """Demand response of each segment to its cell cost (S, P), -."""
    return np.array([params.array(f"segment.{s}.cost_elasticity") for s in params.segments],
                    dtype=float).reshape(len(params.segments), len(params.periods))


def response_factor(shares: np.ndarray, cost: np.ndarray, cost0: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """Demand factor of each segment (S, P): (c_s / c0_s)^(−η_s) with c_s the mix-weighted cell cost (USD/kWh).

    Args:
        shares: mix (S, D, P); cost, cost0: cell cost by design (D, P) now and before the price response; eta: (S, P).
    """
    c = np.einsum("sdp,dp->sp", shares, cost)
    c0 = np.einsum("sdp,dp->sp", shares, cost0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(c0 > 0, c / c0, 1.0)
    return ratio ** (-eta)


def design_gwh(seg: np.ndarray, shares: np.ndarray, factor: np.ndarray | None = None) -> np.ndarray:
    """Cell demand by design, GWh per period (D, P): Σ_s G_s × mix_{s,d} × f_s."""
    g = seg if factor is None else seg * factor
    return np.einsum("sp,sdp->dp", g, shares)
