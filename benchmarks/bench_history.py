"""Benchmark: the monthly cell cost index, its month-over-month attribution, and a price-feed import.

Targets (issue 11), on a 2-core machine:
- 10 years of monthly history (120 months) x all designs x every item priced: the index in under 1 s;
- the Shapley attribution of all 119 consecutive month-over-month changes in under 2 s;
- an import of a 100,000-row feed (read, map, check, merge, write the new workbook) in under 3 s.

Every item is quoted every month (a random walk), so every month moves every price: the hardest case for the
attribution (40-odd players a month). Also reported, measured in the same run: the per-month loop the index
replaces (one engine call per month) and its ratio. Run: ``python benchmarks/bench_history.py``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from costmodel import Model
from costmodel.history.grid import build_grid
from costmodel.history.index import cost_index, fx_of_year, month_over_month
from costmodel.history.months import month_range
from costmodel.history.periods import monthly_inputs
from costmodel.history.table import History, check_history


def synthetic_history(model: Model, months: tuple[str, ...], seed: int = 1) -> History:
    """Every priced item quoted once a month: its 2025 table price times a random walk (2 % monthly steps)."""
    rng = np.random.default_rng(seed)
    prices = model.dataset.prices
    table = prices[prices["year"] == model.base_year]
    rows = []
    for r in table.itertuples():
        walk = np.exp(np.cumsum(rng.normal(0.0, 0.02, len(months))))
        rows += [{"date": m, "item": r.item, "price": float(r.value * w), "unit": r.unit} for m, w in zip(months, walk, strict=True)]
    frame = pd.DataFrame(rows)
    dims = dict(zip(model.dataset.items["item"], model.dataset.items["dimension"], strict=True))
    history, problems = check_history(frame, dims, lambda t, r, c: f"row {r}")
    assert not problems, problems[:3]
    return history


def feed_csv(path: Path, model: Model, n: int, seed: int = 2) -> None:
    """A feed export of ``n`` daily quotes with its own column and item names."""
    rng = np.random.default_rng(seed)
    prices = model.dataset.prices
    table = prices[prices["year"] == model.base_year].reset_index(drop=True)
    days = pd.date_range("2016-01-01", periods=n // len(table) + 1, freq="D")
    idx = np.arange(n)
    item = idx % len(table)
    day = idx // len(table)
    frame = pd.DataFrame({
        "Trade date": days[day].strftime("%d/%m/%Y"),
        "Product": "feed " + table["item"].to_numpy()[item],
        "Mid": table["value"].to_numpy()[item] * rng.uniform(0.8, 1.2, n).round(4),
        "Currency unit": table["unit"].to_numpy()[item],
        "Publisher": "synthetic feed",
    })
    frame.to_csv(path, index=False)
    mapping = ["[columns]", 'date = "Trade date"', 'item = "Product"', 'price = "Mid"', 'unit = "Currency unit"',
               'source = "Publisher"', "[options]", 'date_format = "%d/%m/%Y"', "[items]"]
    mapping += [f'"feed {i}" = "{i}"' for i in table["item"]]
    path.with_suffix(".toml").write_text("\n".join(mapping) + "\n", encoding="utf-8")


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--feed-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    model = Model()
    months = month_range("2016-01", "2100-12")[: args.months]
    history = synthetic_history(model, months)
    designs = model.dataset.design_names
    n_items = len(set(history.quotes["item"]))

    def index():
        grid = build_grid(history, model.dataset.static.price_units, fx_of_year(model), months)
        inputs = monthly_inputs(model, grid)
        return inputs, cost_index(model, inputs, grid, designs)

    t_index, (inputs, ci) = best_of(index, args.repeat)
    assert np.isfinite(ci.usd_per_kwh).all()
    t_attr, att = best_of(lambda: month_over_month(model, inputs, designs), args.repeat)
    sums = att.parts.groupby(["month", "design"])["usd_per_kwh"].sum()
    change = att.totals.set_index(["month", "design"])["change"]
    assert np.abs(sums - change).max() < 1e-9, "attribution parts must add up to each monthly change"

    def loop():
        for j in range(len(months)):
            v, c = inputs.at(j)
            model.evaluate_arrays(v, c, designs)

    t_loop, _ = best_of(loop, 1)
    players = att.parts.groupby(["month", "design"]).size().max()
    methods = att.parts["method"].value_counts().to_dict()
    print(f"index: {len(months)} months x {len(designs)} designs x {n_items} items quoted: {t_index:.3f} s (target 1 s, "
          f"{t_index / 1.0:.2f} of it); one engine call per month instead: {t_loop:.3f} s ({t_loop / t_index:.1f}x slower)")
    print(f"attribution: {len(months) - 1} month-over-month changes, up to {players} inputs moving a month, "
          f"methods {methods}: {t_attr:.3f} s (target 2 s, {t_attr / 2.0:.2f} of it)")

    from costmodel.history.feed import read_feed, read_map
    from costmodel.history.sheet import write_history_workbook
    from costmodel.history.table import merge
    from costmodel.io.template import write_template

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        feed = folder / "feed.csv"
        feed_csv(feed, model, args.feed_rows)
        base = write_template(folder / "base.xlsx", model.dataset)
        dims = dict(zip(model.dataset.items["item"], model.dataset.items["dimension"], strict=True))

        def run_import():
            got = read_feed(feed, read_map(feed.with_suffix(".toml")), dims)
            merged, problems = merge(model.dataset.history, got.history)
            assert not problems
            return write_history_workbook(base, folder / "merged.xlsx", merged.quotes)

        t_import, _ = best_of(run_import, args.repeat)
        size = (folder / "merged.xlsx").stat().st_size / 1e6
    print(f"import: {args.feed_rows:,}-row feed read, mapped, checked, merged and written ({size:.1f} MB): {t_import:.3f} s "
          f"(target 3 s, {t_import / 3.0:.2f} of it)")


if __name__ == "__main__":
    main()
