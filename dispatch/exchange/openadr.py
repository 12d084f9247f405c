"""OpenADR 3.0.1 exchange: partner events in (signals), site reports out (the plan).

The models follow the schemas of the OpenADR 3.0.1 OpenAPI specification
(``openadr3.yaml``, ``info.version: "3.0.1"``): ``program``, ``event``, ``report``,
``interval``, ``intervalPeriod``, ``valuesMap``, ``point``, ``eventPayloadDescriptor``,
``reportPayloadDescriptor`` and ``reportDescriptor``, with their field names and
constraints. Unknown fields are rejected, and fields that only OpenADR 3.1 has are
named as such, so that a 3.1 document fails with a clear line. OpenADR 2.0b is XML and
is recognised as such. Payload types and units are the enumerations of the OpenADR 3
Definitions where one exists; the rest are private strings (docs/exchange.md).

A file holds one OpenADR object or a JSON array of them (as ``GET /events`` returns).
Events give signals; programs give default payload descriptors; reports are checked
against the schema and otherwise skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import pydantic
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from dispatch.core.errors import ScenarioError
from dispatch.exchange.formats import (
    PLAN_FIELDS,
    SIGNAL_FIELDS,
    Cap,
    ExchangeField,
    ExchangeTable,
    Signals,
    SignalSeries,
    _short,
    format_duration,
    iso,
    load_json,
    parse_duration,
    parse_time,
    read_bytes,
    shift,
    signal_series,
    span_end,
    validation_error,
    write_atomically,
)

OPENADR_VERSION = "3.0.1"
"""The OpenADR version this module reads and writes."""

_DURATION_PATTERN = (
    r"^(-?)P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)([DW]))?"
    r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
ObjectID = Annotated[
    str, StringConstraints(pattern=r"^[a-zA-Z0-9_-]*$", min_length=1, max_length=128)
]
Name = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Duration = Annotated[str, StringConstraints(pattern=_DURATION_PATTERN)]

# Fields OpenADR 3.1 added where 3.0.1 has none (3.1.0 openadr3.yaml): event.duration,
# program.attributes, report.clientID; and 3.1's new object types.
_OPENADR_31_FIELDS = ("duration", "attributes", "clientID")
_OPENADR_31_TYPES = (
    "BL_VEN_REQUEST",
    "VEN_VEN_REQUEST",
    "BL_RESOURCE_REQUEST",
    "VEN_RESOURCE_REQUEST",
)

UNITS: dict[str, dict[str | None, int]] = {
    "price": {"KWH": 3, "MWH": 0},
    "carbon": {None: -3, "GHG": -3},
    "share": {None: 0, "PERCENT": 0},
    "power": {"KW": -3, "MW": 0},
}
"""Accepted payloadDescriptor units by quantity, with the power of ten to the canonical
unit: prices per kWh (``KWH``) or MWh, GHG in g/kWh (the unit ``GHG``), shares as
``PERCENT`` (a fraction 0..1, as the Definitions define it), power in kW or MW."""
WRITTEN_UNITS = {"price": "KWH", "carbon": "GHG", "share": "PERCENT", "power": "KW"}
"""The enumerated units signals are written in."""
REPORT_UNITS = {
    "USAGE_FORECAST": "KWH",
    "EXPORT_FORECAST": "KWH",
    "SURPLUS_ABSORPTION_FORECAST": "KWH",
    "DOWN_REGULATION_AVAILABLE": "KW",
    "UP_REGULATION_AVAILABLE": "KW",
}
"""Units of the plan's report payloads: energy per interval, or power."""


class _Object(BaseModel):
    # The 3.0.1 duration pattern has a look-ahead, which needs Python's regex engine.
    model_config = ConfigDict(extra="forbid", frozen=True, regex_engine="python-re")


class Point(_Object):
    """A pair of floats, e.g. a point of a curve."""

    x: float
    """A value on an x axis [-]."""
    y: float
    """A value on a y axis [-]."""


