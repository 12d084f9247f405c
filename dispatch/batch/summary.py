"""The summaries of a batch: one row per variant in ``summary.csv`` and ``summary.nc``.

Each row holds the variant's status and error, its swept parameters and the key
figures of its ``summary.json`` flattened into columns (:func:`flat_figures`). The
batch process rebuilds both files from the variant folders at the end of every run,
each atomically (:func:`~dispatch.core.files.write_file_atomic`).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from pydantic import BaseModel

from dispatch.batch.task import OK
from dispatch.core.files import csv_safe, write_file_atomic
from dispatch.core.units import CF_SPELLINGS, cf_attributes
from dispatch.results.netcdf import CONVENTIONS, write_netcdf4
from dispatch.scenario.sweep import Sweep, field_value

if TYPE_CHECKING:
    import pandas as pd

    from dispatch.batch.folder import BatchFolder

SUMMARY_CSV, SUMMARY_NC = "summary.csv", "summary.nc"


def summary_table(folder: BatchFolder, sweep: Sweep) -> tuple[pd.DataFrame, dict[str, str]]:
    """One row per variant: status, error, swept parameters, key figures.

    Returns
    -------
    table
        Indexed by variant; the parameters' columns are their dotted paths
        (values the variant has, changed or not), the figures' are those of
        :func:`flat_figures`; NaN where a variant has no result.
    units
        Unit of each figure column.
    """
    import pandas as pd

    rows, units = [], {}
    for variant in sweep.variants:
        status, error = folder.status(variant)
        row = {"variant": variant.name, "status": status, "error": error}
        row.update({p: field_value(variant.scenario, p) for p in sweep.parameters})
        if status == OK:
            figures, figure_units = folder.figures(variant)
            row.update(figures)
            units.update(figure_units)
        rows.append(row)
    table = pd.DataFrame(rows).set_index("variant")
    for path in sweep.parameters:
        table[path] = _column(table[path])
    return table, units


def write_summary(folder: BatchFolder, sweep: Sweep) -> pd.DataFrame:
    """Write ``summary.csv`` and ``summary.nc`` from every variant's folder.

    Text cells a spreadsheet would run as a formula are escaped in the CSV
    (:func:`~dispatch.core.files.csv_safe`); the returned table has them as they are.
    ``summary.nc`` is CF: each figure with its UDUNITS-2 units (money: ``1`` or the
    rest of the quotient, and a ``currency`` attribute) and a long name, each swept
    field with the units its scenario reference gives.
    """
    import xarray as xr

    table, units = summary_table(folder, sweep)
    write_file_atomic(folder.path / SUMMARY_CSV, csv_safe(table).to_csv)
    ds = xr.Dataset.from_dataframe(table).set_coords(sweep.parameters)
    for path in sweep.parameters:
        ds[path].attrs.update(long_name=f"Scenario field {path}", **_field_units(sweep, path))
    for name, unit in units.items():
        ds[name].attrs.update(long_name=f"Key figure {name} of summary.json", **_cf_units(unit))
    ds["variant"].attrs["long_name"] = "Variant of the sweep"
    ds["status"].attrs["long_name"] = "ok, infeasible, bad-input, error or pending"
    ds["error"].attrs["long_name"] = "Why the variant failed (empty if it did not)"
    ds.attrs.update(
        title=f"Key figures of the variants of sweep {sweep.source.name}",
        sweep=str(sweep.source),
        base=str(sweep.base),
        command=sweep.command,
        Conventions=CONVENTIONS,
    )
    if sweep.hours is not None:  # a number [h]; absent: each variant's whole horizon
        ds.attrs["hours"] = sweep.hours
    write_file_atomic(folder.path / SUMMARY_NC, lambda temporary: write_netcdf4(ds, temporary))
    return table


def flat_figures(summary: dict) -> tuple[dict[str, float], dict[str, str]]:
    """The numbers of a ``summary.json`` as one flat mapping, and their units.

    Nested mappings join their keys with ``_``: ``baseline_total_cost``,
    ``curtailment_by_carrier_mwh_solar``, ``routes_a->b_moved_mwh``, and for an
    operated variant ``foresight_absorbed_mwh_realised``, ``operation_late_mwh``,
    ``perfect_foresight_total_cost``; per-site figures (``sites_SITE_...``, at any
    depth) only where the study has more than one site, since one site's equal the
    study's. Strings (``study``, ``currency``, a forecast's ``method``) and ``units``
    are left out.

    Returns
    -------
    figures
        Name -> value [unit of the name].
    units
        Name -> unit, from the summary's ``units`` or the name's ending
        (``_mwh``, ``_h``, ``_tco2``, ``cost``).
    """
    known = {"hours": "h", "seed": "1", **summary.get("units", {})}
    currency = summary.get("currency", "")
    figures: dict[str, float] = {}
    units: dict[str, str] = {}

    def walk(mapping: dict, prefix: tuple[str, ...]) -> None:
        for key, value in mapping.items():
            keys = (*prefix, str(key))
            if key == "sites" and len(value) <= 1:  # a number here raises: unreadable
                continue
            if isinstance(value, dict):
                walk(value, keys)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                name = "_".join(keys)
                figures[name] = float(value)
                given = mapping.get("unit")  # a target's shadow price states its unit
                units[name] = given if isinstance(given, str) else _unit(keys, known, currency)

    walk({k: v for k, v in summary.items() if k != "units"}, ())
    return figures, {k: v for k, v in units.items() if v}


def _unit(keys: tuple[str, ...], known: dict[str, str], currency: str) -> str:
    if "capacities" in keys:  # "MW (battery_energy: MWh)"
        return "MWh" if keys[-1] == "battery_energy" else "MW"
    for key in reversed(keys):
        if key in known:
            return known[key]
    leaf = keys[-1]
    for ending, unit in (("_mwh", "MWh"), ("_h", "h"), ("_tco2", "tCO2"), ("cost", currency)):
        if leaf.endswith(ending):
            return unit
    return ""


def _cf_units(unit: str) -> dict[str, str]:
    """CF ``units`` (and ``currency``) of a unit as ``summary.json`` names it
    (``MWh``, ``EUR/MWh``: the currency by its code); none for a unit
    :data:`~dispatch.core.units.CF_SPELLINGS` does not know."""
    currency = re.match(r"[A-Z]{3}(?=/|$)", unit)
    code = currency.group() if currency else ""
    known = unit.replace(code, "currency") if code else unit
    return cf_attributes(unit, code) if known in CF_SPELLINGS else {}


def _field_units(sweep: Sweep, path: str) -> dict[str, str]:
    """CF ``units`` (and ``currency``) of a numeric scenario field, from the unit in
    ``[brackets]`` that ends its description; none for text or an unknown unit."""
    *parents, leaf = path.split(".")
    for variant in sweep.variants:
        parent = field_value(variant.scenario, ".".join(parents)) if parents else variant.scenario
        value = getattr(parent, leaf, None)
        if isinstance(parent, BaseModel) and isinstance(value, int | float):
            info = type(parent).model_fields.get(leaf)
            unit = re.search(r"\[([^\]]+)\]\.?\s*$", (info and info.description) or "")
            name = unit.group(1) if unit else ""
            if name in CF_SPELLINGS:
                return cf_attributes(name, variant.scenario.currency)
            return {}
    return {}


def _column(values: pd.Series) -> pd.Series:
    """A parameter column: numbers as floats (None as NaN), anything else as text."""
    if all(v is None or isinstance(v, int | float) for v in values):
        return values.astype(float)
    return values.map(
        lambda v: json.dumps(v.model_dump(mode="json")) if isinstance(v, BaseModel) else str(v)
    )
