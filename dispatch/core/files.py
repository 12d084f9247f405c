"""Writing where the user points: only where nothing of the user's can be lost.

dispatch writes a whole folder (a run's results, a batch, a study from ``exchange
import``) only if the folder does not exist, is empty, or is one dispatch wrote
before of the same kind, recognised by the :data:`MARKER` file it leaves inside
(results written before the marker existed: by ``summary.json`` and ``network.nc``).
A folder that is, holds or lies inside one of the command's inputs, or holds the
current folder, is refused. The files are written into a staging folder beside the
target, which then takes the target's place by renames: a failure or an
interruption leaves the target as it was, and a previous result is replaced
without touching anything beside it.

Temporaries are named ``.NAME.dispatch-staging-HOST-PID-XXXXXXXX`` beside the
target and ``dispatch-PURPOSE-HOST-PID-XXXXXXXX`` in the temporary folder, so that
the next run on the same host removes those whose process is gone (killed runs).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from dispatch.core.errors import ScenarioError
from dispatch.core.processes import process_alive

if TYPE_CHECKING:
    import pandas as pd

MARKER = ".dispatch"
"""File dispatch writes into every folder it writes as a whole: kind, version, files."""
KINDS = ("result", "batch", "study")
RESULT_FILES = frozenset(
    {
        "summary.json",
        "dispatch.nc",
        "dispatch.csv",
        "dispatch.png",
        "network.nc",
        "network_baseline.nc",
    }
)
"""Files of a result folder written before the marker existed."""
MAX_MARKER_BYTES = 2**16
"""Bytes of a marker read; a longer one is not dispatch's [B]."""
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_HOST = re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:32] or "host"
_TEMPORARY = re.compile(
    rf"^(?:\..*\.dispatch-(?:staging|retired)|dispatch-[a-z]+)-{_HOST}-(?P<pid>\d+)-\w{{8}}$"
)


