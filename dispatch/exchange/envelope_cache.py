"""The flexibility envelope kept with the result it was computed from.

A year's envelope takes two small LPs per step (a minute or more), and every export
of a plan needs it. It is computed once per result and kept:

- with a :class:`~dispatch.Result`, in memory for as long as the Result lives;
- with a result folder dispatch wrote (its ``.dispatch`` marker says it is a result
  and lists its files), in the folder's :data:`ENVELOPE_FILE`, which the marker then
  lists. Nothing is kept in a folder dispatch did not write, nor over a file it did
  not write there.

The file is keyed to what the envelope depends on: the SHA-256 of ``network.nc``
(the model and the plan), the study given with the folder (a digest of its scenario
and series) or none, the site and the window. It is read like every file of a result
folder, which a user may have edited: size and header checked before netCDF-C opens
it, then its layout, steps, and a digest of its content. An entry whose key does not
match, or a file that does not check out, is computed again and replaced, never
trusted.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dispatch.core.files import add_to_result_folder
from dispatch.core.netcdf_header import check_netcdf_header
from dispatch.core.untrusted_input import check_size
from dispatch.results.netcdf import (
    CONVENTIONS,
    INTERVAL_MEAN,
    TIME_BOUNDS,
    add_time_bounds,
    time_encoding,
    write_netcdf4,
)
from dispatch.results.result import Result

if TYPE_CHECKING:
    import xarray as xr

    from dispatch.scenario.study import Study

ENVELOPE_FILE = "envelope.nc"
"""File of a result folder that keeps its envelopes."""
COLUMNS = (
    "grid_import",
    "import_min",
    "import_max",
    "import_up",
    "import_down",
    "import_limit",
    "export_limit",
)
"""Per-step values kept for each site and window: the envelope of
:func:`~dispatch.exchange.envelope.envelope_of_network` and the grid's limits in
``network.nc`` [MW]."""
CACHE_SCHEMA = "dispatch-envelope-cache"
CACHE_VERSION = "2"
"""Version of the envelope's definition and the file's layout: another is recomputed."""
MAX_ENTRIES = 256
"""Most envelopes (sites times windows) kept in one file [-]."""

_KEPT: weakref.WeakKeyDictionary[Result, dict[str, pd.DataFrame]] = weakref.WeakKeyDictionary()


def result_envelope(
    result: Result, site: str, window_h: float, compute: Callable[[], pd.DataFrame]
) -> pd.DataFrame:
    """The envelope of a Result's site for a window: ``compute()`` the first time only.

    Returns
    -------
    pandas.DataFrame
        A copy of what ``compute`` returned, by step, with the :data:`COLUMNS` [MW].
    """
    kept = _KEPT.setdefault(result, {})
    key = _key(site, window_h, None)
    if key not in kept:
        kept[key] = compute()
    return kept[key].copy()


def folder_envelope(
    folder: Path,
    dataset: xr.Dataset,
    site: str,
    window_h: float,
    study: Study | None,
    compute: Callable[[], pd.DataFrame],
) -> pd.DataFrame:
    """The envelope of a result folder's site: from its :data:`ENVELOPE_FILE` if that
    holds it for the folder's ``network.nc``, else ``compute()`` and kept there.

    Parameters
    ----------
    folder
        The result folder.
    dataset
        Its ``dispatch.nc``, checked: the snapshots the envelope is on.
    site, window_h
        The site and the window's half-width [h].
    study
        The study given with the folder, or None (``network.nc`` alone).
    compute
        Computes the envelope from ``network.nc``: a frame with the :data:`COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        By step (UTC), the :data:`COLUMNS` [MW].
    """
    path = folder / ENVELOPE_FILE
    network = _file_digest(folder / "network.nc")
    index = pd.DatetimeIndex(dataset["snapshot"].values).tz_localize("UTC").rename("time")
    step = pd.Timedelta(hours=float(dataset.attrs["step_h"]))
    kept = _read_kept(path, network, index, step)
    key = _key(site, window_h, study)
    if key in kept:
        return kept[key]
    envelope = compute()
    if list(envelope.columns) == list(COLUMNS) and envelope.index.equals(index):
        kept = {key: envelope, **{k: v for k, v in kept.items() if k != key}}
        entries = dict(list(kept.items())[:MAX_ENTRIES])
        add_to_result_folder(
            folder, ENVELOPE_FILE, lambda p: _write_kept(p, network, entries, step)
        )
    return envelope


def _key(site: str, window_h: float, study: Study | None) -> str:
    """What an envelope of a result depends on besides ``network.nc``."""
    return json.dumps({"site": site, "window_h": float(window_h), "study": _study_digest(study)})


def _study_digest(study: Study | None) -> str | None:
    """SHA-256 of a study's scenario and series; None without a study."""
    if study is None:
        return None
    digest = hashlib.sha256(study.scenario.model_dump_json().encode())
    for name in sorted(study.series):
        digest.update(name.encode() + b"\0")
        digest.update(np.ascontiguousarray(study.series[name], dtype=float).tobytes())
    return digest.hexdigest()


def _file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _content_digest(network: str, keys: list[str], values: np.ndarray) -> str:
    """SHA-256 of what a kept file holds: the network's digest, the keys, the values."""
    digest = hashlib.sha256(json.dumps([CACHE_VERSION, network, keys]).encode())
    digest.update(np.ascontiguousarray(values, dtype="<f8").tobytes())
    return digest.hexdigest()


def _write_kept(
    path: Path, network: str, entries: dict[str, pd.DataFrame], step: pd.Timedelta
) -> None:
    """Write envelopes as CF netCDF: ``values`` on (``entry``, ``column``, ``time``)."""
    import xarray as xr

    keys = list(entries)
    values = np.stack([entries[k].loc[:, list(COLUMNS)].to_numpy(float).T for k in keys])
    first = next(iter(entries.values())).index
    ds = xr.Dataset(
        {
            "values": (
                ("entry", "column", "time"),
                values,
                {
                    "long_name": "Flexibility envelope and grid limits of the entry's site",
                    "units": "MW",
                    **INTERVAL_MEAN,
                },
            ),
            "key": (
                "entry",
                np.array(keys, dtype=object),
                {"long_name": "What the entry depends on besides network.nc (JSON)"},
            ),
        },
        coords={
            "column": ("column", list(COLUMNS), {"long_name": "Column of the envelope"}),
            "time": first.tz_localize(None),
        },
        attrs={
            "Conventions": CONVENTIONS,
            "title": "Flexibility envelopes kept with the result they were computed from",
            "schema": CACHE_SCHEMA,
            "schema_version": CACHE_VERSION,
            "network_sha256": network,
            "content_sha256": _content_digest(network, keys, values),
        },
    )
    ds = add_time_bounds(ds, "time", step, "Start of the step (UTC)")
    write_netcdf4(ds, path, time_encoding(["time", TIME_BOUNDS], first[0], step))


def _read_kept(
    path: Path, network: str, index: pd.DatetimeIndex, step: pd.Timedelta
) -> dict[str, pd.DataFrame]:
    """The envelopes a result folder keeps for its ``network.nc`` and steps; none if
    the file is absent or does not check out."""
    import xarray as xr

    if path.is_symlink() or not path.is_file():
        return {}
    unit = time_encoding(["time"], index[0], step)["time"]["units"].split()[0]
    offsets = (index - index[0]) // pd.Timedelta(1, unit)
    try:
        check_size(path, str(path))
        check_netcdf_header(path, str(path))
        with xr.open_dataset(
            path, engine="netcdf4", decode_cf=False, create_default_indexes=False
        ) as ds:
            if (
                ds.attrs.get("schema") != CACHE_SCHEMA
                or ds.attrs.get("schema_version") != CACHE_VERSION
                or ds.attrs.get("network_sha256") != network
                or dict(ds.sizes)
                != {
                    "entry": ds.sizes.get("entry"),
                    "column": len(COLUMNS),
                    "time": len(index),
                    "nv": 2,
                }
                or not 0 < ds.sizes["entry"] <= MAX_ENTRIES
                or ds["values"].dims != ("entry", "column", "time")
                or ds["values"].dtype != np.float64
                or ds["key"].dims != ("entry",)
                or ds["column"].values.tolist() != list(COLUMNS)
                or ds["time"].dims != ("time",)
            ):
                return {}
            since = str(ds["time"].attrs.get("units")).split(" since ")
            if since[0] != unit or pd.Timestamp(since[-1]) != index[0]:
                return {}
            values = ds["values"].values
            keys = [str(k) for k in ds["key"].values]
            times = ds["time"].values
            content = ds.attrs.get("content_sha256")
    except Exception:  # noqa: BLE001 - a damaged cache is computed again, not reported
        return {}
    if (
        not np.array_equal(times, np.asarray(offsets))
        or len(set(keys)) != len(keys)
        or content != _content_digest(network, keys, values)
        or np.isnan(values[:, :5]).any()
    ):
        return {}
    return {
        k: pd.DataFrame(dict(zip(COLUMNS, v, strict=True)), index=index)
        for k, v in zip(keys, values, strict=True)
    }
