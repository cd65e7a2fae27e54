"""The supply chain of a scenario: end uses → cells → materials → capacity → prices → cell cost, to a fixed point.

``run_supply`` evaluates the engine once per group of periods with the same choices (arrays over the periods),
reads the material intensities from its bill of materials, and iterates the price response
(``costmodel.supply.response``) with one engine call per group and iteration. Periods after the last year of the
cost data take that year's prices and parameters (noted in ``SupplyRun.notes``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from costmodel.dataset import ParameterSet
from costmodel.model import Model
from costmodel.scenario import Override, apply_overrides
from costmodel.supply import segments as seg
from costmodel.supply.balance import Balance, balance, capacity_arrays, material_demand
from costmodel.supply.data import STAGES, SupplyData
from costmodel.supply.intensity import Intensity, build, design_lines, stage_lines
from costmodel.supply.params import SupplyParameters, apply_supply, check_mix, period_year, resolve
from costmodel.supply.reported import inventory, sodium_scale
from costmodel.supply.response import FixedPoint, price_multiplier, solve


@dataclass(frozen=True)
class SupplyRun:
    """Everything one scenario's supply run found (arrays over designs D, segments S, materials M, periods P).

    Attributes:
        scenario: its name.
        periods, designs, segments: the axes.
        chemistry: design → ``na`` or ``li``.
        segment_gwh: (S, P) segment demand before the price response (GWh per period).
        factor: (S, P) demand factor of the price response (1 = none).
        design_gwh: (D, P) cell demand by design at the fixed point (GWh per period).
        intensity: material intensity of every design.
        base, final: the balance before the price response and at the fixed point.
        cost0, cost: (D, P) cell cost before the response and at the fixed point (USD/kWh).
        multipliers: (M, P) price multiplier of each material at the fixed point (1 = unchanged).
        priced: materials whose price responds (a capacity and a price in the cost data).
        fixed_point: iterations and convergence; None when the response was not run.
        reported: reported against implied output (see ``supply.reported``).
        notes: what the reader should know (periods beyond the cost data, ...).
    """

    scenario: str
    periods: tuple[int, ...]
    designs: tuple[str, ...]
    segments: tuple[str, ...]
    chemistry: dict[str, str]
    segment_gwh: np.ndarray
    factor: np.ndarray
    design_gwh: np.ndarray
    intensity: Intensity
    base: Balance
    final: Balance
    cost0: np.ndarray
    cost: np.ndarray
    multipliers: np.ndarray
    priced: tuple[str, ...]
    fixed_point: FixedPoint | None
    reported: pd.DataFrame
    notes: tuple[str, ...] = field(default=())


class _Engine:
    """The engine's flat values per period, grouped by choices, re-evaluated with price multipliers."""

    def __init__(self, model: Model, periods: tuple[int, ...], overrides: Sequence[Override], where: str) -> None:
        self.model = model
        years = model.dataset.years
        groups: dict[tuple, list[int]] = {}
        values: dict[int, dict[str, float]] = {}
        choices_of: dict[tuple, dict[str, str]] = {}
        cache: dict[int, tuple[dict, dict]] = {}
        self.beyond = sorted({period_year(p) for p in periods if period_year(p) > years[-1] or period_year(p) < years[0]})
        for j, p in enumerate(periods):
            y = period_year(p)
            if y not in cache:
                data_year = min(max(y, years[0]), years[-1])
                pset = model.parameters(data_year)
                cache[y] = apply_overrides(ParameterSet(y, pset.values, pset.choices, pset.designs), overrides, where=where)
            v, c = cache[y]
            key = tuple(sorted(c.items()))
            groups.setdefault(key, []).append(j)
            choices_of[key] = c
            values[p] = v
        self.groups = [(np.array(idx), choices_of[key]) for key, idx in groups.items()]
        self.arrays = []
        for idx, _ in self.groups:
            names = values[periods[idx[0]]].keys()
            self.arrays.append({k: np.array([values[periods[i]][k] for i in idx], dtype=float) for k in names})
        self.n = len(periods)

    def evaluate(self, multipliers: np.ndarray | None = None, priced: Sequence[str] = (), materials: Sequence[str] = ()):
        """Engine results per group with ``price.<m>`` × multiplier for the ``priced`` materials."""
        out = []
        pos = {m: i for i, m in enumerate(materials)}
        for (idx, choices), arrays in zip(self.groups, self.arrays, strict=True):
            values = arrays
            if multipliers is not None and len(priced):
                values = dict(arrays)
                for m in priced:
                    values[f"price.{m}"] = arrays[f"price.{m}"] * multipliers[pos[m], idx]
            with np.errstate(all="ignore"):
                out.append((idx, choices, values, self.model.evaluate_arrays(values, choices)))
        return out

    def cost(self, results, designs: tuple[str, ...]) -> np.ndarray:
        """Cell cost by design and period (D, P), USD/kWh."""
        cost = np.zeros((len(designs), self.n))
        for idx, _, _, res in results:
            for k, d in enumerate(designs):
                cost[k, idx] = res[d].total
        return cost