class ValuesMap(_Object):
    """Values of one payload type, e.g. ``{"type": "PRICE", "values": [0.17]}``."""

    type: Name
    """Enumerated or private payload type [-]."""
    values: list[float | int | str | bool | Point]
    """The values; one number for every type read here [payload unit]."""


class IntervalPeriod(_Object):
    """Start and duration of an interval, or the defaults of an event's intervals."""

    start: str
    """Start, ISO 8601 date-time with a UTC offset [-]."""
    duration: Duration | None = None
    """Duration, ISO 8601; absent means PT0S (instantaneous or infinite) [-]."""
    randomizeStart: Duration | None = None
    """Largest random shift of the start [-]."""


class Interval(_Object):
    """A temporal window and its payloads."""

    id: int
    """Client-assigned number of the interval, not a sequence number [-]."""
    intervalPeriod: IntervalPeriod | None = None
    """Overrides the event's default intervalPeriod."""
    payloads: list[ValuesMap]
    """The payloads of the interval."""


class EventPayloadDescriptor(_Object):
    """Units and currency of an event payload type."""

    objectType: Literal["EVENT_PAYLOAD_DESCRIPTOR"] | None = None
    """Discriminator [-]."""
    payloadType: Name
    """The payload type described [-]."""
    units: str | None = None
    """Units of measure, e.g. ``KWH`` [-]."""
    currency: str | None = None
    """ISO 4217 currency of a price payload [-]."""


class ReportPayloadDescriptor(_Object):
    """Units and reading type of a report payload type."""

    objectType: Literal["REPORT_PAYLOAD_DESCRIPTOR"] | None = None
    """Discriminator [-]."""
    payloadType: Name
    """The payload type described [-]."""
    readingType: str | None = None
    """Enumerated or private reading type, e.g. ``FORECAST`` [-]."""
    units: str | None = None
    """Units of measure [-]."""
    accuracy: float | None = None
    """Accuracy of the values [payload unit]."""
    confidence: Annotated[int, Field(ge=0, le=100)] | None = None
    """Confidence in the values [%]."""


class ReportDescriptor(_Object):
    """A request for a report, carried by an event."""

    payloadType: Name
    """The payload type requested [-]."""
    readingType: str | None = None
    """Reading type requested [-]."""
    units: str | None = None
    """Units requested [-]."""
    targets: list[ValuesMap] | None = None
    """Targets of the request."""
    aggregate: bool = False
    """Aggregate all targeted resources [-]."""
    startInterval: int = -1
    """Interval at which to report [-]."""
    numIntervals: int = -1
    """Number of intervals to report [-]."""
    historical: bool = True
    """Report on past (true) or future (false) intervals [-]."""
    frequency: int = -1
    """Intervals between reports [-]."""
    repeat: int = 1
    """Number of reports [-]."""


class ProgramDescription(_Object):
    """A link to a description of the program."""

    URL: str
    """The description's address; never fetched [-]."""


class _Provisioned(_Object):
    id: ObjectID | None = None
    """Object ID the VTN provisions [-]."""
    createdDateTime: str | None = None
    """Creation time [-]."""
    modificationDateTime: str | None = None
    """Last modification time [-]."""


class Program(_Provisioned):
    """A program: here the source of default payload descriptors."""

    objectType: Literal["PROGRAM"] | None = None
    """Discriminator [-]."""
    programName: Name
    """Short name of the program [-]."""
    programLongName: str | None = None
    """Long name [-]."""
    retailerName: str | None = None
    """Short name of the retailer [-]."""
    retailerLongName: str | None = None
    """Long name of the retailer [-]."""
    programType: str | None = None
    """Program-defined category, e.g. ``PRICING_TARIFF`` [-]."""
    country: str | None = None
    """ISO 3166-1 alpha-2 code [-]."""
    principalSubdivision: str | None = None
    """ISO 3166-2 code [-]."""
    timeZoneOffset: Duration | None = None
    """Standard-time offset from UTC [-]."""
    intervalPeriod: IntervalPeriod | None = None
    """Span of the program."""
    programDescriptions: list[ProgramDescription] | None = None
    """Links to descriptions."""
    bindingEvents: bool | None = None
    """Events are fixed once sent [-]."""
    localPrice: bool | None = None
    """Events adapted from a grid event [-]."""
    payloadDescriptors: list[EventPayloadDescriptor | ReportPayloadDescriptor] | None = None
    """Default payload descriptors of the program's events and reports."""
    targets: list[ValuesMap] | None = None
    """Targets of the program."""


