"""Reading OpenADR 3.0.1 documents: partner events as signals.

A file holds one OpenADR object or a JSON array of them (as ``GET /events`` returns).
Events give signals; programs give default payload descriptors; reports are checked
against the schema and otherwise skipped, and a file of reports alone is refused.
Properties the 3.0.1 schemas do not list are ignored and named in a warning (the
logger of this module; without logging configured, one line on stderr). OpenADR 3.1's
object types and the 3.1 event ``duration``, which changes what the intervals mean,
are refused as such; OpenADR 2.0b is XML and is recognised as such.
"""

from __future__ import annotations

import functools
import logging
import re
import typing
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pydantic

from dispatch.core.errors import ScenarioError
from dispatch.core.times import (
    format_duration,
    iso,
    parse_duration,
    parse_time,
    span_end,
    utc_times,
)
from dispatch.core.units import decimal_shift
from dispatch.core.untrusted_input import (
    MAX_STEPS,
    load_json,
    read_bytes,
    short_repr,
    validation_error,
)
from dispatch.exchange.fields import SIGNAL_FIELDS, Cap, ExchangeField, Signals, SignalSeries
from dispatch.exchange.openadr_objects import (
    MODELS,
    OPENADR_VERSION,
    UNITS,
    Event,
    EventPayloadDescriptor,
    IntervalPeriod,
    Program,
    Report,
)
from dispatch.exchange.signal_checks import check_values, signal_series

_log = logging.getLogger(__name__)

# Properties OpenADR 3.1 added where 3.0.1 has none (3.1.0 openadr3.yaml): program
# attributes and report clientID are named as 3.1 in the warning; event.duration repeats
# or cuts the intervals and is refused.
_OPENADR_31_FIELDS = re.compile(r"\[\d+\]\.(attributes|clientID)")
_OPENADR_31_TYPES = (
    "BL_VEN_REQUEST",
    "VEN_VEN_REQUEST",
    "BL_RESOURCE_REQUEST",
    "VEN_RESOURCE_REQUEST",
)
SITE_TARGETS = ("VEN_NAME", "RESOURCE_NAME")
"""Target types (OpenADR 3 Definitions) whose values name the site an event is for."""
_NOW = "0001-01-01"
"""The start OpenADR writes for 'now' or 'right after the previous interval'."""
_SHOWN = 8
"""Most ignored properties a warning names."""

_TYPES = {f.openadr: f for f in SIGNAL_FIELDS.values()}


