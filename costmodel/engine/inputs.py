"""From flat parameters to the engine's canonical inputs.

Flat parameter names (the override syntax uses the same names):
    ``price.<item>``               price in the item's quoted unit (e.g. CNY/t)
    ``fx.cny_per_usd``             exchange rate of the year
    ``global.<name>``              plant, finance and learning parameters
    ``design.<design>.<name>``     design parameters
    ``material.<material>.<prop>`` material properties
    ``link.<target>.coefficient``, ``link.<target>.driver_ref``  price links

Values may be floats or numpy arrays (one element per scenario); everything broadcasts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from costmodel.units import PriceUnit


@dataclass(frozen=True)
class PriceLink:
    """A derived price: target = table value + coefficient × (driver − driver_ref).

    The coefficient is in kg of driver per kg of target (mass/mass) or, generally, in
    canonical driver units per canonical target unit; driver_ref is the driver price at
    which the target's table price was quoted, in ``driver_ref_unit``.
    """

    target: str
    driver: str
    driver_ref_unit: PriceUnit


@dataclass(frozen=True)
class StaticData:
    """The non-numeric structure the engine needs: items, units and links.

    Attributes:
        price_units: item → its quoted price unit.
        categories: item → category (cathode, anode, salt, solvent, ...).
        density: item → true density (g/cm³) of foils, binders and conductive carbons.
        molar_mass: salt item → molar mass (g/mol).
        links: price links in dependency order (a driver is resolved before its targets).
    """

    price_units: Mapping[str, PriceUnit]
    categories: Mapping[str, str]
    density: Mapping[str, float]
    molar_mass: Mapping[str, float]
    links: tuple[PriceLink, ...] = field(default_factory=tuple)


class PriceBook:
    """Lazily resolved prices in USD per canonical unit, links applied.

    Only the items a design uses are converted, so an evaluation of one design over a
    million scenarios touches only its own price arrays.
    """

    def __init__(self, values: Mapping[str, object], static: StaticData) -> None:
        self._values = values
        self._static = static
        self._links = {link.target: link for link in static.links}
        self._cache: dict[str, object] = {}
        self.fx = values["fx.cny_per_usd"]

    def __getitem__(self, item: str):
        """Price of ``item`` in USD per canonical unit (kg, m², cell, kWh)."""
        if item not in self._cache:
            unit = self._static.price_units[item]
            price = unit.to_canonical(self._values[f"price.{item}"], self.fx)
            link = self._links.get(item)
            if link is not None:
                driver = self[link.driver]
                ref = link.driver_ref_unit.to_canonical(self._values[f"link.{item}.driver_ref"], self.fx)
                price = price + self._values[f"link.{item}.coefficient"] * (driver - ref)
            self._cache[item] = price
        return self._cache[item]


def design_view(values: Mapping[str, object], design: str) -> dict[str, object]:
    """The ``design.<design>.*`` numeric parameters, with the prefix removed."""
    prefix = f"design.{design}."
    return {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}
