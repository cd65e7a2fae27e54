"""One plant's supplier caps from the industry balance: capacity × market share (ties the path optimizer to the
supply chain, so that one plant's plan and the industry balance tell one story).

    cap_i = share × available_m(year) × cap0_i / Σ_{j supplies m} cap0_j

The plant may buy ``share`` of what the industry can run of material m (nameplate × ceiling, kt/yr) in ``year``,
split between the optimizer's suppliers of m in proportion to their own caps. Suppliers of a material without an
industry capacity keep their caps. The optimizer's default data is unchanged unless this is asked for
(``costmodel optimize --industry-share``).
"""

from __future__ import annotations

from dataclasses import replace

from costmodel.optimize.data import OptimizerData
from costmodel.supply.params import SupplyParameters


def industry_available_kt(params: SupplyParameters, material: str, period: int) -> float | None:
    """What the industry can run of ``material`` in ``period``, kt/yr (nameplate × ceiling); None without a capacity."""
    if material not in params.capacity_materials:
        return None
    p = period if period in params.values else min(params.periods, key=lambda x: abs(x - period))
    v = params.values[p]
    return v[f"capacity.{material}.nameplate"] * v[f"capacity.{material}.ceiling"]


def supplier_caps(data: OptimizerData, params: SupplyParameters, share: float, period: int) -> OptimizerData:
    """``data`` with each supplier's capacity set to its part of ``share`` × the industry's available capacity.

    Args:
        data: the optimizer's data for one design.
        params: resolved supply parameters (with any scenario's overrides).
        share: the plant's share of the industry's available capacity (0-1).
        period: the period whose capacity applies (the path's first year).

    Raises:
        ValueError: a share outside [0, 1].
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"an industry share must lie between 0 and 1, not {share:g}")
    totals: dict[str, float] = {}
    for s in data.suppliers:
        totals[s.item] = totals.get(s.item, 0.0) + s.capacity_kt
    out = []
    for s in data.suppliers:
        avail = industry_available_kt(params, s.item, period)
        if avail is None:
            out.append(s)
            continue
        part = s.capacity_kt / totals[s.item] if totals[s.item] > 0 else 1.0 / sum(1 for x in data.suppliers if x.item == s.item)
        out.append(replace(s, capacity_kt=share * avail * part))
    return replace(data, suppliers=tuple(out))