class _Intervals:
    """Intervals of one payload type, in the order found: starts [ns since 1970, UTC],
    durations [ns] and values, kept in arrays, so that a million sub-intervals cost
    no Python object each."""

    def __init__(self) -> None:
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._single: tuple[list[int], list[int], list[float]] = ([], [], [])
        self.count = 0

    def add(self, start: pd.Timestamp, step: pd.Timedelta, values: list[float]) -> None:
        """``values`` in sub-intervals of ``step`` from ``start``."""
        first, length = start.as_unit("ns").value, step.as_unit("ns").value
        if len(values) == 1:  # most intervals: no arrays of one
            for column, item in zip(self._single, (first, length, values[0]), strict=True):
                column.append(item)
            self.count += 1
            return
        starts = first + length * np.arange(len(values), dtype=np.int64)
        self.extend(starts, np.full(len(values), length, dtype=np.int64), np.array(values, float))

    def extend(self, starts: np.ndarray, lengths: np.ndarray, values: np.ndarray) -> None:
        """Intervals given as arrays, as :meth:`arrays` returns them."""
        self._flush()
        self._parts.append((starts, lengths, values))
        self.count += len(values)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Starts [ns since 1970, UTC], durations [ns] and values, in the order found."""
        self._flush()
        starts, lengths, values = zip(*self._parts, strict=True)
        return np.concatenate(starts), np.concatenate(lengths), np.concatenate(values)

    def _flush(self) -> None:
        if self._single[0]:
            starts, lengths, values = self._single
            self._parts.append((np.array(starts), np.array(lengths), np.array(values, float)))
            self._single = ([], [], [])


Entries = dict[str, _Intervals]


def read_openadr(path: Path, file: str) -> Signals:
    """Signals of an OpenADR 3.0.1 JSON document (an object or an array of objects).

    Parameters
    ----------
    path
        The document.
    file
        Its name in messages.

    Returns
    -------
    Signals
        The events' signals in canonical units; ``site`` is the site the events'
        ``VEN_NAME`` or ``RESOURCE_NAME`` targets name, if any.

    Raises
    ------
    ScenarioError
        One line naming the file, the object's field and what is wrong; a document
        without events (e.g. reports only) is refused, as it carries no signals.
    """
    objects = read_openadr_objects(path, file)
    events = [(i, o) for i, o in enumerate(objects) if isinstance(o, Event)]
    if not events:
        held = ", ".join(sorted({type(o).__name__.lower() for o in objects})) or "nothing"
        raise ScenarioError(
            file, "", f"holds no event ({held}): an OpenADR file of signals needs events"
        )
    descriptors: dict[str | None, dict[str, EventPayloadDescriptor]] = {}
    for i, program in enumerate(objects):
        if not isinstance(program, Program):
            continue
        if program.id is not None and program.id in descriptors:
            raise ScenarioError(
                file, f"[{i}].id", f"program {program.id!r} appears twice: give each program once"
            )
        descriptors[program.id] = _descriptors(program, f"[{i}]", file)
    entries: Entries = {}
    currencies: set[str] = set()
    randomized: list[str] = []
    for i, event in events:
        own = _descriptors(event, f"[{i}]", file)
        described = {**descriptors.get(event.programID, {}), **own}
        program = "in the file" if event.programID in descriptors else "not in the file"
        context = f"the event nor its program {event.programID!r} ({program})"
        spans = _interval_spans(event, f"[{i}]", file, randomized)
        _event_entries(event, spans, described, context, f"[{i}]", file, entries, currencies)
    if randomized:
        _log.warning(
            "%s: randomizeStart read as no shift (the VEN's random shift of a start is not "
            "planned for): %s",
            file,
            ", ".join(randomized[:_SHOWN])
            + (f", and {len(randomized) - _SHOWN} more" if len(randomized) > _SHOWN else ""),
        )
    if not entries:
        raise ScenarioError(file, "", "its events have no intervals: no signals to import")
    if len(currencies) > 1:
        raise ScenarioError(file, "currency", f"prices in several currencies: {sorted(currencies)}")
    series: dict[str, SignalSeries] = {}
    caps: list[Cap] = []
    for name, found in entries.items():
        if SIGNAL_FIELDS[name].combine == "cap":
            caps += _caps(name, found, file)
        else:
            series[name] = _contiguous(name, found, file)
    site = _target_site(events, file)
    return Signals(file, series, tuple(caps), next(iter(currencies), None), site)


def read_openadr_objects(path: Path, file: str) -> list[Program | Event | Report]:
    """The objects of an OpenADR 3.0.1 JSON document, each checked against its schema.

    Properties the schemas do not list are kept as extras, named in one warning.
    """
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
    found: list[str] = []
    for i, item in enumerate(objects):
        _extras(item, f"[{i}]", found)
    extras: dict[str, tuple[str, int]] = {}  # by path without indices: first path, count
    for where in found:
        shape = re.sub(r"\[\d+\]", "[]", where)
        first, count = extras.get(shape, (where, 0))
        extras[shape] = (first, count + 1)
    if extras:
        named = [
            first
            + (" (OpenADR 3.1)" if _OPENADR_31_FIELDS.fullmatch(first) else "")
            + (f" and {count - 1} more like it" if count > 1 else "")
            for first, count in extras.values()
        ]
        more = f", and {len(named) - _SHOWN} more" if len(named) > _SHOWN else ""
        _log.warning(
            "%s: ignored properties OpenADR %s does not list: %s%s",
            file,
            OPENADR_VERSION,
            ", ".join(named[:_SHOWN]),
            more,
        )
    return objects


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
    if kind == "EVENT" and "duration" in item:
        raise ScenarioError(
            file,
            f"{where}.duration",
            "is an OpenADR 3.1 field (it repeats or cuts the intervals); this reader "
            f"follows OpenADR {OPENADR_VERSION}",
        )
    targets = item.get("targets")
    if isinstance(targets, list) and any(isinstance(t, str) for t in targets):
        raise ScenarioError(
            file,
            f"{where}.targets",
            f"targets as strings are OpenADR 3.1; {OPENADR_VERSION} targets are "
            '{"type": ..., "values": [...]} objects',
        )
    try:
        return MODELS[kind].model_validate(item)
    except pydantic.ValidationError as exc:
        raise validation_error(
            exc,
            file,
            where,
            ("Point", "EventPayloadDescriptor", "ReportPayloadDescriptor", "event", "report"),
        ) from None


def _extras(model: pydantic.BaseModel, where: str, found: list[str]) -> None:
    """Add to ``found`` the paths of the properties of ``model`` and of the objects it
    holds that no schema lists."""
    if model.__pydantic_extra__:
        found += [f"{where}.{key}" for key in model.__pydantic_extra__]
    for name in _nested_fields(type(model)):
        value = getattr(model, name)
        if isinstance(value, pydantic.BaseModel):
            _extras(value, f"{where}.{name}", found)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, pydantic.BaseModel):
                    _extras(item, f"{where}.{name}[{i}]", found)


@functools.cache
def _nested_fields(model: type[pydantic.BaseModel]) -> tuple[str, ...]:
    """The fields of ``model`` that may hold objects."""
    return tuple(
        name for name, field in model.model_fields.items() if _holds_object(field.annotation)
    )


def _holds_object(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return True
    return any(_holds_object(arg) for arg in typing.get_args(annotation))


def _descriptors(
    owner: Program | Event, where: str, file: str
) -> dict[str, EventPayloadDescriptor]:
    """The event payload descriptors of a program or an event by payload type; a type
    described twice is refused (its units would be ambiguous)."""
    described: dict[str, EventPayloadDescriptor] = {}
    for j, descriptor in enumerate(owner.payloadDescriptors or []):
        if not isinstance(descriptor, EventPayloadDescriptor):
            continue
        if descriptor.payloadType in described:
            raise ScenarioError(
                file,
                f"{where}.payloadDescriptors[{j}]",
                f"describes {short_repr(descriptor.payloadType)} a second time: give one "
                "descriptor per payload type",
            )
        described[descriptor.payloadType] = descriptor
    return described


def _target_site(events: list[tuple[int, Event]], file: str) -> str | None:
    """The one site the events' ``VEN_NAME``/``RESOURCE_NAME`` targets name, if any.

    Other target types (groups, service areas, locations, private ones) cannot be
    matched to a site: the VTN chose to send the events to this VEN, so they are read
    for the site imported into, and named in a warning.
    """
    named: dict[str, str] = {}  # name -> first path naming it
    other: dict[str, str] = {}  # target type -> first path
    for i, event in events:
        for j, target in enumerate(event.targets or []):
            at = f"[{i}].targets[{j}]"
            if target.type not in SITE_TARGETS:
                other.setdefault(target.type, at)
                continue
            for k, value in enumerate(target.values):
                if not isinstance(value, str):
                    raise ScenarioError(
                        file, f"{at}.values[{k}]", f"{short_repr(value)} is not a {target.type}"
                    )
                named.setdefault(value, at)
    if other:
        _log.warning(
            "%s: targets not matched to a site, read as meant for it: %s",
            file,
            ", ".join(f"{kind} ({at})" for kind, at in other.items()),
        )
    if len(named) > 1:
        listed = ", ".join(sorted(named))
        raise ScenarioError(
            file,
            list(named.values())[1],  # where a second name appears
            f"the events target several sites or resources ({listed}); a file is read for "
            "one site: import a file of one VEN's events",
        )
    return next(iter(named), None)


def _event_entries(
    event: Event,
    spans: list[tuple[pd.Timestamp, pd.Timedelta]],
    descriptors: dict[str, EventPayloadDescriptor],
    context: str,
    where: str,
    file: str,
    entries: Entries,
    currencies: set[str],
) -> None:
    """Add the event's payloads to ``entries``: field -> (start, duration, value).

    A payload of several values divides its interval into as many equal sub-intervals
    (OpenADR 3.1.1 User Guide, 7.3 "multi-valued payloads").
    """
    exponents: dict[str, int] = {}
    raw: Entries = {}  # this event's, in the payload's units
    for i, (interval, (start, length)) in enumerate(zip(event.intervals, spans, strict=True)):
        for j, payload in enumerate(interval.payloads):
            at = f"{where}.intervals[{i}].payloads[{j}]"
            spec = _TYPES.get(payload.type)
            if spec is None:
                read = ", ".join(_TYPES)
                raise ScenarioError(
                    file, at, f"payload type {short_repr(payload.type)} is not read (read: {read})"
                )
            if payload.type not in exponents:
                exponents[payload.type] = _exponent(
                    spec, descriptors.get(payload.type), context, where, file, currencies
                )
            values = _numbers(payload.values, start, f"{at} ({payload.type})", file)
            found = raw.setdefault(payload.type, _Intervals())
            earlier = entries[spec.name].count if spec.name in entries else 0
            # Counted over the file, sub-intervals included, before any is built.
            if earlier + found.count + len(values) > MAX_STEPS:
                raise ScenarioError(
                    file, at, f"{payload.type} has more than {MAX_STEPS} intervals in the file"
                )
            found.add(
                start, _sub_interval(length, len(values), f"{at} ({payload.type})", file), values
            )
    for kind, found in raw.items():
        starts, lengths, values = found.arrays()
        converted = decimal_shift(values, exponents[kind])
        entries.setdefault(_TYPES[kind].name, _Intervals()).extend(starts, lengths, converted)


def _numbers(values: list[Any], start: pd.Timestamp, at: str, file: str) -> list[float]:
    """The payload's values: one or more numbers."""
    if not values or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    ):
        raise ScenarioError(file, at, f"needs one or more numbers for the interval at {iso(start)}")
    return values