class Event(_Provisioned):
    """An event: intervals of payloads sent from the partner (VTN) to the site (VEN)."""

    objectType: Literal["EVENT"] | None = None
    """Discriminator [-]."""
    programID: ObjectID
    """ID of the program of the event [-]."""
    eventName: str | None = None
    """Name for people [-]."""
    priority: Annotated[int, Field(ge=0)] | None = None
    """Relative priority; lower is higher [-]."""
    targets: list[ValuesMap] | None = None
    """Targets of the event."""
    reportDescriptors: list[ReportDescriptor] | None = None
    """Reports requested."""
    payloadDescriptors: list[EventPayloadDescriptor] | None = None
    """Units and currency of the payload types."""
    intervalPeriod: IntervalPeriod | None = None
    """Default start and duration of the intervals."""
    intervals: list[Interval]
    """The intervals."""


class ReportResource(_Object):
    """Report data of one resource."""

    resourceName: Name
    """Resource name; ``AGGREGATED_REPORT`` for several [-]."""
    intervalPeriod: IntervalPeriod | None = None
    """Default start and duration of the intervals."""
    intervals: list[Interval]
    """The intervals."""


class Report(_Provisioned):
    """A report from the site (VEN) to the partner."""

    objectType: Literal["REPORT"] | None = None
    """Discriminator [-]."""
    programID: ObjectID
    """ID of the program [-]."""
    eventID: ObjectID
    """ID of the event reported on [-]."""
    clientName: Name
    """The reporting client [-]."""
    reportName: str | None = None
    """Name for people [-]."""
    payloadDescriptors: list[ReportPayloadDescriptor] | None = None
    """Units and reading types of the payload types."""
    resources: list[ReportResource]
    """Report data by resource."""


_MODELS: dict[str, type[_Provisioned]] = {"PROGRAM": Program, "EVENT": Event, "REPORT": Report}
_TYPES = {f.openadr: f for f in SIGNAL_FIELDS.values()}


def read_openadr(path: Path, file: str) -> Signals:
    """Signals of an OpenADR 3.0.1 JSON document (an object or an array of objects)."""
    data = read_bytes(path, file)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise ScenarioError(
            file,
            "",
            f"is XML (OpenADR 2.0b?); this reader follows OpenADR {OPENADR_VERSION} (JSON)",
        )
    raw = load_json(data, file)
    items = raw if isinstance(raw, list) else [raw]
    objects = [_parse_object(item, f"[{i}]", file) for i, item in enumerate(items)]
    descriptors: dict[str | None, dict[str, EventPayloadDescriptor]] = {}
    for program in (o for o in objects if isinstance(o, Program)):
        descriptors[program.id] = {
            d.payloadType: d
            for d in program.payloadDescriptors or []
            if isinstance(d, EventPayloadDescriptor)
        }
    entries: dict[str, list[tuple[pd.Timestamp, pd.Timedelta, float]]] = {}
    currencies: set[str] = set()
    for i, event in enumerate(objects):
        if isinstance(event, Event):
            own = {d.payloadType: d for d in event.payloadDescriptors or []}
            _event_entries(
                event,
                {**descriptors.get(event.programID, {}), **own},
                f"[{i}]",
                file,
                entries,
                currencies,
            )
    if len(currencies) > 1:
        raise ScenarioError(file, "currency", f"prices in several currencies: {sorted(currencies)}")
    series: dict[str, SignalSeries] = {}
    caps: list[Cap] = []
    for name, found in entries.items():
        if SIGNAL_FIELDS[name].combine == "cap":
            caps += [Cap(name, start, start + length, value) for start, length, value in found]
        else:
            series[name] = _contiguous(name, found, file)
    return Signals(file, series, tuple(caps), next(iter(currencies), None))


