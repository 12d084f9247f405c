"""Writing OpenADR 3.0.1 documents: a site's signals as events, its plan as reports.

Every object written is built as a model of :mod:`dispatch.exchange.openadr_objects`,
so it is checked against the 3.0.1 schema (durations included) before it is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from dispatch.core.files import write_file_atomic
from dispatch.exchange.fields import PLAN_FIELDS, SIGNAL_FIELDS, ExchangeTable, shift
from dispatch.exchange.openadr_objects import (
    REPORT_UNITS,
    UNITS,
    WRITTEN_UNITS,
    Event,
    EventPayloadDescriptor,
    Interval,
    IntervalPeriod,
    Report,
    ReportPayloadDescriptor,
    ReportResource,
    ValuesMap,
)
from dispatch.exchange.times import format_duration, iso


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
    objects: list[Event | Report] = [
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
    write_file_atomic(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


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
