"""Price units accepted at the boundary and their conversion to canonical units.

Canonical internal units: prices in the base currency (USD) per kg, per m², per cell or
per kWh of energy. A price unit is written ``CURRENCY/QUANTITY`` from a fixed list, for
example ``CNY/t``, ``USD/kg``, ``CNY/m2``, ``CNY/cell``, ``CNY/kWh``. ``t`` and ``MT``
are metric tonnes (1000 kg); an upper-case ``T`` (tesla) is refused with a hint.
"""

from __future__ import annotations

from dataclasses import dataclass

CURRENCIES: tuple[str, ...] = ("USD", "CNY")
"""Currencies accepted in unit strings. ``RMB`` is accepted as an alias of CNY."""

# quantity -> (dimension, canonical quantities per unit quantity)
QUANTITIES: dict[str, tuple[str, float]] = {
    "kg": ("mass", 1.0),
    "g": ("mass", 1e-3),
    "t": ("mass", 1000.0),
    "MT": ("mass", 1000.0),
    "m2": ("area", 1.0),
    "m²": ("area", 1.0),
    "cell": ("count", 1.0),
    "kWh": ("energy", 1.0),
    "Wh": ("energy", 1e-3),
    "MWh": ("energy", 1e3),
    "GWh": ("energy", 1e6),
}

CANONICAL: dict[str, str] = {"mass": "kg", "area": "m2", "count": "cell", "energy": "kWh"}
"""Canonical quantity per dimension."""

_HINTS: dict[str, str] = {
    "T": "'T' is the tesla; write 't' or 'MT' for a metric tonne",
    "ton": "write 't' or 'MT' for a metric tonne (short and long tons are not accepted)",
    "tonne": "write 't' or 'MT' for a metric tonne",
    "Kg": "write 'kg'",
    "KG": "write 'kg'",
    "sqm": "write 'm2'",
    "m^2": "write 'm2'",
}


class UnitError(ValueError):
    """An unknown or ill-formed unit string."""


@dataclass(frozen=True)
class PriceUnit:
    """A parsed price unit.

    Attributes:
        text: the unit as written, e.g. ``"CNY/t"``.
        currency: ``"USD"`` or ``"CNY"``.
        dimension: ``mass``, ``area``, ``count`` or ``energy``.
        per_canonical: canonical quantities per quoted quantity (1000 for ``t``), so that
            price per canonical unit = quoted price / per_canonical.
    """

    text: str
    currency: str
    dimension: str
    per_canonical: float

    def to_canonical(self, value, cny_per_usd):
        """Convert a quoted price to USD per canonical unit (USD/kg, USD/m2, USD/cell, USD/kWh).

        Args:
            value: price in this unit (scalar or array).
            cny_per_usd: exchange rate, CNY per USD (scalar or array).
        """
        base = value / self.per_canonical
        return base / cny_per_usd if self.currency == "CNY" else base

    def from_canonical(self, value_usd, cny_per_usd):
        """Convert USD per canonical unit back to this unit (inverse of ``to_canonical``)."""
        base = value_usd * self.per_canonical
        return base * cny_per_usd if self.currency == "CNY" else base


def parse_price_unit(text: str) -> PriceUnit:
    """Parse a price unit such as ``"CNY/t"`` or ``"USD/kg"``.

    Raises:
        UnitError: with a message naming the accepted forms when the unit is unknown.
    """
    raw = str(text).strip()
    if "/" not in raw:
        raise UnitError(f"price unit {raw!r} must look like CURRENCY/QUANTITY, e.g. CNY/t or USD/kg")
    cur, qty = (part.strip() for part in raw.split("/", 1))
    cur = "CNY" if cur.upper() == "RMB" else cur.upper()
    if cur not in CURRENCIES:
        raise UnitError(f"unknown currency {cur!r} in unit {raw!r}; accepted: USD, CNY")
    if qty not in QUANTITIES:
        hint = _HINTS.get(qty)
        accepted = ", ".join(q for q in QUANTITIES if q != "m²")
        msg = f"unknown quantity {qty!r} in unit {raw!r}"
        raise UnitError(f"{msg}: {hint}" if hint else f"{msg}; accepted: {accepted}")
    dimension, factor = QUANTITIES[qty]
    return PriceUnit(text=f"{cur}/{qty}", currency=cur, dimension=dimension, per_canonical=factor)


def convert_price(value, unit_from: str, unit_to: str, cny_per_usd):
    """Convert a price between two units of the same dimension (scalar or array)."""
    a, b = parse_price_unit(unit_from), parse_price_unit(unit_to)
    if a.dimension != b.dimension:
        raise UnitError(f"cannot convert {unit_from} ({a.dimension}) to {unit_to} ({b.dimension})")
    return b.from_canonical(a.to_canonical(value, cny_per_usd), cny_per_usd)
