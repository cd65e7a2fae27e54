"""The discrete decision space of the path model: lever groups, route families and how they are blocked.

Every year the planner picks one alternative per *group*: a lever exclusivity group (no lever, or one
of its levers) or a route family (one of its routes, or a blend of two). Groups are gathered into *blocks*;
the model has one binary per block alternative (a combination of its groups' alternatives) and year, and the
engine's cost is expanded exactly inside a block and to second order across blocks (see
``coefficients``). One block holding every group is the exact enumerated formulation; one block per
group is the compact lever-wise formulation for large lever counts.

Blends. Cell makers dual-source hard carbon and powder-blend the two grades in one coating (``engine.blend``).
With ``blend_step`` > 0 (``optimizer_settings.csv``) a family whose routes set a material that can blend (the
anode material, ``BLENDABLE``) also offers every pair of its routes mixed on a grid of shares: with 0.1, the
pure routes plus each pair at 10 %, 20 %, ..., 90 % of the second route. Each blend is one more alternative of
the family, costed exactly by the engine like any other (``design.<d>.anode_material_2`` and
``anode_blend_share`` set by its overrides). A grid of exact points rather than a continuous share variable:
the cost is nonlinear in the share (the blend's capacity sets the anode mass, its first-cycle efficiency the
cathode mass, and both the cell's energy and so its conversion cost), so a linear share variable would
misprice every blend between its ends, while every grid point is priced exactly and the supplier caps see
each material's mass at that share. Other families (the cathode) keep one route per year: their material
cannot be blended in the engine. A blend uses both its routes: each route's earliest year holds for every
blend that uses it, and its switching cost is paid the first year it is used at any share.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

from costmodel.engine.blend import NO_MATERIAL, SECOND, SHARE
from costmodel.optimize.data import OptimizerData, Route
from costmodel.scenario import Override

#: combinations up to which ``auto`` enumerates every choice in one block (exact)
EXACT_LIMIT = 64


BLENDABLE: dict[str, tuple[str, str]] = {"anode_material": (SECOND, SHARE)}
"""Design choices whose routes may blend → the blend's (second material, share) parameters (``engine.blend``)."""


@dataclass(frozen=True)
class Blend:
    """Two routes of one family used together: ``first`` at 1 − ``share`` and ``second`` at ``share`` of the blended
    material's mass (0 < share < 1, -)."""

    first: str
    second: str
    share: float

    @property
    def parts(self) -> tuple[tuple[str, float], ...]:
        """(route, mass share) of both routes."""
        return (self.first, 1.0 - self.share), (self.second, self.share)

    def __str__(self) -> str:
        return f"{self.first} {_pct(1.0 - self.share)} % + {self.second} {_pct(self.share)} %"


Alternative = str | Blend | None
"""A group's alternative: a lever or route name, a blend of two routes, or None (no lever of the group)."""


def _pct(share: float) -> str:
    return f"{100 * share:.4g}"


def parts(alt: Alternative) -> tuple[tuple[str, float], ...]:
    """(route or lever, share) of an alternative: ``((name, 1.0),)`` for a name, both routes of a blend, () for None."""
    if alt is None:
        return ()
    if isinstance(alt, Blend):
        return alt.parts
    return ((alt, 1.0),)


def uses(alt: Alternative, name: str) -> bool:
    """True when ``alt`` uses the route (or lever) ``name`` at any share."""
    return any(n == name for n, _ in parts(alt))


def label(alt: Alternative) -> str:
    """An alternative as people read it: ``hc_coconut``, ``hc_coconut 60 % + hc_bamboo 40 %``, ``-`` for None."""
    return "-" if alt is None else str(alt)


def blendable(route: Route) -> str | None:
    """The blendable parameter a route sets (``anode_material``), or None: a route blends when its change sets a design
    choice of ``BLENDABLE`` (``design.<d>.anode_material=hc_bamboo``) in every year."""
    scope, _, rest = route.change.path.partition(".")
    param = rest.rsplit(".", 1)[-1]
    ok = scope == "design" and param in BLENDABLE and route.change.op == "set" and isinstance(route.change.value, str)
    return param if ok and route.change.years is None and route.change.months is None else None


def route_changes(alt: Alternative, routes: Mapping[str, Route], blends: bool) -> tuple[Override, ...]:
    """The overrides of a route alternative: the route's change; for a blend also the second route's material and the
    share (``design.<d>.anode_material_2``, ``design.<d>.anode_blend_share``). In a family with blends (``blends``) a
    pure route also sets the second material to none and the share to 0, so that it is the pure route whatever the data's
    own blend."""
    if alt is None:
        return ()
    first = routes[alt.first if isinstance(alt, Blend) else alt]
    param = blendable(first)
    if param is None or not (blends or isinstance(alt, Blend)):
        return (first.change,)
    base = first.change.path.rsplit(".", 1)[0]
    second_param, share_param = BLENDABLE[param]
    if isinstance(alt, Blend):
        second, share = routes[alt.second].change.value, alt.share
    else:
        second, share = NO_MATERIAL, 0.0
    where = f"route {label(alt)}"
    return (first.change, Override(f"{base}.{second_param}", "set", second, where=where),
            Override(f"{base}.{share_param}", "set", float(share), where=where))


