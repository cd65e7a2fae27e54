"""Tolerances of the path optimizer: one MIP gap for both solvers, the slack carried between phases, and the
decimals reported (what the solver tolerance supports)."""

from __future__ import annotations

#: relative MIP gap of every solve (both solvers), and the relative slack of a cost or spend carried to a later phase
MIP_GAP = 1e-6
COST_TOL = 1e-7
#: decimals of reported costs (USD/kWh) and spends (M USD): below the solver tolerance (MIP_GAP on ~50 USD/kWh is
#: 5e-5 USD/kWh), above the round-off of the solution values
COST_DECIMALS, SPEND_DECIMALS = 4, 6


def spend_limit(spend: float) -> float:
    """A spend cap (M USD) that admits ``spend`` as the solver reports it (its round-off and feasibility tolerance)."""
    return spend * (1 + COST_TOL) + 1e-6
