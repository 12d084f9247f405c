"""Write the sample partner files of the solar-battery study (see README.md here).

Run ``python networks/solar-battery/partner/make_partner.py`` (paths are resolved
relative to this file). It reads the first week of ``../profiles.csv`` and writes the
same week of partner signals in the three exchange formats of docs/exchange.md:

- ``signals.nc``: hourly, UTC, canonical units, one demand-response call;
- ``signals.csv`` + ``signals.json``: 15-minute steps in local time (Europe/Madrid),
  prices in EUR/kWh, carbon in gCO2/kWh, clean share in %, power in kW;
- ``openadr-event.json``: OpenADR 3.0.1 events, hourly intervals, the call as a
  second event.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dispatch.core.untrusted_input import ColumnMetadata
from dispatch.exchange.csv_format import CallMetadata, CsvMetadata
from dispatch.exchange.fields import (
    SCHEMA,
    SCHEMA_VERSION,
    SIGNAL_FIELDS,
    Cap,
    ExchangeTable,
    shift,
)
from dispatch.exchange.netcdf_format import write_netcdf
from dispatch.exchange.openadr_writer import write_openadr

HERE = Path(__file__).resolve().parent
HOURS = 168
SURPLUS_MW = 30.0
"""Regional PV surplus signalled at full sun [MW]."""
SURPLUS_DISCOUNT = 20.0
"""Price cut in the hours with a surplus signal [EUR/MWh]."""
CALL = Cap(
    "import_limit", pd.Timestamp("2025-01-01T03:00Z"), pd.Timestamp("2025-01-01T06:00Z"), 25.0
)
"""Demand-response call: substation maintenance, import at most 25 MW for 3 h."""
QUARTER_SHAPE = np.array([3.0, 1.0, -1.0, -3.0])
"""Intra-hour price shape of the 15-minute prices, averaging to zero [EUR/MWh]."""
TIME_ZONE = "Europe/Madrid"


def partner_week() -> ExchangeTable:
    """The partner's hourly signals for the first week of the study."""
    profiles = pd.read_csv(HERE.parent / "profiles.csv", index_col="time", nrows=HOURS)
    surplus = np.round(SURPLUS_MW * np.clip(profiles["solar"].to_numpy() - 0.1, 0, None), 1)
    discount = np.where(surplus > 0, SURPLUS_DISCOUNT, 0.0)
    fields = {
        "import_price": profiles["import_price"].to_numpy() - discount,
        "export_price": profiles["export_price"].to_numpy() - discount,
        "carbon_intensity": profiles["carbon_intensity"].to_numpy(),
        "clean_share": profiles["clean_share"].to_numpy(),
        "import_limit": profiles["import_limit_mw"].to_numpy(dtype=float),
        "surplus": surplus,
    }
    return ExchangeTable(
        start=pd.Timestamp(profiles.index[0]).tz_convert("UTC"),
        step=pd.Timedelta(hours=1),
        fields={name: np.round(values, 4) for name, values in fields.items()},
        currency="EUR",
        attrs={
            "title": "Week-ahead signals of the distribution network operator for seville",
            "study": "solar-battery",
            "site": "seville",
            "program": "seville-flex-2025",
        },
        caps=(CALL,),
    )


def write_quarter_hour_csv(table: ExchangeTable) -> None:
    """The week in 15-minute steps and local time, in spreadsheet units."""
    quarters = pd.date_range(table.start, periods=4 * HOURS, freq="15min")
    units = {
        "import_price": ("EUR/kWh", -3),
        "export_price": ("EUR/kWh", -3),
        "carbon_intensity": ("gCO2/kWh", 3),
        "clean_share": ("%", 2),
        "import_limit": ("kW", 3),
        "surplus": ("kW", 3),
    }
    shape = np.tile(QUARTER_SHAPE, HOURS)
    columns = {}
    for name, (_, exponent) in units.items():
        values = np.repeat(table.fields[name], 4)
        if name.endswith("price"):
            values = values + shape
        columns[name] = shift(np.round(values, 4), exponent)
    local = quarters.tz_convert(TIME_ZONE).tz_localize(None)
    frame = pd.DataFrame(columns, index=local.strftime("%Y-%m-%dT%H:%M:%S"))
    frame.to_csv(HERE / "signals.csv", index_label="time")
    meta = CsvMetadata(
        schema_name=SCHEMA,
        schema_version=SCHEMA_VERSION,
        title=table.attrs["title"] + " (15-minute, local time)",
        site="seville",
        time_zone=TIME_ZONE,
        time_step="PT15M",
        fields={
            name: ColumnMetadata(units=unit, long_name=SIGNAL_FIELDS[name].long_name)
            for name, (unit, _) in units.items()
        },
        demand_response_calls=[
            CallMetadata(
                start=CALL.start.tz_convert(TIME_ZONE).strftime("%Y-%m-%dT%H:%M:%S"),
                end=CALL.end.tz_convert(TIME_ZONE).strftime("%Y-%m-%dT%H:%M:%S"),
                import_limit=CALL.value * 1000,
                units="kW",
            )
        ],
    )
    text = meta.model_dump_json(by_alias=True, indent=2, exclude_defaults=True)
    (HERE / "signals.json").write_text(text + "\n", encoding="utf-8")


def main() -> None:
    """Write the four sample files."""
    table = partner_week()
    write_netcdf(table, HERE / "signals.nc")
    write_openadr(table, HERE / "openadr-event.json")
    write_quarter_hour_csv(table)


if __name__ == "__main__":
    main()
