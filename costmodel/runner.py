"""Run named scenarios on a dataset: overrides → engine → combined Results, inputs snapshot, provenance.

This is the glue the command line and the results workbook share; it does no printing and
writes no files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from costmodel.model import Model
from costmodel.results import Results, concat_results
from costmodel.scenario import Scenario, apply_overrides, check_scenarios
from costmodel.validation import InputError, Problem


@dataclass(frozen=True)
class ScenarioRun:
    """Results of several scenarios and the exact inputs each used."""

    results: Results
    inputs: pd.DataFrame
    scenarios: tuple[Scenario, ...]


def pick_scenarios(available: Mapping[str, Scenario], names: Iterable[str] | None, source: str) -> tuple[Scenario, ...]:
    """The scenarios named (``all`` for every one; only ``base`` when none are named).

    A ``base`` scenario without overrides is always available.
    """
    pool = {"base": Scenario("base", "the data as given", ()), **dict(available)}
    wanted = list(names or ["base"])
    if wanted == ["all"]:
        return tuple(pool.values())
    unknown = [n for n in wanted if n not in pool]
    if unknown:
        raise InputError([Problem("--scenario", f"unknown scenario {n!r}; available: {', '.join(pool)}") for n in unknown], source)
    return tuple(pool[n] for n in dict.fromkeys(wanted))


def in_regions(scenarios: Iterable[Scenario], regions: Iterable[str], suffix: bool) -> tuple[Scenario, ...]:
    """Each scenario with the plant in each region (a ``global.region`` override added last).

    Args:
        suffix: name the copies ``<scenario>@<region>`` (to compare regions side by side); else keep the names.
    """
    from costmodel.scenario import parse_override

    out = []
    for sc in scenarios:
        for region in regions:
            name = f"{sc.name}@{region}" if suffix else sc.name
            out.append(Scenario(name, f"{sc.description} (plant in {region})", (*sc.overrides, parse_override(f"global.region={region}"))))
    return tuple(out)


def run_scenarios(
    model: Model, scenarios: Iterable[Scenario], years: Iterable[int] | None = None, designs: Iterable[str] | None = None
) -> ScenarioRun:
    """Evaluate every scenario for every year; problems in any scenario are reported together, each once, at the
    cell or file line its override was written (see ``scenario.check_scenarios``)."""
    scenarios = tuple(scenarios)
    years = tuple(years) if years else (model.base_year,)
    for year in years:
        model.parameters(year)  # an unknown year is reported as such, before any scenario
    check_scenarios(scenarios, model.parameters, years, "scenario overrides")
    units = _units(model)
    with np.errstate(all="ignore"):  # an overflow is reported by _check_finite, with the scenario and design
        parts, snapshots = _evaluate_all(model, scenarios, years, designs, units)
    results = concat_results(parts)
    _check_finite(results, model.dataset.source)
    return ScenarioRun(results, pd.concat(snapshots, ignore_index=True), scenarios)


def _evaluate_all(model: Model, scenarios: tuple[Scenario, ...], years: tuple[int, ...], designs, units: dict[str, str]):
    """Results and input snapshots of every scenario in every year (overrides already checked)."""
    parts, snapshots = [], []
    for sc in scenarios:
        for year in years:
            pset = model.parameters(year)
            values, choices = apply_overrides(pset, sc.overrides, where=f"scenario {sc.name}")
            parts.append(model.evaluate(year, designs=designs, scenario=sc.name, values=values, choices=choices))
            snap = [(sc.name, year, k, v, units.get(k, "")) for k, v in sorted(values.items())]
            snap += [(sc.name, year, k, c, "choice") for k, c in sorted(choices.items())]
            snapshots.append(pd.DataFrame(snap, columns=["scenario", "year", "parameter", "value", "unit"]))
    return parts, snapshots


def _check_finite(results: Results, source: str) -> None:
    """Every cost must be a finite number: inputs far outside a sensible range (a price of 1e308, an FX rate of 5e-324)
    can pass every bound and still overflow.

    Raises:
        InputError: naming each scenario, year and design whose cost is not finite.
    """
    summary = results.summary()
    cols = ["usd_per_kwh", "cny_per_wh", "wh_per_kg", "wh_per_l"]
    bad = summary[~np.isfinite(summary[cols].to_numpy(dtype=float)).all(axis=1)]
    if len(bad):
        raise InputError([Problem(source, f"scenario {r.scenario}, {r.year}: the cost of {r.design} is not a finite number "
                                          f"({r.usd_per_kwh} USD/kWh): an input is far outside a sensible range (a price, FX "
                                          "rate or design value near 0 or near 1e308)") for r in bad.itertuples()], source)


def _units(model: Model) -> dict[str, str]:
    from costmodel.catalog import load_catalog

    units = {f"price.{i}": u.text for i, u in model.dataset.static.price_units.items()}
    units["fx.cny_per_usd"] = "CNY/USD"
    for (scope, name), spec in load_catalog().items():
        if scope == "global":
            units[f"global.{name}"] = spec.unit
    return units


def provenance(model: Model, run: ScenarioRun, input_sha256: str | None, command: str) -> dict[str, str]:
    """Key/value provenance for a results workbook: input hash, tool version, time, scenarios, FX."""
    from costmodel import __version__

    fx = run.results.fx.drop_duplicates(["scenario", "year"])
    out = {
        "input": model.dataset.source,
        "input SHA-256": input_sha256 or "bundled data (package files)",
        "tool": f"costmodel {__version__}",
        "command": command,
        "written (UTC)": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "reference design": run.results.reference,
        "FX (CNY per USD)": "; ".join(f"{r.scenario} {r.year}: {r.cny_per_usd:g}" for r in fx.itertuples()),
    }
    for sc in run.scenarios:
        changes = ", ".join(o.text for o in sc.overrides) or "no changes"
        out[f"scenario {sc.name}"] = f"{sc.description} [{changes}]"
    return out


def scenario_frame(scenarios: Iterable[Scenario]) -> pd.DataFrame:
    """Scenario definitions as rows (scenario, change, years, description) for workbooks."""
    rows = []
    for sc in scenarios:
        for o in sc.overrides or (None,):
            years = "" if o is None or not o.years else ", ".join(map(str, o.years))
            rows.append((sc.name, "" if o is None else o.text, years, sc.description))
    return pd.DataFrame(rows, columns=["scenario", "change", "years", "description"])
