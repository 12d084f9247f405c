"""The realisation of a committed block: deferrable work served early enough for the
block's later arrivals that are due within it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dispatch import load_study, operate
from dispatch.operation.backlog import BacklogQueue
from dispatch.operation.settlement import BlockWork, committed_work
from dispatch.testing import assert_invariants
from test_operate import at_least_optimum, one_site


def deferrable_site(max_delay_h: float, grid: dict) -> dict:
    """10 MW of IT capacity, deferrable work as in ``profiles.csv:arrivals`` (and
    firm work as in ``profiles.csv:firm``), PUE 1, no idle draw."""
    return {
        "datacentre": {
            "it_capacity_mw": 10,
            "firm_mw": "profiles.csv:firm",
            "deferrable": {"arrivals_mwh": "profiles.csv:arrivals", "max_delay_h": max_delay_h},
        },
        "grid": grid,
    }


@pytest.mark.parametrize(
    ("max_delay_h", "arrivals", "firm", "served"),
    [
        # The horizon's last hour: its 10 MWh are due in it and fill it, so hour 0's
        # 4 MWh (due by hour 2, the last) are served in hour 1.
        (2, [4, 0, 10], [0, 0, 0], [0, 4, 10]),
        # Within the horizon, due a + D: hour 1's 5 MWh are due by hour 2, where firm
        # work leaves 1 MW, so they take 4 MW of the 5 it leaves in hour 1, and only
        # 1 MWh of hour 0's 6 (due by hour 1) can wait: 5 MWh are served in hour 0.
        # Hour 2's arrivals are due after the block (hours 0-2) and wait.
        (1, [6, 5, 1, 0, 0], [0, 5, 9, 0, 0], [5, 5, 1]),
    ],
)
def test_committed_work_leaves_room_for_later_arrivals(
    write_study: Callable[..., Path],
    max_delay_h: float,
    arrivals: list[float],
    firm: list[float],
    served: list[float],
) -> None:
    # The plan (from forecasts of no arrivals) serves no deferrable work in the block.
    grid = {"import_limit_mw": 20, "import_price": 100}
    profiles = pd.DataFrame({"arrivals": arrivals, "firm": firm})
    study = load_study(
        write_study(one_site("early", len(arrivals), deferrable_site(max_delay_h, grid)), profiles)
    )
    plan = BlockWork(np.zeros(3), np.zeros(3), np.zeros(3))
    work = committed_work(study, "s", 0, plan, BacklogQueue(max_delay_h))
    np.testing.assert_allclose(work.deferred, served, atol=1e-12)
    np.testing.assert_allclose(work.firm, firm[:3])


def test_the_last_hours_arrivals_fit_when_waiting_work_is_served_an_hour_earlier(
    write_study: Callable[..., Path],
) -> None:
    # 26 h, 10 MW of IT capacity, deferrable work due within D = 1 h; grid 100 EUR/MWh
    # in even hours, 50 in odd ones. 4 MWh arrive in hours 0 and 24, 10 MWh in hour
    # 25, the last (due in it). Optimum: hour 0's work in hour 1 (200 EUR), hour 24's
    # in hour 24 (400 EUR: hour 25 is full), hour 25's in it (500 EUR): 1100 EUR.
    # Decisions at hours 0 and 24 with persistence forecasts: the plan issued at hour
    # 24 expects hour 0's and 1's arrivals again (4 and 0 MWh) and serves hour 24's
    # work in the cheaper hour 25. Executed against the actual arrivals, hour 25's
    # 10 MWh fill it, so hour 24's work is served in hour 24: the optimum, none late.
    # Served as planned, 4 MWh would be late.
    arrivals = np.zeros(26)
    arrivals[[0, 24, 25]] = [4, 4, 10]
    profiles = pd.DataFrame({"arrivals": arrivals, "firm": np.zeros(26), "price": [100, 50] * 13})
    grid = {"import_limit_mw": 20, "import_price": "profiles.csv:price"}
    folder = write_study(one_site("last_hour", 26, deferrable_site(1, grid)), profiles)
    result = operate(load_study(folder), lookahead_h=24, commit_h=24, forecast="persistence")
    realised = result.flexible["s"]
    plan_at_24 = result.plans["deferred_served"].values[0, 1, :2]
    np.testing.assert_allclose(plan_at_24, [0, 4], atol=1e-6)
    np.testing.assert_allclose(realised.deferred_served[[1, 24, 25]], [4, 4, 10], atol=1e-6)
    assert result.summary["operation"]["late_mwh"] == 0.0
    assert result.summary["total_cost"] == pytest.approx(1100.0, abs=1e-6)
    assert result.summary["perfect_foresight"]["total_cost"] == pytest.approx(1100.0, abs=1e-6)
    at_least_optimum(result)
    assert_invariants(result)
