"""Reading untrusted files within bounds, and reporting their values in one short line.

Partner files (and the result folders ``dispatch exchange export`` reads, which a user
may have edited) are untrusted: every file is size-checked before it is read, JSON is
parsed by :mod:`json` without duplicate keys or unbounded integers, and a value from
such a file is cut short before an error message shows it.
"""

from __future__ import annotations

import json
import reprlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pydantic

from dispatch.core.errors import ScenarioError
from dispatch.core.netcdf_header import check_netcdf_header

MAX_FILE_BYTES = 50 * 2**20
"""Largest inbound file read [bytes]."""
MAX_STEPS = 1_000_000
"""Most time steps of one field read (about 28 years of 15-minute data) [-]."""
MAX_SERIES_FILE_BYTES = 512 * 2**20
"""Largest series file (CSV or netCDF) of a study read: a million snapshots of about 20
CSV columns [bytes]."""

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60


def short_repr(value: Any) -> str:
    """``repr`` cut short: a partner's value may be megabytes long or deeply nested."""
    return _REPR.repr(value)


def short_name(name: Any) -> str:
    """A name from a partner file as a field to report, cut short."""
    text = str(name)
    return text if len(text) <= 60 else text[:57] + "..."


def not_a_file(path: Path) -> str | None:
    """Why ``path`` is no file to read (``"no such file"``, ``"is a folder, not a
    regular file"``, ...), or None if it is one; no FIFO or device is opened."""
    if path.is_file():
        return None
    if not path.exists():
        return "no such file"
    kind = "a folder" if path.is_dir() else "a FIFO, socket or device"
    return f"is {kind}, not a regular file"


def check_size(
    path: Path, file: str, limit: int | None = None, kind: str = "exchange files"
) -> None:
    """Refuse a missing file, a non-file (:func:`not_a_file`), or one above ``limit``
    [bytes].

    Parameters
    ----------
    path
        The file.
    file
        The file as the user named it, for the error.
    limit
        Largest size read [bytes]; None: :data:`MAX_FILE_BYTES` (read when called).
    kind
        What the limit is for, in the error (``"exchange files"``).
    """
    limit = MAX_FILE_BYTES if limit is None else limit
    problem = not_a_file(path)
    if problem is not None:
        raise ScenarioError(file, "", problem)
    size = path.stat().st_size
    if size > limit:
        raise ScenarioError(
            file, "", f"is {size / 2**20:.1f} MB, above the {limit // 2**20} MB limit for {kind}"
        )


def csv_numbers(
    column: pd.Series, file: str, name: str, where: Callable[[int], str], *, finite: bool = False
) -> np.ndarray:
    """A CSV column read as text (``dtype=str``) as numbers.

    Empty cells and text are refused in one line naming ``file``, the column ``name``
    and the row, which ``where(i)`` describes for row ``i`` (e.g. ``"at
    2025-01-01T00:00:00Z"``). The text ``nan`` (and ``inf``) is read as NaN (infinity)
    for the caller's range checks to name, or refused if ``finite``.
    """
    values = pd.to_numeric(column.str.strip(), errors="coerce").to_numpy(dtype=float)
    for i in np.flatnonzero(~np.isfinite(values) if finite else np.isnan(values)):
        raw = column.iloc[i].strip()
        if finite or raw.lower() != "nan":
            number = "a finite number" if finite else "a number"
            what = "empty" if not raw else f"{short_repr(raw)}, not {number},"
            raise ScenarioError(file, name, f"is {what} {where(i)}")
    return values


def netcdf_numbers(variable: Any, file: str, name: str) -> np.ndarray:
    """A netCDF variable's values as floats; values outside its CF valid range (missing
    by CF 2.5.1), text and booleans are refused."""
    if variable.dtype.kind not in "iuf":
        raise ScenarioError(file, name, f"has values of type {variable.dtype}, expected numbers")
    try:  # CF decoding applies _FillValue, scale_factor and add_offset, of any type
        values = variable.values.astype(float)
        low, high = _valid_range(variable.attrs)
        # The range is of the packed values (CF 8.1), before scale_factor and add_offset.
        scale = float(variable.encoding.get("scale_factor", 1.0))
        packed = (values - float(variable.encoding.get("add_offset", 0.0))) / scale
    except (TypeError, ValueError):
        raise ScenarioError(
            file,
            name,
            "cannot decode the values with its _FillValue, scale_factor, add_offset, "
            "valid_min, valid_max, valid_range",
        ) from None
    slack = 1e-9 * np.maximum(1.0, np.abs(packed))  # of unpacking the packed values again
    outside = np.flatnonzero((packed < low - slack) | (packed > high + slack))
    if len(outside):
        raise ScenarioError(
            file,
            name,
            f"{len(outside)} value(s) outside its valid range [{low:g}, {high:g}] (packed), "
            f"missing by CF, the first {values[outside[0]]:g}: give every step a value",
        )
    return values


