"""The supply chain: end-use segments → cell demand → material demand (from the engine's bill of materials) →
capacity balance → price response → cell cost, iterated to a fixed point.

Modules are named after what they model: ``segments`` (end-use demand), ``intensity`` (kg/kWh per material and
design, read from the engine), ``balance`` (demand against capacity), ``response`` (supply curve and fixed point),
``reported`` (reported production against implied demand), ``shares`` (optimizer supplier caps from industry
capacity); ``data`` validates the tables, ``params`` resolves them per period and applies overrides, ``chain``
runs a scenario and ``report`` turns a run into tables.

>>> from costmodel import Model
>>> from costmodel.supply.data import load_default
>>> from costmodel.supply.chain import run_supply
>>> model = Model()
>>> run = run_supply(model, load_default(model.dataset), range(2025, 2031))  # doctest: +SKIP
"""
