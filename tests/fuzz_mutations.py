"""Workbook mutations for the fuzzer, as JSON-able specs applied in memory at the zip/XML level.

A spec is a dict with an ``op`` and its arguments; ``apply(base_bytes, specs)`` returns the mutated package.
Specs are plain data so that a failing case can be kept in ``fuzz_regressions.json`` and replayed.

Levels:
    cell   ``cell`` (set a cell: number, text, bool, error, formula with or without a cached value, raw
           ``<v>`` garbage, blank), ``shared`` (change a shared string, i.e. every cell using it)
    row    ``delete_row``, ``duplicate_row``, ``swap_rows``
    column ``swap_columns``, ``delete_column``
    sheet  ``delete_sheet``, ``rename_sheet``, ``duplicate_sheet``, ``merge``
    raw    ``truncate`` (an entry cut short), ``doctype`` (entity declarations), ``garbage`` (bytes
           inserted), ``drop_entry`` (an entry removed), ``dimension`` (a forged ``<dimension>``)
"""

from __future__ import annotations

import re
from functools import lru_cache
from xml.sax.saxutils import escape

from tests.xlsx_tools import BASE, entries, pack, sheet_parts

TABLE_SHEETS = ("Prices", "FX", "Items", "Materials", "Regions", "Plant", "Price links", "Designs", "Design sources", "Scenarios",
                "Levers", "Routes", "Suppliers", "Scale options", "Demand", "Optimizer settings", "Segments", "Capacity",
                "Reported production")
"""Sheets the reader uses (the Guide and the hidden Lists are never read)."""

NUMBERS = (0.0, -1.0, 1.0, 1e308, -1e308, 1e-308, 5e-324, 1e16, 0.5, 98000.0, 2025.0, 2.0**53, 1e-9, 123456789.123)
TEXTS = ("", " ", "abc", "Ω≈ç√∫˜µ≤", "😀 li2co3", "li2co3", "nfpp", "lfp", "2025", "98000", "32,000", "98.000", "1,5", "1e999",
         "-0", "nan", "inf", "=1/0", "CNY/T", "USD/kg", "TRUE", "\u202e right-to-left", "a" * 300, "price.vc=x2", "2026-2025",
         "design.*.np_ratio=9", "x", "'", "<>&\"", "\t\n", "0x1F", "1_000", "١٢٣")
RAW_VALUES = ("NaN", "INF", "-INF", "12abc", "", "1e999", "0x10", " 1", "1.2.3", "--1")
ERRORS = ("#DIV/0!", "#N/A", "#VALUE!", "#REF!")
FORMULAS = ("1/0", "SUM(A1:A3)", "NOW()", "A1", "1+")


@lru_cache(maxsize=1)
def base_bytes() -> bytes:
    """The committed base workbook."""
    return BASE.read_bytes()


@lru_cache(maxsize=1)
def base_shape() -> dict[str, tuple[int, int]]:
    """Table sheet → (rows, columns) of the base workbook."""
    parts = entries(base_bytes())
    out = {}
    for title, part in sheet_parts(parts).items():
        if title not in TABLE_SHEETS:
            continue
        xml = parts[part]
        rows = [int(r) for r in re.findall(rb'<row r="(\d+)"', xml)]
        cols = [_col_index(c.decode()) for c in re.findall(rb'<c r="([A-Z]+)\d+"', xml)]
        out[title] = (max(rows, default=1), max(cols, default=0) + 1)
    return out


