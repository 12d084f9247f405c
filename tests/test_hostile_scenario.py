"""Hostile scenario files and time series: one line and exit 2, bounded time and memory.

Each case edits a copy of the tiny study as an attacker or a careless user would and
runs ``dispatch validate`` on it in a fresh process; the study folder must be left as
it was. Valid input that used to be refused (local times across a change to summer
time) is checked through the Python API.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from dispatch import ScenarioError, load_study
from dispatch.core.untrusted_input import MAX_SERIES_FILE_BYTES
from dispatch.core.yaml_reader import MAX_YAML_BYTES, MAX_YAML_DEPTH, read_yaml
from dispatch.scenario.load import parse_scenario
from dispatch.scenario.schema import MAX_PERIODS, Site, series_bounds
from hostile import TINY, assert_one_line_error, copy_study, litter, run_dispatch, tree

Edit = Callable[[Path], None]
SCENARIO, CSV, NETCDF = "scenario.yaml", "profiles.csv", "profiles.nc"
BATTERY = "battery: {power_mw: 2, energy_mwh: 4}"
LAUGHS = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)).replace(
    "*l0", '"lol"'
)
"""A billion laughs: nine levels of nine aliases, 9**9 strings once expanded."""


def replace(old: str, new: str) -> Edit:
    """An edit of scenario.yaml replacing ``old`` (which must occur) by ``new``."""

    def edit(folder: Path) -> None:
        path = folder / "scenario.yaml"
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new))

    return edit


def append(text: str) -> Edit:
    """An edit appending ``text`` to scenario.yaml."""

    def edit(folder: Path) -> None:
        with (folder / "scenario.yaml").open("a") as stream:
            stream.write(text)

    return edit


def write(name: str, content: str | bytes) -> Edit:
    """An edit writing file ``name`` of the study folder."""

    def edit(folder: Path) -> None:
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)

    return edit


def chain(*edits: Edit) -> Edit:
    """The edits one after the other."""

    def edit(folder: Path) -> None:
        for each in edits:
            each(folder)

    return edit


def profiles_nc(change: Callable[[xr.Dataset], xr.Dataset]) -> Edit:
    """An edit turning profiles.csv into profiles.nc changed by ``change``, and
    pointing the scenario at it."""

    def edit(folder: Path) -> None:
        table = pd.read_csv(folder / "profiles.csv", index_col="time")
        table.index = pd.to_datetime(table.index).tz_localize(None)
        change(xr.Dataset.from_dataframe(table)).to_netcdf(folder / "profiles.nc")
        replace(".csv:", ".nc:")(folder)

    return edit


def two_dimensional(ds: xr.Dataset) -> xr.Dataset:
    return ds.assign(solar=(("time", "x"), np.zeros((4, 2))))


def noleap_calendar(ds: xr.Dataset) -> xr.Dataset:
    units = {"units": "hours since 2025-06-01 00:00:00", "calendar": "noleap"}
    return ds.assign_coords(time=("time", np.arange(4), units))


def text_values(ds: xr.Dataset) -> xr.Dataset:
    return ds.assign(solar=("time", ["a", "b", "c", "d"]))


def above_valid_max(ds: xr.Dataset) -> xr.Dataset:
    """Solar above its CF valid_max: missing by CF 2.5.1."""
    return ds.assign(solar=ds["solar"].assign_attrs(valid_max=0.1))


def symlink_loop(name: str) -> Edit:
    """An edit replacing file ``name`` by a symlink to itself."""

    def edit(folder: Path) -> None:
        (folder / name).unlink()
        os.symlink(name, folder / name)

    return edit


def not_a_regular_file(make: Callable[[Path], None]) -> Edit:
    """An edit replacing profiles.csv by what ``make`` makes at its path."""

    def edit(folder: Path) -> None:
        (folder / "profiles.csv").unlink()
        make(folder / "profiles.csv")

    return edit


HOSTILE = [
    # numbers: finite, of their type, within bounds
    ("capacity-infinite", SCENARIO, replace("capacity_mw: 20", "capacity_mw: .inf"), "capacity_mw"),
    (
        "capacity-overflowing",
        SCENARIO,
        replace("capacity_mw: 20", "capacity_mw: 1.0e309"),
        "capacity_mw",
    ),
    (
        "capacity-nan",
        SCENARIO,
        replace("capacity_mw: 20", "capacity_mw: .nan"),
        "solar.capacity_mw",
    ),
    (
        "capacity-yes-as-number",
        SCENARIO,
        replace("capacity_mw: 20", "capacity_mw: yes"),
        "capacity_mw",
    ),
    (
        "capacity-quoted-number",
        SCENARIO,
        replace("capacity_mw: 20", 'capacity_mw: "20"'),
        "capacity_mw",
    ),
    ("capacity-negative", SCENARIO, replace("capacity_mw: 20", "capacity_mw: -5"), "capacity_mw"),
    (
        "capacity-above-a-terawatt",
        SCENARIO,
        replace("capacity_mw: 20", "capacity_mw: 2.0e6"),
        "capacity_mw",
    ),
    (
        "capacity-of-5000-digits",
        SCENARIO,
        replace("capacity_mw: 20", "capacity_mw: " + "9" * 5000),
        "line",
    ),
    (
        "efficiency-zero",
        SCENARIO,
        replace(BATTERY, "battery: {power_mw: 2, energy_mwh: 4, charge_efficiency: 0}"),
        "battery.charge_efficiency",
    ),
    ("pue-below-one", SCENARIO, replace("pue: 1.25", "pue: 0.9"), "datacentre.pue"),
    ("pue-infinite", SCENARIO, replace("pue: 1.25", "pue: .inf"), "datacentre.pue"),
    (
        "delay-beyond-a-year",
        SCENARIO,
        replace("max_delay_h: 3", "max_delay_h: 1.0e6"),
        "max_delay_h",
    ),
    ("periods-as-text", SCENARIO, replace("periods: 4", "periods: four"), "snapshots.periods"),
    (
        "periods-past-2262",
        SCENARIO,
        replace("periods: 4, step_h: 1", "periods: 900000, step_h: 24"),
        "periods",
    ),
    ("periods-huge", SCENARIO, replace("periods: 4", "periods: " + "9" * 40), "snapshots.periods"),
    ("step-infinite", SCENARIO, replace("step_h: 1", "step_h: .inf"), "snapshots.step_h"),
    (
        "start-february-30",
        SCENARIO,
        replace('"2025-06-01T00:00:00Z"', "2025-02-30"),
        "snapshots.start",
    ),
    ("start-without-offset", SCENARIO, replace("00:00:00Z", "00:00:00"), "snapshots.start"),
    ("start-year-10000", SCENARIO, replace("2025-06-01T", "10000-06-01T"), "snapshots.start"),
    ("start-year-9999", SCENARIO, replace("2025-06-01T", "9999-06-01T"), "snapshots.start"),
    # the YAML itself
    ("duplicate-key", SCENARIO, append("name: other\n"), "duplicate key 'name'"),
    ("alias-bomb-in-typed-field", SCENARIO, append(LAUGHS + "carbon_price: *l9\n"), "aliases"),
    ("merge-key", SCENARIO, append("routing:\n  <<: {a: 1}\n"), "merge keys"),
    ("binary-tag", SCENARIO, append("carbon_price: !!binary aGVsbG8=\n"), "!!binary"),
    ("python-tag", SCENARIO, append("carbon_price: !!python/object/apply:os.system [ls]\n"), "tag"),
    ("deep-nesting", SCENARIO, append("extra: " + "[" * 100_000 + "]" * 100_000 + "\n"), "nested"),
    ("over-size-limit", SCENARIO, append("#" * MAX_YAML_BYTES + "\n"), "limit"),
    ("not-utf8", SCENARIO, write("scenario.yaml", "name: caf\xe9\n".encode("latin-1")), "UTF-8"),
    ("two-documents", SCENARIO, append("---\nname: other\n"), "malformed YAML"),
    # time series
    ("scenario-symlink-loop", SCENARIO, symlink_loop("scenario.yaml"), "no such scenario file"),
    ("series-symlink-loop", SCENARIO, symlink_loop("profiles.csv"), "profiles.csv"),
    ("csv-duplicate-column", CSV, write("profiles.csv", "time,solar,solar\n"), "solar"),
    ("csv-two-unnamed-columns", CSV, write("profiles.csv", "time,,solar,\n"), "no name"),
    (
        "csv-text-values",
        CSV,
        write("profiles.csv", "time,arr,solar,price\n2025-06-01T00:00Z,4,x,100\n"),
        "solar",
    ),
    ("csv-empty", CSV, write("profiles.csv", ""), "profiles.csv"),
    (  # a row of empty names is the header to pandas, not a blank line
        "csv-commas-before-the-names",
        CSV,
        write("profiles.csv", ",,,\ntime,arr,solar,price\n2025-06-01T00:00Z,4,0,100\n"),
        "first column must be named 'time'",
    ),
    (
        "csv-a-folder",
        SCENARIO,
        not_a_regular_file(Path.mkdir),
        "'profiles.csv': is a folder, not a regular file",
    ),
    ("csv-binary-garbage", CSV, write("profiles.csv", bytes(range(256)) * 8), "profiles.csv"),
    ("netcdf-2d-variable", NETCDF, profiles_nc(two_dimensional), "solar"),
    ("netcdf-noleap-calendar", NETCDF, profiles_nc(noleap_calendar), "calendar"),
    ("netcdf-text-values", NETCDF, profiles_nc(text_values), "solar"),
    ("netcdf-above-valid-max", NETCDF, profiles_nc(above_valid_max), "valid range"),
    (
        "netcdf-garbage",
        NETCDF,
        chain(write("profiles.nc", b"CDF\x01" + b"\xff" * 64), replace(".csv:", ".nc:")),
        "profiles.nc",
    ),
]


def hostile_study(tmp_path: Path, edit: Edit) -> Path:
    folder = copy_study(TINY, tmp_path / "study")
    edit(folder)
    return folder


@pytest.mark.parametrize(
    ("edit", "names"),
    [pytest.param(edit, (file, name), id=case) for case, file, edit, name in HOSTILE],
)
def test_validate_refuses_hostile_input_in_one_line(
    tmp_path: Path, edit: Edit, names: tuple[str, ...]
) -> None:
    folder = hostile_study(tmp_path, edit)
    before = tree(tmp_path)
    outcome = run_dispatch("validate", folder, timeout=60)
    assert_one_line_error(outcome, *names)
    assert tree(tmp_path) == before
    assert litter(tmp_path) == [] and litter(folder) == []


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(append(LAUGHS + "carbon_price: *l9\n"), id="alias-bomb"),
        pytest.param(
            append("extra: " + "[" * 400_000 + "]" * 400_000 + "\n"), id="nesting-400000-deep"
        ),
    ],
)
def test_hostile_yaml_costs_little_time_and_memory(tmp_path: Path, edit: Edit) -> None:
    outcome = run_dispatch("validate", hostile_study(tmp_path, edit), timeout=60)
    assert_one_line_error(outcome, "scenario.yaml")
    baseline = run_dispatch("validate", TINY, timeout=60)
    assert baseline.code == 0, baseline.stderr
    assert outcome.peak_mib < baseline.peak_mib + 50, (outcome.peak_mib, baseline.peak_mib)
    assert outcome.seconds < baseline.seconds + 5, (outcome.seconds, baseline.seconds)


def test_netcdf_series_header_announcing_2e31_dimensions_costs_little_memory(
    tmp_path: Path,
) -> None:
    bomb = b"CDF\x01" + b"\x00" * 4 + b"\x00\x00\x00\x0a\x7f\xff\xff\xff" + b"\x00" * 64
    edit = chain(write("profiles.nc", bomb), replace(".csv:", ".nc:"))
    outcome = run_dispatch("validate", hostile_study(tmp_path, edit), timeout=60)
    assert_one_line_error(outcome, "profiles.nc", "2147483647 entries")
    baseline = run_dispatch("validate", TINY, timeout=60)
    assert outcome.peak_mib < baseline.peak_mib + 50, (outcome.peak_mib, baseline.peak_mib)


@pytest.mark.parametrize("hours", ["nan", "inf", "-1", "1.5", "0", "5"])
def test_validate_refuses_hours_that_are_no_whole_steps_of_the_horizon(
    tmp_path: Path, hours: str
) -> None:
    outcome = run_dispatch("validate", TINY, "--hours", hours, timeout=60)
    line = assert_one_line_error(outcome)
    assert "--hours" in line or "snapshots" in line, line


@pytest.mark.parametrize("hours", [float("nan"), float("inf"), -1.0, 2.5, True, "24"])
def test_load_study_refuses_hours_that_are_no_whole_steps(hours: object) -> None:
    with pytest.raises(ScenarioError, match="snapshots: cannot shorten"):
        load_study(TINY, hours=hours)


@pytest.mark.parametrize(
    ("start", "zone"),
    [
        pytest.param("2025-03-30T00:00:00Z", "Europe/Berlin", id="spring-forward"),
        pytest.param("2025-10-26T00:00:00Z", "Europe/Berlin", id="fall-back"),
    ],
)
def test_csv_in_local_time_across_a_change_to_or_from_summer_time_is_read_as_utc(
    tmp_path: Path, start: str, zone: str
) -> None:
    folder = copy_study(TINY, tmp_path / "study")
    replace("2025-06-01T00:00:00Z", start)(folder)
    table = pd.read_csv(TINY / "profiles.csv", index_col="time")
    utc = pd.date_range(start, periods=4, freq="h")
    local = utc.tz_convert(zone)
    table.index = [t.isoformat() for t in local]
    table.to_csv(folder / "profiles.csv", index_label="time")
    offsets = {t.strftime("%z") for t in local}
    assert len(offsets) == 2, offsets  # the file does change its offset
    study = load_study(folder)
    assert (study.snapshots == utc).all()
    expected = load_study(TINY)
    for key, values in expected.series.items():
        np.testing.assert_array_equal(study.series[key], values)


def test_csv_mixing_times_with_and_without_offset_is_refused(tmp_path: Path) -> None:
    folder = copy_study(TINY, tmp_path / "study")
    path = folder / "profiles.csv"
    text = path.read_text().replace("T01:00:00Z", "T02:00:00+01:00")
    path.write_text(text.replace("T03:00:00Z", "T03:00:00"))
    with pytest.raises(ScenarioError, match="profiles.csv: time: times need a UTC offset"):
        load_study(folder)


def test_read_yaml_refuses_aliases_duplicates_and_depth(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: &x 1\nb: *x\n")
    with pytest.raises(ScenarioError, match=r"x.yaml: line 2: YAML aliases \(\*x\)"):
        read_yaml(path)
    path.write_text("a: 1\nb:\n  c: 2\n  c: 3\n")
    with pytest.raises(ScenarioError, match="line 4: duplicate key 'c'"):
        read_yaml(path, "sweep")
    path.write_text("[" * MAX_YAML_DEPTH + "]" * MAX_YAML_DEPTH)
    assert read_yaml(path) is not None
    path.write_text("[" * (MAX_YAML_DEPTH + 1) + "]" * (MAX_YAML_DEPTH + 1))
    with pytest.raises(ScenarioError, match=f"deeper than {MAX_YAML_DEPTH}"):
        read_yaml(path)


def test_read_yaml_gives_timestamps_as_text_for_the_schema_to_parse(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("start: 2025-06-01T00:00:00Z\ncount: 3\nshare: 0.5\nflag: yes\n")
    assert read_yaml(path) == {
        "start": "2025-06-01T00:00:00Z",
        "count": 3,
        "share": 0.5,
        "flag": True,
    }


def test_sweep_over_size_limit_names_sweep_files(tmp_path: Path) -> None:
    path = tmp_path / "sweep.yaml"
    path.write_bytes(b"#" * (MAX_YAML_BYTES + 1))
    with pytest.raises(ScenarioError, match="sweep.yaml: over the .* limit of sweep files"):
        read_yaml(path, "sweep")


@pytest.mark.parametrize("value", [True, float("inf"), float("nan"), "20", 10**400])
def test_parse_scenario_refuses_numbers_that_are_not_finite_numbers(value: object) -> None:
    raw = read_yaml(TINY / "scenario.yaml")
    raw["sites"]["s"]["solar"]["capacity_mw"] = value
    with pytest.raises(ScenarioError, match="sites.s.solar.capacity_mw"):
        parse_scenario(raw, "scenario.yaml")


def test_parse_scenario_reads_integers_as_numbers() -> None:
    raw = read_yaml(TINY / "scenario.yaml")
    raw["sites"]["s"]["solar"]["capacity_mw"] = 20
    assert parse_scenario(raw, "scenario.yaml").sites["s"].solar.capacity_mw == 20.0


def test_periods_up_to_the_limit_are_accepted_and_beyond_refused() -> None:
    raw = read_yaml(TINY / "scenario.yaml")
    raw["snapshots"]["periods"] = MAX_PERIODS
    parse_scenario(raw, "scenario.yaml")
    raw["snapshots"]["periods"] = MAX_PERIODS + 1
    with pytest.raises(ScenarioError, match="snapshots.periods"):
        parse_scenario(raw, "scenario.yaml")


def test_series_values_from_files_keep_the_bounds_of_constants(tmp_path: Path) -> None:
    assert series_bounds(Site, "datacentre.pue")[0] == 1
    folder = copy_study(TINY, tmp_path / "study")
    path = folder / "profiles.csv"
    path.write_text(path.read_text().replace(",100\n", ",1e300\n", 1))
    with pytest.raises(ScenarioError, match="sites.s.grid.import_price: is 1e[+]300"):
        load_study(folder)


def test_csv_series_of_millions_of_rows_is_refused_after_the_rows_the_study_needs(
    tmp_path: Path,
) -> None:
    # 2,000,000 valid hourly rows (64 MB) for a study of 4 snapshots: read whole, they
    # took hundreds of MB before the row count was checked.
    times = np.datetime_as_string(
        np.datetime64("2025-06-01T00") + np.arange(2_000_000).astype("timedelta64[h]")
    )
    rows = "\n".join(np.char.add(times.astype(str), "Z,0,0.5,100"))
    edit = write("profiles.csv", "time,arr,solar,price\n" + rows + "\n")
    outcome = run_dispatch("validate", hostile_study(tmp_path, edit), timeout=60)
    assert_one_line_error(outcome, "profiles.csv", "time", "more than 4 rows")
    baseline = run_dispatch("validate", TINY, timeout=60)
    assert outcome.peak_mib < baseline.peak_mib + 50, (outcome.peak_mib, baseline.peak_mib)


def test_csv_series_above_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    def sparse(folder: Path) -> None:  # a file of MAX_SERIES_FILE_BYTES + 1 that takes no disk
        with (folder / "profiles.csv").open("r+b") as stream:
            stream.truncate(MAX_SERIES_FILE_BYTES + 1)

    outcome = run_dispatch("validate", hostile_study(tmp_path, sparse), timeout=60)
    line = assert_one_line_error(outcome, "profiles.csv")
    assert "above the 512 MB limit for series files" in line
    assert outcome.seconds < 20


def test_a_fifo_as_series_file_is_refused_without_opening_it(tmp_path: Path) -> None:
    # Opened, a FIFO would wait for a writer: validate would hang.
    folder = hostile_study(tmp_path, not_a_regular_file(os.mkfifo))
    outcome = run_dispatch("validate", folder, timeout=60)
    assert_one_line_error(
        outcome, SCENARIO, "'profiles.csv': is a FIFO, socket or device, not a regular file"
    )


def test_a_scenario_file_that_is_a_fifo_says_so(tmp_path: Path) -> None:
    folder = copy_study(TINY, tmp_path / "study")
    (folder / "scenario.yaml").unlink()
    os.mkfifo(folder / "scenario.yaml")
    outcome = run_dispatch("validate", folder, timeout=60)
    line = assert_one_line_error(outcome, "scenario.yaml")
    assert "not a regular file" in line and "no such" not in line


def year_of_tiny(folder: Path, extra_columns: int, value: str) -> None:
    """Turn the tiny study into a year of hours whose profiles.csv also has
    ``extra_columns`` columns no field names, each ``value`` in every row."""
    replace("periods: 4", "periods: 8760")(folder)
    times = np.datetime_as_string(
        np.datetime64("2025-06-01T00") + np.arange(8760).astype("timedelta64[h]")
    )
    extra = "".join(f",{value}" for _ in range(extra_columns))
    names = "".join(f",x{i}" for i in range(extra_columns))
    rows = np.char.add(np.char.add(times.astype(str), "Z,1,0.5,100"), extra)
    write("profiles.csv", f"time,arr,solar,price{names}\n" + "\n".join(rows) + "\n")(folder)


def test_csv_series_with_many_columns_no_field_names_costs_little_memory(
    tmp_path: Path,
) -> None:
    # 8760 rows of 1500 unnamed columns (53 MB): read whole, they took ~100 MB more.
    wide = hostile_study(tmp_path / "wide", lambda folder: year_of_tiny(folder, 1500, "0.5"))
    narrow = hostile_study(tmp_path / "narrow", lambda folder: year_of_tiny(folder, 0, "0.5"))
    outcome = run_dispatch("validate", wide, timeout=60)
    assert outcome.code == 0, outcome.stderr
    baseline = run_dispatch("validate", narrow, timeout=60)
    assert baseline.code == 0, baseline.stderr
    assert outcome.peak_mib < baseline.peak_mib + 30, (outcome.peak_mib, baseline.peak_mib)


def test_csv_columns_no_field_names_may_hold_anything(tmp_path: Path) -> None:
    folder = hostile_study(tmp_path, lambda folder: year_of_tiny(folder, 2, "see notes"))
    study = load_study(folder, hours=4)
    assert study.series["s/solar.availability"].tolist() == [0.5] * 4


def test_csv_column_names_longer_than_a_mebibyte_are_refused_before_they_are_read(
    tmp_path: Path,
) -> None:
    names = ",".join(f"column{i}" for i in range(200_000))
    edit = write("profiles.csv", f"time,arr,solar,price,{names}\n")
    outcome = run_dispatch("validate", hostile_study(tmp_path, edit), timeout=60)
    assert_one_line_error(outcome, "profiles.csv", "column names", "more than 1 MiB")


def test_netcdf_series_of_millions_of_steps_is_refused_before_they_are_loaded(
    tmp_path: Path,
) -> None:
    # 20,000,000 steps of zeros compress to a few MB and take 160 MB per variable.
    steps = 20_000_000

    def long_file(folder: Path) -> None:
        time = ("time", np.arange(steps), {"units": "hours since 2025-06-01 00:00:00"})
        zeros = {name: ("time", np.zeros(steps)) for name in ("arr", "solar", "price")}
        encoding = {name: {"zlib": True} for name in zeros}
        xr.Dataset(zeros, coords={"time": time}).to_netcdf(
            folder / "profiles.nc", encoding=encoding
        )
        replace(".csv:", ".nc:")(folder)

    outcome = run_dispatch("validate", hostile_study(tmp_path, long_file), timeout=60)
    assert_one_line_error(outcome, "profiles.nc", "time", f"has {steps} rows")
    four_steps = hostile_study(tmp_path / "four", profiles_nc(lambda ds: ds))
    baseline = run_dispatch("validate", four_steps, timeout=60)
    assert baseline.code == 0, baseline.stderr
    assert outcome.peak_mib < baseline.peak_mib + 20, (outcome.peak_mib, baseline.peak_mib)


@pytest.mark.parametrize(
    ("rewrite", "solar"),
    [
        pytest.param(lambda text: text.replace("\n", "\r"), "solar", id="old-mac-line-ends"),
        pytest.param(lambda text: "\n  \n" + text, "solar", id="blank-lines-first"),
        pytest.param(
            lambda text: "\ufeff" + text.replace("\n", "\r\n"), "solar", id="bom-and-crlf"
        ),
        pytest.param(lambda text: text.replace("solar", "NA"), "NA", id="a-column-named-NA"),
    ],
)
def test_csv_files_pandas_reads_are_read_whatever_their_layout(
    tmp_path: Path, rewrite: Callable[[str], str], solar: str
) -> None:
    folder = hostile_study(tmp_path, lambda folder: year_of_tiny(folder, 40, "0.5"))
    path = folder / "profiles.csv"
    assert path.stat().st_size > 2**20  # the column names are not all of the first MiB
    path.write_text(rewrite(path.read_text()), newline="")
    scenario = folder / "scenario.yaml"
    scenario.write_text(scenario.read_text().replace(":solar", f":{solar}"))
    study = load_study(folder, hours=4)
    assert study.series["s/solar.availability"].tolist() == [0.5] * 4
