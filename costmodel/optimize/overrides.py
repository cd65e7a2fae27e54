"""Scenario overrides in the optimizer: the engine's parameters and the optimizer tables, in one syntax.

``optimize --set PATH=VALUE`` and ``--scenario NAME`` take the overrides every command takes
(``PATH=VALUE``, ``+20%``, ``x1.5``, ``+40kt``, periods ``@2027``; see ``costmodel.scenario``). Paths of the
engine (``price.hc_coconut``, ``global.learning_rate``, ``design.nfpp.cell_yield``) change the model's
parameters in every year they apply to; the optimizer tables have flat names of their own:

========================================  =============  ===================================================
name                                      unit           what
========================================  =============  ===================================================
``supplier.<name>.capacity_kt``           kt (per yr)    a supplier's yearly cap (``=+2kt``, ``=x10``)
``supplier.<name>.price``                 its unit       a supplier's price in its quoted unit (``=+2000CNY/t``)
``supplier.<name>.first_year``            year           first year the supplier delivers
``lever.<name>.one_off_musd``             MUSD           a lever's one-off cost
``lever.<name>.earliest_year``            year           a lever's earliest year
``route.<name>.switch_musd``              MUSD           a route's switching cost
``route.<name>.earliest_year``            year           a route's earliest year
``optimizer.ramp_gwh_per_year``           GWh (per yr)   new plant capacity per year (``optimizer.ramp`` too)
``optimizer.expansion_musd_per_gwh``      MUSD/GWh       expansion capex
``optimizer.blend_step``                  -              grid of blend shares (0 = one route per family, no blends)
``demand.sellable_gwh``                   GWh (per yr)   sellable volume of the design; per year: ``@2027``
``demand.industry_other_gwh``             GWh (per yr)   the rest of the industry's output (learning)
========================================  =============  ===================================================

Patterns work as elsewhere (``supplier.*.capacity_kt=x2``). Table figures are one number for every year, so
only the demand takes a period; an override of another table figure limited to some years is refused.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence

from costmodel.dataset import ParameterSet
from costmodel.model import Model
from costmodel.optimize.data import FIRST_YEAR, LAST_YEAR, OptimizerData, blend_step_problem
from costmodel.scenario import OPTIMIZER_SCOPES, SUPPLY_SCOPES, Override, Scenario, apply_overrides, parse_override
from costmodel.validation import InputError, Problem

ALIASES = {"optimizer.ramp": "optimizer.ramp_gwh_per_year", "optimizer.expansion": "optimizer.expansion_musd_per_gwh"}
"""Short names of the settings."""
_YEARS = ("first_year", "earliest_year")


def is_optimizer(o: Override) -> bool:
    """True for an override of the optimizer tables (``supplier.*``, ``lever.*``, ``route.*``, ``optimizer.*``, ``demand.*``)."""
    return o.path.split(".", 1)[0] in OPTIMIZER_SCOPES


class ScenarioModel(Model):
    """A model whose parameters carry engine overrides (applied per year, where active; the supply and
    optimizer scopes are left to their own tables).

    Raises:
        InputError: on the first year asked for whose overrides do not apply (unknown path, value out of bounds).
    """

    def __init__(self, model: Model, overrides: Sequence[Override], where: str = "override") -> None:
        super().__init__(model.dataset)
        self.overrides = tuple(o for o in overrides if not is_optimizer(o))
        self.where = where
        self._cache: dict[int, ParameterSet] = {}

    def parameters(self, year: int | None = None) -> ParameterSet:
        """Flat parameters of ``year`` with the overrides active in it applied."""
        y = self.base_year if year is None else year
        if y not in self._cache:
            p = super().parameters(y)
            values, choices = apply_overrides(p, self.overrides, where=self.where, skip=(*SUPPLY_SCOPES, *OPTIMIZER_SCOPES))
            self._cache[y] = ParameterSet(p.year, values, choices, p.designs, p.units)
        p = self._cache[y]
        return ParameterSet(p.year, dict(p.values), dict(p.choices), p.designs, p.units)


def flat_tables(data: OptimizerData) -> tuple[dict[str, float], dict[str, str]]:
    """The optimizer tables' figures that do not depend on the year as flat (values, units)."""
    values: dict[str, float] = {"optimizer.ramp_gwh_per_year": data.ramp_gwh,
                                "optimizer.expansion_musd_per_gwh": data.expansion_musd_per_gwh,
                                "optimizer.blend_step": data.blend_step}
    units = {"optimizer.ramp_gwh_per_year": "GWh", "optimizer.expansion_musd_per_gwh": "MUSD/GWh", "optimizer.blend_step": "-"}
    for s in data.suppliers:
        values |= {f"supplier.{s.name}.capacity_kt": s.capacity_kt, f"supplier.{s.name}.price": s.price,
                   f"supplier.{s.name}.first_year": float(s.first_year)}
        units |= {f"supplier.{s.name}.capacity_kt": "kt", f"supplier.{s.name}.price": s.unit.replace(" ", ""),
                  f"supplier.{s.name}.first_year": "-"}
    for lv in data.levers:
        values |= {f"lever.{lv.name}.one_off_musd": lv.one_off_musd, f"lever.{lv.name}.earliest_year": float(lv.earliest)}
        units |= {f"lever.{lv.name}.one_off_musd": "MUSD", f"lever.{lv.name}.earliest_year": "-"}
    for r in data.routes:
        values |= {f"route.{r.name}.switch_musd": r.switch_musd, f"route.{r.name}.earliest_year": float(r.earliest)}
        units |= {f"route.{r.name}.switch_musd": "MUSD", f"route.{r.name}.earliest_year": "-"}
    return values, units


