"""The optimum equals that of the same LP written independently (MODEL.md §7).

Each study is solved by :func:`dispatch.solve` (PyPSA + linopy + HiGHS) and by
``independent_lp`` (scipy + HiGHS, written from MODEL.md); both runs' objectives
must agree to 1e-6 relative, and the solution must satisfy every invariant.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import DATA
from dispatch import Result
from dispatch.testing import assert_invariants, assert_same_optimum
from independent_lp import independent_objectives

STUDIES = {
    "tiny": "4 h: deferral into the solar hour, battery, interruptible work",
    "geothermal_solar": "geothermal pmin and ramp, solar, grid with carbon price",
    "reservoir_wind": "reservoir min/initial level and spill, wind, initial backlog",
    "pumped_hydro": "reservoir turbine and pump efficiencies (pumped storage), spill, cyclic",
    "battery_congested": "battery standing loss, solar, hourly import/export limits",
    "battery_sizing": "battery power and energy sized independently, each within bounds",
    "min_it_ramp": "minimum IT power above the idle draw, facility ramp",
    "no_delay": "D = 0 with an initial backlog, battery with initial level",
    "two_hour_step": "2-hour steps, every asset, varying PUE, facility ramp",
    "quarter_hour_step": "15-minute steps, prices varying within the hour, every asset",
    "vent_throughput": "geothermal steam vented as curtailment, battery throughput cost",
    "flexible_steam": "steady steam vented, flexible steam at a cost, battery throughput cost",
    "tariff": "time-of-use periods, demand charges in windows, contracted capacity, DST",
    "flexibility_market": "offers up and down paid: work, battery, unramped geothermal, solar",
}
"""Test studies in ``tests/data`` and what each exercises."""

EXAMPLES = ("olkaria", "nordic", "solar-battery")
"""Shipped example studies in ``networks/``, solved for their first week."""

NETWORKS = Path(__file__).parents[1] / "networks"


@pytest.fixture(params=list(STUDIES))
def study_result(request: pytest.FixtureRequest, solved: Callable[..., Result]) -> Result:
    """A solved test study."""
    return solved(DATA / request.param)


@pytest.fixture(params=EXAMPLES)
def example_result(request: pytest.FixtureRequest, solved: Callable[..., Result]) -> Result:
    """A shipped example solved for 168 h; skipped while its folder does not exist."""
    folder = NETWORKS / request.param
    if not (folder / "scenario.yaml").is_file():
        pytest.skip(f"{folder} does not exist yet")
    return solved(folder, 168)


def test_study_optimum_equals_independent_lp(study_result: Result) -> None:
    assert_same_optimum(study_result, independent_objectives(study_result.study))


def test_study_invariants(study_result: Result) -> None:
    assert_invariants(study_result)


def test_example_optimum_equals_independent_lp(example_result: Result) -> None:
    assert_same_optimum(example_result, independent_objectives(example_result.study))


def test_example_invariants(example_result: Result) -> None:
    assert_invariants(example_result)
