"""Plant location: the regional figures that turn the reference (China) plant into a plant elsewhere.

A region is data (the Regions table): its currency and exchange rate, manufacturing labour
cost per hour, industrial electricity price, equipment and building cost multipliers against
China, its cost of capital and the import duty on cell materials. The bill of materials is
priced at Chinese market prices, so a plant elsewhere pays the duty on its materials.

Flat names: ``region.<region>.<property>``; the plant's region is ``global.region``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RegionInputs:
    """Regional figures in the engine's base currency (USD), arrays or floats.

    Attributes:
        labour_per_h: labour cost per hour (USD/h).
        electricity: industrial electricity (USD/kWh_e).
        capex_multiplier: plant capex relative to the reference China plant (-): equipment
            and buildings weighted by the building share of capex.
        wacc: cost of capital (-).
        duty_rate: import duty on materials (-, ad valorem).
    """

    labour_per_h: object
    electricity: object
    capex_multiplier: object
    wacc: object
    duty_rate: object


def currency_per_usd(values: Mapping[str, object], choices: Mapping[str, str], region: str):
    """Units of the region's currency per USD: the FX table for CNY, 1 for USD, else the region's own rate."""
    currency = choices.get(f"region.{region}.currency", "CNY")
    if currency == "CNY":
        return values["fx.cny_per_usd"]
    if currency == "USD":
        return 1.0
    return values[f"region.{region}.currency_per_usd"]


def region_inputs(values: Mapping[str, object], choices: Mapping[str, str], region: str) -> RegionInputs:
    """Regional figures of ``region`` converted to USD.

    capex multiplier = (1 − b) × equipment multiplier + b × building multiplier, with b the
    building share of the reference plant's capex (``global.building_share``).
    """
    def r(name: str):
        return values[f"region.{region}.{name}"]

    fx = currency_per_usd(values, choices, region)
    b = values["global.building_share"]
    return RegionInputs(
        labour_per_h=r("labour_per_h") / fx,
        electricity=r("electricity_per_kwh") / fx,
        capex_multiplier=(1.0 - b) * r("capex_multiplier") + b * r("building_multiplier"),
        wacc=r("wacc"),
        duty_rate=r("duty_rate"),
    )
