"""How a window starts: a carried backlog given by when it is due, and the geothermal
output and facility power of the step before the window, which the first step ramps
from (hand-worked on 48 hours of Olkaria: geothermal 35 MW, minimum stable 0.8, ramp
0.1 per hour, longest delay 8 h; and on a grid-fed site whose facility ramps)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from conftest import ramped_site
from dispatch import Dispatcher, ScenarioError, load_study, solve
from dispatch.model.datacentre import backlog_window
from dispatch.operation.studies import window_study

HOURS = 48
CARRIED_MWH = 30.0


@pytest.fixture(scope="module")
def olkaria() -> Dispatcher:
    return Dispatcher(load_study("networks/olkaria", hours=HOURS))


def _due_from(step: int) -> np.ndarray:
    """The whole carried backlog due by the end of step ``step`` (0-based)."""
    due = np.full(HOURS, CARRIED_MWH)
    due[:step] = 0.0
    return due


def test_carried_backlog_due_at_a_step_is_served_by_then(olkaria: Dispatcher) -> None:
    olkaria.set_initial_levels("olkaria", backlog_mwh=CARRIED_MWH)
    held = olkaria.solve()[0]["olkaria"]
    study = olkaria.window_study
    arrivals = study.values("olkaria", "datacentre.deferrable.arrivals_mwh")
    # Without a due profile the optimum holds carried work past step 2 ...
    assert held.backlog[2] > arrivals[:3].sum() + 1.0
    olkaria.set_initial_levels("olkaria", backlog_due_mwh=_due_from(2))
    forced = olkaria.solve()[0]["olkaria"]
    # ... due by step 2, only the window's own arrivals (all within 8 h) may wait then.
    assert forced.backlog[2] <= arrivals[:3].sum() + 1e-6
    assert forced.backlog[1] > arrivals[:2].sum()  # not before: it is due at step 2
    assert forced.objective > held.objective
    assert olkaria.window_study.sites["olkaria"].datacentre.deferrable.initial_backlog_mwh == (
        CARRIED_MWH
    )
    olkaria.set_initial_levels("olkaria", backlog_mwh=0.0)


def test_due_within_the_longest_delay_is_the_default(olkaria: Dispatcher) -> None:
    olkaria.set_initial_levels("olkaria", backlog_mwh=CARRIED_MWH)
    default = olkaria.solve()[0]["olkaria"].objective
    study = olkaria.window_study
    np.testing.assert_array_equal(
        backlog_window(study, "olkaria", _due_from(8)), backlog_window(study, "olkaria")
    )
    olkaria.set_initial_levels("olkaria", backlog_due_mwh=_due_from(8))
    assert olkaria.solve()[0]["olkaria"].objective == pytest.approx(default, rel=1e-9)
    olkaria.set_initial_levels("olkaria", backlog_mwh=0.0)


def test_geothermal_ramps_from_the_output_before_the_window(olkaria: Dispatcher) -> None:
    free = olkaria.solve()[0]["olkaria"].output["geothermal"]
    # Cheap: from the first step at the field's steam, 0.95 x 35 MW (the rest vented).
    assert free[0] == pytest.approx(33.25)
    olkaria.set_initial_output("olkaria", geothermal_mw=28.0)
    ramped = olkaria.solve()[0]["olkaria"].output["geothermal"]
    np.testing.assert_allclose(ramped[:2], [28.0 + 3.5, 33.25], atol=1e-6)
    olkaria.set_initial_output("olkaria", geothermal_mw=None)
    np.testing.assert_allclose(olkaria.solve()[0]["olkaria"].output["geothermal"], free)


@pytest.mark.parametrize(
    ("call", "field", "problem"),
    [
        ({"backlog_due_mwh": np.ones(47)}, "backlog_due_mwh", "has 47 values"),
        ({"backlog_due_mwh": np.linspace(2.0, 1.0, HOURS)}, "backlog_due_mwh", "not decrease"),
        ({"backlog_due_mwh": np.full(HOURS, -1.0)}, "backlog_due_mwh", "at least 0"),
        (
            {"backlog_due_mwh": np.ones(HOURS), "backlog_mwh": 1.0},
            "initial_backlog_mwh",
            "not both",
        ),
    ],
)
def test_bad_due_profile(olkaria: Dispatcher, call: dict, field: str, problem: str) -> None:
    with pytest.raises(ScenarioError, match=problem) as raised:
        olkaria.set_initial_levels("olkaria", **call)
    assert field in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("site", "output", "problem"),
    [("olkaria", 20.0, "must be in \\[28, 35\\]"), ("nowhere", 30.0, "no site named")],
)
def test_bad_output_before_the_window(
    olkaria: Dispatcher, site: str, output: float, problem: str
) -> None:
    with pytest.raises(ScenarioError, match=problem) as raised:
        olkaria.set_initial_output(site, geothermal_mw=output)
    assert "\n" not in str(raised.value)


def test_output_before_the_window_needs_geothermal() -> None:
    dispatcher = Dispatcher(load_study("networks/solar-battery", hours=HOURS))
    with pytest.raises(ScenarioError, match="has no geothermal"):
        dispatcher.set_initial_output(next(iter(dispatcher.window_study.sites)), 1.0)


def test_backlog_may_wait_beyond_a_window_that_is_not_the_last(olkaria: Dispatcher) -> None:
    closed = olkaria.solve()[0]["olkaria"]
    assert closed.backlog[-1] == pytest.approx(0.0, abs=1e-9)
    olkaria.set_backlog_end("olkaria", empty=False)
    opened = olkaria.solve()[0]["olkaria"]
    study = olkaria.window_study
    arrivals = study.values("olkaria", "datacentre.deferrable.arrivals_mwh")
    within_deadline = arrivals[-8:].sum()  # longest delay 8 h
    assert 1.0 < opened.backlog[-1] <= within_deadline + 1e-6
    assert opened.objective < closed.objective
    np.testing.assert_allclose(
        backlog_window(study, "olkaria", empty_at_end=False)[:-1],
        backlog_window(study, "olkaria")[:-1],
    )
    olkaria.set_backlog_end("olkaria")
    assert olkaria.solve()[0]["olkaria"].objective == pytest.approx(closed.objective, rel=1e-9)


PRICES = [10.0, 10.0, 100.0, 100.0, 10.0, 10.0]
"""Grid price of the ramped site [EUR/MWh]: dear hours between cheap ones."""


@pytest.fixture
def ramped(write_study: Callable[..., Path]) -> Path:
    """6 h: interruptible work only (10 MW offered, worth 50 EUR/MWh), no idle draw,
    PUE 1, facility ramping at most 2 MW/h, grid at :data:`PRICES`."""
    site, profiles = ramped_site(PRICES)
    scenario = {
        "name": "ramped",
        "snapshots": {"start": "2025-06-01T00:00:00Z", "periods": 6, "step_h": 1},
        "sites": {"s": site},
    }
    return write_study(scenario, profiles)


def _facility(run: object) -> np.ndarray:
    return sum(run.facility_power.values())


def test_facility_ramps_from_the_power_before_the_window(ramped: Path) -> None:
    # Hours 2-5: serving costs 50 per MWh net in the dear hours and saves 40 in the
    # cheap ones. Free, the window ramps up from nothing: 0, 2, 4, 6 MW. From 6 MW
    # before, it cannot go below 4 MW, and raising hour 3 by a MW (50) buys a MW in
    # each cheap hour (80): 4, 6, 8, 10 MW, 100 * 10 + 10 * 18 + 50 * (40 - 28) EUR.
    dispatcher = Dispatcher(window_study(load_study(ramped), 2, 4))
    free = _facility(dispatcher.solve()[0]["s"])
    np.testing.assert_allclose(free, [0, 2, 4, 6], atol=1e-6)
    dispatcher.set_initial_output("s", facility_mw=6.0)
    from_six = dispatcher.solve()[0]["s"]
    np.testing.assert_allclose(_facility(from_six), [4, 6, 8, 10], atol=1e-6)
    assert from_six.objective == pytest.approx(1000 + 180 + 600, abs=1e-6)
    dispatcher.set_initial_output("s", facility_mw=None)
    np.testing.assert_allclose(_facility(dispatcher.solve()[0]["s"]), free, atol=1e-6)


def test_a_window_from_the_optimum_before_it_is_the_rest_of_the_optimum(ramped: Path) -> None:
    # The optimum of the whole horizon, cut after its first hour, is the optimum of
    # the other hours from the facility power of that hour (ramps are all that link
    # the hours of this site).
    study = load_study(ramped)
    whole = solve(study).flexible["s"]
    first = _facility(whole)[0]
    first_cost = PRICES[0] * whole.grid_import[0] + 50.0 * (10.0 - first)
    dispatcher = Dispatcher(window_study(study, 1, 5))
    dispatcher.set_initial_output("s", facility_mw=float(first))
    rest = dispatcher.solve()[0]["s"]
    assert first_cost + rest.objective == pytest.approx(whole.objective, rel=1e-9)
    assert first == pytest.approx(10.0)  # a cheap hour: the window's first may not drop to 0
    assert _facility(rest)[0] >= 8.0 - 1e-6
