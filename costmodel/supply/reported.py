"""Reported production per chain stage against the demand implied by cell output: inventory build or draw.

    implied_x,p   demand of stage x implied by cell output in period p (kt; GWh for cells)
    reported_x,p  the reported output (kt or GWh), or the previous period's level × (1 + change / 100) for a
                  ``% yoy`` figure; the previous level is the reported one, else the implied one (the base
                  period taken as balanced, noted as ``basis: implied``)
    build_x,p     reported − implied: positive = inventory build, negative = draw

Cell output is the reported sodium-ion cell output where one is given, else the modelled demand; the sodium
stages (cathode, anode, electrolyte) and the materials scale the sodium designs' demand to it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

STAGE_UNITS = {"cells": "GWh"}


def sodium_scale(reported: pd.DataFrame, periods: tuple[int, ...], sodium_gwh: np.ndarray) -> np.ndarray:
    """Cell output / modelled sodium-ion demand per period (1 where no cell output is reported)."""
    scale = np.ones(len(periods))
    levels = _levels(reported[reported["stage"] == "cells"], periods, dict(zip(periods, sodium_gwh, strict=True)))
    for j, p in enumerate(periods):
        if p in levels and sodium_gwh[j] > 0:
            scale[j] = levels[p][0] / sodium_gwh[j]
    return scale


def _levels(rows: pd.DataFrame, periods: tuple[int, ...], implied: Mapping[int, float]) -> dict[int, tuple[float, str]]:
    """Period → (reported level, basis) for the rows of one stage; ``% yoy`` rows compound on the previous period."""
    out: dict[int, tuple[float, str]] = {}
    by_period = {int(r.period): r for r in rows.itertuples()}
    for p in sorted(by_period):
        r = by_period[p]
        if r.kind == "level":
            out[p] = (r.value, "reported")
            continue
        prev = p - 1 if p < 10000 else (p - 89 if p % 100 == 1 else p - 1)
        if prev in out:
            base, basis = out[prev][0], "reported"
        elif prev in implied:
            base, basis = implied[prev], "implied"
        else:
            continue
        out[p] = (base * (1.0 + r.value / 100.0), f"% yoy on the {basis} {prev} level")
    return {p: v for p, v in out.items() if p in periods}


def inventory(reported: pd.DataFrame, periods: tuple[int, ...], implied: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Reported against implied output per stage and period.

    Args:
        reported: the validated Reported production rows (stage, period, value, kind).
        implied: stage → implied output over ``periods`` (kt, or GWh for cells).

    Returns:
        Rows of stage, period, unit, reported, implied, build (reported − implied; + build, − draw), basis.
    """
    rows = []
    for stage in dict.fromkeys(reported["stage"]):
        if stage not in implied:
            continue
        imp = dict(zip(periods, (float(x) for x in implied[stage]), strict=True))
        for p, (level, basis) in sorted(_levels(reported[reported["stage"] == stage], periods, imp).items()):
            rows.append({"stage": stage, "period": p, "unit": STAGE_UNITS.get(stage, "kt"), "reported": level,
                         "implied": imp[p], "build": level - imp[p], "basis": basis})
    return pd.DataFrame(rows, columns=["stage", "period", "unit", "reported", "implied", "build", "basis"])
