"""Material demand against capacity: utilisation, shortfall, and the first period each material binds.

    demand_m      Σ_d D_d × total intensity_{d,m}        (GWh × kg/kWh = kt per period)
    capacity_m    nameplate_m × period length            (kt per period; nameplate in kt/yr)
    utilisation   demand / capacity
    available     capacity × ceiling
    shortfall     max(0, demand − available)             (kt per period)
A material binds in a period when its demand exceeds what is available (utilisation above the ceiling).
Materials without a capacity have NaN capacity and utilisation (never binding).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from costmodel.supply.params import SupplyParameters, period_length_years


@dataclass(frozen=True)
class Balance:
    """Demand and capacity by material (rows) and period (columns).

    Attributes:
        materials, periods: the axes.
        demand: (M, P) demand per period (kt; Mm² or M cells for non-mass materials).
        capacity: (M, P) nameplate per period (NaN without a capacity).
        ceiling: (M, P) utilisation ceiling (-).
    """

    materials: tuple[str, ...]
    periods: tuple[int, ...]
    demand: np.ndarray
    capacity: np.ndarray
    ceiling: np.ndarray

    @property
    def available(self) -> np.ndarray:
        """Capacity that can be run, per period (capacity × ceiling)."""
        return self.capacity * self.ceiling

    @property
    def utilisation(self) -> np.ndarray:
        """Demand / nameplate capacity (-); inf for demand against zero capacity, NaN without a capacity."""
        with np.errstate(divide="ignore", invalid="ignore"):
            u = self.demand / self.capacity
        return np.where((self.capacity == 0) & (self.demand == 0), 0.0, u)

    @property
    def shortfall(self) -> np.ndarray:
        """Demand above what is available (kt per period); 0 without a capacity."""
        return np.where(np.isnan(self.capacity), 0.0, np.maximum(self.demand - np.nan_to_num(self.available), 0.0))

    @property
    def binds(self) -> np.ndarray:
        """(M, P) True where demand exceeds what is available."""
        return self.shortfall > 1e-12

    def first_binding(self) -> list[tuple[str, int, float]]:
        """Materials that bind, with the first period each binds and its utilisation then; earliest first, then
        by utilisation over the ceiling (highest first)."""
        out = []
        u = self.utilisation
        for i, m in enumerate(self.materials):
            hit = np.flatnonzero(self.binds[i])
            if len(hit):
                j = int(hit[0])
                out.append((m, self.periods[j], float(u[i, j]), float(u[i, j] / self.ceiling[i, j])))
        out.sort(key=lambda x: (x[1], -x[3]))
        return [(m, p, uu) for m, p, uu, _ in out]


def capacity_arrays(params: SupplyParameters, materials: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(capacity per period, ceiling) over materials × periods; NaN capacity for a material without one."""
    length = np.array([period_length_years(p) for p in params.periods])
    have = set(params.capacity_materials)
    cap = np.array([params.array(f"capacity.{m}.nameplate") * length if m in have else np.full(len(params.periods), np.nan)
                    for m in materials]).reshape(len(materials), len(params.periods))
    ceil = np.array([params.array(f"capacity.{m}.ceiling", 1.0) for m in materials]).reshape(len(materials), len(params.periods))
    return cap, ceil


def material_demand(design_gwh: np.ndarray, total_intensity: np.ndarray) -> np.ndarray:
    """Demand by material (M, P): Σ_d GWh_{d,p} × intensity_{d,m,p} (kt per period)."""
    return np.einsum("dp,dmp->mp", design_gwh, total_intensity)


def balance(demand: np.ndarray, params: SupplyParameters, materials: tuple[str, ...],
            arrays: tuple[np.ndarray, np.ndarray] | None = None) -> Balance:
    """The balance of ``demand`` (M, P) against the capacities of ``params`` (``arrays``: precomputed
    ``capacity_arrays``)."""
    cap, ceil = arrays if arrays is not None else capacity_arrays(params, materials)
    return Balance(materials, params.periods, demand, cap, ceil)