def _intensity(engine: _Engine, results, designs: tuple[str, ...], data: SupplyData) -> Intensity:
    n = engine.n
    lines: dict[str, dict[str, np.ndarray]] = {d: {} for d in designs}
    stages: dict[str, dict[str, np.ndarray]] = {d: {s: np.zeros(n) for s in ("cathode", "anode", "electrolyte")} for d in designs}
    units: dict[str, str] = {}
    static = engine.model.dataset.static
    for idx, _, values, res in results:
        for d in designs:
            for item, q in design_lines(res[d], values, d, static).items():
                lines[d].setdefault(item, np.zeros(n))[idx] = q
            for s, q in stage_lines(res[d], values, d).items():
                stages[d][s][idx] = q
            units.update({item: u for item, _, u, _, _ in res[d].bom.values()})
    return build(lines, stages, units, data.precursors, n)


def run_supply(model: Model, data: SupplyData, periods: Iterable[int], overrides: Sequence[Override] = (), *,
               scenario: str = "base", respond: bool = True, tol: float = 1e-6, max_iter: int = 200,
               damping: float = 0.5, params: SupplyParameters | None = None) -> SupplyRun:
    """Run the supply chain of one scenario over ``periods``.

    Args:
        model: the cost model (its dataset's designs and prices).
        data: the validated supply tables.
        periods: years (or ``YYYYMM`` months).
        overrides: the scenario's overrides (engine and supply ones; each side applies its own).
        respond: run the price response to a fixed point (else prices stay as given).
        tol, max_iter, damping: of the fixed-point iteration (``response.solve``).
        params: resolved supply parameters (skips ``resolve`` and the overrides; for benchmarks).

    Raises:
        InputError: bad overrides (engine or supply), a segment mix that does not sum to 1.
    """
    where = f"scenario {scenario}"
    periods = tuple(sorted(dict.fromkeys(int(p) for p in periods)))
    if params is None:
        params = apply_supply(resolve(data, periods), overrides, where=where)
        check_mix(params)
    engine = _Engine(model, periods, overrides, where)
    designs = model.dataset.design_names
    chem = {d: engine.groups[0][1].get(f"design.{d}.chemistry", "na") for d in designs}
    results = engine.evaluate()
    intensity = _intensity(engine, results, designs, data)
    cost0 = engine.cost(results, designs)
    shares, eta = seg.mix(params, designs), seg.elasticity(params)
    gwh = seg.segment_gwh(params)
    mats = intensity.materials
    arrays = capacity_arrays(params, mats)
    have = set(params.capacity_materials)
    priced = tuple(m for m in mats if m in have and f"price.{m}" in engine.arrays[0])
    curve = {k: np.array([params.array(f"capacity.{m}.{k}", 0.0) for m in mats]).reshape(len(mats), len(periods))
             for k in ("threshold", "price_slope", "shortage_slope", "price_cap")}
    priced_mask = np.array([m in priced for m in mats])[:, None]

    def demand_at(factor: np.ndarray) -> np.ndarray:
        return material_demand(seg.design_gwh(gwh, shares, factor), intensity.total)

    base = balance(demand_at(np.ones_like(gwh)), params, mats, arrays)

    def step(m: np.ndarray) -> np.ndarray:
        cost = engine.cost(engine.evaluate(m, priced, mats), designs)
        factor = seg.response_factor(shares, cost, cost0, eta)
        u = balance(demand_at(factor), params, mats, arrays).utilisation
        new = price_multiplier(u, curve["threshold"], arrays[1], curve["price_slope"], curve["shortage_slope"],
                               curve["price_cap"])
        return np.where(priced_mask, new, 1.0)

    fp = None
    mult = np.ones((len(mats), len(periods)))
    if respond and priced:
        fp = solve(step, mult, tol=tol, max_iter=max_iter, damping=damping)
        mult = fp.value
    cost = engine.cost(engine.evaluate(mult, priced, mats), designs) if fp is not None else cost0
    factor = seg.response_factor(shares, cost, cost0, eta)
    dgwh = seg.design_gwh(gwh, shares, factor)
    final = balance(material_demand(dgwh, intensity.total), params, mats, arrays)
    notes = []
    if engine.beyond:
        notes.append(f"{', '.join(map(str, engine.beyond))}: beyond the cost data ({model.dataset.years[0]}-"
                     f"{model.dataset.years[-1]}); prices and parameters of the nearest data year")
    rep = _reported(data, periods, dgwh, intensity, chem, final)
    return SupplyRun(scenario, periods, designs, params.segments, chem, gwh, factor, dgwh, intensity, base, final, cost0, cost,
                     mult, priced, fp, rep, tuple(notes))


def _reported(data: SupplyData, periods: tuple[int, ...], dgwh: np.ndarray, intensity: Intensity, chem: dict[str, str],
              final: Balance) -> pd.DataFrame:
    """Reported against implied output, the sodium designs scaled to the reported cell output."""
    na = np.array([chem[d] == "na" for d in intensity.designs])
    sodium = dgwh[na].sum(axis=0)
    scale = sodium_scale(data.reported, periods, sodium)
    scaled = np.where(na[:, None], dgwh * scale, dgwh)
    implied: dict[str, np.ndarray] = {"cells": sodium * scale}
    for s in STAGES:
        if s != "cells":
            implied[s] = (scaled[na] * intensity.stages[s][na]).sum(axis=0)
    demand = material_demand(scaled, intensity.total)
    implied.update({m: demand[i] for i, m in enumerate(final.materials)})
    return inventory(data.reported, periods, implied)
