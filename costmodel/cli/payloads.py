"""The JSON language of every command, in one place.

Conventions (``DESIGN.md``, "Conventions for every command"):
- every document starts with ``command`` (the command's name) and ``schema_version``; the data's ``source`` follows
  where a dataset was read;
- numbers are numbers (never strings; a missing number is ``null``, never NaN), keys are snake_case with the unit in
  the key (``usd_per_kwh``, ``cny_per_wh``, ``kt``, ``musd``, ``gwh``, ``pct``) or beside it (``unit``), years are
  integers and months ``YYYY-MM`` text, lists are lists;
- the main list of rows is ``results``; a cell's cost is ``usd_per_kwh`` (and ``cny_per_wh``) wherever it appears;
  two sides of a comparison are objects of the same shape (``base``/``whatif``, ``a``/``b``) and their difference is
  ``change`` (``usd_per_kwh``, ``pct``).
Each command's document is described by a JSON Schema shipped in ``costmodel/schemas/<command>.schema.json`` (tests
check real output against it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

SCHEMA_VERSION = 1


def num(value: Any) -> float | None:
    """A number for JSON: a float, or None for NaN/inf/None."""
    if value is None:
        return None
    x = float(value)
    return x if math.isfinite(x) else None


def value(v: Any) -> float | str | None:
    """An input's value: a number, or text for a choice (never a number written as text)."""
    if v is None or isinstance(v, str):
        try:
            return num(float(v)) if isinstance(v, str) and v.strip() and _numeric(v) else v
        except ValueError:
            return v
    return num(v)


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def document(command: str, **fields: Any) -> dict[str, Any]:
    """A command's document: ``command`` and ``schema_version`` first, then ``fields`` in order."""
    return {"command": command, "schema_version": SCHEMA_VERSION, **fields}


def cost(usd_per_kwh: Any, fx: float | None = None, **extra: Any) -> dict[str, Any]:
    """A cell cost object: ``usd_per_kwh`` (and ``cny_per_wh`` at ``fx`` CNY/USD) plus ``extra`` fields."""
    out: dict[str, Any] = {"usd_per_kwh": num(usd_per_kwh)}
    if fx is not None:
        u = num(usd_per_kwh)
        out["cny_per_wh"] = None if u is None else u * fx / 1000.0
    out.update({k: num(v) if not isinstance(v, str) else v for k, v in extra.items()})
    return out


def change(before: Any, after: Any) -> dict[str, float | None]:
    """The change from ``before`` to ``after`` (USD/kWh): absolute and in % of ``before``."""
    a, b = num(before), num(after)
    if a is None or b is None:
        return {"usd_per_kwh": None, "pct": None}
    return {"usd_per_kwh": b - a, "pct": (b - a) / a * 100.0 if a else None}


def whatif(frame, overrides: Iterable[str], reference: str, year: int, source: str) -> dict[str, Any]:
    """``whatif``: base and what-if cost per design, the change, and the gap to the reference on each side."""
    rows = [{"design": r.design,
             "base": cost(r.base_usd_per_kwh, None, cny_per_wh=r.base_cny_per_wh, gap_usd_per_kwh=r.base_gap_usd_per_kwh,
                          gap_pct=r.base_gap_pct),
             "whatif": cost(r.whatif_usd_per_kwh, None, cny_per_wh=r.whatif_cny_per_wh, gap_usd_per_kwh=r.whatif_gap_usd_per_kwh,
                            gap_pct=r.whatif_gap_pct),
             "change": {"usd_per_kwh": num(r.delta_usd_per_kwh), "cny_per_wh": num(r.delta_cny_per_wh), "pct": num(r.delta_pct)}}
            for r in frame.itertuples()]
    return document("whatif", source=source, year=int(year), overrides=list(overrides), reference=reference, results=rows)


def sensitivity(used, idle: list[str], design: str, year: int, swing: float, base_cost: float, source: str,
                units: Mapping[str, str]) -> dict[str, Any]:
    """``sensitivity``: one row per input that moves the cost, largest swing first."""
    rows = [{"rank": int(r.rank), "parameter": r.parameter, "kind": r.kind, "unit": units.get(r.parameter, ""), "how": r.how,
             "base": num(r.base), "low": num(r.low), "high": num(r.high),
             "low_usd_per_kwh": num(r.cost_low), "high_usd_per_kwh": num(r.cost_high), "swing_usd_per_kwh": num(r.swing),
             "elasticity": num(r.elasticity)} for r in used.itertuples()]
    return document("sensitivity", source=source, design=design, year=int(year), swing_pct=num(swing * 100.0),
                    base=cost(base_cost), results=rows, no_effect=list(idle))


