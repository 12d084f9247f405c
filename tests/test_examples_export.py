"""Every shipped example exports its plan in every format, from its result folder.

An export of a result folder reads the plan back from ``network.nc``, in which PyPSA
leaves out every series equal to its default at every step (a reservoir that never
pumps or spills, a link that never runs): such a series is the default, not a
missing solution. The examples run on their first 48 hours here; the benchmark
``benchmarks/bench_cli.py`` exports full years.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from dispatch import Result, ScenarioError, load_study
from dispatch.cli import EXIT_BAD_INPUT, app
from dispatch.core.pypsa_settings import pypsa_settings
from dispatch.exchange.envelope import envelope_of_network
from dispatch.model.network import build_network
from dispatch.results.netcdf import export_network

ROOT = Path(__file__).parents[1]
NETWORKS = ROOT / "networks"
EXAMPLES = sorted(p.name for p in NETWORKS.iterdir() if (p / "scenario.yaml").is_file())
HOURS = 48
FORMATS = {"netcdf": ".nc", "csv": ".csv", "openadr": ".json"}
RESERVOIR = ROOT / "tests" / "data" / "reservoir_wind"
"""48 hours of a reservoir without a pump: PyPSA writes no ``p_store`` series for it."""
runner = CliRunner()


def export(folder: Path, fmt: str, out: Path, *extra: str) -> None:
    """``dispatch exchange export`` of ``folder``, asserting success."""
    args = ["exchange", "export", str(folder), "--format", fmt, "--out", str(out), *extra]
    outcome = runner.invoke(app, args)
    assert outcome.exit_code == 0, outcome.output
    assert str(out) in outcome.output


def exported_plan(path: Path, fmt: str, step_h: float) -> pd.DataFrame:
    """The plan and envelope of an exported file, by step: ``grid_import``,
    ``import_up``, ``import_down`` [MW]."""
    columns = ["grid_import", "import_up", "import_down"]
    if fmt == "netcdf":
        with xr.open_dataset(path) as ds:
            return ds[columns].to_dataframe().reset_index(drop=True)
    if fmt == "csv":
        return pd.read_csv(path)[columns]
    payloads = {
        "USAGE_FORECAST": ("grid_import", 1e-3 / step_h),  # kWh per step
        "DOWN_REGULATION_AVAILABLE": ("import_up", 1e-3),  # kW
        "UP_REGULATION_AVAILABLE": ("import_down", 1e-3),
    }
    objects = json.loads(path.read_text(encoding="utf-8"))
    plan = next(o for o in objects if o.get("reportName", "").startswith("plan"))
    values: dict[str, list[float]] = {name: [] for name, _ in payloads.values()}
    for interval in plan["resources"][0]["intervals"]:
        for payload in interval["payloads"]:
            if payload["type"] in payloads:
                name, factor = payloads[payload["type"]]
                values[name].append(payload["values"][0] * factor)
    return pd.DataFrame(values)[columns]


@pytest.fixture(scope="module")
def folders(
    solved: Callable[..., Result], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Each example's first 48 hours, solved and written as ``dispatch run`` writes."""
    scratch = tmp_path_factory.mktemp("examples")
    return {name: solved(NETWORKS / name, HOURS).write(scratch / name) for name in EXAMPLES}


def test_every_example_is_exported() -> None:
    assert EXAMPLES == ["multi-site", "nordic", "olkaria", "solar-battery"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_exports_every_site_in_every_format(
    name: str, fmt: str, folders: dict[str, Path], tmp_path: Path
) -> None:
    folder = folders[name]
    with xr.open_dataset(folder / "dispatch.nc") as ds:
        dataset = ds.load()
    sites = [str(s) for s in dataset["site"].values]
    for site in sites:
        out = tmp_path / f"{site}{FORMATS[fmt]}"
        export(folder, fmt, out, *(["--site", site] if len(sites) > 1 else []))
        table = exported_plan(out, fmt, float(dataset.attrs["step_h"]))
        flexible = dataset.sel(run="flexible", site=site)
        plan = flexible["grid_import"].to_numpy()
        np.testing.assert_allclose(table["grid_import"], plan, rtol=1e-6, atol=1e-5)
        assert (table[["import_up", "import_down"]] >= -1e-9).all().all()
        assert (table["import_down"] <= plan + 1e-5).all()
        limit = flexible["import_limit"].to_numpy()
        assert (table["grid_import"] + table["import_up"] <= limit + 1e-5).all()


def test_a_study_of_several_sites_exports_only_a_named_site(folders: dict[str, Path]) -> None:
    outcome = runner.invoke(
        app, ["exchange", "export", str(folders["multi-site"]), "-f", "csv", "-o", "plan.csv"]
    )
    assert outcome.exit_code == EXIT_BAD_INPUT
    assert "site: name the site: one of kenya, iceland, norway, spain, india" in outcome.output


def test_series_pypsa_left_out_read_back_as_their_default(
    solved: Callable[..., Result], tmp_path: Path
) -> None:
    """The smallest case: the reservoir never pumps, so ``network.nc`` has no
    ``p_store`` series; the export reads it as zero and computes the envelope."""
    result = solved(RESERVOIR)
    folder = result.write(tmp_path / "result")
    with pypsa_settings as pypsa:
        written = pypsa.Network(folder / "network.nc")
    assert "fjord reservoir" not in written.storage_units_t.p_store.columns
    export(folder, "netcdf", tmp_path / "plan.nc")
    with xr.open_dataset(tmp_path / "plan.nc") as ds:
        from_file = ds[["import_up", "import_down"]].to_dataframe()
    in_memory = envelope_of_network(result.network.copy(), "fjord", study=result.study)
    np.testing.assert_allclose(from_file["import_up"], in_memory["import_up"], atol=1e-9)
    np.testing.assert_allclose(from_file["import_down"], in_memory["import_down"], atol=1e-9)


def test_a_network_never_solved_is_refused(tmp_path: Path) -> None:
    study = load_study(RESERVOIR)
    with pypsa_settings:
        network = build_network(study)
    with pytest.raises(ScenarioError, match="holds no solution of its model \\(not solved\\)"):
        envelope_of_network(network, "fjord")


def test_a_result_folder_with_an_unsolved_network_is_refused(
    solved: Callable[..., Result], tmp_path: Path
) -> None:
    result = solved(RESERVOIR)
    folder = result.write(tmp_path / "result")
    with pypsa_settings:
        export_network(build_network(result.study), folder / "network.nc")
    outcome = runner.invoke(
        app, ["exchange", "export", str(folder), "-f", "netcdf", "-o", str(tmp_path / "p.nc")]
    )
    assert outcome.exit_code == EXIT_BAD_INPUT, outcome.output
    assert outcome.output.strip() == (
        f"error: {folder / 'network.nc'}: holds no solution of its model (not solved)"
    )
