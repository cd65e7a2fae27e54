"""Atomic file writing: a temporary file in the target folder, then ``os.replace``.

The temporary file is hidden and names the writing process (``.results-<pid>-<random>.xlsx.tmp``), so that:

- an interrupted write (Ctrl-C, ``SIGTERM``, ``SIGHUP``) removes its temporary file before the process ends;
- a temporary file left by a process that no longer exists (killed with ``SIGKILL``, a power cut) is removed
  by the next write into the same folder.

The result gets the permissions of a normally created file (``0666`` minus the umask), not the ``0600`` of
``mkstemp``. ``check_output`` is the one place that decides whether a result may be written to a path.
"""

from __future__ import annotations

import os
import re
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from costmodel.validation import InputError, Problem

_TMP_NAME = re.compile(r"^\..+-(\d+)-[a-z0-9_]{8}\.(xlsx|png)\.tmp$")
"""Hidden temporary files written by ``atomic_path``: ``.<stem>-<pid>-<random><suffix>.tmp``."""
_LEGACY_TMP = re.compile(r"^(\..+-[a-z0-9_]{8}|tmp[a-z0-9_]{8})\.(xlsx|png)\.tmp$")
"""Temporary files of earlier versions (no process id in the name): removed once older than ``LEGACY_TMP_AGE``."""
LEGACY_TMP_AGE = 24 * 3600.0
"""Seconds after which a temporary file without a process id is taken as abandoned."""
_SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None)
_active: set[Path] = set()
_previous: dict[int, object] = {}
_lock = threading.RLock()  # re-entrant: the signal handler runs in the thread that may hold it


class OutputError(InputError, ValueError):
    """A result that cannot or may not be written (exit code 2, like any bad input)."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__([Problem(str(path), message)], str(path))


def check_output(path: Path, *, suffix: str, force: bool, option: str = "--out", protect: Path | None = None) -> Path:
    """Check that a result may be written to ``path`` before any work is done.

    Args:
        path: the file to write.
        suffix: the file ending required (``.xlsx``, ``.png``).
        force: replace an existing file (without it an existing file is refused).
        option: the option or argument that named the path, for messages.
        protect: the input workbook, which is never written.

    Raises:
        OutputError: the wrong ending, a missing folder or one that is a file, an existing file without
            ``force``, a folder, or the input workbook.
    """
    path = Path(path)
    where = f"{option} {path}" if option else str(path)
    if path.suffix.lower() != suffix:
        raise OutputError(path, f"{where}: the file name must end in {suffix}")
    if protect is not None and path.resolve() == Path(protect).resolve():
        raise OutputError(path, f"{where} is the input workbook; results are written to a new file, never the input")
    parent = path.parent
    if not parent.exists():
        raise OutputError(path, f"{where}: folder {parent} does not exist")
    if not parent.is_dir():
        raise OutputError(path, f"{where}: {parent} is a file, not a folder")
    if path.is_dir():
        raise OutputError(path, f"{where} is a folder; give a file name ending in {suffix}")
    if path.exists() and not force:
        raise OutputError(path, f"{where} exists; pass --force to replace it")
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return pid < 2**31  # another user's live process; an impossible pid is not alive
    return True


def clean_stale_temporaries(folder: Path) -> list[Path]:
    """Remove temporary files left in ``folder`` by interrupted writes of processes that no longer exist.

    Returns the files removed. Files of live processes are kept; files of earlier versions (no process id in
    the name) only once older than ``LEGACY_TMP_AGE``.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not entry.name.endswith(".tmp") or not entry.is_file(follow_symlinks=False):
            continue
        m = _TMP_NAME.match(entry.name)
        try:
            if m is not None:
                stale = int(m.group(1)) != os.getpid() and not _pid_alive(int(m.group(1)))
            else:
                stale = bool(_LEGACY_TMP.match(entry.name)) and now - entry.stat().st_mtime > LEGACY_TMP_AGE
            if stale:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _on_signal(signum: int, frame) -> None:
    """The process is told to end: remove the temporary files being written, then end as it would have.

    A Python handler installed before is called instead (an exception it raises unwinds ``atomic_path``, which
    removes its temporary file; if it returns, the write goes on).
    """
    previous = _previous.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
        return
    with _lock:
        for tmp in list(_active):
            with suppress(OSError):
                tmp.unlink()
        _active.clear()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_handlers() -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in _SIGNALS:
        current = signal.getsignal(sig)
        if current is signal.SIG_IGN or current is _on_signal:
            continue  # an ignored signal (nohup) stays ignored
        _previous[sig] = signal.SIG_DFL if current is None else current
        signal.signal(sig, _on_signal)


