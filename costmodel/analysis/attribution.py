"""Cost-change attribution between two input sets (A → B) by Shapley values.

Players are the inputs that differ between A and B, grouped: every ``price.<item>``, FX rate,
global and choice on its own; the numeric ``design.<d>.*`` parameters of a design as one group,
likewise ``material.<m>.*``, ``region.<r>.*`` and ``link.<target>.*`` (``group=False`` keeps every parameter on its
own). The value of a coalition S is the cost with S's inputs taken from B and the others from A,
so the parts add up to cost(B) − cost(A).

Exact for up to ``EXACT_MAX`` players: all 2^k coalitions are evaluated in one vectorized engine
call per pattern of choice players (a choice cannot be an array), and the part of player i is
Σ_S |S|!(k−|S|−1)!/k! · (v(S ∪ {i}) − v(S)). Beyond that, random permutations in antithetic
pairs (a permutation and its reverse): each permutation's increments telescope to the total
change, so the parts add up exactly whatever the sample; the standard error of each part is
estimated from the spread of the pair means.

References:
    L. S. Shapley, A value for n-person games (1953).
    S. Mitchell et al., Sampling permutations for Shapley value estimation, JMLR 23 (2022).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from costmodel.model import Model

EXACT_MAX = 12
"""Largest number of players attributed exactly (2^12 = 4,096 coalitions)."""

ROWS_PER_CALL = 131_072
"""Coalitions per engine call at most (bounds memory for large sampled runs)."""


@dataclass(frozen=True)
class Player:
    """One input (or group of inputs) of the attribution: its name and the flat parameters it moves."""

    name: str
    numeric: tuple[str, ...]
    choices: tuple[str, ...]


@dataclass(frozen=True)
class Attribution:
    """Shapley parts per design.

    Attributes:
        parts: design, input, members, a_value, b_value, usd_per_kwh (the part), stderr (0 when exact).
        totals: design, cost_a, cost_b, change (USD/kWh).
        exact: True when every coalition was evaluated. permutations: sampled permutations (0 when exact).
    """

    parts: pd.DataFrame
    totals: pd.DataFrame
    exact: bool
    permutations: int = 0


def _group_key(name: str, is_choice: bool, group: bool) -> str:
    parts = name.split(".")
    if group and not is_choice and parts[0] in ("design", "material", "region", "link") and len(parts) == 3:
        return f"{parts[0]}.{parts[1]}.*"
    return name


def players(va: Mapping[str, float], ca: Mapping[str, str], vb: Mapping[str, float], cb: Mapping[str, str],
            group: bool = True) -> list[Player]:
    """The inputs that differ between A and B, grouped (see the module docstring), in a stable order."""
    num = [k for k in sorted(set(va) & set(vb)) if not np.array_equal(np.asarray(va[k], float), np.asarray(vb[k], float))]
    cho = [k for k in sorted(set(ca) | set(cb)) if ca.get(k) != cb.get(k)]
    out: dict[str, tuple[list[str], list[str]]] = {}
    for k in num:
        out.setdefault(_group_key(k, False, group), ([], []))[0].append(k)
    for k in cho:
        out.setdefault(_group_key(k, True, group), ([], []))[1].append(k)
    order = {"price": 0, "fx": 1, "global": 2, "material": 3, "design": 4, "link": 5}
    names = sorted(out, key=lambda n: (order.get(n.split(".", 1)[0], 9), n))
    return [Player(n, tuple(out[n][0]), tuple(out[n][1])) for n in names]


def exact_shapley(value: Callable[[np.ndarray], np.ndarray], k: int) -> np.ndarray:
    """Exact Shapley values of ``k`` players.

    Args:
        value: maps boolean coalition masks (m × k) to values (m × d), vectorized.

    Returns:
        k × d parts; they add up to value(all) − value(none).
    """
    codes = np.arange(2**k)
    masks = ((codes[:, None] >> np.arange(k)[None, :]) & 1).astype(bool)
    v = np.asarray(value(masks), dtype=float)
    size = masks.sum(axis=1)
    fact = np.array([math.factorial(s) for s in range(k + 1)], dtype=float)
    parts = np.zeros((k, v.shape[1]))
    for i in range(k):
        without = codes[~masks[:, i]]
        w = fact[size[without]] * fact[k - size[without] - 1] / fact[k]
        parts[i] = w @ (v[without | (1 << i)] - v[without])
    return parts


def sampled_shapley(value: Callable[[np.ndarray], np.ndarray], k: int, permutations: int,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Shapley values from ``permutations`` random orders in antithetic pairs (each order and its reverse).

    Returns:
        (parts, stderr), each k × d. Each order's increments telescope to value(all) − value(none),
        so the parts add up to the total change whatever the sample.
    """
    half = max(1, permutations // 2)
    order = np.argsort(rng.random((half, k)), axis=1)
    order = np.concatenate([order, order[:, ::-1]])
    n = len(order)
    position = np.empty_like(order)
    np.put_along_axis(position, order, np.arange(k)[None, :], axis=1)  # position[p, i]: step at which i joins
    masks = position[:, None, :] < np.arange(k + 1)[None, :, None]  # n × (k+1) × k: after 0..k joins
    v = np.asarray(value(masks.reshape(-1, k)), dtype=float).reshape(n, k + 1, -1)
    steps = np.diff(v, axis=1)  # n × k × d: increment of the player joining at each step
    inc = np.take_along_axis(steps, position[:, :, None], axis=1)  # n × k × d by player
    parts = inc.mean(axis=0)
    if half > 1:
        pairs = 0.5 * (inc[:half] + inc[half:])
        err = pairs.std(axis=0, ddof=1) / math.sqrt(half)
    else:
        err = np.full(parts.shape, np.nan)
    return parts, err


def coalition_costs(model: Model, masks: np.ndarray, plist: Sequence[Player], va, ca, vb, cb, designs: Sequence[str]) -> np.ndarray:
    """Cost of each coalition (rows of the boolean ``masks``) for each design: m × d (USD/kWh).

    Rows with the same pattern of choice players share one engine call (in pieces of ``ROWS_PER_CALL``).
    """
    masks = np.asarray(masks, dtype=bool)
    out = np.empty((len(masks), len(designs)))
    cols = [i for i, p in enumerate(plist) if p.choices]
    if cols:
        patterns, inverse = np.unique(masks[:, cols], axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
    else:
        patterns, inverse = np.zeros((1, 0), bool), np.zeros(len(masks), dtype=np.intp)
    for n, pat in enumerate(patterns):
        rows_all = np.flatnonzero(inverse == n)
        c = dict(ca)
        for i, on in zip(cols, pat, strict=True):
            for name in plist[i].choices:
                c[name] = cb[name] if on else ca[name]
        for start in range(0, len(rows_all), ROWS_PER_CALL):
            rows = rows_all[start:start + ROWS_PER_CALL]
            v = dict(va)
            for i, p in enumerate(plist):
                for name in p.numeric:
                    v[name] = np.where(masks[rows, i], float(vb[name]), float(va[name]))
            res = model.evaluate_arrays(v, c, designs)
            for j, d in enumerate(designs):
                out[rows, j] = np.broadcast_to(np.asarray(res[d].total, dtype=float), rows.shape)
    return out


def shapley(model: Model, a: tuple[Mapping[str, float], Mapping[str, str]], b: tuple[Mapping[str, float], Mapping[str, str]],
            designs: Sequence[str] | None = None, samples: int = 2000, seed: int = 0, group: bool = True) -> Attribution:
    """Shapley attribution of cost(B) − cost(A) to the inputs that differ.

    Args:
        model: evaluates both sides (A and B must share its items, units and links).
        a, b: (values, choices) of the two sides (flat parameters of one year).
        designs: designs to attribute (all when omitted).
        samples: permutations (in antithetic pairs) when there are more than ``EXACT_MAX`` players.
        seed: seed of the permutation sample. group: group design/material/link parameters (see module docstring).
    """
    designs = model.check_designs(designs)
    va, ca = a
    vb, cb = b
    plist = players(va, ca, vb, cb, group)
    k = len(plist)

    def value(masks: np.ndarray) -> np.ndarray:
        return coalition_costs(model, masks, plist, va, ca, vb, cb, designs)

    ends = value(np.array([[False] * k, [True] * k], dtype=bool).reshape(2, k))
    exact = k <= EXACT_MAX
    n_perm = 0
    if k == 0:
        parts = err = np.zeros((0, len(designs)))
    elif exact:
        parts, err = exact_shapley(value, k), np.zeros((k, len(designs)))
    else:
        n_perm = 2 * max(1, samples // 2)
        parts, err = sampled_shapley(value, k, samples, np.random.default_rng(seed))
    rows = []
    for j, d in enumerate(designs):
        for i, p in enumerate(plist):
            names = p.numeric + p.choices
            av = _describe([va.get(n, ca.get(n)) for n in names])
            bv = _describe([vb.get(n, cb.get(n)) for n in names])
            rows.append((d, p.name, ", ".join(names), av, bv, float(parts[i, j]), float(err[i, j])))
    totals = pd.DataFrame(
        [(d, float(ends[0, j]), float(ends[1, j]), float(ends[1, j] - ends[0, j])) for j, d in enumerate(designs)],
        columns=["design", "cost_a", "cost_b", "change"],
    )
    frame = pd.DataFrame(rows, columns=["design", "input", "members", "a_value", "b_value", "usd_per_kwh", "stderr"])
    return Attribution(frame, totals, exact, n_perm)


def _describe(values: list) -> str:
    """A readable value (or values) of a player."""
    def one(v):
        if isinstance(v, str) or v is None:
            return str(v)
        return f"{float(v):.6g}"

    return one(values[0]) if len(values) == 1 else "; ".join(one(v) for v in values)
