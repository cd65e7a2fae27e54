"""Validation you can rerun: the engine's cell physics against real cells and BatPaC's default cell.

Each row of ``cells.csv`` is a commercial cell with its datasheet (or teardown) figures and
sources. The model builds it from the bundled material data of one design, changed only by the
row's ``changes`` (its format, dimensions and any teardown electrode figures; a bare name is a
parameter of that design, ``material.x.y`` or ``price.x`` a flat parameter), and predicts
capacity, mass, Wh/kg and Wh/L. Rows marked ``shipped`` are the real cells the bundled designs
stand for, unchanged: those must land within ±8 % (``tests/test_validation_cells.py``).

``batpac.csv`` holds BatPaC 5.0's default cell (NMC811/graphite pouch), configured alike.

Print both tables: ``python tests/validation/cells.py`` (add ``--markdown`` for the README).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
if __package__ in (None, ""):
    sys.path.insert(0, str(HERE.parents[1]))

from costmodel import Model  # noqa: E402
from costmodel.scenario import apply_overrides  # noqa: E402

TOLERANCE = 0.08
"""Largest relative gap allowed between a shipped design and the real cell it stands for."""


def _overrides(design: str, changes: object) -> list[str]:
    """``changes`` text ('a=1; material.x.y=2') as override strings: bare names are design parameters."""
    if not isinstance(changes, str) or not changes.strip():
        return []
    out = []
    for part in changes.split(";"):
        part = part.strip()
        if not part:
            continue
        name = part.split("=", 1)[0].strip()
        out.append(part if "." in name else f"design.{design}.{part}")
    return out


def evaluate(model: Model, design: str, changes: object, year: int = 2025) -> dict[str, float]:
    """Model figures of ``design`` with ``changes``: Ah, Wh, mass (kg), Wh/kg, Wh/L, USD/kWh, electrolyte g/Ah."""
    values, choices = apply_overrides(model.parameters(year), _overrides(design, changes), where="cells.csv")
    res = model.evaluate_arrays(values, choices, [design])[design]
    m = {k: float(v) for k, v in res.metrics.items()}
    return {"ah": m["cell_ah"], "wh": m["cell_wh"], "mass_kg": m["cell_mass_kg"], "wh_per_kg": m["wh_per_kg"],
            "wh_per_l": m["wh_per_l"], "usd_per_kwh": float(res.total), "electrolyte_g_ah": m["electrolyte_g_ah"]}


def _gap(model_value: float, published: float, bound: str) -> float:
    """Relative gap model/published − 1; for a published minimum (bound 'min') a model above it counts as 0."""
    if not math.isfinite(published) or published <= 0:
        return math.nan
    gap = model_value / published - 1.0
    return max(gap, 0.0) if bound == "min" and gap > 0 else gap


def cells_table(model: Model | None = None) -> pd.DataFrame:
    """One row per validation cell: published and model figures and the relative gaps."""
    model = model or Model()
    cells = pd.read_csv(HERE / "cells.csv", keep_default_na=False, na_values=[""])
    rows = []
    for c in cells.itertuples(index=False):
        got = evaluate(model, c.design, c.changes)
        bound = str(c.bound or "exact")
        row = {"cell": c.cell, "design": c.design, "format": c.format, "shipped": str(c.shipped) == "yes", "bound": bound}
        for key in ("ah", "mass_kg", "wh_per_kg", "wh_per_l"):
            pub = float(getattr(c, key)) if pd.notna(getattr(c, key)) else math.nan
            row[f"{key}_published"] = pub
            row[f"{key}_model"] = got[key]
            row[f"{key}_gap"] = _gap(got[key], pub, bound if key in ("wh_per_kg", "wh_per_l") else "exact")
        row["electrolyte_g_ah_model"] = got["electrolyte_g_ah"]
        row["source"] = c.source
        rows.append(row)
    return pd.DataFrame(rows)


def batpac_table(model: Model | None = None) -> pd.DataFrame:
    """BatPaC's default cells against the engine configured alike (same design figures and prices)."""
    model = model or Model()
    cells = pd.read_csv(HERE / "batpac.csv", keep_default_na=False, na_values=[""])
    rows = []
    for c in cells.itertuples(index=False):
        got = evaluate(model, c.design, c.changes)
        rows.append({
            "cell": c.cell,
            "ah_published": c.ah, "ah_model": got["ah"],
            "wh_per_kg_published": c.wh_per_kg, "wh_per_kg_model": got["wh_per_kg"],
            "wh_per_l_published": c.wh_per_l, "wh_per_l_model": got["wh_per_l"],
            "electrolyte_g_ah_published": c.electrolyte_g_ah, "electrolyte_g_ah_model": got["electrolyte_g_ah"],
            "usd_per_kwh_published": c.usd_per_kwh, "usd_per_kwh_model": got["usd_per_kwh"],
            "source": c.source,
        })
    out = pd.DataFrame(rows)
    for key in ("ah", "wh_per_kg", "wh_per_l", "electrolyte_g_ah", "usd_per_kwh"):
        out[f"{key}_gap"] = out[f"{key}_model"] / out[f"{key}_published"] - 1.0
    return out