def _restore_handlers() -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    for sig, previous in list(_previous.items()):
        if signal.getsignal(sig) is _on_signal:
            signal.signal(sig, previous)
        del _previous[sig]


def _mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_path(path: Path, protect: Path | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path``, on error or a signal it is removed.

    Raises:
        OutputError: ``path`` is the protected input, or its folder cannot be written (named with the reason).
    """
    path = Path(path)
    if protect is not None and path.resolve() == Path(protect).resolve():
        raise OutputError(path, f"{path} is the input workbook; results go to a new file")
    clean_stale_temporaries(path.parent)
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-{os.getpid()}-", suffix=f"{path.suffix}.tmp")
    except OSError as exc:
        raise OutputError(path, f"cannot write {path}: folder {path.parent} is not writable "
                                f"({exc.strerror or type(exc).__name__})") from None
    os.close(fd)
    tmp = Path(name)
    with _lock:
        first = not _active
        _active.add(tmp)
    if first:
        _install_handlers()
    try:
        yield tmp
        os.chmod(tmp, _mode())  # mkstemp creates 0600; give the result the usual permissions
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise OutputError(path, f"cannot write {path}: {exc.strerror or type(exc).__name__}") from None
    finally:
        with _lock:
            _active.discard(tmp)
            last = not _active
        if last:
            _restore_handlers()
        with suppress(OSError):
            tmp.unlink()


def write_frame(ws, frame, head, num) -> None:
    """Write a DataFrame to an xlsxwriter worksheet: header row, numbers as numbers, frozen header."""
    for j, c in enumerate(frame.columns):
        ws.write_string(0, j, str(c), head)
        ws.set_column(j, j, 60 if str(c) in ("value", "description", "change") else max(12, len(str(c)) + 2))
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        for j, v in enumerate(row):
            if isinstance(v, bool) or v is None or (isinstance(v, float) and v != v):
                ws.write_blank(i, j, None)
            elif isinstance(v, (int, float)):
                ws.write_number(i, j, float(v), num)
            else:
                ws.write_string(i, j, str(v))
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, 0, max(len(frame.columns) - 1, 0))


@dataclass(frozen=True)
class LineChart:
    """A native Excel line chart of columns of one written sheet.

    Attributes:
        sheet: the sheet whose table it plots (and where it is placed, right of the table).
        title, y_title: chart and value-axis titles.
        x: column of categories; ys: columns plotted as series (header as the series name).
    """

    sheet: str
    title: str
    x: str
    ys: tuple[str, ...]
    y_title: str = ""


def write_tables_workbook(path: Path, sheets: dict, images: dict | None = None, charts: tuple[LineChart, ...] = ()) -> Path:
    """Write DataFrames (sheet name → frame), native line charts of them and PNG images (sheet name → path)
    to a new .xlsx, atomically."""
    import xlsxwriter

    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False})
        head = wb.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1})
        num = wb.add_format({"num_format": "0.0####"})
        sheets_by_name = {}
        for name, frame in sheets.items():
            ws = wb.add_worksheet(name[:31])
            write_frame(ws, frame, head, num)
            sheets_by_name[name] = (ws, frame)
        for spec in charts:
            ws, frame = sheets_by_name[spec.sheet]
            cols = list(frame.columns)
            n = len(frame)
            chart = wb.add_chart({"type": "line"})
            sheet_ref = ws.get_name()
            for y in spec.ys:
                c = cols.index(y)
                chart.add_series({"name": [sheet_ref, 0, c], "categories": [sheet_ref, 1, cols.index(spec.x), n, cols.index(spec.x)],
                                  "values": [sheet_ref, 1, c, n, c], "marker": {"type": "circle"}})
            chart.set_title({"name": spec.title})
            chart.set_y_axis({"name": spec.y_title})
            ws.insert_chart(1, len(cols) + 1, chart)
        for name, png in (images or {}).items():
            wb.add_worksheet(name[:31]).insert_image(1, 1, str(png))
        wb.close()
    return path
