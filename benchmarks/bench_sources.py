"""How fast a study is made from files (issue 19): the readers and models of
``dispatch.sources`` on full-year files, and ``dispatch new``, ``validate`` and ``run``.

Run it from anywhere with the package installed::

    python3 benchmarks/bench_sources.py                    # 5 turns, full year (~5 min)
    python3 benchmarks/bench_sources.py --repeat 9 --json /tmp/bench-sources.json
    python3 benchmarks/bench_sources.py --quick            # 1 turn, small trace, 168 h study

What it measures (wall-clock seconds, medians of ``--repeat`` turns; the measurements
take turns so that drift in the machine's load affects all alike):

1. Calls in this process, after every import and a first call of each (so neither
   imports nor first-use caches are timed):

   - ``read_weather`` of each full-year weather file that ships with pvlib
     (``pvlib/data``: TMY3 ``723170TYA.CSV`` and ``703165TY.csv``, TMY2
     ``12839.tm2``, and any EPW there);
   - ``solar_availability`` of ``723170TYA.CSV``'s weather, fixed and single-axis;
   - ``wind_availability`` of the same, Vestas V112/3300, density-corrected;
   - ``write_profiles`` of solar and wind onto the 8760 hours of 2025 (a new file each
     time);
   - ``read_prices``: a year of ENTSO-E day-ahead prices in 15-minute MTUs (the
     layout since 2024, CET/CEST with both clock changes, as the samples in
     ``tests/data/sources/market``) onto the 8760 hours;
   - ``read_carbon``: a year of hourly grid carbon in the generic layout;
   - ``workload_from_shape`` on the 8760 hours;
   - ``workload_from_trace``: one week of an Azure-layout request trace
     (``--requests``, default 200,000 requests), repeated weekly onto the 8760 hours.

   The price, carbon and trace files are generated into a temporary folder.
2. Whole processes, each fresh (every import cold): ``dispatch new`` of a full year
   from ``723170TYA.CSV`` with ``--wind-turbine V112/3300`` (a new folder each turn),
   ``dispatch validate`` and ``dispatch run`` of that study: wall time, CPU time and
   peak RSS (``ru_maxrss`` from ``wait4``: the largest process of the tree).

Section 2 runs first, while this process has imported only the standard library:
on Linux a child's peak RSS starts at its parent's (the high-water mark is carried
across ``exec``), so numpy, pandas and ``dispatch`` are imported afterwards, inside
the functions of section 1.

Everything is written into a temporary folder that is removed at the end; only
``--json PATH`` leaves a file. Not a test: figures depend on the machine and its
load, printed in the header.
"""

from __future__ import annotations

import csv
import importlib.util
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from harness import (
    alternate,
    command_line,
    dispatch_command,
    field,
    finish,
    header,
    machine,
    run_timed,
)

if TYPE_CHECKING:
    import pandas as pd

YEAR = 2025
PVLIB_DATA = Path(importlib.util.find_spec("pvlib").origin).parent / "data"
WEATHER_FILES = ("723170TYA.CSV", "703165TY.csv", "12839.tm2")
"""Full-year weather files shipped with pvlib; ``*.epw`` there are added."""
STUDY_WEATHER = "723170TYA.CSV"
TURBINE = "V112/3300"
MARKET_ZONE = ZoneInfo("Europe/Berlin")
TRACE_START = datetime(2023, 11, 16, tzinfo=UTC)
QUICK_REQUESTS = 20_000
QUICK_HOURS = 168
WIDTH = 92


# --------------------------------------------------------------------------------------
# Generated files
# --------------------------------------------------------------------------------------


def _local(moment: datetime) -> tuple[str, bool]:
    """An instant as ENTSO-E writes it in CET/CEST, and whether that clock time occurs
    twice that day (the hour the clocks go back)."""
    local = moment.astimezone(MARKET_ZONE)
    twice = local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()
    return local.strftime("%d/%m/%Y %H:%M:%S"), twice


