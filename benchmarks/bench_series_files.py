"""Time and memory of ``dispatch validate`` on large series files of a study.

A study's series files may be large (docs/safety.md: at most 512 MiB), and a file may
hold many more columns than the scenario names. This writes year-long copies of the
four-hour test study ``tests/data/tiny`` and validates each in a fresh process:

- ``narrow``: a year of hours, the three columns the scenario names (0.3 MB);
- ``wide``: the same with 3,000 more columns no field names (105 MB);
- ``long-netcdf``: the four-hour study reading a netCDF file whose ``time`` has
  20,000,000 steps (compressed zeros, a few MB; refused).

Run it with the package installed::

    python3 benchmarks/bench_series_files.py            # 3 turns each (~1 min)
    python3 benchmarks/bench_series_files.py --repeat 1 --json /tmp/series.json

The exit code is 1 if a case does not end as expected (the year-long studies valid,
the long netCDF file refused with exit code 2).
"""

from __future__ import annotations

import multiprocessing
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from harness import (
    Finished,
    alternate,
    command_line,
    dispatch_command,
    finish,
    header,
    machine,
    run_timed,
)

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny"
HOURS = 8760
EXTRA_COLUMNS = 3000
"""Columns of the wide file that no field names [-]."""
LONG_STEPS = 20_000_000
"""Length of ``time`` in the long netCDF file [-]."""


def year_study(folder: Path, extra_columns: int) -> Path:
    """The tiny study over a year of hours, with ``extra_columns`` unnamed columns."""
    import numpy as np

    shutil.copytree(TINY, folder)
    scenario = folder / "scenario.yaml"
    scenario.write_text(scenario.read_text().replace("periods: 4", f"periods: {HOURS}"))
    times = np.datetime_as_string(
        np.datetime64("2025-06-01T00") + np.arange(HOURS).astype("timedelta64[h]")
    )
    rows = np.char.add(times.astype(str), "Z,1,0.5,100" + ",0.5" * extra_columns)
    names = "".join(f",x{i}" for i in range(extra_columns))
    (folder / "profiles.csv").write_text(f"time,arr,solar,price{names}\n" + "\n".join(rows) + "\n")
    return folder


def long_netcdf_study(folder: Path) -> Path:
    """The tiny study reading its series from a netCDF file of :data:`LONG_STEPS` steps."""
    import numpy as np
    import xarray as xr

    shutil.copytree(TINY, folder)
    time = ("time", np.arange(LONG_STEPS), {"units": "hours since 2025-06-01 00:00:00"})
    zeros = {name: ("time", np.zeros(LONG_STEPS)) for name in ("arr", "solar", "price")}
    xr.Dataset(zeros, coords={"time": time}).to_netcdf(
        folder / "profiles.nc", encoding={name: {"zlib": True} for name in zeros}
    )
    (folder / "profiles.csv").unlink()
    scenario = folder / "scenario.yaml"
    scenario.write_text(scenario.read_text().replace(".csv:", ".nc:"))
    return folder


def validate(folder: Path) -> Callable[[], Finished]:
    """``dispatch validate FOLDER`` in a fresh process, to be run."""
    return lambda: run_timed([*dispatch_command(), "validate", str(folder)])


EXPECTED = {"narrow": 0, "wide": 0, "long-netcdf": 2}
"""Exit code each case must end with: valid, valid, refused as bad input."""


def main() -> int:
    args = command_line(
        __doc__.splitlines()[0], repeat=(3, "runs of each case; medians")
    ).parse_args()
    info = machine()
    print(header("Large series files: dispatch validate", info, [], 96))
    started = time.perf_counter()
    figures: dict[str, dict] = {}
    failures = []
    with tempfile.TemporaryDirectory(prefix="bench-series-") as scratch:
        # Written in another process: a child's peak RSS (from wait4) counts the
        # memory of the process that started it, which must stay small.
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            studies = {
                "narrow": pool.submit(year_study, Path(scratch) / "narrow", 0),
                "wide": pool.submit(year_study, Path(scratch) / "wide", EXTRA_COLUMNS),
                "long-netcdf": pool.submit(long_netcdf_study, Path(scratch) / "long-netcdf"),
            }
            studies = {name: future.result() for name, future in studies.items()}
        runs = alternate(args.repeat, {name: validate(folder) for name, folder in studies.items()})
        print(f"{'study':<13}{'series [MB]':>12}{'wall [s]':>10}{'peak RSS [MiB]':>16}  exit code")
        for name, folder in studies.items():
            done = runs[name]
            figures[name] = {
                "series_mb": sum(p.stat().st_size for p in folder.glob("profiles.*")) / 1e6,
                "wall_s": statistics.median(r.wall_s for r in done),
                "peak_rss_mib": max(r.peak_rss_mib for r in done),
                "exit_codes": [r.code for r in done],
            }
            row = figures[name]
            print(
                f"{name:<13}{row['series_mb']:>12.1f}{row['wall_s']:>10.2f}"
                f"{row['peak_rss_mib']:>16,.0f}  {done[0].code} (expected {EXPECTED[name]})"
            )
            if any(code != EXPECTED[name] for code in row["exit_codes"]):
                failures.append(
                    f"{name}: exit codes {row['exit_codes']}, expected {EXPECTED[name]}"
                )
    return finish(args, info, started, {"cases": figures}, failures)


if __name__ == "__main__":
    sys.exit(main())
