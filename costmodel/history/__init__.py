"""Prices over time: the price history table, monthly price grids, the cell cost index and price-feed imports.

Modules:
    table    the long price history (date, item, price, unit, low, high, source, status), validated vectorized
    grid     monthly prices per item from the history: monthly means, carried-forward (stale) and table prices
    periods  month arithmetic and the flat engine inputs of a run of months (one array per parameter)
    index    cell cost per month, index, gap to the reference, month-over-month Shapley attribution
    feed     price-feed exports (CSV or xlsx) read through a TOML column and item mapping
    sheet    writing the merged history into a copy of a workbook (the planner's file is never written)
"""
