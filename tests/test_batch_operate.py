"""Operated sweeps (``command: operate``): every variant operated as ``dispatch operate``
on local processes and on Dask, its figures in the batch summary, bad values refused."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from dispatch import load_study, load_sweep, operate, run_sweep, solve
from dispatch.batch.summary import flat_figures
from dispatch.cli import EXIT_VARIANTS_FAILED, app
from test_batch import ROOT, one_line_error, write_sweep
from test_operate import OPERATION_FILES

LOOKAHEAD, COMMIT = "operation.lookahead_h", "operation.commit_h"
METHOD = "operation.forecast.method"
DARK = {  # firm load beyond what the night's grid import can carry: infeasible
    "sites.s.grid.import_limit_mw": 0.5,
    "sites.s.datacentre.firm_mw": 6,
    "sites.s.datacentre.deferrable.arrivals_mwh": 0,
}
OPERATED = {
    "base": "tiny",  # four hours; its scenario has no operation block
    "command": "operate",
    "product": {LOOKAHEAD: [2, 4], COMMIT: [2]},
    "variants": [
        {"name": "error", "set": {LOOKAHEAD: 4, COMMIT: 2, METHOD: "error"}},
        {"name": "dark", "set": DARK},
    ],
}
"""Three operated variants of the four-hour study and an infeasible one."""
SETTINGS = {  # name: (lookahead [h], commit [h], forecast method)
    "lookahead_h=2,commit_h=2": (2, 2, "perfect"),
    "lookahead_h=4,commit_h=2": (4, 2, "perfect"),
    "error": (4, 2, "error"),
}
FORESIGHT = [
    "foresight_realised_cost",
    "perfect_foresight_total_cost",
    "foresight_cost_of_imperfect_foresight",
    "foresight_absorbed_mwh_realised",
    "foresight_absorbed_mwh_perfect_foresight",
    "foresight_cfe_score_realised",
    "foresight_cfe_score_perfect_foresight",
    "operation_late_mwh",
    "operation_firm_unserved_mwh",
    "operation_decisions",
]
"""The operation's figures every operated row has."""
runner = CliRunner()