def _valid_range(attrs: dict) -> tuple[float, float]:
    """The CF valid range of a variable's packed values: ``valid_range``, or
    ``valid_min`` and ``valid_max`` (each may be absent) [packed units]."""
    if "valid_range" in attrs:
        low, high = np.asarray(attrs["valid_range"], dtype=float).reshape(2)
        return float(low), float(high)
    return float(attrs.get("valid_min", -np.inf)), float(attrs.get("valid_max", np.inf))


def read_bytes(path: Path, file: str) -> bytes:
    """The file's content, size-checked first."""
    check_size(path, file)
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:  # grew since it was checked
        raise ScenarioError(file, "", "grew beyond the size limit while read")
    return data


def load_json(data: bytes, file: str) -> Any:
    """A JSON document, refusing duplicate keys.

    Integers of more than :data:`_MAX_INT_DIGITS` digits are read as floats (``10**400``
    becomes infinity), so that the range checks of the fields name them; Python's own
    limit on digits would otherwise raise while parsing.
    """
    try:
        return json.loads(
            data.decode("utf-8-sig"),
            object_pairs_hook=lambda pairs: _unique_keys(pairs, file),
            parse_int=lambda text: int(text) if len(text) <= _MAX_INT_DIGITS else float(text),
        )
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ScenarioError(file, "", f"not valid JSON ({exc})") from None


_MAX_INT_DIGITS = 18


def _unique_keys(pairs: list[tuple[str, Any]], file: str) -> dict[str, Any]:
    unique = dict(pairs)
    if len(unique) < len(pairs):
        keys = [key for key, _ in pairs]
        twice = next(key for i, key in enumerate(keys) if key in keys[:i])
        raise ScenarioError(file, short_name(twice), "the key appears twice in one object")
    return unique


def validation_error(
    exc: pydantic.ValidationError, file: str, prefix: str = "", tags: tuple[str, ...] = ()
) -> ScenarioError:
    """The first problem pydantic found, as one line naming the field.

    ``tags`` are the names pydantic gives the members of unions (besides the builtin
    types), which are not fields and are left out of the field's path.
    """
    first = exc.errors()[0]
    skip = {"float", "int", "str", "bool", *tags}
    loc = prefix + "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}"
        for part in first["loc"]
        if part not in skip
    )
    loc = loc.lstrip(".")
    if first["type"] == "extra_forbidden":
        return ScenarioError(file, loc, "unknown field")
    if first["type"] == "missing":
        return ScenarioError(file, loc, "required field is missing")
    return ScenarioError(file, loc, f"{first['msg']} (got {short_repr(first['input'])})")


def open_netcdf(path: Path, file: str) -> Any:
    """An untrusted netCDF file as an xarray Dataset, nothing loaded and no times
    decoded: size-checked, its header probed (:func:`check_netcdf_header`) and every
    dimension at most :data:`MAX_STEPS` long. Close it (``with``) when done."""
    import xarray as xr

    check_size(path, file)
    check_netcdf_header(path, file)
    try:
        # No default indexes: nothing is loaded before the sizes are checked.
        ds = xr.open_dataset(
            path,
            engine="netcdf4",
            decode_times=False,
            decode_timedelta=False,
            cache=False,
            create_default_indexes=False,
        )
    except (OSError, ValueError, RuntimeError) as exc:
        raise ScenarioError(file, "", f"not a readable netCDF file ({exc})") from None
    for dimension, size in ds.sizes.items():
        if size > MAX_STEPS:
            ds.close()
            raise ScenarioError(
                file, str(dimension), f"has {size} entries, more than {MAX_STEPS} read"
            )
    return ds


class MetadataModel(pydantic.BaseModel):
    """Base of the JSON metadata files beside partner CSV files: unknown keys refused,
    values frozen, fields also by their alias."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ColumnMetadata(MetadataModel):
    """Metadata of one CSV column."""

    units: str
    """Units of the column's values (see ``docs/exchange.md``) [-]."""
    long_name: str = ""
    """What the column holds [-]."""
    currency: str | None = None
    """ISO 4217 code of a price column whose units carry no currency (``MW-1 h-1``) [-]."""
