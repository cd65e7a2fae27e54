"""Price-feed exports (CSV or xlsx) read into the price history through a small TOML mapping.

A feed names its columns and items its own way. The mapping says which feed column holds each of ours and which
feed name is which item; without a mapping the feed must use our column names (``date, item, price, unit``, and
optionally ``low, high, source, status``) and item ids::

    [columns]                 # our column = the feed's header
    date = "Date"
    item = "Product"
    price = "Mid"
    unit = "Unit"             # optional when [defaults] or [units] give the unit
    low = "Low"
    high = "High"
    source = "Source"

    [items]                   # feed name = our item (names not listed are taken as they are)
    "Lithium carbonate 99.5% battery grade" = "li2co3"

    [units]                   # unit per item, for feeds without a unit column
    coconut_charcoal = "USD/t"

    [defaults]                # values of columns the feed does not have
    unit = "CNY/t"
    source = "SMM daily price export"

    [options]
    date_format = "%d/%m/%Y"  # strptime format of text dates (default YYYY-MM or YYYY-MM-DD)
    sheet = "Prices"          # xlsx: the sheet to read (default the first)
    delimiter = ";"           # csv: the field separator (default ,)
    ignore_items = ["Cobalt sulphate"]   # feed items to skip (counted in the report)

Every problem names the feed's row (``feed.csv line 12, column Mid`` or ``Data!C12``) or the mapping's key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from costmodel.history.table import COLUMNS, REQUIRED, History, check_history
from costmodel.validation import InputError, Problem

SECTIONS = {"columns": COLUMNS, "items": None, "units": None, "defaults": COLUMNS, "options": ("date_format", "sheet", "delimiter",
                                                                                            "ignore_items")}
FEED_SUFFIXES = (".csv", ".xlsx")


@dataclass(frozen=True)
class FeedMap:
    """A feed's mapping (see the module docstring)."""

    columns: Mapping[str, str] = field(default_factory=dict)
    items: Mapping[str, str] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)
    date_format: str | None = None
    sheet: str | None = None
    delimiter: str = ","
    ignore_items: tuple[str, ...] = ()


def read_map(path: Path | None) -> FeedMap:
    """Read and check a mapping file (None: the identity mapping).

    Raises:
        InputError: unreadable TOML, an unknown section or key, a value of the wrong kind.
    """
    if path is None:
        return FeedMap()
    path = Path(path)
    where = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError([Problem(where, f"no such mapping file: {path}")], where) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(where, f"cannot read the mapping: {exc}")], where) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError([Problem(where, f"not valid TOML: {exc}")], where) from None
    problems: list[Problem] = []
    for section, value in data.items():
        if section not in SECTIONS:
            problems.append(Problem(where, f"unknown section [{section}]; expected {', '.join(f'[{s}]' for s in SECTIONS)}"))
        elif not isinstance(value, dict):
            problems.append(Problem(where, f"[{section}] must be a table of key = value lines"))
    if problems:
        raise InputError(problems, where)

    def strings(section: str) -> dict[str, str]:
        out = {}
        allowed = SECTIONS[section]
        for k, v in data.get(section, {}).items():
            if allowed is not None and k not in allowed:
                problems.append(Problem(f"{where} [{section}]", f"unknown key {k!r}; expected one of {', '.join(allowed)}"))
            elif not isinstance(v, str) or not v.strip():
                problems.append(Problem(f"{where} [{section}]", f"{k} must be a non-empty text, found {v!r}"))
            else:
                out[str(k)] = v.strip()
        return out

    columns, items, units, defaults = strings("columns"), strings("items"), strings("units"), strings("defaults")
    opts = data.get("options", {})
    for k in opts:
        if k not in SECTIONS["options"]:
            problems.append(Problem(f"{where} [options]", f"unknown key {k!r}; expected one of {', '.join(SECTIONS['options'])}"))
    ignore = opts.get("ignore_items", [])
    if not isinstance(ignore, list) or not all(isinstance(i, str) for i in ignore):
        problems.append(Problem(f"{where} [options]", f"ignore_items must be a list of texts, found {ignore!r}"))
        ignore = []
    for k in ("date_format", "sheet", "delimiter"):
        if k in opts and not isinstance(opts[k], str):
            problems.append(Problem(f"{where} [options]", f"{k} must be a text, found {opts[k]!r}"))
    if isinstance(opts.get("delimiter"), str) and len(opts["delimiter"]) != 1:
        problems.append(Problem(f"{where} [options]", f"delimiter must be one character, found {opts['delimiter']!r}"))
    if problems:
        raise InputError(problems, where)
    return FeedMap(columns, items, units, defaults, opts.get("date_format"), opts.get("sheet"), opts.get("delimiter", ","),
                   tuple(ignore))


@dataclass(frozen=True)
class Feed:
    """A feed read and checked: its quotes, the rows skipped, and what was tolerated."""

    history: History
    rows: int
    ignored: int


