"""Hostile partner files and damaged result folders: one line, exit 2, nothing written.

Each case edits a shipped partner sample (``networks/solar-battery/partner``) or a
result folder of ``tests/data/tiny`` in one way and runs ``dispatch exchange import``
or ``dispatch exchange export`` on it in a fresh process, whose address space is
capped: the run must end with exit 2 and one line naming the file and the field, in
bounded time and memory, leave its inputs as they were and write nothing.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import netCDF4
import numpy as np
import pytest
import xarray as xr

from hostile import TINY, assert_one_line_error, copy_study, litter, run_dispatch, tree

PARTNER = Path(__file__).parents[1] / "networks" / "solar-battery" / "partner"
SECONDS = 60
"""Longest a refused file may take [s]."""
PEAK_MIB = 1500
"""Most memory a refused file may take [MiB]."""
CLASSIC_HEADER_BOMB = b"CDF\x01" + b"\x00" * 4 + b"\x00\x00\x00\x0a\x7f\xff\xff\xff" + b"\x00" * 64
"""A classic netCDF header announcing 2**31 - 1 dimensions in 80 bytes."""


def _openadr(edit: Callable[[list], object]) -> Callable[[Path], Path]:
    """A writer of the sample OpenADR document after ``edit``."""

    def write(folder: Path) -> Path:
        document = json.loads((PARTNER / "openadr-event.json").read_text())
        edit(document)
        path = folder / "event.json"
        path.write_text(json.dumps(document))
        return path

    return write


def _openadr_text(old: str, new: str) -> Callable[[Path], Path]:
    """A writer of the sample OpenADR text with its first ``old`` replaced by ``new``."""

    def write(folder: Path) -> Path:
        text = (PARTNER / "openadr-event.json").read_text()
        assert old in text
        path = folder / "event.json"
        path.write_text(text.replace(old, new, 1))
        return path

    return write


def _file(name: str, content: str | bytes) -> Callable[[Path], Path]:
    """A writer of ``content`` as file ``name``."""

    def write(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return path

    return write


def _csv(old: str = "", new: str = "", meta: Callable[[dict], object] = dict) -> Callable:
    """A writer of the sample CSV (first ``old`` replaced) and its metadata after ``meta``."""

    def write(folder: Path) -> Path:
        text = (PARTNER / "signals.csv").read_text()
        assert old in text
        (folder / "signals.csv").write_text(text.replace(old, new, 1))
        metadata = json.loads((PARTNER / "signals.json").read_text())
        meta(metadata)
        (folder / "signals.json").write_text(json.dumps(metadata))
        return folder / "signals.csv"

    return write


def _netcdf(edit: Callable[[xr.Dataset], xr.Dataset]) -> Callable[[Path], Path]:
    """A writer of the sample netCDF file after ``edit``."""

    def write(folder: Path) -> Path:
        with xr.open_dataset(PARTNER / "signals.nc", decode_times=False) as ds:
            edited = edit(ds.load())
        for variable in edited.variables.values():
            variable.encoding = {}
        edited.to_netcdf(folder / "signals.nc")
        return folder / "signals.nc"

    return write


def _huge_compressed_dimension(folder: Path) -> Path:
    """A 10 kB netCDF-4 file whose calls, compressed, would be 800 MB."""
    path = folder / "signals.nc"
    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        nc.setncatts({"schema": "dispatch-exchange", "schema_version": "1.0", "time_step": "PT1H"})
        nc.createDimension("time", 4)
        time = nc.createVariable("time", "i8", ("time",))
        time.units, time[:] = "hours since 2025-06-01", np.arange(4)
        nc.createDimension("call", 10**8)
        limit = nc.createVariable(
            "call_import_limit", "f8", ("call",), zlib=True, chunksizes=(10**6,)
        )
        limit.units = "MW"
    return path


def _call_limits_on_other_dimension(ds: xr.Dataset) -> xr.Dataset:
    limits = ds["call_import_limit"]
    return ds.drop_vars("call_import_limit").assign(
        call_import_limit=(("limits",), np.array([25.0, 30.0]), limits.attrs)
    )


def _values(ds: xr.Dataset, name: str, values: np.ndarray, dims: tuple[str, ...]) -> xr.Dataset:
    return ds.assign({name: (dims, values, ds[name].attrs)})


def _period(field: str, value: str) -> Callable[[list], object]:
    return lambda document: document[0]["intervalPeriod"].update({field: value})


def _call_limit(value: float, kind: str = "IMPORT_CAPACITY_LIMIT") -> Callable[[list], object]:
    """An edit giving the sample's demand-response call the limit ``value`` of type ``kind``."""

    def edit(document: list) -> None:
        call = document[1]
        call["payloadDescriptors"][0]["payloadType"] = kind
        call["intervals"][0]["payloads"][0].update(type=kind, values=[value])

    return edit


