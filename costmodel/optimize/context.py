"""The evaluation context of a cost path: what the phases and the explanations share, and how one year of a
path is read from the solved model and costed again by the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

from costmodel.model import Model
from costmodel.optimize.choices import Blend, Space, parts
from costmodel.optimize.coefficients import Globals
from costmodel.optimize.data import OptimizerData
from costmodel.optimize.model import Built, picks
from costmodel.scenario import apply_overrides
from costmodel.units import parse_price_unit


@dataclass(frozen=True)
class YearChoice:
    """What the path does in one year: the decision point (alternative per group), plant size (GWh/yr),
    mid-year cumulative output (GWh) and supplier-weighted prices of supplied items (item → USD/kg)."""

    point: tuple[int, ...]
    plant: float
    cumulative: float
    prices: dict[str, float]


@dataclass
class Context:
    """Everything the phases and the explanations share."""

    model: Model
    data: OptimizerData
    space: Space
    globals: Globals
    years: tuple[int, ...]
    base_year: int
    current_plant: float
    incumbent: dict[str, str | Blend]
    solver: str
    time_limit: float | None


def point_values(model: Model, data: OptimizerData, sp: Space, year: int, point: tuple[int, ...]):
    """Flat (values, choices) of a decision point in a year: its lever and route overrides (blends included) applied."""
    return apply_overrides(model.parameters(year), sp.overrides(point, data), where="optimizer path")


def engine_cost(ctx: Context, year: int, choice: YearChoice) -> float:
    """The engine's cost (USD/kWh) of one year of a path, supplier prices as contract prices."""
    values, choices = point_values(ctx.model, ctx.data, ctx.space, year, choice.point)
    d = ctx.data.design
    values[f"design.{d}.plant_capacity_gwh"] = choice.plant
    values[f"design.{d}.cumulative_output_gwh"] = choice.cumulative
    for item, usd in choice.prices.items():
        unit = ctx.model.dataset.static.price_units[item]
        # the quoted price whose resolved (link-shifted) value is the supplier's price
        values[f"price.{item}"] = unit.from_canonical(usd - ctx.globals.price_shift[(item, year)], values["fx.cny_per_usd"])
    return float(ctx.model.evaluate_arrays(values, choices, [d])[d].total)


def read_path(ctx: Context, built: Built) -> tuple[list[YearChoice], list[tuple]]:
    """The loaded solution as one ``YearChoice`` per year, and supplier rows (year, supplier, item, kt, cap kt)."""
    import pyomo.core as pyo

    m = built.model
    out, rows = [], []
    chosen = picks(built)
    g = ctx.globals
    scales = list(ctx.data.scales)
    cumulative = g.cumulative0
    for j, y in enumerate(ctx.years):
        # the plant from the chosen size option (not the solver's sum, which carries its tolerance on the binaries),
        # and the mid-year cumulative output from it, as in the model
        plant = scales[max(range(len(scales)), key=lambda p, j=j: pyo.value(m.Z[p, j]))]
        output = ctx.data.demand.get(y, (0.0, 0.0))[1] + g.utilisation * plant
        mid, cumulative = cumulative + 0.5 * output, cumulative + output
        prices = {}
        for it in sorted({s.item for s in built.suppliers}):
            qs = [(s, float(pyo.value(m.q[n, j]))) for n, s in enumerate(built.suppliers) if s.item == it]
            total = sum(q for _, q in qs)
            if total > 1e-9:
                scale = ctx.globals.contract_scale.get((it, y), 1.0)
                prices[it] = scale * sum(q * parse_price_unit(s.unit).to_canonical(s.price, ctx.globals.fx[y]) for s, q in qs) / total
            rows.extend((y, s.name, it, q, s.capacity_kt if y >= s.first_year else 0.0) for s, q in qs)
        out.append(YearChoice(ctx.space.point(chosen[j]), plant, mid, prices))
    return out, rows


def path_spend(ctx: Context, path: list[YearChoice]) -> float:
    """One-off spend of a path (M USD), from its decisions: the one-off cost of every lever adopted by the final
    year, the switching cost of every route entered (each year a route is used that was not used the year before;
    the incumbent is used before the first year; a route in a blend is used, at any share) and the expansion capex of
    the plant growth.

    The solver's value of the same sum carries its feasibility tolerance on the binaries (66.9999994 for 67);
    this is the sum itself.
    """
    data, sp = ctx.data, ctx.space
    one_off = {lv.name: lv.one_off_musd for lv in data.levers}
    switch = {r.name: r.switch_musd for r in data.routes}
    total = sum(one_off[n] for n in sp.levers(path[-1].point))
    before = {r for alt in ctx.incumbent.values() for r, _ in parts(alt)}
    for yc in path:
        now = {r for alt in sp.routes(yc.point).values() for r, _ in parts(alt)}
        total += sum(switch[r] for r in sorted(now - before))
        before = now
    return total + data.expansion_musd_per_gwh * (path[-1].plant - ctx.current_plant)