def write_prices(path: Path, year: int) -> int:
    """A year of day-ahead prices in 15-minute MTUs, ENTSO-E's layout since 2024
    (CET/CEST; both times of a row in the repeated hour marked), with the next local
    day so that the year's last UTC hour is covered, as a user downloads it; returns
    the rows.

    The price of a quarter hour [EUR/MWh] is a daily shape with noise (seeded)."""
    import numpy as np

    start = datetime(year, 1, 1, tzinfo=MARKET_ZONE).astimezone(UTC)
    end = datetime(year + 1, 1, 2, tzinfo=MARKET_ZONE).astimezone(UTC)
    count = int((end - start) / timedelta(minutes=15))
    rng = np.random.default_rng(0)
    hours = (np.arange(count) / 4.0) % 24.0
    prices = 80 + 30 * np.sin((hours - 8) * np.pi / 12) + rng.normal(0, 12, count)
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL)
        writer.writerow(
            [
                "MTU (CET/CEST)",
                "Area",
                "Sequence",
                "Day-ahead Price (EUR/MWh)",
                "Intraday Period (CET/CEST)",
                "Intraday Price (EUR/MWh)",
            ]
        )
        for i in range(count):
            begin = start + timedelta(minutes=15 * i)
            (first, marked), (last, _) = _local(begin), _local(begin + timedelta(minutes=15))
            if marked:
                zone = begin.astimezone(MARKET_ZONE).tzname()
                first, last = f"{first} ({zone})", f"{last} ({zone})"
            mtu = f"{first} - {last}"
            writer.writerow([mtu, "BZN|DE-LU", "Without Sequence", f"{prices[i]:.2f}", "", ""])
    return count


def write_carbon(path: Path, year: int) -> int:
    """A year of hourly grid carbon intensity [g/kWh] and clean share [%] in the
    generic layout; returns the rows."""
    import numpy as np
    import pandas as pd

    times = pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq="h", tz="UTC")[:-1]
    rng = np.random.default_rng(1)
    hours = times.hour.to_numpy()
    intensity = 350 - 80 * np.sin((hours - 6) * np.pi / 12) + rng.normal(0, 20, len(times))
    frame = pd.DataFrame(
        {
            "time": times.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "carbon_intensity [g/kWh]": intensity.round(1),
            "clean_share [%]": (100 - intensity / 6).round(1),
        }
    )
    frame.to_csv(path, index=False)
    return len(frame)


def write_trace(path: Path, requests: int) -> None:
    """One week of an Azure LLM inference trace (``TIMESTAMP,ContextTokens,
    GeneratedTokens``, one row per request), busier by day (seeded)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(2)
    week_s = 7 * 86_400
    drawn = rng.uniform(0, week_s, 3 * requests)
    busy = 0.6 + 0.4 * np.sin((drawn / 3600 % 24 - 8) * np.pi / 12)
    seconds = np.sort(drawn[rng.uniform(0, 1, len(drawn)) < busy][:requests])
    stamps = pd.Timestamp(TRACE_START).tz_localize(None) + pd.to_timedelta(seconds, unit="s")
    frame = pd.DataFrame(
        {
            "TIMESTAMP": stamps.strftime("%Y-%m-%d %H:%M:%S.%f") + "0",
            "ContextTokens": rng.integers(50, 4_000, len(stamps)),
            "GeneratedTokens": rng.integers(0, 600, len(stamps)),
        }
    )
    frame.to_csv(path, index=False)


# --------------------------------------------------------------------------------------
# Section 1: calls in this process
# --------------------------------------------------------------------------------------


def weather_files() -> list[Path]:
    """The full-year weather files of pvlib's data folder."""
    named = [PVLIB_DATA / name for name in WEATHER_FILES if (PVLIB_DATA / name).is_file()]
    return named + sorted(PVLIB_DATA.glob("*.epw"))


