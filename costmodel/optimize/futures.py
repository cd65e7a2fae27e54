"""How a chosen path fares across price futures (``optimize --evaluate-path N``).

The deterministic path's final year (its levers, routes, plant and cumulative output, its supplier contracts) is
costed by the engine on N price futures drawn from the Monte Carlo copula (the same marginals and rank correlations
as ``montecarlo``), in one vectorized call. A supplied item keeps its contract's premium or discount over the market:
its contract price moves with the item's drawn market price in proportion. The same futures cost the base year as
it stands, so each future has its own base, and "halving" can be read against the fixed target (half of today's
base) or against that future's own base.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from costmodel.analysis.montecarlo import price_draws
from costmodel.model import Model
from costmodel.optimize.coefficients import globals_of
from costmodel.optimize.context import point_values
from costmodel.optimize.data import OptimizerData
from costmodel.optimize.path import PathResult


@dataclass(frozen=True)
class PathFutures:
    """The final-year cost of a path across price futures.

    Attributes:
        final: final-year engine cost per future (USD/kWh). base: base-year cost per future (USD/kWh).
        target: the fixed target (USD/kWh). fraction: the target as a fraction of the base.
        draws, seed: the futures drawn.
    """

    final: np.ndarray
    base: np.ndarray
    target: float
    fraction: float
    draws: int
    seed: int

    @property
    def p_target(self) -> float:
        """Share of futures whose final-year cost is at or below the fixed target."""
        return float(np.mean(self.final <= self.target))

    @property
    def p_own_target(self) -> float:
        """Share of futures whose final-year cost is at or below ``fraction`` × that future's own base."""
        return float(np.mean(self.final <= self.fraction * self.base))

    def stderr(self, p: float) -> float:
        """Standard error of a share estimated from the draws."""
        return float(np.sqrt(p * (1.0 - p) / self.draws))


def evaluate_path(model: Model, data: OptimizerData, result: PathResult, draws: int, seed: int = 0,
                  dist: str = "triangular") -> PathFutures:
    """Cost the path's final year (and the base year) on ``draws`` price futures."""
    d = data.design
    year = result.years[-1]
    choice = result.choices[-1]
    if result.space is None:
        raise ValueError("the path result has no decision space: optimize() sets it")
    # the path's decision point: its levers and routes, blends included
    values, choices = point_values(model, data, result.space, year, choice.point)
    values[f"design.{d}.plant_capacity_gwh"] = choice.plant
    values[f"design.{d}.cumulative_output_gwh"] = choice.cumulative
    items, x = price_draws(model, draws, seed, year, dist)
    table = model.parameters(year).values
    static = model.dataset.static
    shift = globals_of(model, data, result.years, set(choice.prices)).price_shift
    drawn = {it: x[i] for i, it in enumerate(items)}
    for item, usd in choice.prices.items():
        unit = static.price_units[item]
        contract = unit.from_canonical(usd - shift[(item, year)], values["fx.cny_per_usd"])
        ratio = drawn[item] / table[f"price.{item}"] if item in drawn else 1.0
        values[f"price.{item}"] = contract * ratio
    for it, col in drawn.items():
        if it not in choice.prices:
            values[f"price.{it}"] = col
    final = np.broadcast_to(np.asarray(model.evaluate_arrays(values, choices, [d])[d].total, dtype=float), (draws,))
    p0 = model.parameters(result.base_year)
    base_values = {**p0.values, **{f"price.{it}": col for it, col in drawn.items()}}
    base = np.broadcast_to(np.asarray(model.evaluate_arrays(base_values, p0.choices, [d])[d].total, dtype=float), (draws,))
    return PathFutures(np.array(final), np.array(base), result.target_cost, result.target_cost / result.base_cost, draws, seed)