def _sub_interval(length: pd.Timedelta, count: int, at: str, file: str) -> pd.Timedelta:
    """The length of each of ``count`` equal sub-intervals of an interval, in whole seconds."""
    if count == 1:
        return length
    step = length / count
    if length % count or step % pd.Timedelta(seconds=1):
        raise ScenarioError(
            file,
            at,
            f"{count} values do not divide the interval of {format_duration(length)} into "
            "equal sub-intervals of whole seconds",
        )
    return step


def _exponent(
    spec: ExchangeField,
    descriptor: EventPayloadDescriptor | None,
    context: str,
    where: str,
    file: str,
    currencies: set[str],
) -> int:
    """Power of ten from the payload's units (its descriptor) to the canonical unit.

    Without units, the unit the Definitions give the payload type applies (GHG in
    g/kWh; a clean share as a fraction); types without one are refused.
    """
    units = None if descriptor is None else descriptor.units
    accepted = UNITS[spec.quantity]
    field = f"{where}.payloadDescriptors ({spec.openadr})"
    known = ", ".join(str(u) for u in accepted if u is not None)
    if units not in accepted:
        if units is not None:
            raise ScenarioError(
                file, field, f"unknown units {short_repr(units)} (accepted: {known})"
            )
        problem = (
            "has no units"
            if descriptor is not None
            else f"missing: neither {context} describes {spec.openadr}"
        )
        raise ScenarioError(
            file,
            field,
            f"{problem}, and OpenADR 3 gives {spec.openadr} no default unit (accepted: {known})",
        )
    if spec.quantity == "price":
        if descriptor is None or descriptor.currency is None:
            raise ScenarioError(file, field, "a price needs a currency")
        currencies.add(descriptor.currency)
    return accepted[units]