def calls(scratch: Path, requests: int) -> tuple[dict[str, Callable[[], Any]], dict[str, str]]:
    """Each timed call, by label, after writing its input files into ``scratch``; and
    what the inputs are (for the header)."""
    import pandas as pd

    from dispatch import (
        SolarModel,
        WindModel,
        WorkloadAssumptions,
        WorkloadShape,
        read_carbon,
        read_prices,
        solar_availability,
        wind_availability,
        workload_from_shape,
        workload_from_trace,
        write_profiles,
    )
    from dispatch.sources.weather import read_weather

    snapshots = pd.date_range(f"{YEAR}-01-01", periods=8760, freq="h", tz="UTC")
    prices, carbon, trace = scratch / "prices.csv", scratch / "carbon.csv", scratch / "trace.csv"
    mtus = write_prices(prices, YEAR)
    hours = write_carbon(carbon, YEAR)
    write_trace(trace, requests)
    weather = read_weather(PVLIB_DATA / STUDY_WEATHER)
    fixed, tracking = SolarModel(), SolarModel(mount="single_axis")
    wind = WindModel(turbine_type=TURBINE, density_correction=True)
    shape = WorkloadShape(
        firm=0.45, deferrable=0.2, interruptible=0.1, time_zone="America/New_York", seed=0
    )
    assumptions = WorkloadAssumptions(
        it_capacity_mw=20,
        real_time_share=0.6,
        batch_share=0.3,
        best_effort_share=0.1,
        batch_deadline_h=12,
        energy_per_request_wh=300,
        repeat="weekly",
    )
    written = iter(range(10**9))

    def profiles() -> dict[str, pd.Series]:
        out = scratch / f"profiles-{next(written)}.nc"
        return write_profiles(weather.source, out, snapshots, solar=fixed, wind=wind)

    measured: dict[str, Callable[[], Any]] = {
        f"read_weather {p.name} ({p.stat().st_size / 2**20:.1f} MiB)": partial(read_weather, p)
        for p in weather_files()
    }
    measured |= {
        f"solar_availability {STUDY_WEATHER}, fixed": partial(solar_availability, weather, fixed),
        f"solar_availability {STUDY_WEATHER}, single-axis": partial(
            solar_availability, weather, tracking
        ),
        f"wind_availability {STUDY_WEATHER}, {TURBINE}, density": partial(
            wind_availability, weather, wind
        ),
        "write_profiles solar + wind, 8760 h": profiles,
        f"read_prices ENTSO-E, {mtus:,} x 15 min onto 8760 h": partial(
            read_prices, prices, snapshots, currency="EUR"
        ),
        f"read_carbon generic, {hours:,} h": partial(read_carbon, carbon, snapshots),
        "workload_from_shape 8760 h": partial(workload_from_shape, snapshots, shape, 20.0),
        f"workload_from_trace Azure {requests:,} req., weekly, 8760 h": partial(
            workload_from_trace, trace, snapshots, assumptions
        ),
    }
    inputs = (
        f"prices {prices.stat().st_size / 2**20:.1f} MiB, carbon "
        f"{carbon.stat().st_size / 2**20:.2f} MiB, trace {trace.stat().st_size / 2**20:.1f} MiB"
    )
    return measured, inputs


def timed_call(call: Callable[[], Any]) -> float:
    """Wall-clock time of one call [s]."""
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


# --------------------------------------------------------------------------------------
# Section 2: whole processes
# --------------------------------------------------------------------------------------


def tmy3_place(path: Path) -> tuple[float, float]:
    """Latitude and longitude of a TMY3 file, from its first line [deg]."""
    with open(path, newline="", encoding="ascii") as lines:
        first = next(csv.reader(lines))
    return float(first[4]), float(first[5])


