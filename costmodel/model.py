"""Evaluate designs on a dataset: the public entry point of the engine.

>>> from costmodel import Model
>>> results = Model().evaluate(2025)
>>> results.summary()[["design", "usd_per_kwh", "cny_per_wh", "wh_per_kg"]]  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from costmodel.dataset import Dataset, ParameterSet, load_default
from costmodel.engine.cost import DesignCost, evaluate_design
from costmodel.engine.inputs import PriceBook
from costmodel.results import Results, build_results
from costmodel.validation import InputError, Problem


class Model:
    """A dataset plus the cost engine.

    Args:
        dataset: validated input data; the bundled defaults when omitted.
    """

    def __init__(self, dataset: Dataset | None = None) -> None:
        self.dataset = dataset if dataset is not None else load_default()

    @property
    def base_year(self) -> int:
        """First year of the data (the base year of comparisons)."""
        return self.dataset.years[0]

    def parameters(self, year: int | None = None) -> ParameterSet:
        """Flat parameters of ``year`` (the base year when omitted)."""
        return self.dataset.parameters(self.base_year if year is None else year)

    def check_designs(self, designs: Iterable[str] | None) -> tuple[str, ...]:
        """Validate design names; all designs when None."""
        known = self.dataset.design_names
        if designs is None:
            return known
        chosen = tuple(designs)
        unknown = [d for d in chosen if d not in known]
        if unknown:
            raise InputError(
                [Problem("design", f"unknown design {d!r}; available: {', '.join(known)}") for d in unknown], self.dataset.source
            )
        return chosen

    def evaluate_arrays(
        self,
        values: Mapping[str, object],
        choices: Mapping[str, str],
        designs: Iterable[str] | None = None,
    ) -> dict[str, DesignCost]:
        """Evaluate designs on flat values (floats or arrays, one element per scenario).

        This is the vectorized core used by Monte Carlo, sensitivity and the benchmark:
        one call evaluates every scenario at once.
        """
        prices = PriceBook(values, self.dataset.static)
        return {d: evaluate_design(values, choices, d, self.dataset.static, prices) for d in self.check_designs(designs)}

    def evaluate(
        self,
        year: int | None = None,
        designs: Iterable[str] | None = None,
        scenario: str = "base",
        values: Mapping[str, float] | None = None,
        choices: Mapping[str, str] | None = None,
    ) -> Results:
        """Evaluate designs for one year; ``values``/``choices`` replace flat parameters.

        Returns:
            Results with tidy cost, mass and metric tables.
        """
        pset = self.parameters(year)
        v = {**pset.values, **(values or {})}
        c = {**pset.choices, **(choices or {})}
        chosen = self.check_designs(designs)
        costs = self.evaluate_arrays(v, c, chosen)
        dense = [(d, side) for d, r in costs.items() for side in ("cathode", "anode")
                 if np.any(np.asarray(r.metrics[f"{side}_porosity"]) <= 0)]
        if dense:  # the data are checked when read; this catches overrides that press a coating past its solids
            raise InputError([Problem(f"scenario {scenario}", f"design {d}: the {side} coating is denser than its solids "
                                                              f"(no pores left): lower design.{d}.{side}_density_g_cm3")
                              for d, side in dense], self.dataset.source)
        return build_results(
            {(scenario, d, pset.year): r for d, r in costs.items()},
            fx={(scenario, pset.year): float(np.asarray(v["fx.cny_per_usd"]))},
            reference=c.get("global.reference_design", self.dataset.reference_design),
        )