@lru_cache(maxsize=1)
def numeric_cells() -> tuple[tuple[str, int, int], ...]:
    """(sheet, row, column index) of every cell of the base workbook's table sheets that holds a number."""
    parts = entries(base_bytes())
    out = []
    for title, part in sheet_parts(parts).items():
        if title in TABLE_SHEETS:
            for col, row in re.findall(rb'<c r="([A-Z]+)(\d+)"(?: s="\d+")?><v>', parts[part]):
                out.append((title, int(row), _col_index(col.decode())))
    return tuple(out)


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _col_letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _cell_xml(ref: str, kind: str, value: object) -> bytes:
    if kind == "blank":
        return b""
    if kind == "number":
        return f'<c r="{ref}"><v>{float(value)!r}</v></c>'.encode()
    if kind == "text":
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'.encode()
    if kind == "bool":
        return f'<c r="{ref}" t="b"><v>{1 if value else 0}</v></c>'.encode()
    if kind == "error":
        return f'<c r="{ref}" t="e"><v>{escape(str(value))}</v></c>'.encode()
    if kind == "formula":
        return f'<c r="{ref}"><f>{escape(str(value))}</f><v>1</v></c>'.encode()
    if kind == "formula_nocache":
        return f'<c r="{ref}"><f>{escape(str(value))}</f></c>'.encode()
    if kind == "raw":
        return f'<c r="{ref}"><v>{escape(str(value))}</v></c>'.encode()
    raise ValueError(kind)


def _row_re(row: int) -> re.Pattern[bytes]:
    return re.compile(rb'<row r="' + str(row).encode() + rb'"[^>]*?(?:/>|>.*?</row>)', re.DOTALL)