@dataclass(frozen=True)
class Group:
    """One choice made every year.

    Attributes:
        name: the lever group or route family.
        kind: ``lever`` or ``route``.
        alternatives: lever names (``None`` = no lever of the group), route names and blends of two routes.
        reference: index of the do-nothing alternative (no lever; the incumbent route or blend).
    """

    name: str
    kind: str
    alternatives: tuple[Alternative, ...]
    reference: int

    @property
    def blends(self) -> bool:
        """True when some alternative is a blend (its pure routes then reset the data's blend, see ``route_changes``)."""
        return any(isinstance(a, Blend) for a in self.alternatives)


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
        return tuple(sorted(str(g.alternatives[a]) for g, a in zip(self.groups, point, strict=True)
                            if g.kind == "lever" and g.alternatives[a] is not None))

    def routes(self, point: tuple[int, ...]) -> dict[str, str | Blend]:
        """Route (or blend of two routes) per family at ``point``."""
        return {g.name: g.alternatives[a] for g, a in zip(self.groups, point, strict=True) if g.kind == "route"}  # type: ignore[misc]

    def shares(self, point: tuple[int, ...]) -> dict[str, dict[str, float]]:
        """Family → route → mass share (1.0 for a single route) at ``point``."""
        return {fam: dict(parts(alt)) for fam, alt in self.routes(point).items()}

    def overrides(self, point: tuple[int, ...], data: OptimizerData) -> list[Override]:
        """Every lever and route override of ``point`` (blends included)."""
        lever = {lv.name: lv.changes for lv in data.levers}
        routes = {r.name: r for r in data.routes}
        out = [c for name in self.levers(point) for c in lever[name]]
        for g, a in zip(self.groups, point, strict=True):
            if g.kind == "route":
                out += route_changes(g.alternatives[a], routes, g.blends)
        return out

    @property
    def combinations(self) -> int:
        """Number of points (lever sets × route combinations)."""
        return math.prod(len(g.alternatives) for g in self.groups)


def incumbents(data: OptimizerData, choices: Mapping[str, str], values: Mapping[str, float] | None = None
               ) -> dict[str, str | Blend]:
    """Family → incumbent: the route whose change matches the design's current choice, or, when the design's data
    already blend two materials (``anode_material_2`` and ``anode_blend_share`` > 0 in ``values``) that are two routes
    of a blendable family, that blend. A family without one has no incumbent (every route of it must be entered, at its
    switching cost)."""
    out: dict[str, str | Blend] = {r.family: r.name for r in data.routes if choices.get(r.change.path) == r.change.value}
    if values is None:
        return out
    for fam, name in list(out.items()):
        first = next(r for r in data.routes if r.name == name)
        param = blendable(first)
        if param is None:
            continue
        base = first.change.path.rsplit(".", 1)[0]
        second_param, share_param = BLENDABLE[param]
        second, share = choices.get(f"{base}.{second_param}", NO_MATERIAL), float(values.get(f"{base}.{share_param}", 0.0))
        if second == NO_MATERIAL or share <= 0:
            continue
        other = next((r.name for r in data.routes if r.family == fam and r.name != name and blendable(r) == param
                      and r.change.path == first.change.path and r.change.value == second), None)
        if other is not None:
            order = [r.name for r in data.routes]
            if share >= 1:
                out[fam] = other
            elif order.index(other) < order.index(name):  # blends pair routes in table order (see ``blends``)
                out[fam] = Blend(other, name, 1.0 - share)
            else:
                out[fam] = Blend(name, other, share)
    return out


def blends(family: list[Route], step: float) -> list[Blend]:
    """Every pair of a family's blendable routes mixed on a grid of ``step`` (fraction; none when 0): the share of the
    second route of each pair (table order) from one step to 1 − one step. Routes that name the same material (or set
    different parameters) are not paired: their blend is no blend."""
    if step <= 0:
        return []
    n = round(1.0 / step)
    out = []
    for a, b in itertools.combinations(family, 2):
        if blendable(a) is None or a.change.path != b.change.path or blendable(b) is None or a.change.value == b.change.value:
            continue
        out += [Blend(a.name, b.name, k / n) for k in range(1, n)]
    return out


def blend_families(data: OptimizerData) -> tuple[str, ...]:
    """Families that can blend (two routes setting a blendable material to different values), whatever the step."""
    families: dict[str, list[Route]] = {}
    for r in data.routes:
        families.setdefault(r.family, []).append(r)
    return tuple(fam for fam, routes in families.items() if blends(routes, 0.5))


def space(data: OptimizerData, incumbent: Mapping[str, str | Blend], formulation: str = "auto") -> Space:
    """The decision space of ``data``.

    Args:
        incumbent: route family → incumbent route or blend (the reference alternative).
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
    families: dict[str, list[Route]] = {}
    for r in data.routes:
        families.setdefault(r.family, []).append(r)
    for fam, routes in families.items():
        alts: list[Alternative] = [r.name for r in routes]
        alts += blends(routes, data.blend_step)
        inc = incumbent.get(fam)
        if inc is not None and inc not in alts:
            alts.append(inc)  # the data's own blend, off the grid
        if alts != [inc]:  # a family with only its incumbent is no choice
            groups.append(Group(fam, "route", tuple(alts), alts.index(inc) if inc is not None else 0))
    n = math.prod(len(g.alternatives) for g in groups)
    if formulation not in ("auto", "exact", "pairwise"):
        raise ValueError(f"unknown formulation {formulation!r}")
    one_block = formulation == "exact" or (formulation == "auto" and n <= EXACT_LIMIT)
    blocks = (tuple(range(len(groups))),) if one_block else tuple((g,) for g in range(len(groups)))
    if not groups:
        blocks = ((),)
    alternatives = tuple(tuple(itertools.product(*(range(len(groups[g].alternatives)) for g in blk))) for blk in blocks)
    return Space(tuple(groups), blocks, alternatives)
