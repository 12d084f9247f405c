"""The CSV exchange format: a ``time`` column and one column per field, plus JSON metadata.

The metadata (:class:`CsvMetadata`, in the ``.json`` file of the same name) gives the
schema, the step, the units of every column, the time zone of times without a UTC
offset, demand-response calls and, in plan files, key figures. The header is checked
before the table is parsed.
"""

from __future__ import annotations

import csv
import io
import zoneinfo
from pathlib import Path

import numpy as np
import pandas as pd
import pydantic
from pydantic import BaseModel, ConfigDict, Field, StrictFloat

from dispatch.core.errors import ScenarioError
from dispatch.core.files import csv_safe, write_file_atomic
from dispatch.exchange.fields import (
    PLAN_FIELDS,
    SCHEMA,
    SCHEMA_VERSION,
    SIGNAL_FIELDS,
    ExchangeTable,
    Signals,
    canonical_units,
    parse_units,
    shift,
)
from dispatch.exchange.signal_checks import (
    check_schema,
    demand_response_calls,
    one_currency,
    signal_series,
    unknown_field,
)
from dispatch.exchange.times import (
    ISO_TIME,
    format_duration,
    in_range,
    iso,
    localize,
    parse_duration,
    parse_time,
    time_zone,
)
from dispatch.exchange.untrusted_input import (
    load_json,
    read_bytes,
    short_name,
    short_repr,
    validation_error,
)