def _parse_object(item: Any, where: str, file: str) -> _Provisioned:
    if not isinstance(item, dict):
        raise ScenarioError(file, where, "expected an OpenADR object")
    kind = item.get("objectType")
    if kind is None:  # objectType is VTN-provisioned: infer the object from its fields
        kind = "REPORT" if "eventID" in item else "EVENT" if "intervals" in item else "PROGRAM"
    if not isinstance(kind, str):
        raise ScenarioError(file, f"{where}.objectType", f"is {_short(kind)}, expected a string")
    if kind in _OPENADR_31_TYPES:
        raise ScenarioError(
            file,
            f"{where}.objectType",
            f"{kind} is OpenADR 3.1; this reader follows {OPENADR_VERSION}",
        )
    if kind not in _MODELS:
        raise ScenarioError(
            file,
            f"{where}.objectType",
            f"{_short(kind)} is not read (programs, events and reports are)",
        )
    try:
        return _MODELS[kind].model_validate(item)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "extra_forbidden" and first["loc"][-1] in _OPENADR_31_FIELDS:
            loc = where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
            raise ScenarioError(
                file, loc, f"is an OpenADR 3.1 field; this reader follows OpenADR {OPENADR_VERSION}"
            ) from None
        raise validation_error(
            exc, file, where, ("Point", "EventPayloadDescriptor", "ReportPayloadDescriptor")
        ) from None


def _event_entries(
    event: Event,
    descriptors: dict[str, EventPayloadDescriptor],
    where: str,
    file: str,
    entries: dict[str, list[tuple[pd.Timestamp, pd.Timedelta, float]]],
    currencies: set[str],
) -> None:
    """Add the event's payloads to ``entries``: field -> (start, duration, value)."""
    exponents: dict[str, int] = {}
    for i, (start, length) in enumerate(_interval_spans(event, where, file)):
        for j, payload in enumerate(event.intervals[i].payloads):
            at = f"{where}.intervals[{i}].payloads[{j}]"
            spec = _TYPES.get(payload.type)
            if spec is None:
                raise ScenarioError(
                    file,
                    at,
                    f"payload type {_short(payload.type)} is not read (read: {', '.join(_TYPES)})",
                )
            if payload.type not in exponents:
                exponents[payload.type] = _exponent(
                    spec, descriptors.get(payload.type), where, file, currencies
                )
            value = payload.values[0] if len(payload.values) == 1 else None
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ScenarioError(
                    file,
                    f"{at} ({payload.type})",
                    f"needs exactly one number per interval at {iso(start)} "
                    "(multi-valued payloads are not read)",
                )
            converted = float(shift(np.array([value]), exponents[payload.type])[0])
            entries.setdefault(spec.name, []).append((start, length, converted))


def _exponent(
    spec: ExchangeField,
    descriptor: EventPayloadDescriptor | None,
    where: str,
    file: str,
    currencies: set[str],
) -> int:
    """Power of ten from the payload's units (its descriptor) to the canonical unit."""
    units = None if descriptor is None else descriptor.units
    accepted = UNITS[spec.quantity]
    if units not in accepted:
        known = ", ".join(str(u) for u in accepted if u is not None)
        problem = (
            "has no payloadDescriptor with units"
            if units is None
            else f"unknown units {_short(units)}"
        )
        raise ScenarioError(
            file, f"{where}.payloadDescriptors ({spec.openadr})", f"{problem} (accepted: {known})"
        )
    if spec.quantity == "price":
        if descriptor.currency is None:
            raise ScenarioError(
                file, f"{where}.payloadDescriptors ({spec.openadr})", "a price needs a currency"
            )
        currencies.add(descriptor.currency)
    return accepted[units]