IMPORTS = {
    "openadr_duration_of_1e11_hours": (
        _openadr(_period("duration", "PT99999999999H")),
        "intervalPeriod.duration",
    ),
    "openadr_duration_in_years": (
        _openadr(_period("duration", "P9999999Y")),
        "intervalPeriod.duration",
    ),
    "openadr_period_ending_after_2262": (
        _openadr(_period("start", "2262-04-11T20:00:00Z")),
        "duration",
    ),
    "openadr_value_10_to_the_400": (_openadr_text("0.1091", "1" + "0" * 400), "PRICE"),
    "openadr_nan_literal": (_openadr_text("0.1091", "NaN"), "PRICE"),
    "openadr_integer_of_5000_digits": (_openadr_text('"id": 0', '"id": 1' + "0" * 5000), "id"),
    "openadr_duplicate_key": (
        _openadr_text('"programID": "seville-flex-2025"', '"programID": "a", "programID": "b"'),
        "programID",
    ),
    "openadr_nested_100000_deep": (_file("event.json", "[" * 100_000 + "]" * 100_000), "JSON"),
    "openadr_object_type_a_list": (
        _openadr(lambda document: document[0].update(objectType=["EVENT"])),
        "objectType",
    ),
    "openadr_truncated": (
        _file("event.json", (PARTNER / "openadr-event.json").read_text()[:5000]),
        "JSON",
    ),
    "openadr_start_now": (_openadr(_period("start", "now")), "intervalPeriod.start"),
    "openadr_capacity_limit_nan": (_openadr(_call_limit(float("nan"))), "IMPORT_CAPACITY_LIMIT"),
    "openadr_capacity_limit_minus_infinity": (
        _openadr(_call_limit(float("-inf"))),
        "IMPORT_CAPACITY_LIMIT",
    ),
    "openadr_capacity_limit_negative": (_openadr(_call_limit(-5)), "IMPORT_CAPACITY_LIMIT"),
    "openadr_capacity_limit_of_400_digits": (
        _openadr(_call_limit(-(10**400))),
        "IMPORT_CAPACITY_LIMIT",
    ),
    "openadr_export_capacity_limit_negative": (
        _openadr(_call_limit(-1, "EXPORT_CAPACITY_LIMIT")),
        "EXPORT_CAPACITY_LIMIT",
    ),
    "netcdf_text_values": (
        _netcdf(lambda ds: ds.assign(import_price=ds["import_price"].astype(str))),
        "import_price",
    ),
    "netcdf_2d_signal": (
        _netcdf(lambda ds: _values(ds, "import_price", np.ones((168, 2)), ("time", "x"))),
        "import_price",
    ),
    "netcdf_call_limits_longer_than_starts": (
        _netcdf(_call_limits_on_other_dimension),
        "call_import_limit",
    ),
    "netcdf_infinite_value": (
        _netcdf(lambda ds: _values(ds, "surplus", np.full(168, np.inf), ("time",))),
        "surplus",
    ),
    "netcdf_time_bounds_naming_a_signal": (
        _netcdf(lambda ds: ds.assign(time=ds["time"].assign_attrs(bounds="import_limit"))),
        "time.bounds",
    ),
    "netcdf_classic_header_announcing_2e31_dimensions": (
        _file("signals.nc", CLASSIC_HEADER_BOMB),
        "header",
    ),
    "netcdf_compressed_dimension_of_1e8_calls": (_huge_compressed_dimension, "call"),
    "netcdf_value_above_valid_max": (  # CF 2.5.1: missing, as NaN would be
        _netcdf(lambda ds: ds.assign(import_price=ds["import_price"].assign_attrs(valid_max=0))),
        "import_price",
    ),
    "netcdf_valid_range_as_text": (
        _netcdf(lambda ds: ds.assign(surplus=ds["surplus"].assign_attrs(valid_range="0 to 9"))),
        "surplus",
    ),
    "netcdf_scale_factor_as_text": (
        _netcdf(
            lambda ds: ds.assign(import_price=ds["import_price"].assign_attrs(scale_factor="x"))
        ),
        "import_price",
    ),
    "csv_header_of_a_million_columns": (
        _csv("time,", "time," + ",".join(f"c{i}" for i in range(10**6)) + ","),
        "fields.c0",
    ),
    "csv_value_10_to_the_400": (_csv("0.1121", "1" + "0" * 400), "import_price"),
    "csv_duplicate_column": (_csv("export_price", "import_price"), "import_price"),
    "csv_time_now": (_csv("2025-01-01T01:00:00", "now"), "time"),
    "csv_call_limit_true": (
        _csv(meta=lambda m: m["demand_response_calls"][0].update(import_limit=True)),
        "demand_response_calls[0].import_limit",
    ),
    "csv_time_zone_of_100000_characters": (
        _csv(meta=lambda m: m.update(time_zone="A" * 100_000)),
        "time_zone",
    ),
    "csv_time_step_of_99999_weeks": (
        _csv(meta=lambda m: m.update(time_step="P99999W")),
        "time_step",
    ),
}


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tiny study, which the imports must leave as it is."""
    return copy_study(TINY, tmp_path_factory.mktemp("study") / "tiny")


@pytest.mark.parametrize("case", IMPORTS)
def test_import_refuses(case: str, study: Path, tmp_path: Path) -> None:
    write, field = IMPORTS[case]
    partner = tmp_path / "partner"
    partner.mkdir()
    path = write(partner)
    before = tree(partner), tree(study)
    out = tmp_path / "out"

    outcome = run_dispatch("exchange", "import", path, "--scenario", study, "--out", out)

    line = assert_one_line_error(outcome, field)
    assert path.name in line or path.with_suffix(".json").name in line
    assert (tree(partner), tree(study)) == before
    assert not out.exists() and not litter(tmp_path)
    assert outcome.seconds < SECONDS and outcome.peak_mib < PEAK_MIB


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The result folder of the tiny study, as ``dispatch run`` writes it."""
    folder = tmp_path_factory.mktemp("result") / "tiny"
    outcome = run_dispatch("run", TINY, "--out", folder)
    assert outcome.code == 0, outcome.stderr
    return folder


