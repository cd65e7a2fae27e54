"""Hostile and broken files: each is refused with exit code 2, a message naming the file, no traceback,
and the file left byte-for-byte unchanged. Row-level problems are in test_workbook.py."""

from __future__ import annotations

import hashlib
import io
import sys
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from costmodel.cli import main
from costmodel.io.safe_open import MAX_ENTRIES, OLE2_MAGIC, check_workbook_file
from costmodel.io.workbook import read_workbook
from costmodel.validation import InputError


def _valid_xlsx() -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.add_worksheet("Prices").write_string(0, 0, "item")
    wb.close()
    return buf.getvalue()


def _rewrite(entries: dict[str, bytes], compress=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def _entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def zip_bomb(path: Path) -> None:
    """A valid workbook plus one entry of 300 MB of zeros (about 300 KB compressed), written streaming."""
    base = _entries(_valid_xlsx())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in base.items():
            z.writestr(name, data)
        with z.open("xl/media/padding.bin", "w", force_zip64=True) as fh:
            block = bytes(1024 * 1024)
            for _ in range(300):
                fh.write(block)


def entry_count_bomb(path: Path) -> None:
    entries = _entries(_valid_xlsx())
    entries.update({f"xl/junk/{i}.xml": b"" for i in range(MAX_ENTRIES + 1)})
    path.write_bytes(_rewrite(entries, zipfile.ZIP_STORED))


def billion_laughs(path: Path) -> None:
    lol = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
           + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
           + b'<c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')
    entries = _entries(_valid_xlsx())
    entries["xl/worksheets/sheet1.xml"] = lol
    path.write_bytes(_rewrite(entries))


def xls_renamed(path: Path) -> None:
    path.write_bytes(OLE2_MAGIC + bytes(512 - 8) + "Workbook".encode("utf-16-le") + bytes(4096))


def encrypted(path: Path) -> None:
    path.write_bytes(OLE2_MAGIC + bytes(504) + "EncryptionInfo".encode("utf-16-le") + bytes(64)
                     + "EncryptedPackage".encode("utf-16-le") + bytes(4096))


def truncated(path: Path) -> None:
    data = _valid_xlsx()
    path.write_bytes(data[: len(data) // 2])


def corrupt_entry(path: Path) -> None:
    data = bytearray(_valid_xlsx())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for k in range(start, start + min(40, info.compress_size)):
        data[k] ^= 0xFF
    path.write_bytes(bytes(data))


def docx_renamed(path: Path) -> None:
    path.write_bytes(_rewrite({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<document/>"}))


def ods_renamed(path: Path) -> None:
    path.write_bytes(_rewrite({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}))


def zip_without_workbook(path: Path) -> None:
    path.write_bytes(_rewrite({"hello.txt": b"hi"}))


def malformed_xml(path: Path) -> None:
    entries = _entries(_valid_xlsx())
    entries["xl/workbook.xml"] = b"<workbook><sheets><sheet name='x'"
    path.write_bytes(_rewrite(entries))


def external_entity(path: Path) -> None:
    entries = _entries(_valid_xlsx())
    entries["xl/worksheets/sheet1.xml"] = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
        b'<c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>')
    path.write_bytes(_rewrite(entries))


def no_sheets_of_ours(path: Path) -> None:
    path.write_bytes(_valid_xlsx())


CASES = {
    "zip_bomb.xlsx": (zip_bomb, "zip bomb"),
    "entry_bomb.xlsx": (entry_count_bomb, "zip bomb"),
    "billion_laughs.xlsx": (billion_laughs, "unsafe XML construct was refused"),
    "external_entity.xlsx": (external_entity, "unsafe XML construct was refused"),
    "renamed_xls.xlsx": (xls_renamed, "legacy Excel 97-2003"),
    "encrypted.xlsx": (encrypted, "password-protected"),
    "truncated.xlsx": (truncated, "not an Excel .xlsx file"),
    "corrupt_entry.xlsx": (corrupt_entry, "cannot read the workbook"),
    "empty.xlsx": (lambda p: p.write_bytes(b""), "empty"),
    "random.xlsx": (lambda p: p.write_bytes(bytes(range(256)) * 40), "not an Excel .xlsx file"),
    "text.xlsx": (lambda p: p.write_text("item,year,value\nli2co3,2025,98000\n"), "not an Excel .xlsx file"),
    "document.xlsx": (docx_renamed, "Word document"),
    "sheet.xlsx": (ods_renamed, "OpenDocument"),
    "plain_zip.xlsx": (zip_without_workbook, "xl/workbook.xml is missing"),
    "malformed.xlsx": (malformed_xml, "cannot read the workbook"),
    "legacy.xls": (lambda p: p.write_bytes(OLE2_MAGIC + bytes(600)), ".xls file"),
    "binary.xlsb": (lambda p: p.write_bytes(b"x" * 100), ".xlsb"),
    "calc.ods": (lambda p: p.write_bytes(b"x" * 100), ".ods"),
    "foreign.xlsx": (no_sheets_of_ours, "sheet 'FX' is missing"),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    out = {}
    for name, (make, _) in CASES.items():
        make(folder / name)
        out[name] = folder / name
    return out


def _digest(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_file_is_refused_cleanly(name, corpus, capsys):
    path = corpus[name]
    before = _digest(path)
    old, sys.argv = sys.argv, ["costmodel", "validate", str(path)]
    try:
        with pytest.raises(SystemExit) as exc:
            main()
    finally:
        sys.argv = old
    out = capsys.readouterr()
    assert exc.value.code == 2
    assert name in out.err
    assert CASES[name][1] in out.err
    assert "Traceback" not in out.out + out.err
    assert _digest(path) == before


def test_zip_bomb_is_refused_before_decompression(corpus):
    # the check reads only the central directory: refusing a 300 MB bomb costs no decompression
    import time

    t0 = time.perf_counter()
    with pytest.raises(InputError, match="zip bomb"):
        check_workbook_file(corpus["zip_bomb.xlsx"])
    assert corpus["zip_bomb.xlsx"].stat().st_size < 2_000_000
    assert time.perf_counter() - t0 < 5  # generous: decompressing would take far longer on any machine


def test_missing_file_and_folder(tmp_path, capsys):
    for target, message in ((tmp_path / "nope.xlsx", "file not found"), (tmp_path, "is a folder")):
        with pytest.raises(InputError, match=message):
            read_workbook(target)


def test_defusedxml_is_installed_and_used():
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML is True
