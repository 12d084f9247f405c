"""Where a plan's ramps start: the facility power realised at the actual PUE may exceed
what the window's forecast PUE lets the facility draw; the plan ramps from that limit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dispatch import load_study, operate
from dispatch.operation.forecasts import PerfectForecast
from dispatch.scenario.study import Study
from dispatch.testing import assert_invariants
from test_hand_cases import scenario


class LowPue:
    """The actual series, but a PUE of 1 in every forecast."""

    def issue(self, study: Study, start: int, steps: int) -> dict[str, np.ndarray]:
        values = PerfectForecast().issue(study, start, steps)
        values["s/datacentre.pue"] = np.ones(steps)
        return values


def test_a_plan_starts_below_a_facility_power_its_pue_forecast_cannot_reach(
    write_study: Callable[..., Path],
) -> None:
    # 4 h, firm 9 MW at PUE 1.2: the facility draws 10.8 MW each hour, more than the
    # 10 MW IT capacity times the forecast PUE of 1 allows a plan. Each plan (2 h ahead,
    # 1 h kept) ramps from 10 MW; the settlement serves the firm work at the actual PUE:
    # 10.8 MW from the grid at 100 EUR/MWh each hour, 4320 EUR.
    case = scenario(
        "pue_start",
        4,
        {
            "datacentre": {
                "it_capacity_mw": 10,
                "idle_fraction": 0.0,
                "pue": "profiles.csv:pue",
                "firm_mw": 9,
                "facility_ramp_mw_per_h": 5,
            },
            "grid": {"import_limit_mw": 20, "import_price": 100},
        },
    )
    study = load_study(write_study(case, pd.DataFrame({"pue": [1.2] * 4})))
    result = operate(study, lookahead_h=2, commit_h=1, forecast=LowPue())
    assert result.flexible["s"].grid_import == pytest.approx([10.8] * 4, abs=1e-6)
    assert result.summary["foresight"]["realised_cost"] == pytest.approx(4320.0, abs=1e-6)
    assert_invariants(result)