@pytest.fixture(scope="module")
def operated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The operated sweep on two local workers, from the command line: (sweep, out)."""
    folder = tmp_path_factory.mktemp("operated")
    sweep = write_sweep(folder, OPERATED)
    out = folder / "out"
    result = runner.invoke(app, ["batch", str(sweep), "--out", str(out), "-w", "2"])
    assert result.exit_code == EXIT_VARIANTS_FAILED, result.output  # the dark variant
    assert "operating 4 on 2 local workers" in result.output
    assert "3 ok, 1 infeasible" in result.output
    return sweep, out


def test_each_row_equals_a_direct_operate_with_the_same_settings(
    operated: tuple[Path, Path],
) -> None:
    sweep, out = operated
    table = pd.read_csv(out / "summary.csv", index_col="variant")
    assert list(table.index) == [*SETTINGS, "dark"]
    assert list(table.columns[:5]) == ["status", "error", LOOKAHEAD, COMMIT, METHOD]
    # The values each variant has, changed or not (the base's default method).
    assert list(table[METHOD]) == ["perfect", "perfect", "error", "perfect"]
    study = load_study(sweep.parent / "tiny")
    for name, (lookahead_h, commit_h, method) in SETTINGS.items():
        assert {p.name for p in (out / "variants" / name).iterdir()} == OPERATION_FILES
        row = table.loc[name]
        assert row["status"] == "ok"
        assert (row[LOOKAHEAD], row[COMMIT], row[METHOD]) == (lookahead_h, commit_h, method)
        direct = operate(study, lookahead_h=lookahead_h, commit_h=commit_h, forecast=method)
        figures, _ = flat_figures(direct.summary)
        assert set(FORESIGHT) <= set(figures)
        assert row[list(figures)].tolist() == pytest.approx(
            list(figures.values()), rel=1e-6, abs=1e-6
        )
        assert row["operation_decisions"] == 2  # four hours, a decision every two
    assert table.loc["dark", "status"] == "infeasible"
    assert "firm load" in table.loc["dark", "error"]
    assert table.loc[:, FORESIGHT].loc["dark"].isna().all()
    assert not (out / "variants" / "dark").exists()
    with xr.open_dataset(out / "summary.nc") as ds:
        assert ds.attrs["command"] == "operate"
        assert LOOKAHEAD in ds.coords and METHOD in ds.coords
        assert ds["foresight_realised_cost"].attrs["units"] == "1"  # CF: UDUNITS-2 units
        assert ds["foresight_realised_cost"].attrs["currency"] == "EUR"
        assert ds["operation_late_mwh"].attrs["units"] == "MW h"
        assert ds["foresight_cfe_score_realised"].attrs["units"] == "1"


def test_a_lookahead_of_the_horizon_with_perfect_forecasts_costs_the_optimum(
    operated: tuple[Path, Path],
) -> None:
    sweep, out = operated
    table = pd.read_csv(out / "summary.csv", index_col="variant")
    optimum = solve(load_study(sweep.parent / "tiny"), parallel=False).summary["total_cost"]
    whole = table.loc["lookahead_h=4,commit_h=2"]
    assert whole["foresight_realised_cost"] == pytest.approx(optimum, rel=1e-6)
    assert whole["foresight_cost_of_imperfect_foresight"] == pytest.approx(0, abs=1e-6)
    for name in SETTINGS:  # no operation beats the optimum
        row = table.loc[name]
        assert row["perfect_foresight_total_cost"] == pytest.approx(optimum, rel=1e-9)
        assert row["foresight_realised_cost"] >= optimum - 1e-6 * abs(optimum)
    # forecast errors cost something here, or the test could not tell them apart
    assert table.loc["error", "foresight_realised_cost"] > optimum + 1e-6


def test_dask_cluster_gives_the_local_table(operated: tuple[Path, Path], tmp_path: Path) -> None:
    from distributed import LocalCluster

    sweep, local_out = operated
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        report = run_sweep(sweep, tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert report.failed == ["dark"] and not report.interrupted
    dask_table = pd.read_csv(tmp_path / "dask" / "summary.csv", index_col="variant")
    pd.testing.assert_frame_equal(
        dask_table, pd.read_csv(local_out / "summary.csv", index_col="variant")
    )
    for name in SETTINGS:
        assert {p.name for p in (tmp_path / "dask" / "variants" / name).iterdir()} == (
            OPERATION_FILES
        )


def test_a_rerun_skips_operated_variants_and_the_command_is_part_of_the_inputs(
    operated: tuple[Path, Path],
) -> None:
    sweep, out = operated
    report = run_sweep(sweep, out, workers=1, progress=False)
    assert (report.skipped, report.solved, report.failed) == (4, 0, ["dark"])
    result = runner.invoke(app, ["batch", str(sweep), "--out", str(out), "--dry-run"])
    assert result.exit_code == 0 and "to operate: none" in result.output
    spec = json.loads(json.dumps(OPERATED))
    spec["command"] = "run"
    solved = load_sweep(write_sweep(sweep.parent, spec, "run.yaml"))
    operated_sweep = load_sweep(sweep)
    assert (solved.command, operated_sweep.command) == ("run", "operate")
    for run_variant, operated_variant in zip(solved.variants, operated_sweep.variants, strict=True):
        assert run_variant.name == operated_variant.name
        assert run_variant.inputs != operated_variant.inputs  # a run's folder is not reused


BAD_VALUES = [
    # (changes of one named variant, words the one-line error must contain)
    ({LOOKAHEAD: 2, COMMIT: 3}, [COMMIT, "exceeds lookahead_h"]),
    ({LOOKAHEAD: 2.5, COMMIT: 1}, [LOOKAHEAD, "step"]),
    ({METHOD: "clairvoyant", COMMIT: 2}, [METHOD, "perfect"]),
    ({"operation.forecast.sigma_pu": -1, COMMIT: 2}, ["operation.forecast.sigma_pu"]),
    ({"sites.s.cfe_target": 0.9, COMMIT: 2}, ["sites.s.cfe_target", "operate"]),
]


@pytest.mark.parametrize(("changes", "words"), BAD_VALUES)
def test_a_bad_operated_variant_is_refused_before_any_runs(
    tmp_path: Path, changes: dict, words: list[str]
) -> None:
    spec = {
        "base": "tiny",
        "command": "operate",
        "product": {LOOKAHEAD: [4], COMMIT: [2]},
        "variants": [{"name": "bad", "set": changes}],  # last: found before any solve
    }
    sweep = write_sweep(tmp_path, spec)
    out = tmp_path / "out"
    for extra in ([], ["--dry-run"]):
        command = ["batch", str(sweep), "-o", str(out), *extra]
        message = one_line_error(runner.invoke(app, command))
        assert all(w in message for w in [str(sweep), "'bad'", *words]), message
    assert not out.exists()


def test_an_unknown_command_is_one_line(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path, {**OPERATED, "command": "simulate"})
    message = one_line_error(runner.invoke(app, ["batch", str(sweep), "-o", str(tmp_path / "o")]))
    assert "command" in message and "operate" in message, message


def test_a_run_sweep_may_vary_the_operation_block_the_base_leaves_out(tmp_path: Path) -> None:
    sweep = load_sweep(write_sweep(tmp_path, {"base": "tiny", "product": {LOOKAHEAD: [48, 72]}}))
    assert sweep.command == "run"
    assert [v.scenario.operation.lookahead_h for v in sweep.variants] == [48, 72]
    assert [v.scenario.operation.commit_h for v in sweep.variants] == [24, 24]


def test_the_shipped_foresight_sweep_is_valid() -> None:
    sweep = load_sweep(ROOT / "networks" / "olkaria" / "foresight-sweep.yaml")
    assert sweep.command == "operate" and len(sweep.variants) == 10
    noisy = sweep.variants[-1].scenario.operation.forecast
    assert (noisy.method, noisy.seed, noisy.series["grid.import_price"].sigma_pu) == (
        "error",
        7,
        0.2,
    )