def _interval_spans(
    event: Event, where: str, file: str, randomized: list[str]
) -> list[tuple[pd.Timestamp, pd.Timedelta]]:
    """Start and duration of each interval (UTC).

    An interval's own intervalPeriod overrides the event's; an interval without one,
    or whose start is ``0001-01-01``, starts where the previous interval ended (the
    first at the event's start). A 'do it now' event (no absolute start) and
    zero-length periods are refused; a randomized start is read as unshifted (its
    path goes to ``randomized``).
    """
    spans: list[tuple[pd.Timestamp, pd.Timedelta]] = []
    lengths: dict[str, pd.Timedelta] = {}  # by duration text: intervals mostly share one
    default = event.intervalPeriod
    if default is not None:
        _note_randomized(default, f"{where}.intervalPeriod", file, randomized)
    for i, interval in enumerate(event.intervals):
        own = interval.intervalPeriod
        path = f"{where}.intervals[{i}].intervalPeriod" if own else f"{where}.intervalPeriod"
        period = own or default
        if period is None:
            raise ScenarioError(file, path, "missing: neither the interval nor the event has one")
        if own is not None:
            _note_randomized(own, path, file, randomized)
        start = _start(interval.intervalPeriod, default, spans, path, file)
        duration = period.duration or (default.duration if default else None)
        if duration is None:
            raise ScenarioError(file, f"{path}.duration", "missing (PT0S is not read)")
        if duration not in lengths:
            lengths[duration] = parse_duration(duration, file, f"{path}.duration")
        length = lengths[duration]
        span_end(start, length, file, f"{path}.duration")
        spans.append((start, length))
    return spans