def _summary(edit: Callable[[dict], object]) -> Callable[[Path], object]:
    def damage(folder: Path) -> None:
        summary = json.loads((folder / "summary.json").read_text())
        edit(summary)
        (folder / "summary.json").write_text(json.dumps(summary))

    return damage


def _dispatch(edit: Callable[[xr.Dataset], xr.Dataset]) -> Callable[[Path], object]:
    """Replace dispatch.nc by its content after ``edit``."""

    def damage(folder: Path) -> None:
        with xr.open_dataset(folder / "dispatch.nc") as ds:
            dataset = edit(ds.load())
        (folder / "dispatch.nc").unlink()
        dataset.to_netcdf(folder / "dispatch.nc")

    return damage


def _truncate(name: str) -> Callable[[Path], object]:
    return lambda folder: (folder / name).write_bytes((folder / name).read_bytes()[:4000])


EXPORTS = {
    "summary_not_json": (_file("summary.json", b"{not json"), "summary.json", "JSON"),
    "summary_an_array": (_file("summary.json", b"[]"), "summary.json", "JSON object"),
    "summary_without_units": (_summary(lambda s: s.pop("units")), "summary.json", "units"),
    "summary_figure_as_text": (
        _summary(lambda s: s.update(total_cost="1399.5")),
        "summary.json",
        "total_cost",
    ),
    "summary_figure_nan": (
        _summary(lambda s: s.update(total_cost=float("nan"))),
        "summary.json",
        "total_cost",
    ),
    "summary_sites_a_list": (_summary(lambda s: s.update(sites=[1])), "summary.json", "sites"),
    "dispatch_nc_missing": (lambda f: (f / "dispatch.nc").unlink(), "result", "dispatch.nc"),
    "dispatch_nc_not_netcdf": (_file("dispatch.nc", b"garbage"), "dispatch.nc", "netCDF"),
    "dispatch_nc_truncated": (_truncate("dispatch.nc"), "dispatch.nc", "netCDF"),
    "dispatch_nc_classic_header_bomb": (
        _file("dispatch.nc", CLASSIC_HEADER_BOMB),
        "dispatch.nc",
        "header",
    ),
    "dispatch_nc_step_as_text": (
        _dispatch(lambda ds: ds.assign_attrs(step_h="1")),
        "dispatch.nc",
        "step_h",
    ),
    "network_nc_missing": (lambda f: (f / "network.nc").unlink(), "result", "network.nc"),
    "network_nc_truncated": (_truncate("network.nc"), "network.nc", "netCDF"),
    "network_nc_not_a_network": (
        lambda f: shutil.copyfile(f / "dispatch.nc", f / "network.nc"),
        "network.nc",
        "buses",
    ),
    "network_nc_of_another_horizon": (
        _dispatch(lambda ds: ds.isel(snapshot=slice(0, 2))),
        "network.nc",
        "snapshots",
    ),
}