def _interval_spans(event: Event, where: str, file: str) -> list[tuple[pd.Timestamp, pd.Timedelta]]:
    """Start and duration of each interval (UTC).

    An interval's own intervalPeriod overrides the event's; an interval without one
    starts where the previous interval ended (the first at the event's start).
    Randomized, relative ('do it now') and zero-length periods are refused.
    """
    spans: list[tuple[pd.Timestamp, pd.Timedelta]] = []
    lengths: dict[str, pd.Timedelta] = {}  # by duration text: intervals mostly share one
    default = event.intervalPeriod
    for i, interval in enumerate(event.intervals):
        own = interval.intervalPeriod
        path = f"{where}.intervals[{i}].intervalPeriod" if own else f"{where}.intervalPeriod"
        period = own or default
        if period is None:
            raise ScenarioError(file, path, "missing: neither the interval nor the event has one")
        if period.randomizeStart not in (None, "PT0S"):
            raise ScenarioError(file, f"{path}.randomizeStart", "randomized starts are not read")
        if own is None and spans:
            start = span_end(*spans[-1], file, f"{where}.intervals[{i - 1}]")
        elif period.start.startswith("0001-01-01"):
            raise ScenarioError(file, f"{path}.start", "relative ('do it now') starts are not read")
        else:
            start = parse_time(period.start, file, f"{path}.start")
        duration = period.duration or (default.duration if default else None)
        if duration is None:
            raise ScenarioError(file, f"{path}.duration", "missing (PT0S is not read)")
        if duration not in lengths:
            lengths[duration] = parse_duration(duration, file, f"{path}.duration")
        length = lengths[duration]
        span_end(start, length, file, f"{path}.duration")
        spans.append((start, length))
    return spans


def _contiguous(
    name: str, found: list[tuple[pd.Timestamp, pd.Timedelta, float]], file: str
) -> SignalSeries:
    """The intervals of one payload type as a regular series: one duration, no gaps."""
    found = sorted(found, key=lambda entry: entry[0])
    steps = {length for _, length, _ in found}
    kind = SIGNAL_FIELDS[name].openadr
    if len(steps) > 1:
        listed = ", ".join(format_duration(s) for s in sorted(steps))
        raise ScenarioError(file, kind, f"intervals of different durations ({listed}) are not read")
    times = pd.DatetimeIndex([start for start, _, _ in found])
    values = np.array([value for _, _, value in found])
    return signal_series(file, name, times, steps.pop(), values, 0, f"{kind} intervals", kind)


def write_openadr(table: ExchangeTable, path: Path) -> None:
    """Write an exchange table as a JSON array of OpenADR 3.0.1 objects.

    The signals become one event (one interval per step), demand-response calls a
    second event (one interval per call), the plan and its envelope a report (one
    interval per step) and the key figures a report with one interval spanning the
    table. Values are written in the enumerated units ``KWH``, ``KW``, ``GHG`` and
    ``PERCENT``.
    """
    site, study = table.attrs["site"], table.attrs["study"]
    program = table.attrs.get("program", f"dispatch-{study}")
    event_id = f"{site}-signals"
    signals = [name for name in table.fields if name in SIGNAL_FIELDS]
    objects: list[_Object] = [
        Event(
            id=event_id,
            objectType="EVENT",
            programID=program,
            eventName=f"signals for {site}",
            payloadDescriptors=[_event_descriptor(name, table.currency) for name in signals],
            intervalPeriod=_period(table.start, table.step),
            intervals=_intervals(
                {SIGNAL_FIELDS[n].openadr: _written(n, table.fields[n]) for n in signals}
            ),
        )
    ]
    calls = [cap for cap in table.caps if cap.field == "import_limit"]
    if calls:
        objects.append(
            Event(
                id=f"{site}-calls",
                objectType="EVENT",
                programID=program,
                eventName=f"demand-response calls for {site}",
                payloadDescriptors=[_event_descriptor("import_limit", table.currency)],
                intervals=[
                    Interval(
                        id=i,
                        intervalPeriod=_period(cap.start, cap.end - cap.start),
                        payloads=[
                            ValuesMap(
                                type="IMPORT_CAPACITY_LIMIT",
                                values=[float(_written("import_limit", np.array([cap.value]))[0])],
                            )
                        ],
                    )
                    for i, cap in enumerate(calls)
                ],
            )
        )
    if any(name in PLAN_FIELDS for name in table.fields):
        objects += _plan_reports(table, program, event_id)
    text = json.dumps([o.model_dump(exclude_none=True) for o in objects], indent=1) + "\n"
    write_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def _period(start: pd.Timestamp, duration: pd.Timedelta) -> IntervalPeriod:
    return IntervalPeriod(start=iso(start), duration=format_duration(duration))