def _pct(x: float) -> str:
    return "" if not math.isfinite(x) else f"{100 * x:+.0f} %"


def _num(x: float, fmt: str = "{:.0f}") -> str:
    return "" if not math.isfinite(x) else fmt.format(x)


def render(markdown: bool = False) -> str:
    """Both tables as text (or Markdown for the README)."""
    t = cells_table()
    head = ["cell", "design", "format", "Ah pub.", "Ah model", "kg pub.", "kg model", "Wh/kg pub.", "Wh/kg model", "gap",
            "Wh/L pub.", "Wh/L model", "gap"]
    lines = []
    for r in t.itertuples(index=False):
        star = " (shipped)" if r.shipped else ""
        mark = ">= " if r.bound == "min" else ""
        lines.append([f"{r.cell}{star}", r.design, r.format, _num(r.ah_published, "{:.1f}"), _num(r.ah_model, "{:.1f}"),
                      _num(r.mass_kg_published, "{:.3f}"), _num(r.mass_kg_model, "{:.3f}"),
                      mark + _num(r.wh_per_kg_published), _num(r.wh_per_kg_model), _pct(r.wh_per_kg_gap),
                      mark + _num(r.wh_per_l_published), _num(r.wh_per_l_model), _pct(r.wh_per_l_gap)])
    b = batpac_table()
    bhead = ["BatPaC cell", "Ah pub.", "Ah model", "Wh/kg pub.", "Wh/kg model", "gap", "Wh/L pub.", "Wh/L model", "gap",
             "g/Ah pub.", "g/Ah model", "USD/kWh pub.", "USD/kWh model", "gap"]
    blines = [[r.cell, _num(r.ah_published, "{:.1f}"), _num(r.ah_model, "{:.1f}"), _num(r.wh_per_kg_published),
               _num(r.wh_per_kg_model), _pct(r.wh_per_kg_gap), _num(r.wh_per_l_published), _num(r.wh_per_l_model),
               _pct(r.wh_per_l_gap), _num(r.electrolyte_g_ah_published, "{:.2f}"), _num(r.electrolyte_g_ah_model, "{:.2f}"),
               _num(r.usd_per_kwh_published, "{:.1f}"), _num(r.usd_per_kwh_model, "{:.1f}"), _pct(r.usd_per_kwh_gap)]
              for r in b.itertuples(index=False)]
    return _format(head, lines, markdown) + "\n\n" + _format(bhead, blines, markdown)


def _format(head: list[str], lines: list[list[str]], markdown: bool) -> str:
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        out += ["| " + " | ".join(line) + " |" for line in lines]
        return "\n".join(out)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
    fmt = "  ".join(f"{{:{'<' if i < 3 else '>'}{w}}}" for i, w in enumerate(widths))
    return "\n".join(fmt.format(*row) for row in [head, *lines])


if __name__ == "__main__":
    print(render(markdown="--markdown" in sys.argv))