def _set_cell(xml: bytes, ref: str, cell: bytes) -> bytes:
    row = int(re.sub(r"[A-Z]+", "", ref))
    pat = re.compile(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', re.DOTALL)
    if pat.search(xml):
        return pat.sub(lambda m: cell, xml, count=1)
    m = _row_re(row).search(xml)
    if m:
        elem = m.group(0)
        new = elem[:-2] + b">" + cell + b"</row>" if elem.endswith(b"/>") else elem[:-6] + cell + b"</row>"
        return xml[:m.start()] + new + xml[m.end():]
    return xml.replace(b"</sheetData>", b'<row r="' + str(row).encode() + b'">' + cell + b"</row></sheetData>", 1)


def _renumber(row_xml: bytes, new: int) -> bytes:
    row_xml = re.sub(rb'<row r="\d+"', b'<row r="' + str(new).encode() + b'"', row_xml, count=1)
    return re.sub(rb'(<c r="[A-Z]+)\d+"', lambda m: m.group(1) + str(new).encode() + b'"', row_xml)


def _sheet_xml(parts: dict[str, bytes], sheet: str) -> tuple[str, bytes] | None:
    part = sheet_parts(parts).get(sheet)
    return (part, parts[part]) if part and part in parts else None


def _apply_one(parts: dict[str, bytes], spec: dict) -> None:
    op = spec["op"]
    if op in ("cell", "delete_row", "duplicate_row", "swap_rows", "swap_columns", "delete_column", "merge", "dimension"):
        found = _sheet_xml(parts, spec["sheet"])
        if found is None:
            return
        part, xml = found
        if op == "cell":
            ref = f"{_col_letters(spec['col'])}{spec['row']}"
            xml = _set_cell(xml, ref, _cell_xml(ref, spec["kind"], spec.get("value")))
        elif op == "delete_row":
            xml = _row_re(spec["row"]).sub(b"", xml, count=1)
        elif op == "duplicate_row":
            m = _row_re(spec["row"]).search(xml)
            if m:
                last = max([int(r) for r in re.findall(rb'<row r="(\d+)"', xml)], default=1)
                xml = xml.replace(b"</sheetData>", _renumber(m.group(0), last + 1) + b"</sheetData>", 1)
        elif op == "swap_rows":
            a, b = _row_re(spec["row"]).search(xml), _row_re(spec["other"]).search(xml)
            if a and b and a.start() != b.start():
                ra, rb_ = _renumber(a.group(0), spec["other"]), _renumber(b.group(0), spec["row"])
                first, second = sorted([(a, ra), (b, rb_)], key=lambda t: t[0].start())
                xml = (xml[:first[0].start()] + second[1] + xml[first[0].end():second[0].start()] + first[1]
                       + xml[second[0].end():])
        elif op == "swap_columns":
            la, lb = _col_letters(spec["col"]).encode(), _col_letters(spec["other"]).encode()
            xml = re.sub(rb'<c r="(' + la + rb"|" + lb + rb')(\d+)"',
                         lambda m: b'<c r="' + (lb if m.group(1) == la else la) + m.group(2) + b'"', xml)
        elif op == "delete_column":
            la = _col_letters(spec["col"]).encode()
            xml = re.sub(rb'<c r="' + la + rb'\d+"[^>]*?(?:/>|>.*?</c>)', b"", xml, flags=re.DOTALL)
        elif op == "merge":
            ref = f"{_col_letters(spec['col'])}{spec['row']}:{_col_letters(spec['col'] + spec['width'])}{spec['row'] + spec['height']}"
            merge = b'<mergeCells count="1"><mergeCell ref="' + ref.encode() + b'"/></mergeCells>'
            xml = xml.replace(b"</sheetData>", b"</sheetData>" + merge, 1)
        elif op == "dimension":
            xml = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="' + spec["ref"].encode() + b'"/>', xml, count=1)
        parts[part] = xml
    elif op == "shared":
        xml = parts.get("xl/sharedStrings.xml")
        if xml is None:
            return
        items = list(re.finditer(rb"<si>.*?</si>", xml, re.DOTALL))
        if items:
            m = items[spec["index"] % len(items)]
            new = b'<si><t xml:space="preserve">' + escape(spec["value"]).encode() + b"</t></si>"
            parts["xl/sharedStrings.xml"] = xml[:m.start()] + new + xml[m.end():]
    elif op in ("delete_sheet", "rename_sheet", "duplicate_sheet"):
        book = parts.get("xl/workbook.xml", b"")
        m = re.search(rb'<sheet name="' + re.escape(escape(spec["sheet"]).encode()) + rb'"[^>]*/>', book)
        if m is None:
            return
        if op == "delete_sheet":
            book = book[:m.start()] + book[m.end():]
        elif op == "rename_sheet":
            new = m.group(0).replace(b'name="' + escape(spec["sheet"]).encode() + b'"',
                                     b'name="' + escape(spec["name"], {'"': "&quot;"}).encode() + b'"', 1)
            book = book[:m.start()] + new + book[m.end():]
        else:
            ids = [int(i) for i in re.findall(rb'sheetId="(\d+)"', book)]
            copy = re.sub(rb'name="[^"]*"', b'name="' + escape(spec["name"], {'"': "&quot;"}).encode() + b'"', m.group(0), count=1)
            copy = re.sub(rb'sheetId="\d+"', b'sheetId="' + str(max(ids) + 1).encode() + b'"', copy, count=1)
            book = book[:m.end()] + copy + book[m.end():]
        parts["xl/workbook.xml"] = book
    elif op in ("truncate", "doctype", "garbage", "drop_entry"):
        names = sorted(parts)
        name = names[spec["entry"] % len(names)]
        data = parts[name]
        if op == "truncate":
            parts[name] = data[: int(len(data) * spec["fraction"])]
        elif op == "doctype":
            at = data.find(b"?>") + 2 if data.startswith(b"<?xml") else 0
            parts[name] = data[:at] + b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>' + data[at:]
        elif op == "garbage":
            at = int(len(data) * spec["fraction"])
            parts[name] = data[:at] + spec["bytes"].encode("utf-8", "surrogatepass") + data[at:]
        else:
            del parts[name]
    else:
        raise ValueError(f"unknown mutation {op!r}")


@lru_cache(maxsize=4)
def _entries(data: bytes) -> dict[str, bytes]:
    return entries(data)


def apply(data: bytes, specs: list[dict]) -> bytes:
    """The package ``data`` with every mutation in ``specs`` applied, in order (entries stored, not deflated: faster)."""
    parts = dict(_entries(data))
    for spec in specs:
        _apply_one(parts, spec)
    return pack(parts, compress=False)