class _Meta(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FieldMetadata(_Meta):
    """Metadata of one CSV column."""

    units: str
    """Units of the column's values, from ``UNITS`` [-]."""
    long_name: str = ""
    """What the column holds [-]."""


class CallMetadata(_Meta):
    """A demand-response call: an import cap over a span of time."""

    start: str
    """Start of the call, ISO 8601 (UTC offset, or local in ``time_zone``) [-]."""
    end: str
    """End of the call, exclusive [-]."""
    import_limit: StrictFloat
    """Import limit during the call [units]."""
    units: str
    """``MW`` or ``kW`` [-]."""


class KeyFigureMetadata(_Meta):
    """One key figure of a plan."""

    value: StrictFloat
    """The figure [units]."""
    units: str
    """Its unit [-]."""


class CsvMetadata(_Meta):
    """The JSON file describing a CSV exchange file (same name, suffix ``.json``)."""

    schema_name: str = Field(alias="schema")
    """Always ``dispatch-exchange`` [-]."""
    schema_version: str
    """Version of the format: ``1.0`` [-]."""
    title: str = ""
    """What the file holds [-]."""
    study: str | None = None
    """Study the plan was made for (plan files) [-]."""
    site: str | None = None
    """Site the file is for; checked against the site it is applied to [-]."""
    time_zone: str | None = None
    """IANA time zone of times without a UTC offset, e.g. ``Europe/Madrid`` [-]."""
    time_step: str
    """Step of the ``time`` column, ISO 8601 duration, e.g. ``PT15M`` [-]."""
    fields: dict[str, FieldMetadata]
    """Every column besides ``time``, with its units [-]."""
    demand_response_calls: list[CallMetadata] = []
    """Import caps over given spans of time [-]."""
    key_figures: dict[str, KeyFigureMetadata] = {}
    """Key figures of a plan (plan files) [-]."""


def metadata_path(path: Path) -> Path:
    """The JSON metadata file of a CSV exchange file."""
    return path.with_suffix(".json")


def read_csv(path: Path, file: str) -> Signals:
    """Signals of a CSV exchange file and its JSON metadata."""
    meta_file = str(metadata_path(Path(file)))
    meta = _csv_metadata(read_bytes(metadata_path(path), meta_file), meta_file)
    zone = None if meta.time_zone is None else time_zone(meta.time_zone, meta_file)
    step = parse_duration(meta.time_step, meta_file, "time_step")
    data = read_bytes(path, file)
    try:
        header = next(csv.reader([data.split(b"\n", 1)[0].decode("utf-8")]), [])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError(file, "", f"not a readable CSV file ({exc})") from None
    columns = _csv_columns(header, meta, file, meta_file)
    try:
        table = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ScenarioError(file, "", f"not a readable CSV file ({exc})") from None
    del data
    times = _csv_times(table["time"], zone, file)
    series, currencies = {}, set()
    for name in columns:
        if name in PLAN_FIELDS:
            continue
        exponent, currency = parse_units(
            SIGNAL_FIELDS[name].quantity, meta.fields[name].units, meta_file, f"fields.{name}"
        )
        currencies.add(currency)
        values = _csv_numbers(table[name], times, file, name)
        series[name] = signal_series(file, name, times, step, values, exponent)
    starts, ends, limits = [], [], []
    for i, call in enumerate(meta.demand_response_calls):
        where = f"demand_response_calls[{i}]"
        exponent, _ = parse_units("power", call.units, meta_file, f"{where}.units")
        starts.append(parse_time(call.start, meta_file, f"{where}.start", zone))
        ends.append(parse_time(call.end, meta_file, f"{where}.end", zone))
        limits.append(shift(np.array([call.import_limit]), exponent)[0])
    caps = demand_response_calls(
        meta_file,
        "demand_response_calls",
        pd.DatetimeIndex(starts),
        pd.DatetimeIndex(ends),
        np.array(limits),
    )
    return Signals(file, series, caps, one_currency(currencies, meta_file), meta.site)


def _csv_columns(header: list[str], meta: CsvMetadata, file: str, meta_file: str) -> list[str]:
    """The columns after ``time``: each once, known and described in the metadata.

    Checked on the header, before the table is parsed (a header of a million unknown
    columns is refused at once).
    """
    if not header or header[0] != "time":
        raise ScenarioError(file, "time", "the first column must be named 'time'")
    columns = header[1:]
    seen = {"time"}
    for name in columns:
        if name in seen:
            raise ScenarioError(file, short_name(name), "the column appears twice")
        seen.add(name)
        if name not in meta.fields:
            raise ScenarioError(
                meta_file, f"fields.{short_name(name)}", "missing: every column needs units"
            )
        if name not in SIGNAL_FIELDS and name not in PLAN_FIELDS:
            raise ScenarioError(file, short_name(name), unknown_field(name))
    for name in meta.fields:
        if name not in seen:
            raise ScenarioError(file, name, "is described in the metadata but has no column")
    return columns


def _csv_metadata(data: bytes, file: str) -> CsvMetadata:
    raw = load_json(data, file)
    if not isinstance(raw, dict):
        raise ScenarioError(file, "", "expected a JSON object")
    check_schema(file, raw.get("schema"), raw.get("schema_version"))
    try:
        return CsvMetadata.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise validation_error(exc, file) from None


def _csv_times(column: pd.Series, zone: zoneinfo.ZoneInfo | None, file: str) -> pd.DatetimeIndex:
    """The ``time`` column as UTC: offsets where given, else local in ``zone``."""
    text = column.str.strip()
    not_iso = np.flatnonzero(~text.str.match(ISO_TIME.pattern).to_numpy(dtype=bool))
    if len(not_iso):
        i = int(not_iso[0])
        raise ScenarioError(
            file, "time", f"row {i + 1} ({short_repr(text.iloc[i])}) is not an ISO 8601 time"
        )
    with_offset = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
    if with_offset.any() and not with_offset.all():
        i = int(np.flatnonzero(~with_offset.to_numpy())[0])
        raise ScenarioError(
            file, "time", f"row {i + 1} ({short_repr(text.iloc[i])}) has no UTC offset, others do"
        )
    try:
        times = pd.DatetimeIndex(
            pd.to_datetime(text, format="ISO8601", utc=bool(with_offset.all()))
        )
    except (ValueError, TypeError, OverflowError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScenarioError(file, "time", f"not ISO 8601 times ({short_repr(first)})") from None
    if times.tz is not None:
        return in_range(times.tz_convert("UTC"), file, "time")
    if zone is None:
        raise ScenarioError(
            file, "time", "times have no UTC offset and the metadata gives no time_zone"
        )
    return localize(times, zone, file, "time")


def _csv_numbers(column: pd.Series, times: pd.DatetimeIndex, file: str, name: str) -> np.ndarray:
    values = pd.to_numeric(column.str.strip(), errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(np.isnan(values))
    for i in bad:
        raw = column.iloc[i].strip()
        if raw.lower() != "nan":
            what = "empty" if not raw else f"{short_repr(raw)}, not a number,"
            raise ScenarioError(file, name, f"is {what} at {iso(times[i])}")
    return values


def write_csv(table: ExchangeTable, path: Path) -> None:
    """Write an exchange table as CSV (full precision) plus its JSON metadata."""
    frame = pd.DataFrame(table.fields, index=table.times.strftime("%Y-%m-%dT%H:%M:%SZ"))
    fields = {
        name: FieldMetadata(
            units=canonical_units(spec.quantity, table.currency), long_name=spec.long_name
        )
        for name in table.fields
        for spec in [SIGNAL_FIELDS.get(name) or PLAN_FIELDS[name]]
    }
    meta = CsvMetadata(
        schema_name=SCHEMA,
        schema_version=SCHEMA_VERSION,
        title=table.attrs.get("title", ""),
        study=table.attrs.get("study"),
        site=table.attrs.get("site"),
        time_step=format_duration(table.step),
        fields=fields,
        demand_response_calls=[
            CallMetadata(start=iso(c.start), end=iso(c.end), import_limit=c.value, units="MW")
            for c in table.caps
            if c.field == "import_limit"
        ],
        key_figures={
            name: KeyFigureMetadata(value=value, units=units)
            for name, (value, units) in table.key_figures.items()
        },
    )
    text = meta.model_dump_json(by_alias=True, indent=2, exclude_defaults=True) + "\n"
    write_file_atomic(path, lambda temporary: csv_safe(frame).to_csv(temporary, index_label="time"))
    write_file_atomic(
        metadata_path(path), lambda temporary: temporary.write_text(text, encoding="utf-8")
    )