def montecarlo(res, n: int, seed: int, reference: str, source: str, sampler: str = "random") -> dict[str, Any]:
    """``montecarlo``: the cost distribution per design, P(cheaper than the reference), influences, inputs."""
    rows = [{"design": r.design,
             "usd_per_kwh": {"base": num(r.base), "mean": num(r.mean), "sd": num(r.sd), "p5": num(r.p5), "p50": num(r.p50),
                             "p95": num(r.p95)},
             "p_beats_reference": num(r.p_beats_reference), "p_beats_reference_stderr": num(r.p_beats_stderr)}
            for r in res.summary.itertuples()]
    return document(
        "montecarlo", source=source, year=int(res.year), draws=int(n), seed=int(seed), sampler=sampler,
        distribution=res.distribution, reference=reference, results=rows,
        influence=[{"input": r.input, "design": r.design, "spearman": num(r.spearman)} for r in res.influence.itertuples()],
        influence_draws=int(res.influence_draws),
        inputs=[{"item": r.item, "unit": r.unit, "low": num(r.low), "mode": num(r.mode), "high": num(r.high), "drawn": bool(r.drawn)}
                for r in res.inputs.itertuples()],
        correlations=[{"a": r.a, "b": r.b, "rho": num(r.rho), "status": r.status} for r in res.correlations.itertuples()],
        links=[{"driver": r.driver, "target": r.target, "residual_rho": num(r.residual_rho),
                "effective_spearman": num(r.effective_spearman)} for r in res.links.itertuples()],
    )


def breakeven(r, param: str, unit: str, a: str, b: str, source: str) -> dict[str, Any]:
    """``breakeven``: the parameter values at which ``a`` and ``b`` cost the same, and the gaps around them."""
    rows = [{"value": num(c), "usd_per_kwh": num(k)} for c, k in zip(r.crossings, r.cost_at_crossings, strict=True)]
    return document("breakeven", source=source, parameter=param, unit=unit, a=a, b=b, year=int(r.year), base_value=num(r.base),
                    search={"low": num(r.lo), "high": num(r.hi)}, results=rows,
                    gap_usd_per_kwh={"at_low": num(r.gap_lo), "at_base": num(r.gap_base), "at_high": num(r.gap_hi)},
                    extrapolated_crossing=num(r.extrapolated))


def diff(res, a: str, b: str, year: int, method: str) -> dict[str, Any]:
    """``diff``: per design the cost on each side, the change, whether it moved, and its Shapley parts."""
    rows = []
    for t in res.totals.itertuples():
        parts = res.parts[res.parts["design"] == t.design]
        rows.append({"design": t.design, "a": cost(t.cost_a), "b": cost(t.cost_b), "change": change(t.cost_a, t.cost_b),
                     "moved": bool(abs(t.change) > 1e-12),
                     "parts": [{"input": p.input, "members": p.members.split(", "), "a_value": _values(p.a_value),
                                "b_value": _values(p.b_value), "usd_per_kwh": num(p.usd_per_kwh), "stderr": num(p.stderr)}
                               for p in parts.itertuples()]})
    return document("diff", a=a, b=b, year=int(year), method=method, exact=bool(res.exact), permutations=int(res.permutations),
                    results=rows)


def _values(text: str) -> Any:
    """A player's value(s) as described by the attribution (``98000``, ``hc_bamboo``, ``1; 2``): numbers as numbers."""
    parts = [value(p.strip()) for p in str(text).split(";")]
    return parts[0] if len(parts) == 1 else parts


def _names(text: Any) -> list[str]:
    """A path cell listing levers or routes (``a, b`` or ``-``) as a list."""
    t = str(text).strip()
    return [] if t in ("", "-", "nan") else [p.strip() for p in t.split(",")]


