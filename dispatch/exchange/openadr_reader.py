"""Reading OpenADR 3.0.1 documents: partner events as signals.

A file holds one OpenADR object or a JSON array of them (as ``GET /events`` returns).
Events give signals; programs give default payload descriptors; reports are checked
against the schema and otherwise skipped. Fields that only OpenADR 3.1 has are named
as such, so that a 3.1 document fails with a clear line; OpenADR 2.0b is XML and is
recognised as such.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pydantic

from dispatch.core.errors import ScenarioError
from dispatch.core.times import format_duration, iso, parse_duration, parse_time, span_end
from dispatch.core.untrusted_input import load_json, read_bytes, short_repr, validation_error
from dispatch.exchange.fields import SIGNAL_FIELDS, Cap, ExchangeField, Signals, SignalSeries, shift
from dispatch.exchange.openadr_objects import (
    MODELS,
    OPENADR_VERSION,
    UNITS,
    Event,
    EventPayloadDescriptor,
    Program,
    Report,
)
from dispatch.exchange.signal_checks import signal_series

# Fields OpenADR 3.1 added where 3.0.1 has none (3.1.0 openadr3.yaml): event.duration,
# program.attributes, report.clientID; and 3.1's new object types.
_OPENADR_31_FIELDS = ("duration", "attributes", "clientID")
_OPENADR_31_TYPES = (
    "BL_VEN_REQUEST",
    "VEN_VEN_REQUEST",
    "BL_RESOURCE_REQUEST",
    "VEN_RESOURCE_REQUEST",
)

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


def _parse_object(item: Any, where: str, file: str) -> Program | Event | Report:
    if not isinstance(item, dict):
        raise ScenarioError(file, where, "expected an OpenADR object")
    kind = item.get("objectType")
    if kind is None:  # objectType is VTN-provisioned: infer the object from its fields
        kind = "REPORT" if "eventID" in item else "EVENT" if "intervals" in item else "PROGRAM"
    if not isinstance(kind, str):
        raise ScenarioError(
            file, f"{where}.objectType", f"is {short_repr(kind)}, expected a string"
        )
    if kind in _OPENADR_31_TYPES:
        raise ScenarioError(
            file,
            f"{where}.objectType",
            f"{kind} is OpenADR 3.1; this reader follows {OPENADR_VERSION}",
        )
    if kind not in MODELS:
        raise ScenarioError(
            file,
            f"{where}.objectType",
            f"{short_repr(kind)} is not read (programs, events and reports are)",
        )
    try:
        return MODELS[kind].model_validate(item)
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
                read = ", ".join(_TYPES)
                raise ScenarioError(
                    file, at, f"payload type {short_repr(payload.type)} is not read (read: {read})"
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
            else f"unknown units {short_repr(units)}"
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