def _written(name: str, values: np.ndarray) -> np.ndarray:
    """Signal values in the enumerated unit they are written in."""
    quantity = SIGNAL_FIELDS[name].quantity
    return shift(values, -UNITS[quantity][WRITTEN_UNITS[quantity]])


def _event_descriptor(name: str, currency: str) -> EventPayloadDescriptor:
    spec = SIGNAL_FIELDS[name]
    return EventPayloadDescriptor(
        objectType="EVENT_PAYLOAD_DESCRIPTOR",
        payloadType=spec.openadr,
        units=WRITTEN_UNITS[spec.quantity],
        currency=currency if spec.quantity == "price" else None,
    )


def _intervals(columns: dict[str, np.ndarray]) -> list[Interval]:
    """One interval per step, following on from the default intervalPeriod."""
    length = len(next(iter(columns.values())))
    return [
        Interval(
            id=i,
            payloads=[ValuesMap(type=kind, values=[float(v[i])]) for kind, v in columns.items()],
        )
        for i in range(length)
    ]


def _plan_reports(table: ExchangeTable, program: str, event_id: str) -> list[Report]:
    """The plan and envelope per step, and the key figures over the whole table."""
    site, study = table.attrs["site"], table.attrs["study"]
    step_h = table.step / pd.Timedelta(hours=1)
    columns = {}
    for name, values in table.fields.items():
        if name in PLAN_FIELDS:
            kind = PLAN_FIELDS[name].openadr
            energy = REPORT_UNITS[kind] == "KWH"
            columns[kind] = shift(values * step_h if energy else values, 3)
    plan = Report(
        objectType="REPORT",
        programID=program,
        eventID=event_id,
        clientName=site,
        reportName=f"plan of {site} in study {study}",
        payloadDescriptors=[
            ReportPayloadDescriptor(
                objectType="REPORT_PAYLOAD_DESCRIPTOR",
                payloadType=kind,
                readingType="FORECAST",
                units=REPORT_UNITS[kind],
            )
            for kind in columns
        ],
        resources=[
            ReportResource(
                resourceName=site,
                intervalPeriod=_period(table.start, table.step),
                intervals=_intervals(columns),
            )
        ],
    )
    span = table.step * len(next(iter(columns.values())))
    figures = Report(
        objectType="REPORT",
        programID=program,
        eventID=event_id,
        clientName=site,
        reportName=f"key figures of {site} in study {study}",
        payloadDescriptors=[
            ReportPayloadDescriptor(
                objectType="REPORT_PAYLOAD_DESCRIPTOR", payloadType=name.upper(), units=units
            )
            for name, (_, units) in table.key_figures.items()
        ],
        resources=[
            ReportResource(
                resourceName=site,
                intervalPeriod=_period(table.start, span),
                intervals=[
                    Interval(
                        id=0,
                        payloads=[
                            ValuesMap(type=name.upper(), values=[value])
                            for name, (value, _) in table.key_figures.items()
                        ],
                    )
                ],
            )
        ],
    )
    return [plan, figures]
