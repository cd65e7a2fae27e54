"""Flat supply parameters per period, and scenario overrides on them.

The supply tables resolve to one flat dictionary per period (kept apart from the engine's ``ParameterSet``):
    ``segment.<segment>.market``          market size in the period (units, or GWh: ``SupplyData.market_units``)
    ``segment.<segment>.penetration``     share served by the segment's mix (0-1)
    ``segment.<segment>.kwh_per_unit``    kWh per unit sold
    ``segment.<segment>.mix_<design>``    share of the segment's cells of ``design`` (0-1, summing to 1)
    ``segment.<segment>.cost_elasticity`` demand response to the segment's cell cost (-)
    ``capacity.<material>.nameplate``     nameplate with the announced expansions started by then (kt/yr)
    ``capacity.<material>.ceiling``, ``.threshold``, ``.price_slope``, ``.shortage_slope``, ``.price_cap``  supply curve (-)
A scenario changes them with the usual override syntax (``segment.two_wheeler.penetration=0.10`` for 2026,
``capacity.hc_bamboo.nameplate=+40%``), through ``costmodel.scenario.apply_overrides``.

Resolution over periods: a figure with a blank period holds for every period; dated figures are interpolated
linearly in time and held before the first and after the last, except the market, which after its last figure
grows at ``growth`` per year. A nameplate holds from its period on; an expansion adds from its period on.
Periods are years or months (``YYYYMM``, ``costmodel supply --months``): markets and capacities are per year and scale
with the period's length; ``period_time`` places a period at its middle, ``period_start`` at its start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from costmodel.dataset import ParameterSet
from costmodel.scenario import SUPPLY_SCOPES, Override, apply_overrides
from costmodel.supply.data import ALL_MATERIALS, SupplyData
from costmodel.validation import InputError, Problem

SCOPES = SUPPLY_SCOPES
"""First parts of the flat names the supply model owns (the engine's overrides skip them)."""
CURVE_DEFAULTS = {"ceiling": 1.0, "threshold": 1.0, "price_slope": 0.0, "shortage_slope": 0.0, "price_cap": 1.0}
"""Supply curve of a material when neither its own rows nor a ``*`` row give one: no price response."""


def period_time(period: int) -> float:
    """Middle of a period in years: 2026 → 2026.5; a month 202604 → 2026.2917. Annual figures sit at mid-year, so the
    months of a year interpolate around it and add up to about the year's figure (exactly when the figures are flat)."""
    return period + 0.5 if period < 10000 else period // 100 + (period % 100 - 0.5) / 12.0


def period_start(period: int) -> float:
    """Start of a period in years: 2027 → 2027.0; 202704 → 2027.25 (a nameplate or expansion holds from here on)."""
    return float(period) if period < 10000 else period // 100 + (period % 100 - 1) / 12.0


def period_length_years(period: int) -> float:
    """Length of a period in years: 1 for a year, 1/12 for a month (``YYYYMM``)."""
    return 1.0 if period < 10000 else 1.0 / 12.0


def period_year(period: int) -> int:
    """The calendar year of a period."""
    return period if period < 10000 else period // 100


@dataclass(frozen=True)
class SupplyParameters:
    """Flat supply parameters per period (see the module docstring).

    Attributes:
        periods: the periods, ascending.
        values: period → flat name → value.
        data: the validated tables they come from.
    """

    periods: tuple[int, ...]
    values: Mapping[int, Mapping[str, float]]
    data: SupplyData

    def array(self, name: str, default: float = 0.0) -> np.ndarray:
        """``name`` over the periods (shape (P,)); ``default`` where a period lacks it."""
        return np.array([self.values[p].get(name, default) for p in self.periods], dtype=float)

    @property
    def segments(self) -> tuple[str, ...]:
        """Segment names."""
        return self.data.segment_names

    @property
    def capacity_materials(self) -> tuple[str, ...]:
        """Materials with a nameplate or an expansion."""
        cap = self.data.capacity
        return tuple(dict.fromkeys(cap.loc[cap["property"].isin(["nameplate", "expansion"]), "material"]))


def _series(rows: pd.DataFrame, times: np.ndarray) -> np.ndarray:
    """A property over the period times: constant (blank period) or interpolated between dated figures."""
    if rows["period"].isna().all():
        return np.full(times.shape, float(rows["value"].iloc[-1]))
    dated = rows.dropna(subset=["period"]).sort_values("period")
    t = np.array([period_time(int(p)) for p in dated["period"]])
    return np.interp(times, t, dated["value"].to_numpy(dtype=float))


def _market(rows: pd.DataFrame, growth: np.ndarray, times: np.ndarray) -> np.ndarray:
    out = _series(rows, times)
    if rows["period"].notna().any():
        last = rows.dropna(subset=["period"]).sort_values("period").iloc[-1]
        t_last = period_time(int(last["period"]))
        after = times > t_last
        out[after] = float(last["value"]) * (1.0 + growth[after]) ** (times[after] - t_last)
    return out


def resolve(data: SupplyData, periods: Sequence[int]) -> SupplyParameters:
    """Flat parameters of every period from the validated tables (no overrides)."""
    periods = tuple(sorted(dict.fromkeys(int(p) for p in periods)))
    times = np.array([period_time(p) for p in periods])
    cols: dict[str, np.ndarray] = {}
    seg = data.segments
    for name, grp in seg.groupby("segment", sort=False):
        props = {p: g for p, g in grp.groupby("property", sort=False)}
        growth = _series(props["growth"], times) if "growth" in props else np.zeros(times.shape)
        for prop, rows in props.items():
            if prop == "growth":
                continue
            cols[f"segment.{name}.{prop}"] = _market(rows, growth, times) if prop == "market" else _series(rows, times)
        cols.setdefault(f"segment.{name}.kwh_per_unit", np.ones(times.shape))
        cols.setdefault(f"segment.{name}.cost_elasticity", np.zeros(times.shape))
        for design in data.designs:
            cols.setdefault(f"segment.{name}.mix_{design}", np.zeros(times.shape))
    cap = data.capacity
    defaults = {prop: cap[(cap["material"] == ALL_MATERIALS) & (cap["property"] == prop)] for prop in CURVE_DEFAULTS}
    for mat, grp in cap[cap["material"] != ALL_MATERIALS].groupby("material", sort=False):
        level = np.zeros(times.shape)
        for r in grp[grp["property"] == "nameplate"].sort_values("period", na_position="first").itertuples():
            level = np.where(times >= (period_start(int(r.period)) if r.period == r.period and r.period is not None else -np.inf),
                             r.value, level)
        for r in grp[grp["property"] == "expansion"].itertuples():
            level = level + np.where(times >= period_start(int(r.period)), r.value, 0.0)
        cols[f"capacity.{mat}.nameplate"] = level
        for prop, default in CURVE_DEFAULTS.items():
            rows = grp[grp["property"] == prop]
            rows = rows if len(rows) else defaults[prop]
            cols[f"capacity.{mat}.{prop}"] = _steps(rows, times) if len(rows) else np.full(times.shape, default)
    values = {p: {k: float(v[i]) for k, v in cols.items()} for i, p in enumerate(periods)}
    return SupplyParameters(periods, values, data)


def _steps(rows: pd.DataFrame, times: np.ndarray) -> np.ndarray:
    """A curve property over time: a blank period holds everywhere; a dated figure holds from its period on."""
    out = np.full(times.shape, np.nan)
    for r in rows.sort_values("period", na_position="first").itertuples():
        start = -np.inf if r.period is None or r.period != r.period else period_start(int(r.period))
        out = np.where(times >= start, r.value, out)
    first = rows.sort_values("period", na_position="first")["value"].iloc[0]
    return np.where(np.isnan(out), first, out)


def supply_overrides(overrides: Iterable[Override]) -> tuple[Override, ...]:
    """The overrides of supply parameters (``segment.*``, ``capacity.*``); ``capacity.<material>`` is short for its
    nameplate (``capacity.hc_bamboo@2027=+40kt``)."""
    from dataclasses import replace

    return tuple(replace(o, path=f"{o.path}.nameplate") if o.path.startswith("capacity.") and o.path.count(".") == 1 else o
                 for o in overrides if o.path.split(".", 1)[0] in SCOPES)


def supply_units(params: SupplyParameters) -> dict[str, str]:
    """Units of the supply parameters that have one (for ``+40kt``-style overrides): nameplates in kt/yr (written kt),
    markets in units or GWh, kWh per unit; shares, elasticities and curve factors have none (``-``)."""
    out: dict[str, str] = {}
    for p in params.periods[:1]:
        for name in params.values[p]:
            scope, who, prop = name.split(".", 2)
            if scope == "capacity":
                out[name] = "kt" if prop == "nameplate" else "-"
            elif prop == "market":
                out[name] = "GWh" if params.data.market_units.get(who) == "gwh" else "units"
            elif prop == "kwh_per_unit":
                out[name] = "kWh"
            else:
                out[name] = "-"
    return out


def _bounds(name: str, value: float) -> str | None:
    prop = name.rsplit(".", 1)[-1]
    if prop in ("penetration", "ceiling", "threshold") or prop.startswith("mix_"):
        if not 0 <= value <= 1 or (prop == "ceiling" and value == 0):
            return f"{name} would become {value:g}; {prop} must lie between 0 and 1"
    elif value < 0:
        return f"{name} would become {value:g}; it must not be negative"
    elif prop == "price_cap" and value < 1:
        return f"{name} would become {value:g}; a price cap must be at least 1"
    return None


def apply_supply(params: SupplyParameters, overrides: Iterable[Override], where: str = "override") -> SupplyParameters:
    """Apply the supply overrides among ``overrides`` (others are skipped) in every period.

    Raises:
        InputError: an unknown supply parameter, a value out of bounds, or a segment mix that no longer sums to 1;
            each problem once, at the place its override was written, with the periods where it occurs.
    """
    mine = supply_overrides(overrides)
    if not mine:
        return params
    found: dict[Problem, list[int]] = {}
    out: dict[int, dict[str, float]] = {}
    units = supply_units(params)
    for p in params.periods:
        year, month = period_year(p), (f"{p // 100:04d}-{p % 100:02d}" if p >= 10000 else None)
        pset = ParameterSet(year=year, values=dict(params.values[p]), choices={}, designs=())
        try:
            values, _ = apply_overrides(pset, mine, where=where, skip=(), month=month, units=units)
        except InputError as exc:
            for prob in exc.problems:
                found.setdefault(prob, []).append(p)
            continue
        for o in mine:
            if not o.applies_to(year, month):
                continue
            for name, v in values.items():
                if v != params.values[p].get(name) and (msg := _bounds(name, v)):
                    found.setdefault(Problem(o.where or where, f"{o.text}: {msg}"), []).append(p)
        for seg in params.segments:
            mix = sum(v for k, v in values.items() if k.startswith(f"segment.{seg}.mix_"))
            old = sum(v for k, v in params.values[p].items() if k.startswith(f"segment.{seg}.mix_"))
            if abs(mix - old) > 1e-12 and abs(mix - 1.0) > 1e-6:
                at = next((o.where or where for o in mine if o.path.startswith(("segment.*", f"segment.{seg}."))), where)
                found.setdefault(Problem(at, f"segment {seg}: the mix shares would sum to {mix:g}; they must sum to 1 "
                                             "(change two shares together)"), []).append(p)
        out[p] = values
    if found:
        n = len(params.periods)
        raise InputError([pr if len(ps) == n else Problem(pr.where, f"{pr.message} (in {', '.join(map(str, ps))})")
                          for pr, ps in found.items()], where)
    return SupplyParameters(params.periods, out, params.data)


def check_mix(params: SupplyParameters) -> None:
    """Every segment's mix sums to 1 in every period.

    Raises:
        InputError: naming the segment's first mix row.
    """
    problems = []
    seg = params.data.segments
    for name in params.segments:
        total = sum(params.array(f"segment.{name}.mix_{d}") for d in params.data.designs)
        bad = [p for p, t in zip(params.periods, total, strict=True) if abs(t - 1.0) > 1e-6]
        if bad:
            rows = seg[(seg["segment"] == name) & seg["property"].str.startswith("mix_")]
            where = rows["where"].iloc[0] if len(rows) else f"segment {name}"
            problems.append(Problem(where, f"segment {name}: the mix shares sum to {total[params.periods.index(bad[0])]:g} in "
                                           f"{bad[0]}; they must sum to 1"))
    if problems:
        raise InputError(problems, "supply data")