def _start(
    own: IntervalPeriod | None,
    default: IntervalPeriod | None,
    spans: list[tuple[pd.Timestamp, pd.Timedelta]],
    path: str,
    file: str,
) -> pd.Timestamp:
    """Start of the interval after ``spans`` whose own period is ``own``: its own start,
    the end of the previous interval, or the event's start."""
    if spans and (own is None or own.start.startswith(_NOW)):
        return spans[-1][0] + spans[-1][1]  # its end was checked with it
    period = default if own is None or (own.start.startswith(_NOW) and default) else own
    if period.start.startswith(_NOW):
        raise ScenarioError(file, f"{path}.start", "relative ('do it now') starts are not read")
    return parse_time(period.start, file, f"{path}.start")


def _note_randomized(period: IntervalPeriod, path: str, file: str, randomized: list[str]) -> None:
    """Add ``path`` to ``randomized`` if ``period`` has a non-zero randomizeStart."""
    text = period.randomizeStart
    if text is None or re.search(r"[1-9]", text) is None:  # absent or zero
        return
    parse_duration(text.lstrip("-"), file, f"{path}.randomizeStart")
    randomized.append(f"{path}.randomizeStart {text}")


def _caps(name: str, found: _Intervals, file: str) -> list[Cap]:
    """The intervals of one capacity-limit type as caps, each over its own span; the
    limits are checked as a signal's values (finite, >= 0 [MW])."""
    starts, lengths, limits = found.arrays()
    times = utc_times(starts)
    check_values(limits, times, SIGNAL_FIELDS[name].check, file, SIGNAL_FIELDS[name].openadr)
    ends = utc_times(starts + lengths)
    return [
        Cap(name, start, end, limit)
        for start, end, limit in zip(times, ends, limits.tolist(), strict=True)
    ]


def _contiguous(name: str, found: _Intervals, file: str) -> SignalSeries:
    """The intervals of one payload type as a regular series: one duration, no gaps."""
    starts, lengths, values = found.arrays()
    order = np.argsort(starts, kind="stable")
    steps = [pd.Timedelta(int(length)) for length in np.unique(lengths)]
    kind = SIGNAL_FIELDS[name].openadr
    if len(steps) > 1:
        listed = ", ".join(format_duration(s) for s in steps)
        raise ScenarioError(file, kind, f"intervals of different durations ({listed}) are not read")
    times, values = utc_times(starts[order]), values[order]
    return signal_series(file, name, times, steps[0], values, f"{kind} intervals", kind)
