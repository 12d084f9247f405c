"""Curtailment from a network (``dispatch.curtailment``) equals the key figures'.

Checked on result folders' ``network.nc`` and ``network_baseline.nc`` as a PyPSA user
reads them, against ``summary.json`` of the same folder; and where PyPSA's own
statistic counts something else, that it does (so the docs stay true).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from dispatch import Result, curtailment
from dispatch.core.names import CURTAILABLE
from dispatch.core.pypsa_settings import pypsa_settings

ROOT = Path(__file__).parents[1]
HOURS = 48
STUDIES = {
    "olkaria": (ROOT / "networks" / "olkaria", HOURS),  # geothermal with a steam field
    "solar-battery": (ROOT / "networks" / "solar-battery", HOURS),
    "reservoir_wind": (ROOT / "tests" / "data" / "reservoir_wind", None),  # spill
    "geothermal_solar": (ROOT / "tests" / "data" / "geothermal_solar", None),  # no steam
    "flexible_steam": (ROOT / "tests" / "data" / "flexible_steam", None),  # not vented
    "two_sites": (ROOT / "tests" / "data" / "two_sites", None),
}
"""Study folder and horizon [h] (None: all of it) by name."""
RUNS = {
    "network.nc": "curtailment_by_carrier_mwh",
    "network_baseline.nc": "curtailment_baseline_by_carrier_mwh",
}


@pytest.fixture(scope="module")
def folders(
    solved: Callable[..., Result], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Each study, solved and written."""
    scratch = tmp_path_factory.mktemp("curtailment")
    return {name: solved(*study).write(scratch / name) for name, study in STUDIES.items()}


def read_network(path: Path) -> object:
    with pypsa_settings as pypsa:
        return pypsa.Network(path)


@pytest.mark.parametrize("run", RUNS)
@pytest.mark.parametrize("name", STUDIES)
def test_curtailment_of_a_written_network_is_the_summary(
    name: str, run: str, folders: dict[str, Path], solved: Callable[..., Result]
) -> None:
    summary = json.loads((folders[name] / "summary.json").read_text())
    n = read_network(folders[name] / run)
    study = solved(*STUDIES[name]).study
    for found in (curtailment(n), curtailment(n, study)):
        assert found.name == "curtailment_mwh"
        assert list(found.index.names) == ["site", "carrier"]
        for site, figures in summary["sites"].items():
            expected = figures[RUNS[run]]
            by_carrier = found[site].to_dict() if site in found.index.unique("site") else {}
            assert set(by_carrier) == set(expected)
            for carrier, value in expected.items():
                assert by_carrier[carrier] == pytest.approx(value, abs=1e-6)
            total = figures[
                "curtailment_mwh" if run == "network.nc" else "curtailment_baseline_mwh"
            ]
            assert sum(by_carrier.values()) == pytest.approx(total, abs=1e-6)


def test_per_step_curtailment_adds_up_to_the_total(folders: dict[str, Path]) -> None:
    n = read_network(folders["olkaria"] / "network.nc")
    steps = curtailment(n, per_step=True)
    assert len(steps) == len(n.snapshots) == HOURS
    assert steps.columns.names == ["site", "carrier"]
    weights = n.snapshot_weightings.generators.to_numpy()
    np.testing.assert_allclose(weights @ steps.to_numpy(), curtailment(n).to_numpy(), atol=1e-9)
    assert (steps.to_numpy() >= -1e-6).all()


def test_the_study_tells_a_steam_field_the_network_cannot(
    solved: Callable[..., Result],
) -> None:
    """``steam_pu: 1`` writes ``p_max_pu`` 1, as no steam field does: the study decides."""
    result = solved(*STUDIES["geothermal_solar"])
    site = next(iter(result.study.sites))
    n = result.network
    assert "geothermal" not in curtailment(n).loc[site].index
    scenario = result.study.scenario
    spec = scenario.sites[site]
    geothermal = spec.geothermal.model_copy(update={"steam_pu": 1.0})
    sites = {**scenario.sites, site: spec.model_copy(update={"geothermal": geothermal})}
    steam = dataclasses.replace(result.study, scenario=scenario.model_copy(update={"sites": sites}))
    vented = curtailment(n, steam).loc[(site, "geothermal")]
    output = n.generators_t.p[f"{site} geothermal"].to_numpy()
    capacity = n.generators.at[f"{site} geothermal", "p_nom_opt"]
    assert vented == pytest.approx(float(np.sum(capacity - output)), abs=1e-6)


def test_pypsa_statistics_count_links_and_geothermal_backing_off(
    folders: dict[str, Path],
) -> None:
    """What the docs say plain ``n.statistics.curtailment()`` counts, and the filtered
    call that gives the generators' part of the true figure."""
    n = read_network(folders["olkaria"] / "network.nc")
    plain = n.statistics.curtailment(groupby=False, round=False)
    assert "Link" in plain.index.unique("component")
    assert plain.sum() > 10 * curtailment(n).sum()
    carriers = [c for c in CURTAILABLE if c != "reservoir"]
    filtered = n.statistics.curtailment(
        components="Generator", carrier=carriers, groupby=False, round=False
    )
    assert filtered.sum() == pytest.approx(curtailment(n).sum(), abs=1e-6)


@pytest.mark.parametrize("run", RUNS)
@pytest.mark.parametrize("name", ["olkaria", "two_sites"])
def test_a_written_network_is_the_file_pypsa_writes(
    name: str, run: str, folders: dict[str, Path], tmp_path: Path
) -> None:
    import xarray as xr

    n = read_network(folders[name] / run)
    with pypsa_settings:
        n.export_to_netcdf(tmp_path / "pypsa.nc")
    ours = xr.load_dataset(folders[name] / run, decode_cf=False)
    theirs = xr.load_dataset(tmp_path / "pypsa.nc", decode_cf=False)
    assert ours.identical(theirs)
