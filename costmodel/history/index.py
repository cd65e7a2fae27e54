"""The cell cost index: every design's cost per month, its index, the gap to the reference, and why it moved.

Cost per month comes from one engine call over all months (``periods.monthly_inputs``). The month-over-month
change of each design is split by input with Shapley values, players being the items whose price moved (an
item's quote and its price-link reference together), the exchange rate, and any other input that moved (a
design, material, region or plant parameter group, as ``diff`` groups them).

Within a year the cost is affine in the prices, and a change of CNY/USD multiplies the CNY-priced part, so the
value of a coalition is a polynomial of degree two in the players: a 2-additive game (Grabisch 1997). Its
Shapley value needs only the empty set, the single players and the pairs: phi_i = m_i + 1/2 sum_j m_ij with
the Moebius terms m_i = v(i) - v(0) and m_ij = v(ij) - v(i) - v(j) + v(0). The expansion is verified on the
grand coalition and on every coalition missing one player; a month where it fails (an input with higher-order
interactions, e.g. a moving design parameter) is attributed by enumerating all coalitions (up to 12 players) or
by sampled permutations, as ``diff`` does. Either way the parts add up to the month's change.

References:
    M. Grabisch, k-order additive discrete fuzzy measures and their representation, Fuzzy Sets and Systems 92 (1997).
    L. S. Shapley, A value for n-person games (1953).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from costmodel.analysis.attribution import EXACT_MAX, exact_shapley, sampled_shapley
from costmodel.history.grid import PriceGrid
from costmodel.history.periods import MonthlyInputs
from costmodel.model import Model

TOLERANCE = 1e-9
"""Relative tolerance of the 2-additive check (USD/kWh per USD/kWh of cost)."""


def player_of(name: str) -> str:
    """The attribution player a flat parameter belongs to: the item for ``price.X`` and ``link.X.*``, ``fx`` for the
    exchange rate, a parameter group for design/material/region parameters, else the parameter itself."""
    parts = name.split(".")
    if parts[0] == "price" and len(parts) == 2:
        return parts[1]
    if parts[0] == "link" and len(parts) == 3:
        return parts[1]
    if parts[0] == "fx":
        return "fx"
    if parts[0] in ("design", "material", "region") and len(parts) == 3:
        return f"{parts[0]}.{parts[1]}.*"
    return name


@dataclass(frozen=True)
class CostIndex:
    """Cost per design and month.

    Attributes:
        months: ``YYYY-MM``. designs: evaluated designs. reference: the design gaps are taken to.
        base: the base month (index = 100). usd_per_kwh, cny_per_wh, index: designs × months.
        gap: designs × months, cost minus the reference's cost (USD/kWh).
        grid: the monthly prices used. inputs: the flat inputs per month.
    """

    months: tuple[str, ...]
    designs: tuple[str, ...]
    reference: str | None
    base: str
    usd_per_kwh: np.ndarray
    cny_per_wh: np.ndarray
    index: np.ndarray
    gap: np.ndarray
    grid: PriceGrid
    inputs: MonthlyInputs

    def frame(self) -> pd.DataFrame:
        """Long table: month, design, usd_per_kwh, cny_per_wh, index, gap_usd_per_kwh."""
        d, m = len(self.designs), len(self.months)
        return pd.DataFrame({
            "month": np.tile(np.array(self.months, dtype=object), d),
            "design": np.repeat(np.array(self.designs, dtype=object), m),
            "usd_per_kwh": self.usd_per_kwh.reshape(-1), "cny_per_wh": self.cny_per_wh.reshape(-1),
            "index": self.index.reshape(-1), "gap_usd_per_kwh": self.gap.reshape(-1),
        })

    def stale(self, month: str) -> list[tuple[str, str, int]]:
        """(item, month of its last quote, months since) of every item carried forward in ``month``."""
        j = self.months.index(month)
        g = self.grid
        return [(item, str(g.last_quote[i, j]), int(g.age[i, j])) for i, item in enumerate(g.items) if g.status[i, j] == "carried"]


def _groups(choices: Sequence[dict[str, str]]) -> list[tuple[dict[str, str], np.ndarray]]:
    """Months (indices) sharing one pattern of choices: each group is one engine call."""
    keys: dict[tuple, list[int]] = {}
    for i, c in enumerate(choices):
        keys.setdefault(tuple(sorted(c.items())), []).append(i)
    return [(dict(k), np.array(v)) for k, v in keys.items()]


def _take(values: dict[str, np.ndarray | float], idx: np.ndarray) -> dict[str, np.ndarray | float]:
    return {k: (v[idx] if isinstance(v, np.ndarray) else v) for k, v in values.items()}


def cost_index(model: Model, inputs: MonthlyInputs, grid: PriceGrid, designs: Sequence[str] | None = None,
               base: str | None = None) -> CostIndex:
    """Cost of every design in every month, indexed to ``base`` (the first month when omitted).

    Raises:
        ValueError: a base month outside the months.
    """
    designs = model.check_designs(designs)
    base = base or inputs.months[0]
    if base not in inputs.months:
        raise ValueError(f"the base month {base} is outside the months evaluated ({inputs.months[0]} to {inputs.months[-1]})")
    n = len(inputs.months)
    usd = np.empty((len(designs), n))
    for choices, idx in _groups(inputs.choices):
        res = model.evaluate_arrays(_take(inputs.values, idx), choices, designs)
        for j, d in enumerate(designs):
            usd[j, idx] = np.broadcast_to(np.asarray(res[d].total, dtype=float), idx.shape)
    fx = inputs.column("fx.cny_per_usd")
    ref = inputs.choices[0].get("global.reference_design", model.dataset.reference_design)
    ref = ref if ref in designs else None
    gap = usd - usd[designs.index(ref)] if ref else np.full_like(usd, np.nan)
    b = inputs.months.index(base)
    return CostIndex(inputs.months, designs, ref, base, usd, usd * fx / 1000.0, usd / usd[:, [b]] * 100.0, gap, grid, inputs)


@dataclass(frozen=True)
class MonthlyAttribution:
    """Month-over-month Shapley parts.

    Attributes:
        parts: month, design, input, a_value, b_value (the input's value the month before and in the month), usd_per_kwh
            (the part), pct_points (the part in % of the month before's cost), stderr (0 unless sampled), method.
        totals: month, design, cost_a, cost_b, change, pct (the change in % of the month before's cost).
    """

    parts: pd.DataFrame
    totals: pd.DataFrame

    def describe(self, month: str, design: str, top: int = 3) -> str:
        """One line: ``nfpp +1.20 % in 2025-11 (+1.02 USD/kWh): coconut_charcoal +0.90, vc +0.30, other +0.00``."""
        t = self.totals[(self.totals["month"] == month) & (self.totals["design"] == design)]
        if t.empty:
            return f"{design}: no change attributed in {month}"
        row = t.iloc[0]
        p = self.parts[(self.parts["month"] == month) & (self.parts["design"] == design)]
        p = p[p["usd_per_kwh"].abs() > 1e-9]
        p = p.reindex(p["pct_points"].abs().sort_values(ascending=False).index)
        shown = p.head(top)
        text = ", ".join(f"{r.input} {r.pct_points:+.2f}" for r in shown.itertuples())
        rest = p["pct_points"].iloc[top:].sum()
        if len(p) > top:
            text += f", other {rest:+.2f}"
        return f"{design} {row.pct:+.2f} % in {month} ({row.change:+.2f} USD/kWh): {text or 'no input moved'}"


def month_over_month(model: Model, inputs: MonthlyInputs, designs: Sequence[str] | None = None, samples: int = 2000,
                     seed: int = 0) -> MonthlyAttribution:
    """Shapley split of each month's cost change against the month before (see the module docstring)."""
    designs = model.check_designs(designs)
    vals = inputs.values
    moving = [k for k, v in vals.items() if isinstance(v, np.ndarray)]
    n_months = len(inputs.months)
    choice_moving = sorted({k for t in range(1, n_months) for k in set(inputs.choices[t]) | set(inputs.choices[t - 1])
                            if inputs.choices[t].get(k) != inputs.choices[t - 1].get(k)})
    names = sorted({player_of(k) for k in moving} | set(choice_moving))  # a choice is a player of its own, as in ``diff``
    gid = {n: i for i, n in enumerate(names)}
    key_player = {**{k: gid[player_of(k)] for k in moving}, **{k: gid[k] for k in choice_moving}}
    pairs = []  # (t, players moving between t-1 and t)
    for t in range(1, n_months):
        moved = {key_player[k] for k in moving if vals[k][t] != vals[k][t - 1]}
        moved |= {key_player[k] for k in choice_moving if inputs.choices[t].get(k) != inputs.choices[t - 1].get(k)}
        pairs.append((t, sorted(moved)))

    def evaluate(rows_t: np.ndarray, masks: np.ndarray, choices: dict[str, str]) -> np.ndarray:
        """Cost (rows × designs) of coalitions: row r takes month rows_t[r]'s values for players in masks[r], else the month before's."""
        v = {}
        for k, col in vals.items():
            if isinstance(col, np.ndarray):
                v[k] = np.where(masks[:, key_player[k]], col[rows_t], col[rows_t - 1])
            else:
                v[k] = col
        res = model.evaluate_arrays(v, choices, designs)
        return np.column_stack([np.broadcast_to(np.asarray(res[d].total, dtype=float), rows_t.shape) for d in designs])

    results: dict[int, tuple] = {}
    fast = [(t, moved) for t, moved in pairs if inputs.choices[t] == inputs.choices[t - 1]]
    slow = [(t, moved) for t, moved in pairs if inputs.choices[t] != inputs.choices[t - 1]]
    for choices, idx in _groups([inputs.choices[t] for t, _ in fast]):
        slow += _two_additive([fast[i] for i in idx], evaluate, choices, len(names), results)
    for t, moved in slow:
        _enumerate_or_sample(t, moved, evaluate, inputs, key_player, len(names), samples, seed, results)
    return _attribution_frames(inputs, designs, names, results, pairs)


@lru_cache(maxsize=256)
def _coalitions(k: int) -> np.ndarray:
    """Membership (rows × k) of the empty set, the singletons, the pairs (in ``triu_indices`` order); then the checks:
    the grand coalition (k >= 3) and each coalition missing one player (k >= 4)."""
    rows = [np.zeros((1, k), dtype=bool), np.eye(k, dtype=bool)]
    i, j = np.triu_indices(k, 1)
    pairs = np.zeros((len(i), k), dtype=bool)
    pairs[np.arange(len(i)), i] = True
    pairs[np.arange(len(i)), j] = True
    rows.append(pairs)
    if k >= 3:
        rows.append(np.ones((1, k), dtype=bool))
    if k >= 4:
        rows.append(~np.eye(k, dtype=bool))
    out = np.concatenate(rows)
    out.flags.writeable = False
    return out


def _two_additive(group, evaluate, choices, n_players, results) -> list:
    """Shapley parts of 2-additive months in one engine call; returns the months that failed the check."""
    blocks, rows_t, spans = [], [], []
    start = 0
    for t, moved in group:
        member = _coalitions(len(moved))
        mask = np.zeros((len(member), n_players), dtype=bool)
        mask[:, moved] = member
        blocks.append(mask)
        rows_t.append(np.full(len(member), t))
        spans.append((start, start + len(member)))
        start += len(member)
    v_all = evaluate(np.concatenate(rows_t), np.concatenate(blocks), choices)
    failed = []
    for (t, moved), (a, b) in zip(group, spans, strict=True):
        k = len(moved)
        v = v_all[a:b]
        empty = v[0]
        single = v[1:1 + k] - empty
        i, j = np.triu_indices(k, 1)
        n_pairs = len(i)
        pair = np.zeros((k, k, v.shape[1]))
        pair[i, j] = v[1 + k:1 + k + n_pairs] - single[i] - single[j] - empty
        pair[j, i] = pair[i, j]
        row_sum = pair.sum(axis=1)
        phi = single + 0.5 * row_sum
        total = empty + single.sum(axis=0) + 0.5 * row_sum.sum(axis=0)  # the 2-additive value of the grand coalition
        checks = v[1 + k + n_pairs:]
        if len(checks):
            pred = [total[None, :]]
            if k >= 4:
                pred.append(total[None, :] - single - row_sum)  # the grand coalition without player i
            scale = max(1.0, float(np.abs(v).max()))
            if np.abs(np.concatenate(pred) - checks).max() > TOLERANCE * scale:
                failed.append((t, moved))
                continue
        grand = checks[0] if len(checks) else (v[-1] if k else empty)
        results[t] = (phi, np.zeros_like(phi), empty, grand, "exact (2-additive)", np.array(moved, dtype=int))
    return failed


def _enumerate_or_sample(t, moved, evaluate, inputs, key_player, n_players, samples, seed, results) -> None:
    """Shapley parts of one month by all coalitions (up to ``EXACT_MAX`` players) or sampled permutations; a choice
    that moved is a player too (rows with the same pattern of choice players share one engine call)."""
    k = len(moved)
    ca, cb = inputs.choices[t - 1], inputs.choices[t]
    choice_keys = [c for c in set(ca) | set(cb) if ca.get(c) != cb.get(c)]
    choice_cols = sorted({moved.index(key_player[c]) for c in choice_keys})

    def value(masks: np.ndarray) -> np.ndarray:
        full = np.zeros((len(masks), n_players), dtype=bool)
        full[:, moved] = masks
        if not choice_cols:
            return evaluate(np.full(len(masks), t), full, cb)
        patterns, inverse = np.unique(masks[:, choice_cols], axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        out = None
        for n, pattern in enumerate(patterns):
            sel = inverse == n
            on = {moved[choice_cols[i]] for i, flag in enumerate(pattern) if flag}
            chosen = {c: (cb.get(c) if key_player.get(c) in on else ca.get(c)) for c in set(ca) | set(cb)}
            part = evaluate(np.full(int(sel.sum()), t), full[sel], {c: v for c, v in chosen.items() if v is not None})
            if out is None:
                out = np.empty((len(masks), part.shape[1]))
            out[sel] = part
        return out

    ends = value(np.array([[False] * k, [True] * k], dtype=bool).reshape(2, k))
    if k <= EXACT_MAX:
        phi, err, method = exact_shapley(value, k), np.zeros((k, ends.shape[1])), "exact (all coalitions)"
    else:
        phi, err = sampled_shapley(value, k, samples, np.random.default_rng(seed))
        method = f"sampled ({2 * max(1, samples // 2)} permutations)"
    results[t] = (phi, err, ends[0], ends[1], method, np.array(moved, dtype=int))


def _attribution_frames(inputs: MonthlyInputs, designs, names, results, pairs) -> MonthlyAttribution:
    rows, totals = [], []
    vals = inputs.values
    for t, _ in pairs:
        phi, err, a, b, method, moved = results[t]
        month = inputs.months[t]
        for j, d in enumerate(designs):
            totals.append((month, d, float(a[j]), float(b[j]), float(b[j] - a[j]), float((b[j] - a[j]) / a[j] * 100.0)))
            for i, g in enumerate(moved):
                name = names[g]
                key = f"price.{name}" if f"price.{name}" in vals else ("fx.cny_per_usd" if name == "fx" else None)
                av = bv = np.nan
                if key is not None and isinstance(vals[key], np.ndarray):
                    av, bv = float(vals[key][t - 1]), float(vals[key][t])
                rows.append((month, d, name, av, bv, float(phi[i, j]), float(phi[i, j] / a[j] * 100.0), float(err[i, j]), method))
    parts = pd.DataFrame(rows, columns=["month", "design", "input", "a_value", "b_value", "usd_per_kwh", "pct_points",
                                       "stderr", "method"])
    tot = pd.DataFrame(totals, columns=["month", "design", "cost_a", "cost_b", "change", "pct"])
    return MonthlyAttribution(parts, tot)


@dataclass(frozen=True)
class IndexRun:
    """A monthly run: the index, the month-over-month attribution and what the reader should know."""

    index: CostIndex
    attribution: MonthlyAttribution
    notes: tuple[str, ...]


def fx_of_year(model: Model):
    """CNY per USD of a year from the FX table (the nearest year's outside it)."""
    fx = dict(zip((int(y) for y in model.dataset.fx["year"]), model.dataset.fx["cny_per_usd"], strict=True))
    lo, hi = min(fx), max(fx)
    return lambda y: float(fx[min(max(int(y), lo), hi)])


def monthly_index(model: Model, first: str | None = None, last: str | None = None, base: str | None = None,
                  designs: Sequence[str] | None = None, overrides: Sequence = (), fill: str = "carry",
                  where: str = "scenario", samples: int = 2000, seed: int = 0) -> IndexRun:
    """Cost index and month-over-month attribution over ``first``..``last`` (default: the history's first and last
    month), on the dataset's price history.

    Raises:
        InputError: no history, months that cannot be read or run backwards, a base month outside them, or an
            override that fails in some month.
    """
    from costmodel.history.grid import build_grid
    from costmodel.history.months import month_range
    from costmodel.history.periods import monthly_inputs
    from costmodel.validation import InputError, Problem

    ds = model.dataset
    hist = ds.history
    if not len(hist.quotes) and (first is None or last is None):
        raise InputError([Problem("Price history", "the data have no price history: add a Price history sheet, or import "
                                                   "a feed with costmodel prices import; or give --from and --to")], ds.source)
    first = first or hist.first_month
    last = last or hist.last_month
    try:
        months = month_range(first, last)
    except ValueError as exc:
        raise InputError([Problem("--from/--to", str(exc))], ds.source) from None
    if base is not None and base not in months:
        raise InputError([Problem("--base", f"the base month {base} is outside {months[0]}..{months[-1]}")], ds.source)
    grid = build_grid(hist, ds.static.price_units, fx_of_year(model), months, fill)
    inputs = monthly_inputs(model, grid, overrides, where)
    index = cost_index(model, inputs, grid, designs, base)
    attribution = month_over_month(model, inputs, index.designs, samples, seed)
    return IndexRun(index, attribution, (*inputs.notes, *grid.notes, *hist.notes))