def check_output_folder(out: Path, kind: str, inputs: Iterable[Path] = ()) -> None:
    """Refuse a folder dispatch may not write as a whole.

    Parameters
    ----------
    out
        The folder to write.
    kind
        What is written: ``"result"``, ``"batch"`` or ``"study"``.
    inputs
        Folders or files the command reads (study folders, partner files): ``out``
        may not be, hold or lie inside any of them.

    Raises
    ------
    ScenarioError
        One line naming ``out``, unless it does not exist, is an empty folder or is a
        folder dispatch wrote of the same kind (holding nothing else).
    """
    out = Path(out)
    if out.is_symlink():
        _refuse(out, "is a symbolic link: give the folder it points to")
    target = out.resolve()
    here = Path.cwd().resolve()
    if here.is_relative_to(target):
        _refuse(out, "is the current folder" if here == target else "holds the current folder")
    for source in inputs:
        resolved = Path(source).resolve()
        what = f"the input {'folder' if resolved.is_dir() else 'file'} {source}"
        if target == resolved:
            _refuse(out, f"is {what}")
        if resolved.is_relative_to(target):
            _refuse(out, f"holds {what}")
        if target.is_relative_to(resolved):
            _refuse(out, f"lies inside {what}")
    if out.exists():
        if not out.is_dir():
            _refuse(out, "is a file, not a folder")
        _check_dispatch_folder(out, kind)
    parent = next(p for p in target.parents if p.exists())
    if not parent.is_dir():
        _refuse(out, f"{parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        _refuse(out, f"cannot write in {parent}: permission denied")


def _check_dispatch_folder(out: Path, kind: str) -> None:
    entries = set(os.listdir(out))
    if not entries:
        return
    found, files = _written_by_dispatch(out, entries)
    if found is None:
        listed = ", ".join(sorted(entries)[:3]) + (", ..." if len(entries) > 3 else "")
        _refuse(
            out,
            f"holds files dispatch did not write ({listed}): give a new or empty folder",
        )
    if found != kind:
        _refuse(out, f"holds a dispatch {found}, not a {kind}: give another folder")
    # A temporary of a killed run goes with the folder it lies in when that is replaced.
    written = {MARKER, *(n for n in entries if _TEMPORARY.match(n))}
    foreign = sorted(entries - files - written) if files is not None else []
    if foreign:
        _refuse(
            out,
            f"holds {foreign[0]}, which dispatch did not write: move it or choose another folder",
        )


def _written_by_dispatch(out: Path, entries: set[str]) -> tuple[str | None, set[str] | None]:
    """The kind of folder dispatch wrote at ``out`` (None: not dispatch's) and the
    files it wrote there (None: not recorded)."""
    if MARKER in entries:
        try:
            if not (out / MARKER).is_file():
                raise ValueError(MARKER)
            with (out / MARKER).open("rb") as handle:
                marker = json.loads(handle.read(MAX_MARKER_BYTES))
            kind, files = marker["kind"], marker.get("files")
            if kind not in KINDS or not (files is None or isinstance(files, list)):
                raise ValueError(kind)
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return None, None
        return kind, None if files is None else set(map(str, files))
    if {"summary.json", "network.nc"} <= entries:
        return "result", set(RESULT_FILES)
    if "manifest.json" in entries and (out / "variants").is_dir():
        return "batch", None
    scenario = out / "scenario.yaml"
    if scenario.is_file():
        with scenario.open("rb") as handle:
            first = handle.readline(4096)
        if first.startswith(b"# scenario.yaml of ") and b"(dispatch exchange import)" in first:
            return "study", None
    return None, None


def _refuse(out: Path, problem: str) -> NoReturn:
    raise ScenarioError(str(out), "", problem)


def write_marker(folder: Path, kind: str, files: Iterable[str] | None = None) -> None:
    """Write the :data:`MARKER` of a folder dispatch writes as a whole.

    Parameters
    ----------
    folder
        The folder.
    kind
        ``"result"``, ``"batch"`` or ``"study"``.
    files
        Names of the entries dispatch wrote in it; a later write refuses the folder if
        it holds anything else. None for folders filled over several runs (batches).
    """
    from dispatch.core.version import __version__

    marker = {"kind": kind, "version": __version__}
    if files is not None:
        marker["files"] = sorted(files)
    text = json.dumps(marker, indent=1) + "\n"
    write_file_atomic(Path(folder) / MARKER, lambda path: path.write_text(text, encoding="utf-8"))


def add_to_result_folder(folder: Path, name: str, write: Callable[[Path], object]) -> bool:
    """Write file ``name`` into a result folder dispatch wrote, and list it in the marker.

    Only a folder whose :data:`MARKER` says it is a result and lists its files is
    written, and an existing ``name`` is replaced only if the marker lists it: nothing
    lands in a folder, or over a file, that dispatch did not write. The marker lists
    the file before it is written (atomically, :func:`write_file_atomic`), so an
    interruption leaves at most a listed file missing, which a later run accepts.

    Parameters
    ----------
    folder
        The result folder.
    name
        Name of the file in it.
    write
        Writes the file's content to the path it is given.

    Returns
    -------
    bool
        Whether the file was written; False for a folder or file dispatch did not
        write, or one that cannot be written.
    """
    folder, path = Path(folder), Path(folder) / name
    try:
        entries = set(os.listdir(folder))
        kind, files = _written_by_dispatch(folder, entries)
        if MARKER not in entries or kind != "result" or files is None or path.is_symlink():
            return False
        if path.exists() and name not in files:
            return False
        if name not in files:
            write_marker(folder, "result", {*files, name})
        write_file_atomic(path, write)
    except (OSError, ValueError, ScenarioError):
        return False
    return True


@contextlib.contextmanager
def staged_folder(out: Path, kind: str, inputs: Iterable[Path] = ()) -> Iterator[Path]:
    """A staging folder that takes the place of ``out`` if the block succeeds.

    Checks ``out`` (:func:`check_output_folder`), removes the temporaries that killed
    runs left beside it and yields an empty folder beside it. When the block ends
    without an exception, the marker listing the folder's files is written and the
    folder replaces ``out`` by renames (on Linux in one atomic exchange). On any
    exception, KeyboardInterrupt included, the staging folder is removed and ``out``
    is as it was.

    Yields
    ------
    pathlib.Path
        The staging folder to write into.
    """
    out, inputs = Path(out), list(inputs)
    check_output_folder(out, kind, inputs)
    created = _make_folders(out.parent, out)
    try:
        staging = _temporary(out, "staging", tempfile.mkdtemp)
    except BaseException:
        _remove_empty(created)
        raise
    try:
        staging.chmod(0o777 & ~_umask())
        yield staging
        write_marker(staging, kind, os.listdir(staging))
        check_output_folder(out, kind, inputs)  # as it is now, after the writing
        _replace_folder(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_empty(created)
        raise


def _replace_folder(staging: Path, out: Path) -> None:
    """Put ``staging`` in the place of ``out`` by renames only; remove the old ``out``."""
    if not out.exists():
        os.replace(staging, out)
    elif _exchange(staging, out):
        shutil.rmtree(staging, ignore_errors=True)
    else:
        retired = _temporary(out, "retired", tempfile.mkdtemp)
        os.replace(out, retired / out.name)
        os.replace(staging, out)
        shutil.rmtree(retired, ignore_errors=True)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic rename (Linux ``renameat2``); False if not possible."""
    if not sys.platform.startswith("linux"):
        return False
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    return (
        renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0
    )


def write_file_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Write a file through ``write(temporary)`` beside ``path``, then rename it.

    A symbolic link at ``path`` is refused, never followed; a link planted between
    the check and the rename is replaced by the file, not followed either. The
    temporary is removed on every exit path (a killed run's by the next write).

    Raises
    ------
    ScenarioError
        ``path`` is a symbolic link or a folder, or its folder cannot be written.
    """
    path = Path(path)
    if path.is_symlink():
        _refuse(path, "is a symbolic link: dispatch does not write through links")
    if path.is_dir():
        _refuse(path, "is a folder, expected a file name")
    created = _make_folders(path.parent, path)

    def make(**names: object) -> str:
        handle, name = tempfile.mkstemp(**names)
        os.close(handle)
        return name

    try:
        temporary = _temporary(path, "staging", make)
    except BaseException:
        _remove_empty(created)
        raise
    try:
        write(temporary)
        temporary.chmod(0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        _remove_empty(created)
        raise


def _umask() -> int:
    """The process's umask (temporaries get modes as if created plainly)."""
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _temporary(target: Path, purpose: str, make: Callable[..., str]) -> Path:
    """A new temporary beside ``target`` named for :func:`remove_stale`; stale ones
    of killed runs there are removed first."""
    folder = target.parent
    remove_stale(folder)
    prefix = f".{target.name[:100]}.dispatch-{purpose}-{_HOST}-{os.getpid()}-"
    try:
        return Path(make(prefix=prefix, dir=folder))
    except OSError as exc:
        _refuse(target, f"cannot write in {folder}: {exc.strerror or exc}")


def scratch_folder(purpose: str) -> tempfile.TemporaryDirectory:
    """A folder in the system's temporary folder, removed with the returned object;
    those of killed runs (``dispatch-PURPOSE-HOST-PID-*`` of dead processes) are
    removed first."""
    remove_stale(Path(tempfile.gettempdir()))
    return tempfile.TemporaryDirectory(prefix=f"dispatch-{purpose}-{_HOST}-{os.getpid()}-")


def remove_stale(folder: Path) -> None:
    """Remove dispatch's temporaries in ``folder`` whose process on this host is gone."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = _TEMPORARY.match(name)
        if match is None or process_alive(int(match["pid"])):
            continue
        path = Path(folder) / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()


def _make_folders(folder: Path, target: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; the ones created, deepest first."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_empty(missing)
        _refuse(target, f"cannot create {folder}: {exc.strerror or exc}")
    return missing


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()


def csv_safe(table: pd.DataFrame) -> pd.DataFrame:
    """The table with text cells a spreadsheet would run as a formula made inert.

    Text (cells, column names, index labels) starting with ``=``, ``+``, ``-``,
    ``@``, tab or carriage return gets a leading single quote, as OWASP recommends
    against CSV injection; numbers, and text that reads as a number, are left alone.
    """
    from pandas.api.types import is_string_dtype

    table = table.copy(deep=False)
    for i, (_, column) in enumerate(table.items()):
        if is_string_dtype(column.dtype):
            table.isetitem(i, column.map(_inert))
    if is_string_dtype(table.index.dtype):
        table.index = table.index.map(_inert).rename(_inert(table.index.name))
    table.columns = table.columns.map(_inert)
    return table


def _inert(value: object) -> object:
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value
