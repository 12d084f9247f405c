"""The files of a new study (``dispatch new``): the defaults with their basis, the
commented ``scenario.yaml`` and the series CSV file."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

PROFILES_FILE = "profiles.nc"
"""The study's availability series, written by ``write_profiles``."""
SERIES_FILE = "series.csv"
"""The study's grid and workload series."""
TYPICAL_YEAR = 2025
"""Year a typical-year weather file is mapped onto unless ``year`` is given [-]."""
IT_CAPACITY_MW = 20.0
"""Default IT capacity [MW]."""
PUE = 1.3
"""Default power usage effectiveness, constant [-]."""
IDLE_FRACTION = 0.3
"""Share of IT capacity idle servers draw [p.u.]."""
SOLAR_PER_IT = 2.0
"""Default solar capacity per MW of IT capacity [MW/MW]."""
WIND_PER_IT = 1.5
"""Default wind capacity per MW of IT capacity, where the site has wind [MW/MW]."""
FLAT_PRICE = 100.0
"""Import price without a price file [currency/MWh]."""
FLAT_CARBON = 0.48
"""Grid carbon intensity without a carbon file [tCO2/MWh]."""
FLAT_CLEAN_SHARE = 0.39
"""Carbon-free share of grid electricity without a carbon file [p.u.]."""
LOST_WORK_PER_PRICE = 2.0
"""Value of lost best-effort work over the mean import price [-]."""
WORK_SHARES = {"firm": 0.42, "deferrable": 0.19, "interruptible": 0.05}
"""Parametric workload: mean firm work, deferrable arrivals per hour and
interruptible work over IT capacity [p.u.]."""
TRACE_SHARES = {"real_time_share": 0.65, "batch_share": 0.28, "best_effort_share": 0.07}
"""Workload trace: shares of real-time, batch and best-effort work [p.u.]."""
BATCH_DEADLINE_H = 12.0
"""Deadline of batch work after arrival, the scenario's ``max_delay_h`` [h]."""
WH_PER_REQUEST = 0.3
"""IT energy per request of a request-count trace [Wh]."""
MAX_DISTANCE_KM = 100.0
"""Farthest the weather file's place may lie from the site [km]."""
EARTH_RADIUS_KM = 6371.0
"""Mean radius of the Earth [km]."""

BASIS = {
    "it_capacity_mw": "IT capacity (--it-mw; default 20 MW): a mid-size modular inference site, "
    "about 15,000 accelerators at 1.3 kW each with their share of the host",
    "idle_fraction": "idle accelerator servers draw roughly a quarter to a third of full power "
    "(as the shipped examples)",
    "pue": "constant PUE (--pue; default 1.3): between hyperscale fleets (about 1.1) and the "
    "industry's 2024 average of 1.56 (Uptime Institute Global Data Center Survey 2024)",
    "solar": "solar (--solar-mw; default 2 x IT capacity): midday output above the facility's "
    "load, the surplus a flexible workload can absorb; availability of a fixed plant tilted at "
    "the latitude facing the equator, PVWatts losses and inverter, DC/AC 1.2 (SolarModel "
    "defaults; every parameter in profiles.nc)",
    "wind": "wind (--wind-mw; default 1.5 x IT capacity when --wind-turbine is given): "
    "WindModel defaults, hub 100 m, density-corrected power curve, 10 % wake and downtime "
    "losses (every parameter in profiles.nc)",
    "import_limit_mw": "import limit: the facility's peak draw, PUE x IT capacity, so that the "
    "grid alone can serve every hour's load whatever the weather",
    "export_limit_mw": "no export: a connection's export needs an agreement of its own; the "
    "surplus not used on site is curtailed",
    "flat_price": "FLAT PLACEHOLDER (no --prices): 100 per MWh, of the order of 2024 European "
    "day-ahead averages plus network charges",
    "flat_carbon": "FLAT PLACEHOLDER (no --carbon): world average 2023, 0.48 tCO2/MWh and 39 % "
    "low-carbon (Ember, Global Electricity Review 2024)",
    "no_clean_share": "the carbon file gives no carbon-free share: grid import counts as not "
    "carbon-free in the CFE score",
    "max_delay_h": "batch deadline: 12 h, within the 24 h completion window batch inference "
    "APIs promise (OpenAI Batch API, Anthropic Message Batches)",
    "value_of_lost_work": "2 x the mean import price: best-effort work is served at ordinary "
    "prices and dropped at price spikes",
}
"""The basis of each default, as written into ``scenario.yaml``'s comments."""


def header(site: str, weather_file: str, version: str) -> list[str]:
    """The comment lines opening the scenario file."""
    return [
        f"# Study of site {site}, written by dispatch new (dispatch {version}) from "
        f"{Path(weather_file).name}.",
        "# Each number the command chose by default has its basis in the comment above it",
        "# (docs/sources.md, 'A new study'). Change any of them, then check the study with",
        "# 'dispatch validate' and solve it with 'dispatch run'.",
    ]


def commented_yaml(tree: dict[str, Any], comments: dict[str, str], path: str = "") -> list[str]:
    """YAML lines of nested mappings of scalars, each key under its comment, if any."""
    indent = "  " * (path.count(".") + 1 if path else 0)
    lines = []
    for key, value in tree.items():
        here = f"{path}.{key}" if path else key
        if here in comments:
            words = " ".join(comments[here].split())
            lines += [
                f"{indent}# {line}"
                for line in textwrap.wrap(words, 86 - len(indent), break_on_hyphens=False)
            ]
        if isinstance(value, dict):
            lines += [f"{indent}{key}:", *commented_yaml(value, comments, here)]
        else:
            lines.append(f"{indent}{key}: {_scalar(value)}")
    return lines


def _scalar(value: object) -> str:
    """A YAML scalar: text in double quotes (JSON's escapes are YAML's), numbers as
    Python writes them back exactly."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return str(value)


def write_series(columns: dict[str, pd.Series], path: Path) -> None:
    """The series as a CSV file: ``time`` in ISO 8601 with offset, numbers exact."""
    table = pd.DataFrame(columns)
    table.index = table.index.strftime("%Y-%m-%dT%H:%M:%S+00:00").rename("time")
    table.to_csv(path, lineterminator="\n")
