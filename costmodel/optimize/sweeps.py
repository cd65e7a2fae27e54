"""Sweeps of independent optimizer runs (over price futures, scenarios or designs), farmed out by ``costmodel.sweep``.

Each case is a plain function call on picklable inputs (the workbook path, not a loaded model), so a Dask worker can
run it: the worker reads the data itself (the bundled data are cached per process). A case's summary is a dict of
numbers; a case that raises (no solution, a bad override, a time limit) is reported by ``sweep.run_cases``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from costmodel.sweep import Case


@dataclass(frozen=True)
class Settings:
    """What every case of a sweep shares: data, design and the optimizer's options."""

    workbook: str | None
    region: str | None
    design: str
    start: int
    by: int
    target: float
    solver: str
    budget: float | None
    time_limit: float | None


def solve_case(settings: Settings, overrides: Sequence[str] = (), design: str | None = None) -> dict:
    """One optimizer run: the settings plus ``overrides`` (override texts), for ``design`` (the settings' by default).

    Returns:
        base_usd_per_kwh, best_usd_per_kwh (final year), change_pct, target_usd_per_kwh, reached, spend_musd.
    """
    from costmodel.dataset import load_default
    from costmodel.model import Model
    from costmodel.optimize import data as odata
    from costmodel.optimize.overrides import parse_sets, with_overrides
    from costmodel.optimize.path import optimize

    design = design or settings.design
    wb = None
    if settings.workbook is not None:
        from costmodel.io.workbook import read_workbook

        wb = read_workbook(settings.workbook, history=False)
        dataset = wb.dataset
    else:
        dataset = load_default()
    model = Model(dataset.with_region(settings.region) if settings.region else dataset)
    model.check_designs([design])
    data = (wb.optimizer_data(design) if wb is not None else None) or odata.load_default(design, model.dataset)
    if overrides:
        model, data = with_overrides(model, data, parse_sets(list(overrides)), "sweep case")
    r = optimize(model, data, settings.start, settings.by, settings.target, settings.solver, settings.budget,
                 settings.time_limit, explain=False)
    final = float(r.path["cost_engine"].iloc[-1])
    return {"base_usd_per_kwh": r.base_cost, "best_usd_per_kwh": final, "change_pct": 100 * (final / r.base_cost - 1),
            "target_usd_per_kwh": r.target_cost, "reached": bool(r.reached), "spend_musd": r.spend_musd}


def draw_cases(settings: Settings, items: Sequence[str], prices, units: dict[str, str]) -> list[Case]:
    """One case per price future (a column of ``prices``, items × n): every drawn price set for every year."""
    cases = []
    for j in range(prices.shape[1]):
        sets = tuple(f"price.{it}={float(prices[i, j])!r}" for i, it in enumerate(items))
        cases.append(Case(f"draw{j + 1}", solve_case, (settings, sets)))
    return cases


def scenario_cases(settings: Settings, scenarios: dict) -> list[Case]:
    """One case per scenario (its overrides as written)."""
    return [Case(name, solve_case, (settings, tuple(o.text if not (o.years or o.months) else _with_period(o)
                                                    for o in sc.overrides)))
            for name, sc in scenarios.items()]


def design_cases(settings: Settings, designs: Sequence[str]) -> list[Case]:
    """One case per design (a design without optimizer data fails and is reported)."""
    return [Case(d, solve_case, (settings, (), d)) for d in designs]


def _with_period(o) -> str:
    path, _, rhs = o.text.partition("=")
    period = ",".join(o.months) if o.months else ",".join(map(str, o.years))
    return f"{path}@{period}={rhs}"
