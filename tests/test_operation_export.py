"""Partner exchange of an operation (``dispatch exchange export`` of what ``dispatch
operate`` wrote): the plan issued at each decision time beside what was delivered, in
netCDF, CSV and OpenADR 3.0.1, and one-line refusals of folders that do not match."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from conftest import DATA
from dispatch import ScenarioError, export_plan, load_study, operate
from dispatch.cli import EXIT_BAD_INPUT, app
from dispatch.exchange.csv_format import IssuedPlansMetadata
from dispatch.exchange.fields import ISSUED_PLAN_FIELDS
from dispatch.exchange.openadr_reader import read_openadr, read_openadr_objects
from dispatch.operation.operation_result import OperationResult

OLKARIA = Path(__file__).parents[1] / "networks" / "olkaria"
FIELDS = list(ISSUED_PLAN_FIELDS)
runner = CliRunner()


@pytest.fixture(scope="module")
def operated(tmp_path_factory: pytest.TempPathFactory) -> tuple[OperationResult, Path]:
    """Three days of olkaria operated with perfect forecasts, 48 h plans every 24 h,
    and the folder it was written to."""
    result = operate(load_study(OLKARIA, hours=72), lookahead_h=48, commit_h=24)
    folder = tmp_path_factory.mktemp("operated") / "olkaria"
    result.write(folder)
    return result, folder


def delivered(result: OperationResult, name: str) -> np.ndarray:
    """The realised values of a field in the result's flexible run (summed over
    workload classes or carriers) [MW]."""
    variable = result.dispatch[name].sel(run="flexible", site="olkaria")
    extra = [d for d in variable.dims if d != "snapshot"]
    return (variable.sum(extra) if extra else variable).values


def committed(values: np.ndarray, commit: int = 24) -> np.ndarray:
    """The committed steps of each plan (by decision and step), one after the other."""
    return values[:, :commit].reshape(-1)


def test_netcdf_holds_every_plan_and_what_was_delivered(
    operated: tuple[OperationResult, Path], tmp_path: Path
) -> None:
    result, folder = operated
    out = tmp_path / "plans.nc"
    assert export_plan(folder, "netcdf", out) == [out]
    snapshots = result.study.snapshots.tz_localize(None)
    with xr.open_dataset(out) as ds:
        assert dict(ds.sizes) == {"issue_time": 3, "step": 48, "time": 72, "nv": 2}
        assert (ds["issue_time"].values == snapshots[::24].values).all()
        assert (ds["time"].values == snapshots.values).all()
        lead = ds["lead_time_h"].values.astype("timedelta64[h]")
        assert (ds["valid_time"].values == ds["issue_time"].values[:, None] + lead).all()
        assert ds.attrs["time_step"] == "PT1H"
        assert ds.attrs["commit"] == "P1D" and ds.attrs["lookahead"] == "P2D"
        assert ds.attrs["schema"] == "dispatch-exchange" and ds.attrs["Conventions"] == "CF-1.8"
        assert ds["issue_time"].attrs["standard_name"] == "forecast_reference_time"
        unitless = {"committed", "valid_time_bnds", "time_bnds"}  # a flag; bounds
        assert all("units" in ds[v].attrs for v in ds.data_vars if v not in unitless)
        flags = ds["committed"].values.astype(bool)
        assert flags.sum() == 72 and flags[:, :24].all() and not flags[:, 24:].any()
        # The last plan is cut at the horizon's end.
        assert np.isnan(ds["grid_import"].values[-1, 24:]).all()
        plans = result.plans.sel(site="olkaria")
        for name in FIELDS:
            planned = ds[name].values
            np.testing.assert_array_equal(committed(planned), committed(plans[name].values))
            np.testing.assert_allclose(ds[f"delivered_{name}"].values, delivered(result, name))
        # Perfect forecasts: the work was done as committed, at the committed power.
        np.testing.assert_allclose(
            committed(ds["facility_power"].values), delivered(result, "facility_power"), atol=1e-9
        )
        assert float(ds["total_cost"]) == pytest.approx(result.summary["total_cost"])


def test_the_netcdf_of_a_result_equals_that_of_its_folder(
    operated: tuple[OperationResult, Path], tmp_path: Path
) -> None:
    result, folder = operated
    export_plan(result, "netcdf", tmp_path / "memory.nc")
    export_plan(folder, "netcdf", tmp_path / "folder.nc")
    with xr.open_dataset(tmp_path / "memory.nc") as a, xr.open_dataset(tmp_path / "folder.nc") as b:
        xr.testing.assert_identical(a, b)


def test_csv_has_a_row_per_decision_and_step_and_its_metadata(
    operated: tuple[OperationResult, Path], tmp_path: Path
) -> None:
    result, folder = operated
    out = tmp_path / "plans.csv"
    assert export_plan(folder, "csv", out) == [out, tmp_path / "plans.json"]
    table = pd.read_csv(out)
    assert list(table.columns[:4]) == ["issue_time", "time", "lead_time_h", "committed"]
    assert len(table) == 48 + 48 + 24  # the last plan is cut at the horizon's end
    times = result.study.snapshots.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert list(table["issue_time"].unique()) == list(times[::24])
    done = table[table["committed"] == 1]
    assert list(done["time"]) == list(times)  # every hour committed once, in order
    for name in FIELDS:
        expected = committed(result.plans[name].sel(site="olkaria").values)
        np.testing.assert_array_equal(done[name].to_numpy(), expected)
        np.testing.assert_allclose(done[f"delivered_{name}"], delivered(result, name))
    meta = IssuedPlansMetadata.model_validate_json((tmp_path / "plans.json").read_text())
    assert meta.schema_name == "dispatch-exchange" and meta.time_step == "PT1H"
    assert set(meta.fields) == set(table.columns) - {"issue_time", "time"}
    assert meta.fields["grid_import"].units == "MW"
    # A second export replaces the files dispatch wrote.
    assert export_plan(folder, "csv", out) == [out, tmp_path / "plans.json"]


def test_openadr_has_a_valid_report_per_decision(
    operated: tuple[OperationResult, Path], tmp_path: Path
) -> None:
    result, folder = operated
    out = tmp_path / "plans.json"
    export_plan(folder, "openadr", out)
    read_openadr_objects(out, str(out))  # every object checked against the 3.0.1 models
    with pytest.raises(ScenarioError, match="holds no event \\(report\\)"):
        read_openadr(out, str(out))  # reports alone carry no signals
    reports = json.loads(out.read_text())
    plans, rest = reports[:3], reports[3:]
    assert [r["reportName"] for r in rest] == [
        "delivered by olkaria in study olkaria",
        "key figures of olkaria in study olkaria",
    ]
    issued = result.plans.sel(site="olkaria")
    for k, report in enumerate(plans):
        resource = report["resources"][0]
        start = pd.Timestamp(resource["intervalPeriod"]["start"])
        assert start == result.study.snapshots[24 * k]
        assert str(start.isoformat()) in report["reportName"].replace("Z", "+00:00")
        intervals = resource["intervals"]
        assert len(intervals) == (48 if k < 2 else 24)
        values = {p["type"]: [] for p in intervals[0]["payloads"]}
        for interval in intervals:
            for payload in interval["payloads"]:
                values[payload["type"]].append(payload["values"][0])
        assert values["COMMITTED"] == [True] * 24 + [False] * (len(intervals) - 24)
        planned = issued["grid_import"].values[k, : len(intervals)]
        np.testing.assert_allclose(np.array(values["USAGE_FORECAST"]) / 1e3, planned)
        facility = issued["facility_power"].values[k, : len(intervals)]
        np.testing.assert_allclose(np.array(values["FACILITY_DEMAND_FORECAST"]) / 1e3, facility)
    descriptors = {d["payloadType"]: d for d in rest[0]["payloadDescriptors"]}
    assert descriptors["USAGE"]["readingType"] == "DIRECT_READ"
    usage = [i["payloads"][0]["values"][0] for i in rest[0]["resources"][0]["intervals"]]
    np.testing.assert_allclose(np.array(usage) / 1e3, delivered(result, "grid_import"))


def test_the_command_exports_an_operated_study_in_each_format(tmp_path: Path) -> None:
    study = Path(shutil.copytree(DATA / "tiny", tmp_path / "tiny"))
    folder = tmp_path / "operated"
    args = ["operate", str(study), "--out", str(folder), "--lookahead-h", "3", "--commit-h", "2"]
    outcome = runner.invoke(app, [*args, "--forecast", "error", "--seed", "1"])
    assert outcome.exit_code == 0, outcome.output
    for fmt, name in (("netcdf", "p.nc"), ("csv", "p.csv"), ("openadr", "p.json")):
        out = tmp_path / fmt / name
        out.parent.mkdir()
        outcome = runner.invoke(app, ["exchange", "export", str(folder), "-f", fmt, "-o", str(out)])
        assert outcome.exit_code == 0, outcome.output
        assert outcome.output.startswith(f"wrote {out}")
    with xr.open_dataset(tmp_path / "netcdf" / "p.nc") as ds:
        assert ds.sizes["issue_time"] == 2 and ds.attrs["forecast"] == "error"
    assert len(json.loads((tmp_path / "openadr" / "p.json").read_text())) == 2 + 2


def refused(args: list[str], *named: str) -> None:
    """The command fails with exit code 2 and one line naming each of ``named``."""
    outcome = runner.invoke(app, args)
    assert outcome.exit_code == EXIT_BAD_INPUT, outcome.output
    lines = outcome.output.strip().splitlines()
    assert len(lines) == 1, outcome.output
    assert all(name in lines[0] for name in named), lines[0]


@pytest.fixture
def copied(operated: tuple[OperationResult, Path], tmp_path: Path) -> Path:
    """A writable copy of the operated folder."""
    return Path(shutil.copytree(operated[1], tmp_path / "copy"))


def test_an_operation_without_plans_is_refused(copied: Path, tmp_path: Path) -> None:
    (copied / "plans.nc").unlink()
    out = tmp_path / "p.nc"
    refused(["exchange", "export", str(copied), "-f", "netcdf", "-o", str(out)], "plans.nc")
    assert not out.exists()


def test_plans_of_another_study_are_refused(copied: Path, tmp_path: Path) -> None:
    tiny = tmp_path / "tiny"
    result = operate(load_study(DATA / "tiny"), lookahead_h=3, commit_h=2)
    result.write(tiny)
    shutil.copyfile(tiny / "plans.nc", copied / "plans.nc")
    out = tmp_path / "p.csv"
    refused(["exchange", "export", str(copied), "-f", "csv", "-o", str(out)], "plans.nc")
    assert not out.exists()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda ds: ds.drop_vars("grid_import"), "grid_import"),
        (lambda ds: ds.assign_attrs(commit_h=5.5), "commit_h"),
        (lambda ds: ds.isel(issue_time=[0, 2]), "issue_time"),
        (lambda ds: ds.assign(grid_export=ds["grid_export"].where(ds["step"] != 3)), "NaN"),
    ],
)
def test_plans_that_do_not_match_are_refused(
    copied: Path, tmp_path: Path, change: object, named: str
) -> None:
    with xr.open_dataset(copied / "plans.nc") as ds:
        changed = change(ds.load())  # type: ignore[operator]
    changed.to_netcdf(copied / "plans.nc")
    refused(
        ["exchange", "export", str(copied), "-f", "openadr", "-o", str(tmp_path / "p.json")],
        "plans.nc",
        named,
    )


def test_a_damaged_plans_file_is_refused(copied: Path, tmp_path: Path) -> None:
    (copied / "plans.nc").write_bytes(b"CDF\x01" + b"\x00" * 40)
    refused(["exchange", "export", str(copied), "-f", "netcdf", "-o", str(tmp_path / "p.nc")])


def test_envelope_options_are_refused_for_an_operation(
    operated: tuple[OperationResult, Path], tmp_path: Path
) -> None:
    folder = operated[1]
    out = tmp_path / "p.nc"
    args = ["exchange", "export", str(folder), "-f", "netcdf", "-o", str(out)]
    refused([*args, "--window-h", "6"], "window_h")
    with pytest.raises(ScenarioError, match="scenario"):
        export_plan(folder, "netcdf", out, scenario=OLKARIA)
    assert not out.exists()
