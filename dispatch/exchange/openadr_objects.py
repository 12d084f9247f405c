"""OpenADR 3.0.1 objects as pydantic models, and the payload units read and written.

The models follow the schemas of the OpenADR 3.0.1 OpenAPI specification
(``openadr3.yaml``, ``info.version: "3.0.1"``): ``program``, ``event``, ``report``,
``interval``, ``intervalPeriod``, ``valuesMap``, ``point``, ``eventPayloadDescriptor``,
``reportPayloadDescriptor`` and ``reportDescriptor``, with their field names and
constraints. The schemas do not forbid other properties (vendor extensions, newer
fields): the models keep them as extras, which the reader names in a warning and
otherwise ignores. Payload types and units are the enumerations of the OpenADR 3
Definitions where one exists; the rest are private strings (docs/exchange.md). Reading
is :mod:`dispatch.exchange.openadr_reader`, writing :mod:`dispatch.exchange.openadr_writer`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
)
from pydantic_core import PydanticCustomError

OPENADR_VERSION = "3.0.1"
"""The OpenADR version read and written."""

_DURATION = re.compile(
    r"^(-?)P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)([DW]))?"
    r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
"""The 3.0.1 schema's ``duration`` pattern, verbatim: the text a document may hold.
Lengths are read by :func:`dispatch.core.times.parse_duration`."""


def _schema_duration(text: str) -> str:
    """``text`` if the 3.0.1 schema allows it as a duration."""
    if _DURATION.match(text) is None:
        raise PydanticCustomError(
            "duration", "not an ISO 8601 duration as OpenADR 3.0.1 writes it, such as PT1H"
        )
    return text


ObjectID = Annotated[
    str, StringConstraints(pattern=r"^[a-zA-Z0-9_-]*$", min_length=1, max_length=128)
]
Name = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Duration = Annotated[str, AfterValidator(_schema_duration)]

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
    "FACILITY_DEMAND_FORECAST": "KW",
    "CURTAILMENT_FORECAST": "KW",
    "USAGE": "KWH",
    "EXPORT": "KWH",
    "FACILITY_DEMAND": "KW",
    "CURTAILMENT": "KW",
}
"""Units of the plan's report payloads (and of an operation's delivered values): energy
per interval, or power."""


class _Object(BaseModel):
    # The 3.0.1 schemas allow properties they do not list; they land in model_extra.
    model_config = ConfigDict(extra="allow", frozen=True)


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


def _descriptor_kind(item: Any) -> str:
    """``event`` or ``report``: which descriptor a program's entry is. Its optional
    ``objectType`` decides, else a field only report descriptors have; with extra
    properties allowed, the union could not tell them apart by itself."""
    fields = item if isinstance(item, dict) else vars(item)
    kind = fields.get("objectType")
    if kind == "REPORT_PAYLOAD_DESCRIPTOR" or (
        kind is None and not {"readingType", "accuracy", "confidence"}.isdisjoint(fields)
    ):
        return "report"
    return "event"


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
    payloadDescriptors: (
        list[
            Annotated[
                Annotated[EventPayloadDescriptor, Tag("event")]
                | Annotated[ReportPayloadDescriptor, Tag("report")],
                Discriminator(_descriptor_kind),
            ]
        ]
        | None
    ) = None
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


MODELS: dict[str, type[Program | Event | Report]] = {
    "PROGRAM": Program,
    "EVENT": Event,
    "REPORT": Report,
}
"""The objects read, by ``objectType``."""
