"""How a window starts: a carried backlog given by when it is due, and the geothermal
output of the step before the window, which the first step ramps from (hand-worked
on 48 hours of Olkaria: geothermal 35 MW, minimum stable 0.8, ramp 0.1 per hour,
longest delay 8 h)."""

from __future__ import annotations

import numpy as np
import pytest

from dispatch import Dispatcher, ScenarioError, load_study
from dispatch.model.datacentre import backlog_window

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
    assert free[0] == pytest.approx(35.0)  # cheap: at capacity from the first step
    olkaria.set_initial_output("olkaria", geothermal_mw=28.0)
    ramped = olkaria.solve()[0]["olkaria"].output["geothermal"]
    np.testing.assert_allclose(ramped[:2], [28.0 + 3.5, 35.0], atol=1e-6)
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
