"""The number types of scenario fields: bounds, units and series, and the strict base model.

Every field of :mod:`~dispatch.scenario.schema` and :mod:`~dispatch.scenario.assets` is
typed with these, so that each number's bounds and unit are stated once.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

MAX_PERIODS = 1_000_000
"""Most snapshots of a study [-]."""
MAX_ROLLING_H = 24.0 * MAX_PERIODS
"""Longest lookahead or commit interval of an operation, as a scenario field or a
command line option; a plan never reaches beyond the horizon's end [h]."""
FIRST_START = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
"""Earliest first snapshot [-]."""
LAST_END = dt.datetime(2262, 4, 11, tzinfo=dt.UTC)
"""Latest end of the horizon: pandas' timestamps end on 2262-04-11 [-]."""
MAX_POWER_MW = 1e6
"""Largest power of a capacity, limit or power series: one terawatt [MW]."""
MAX_ENERGY_MWH = 1e9
"""Largest energy of a capacity, backlog or energy series [MWh]."""
MAX_PRICE = 1e12
"""Largest cost or price per unit, in any currency [currency/unit]."""
MAX_CO2_T_PER_MWH = 10.0
"""Largest carbon intensity (lignite emits about 1.2) [tCO2/MWh]."""
MAX_EMISSIONS_TCO2 = 1e12
"""Largest emission cap [tCO2]."""
MAX_DELAY_H = 8784.0
"""Longest delay of deferrable work: a leap year [h]."""
MAX_PUE = 10.0
"""Largest power usage effectiveness [-]."""
MAX_LATENCY_MS = 1e6
"""Largest latency [ms]."""
MAX_NAME = 64
"""Longest name of a study, site or grid region [characters]."""

SeriesRef = Annotated[
    str, StringConstraints(pattern=r"^[^:]+\.(csv|nc):[A-Za-z0-9_.\- ]+$", max_length=255)
]
Power = Annotated[float, Field(ge=0, le=MAX_POWER_MW)]
PositivePower = Annotated[float, Field(gt=0, le=MAX_POWER_MW)]
Energy = Annotated[float, Field(ge=0, le=MAX_ENERGY_MWH)]
Price = Annotated[float, Field(ge=0, le=MAX_PRICE)]
SignedPrice = Annotated[float, Field(ge=-MAX_PRICE, le=MAX_PRICE)]
Intensity = Annotated[float, Field(ge=0, le=MAX_CO2_T_PER_MWH)]
Milliseconds = Annotated[float, Field(ge=0, le=MAX_LATENCY_MS)]
SiteName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]+$", max_length=MAX_NAME)]
PerUnit = Annotated[float, Field(ge=0, le=1)]
Pue = Annotated[float, Field(ge=1, le=MAX_PUE)]

# A series is a constant of its number type, or "FILE:COLUMN" naming a time series in
# the study folder whose values must lie in the same bounds (series_bounds).
PerUnitSeries = PerUnit | SeriesRef
PowerSeries = Power | SeriesRef
EnergySeries = Energy | SeriesRef
PriceSeries = SignedPrice | SeriesRef
IntensitySeries = Intensity | SeriesRef
PueSeries = Pue | SeriesRef


class StrictModel(BaseModel):
    # strict: no "yes" or "20" read as a number (an int is still a number); no inf, no nan
    model_config = ConfigDict(
        extra="forbid",
        use_attribute_docstrings=True,
        frozen=True,
        strict=True,
        allow_inf_nan=False,
    )


def fail_field(field: str, value: object, problem: str, model: str = "Snapshots") -> None:
    """Raise the validation error ``problem`` of ``field`` of the ``model`` being
    validated."""
    error = PydanticCustomError("out_of_range", problem)
    details = InitErrorDetails(type=error, loc=(field,), input=value)
    raise ValidationError.from_exception_data(model, [details])