def _bound(name: str, value: float) -> str | None:
    prop = name.rsplit(".", 1)[-1]
    if prop in _YEARS:
        if value != int(value) or not FIRST_YEAR <= value <= LAST_YEAR:
            return f"{name} would become {value:g}; it must be a year such as 2027"
    elif prop == "price" and value <= 0:
        return f"{name} would become {value:g}; a price must stay positive"
    elif prop == "blend_step":
        return blend_step_problem(value)
    elif value < 0:
        return f"{name} would become {value:g}; it must not be negative"
    return None


def apply_tables(data: OptimizerData, overrides: Iterable[Override], where: str = "override") -> OptimizerData:
    """``data`` with the optimizer-table overrides among ``overrides`` applied (others are skipped).

    Raises:
        InputError: every problem at once (unknown name, a value out of bounds, a period on a figure that holds for
            every year, a demand year without a demand row), each at the place its override was written.
    """
    mine = [dataclasses.replace(o, path=ALIASES.get(o.path, o.path)) for o in overrides if is_optimizer(o)]
    if not mine:
        return data
    problems: list[Problem] = []
    demand = [o for o in mine if o.path.startswith("demand.")]
    fixed = [o for o in mine if not o.path.startswith("demand.")]
    for o in fixed:
        if o.years is not None or o.months is not None:
            problems.append(Problem(o.where or where, f"{o.text}: the optimizer's {o.path.split('.')[0]} figures hold for every "
                                                      "year; drop the period (only demand.* takes one, e.g. demand.sellable_gwh@2027)"))
    fixed = [o for o in fixed if o.years is None and o.months is None]
    values, units = flat_tables(data)
    new = values
    for o in fixed:  # one at a time, so that every problem is found
        try:
            after, _ = apply_overrides(ParameterSet(0, new, {}, ()), [o], where=where, skip=(), units=units)
        except InputError as exc:
            problems += exc.problems
            continue
        bad = [msg for name, v in after.items() if v != new[name] and (msg := _bound(name, v))]
        problems += [Problem(o.where or where, f"{o.text}: {msg}") for msg in bad]
        new = new if bad else after
    dem = dict(data.demand)
    for o in demand:
        for y in o.years or ():
            if y not in dem:
                problems.append(Problem(o.where or where, f"{o.text}: no demand row for {y}; the demand table has "
                                                          f"{', '.join(map(str, sorted(dem)))}"))
    for y, (sell, other) in data.demand.items():
        pset = ParameterSet(y, {"demand.sellable_gwh": sell, "demand.industry_other_gwh": other}, {}, ())
        try:
            dv, _ = apply_overrides(pset, demand, where=where, skip=(), units={"demand.sellable_gwh": "GWh",
                                                                                "demand.industry_other_gwh": "GWh"})
        except InputError as exc:
            problems += exc.problems
            continue
        for name, v in dv.items():
            if not math.isfinite(v) or v < 0:
                problems.append(Problem(where, f"{name}@{y} would become {v:g}; it must not be negative"))
        dem[y] = (dv["demand.sellable_gwh"], dv["demand.industry_other_gwh"])
    if problems:
        raise InputError(list(dict.fromkeys(problems)), where)
    suppliers = tuple(dataclasses.replace(s, capacity_kt=new[f"supplier.{s.name}.capacity_kt"], price=new[f"supplier.{s.name}.price"],
                                          first_year=int(new[f"supplier.{s.name}.first_year"])) for s in data.suppliers)
    levers = tuple(dataclasses.replace(lv, one_off_musd=new[f"lever.{lv.name}.one_off_musd"],
                                       earliest=int(new[f"lever.{lv.name}.earliest_year"])) for lv in data.levers)
    routes = tuple(dataclasses.replace(r, switch_musd=new[f"route.{r.name}.switch_musd"],
                                       earliest=int(new[f"route.{r.name}.earliest_year"])) for r in data.routes)
    return dataclasses.replace(data, suppliers=suppliers, levers=levers, routes=routes, demand=dem,
                               ramp_gwh=new["optimizer.ramp_gwh_per_year"],
                               expansion_musd_per_gwh=new["optimizer.expansion_musd_per_gwh"], blend_step=new["optimizer.blend_step"])


def with_overrides(model: Model, data: OptimizerData, overrides: Sequence[Override],
                   where: str = "override") -> tuple[Model, OptimizerData]:
    """The model and the optimizer data with ``overrides`` applied: engine paths to the model's parameters (checked
    here in every year of the data, so a bad one is reported before any solve), table names to the data.

    Raises:
        InputError: every problem found.
    """
    if not overrides:
        return model, data
    out = ScenarioModel(model, overrides, where)
    problems: list[Problem] = []
    for y in model.dataset.years:
        try:
            out.parameters(y)
        except InputError as exc:
            problems += exc.problems
    try:
        data = apply_tables(data, overrides, where)
    except InputError as exc:
        problems += exc.problems
    if problems:
        raise InputError(list(dict.fromkeys(problems)), where)
    return out, data


def parse_sets(texts: Iterable[str]) -> list[Override]:
    """``--set`` texts as overrides.

    Raises:
        ValueError: ``--set: <what is wrong>`` for the first text that does not read.
    """
    out = []
    for text in texts:
        try:
            out.append(parse_override(text, where="--set"))
        except ValueError as exc:
            raise ValueError(f"--set: {exc}") from None
    return out


def scenario_overrides(available: dict[str, Scenario], name: str | None, source: str) -> tuple[Override, ...]:
    """The overrides of scenario ``name`` (none for None or ``base``).

    Raises:
        InputError: an unknown scenario, with the available names.
    """
    from costmodel.runner import pick_scenarios

    if name is None:
        return ()
    return pick_scenarios(available, [name], source)[0].overrides
