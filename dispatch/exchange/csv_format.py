"""The CSV exchange format: a ``time`` column and one column per field, plus JSON metadata.

The metadata (:class:`CsvMetadata`, in the ``.json`` file of the same name) gives the
schema, the step, the units of every column, the time zone of times without a UTC
offset, demand-response calls and, in plan files, key figures. The header is checked
before the table is parsed. An operation's plans as issued are written with a column
``issue_time`` first (:func:`write_issued_csv`, metadata :class:`IssuedPlansMetadata`).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pydantic
from pydantic import Field, StrictFloat

from dispatch.core.errors import ScenarioError
from dispatch.core.files import csv_safe, write_file_atomic
from dispatch.core.times import (
    format_duration,
    iso,
    parse_duration,
    parse_time,
    parse_times,
    time_zone,
)
from dispatch.core.units import parse_units
from dispatch.core.untrusted_input import (
    ColumnMetadata,
    MetadataModel,
    csv_numbers,
    load_json,
    read_bytes,
    short_name,
    validation_error,
)
from dispatch.exchange.fields import (
    ISSUED_PLAN_FIELDS,
    PLAN_FIELDS,
    SCHEMA,
    SCHEMA_VERSION,
    SIGNAL_FIELDS,
    ExchangeTable,
    Signals,
    canonical_units,
)
from dispatch.exchange.issued_plans import IssuedPlans
from dispatch.exchange.signal_checks import (
    check_schema,
    demand_response_calls,
    one_currency,
    signal_series,
    unknown_field,
)


class CallMetadata(MetadataModel):
    """A demand-response call: an import cap over a span of time."""

    start: str
    """Start of the call, ISO 8601 (UTC offset, or local in ``time_zone``) [-]."""
    end: str
    """End of the call, exclusive [-]."""
    import_limit: StrictFloat
    """Import limit during the call [units]."""
    units: str
    """Units of the limit, a power: ``MW``, ``kW``, ``megawatt`` ... [-]."""


class KeyFigureMetadata(MetadataModel):
    """One key figure of a plan."""

    value: StrictFloat
    """The figure [units]."""
    units: str
    """Its unit [-]."""


class CsvMetadata(MetadataModel):
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
    source: str | None = None
    """What wrote the file: ``dispatch exchange export`` in plan files [-]."""
    time_zone: str | None = None
    """IANA time zone of times without a UTC offset, e.g. ``Europe/Madrid`` [-]."""
    time_step: str
    """Step of the ``time`` column, ISO 8601 duration, e.g. ``PT15M`` [-]."""
    fields: dict[str, ColumnMetadata]
    """Every column besides ``time``, with its units [-]."""
    demand_response_calls: list[CallMetadata] = []
    """Import caps over given spans of time [-]."""
    key_figures: dict[str, KeyFigureMetadata] = {}
    """Key figures of a plan (plan files) [-]."""


class IssuedPlansMetadata(MetadataModel):
    """The JSON file describing a CSV of an operation's plans as issued."""

    schema_name: str = Field(alias="schema")
    """Always ``dispatch-exchange`` [-]."""
    schema_version: str
    """Version of the format: ``1.0`` [-]."""
    title: str
    """What the file holds [-]."""
    study: str
    """Study operated [-]."""
    site: str
    """Site of the plans [-]."""
    time_step: str
    """Step of the plans and of the ``time`` column, ISO 8601 duration [-]."""
    lookahead: str
    """Span of each plan, ISO 8601 duration [-]."""
    commit: str
    """Span committed of each plan, and between decision times, ISO 8601 duration [-]."""
    forecast: str
    """Forecast method of the operation [-]."""
    source: str
    """What wrote the file: ``dispatch exchange export`` [-]."""
    fields: dict[str, ColumnMetadata]
    """Every column besides ``issue_time`` and ``time``, with its units [-]."""
    key_figures: dict[str, KeyFigureMetadata] = {}
    """Realised key figures of the site [-]."""


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
    times = parse_times(table["time"], zone, file, "time")
    series, currencies = {}, set()
    for name in columns:
        if name in PLAN_FIELDS:
            continue
        conversion = parse_units(
            meta.fields[name].units,
            SIGNAL_FIELDS[name].quantity,
            meta_file,
            f"fields.{name}",
            currency=meta.fields[name].currency,
        )
        currencies.add(conversion.currency)
        values = conversion.apply(
            csv_numbers(table[name], file, name, lambda i: f"at {iso(times[i])}")
        )
        series[name] = signal_series(file, name, times, step, values)
    starts, ends, limits = [], [], []
    for i, call in enumerate(meta.demand_response_calls):
        where = f"demand_response_calls[{i}]"
        conversion = parse_units(call.units, "power", meta_file, f"{where}.units")
        starts.append(parse_time(call.start, meta_file, f"{where}.start", zone))
        ends.append(parse_time(call.end, meta_file, f"{where}.end", zone))
        limits.append(conversion.apply(np.array([call.import_limit]))[0])
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


def write_csv(table: ExchangeTable, path: Path) -> None:
    """Write an exchange table as CSV (full precision) plus its JSON metadata."""
    frame = pd.DataFrame(table.fields, index=table.times.strftime("%Y-%m-%dT%H:%M:%SZ"))
    fields = {
        name: ColumnMetadata(
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
        source=table.attrs.get("source"),
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


def write_issued_csv(plans: IssuedPlans, path: Path) -> None:
    """Write an operation's plans as CSV plus its JSON metadata: one row per decision
    time (``issue_time``) and step of its plan within the horizon (``time``), with
    the lead time, whether the step was committed, the plan and what was delivered."""
    inside = plans.within_horizon
    issue, step = np.nonzero(inside)
    times = pd.DatetimeIndex(plans.valid_times[inside]).tz_localize("UTC")
    at = plans.times.get_indexer(times)
    frame = pd.DataFrame(
        {
            "issue_time": plans.issue_times[issue].strftime("%Y-%m-%dT%H:%M:%SZ"),
            "time": times.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "lead_time_h": step * (plans.step / pd.Timedelta(hours=1)),
            "committed": plans.committed[inside].astype(int),
            **{name: values[inside] for name, values in plans.planned.items()},
            **{f"delivered_{name}": values[at] for name, values in plans.delivered.items()},
        }
    )
    fields = {
        "lead_time_h": ColumnMetadata(units="h", long_name="Start of the step after the decision"),
        "committed": ColumnMetadata(
            units="1", long_name="1 if the step of the plan was committed, 0 if not"
        ),
    }
    for prefix, kind in (("", "Planned"), ("delivered_", "Delivered")):
        for name, spec in ISSUED_PLAN_FIELDS.items():
            fields[prefix + name] = ColumnMetadata(
                units=canonical_units(spec.quantity, plans.currency),
                long_name=kind + spec.long_name.removeprefix("Planned"),
            )
    meta = IssuedPlansMetadata(
        schema_name=SCHEMA,
        schema_version=SCHEMA_VERSION,
        **plans.description,
        fields=fields,
        key_figures={
            name: KeyFigureMetadata(value=value, units=units)
            for name, (value, units) in plans.key_figures.items()
        },
    )
    text = meta.model_dump_json(by_alias=True, indent=2) + "\n"
    write_file_atomic(path, lambda temporary: csv_safe(frame).to_csv(temporary, index=False))
    write_file_atomic(
        metadata_path(path), lambda temporary: temporary.write_text(text, encoding="utf-8")
    )