def processes(scratch: Path, hours: float | None) -> dict[str, Callable[[], dict[str, float]]]:
    """``dispatch new`` (a new folder each turn), ``validate`` and ``run`` of the
    study the first ``new`` wrote; each returns wall [s], CPU [s] and peak RSS [MiB]."""
    latitude, longitude = tmy3_place(PVLIB_DATA / STUDY_WEATHER)
    cli = dispatch_command()
    stderr = scratch / "stderr.txt"
    made = iter(range(10**9))
    study = scratch / "study-0"
    limit = [] if hours is None else ["--hours", f"{hours:g}"]

    def command(*args: str) -> dict[str, float]:
        done = run_timed([*cli, *args], stderr)
        done.check(f"dispatch {args[0]}", stderr)
        return {"wall_s": done.wall_s, "cpu_s": done.cpu_s, "peak_rss_mib": done.peak_rss_mib}

    def new() -> dict[str, float]:
        folder = scratch / f"study-{next(made)}"
        figures = command(
            "new",
            str(folder),
            "--site",
            "greensboro",
            "--lat",
            f"{latitude:g}",
            "--lon",
            f"{longitude:g}",
            "--weather",
            str(PVLIB_DATA / STUDY_WEATHER),
            "--wind-turbine",
            TURBINE,
            *limit,
        )
        if folder != study:
            shutil.rmtree(folder)
        return figures

    def run() -> dict[str, float]:
        figures = command("run", str(study), "--out", str(scratch / "run"), "--quiet")
        shutil.rmtree(scratch / "run")
        return figures

    return {
        f"dispatch new {STUDY_WEATHER} --wind-turbine {TURBINE}": new,
        "dispatch validate (that study)": partial(command, "validate", str(study)),
        "dispatch run (that study)": run,
    }


# --------------------------------------------------------------------------------------
# Command line and report
# --------------------------------------------------------------------------------------


def main() -> int:
    """Write the input files, time the calls and the processes, print the tables."""
    parser = command_line(__doc__.splitlines()[0], repeat=(5, "turns of every measurement"))
    parser.add_argument(
        "--requests", type=int, default=200_000, help="requests in the week of trace"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"1 turn, {QUICK_REQUESTS:,} requests, a {QUICK_HOURS} h study for the processes",
    )
    parser.add_argument(
        "--no-processes", dest="processes", action="store_false", help="skip section 2"
    )
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.requests = 1, min(args.requests, QUICK_REQUESTS)
    hours = QUICK_HOURS if args.quick else None
    info = machine()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-sources-") as tmp:
        scratch = Path(tmp)
        whole = alternate(args.repeat, processes(scratch, hours)) if args.processes else {}
        measured, inputs = calls(scratch, args.requests)
        for call in measured.values():
            call()  # first use: lazy imports (pvlib, windpowerlib, netCDF) and caches
        turns = {label: partial(timed_call, call) for label, call in measured.items()}
        in_process = alternate(args.repeat, turns)

    span = "full year" if hours is None else f"first {hours} h"
    settings = [
        field("Settings", f"--repeat {args.repeat}, --requests {args.requests:,}; {inputs}"),
        field("Processes", "none" if not args.processes else f"study of {span}, fresh each"),
    ]
    print(header("dispatch.sources: a study from files (issue 19)", info, settings, WIDTH))
    print(f"{'1. calls in this process':<60}{'median [s]':>11}{'fastest [s]':>12}")
    calls_figures = {}
    for label, times in in_process.items():
        median = statistics.median(times)
        calls_figures[label] = {"median_s": median, "times_s": times}
        print(f"  {label:<58}{median:>11.3f}{min(times):>12.3f}")
    process_figures = {}
    if whole:
        print(f"\n{'2. whole processes, median':<60}{'[s]':>9}{'CPU [s]':>9}{'RSS [MiB]':>11}")
        for label, runs in whole.items():
            medians = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
            process_figures[label] = {**medians, "runs": runs}
            print(
                f"  {label:<58}{medians['wall_s']:>9.2f}{medians['cpu_s']:>9.2f}"
                f"{medians['peak_rss_mib']:>11.0f}"
            )
    figures = {"calls": calls_figures, "processes": process_figures, "study_hours": hours}
    return finish(args, info, started, figures, [])


if __name__ == "__main__":
    sys.exit(main())