def optimize(result, source: str, solver: str, futures=None) -> dict[str, Any]:
    """``optimize``: the verdict, the path per year (engine cost; a blend of two routes reads ``hc_coconut 60 % + hc_bamboo
    40 %`` in ``routes`` and is in ``route_shares`` as numbers), suppliers, the split, binding constraints, shadow prices and
    the Pareto trace; spend in M USD, volumes in kt/yr."""
    shares = result.route_shares()
    path = [{"year": int(p.year), "plant_gwh": num(p.plant_gwh), "output_gwh": num(p.output_gwh),
             "cumulative_gwh": num(p.cumulative_gwh), "routes": _names(p.routes), "levers": _names(p.levers),
             "route_shares": [{"family": fam, "route": r, "share": num(w)} for fam, parts in shares[j].items() for r, w in parts.items()]
             if shares else [],
             "usd_per_kwh": num(p.cost_engine), "model_usd_per_kwh": num(p.cost_model), "change_pct": num(p.reduction_pct)}
            for j, p in enumerate(result.path.itertuples())]
    shadow = result.shadow
    return document(
        "optimize", source=source, design=result.design, solver=solver, formulation=result.formulation,
        base={"year": int(result.base_year), "usd_per_kwh": num(result.base_cost)},
        target=cost(result.target_cost), budget_musd=num(result.budget), reached=bool(result.reached),
        best=cost(result.best_cost) | {"change_pct": num(100 * (result.best_cost / result.base_cost - 1))},
        spend_musd=num(result.spend_musd), blend_step=num(result.blend_step), blend_families=list(result.blend_families),
        results=path,
        suppliers=[{"year": int(s.year), "supplier": s.supplier, "item": s.item, "quantity_kt": num(s.quantity_kt),
                    "capacity_kt": num(s.capacity_kt)} for s in result.suppliers.itertuples()],
        split_usd_per_kwh={k: num(v) for k, v in result.split.items()},
        binding=[{"constraint": k, "relaxed_usd_per_kwh": num(v)} for k, v in result.binding.items()],
        shadow_prices=[{"supplier": s.supplier, "item": s.item, "quantity_kt": num(s.quantity_kt), "capacity_kt": num(s.capacity_kt),
                        "usd_per_kwh_per_kt": num(s.usd_per_kwh_per_kt), "musd_per_year_per_kt": num(s.musd_per_year_per_kt)}
                       for s in shadow.itertuples()] if len(shadow) else [],
        pareto=None if result.pareto is None else [{"usd_per_kwh": num(p.final_cost_usd_per_kwh), "spend_musd": num(p.spend_musd)}
                                                    for p in result.pareto.itertuples()],
        learning_error=num(result.learning_error), model_builds=int(result.anchor_rounds),
        status={k: {"status": v.status, "message": v.message} for k, v in result.status.items()},
        **({} if futures is None else {"futures": _futures(futures)}),
    )


def _futures(f) -> dict[str, Any]:
    import numpy as np

    p5, p50, p95 = np.percentile(f.final, [5, 50, 95])
    return {"draws": int(f.draws), "seed": int(f.seed), "usd_per_kwh": {"mean": num(f.final.mean()), "p5": num(p5), "p50": num(p50),
                                                                      "p95": num(p95)},
            "p_target_reached": num(f.p_target), "p_target_reached_stderr": num(f.stderr(f.p_target)),
            "p_own_base_target_reached": num(f.p_own_target)}


def optimize_uncertain(r, source: str, solver: str) -> dict[str, Any]:
    """``optimize --uncertain``: the stochastic plan's first year, VSS and EVPI, P(target), the regret table (one row per
    plan), first-year decisions and each future's final-year cost per plan (USD/kWh, M USD)."""
    from costmodel.optimize.stochastic import PLANS

    def first(desc: dict) -> dict[str, Any]:
        return {"plant_gwh": num(desc["plant_gwh"]), "levers": list(desc["levers"]), "routes": list(desc["routes"])}

    rows = [{k: (num(v) if k not in ("plan", "first_year") else v) for k, v in row.items()} for row in r.plans.to_dict("records")]
    return document(
        "optimize uncertain", source=source, design=r.design, solver=solver, years=[int(y) for y in r.years],
        draws=int(r.draws), seed=int(r.seed), risk=r.risk, base=cost(r.base_cost), target=cost(r.target_cost),
        first_year={"stochastic": first(r.first_stage["stochastic"]), "deterministic": first(r.first_stage["deterministic"])},
        measures_usd_per_kwh={"rp": num(r.rp), "eev": num(r.eev), "ws": num(r.ws), "vss": num(r.vss), "evpi": num(r.evpi)},
        p_target_reached=num(r.plans.loc[0, "p_target"]),
        objective=num(r.objective), bound=num(r.bound), engine_check_usd_per_kwh=num(r.engine_check),
        results=rows,
        decisions=[{"decision": d.decision, "stochastic_plan": bool(d.stochastic_plan), "deterministic_plan": bool(d.deterministic_plan),
                    "share_perfect_foresight": num(d.share_perfect_foresight)} for d in r.decisions.itertuples()],
        futures=[{"future": str(f), **{p: num(getattr(row, f"_{i + 1}")) for i, p in enumerate(PLANS)}}
                 for f, row in zip(r.costs.index, r.costs.itertuples(), strict=True)],
        failed=[{"future": k, "error": v} for k, v in r.failed.items()], recourse_ran=r.workers,
        status={k: {"status": v.status, "message": v.message} for k, v in r.status.items()},
        seconds={k: num(v) for k, v in r.timings.items()},
    )
