"""Cost-change attribution between two input sets by Shapley values.

Players are the inputs that differ between A and B (each numeric parameter or choice). The value of
a coalition S is the cost with S's inputs taken from B and the rest from A, so the parts add up to
cost(B) − cost(A). Exact for up to ``EXACT_MAX`` players: all 2^k coalitions are evaluated in one
vectorized engine call per pattern of choice players. Beyond, antithetic random permutations: each
permutation's increments telescope to the total, so the parts still add up exactly; the standard
error of each part is reported.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from costmodel.model import Model

EXACT_MAX = 12


@dataclass(frozen=True)
class Attribution:
    """Shapley parts per design.

    Attributes:
        parts: design, input, a_value, b_value, usd_per_kwh (the part), stderr (0 when exact).
        totals: design, cost_a, cost_b, change (USD/kWh).
        exact: True when every coalition was evaluated.
    """

    parts: pd.DataFrame
    totals: pd.DataFrame
    exact: bool


def _players(va: Mapping[str, float], ca: Mapping[str, str], vb: Mapping[str, float], cb: Mapping[str, str]) -> list[str]:
    keys = sorted(set(va) | set(vb))
    num = [k for k in keys if k in va and k in vb and float(va[k]) != float(vb[k])]
    cho = [k for k in sorted(set(ca) | set(cb)) if ca.get(k) != cb.get(k)]
    return num + cho


def _coalition_costs(model: Model, masks: np.ndarray, players: Sequence[str], va, ca, vb, cb, designs) -> dict[str, np.ndarray]:
    """Cost of each coalition (rows of the boolean ``masks``), grouped by the pattern of choice players."""
    numeric = [i for i, p in enumerate(players) if p in va]
    choice = [i for i, p in enumerate(players) if p not in va]
    out = {d: np.empty(len(masks)) for d in designs}
    patterns = {tuple(r) for r in masks[:, choice]} if choice else {()}
    for pat in patterns:
        rows = np.flatnonzero((masks[:, choice] == np.array(pat, dtype=bool)).all(axis=1)) if choice else np.arange(len(masks))
        c = dict(ca)
        for i, on in zip(choice, pat, strict=True):
            c[players[i]] = cb[players[i]] if on else ca[players[i]]
        v = dict(va)
        for i in numeric:
            v[players[i]] = np.where(masks[rows, i], float(vb[players[i]]), float(va[players[i]]))
        res = model.evaluate_arrays(v, c, designs)
        for d in designs:
            out[d][rows] = np.broadcast_to(np.asarray(res[d].total, dtype=float), rows.shape)
    return out


def shapley(model: Model, a: tuple[Mapping[str, float], Mapping[str, str]], b: tuple[Mapping[str, float], Mapping[str, str]],
            designs: Sequence[str] | None = None, samples: int = 2000, seed: int = 0) -> Attribution:
    """Shapley attribution of cost(B) − cost(A) to the inputs that differ.

    Args:
        a, b: (values, choices) of the two scenarios (flat parameters).
        samples: permutations (in antithetic pairs) when there are more than EXACT_MAX players.
    """
    designs = model.check_designs(designs)
    va, ca = a
    vb, cb = b
    players = _players(va, ca, vb, cb)
    k = len(players)
    base = _coalition_costs(model, np.zeros((1, k), bool), players, va, ca, vb, cb, designs)
    full = _coalition_costs(model, np.ones((1, k), bool), players, va, ca, vb, cb, designs)
    parts = {d: np.zeros(k) for d in designs}
    err = {d: np.zeros(k) for d in designs}
    exact = k <= EXACT_MAX
    if k and exact:
        masks = np.array(list(itertools.product([False, True], repeat=k)), dtype=bool)
        cost = _coalition_costs(model, masks, players, va, ca, vb, cb, designs)
        index = {tuple(m): n for n, m in enumerate(masks)}
        size = masks.sum(axis=1)
        weight = np.array([math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) if s < k else 0.0 for s in size])
        for i in range(k):
            without = np.flatnonzero(~masks[:, i])
            with_i = masks[without].copy()
            with_i[:, i] = True
            j = np.array([index[tuple(m)] for m in with_i])
            for d in designs:
                parts[d][i] = float(np.sum(weight[without] * (cost[d][j] - cost[d][without])))
    elif k:
        rng = np.random.default_rng(seed)
        half = max(1, samples // 2)
        perms = [rng.permutation(k) for _ in range(half)]
        perms += [p[::-1] for p in perms]  # antithetic pairs
        masks = []
        for p in perms:
            m = np.zeros(k, bool)
            masks.append(m.copy())
            for i in p:
                m[i] = True
                masks.append(m.copy())
        masks = np.array(masks)
        cost = _coalition_costs(model, masks, players, va, ca, vb, cb, designs)
        for d in designs:
            inc = np.zeros((len(perms), k))
            for n, p in enumerate(perms):
                c = cost[d][n * (k + 1):(n + 1) * (k + 1)]
                inc[n, p] = np.diff(c)
            parts[d] = inc.mean(axis=0)
            pair = 0.5 * (inc[:half] + inc[half:2 * half])
            err[d] = pair.std(axis=0, ddof=1) / math.sqrt(half) if half > 1 else np.full(k, np.nan)
    rows, tots = [], []
    for d in designs:
        for i, p in enumerate(players):
            rows.append((d, p, va.get(p, ca.get(p)), vb.get(p, cb.get(p)), parts[d][i], err[d][i]))
        tots.append((d, float(base[d][0]), float(full[d][0]), float(full[d][0] - base[d][0])))
    return Attribution(
        pd.DataFrame(rows, columns=["design", "input", "a_value", "b_value", "usd_per_kwh", "stderr"]),
        pd.DataFrame(tots, columns=["design", "cost_a", "cost_b", "change"]),
        exact,
    )