def _read_csv(path: Path, fmap: FeedMap) -> tuple[pd.DataFrame, dict[str, str]]:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, sep=fmap.delimiter, encoding="utf-8-sig", on_bad_lines="error")
    except UnicodeDecodeError:
        raise InputError([Problem(path.name, "the file is not UTF-8 text: save the CSV as UTF-8")], path.name) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
        raise InputError([Problem(path.name, f"cannot read the CSV: {str(exc).strip().splitlines()[0]}")], path.name) from None
    frame.index = frame.index + 2  # line 1 is the header
    return frame, {c: c for c in frame.columns}


def _read_xlsx(path: Path, fmap: FeedMap) -> tuple[pd.DataFrame, dict[str, str]]:
    import openpyxl

    from costmodel.io.layout import column_letter
    from costmodel.io.safe_open import assert_defusedxml, check_workbook_file

    check_workbook_file(path)
    assert_defusedxml()
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # defusedxml and XML parser errors have no common base class
        raise InputError([Problem(path.name, f"cannot read the workbook: {type(exc).__name__}: {exc}".split("\n")[0])],
                         path.name) from None
    try:
        if fmap.sheet is not None and fmap.sheet not in wb.sheetnames:
            raise InputError([Problem(path.name, f"no sheet {fmap.sheet!r}; the sheets are {', '.join(wb.sheetnames)}")], path.name)
        ws = wb[fmap.sheet] if fmap.sheet else wb.worksheets[0]
        ws.reset_dimensions()
        rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
        title = ws.title
    finally:
        wb.close()
    if not rows:
        raise InputError([Problem(f"{title}!A1", "the sheet is empty: a header row is needed")], path.name)
    header = ["" if h is None else str(h).strip() for h in rows[0]]
    body = [r + (None,) * (len(header) - len(r)) for r in rows[1:]]
    frame = pd.DataFrame([r[:len(header)] for r in body], columns=header, index=range(2, len(body) + 2))
    return frame, {h: f"{title}!{column_letter(j)}" for j, h in enumerate(header)}


def read_feed(path: Path, fmap: FeedMap, dimensions: Mapping[str, str], *, last_wins: bool = False) -> Feed:
    """Read a feed export (.csv or .xlsx) through ``fmap`` and check every row.

    Raises:
        InputError: every problem, each at the feed's row and column (or the mapping's key).
    """
    path = Path(path)
    if path.suffix.lower() not in FEED_SUFFIXES:
        raise InputError([Problem(path.name, f"a feed must be a .csv or .xlsx file, not {path.suffix or 'a file without ending'}")],
                         path.name)
    if not path.is_file():
        raise InputError([Problem(path.name, f"no such file: {path}")], path.name)
    frame, cells = (_read_csv if path.suffix.lower() == ".csv" else _read_xlsx)(path, fmap)
    header = {str(c).strip().lower(): c for c in frame.columns}
    problems: list[Problem] = []
    ours: dict[str, pd.Series] = {}
    feed_col: dict[str, str] = {}
    for col in COLUMNS:
        name = fmap.columns.get(col)
        if name is not None:
            if name not in frame.columns and name.lower() not in header:
                problems.append(Problem(path.name, f"column {name!r} (mapped to {col}) is not in the feed's header; found: "
                                                   f"{', '.join(map(str, frame.columns))}"))
                continue
            src = name if name in frame.columns else header[name.lower()]
        elif col in header:
            src = header[col]
        else:
            continue
        ours[col] = frame[src]
        feed_col[col] = str(src)
    if "unit" not in ours and (fmap.units or "unit" in fmap.defaults):
        ours["unit"] = pd.Series(fmap.defaults.get("unit", ""), index=frame.index, dtype=object)
    for col, value in fmap.defaults.items():
        if col not in ours:
            ours[col] = pd.Series(value, index=frame.index, dtype=object)
    for col in REQUIRED:
        if col not in ours and not any(p.message.endswith(f"(mapped to {col}) is not in the feed's header") for p in problems):
            problems.append(Problem(path.name, f"no {col} column: the feed's header has {', '.join(map(str, frame.columns))}; map one "
                                               f"in the mapping's [columns] (e.g. {col} = \"...\") or give [defaults] {col}"))
    if problems:
        raise InputError(problems, path.name)
    table = pd.DataFrame(ours, index=frame.index)
    names = table["item"].astype("string").str.strip().fillna("")
    keep = ~names.isin(list(fmap.ignore_items))
    ignored = int((~keep).sum())
    table = table.loc[keep]
    table["item"] = names[keep].map(lambda n: fmap.items.get(n, n))
    if fmap.units:
        per_item = table["item"].map(fmap.units)
        table["unit"] = per_item.where(per_item.notna(), table["unit"])

    def locate(_: str, row: object, column: str) -> str:
        if row == "header":
            return f"{path.name} header, column {feed_col.get(column, column)}"
        src = feed_col.get(column)
        if src is None:
            return f"{path.name} line {row} ({column} from the mapping)" if path.suffix.lower() == ".csv" else f"row {row} ({column})"
        if path.suffix.lower() == ".csv":
            return f"{path.name} line {row}, column {src}"
        return f"{cells[src]}{row}"

    history, problems = check_history(table, dimensions, locate, table="feed", last_wins=last_wins, date_format=fmap.date_format)
    if problems:
        raise InputError(problems, path.name)
    return Feed(history, len(frame), ignored)
