"""The discrete decision space of the path model: lever groups, route families and how they are blocked.

Every year the planner picks one alternative per *group*: a lever exclusivity group (no lever, or one
of its levers) or a route family (one of its routes). Groups are gathered into *blocks*; the model
has one binary per block alternative (a combination of its groups' alternatives) and year, and the
engine's cost is expanded exactly inside a block and to second order across blocks (see
``coefficients``). One block holding every group is the exact enumerated formulation; one block per
group is the compact lever-wise formulation for large lever counts.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from costmodel.optimize.data import OptimizerData

#: combinations up to which ``auto`` enumerates every choice in one block (exact)
EXACT_LIMIT = 64


@dataclass(frozen=True)
class Group:
    """One choice made every year.

    Attributes:
        name: the lever group or route family.
        kind: ``lever`` or ``route``.
        alternatives: lever names (``None`` = no lever of the group) or route names.
        reference: index of the do-nothing alternative (no lever; the incumbent route).
    """

    name: str
    kind: str
    alternatives: tuple[str | None, ...]
    reference: int


@dataclass(frozen=True)
class Space:
    """Groups and their blocks.

    Attributes:
        groups: every group.
        blocks: group indices of each block.
        alternatives: per block, the combinations of its groups' alternative indices.
    """

    groups: tuple[Group, ...]
    blocks: tuple[tuple[int, ...], ...]
    alternatives: tuple[tuple[tuple[int, ...], ...], ...]

    @property
    def reference(self) -> tuple[int, ...]:
        """The do-nothing point (alternative index per group)."""
        return tuple(g.reference for g in self.groups)

    def block_alternative(self, b: int, point: tuple[int, ...]) -> int:
        """Index of the alternative of block ``b`` that ``point`` (alternative per group) uses."""
        return self.alternatives[b].index(tuple(point[g] for g in self.blocks[b]))

    def point(self, picks: tuple[int, ...]) -> tuple[int, ...]:
        """Alternative per group from one alternative index per block."""
        out = [0] * len(self.groups)
        for b, a in enumerate(picks):
            for g, alt in zip(self.blocks[b], self.alternatives[b][a], strict=True):
                out[g] = alt
        return tuple(out)

    def levers(self, point: tuple[int, ...]) -> tuple[str, ...]:
        """Adopted levers at ``point``, sorted."""
        return tuple(sorted(g.alternatives[a] for g, a in zip(self.groups, point, strict=True)
                            if g.kind == "lever" and g.alternatives[a] is not None))

    def routes(self, point: tuple[int, ...]) -> dict[str, str]:
        """Route per family at ``point``."""
        return {g.name: g.alternatives[a] for g, a in zip(self.groups, point, strict=True) if g.kind == "route"}

    @property
    def combinations(self) -> int:
        """Number of points (lever sets × route combinations)."""
        return math.prod(len(g.alternatives) for g in self.groups)


def incumbents(data: OptimizerData, choices: dict[str, str]) -> dict[str, str]:
    """Family → incumbent route: the route whose change matches the design's current choice. A family
    without one has no incumbent (every route of it must be entered, at its switching cost)."""
    return {r.family: r.name for r in data.routes if choices.get(r.change.path) == r.change.value}


def space(data: OptimizerData, incumbent: dict[str, str], formulation: str = "auto") -> Space:
    """The decision space of ``data``.

    Args:
        incumbent: route family → incumbent route (the reference alternative).
        formulation: ``exact`` (one block: every combination enumerated), ``pairwise`` (one block per
            group, second-order expansion across blocks) or ``auto`` (exact up to ``EXACT_LIMIT``
            combinations).
    """
    groups: list[Group] = []
    by_group: dict[str, list[str]] = {}
    for lv in data.levers:
        by_group.setdefault(lv.group, []).append(lv.name)
    for name, levers in by_group.items():
        groups.append(Group(name, "lever", (None, *levers), 0))
    families: dict[str, list[str]] = {}
    for r in data.routes:
        families.setdefault(r.family, []).append(r.name)
    for fam, names in families.items():
        if names != [incumbent.get(fam)]:  # a family with only its incumbent is no choice
            ref = names.index(incumbent[fam]) if fam in incumbent else 0
            groups.append(Group(fam, "route", tuple(names), ref))
    n = math.prod(len(g.alternatives) for g in groups)
    if formulation not in ("auto", "exact", "pairwise"):
        raise ValueError(f"unknown formulation {formulation!r}")
    one_block = formulation == "exact" or (formulation == "auto" and n <= EXACT_LIMIT)
    blocks = (tuple(range(len(groups))),) if one_block else tuple((g,) for g in range(len(groups)))
    if not groups:
        blocks = ((),)
    alternatives = tuple(tuple(itertools.product(*(range(len(groups[g].alternatives)) for g in blk))) for blk in blocks)
    return Space(tuple(groups), blocks, alternatives)
