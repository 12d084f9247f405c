"""Shared fixtures: solved studies, cached per session, and small study folders."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from dispatch import Result, load_study, solve
from hostile import TINY, run_dispatch

DATA = Path(__file__).parent / "data"
"""Study folders of the tests."""

PROFILES = "profiles.csv"
"""Name of the time series file :func:`write_study` writes."""


@pytest.fixture(scope="session")
def solved() -> Callable[..., Result]:
    """Solve a study folder, once per session for each folder and horizon.

    Returns
    -------
    callable
        ``solved(folder, hours=None)`` -> :class:`~dispatch.Result`, with ``hours``
        the horizon kept [h].
    """

    @functools.cache
    def solve_folder(folder: Path, hours: float | None = None) -> Result:
        return solve(load_study(folder, hours=hours))

    return solve_folder


@pytest.fixture(scope="session")
def previous_result(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A result folder of the tiny study written by ``dispatch run`` in its own process.

    Tests copy it before changing anything.
    """
    out = tmp_path_factory.mktemp("previous") / "result"
    assert run_dispatch("run", TINY, "--out", out, "-q").code == 0
    return out


@pytest.fixture(scope="session")
def tiny_result(solved: Callable[..., Result]) -> Result:
    """The solved four-hour study ``tests/data/tiny``."""
    return solved(DATA / "tiny")


@pytest.fixture
def write_study(tmp_path: Path) -> Callable[..., Path]:
    """Write a study folder into ``tmp_path`` from a scenario mapping and profiles.

    Returns
    -------
    callable
        ``write_study(scenario, profiles=None)`` -> the folder. ``scenario`` is the
        content of ``scenario.yaml``; ``profiles`` the time series, one column each,
        referenced as ``"profiles.csv:COLUMN"``. Its rows are the scenario's
        snapshots in order; the index is replaced by their times.
    """

    def write(scenario: dict, profiles: pd.DataFrame | None = None) -> Path:
        folder = tmp_path / scenario["name"]
        folder.mkdir()
        (folder / "scenario.yaml").write_text(
            yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8"
        )
        if profiles is not None:
            snapshots = scenario["snapshots"]
            times = pd.date_range(
                snapshots["start"],
                periods=snapshots["periods"],
                freq=pd.Timedelta(hours=snapshots.get("step_h", 1.0)),
            )
            table = profiles.set_axis(times.strftime("%Y-%m-%dT%H:%M:%SZ"))
            table.to_csv(folder / PROFILES, index_label="time")
        return folder

    return write


def ramped_site(prices: list[float]) -> tuple[dict, pd.DataFrame]:
    """Interruptible work only (10 MW offered, worth 50 EUR/MWh), no idle draw, PUE 1,
    facility power ramping at most 2 MW/h, grid at ``prices`` [EUR/MWh]."""
    site = {
        "datacentre": {
            "it_capacity_mw": 10,
            "facility_ramp_mw_per_h": 2,
            "interruptible": {"offered_mw": 10, "value_of_lost_work": 50},
        },
        "grid": {"import_limit_mw": 20, "import_price": "profiles.csv:price"},
    }
    return site, pd.DataFrame({"price": prices})
