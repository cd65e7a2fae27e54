"""Refuse dangerous or unreadable files before any XML is parsed.

The checks read only the file header and the zip central directory: a zip bomb is refused
unread. openpyxl parses XML through defusedxml (asserted), so entity-expansion attacks
(billion laughs) fail safely.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from costmodel.validation import InputError, Problem

MAX_FILE_BYTES = 50 * 1024 * 1024
"""Largest workbook accepted (bytes)."""
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
"""Largest total uncompressed size of the zip entries (bytes)."""
MAX_RATIO = 100
"""Largest compression ratio of an entry above 1 MB uncompressed."""
MAX_ENTRIES = 10_000
"""Most zip entries accepted."""

OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
_REFUSED_SUFFIXES = {
    ".xls": "an Excel 97-2003 .xls file; open it in Excel or LibreOffice and save it as .xlsx",
    ".xlsb": "an Excel binary .xlsb file; save it as .xlsx",
    ".xlsm": None,
    ".ods": "an OpenDocument .ods file; save it as .xlsx",
    ".csv": "a CSV file; costmodel reads .xlsx workbooks (start from costmodel template)",
}


def _refuse(path: Path, message: str) -> InputError:
    return InputError([Problem(path.name, message)], str(path))


def check_workbook_file(path: str | Path) -> None:
    """Check that ``path`` is a plausible, safe .xlsx file; raise ``InputError`` naming the file otherwise."""
    path = Path(path)
    if not path.exists():
        raise _refuse(path, "file not found")
    if path.is_dir():
        raise _refuse(path, "is a folder, not an .xlsx file")
    reason = _REFUSED_SUFFIXES.get(path.suffix.lower())
    if reason:
        raise _refuse(path, f"is {reason}")
    size = path.stat().st_size
    if size == 0:
        raise _refuse(path, "the file is empty")
    if size > MAX_FILE_BYTES:
        raise _refuse(path, f"the file is {size / 1e6:.0f} MB; workbooks over {MAX_FILE_BYTES / 1e6:.0f} MB are refused")
    with path.open("rb") as fh:
        head = fh.read(8)
        if head == OLE2_MAGIC:
            fh.seek(0)
            body = fh.read(min(size, 4 * 1024 * 1024))
            if _ENCRYPTED_MARK in body:
                raise _refuse(path, "the workbook is password-protected; remove the password in Excel "
                                    "(File > Info > Protect Workbook) and save it again")
            raise _refuse(path, "is a legacy Excel 97-2003 (.xls) file renamed to .xlsx; save it as .xlsx")
    if not zipfile.is_zipfile(path):
        raise _refuse(path, "not an Excel .xlsx file (it is not a zip package; it may be truncated or another format)")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse(path, f"the file is damaged or truncated ({exc})") from None
    names = {i.filename for i in infos}
    if len(infos) > MAX_ENTRIES:
        raise _refuse(path, f"the package holds {len(infos):,} entries (over {MAX_ENTRIES:,}); refused as a possible zip bomb")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _refuse(path, f"the package would expand to {total / 1e6:,.0f} MB; refused as a possible zip bomb")
    for i in infos:
        if i.file_size > 1024 * 1024 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise _refuse(path, f"entry {i.filename} is compressed {i.file_size / max(i.compress_size, 1):,.0f}:1; "
                                "refused as a possible zip bomb")
    if "mimetype" in names and any(n == "content.xml" for n in names):
        raise _refuse(path, "is an OpenDocument (.ods) file renamed to .xlsx; save it as .xlsx")
    if "word/document.xml" in names:
        raise _refuse(path, "is a Word document, not an Excel workbook")
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise _refuse(path, "not an Excel .xlsx workbook (xl/workbook.xml is missing)")


def assert_defusedxml() -> None:
    """Make sure openpyxl parses XML through defusedxml (protection against XML attacks)."""
    try:
        import defusedxml  # noqa: F401
        from openpyxl.xml import DEFUSEDXML
    except ImportError as exc:  # pragma: no cover - install problem
        raise RuntimeError("defusedxml is required to read workbooks safely: pip install defusedxml") from exc
    if not DEFUSEDXML:  # pragma: no cover - install problem
        raise RuntimeError("openpyxl does not use defusedxml; reinstall openpyxl after installing defusedxml")