@pytest.mark.parametrize("case", EXPORTS)
def test_export_refuses(case: str, result: Path, tmp_path: Path) -> None:
    damage, file, field = EXPORTS[case]
    folder = Path(shutil.copytree(result, tmp_path / "result"))
    damage(folder)
    before = tree(folder)
    out = tmp_path / "plan.json"

    outcome = run_dispatch("exchange", "export", folder, "--format", "openadr", "--out", out)

    assert_one_line_error(outcome, file, field)
    assert tree(folder) == before
    assert not out.exists() and not litter(tmp_path)
    assert outcome.seconds < SECONDS and outcome.peak_mib < PEAK_MIB


def _partner_openadr_of_dispatch_program(folder: Path) -> None:
    """The sample OpenADR events under the program ID of dispatch's plans of the tiny
    study, which a partner learns from them."""
    document = json.loads((PARTNER / "openadr-event.json").read_text())
    for event in document:
        event["programID"] = "dispatch-tiny"
    (folder / "events.json").write_text(json.dumps(document))


def _partner_files(folder: Path) -> None:
    """The partner's sample signals in every format, as a partner sends them."""
    for name in ("signals.csv", "signals.json", "signals.nc"):
        shutil.copyfile(PARTNER / name, folder / name)
    _partner_openadr_of_dispatch_program(folder)


OVER_PARTNER_FILES = {
    "csv_over_signals_csv": ("csv", "signals.csv", "signals.csv"),
    "csv_beside_the_partner_openadr": ("csv", "events.csv", "events.json"),
    "netcdf_over_signals_nc": ("netcdf", "signals.nc", "signals.nc"),
    "openadr_over_events_of_dispatch_program": ("openadr", "events.json", "events.json"),
    "openadr_over_csv_metadata": ("openadr", "signals.json", "signals.json"),
}
"""Exports over a partner's signals file: format, target, the file the refusal names."""


@pytest.mark.parametrize("case", OVER_PARTNER_FILES)
def test_export_leaves_partner_signals_alone(case: str, result: Path, tmp_path: Path) -> None:
    fmt, target, named = OVER_PARTNER_FILES[case]
    partner = tmp_path / "partner"
    partner.mkdir()
    _partner_files(partner)
    before = tree(partner)

    outcome = run_dispatch("exchange", "export", result, "--format", fmt, "--out", partner / target)

    line = assert_one_line_error(outcome, "not a plan file dispatch exported")
    assert line.startswith(f"error: {partner / named}: ")
    assert tree(partner) == before and not litter(partner)
