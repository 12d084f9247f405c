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
from dispatch.core.times import format_duration, iso
from dispatch.core.units import decimal_shift
from dispatch.exchange.fields import (
    DELIVERED_OPENADR,
    ISSUED_PLAN_FIELDS,
    PLAN_FIELDS,
    SIGNAL_FIELDS,
    ExchangeTable,
)
from dispatch.exchange.issued_plans import IssuedPlans
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

FIGURES_REPORT = "key figures of "
"""Start of the ``reportName`` of the key-figures report, the last object of every plan
file written here; a partner's signals (events) have none, so an export never
replaces them."""


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
    return decimal_shift(values, -UNITS[quantity][WRITTEN_UNITS[quantity]])


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
    columns = {
        PLAN_FIELDS[name].openadr: _report_values(PLAN_FIELDS[name].openadr, values, table.step)
        for name, values in table.fields.items()
        if name in PLAN_FIELDS
    }
    plan = _series_report(
        columns,
        "FORECAST",
        f"plan of {site} in study {study}",
        (program, event_id, site),
        table.start,
        table.step,
    )
    span = table.step * len(next(iter(columns.values())))
    figures = _figures_report(table.key_figures, program, event_id, site, study, table.start, span)
    return [plan, figures]


def _figures_report(
    key_figures: dict[str, tuple[float, str]],
    program: str,
    event_id: str,
    site: str,
    study: str,
    start: pd.Timestamp,
    span: pd.Timedelta,
) -> Report:
    """Key figures as a report with one interval spanning [start, start + span)."""
    return Report(
        objectType="REPORT",
        programID=program,
        eventID=event_id,
        clientName=site,
        reportName=f"{FIGURES_REPORT}{site} in study {study}",
        payloadDescriptors=[
            ReportPayloadDescriptor(
                objectType="REPORT_PAYLOAD_DESCRIPTOR", payloadType=name.upper(), units=units
            )
            for name, (_, units) in key_figures.items()
        ],
        resources=[
            ReportResource(
                resourceName=site,
                intervalPeriod=_period(start, span),
                intervals=[
                    Interval(
                        id=0,
                        payloads=[
                            ValuesMap(type=name.upper(), values=[value])
                            for name, (value, _) in key_figures.items()
                        ],
                    )
                ],
            )
        ],
    )


def write_issued_openadr(plans: IssuedPlans, path: Path) -> None:
    """Write an operation's plans as a JSON array of OpenADR 3.0.1 reports.

    One report per decision time holds the plan issued then (readingType
    ``FORECAST``, one interval per step of the plan within the horizon, each with a
    private ``COMMITTED`` payload, true for the committed steps); a report of what was
    delivered (readingType ``DIRECT_READ``, one interval per step of the horizon) and
    one of the realised key figures follow.
    """
    site, study = plans.site, plans.study
    sender = (f"dispatch-{study}", f"{site}-operation", site)
    inside, committed = plans.within_horizon, plans.committed
    objects = []
    for k, issued in enumerate(plans.issue_times):
        steps = int(inside[k].sum())
        columns = {
            spec.openadr: _report_values(spec.openadr, plans.planned[name][k, :steps], plans.step)
            for name, spec in ISSUED_PLAN_FIELDS.items()
        }
        name = f"plan of {site} in study {study} issued at {iso(issued)}"
        objects.append(
            _series_report(
                columns, "FORECAST", name, sender, issued, plans.step, committed[k, :steps]
            )
        )
    columns = {
        DELIVERED_OPENADR[name]: _report_values(DELIVERED_OPENADR[name], values, plans.step)
        for name, values in plans.delivered.items()
    }
    name = f"delivered by {site} in study {study}"
    objects.append(_series_report(columns, "DIRECT_READ", name, sender, plans.times[0], plans.step))
    span = plans.step * len(plans.times)
    objects.append(
        _figures_report(plans.key_figures, *sender[:2], site, study, plans.times[0], span)
    )
    text = json.dumps([o.model_dump(exclude_none=True) for o in objects], indent=1) + "\n"
    write_file_atomic(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def _report_values(kind: str, values: np.ndarray, step: pd.Timedelta) -> np.ndarray:
    """Values [MW] in the unit of a report payload: kWh per interval or kW."""
    energy = REPORT_UNITS[kind] == "KWH"
    return decimal_shift(values * (step / pd.Timedelta(hours=1)) if energy else values, 3)


def _series_report(
    columns: dict[str, np.ndarray],
    reading: str,
    name: str,
    sender: tuple[str, str, str],
    start: pd.Timestamp,
    step: pd.Timedelta,
    committed: np.ndarray | None = None,
) -> Report:
    """A report of one interval per step from ``start`` with payloads by type, and a
    private ``COMMITTED`` flag per interval if ``committed`` is given; ``sender`` is
    the program ID, event ID and client name."""
    descriptors = [
        ReportPayloadDescriptor(
            objectType="REPORT_PAYLOAD_DESCRIPTOR",
            payloadType=kind,
            readingType=reading,
            units=REPORT_UNITS[kind],
        )
        for kind in columns
    ]
    intervals = _intervals(columns)
    if committed is not None:
        descriptors.append(
            ReportPayloadDescriptor(objectType="REPORT_PAYLOAD_DESCRIPTOR", payloadType=COMMITTED)
        )
        intervals = [
            Interval(
                id=i,
                payloads=[
                    *interval.payloads,
                    ValuesMap(type=COMMITTED, values=[bool(committed[i])]),
                ],
            )
            for i, interval in enumerate(intervals)
        ]
    program, event_id, site = sender
    return Report(
        objectType="REPORT",
        programID=program,
        eventID=event_id,
        clientName=site,
        reportName=name,
        payloadDescriptors=descriptors,
        resources=[
            ReportResource(
                resourceName=site, intervalPeriod=_period(start, step), intervals=intervals
            )
        ],
    )


COMMITTED = "COMMITTED"
"""Private report payload type: whether a step of an issued plan was committed."""
