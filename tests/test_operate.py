"""Operation with forecasts (``dispatch.operate``): the rolling horizon against the
perfect-foresight optimum, the state carried between decisions, the command line."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from conftest import DATA, ramped_site
from dispatch import ScenarioError, load_study, operate
from dispatch.cli import EXIT_BAD_INPUT, app
from dispatch.operation.backlog import BacklogQueue
from dispatch.operation.operation_result import OperationResult
from dispatch.operation.settlement import BlockWork, committed_work
from dispatch.testing import assert_invariants
from test_cli import RESULT_FILES

OLKARIA = Path(__file__).parents[1] / "networks" / "olkaria"
START = "2025-06-01T00:00:00Z"
OPERATION_FILES = {*RESULT_FILES, "plans.nc"}
runner = CliRunner()


def at_least_optimum(result: OperationResult) -> None:
    """Realised cost (with any shortfall at its penalty) >= the perfect-foresight
    optimum, to 1e-6 relative."""
    foresight = result.summary["foresight"]
    optimum = result.summary["perfect_foresight"]["total_cost"]
    assert foresight["realised_cost"] >= optimum - 1e-6 * max(1.0, abs(optimum))


def one_site(name: str, periods: int, site: dict) -> dict:
    """A one-site scenario mapping in hourly steps."""
    return {
        "name": name,
        "snapshots": {"start": START, "periods": periods, "step_h": 1},
        "sites": {"s": site},
    }


def test_perfect_forecasts_over_the_whole_horizon_give_the_optimum() -> None:
    result = operate(load_study(OLKARIA, hours=72), lookahead_h=72, commit_h=72)
    summary = result.summary
    optimum = summary["perfect_foresight"]["objective"]
    assert summary["objective"] == pytest.approx(optimum, rel=1e-6)
    assert summary["operation"]["decisions"] == 1
    assert_invariants(result)


def test_rolling_perfect_forecasts_cost_at_least_the_optimum() -> None:
    result = operate(load_study(OLKARIA, hours=96), lookahead_h=48, commit_h=24)
    operation = result.summary["operation"]
    assert operation["decisions"] == 4
    assert operation["late_mwh"] == 0.0
    assert operation["firm_unserved_mwh"] == pytest.approx(0.0, abs=1e-9)
    at_least_optimum(result)
    assert_invariants(result)
    plans = result.plans
    assert dict(plans.sizes) == {"site": 1, "issue_time": 4, "step": 48, "nv": 2}
    # The last plan is cut at the horizon's end.
    assert np.isnan(plans["grid_import"].values[0, -1, 24:]).all()


def test_persistence_forecasts_cost_at_least_the_optimum() -> None:
    result = operate(load_study(OLKARIA, hours=96), 48, 24, forecast="persistence")
    assert result.summary["operation"]["forecast"]["method"] == "persistence"
    at_least_optimum(result)


def test_error_forecasts_cost_at_least_the_optimum_and_are_reproducible() -> None:
    study = load_study(OLKARIA, hours=96)
    result = operate(study, 48, 24, forecast="error", seed=3)
    assert result.summary["operation"]["forecast"] == {"method": "error", "seed": 3}
    at_least_optimum(result)
    again = operate(study, 48, 24, forecast="error", seed=3)
    assert again.summary["total_cost"] == pytest.approx(result.summary["total_cost"], rel=1e-9)
    assert_invariants(result)


def test_invariants_hold_on_a_realised_operation_with_late_work() -> None:
    # Persistence forecasts of fewer arrivals than come leave work late at this
    # two-hour-step site; the backlog then holds it past the deadline, and the rest
    # of MODEL.md §7 still holds on the realised dispatch.
    result = operate(load_study(DATA / "two_hour_step"), 48, 24, forecast="persistence")
    assert result.summary["operation"]["late_mwh"] > 1.0
    at_least_optimum(result)
    assert_invariants(result)


def test_a_deadline_straddling_a_window_boundary_is_kept(
    write_study: Callable[..., Path],
) -> None:
    # 6 h; 4 MWh of deferrable work arrive in hour 1, due within D = 3 h (by the end
    # of hour 4). Solar (free) gives 2 MW in hour 3 and 10 MW in hour 5; grid 100
    # EUR/MWh. Optimum: 2 MWh from solar in hour 3, 2 MWh from the grid by hour 4:
    # 200 EUR. Decisions at hours 0, 2, 4 (look 4 h ahead): the work carried into the
    # window from hour 2 keeps its deadline; were it due within D of hour 2 instead,
    # hour 5's free solar would serve it at no cost, below the optimum.
    folder = write_study(
        one_site(
            "straddle",
            6,
            {
                "datacentre": {
                    "it_capacity_mw": 10,
                    "deferrable": {"arrivals_mwh": "profiles.csv:arrivals", "max_delay_h": 3},
                },
                "solar": {"capacity_mw": 10, "availability": "profiles.csv:solar"},
                "grid": {"import_limit_mw": 10, "import_price": 100},
            },
        ),
        pd.DataFrame({"arrivals": [0, 4.0, 0, 0, 0, 0], "solar": [0, 0, 0, 0.2, 0, 1.0]}),
    )
    result = operate(load_study(folder), lookahead_h=4, commit_h=2)
    realised = result.flexible["s"]
    assert result.summary["total_cost"] == pytest.approx(200.0, abs=1e-6)
    assert realised.backlog[4] == pytest.approx(0.0, abs=1e-9)
    assert realised.deferred_served[5] == pytest.approx(0.0, abs=1e-9)
    assert result.summary["operation"]["late_mwh"] == 0.0
    assert_invariants(result)


def test_a_battery_level_is_carried_to_the_next_decision(
    write_study: Callable[..., Path],
) -> None:
    # 4 h, firm 5 MW; free solar of 20 MW in hour 0 only; battery 10 MW / 10 MWh,
    # lossless, empty at the start; grid 100 EUR/MWh, 200 in hour 3. The plan issued
    # at hour 0 (3 h ahead, hour 3 unseen) charges 10 MWh in hour 0 and serves hours
    # 1 and 2 from it; hours 0-1 are committed, so the decision at hour 2 starts from
    # 5 MWh and keeps them for the dearer hour 3: 5 MWh from the grid in hour 2,
    # 500 EUR, the optimum.
    folder = write_study(
        one_site(
            "carried",
            4,
            {
                "datacentre": {"it_capacity_mw": 10, "firm_mw": 5},
                "solar": {"capacity_mw": 20, "availability": "profiles.csv:solar"},
                "battery": {
                    "power_mw": 10,
                    "energy_mwh": 10,
                    "charge_efficiency": 1,
                    "discharge_efficiency": 1,
                    "initial_level_pu": 0,
                },
                "grid": {"import_limit_mw": 10, "import_price": "profiles.csv:price"},
            },
        ),
        pd.DataFrame({"solar": [1.0, 0, 0, 0], "price": [100, 100, 100, 200]}),
    )
    result = operate(load_study(folder), lookahead_h=3, commit_h=2)
    realised = result.flexible["s"]
    assert realised.battery_level == pytest.approx([10, 5, 5, 0], abs=1e-6)
    assert realised.grid_import == pytest.approx([0, 0, 5, 0], abs=1e-6)
    assert result.summary["total_cost"] == pytest.approx(500.0, abs=1e-6)
    assert_invariants(result)


def test_the_backlog_serves_oldest_first_and_counts_late_work() -> None:
    backlog = BacklogQueue(delay_steps=2)
    backlog.arrive(0, 3.0)
    backlog.arrive(1, 2.0)
    assert backlog.due_profile(1, 3) == pytest.approx([0, 3, 5])
    assert backlog.serve(3, 4.0) == pytest.approx(3.0)  # the first piece was due by step 2
    assert backlog.total_mwh == pytest.approx(1.0)
    assert backlog.due_profile(5, 2) == pytest.approx([1, 1])  # overdue: due at once


def test_a_study_that_sizes_capacities_is_refused(write_study: Callable[..., Path]) -> None:
    folder = write_study(
        one_site(
            "sized",
            4,
            {
                "datacentre": {"it_capacity_mw": 10, "firm_mw": 1},
                "battery": {
                    "power_mw": 1,
                    "energy_mwh": 2,
                    "expansion": {"capex_per_mw": 1000, "lifetime_years": 10},
                },
                "grid": {"import_limit_mw": 10, "import_price": 100},
            },
        ),
    )
    with pytest.raises(ScenarioError, match="battery.expansion.*given capacities"):
        operate(load_study(folder), 4, 4)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A writable copy of the tiny study."""
    return Path(shutil.copytree(DATA / "tiny", tmp_path / "tiny"))


def test_the_command_writes_the_result_files_and_the_plans(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["operate", str(tiny), "--out", str(out), "--lookahead-h", "3", "--commit-h", "2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == OPERATION_FILES
    summary = json.loads((out / "summary.json").read_text())
    assert summary["operation"]["lookahead_h"] == 3
    assert summary["operation"]["commit_h"] == 2
    assert {"total_cost", "cfe_score", "absorbed_mwh"} <= set(summary["perfect_foresight"])
    with xr.open_dataset(out / "plans.nc") as plans:
        assert dict(plans.sizes) == {"site": 1, "issue_time": 2, "step": 3, "nv": 2}
        assert plans["issue_time"].dims == ("issue_time",)
        variables = [v for name, v in plans.data_vars.items() if name != "time_bnds"]
        assert all("units" in v.attrs for v in variables)  # the bounds: those of valid_time
    # A second operation replaces the first (a folder dispatch wrote).
    assert runner.invoke(app, args).exit_code == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--commit-h", "36", "--lookahead-h", "24"],
            "error: --commit-h: 36 h exceeds --lookahead-h (24 h)",
        ),
        (["--lookahead-h", "12"], "error: --lookahead-h: 12 h is less than commit_h (24 h)"),
        (["--forecast", "clairvoyant"], "error: --forecast: is 'clairvoyant', must be one of"),
        (["--lookahead-h", "1.5"], "error: --lookahead-h: must be a multiple of the step"),
        (["--lookahead-h", "1e20"], "error: --lookahead-h: is 1e+20 h, above the limit of"),
        (["--commit-h", "1e20"], "error: --commit-h: is 1e+20 h, above the limit of"),
    ],
)
def test_a_bad_option_is_one_line_naming_the_option(
    tiny: Path, tmp_path: Path, options: list[str], message: str
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["operate", str(tiny), "--out", str(out), *options])
    assert result.exit_code == EXIT_BAD_INPUT
    assert len(result.output.strip().splitlines()) == 1
    assert result.output.startswith(message)
    assert "scenario.yaml" not in result.output
    assert not out.exists()


def test_a_bad_operation_block_names_the_file_and_field(tiny: Path, tmp_path: Path) -> None:
    scenario = tiny / "scenario.yaml"
    scenario.write_text(
        scenario.read_text() + "operation: {lookahead_h: 24, commit_h: 36}\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["operate", str(tiny), "--out", str(tmp_path / "out")])
    assert result.exit_code == EXIT_BAD_INPUT
    assert len(result.output.strip().splitlines()) == 1
    assert "scenario.yaml: operation.commit_h: 36 h exceeds lookahead_h (24 h)" in result.output


def test_the_facility_ramps_from_the_last_realised_step(
    write_study: Callable[..., Path],
) -> None:
    # 4 h, grid 100 EUR/MWh in hours 0-1 (dearer than the work is worth: none served)
    # and 10 in hours 2-3 (serve all that the ramp allows). Perfect foresight ramps up
    # early: facility 0, 2, 4, 6 MW, cost 2000 (40 MWh lost at 50) + 2 * 50 - 4 * 40
    # - 6 * 40 = 1700 EUR. Decisions at hours 0 and 2 (2 h ahead): the first plan sees
    # no cheap hour and serves nothing; the second starts from the realised 0 MW of
    # hour 1, so hour 2 is at most 2 MW: 0, 0, 2, 4 MW, 2000 - 2 * 40 - 4 * 40 = 1760
    # EUR. Were hour 2 free of the ramp, it would serve 10 MW, below the optimum.
    site, profiles = ramped_site([100, 100, 10, 10])
    folder = write_study(one_site("ramped", 4, site), profiles)
    result = operate(load_study(folder), lookahead_h=2, commit_h=2)
    facility = sum(result.flexible["s"].facility_power.values())
    np.testing.assert_allclose(facility, [0, 0, 2, 4], atol=1e-6)
    assert result.summary["perfect_foresight"]["total_cost"] == pytest.approx(1700.0, abs=1e-6)
    assert result.summary["foresight"]["realised_cost"] == pytest.approx(1760.0, abs=1e-6)
    assert result.summary["operation"]["facility_ramp_excess_mw"] == 0.0
    at_least_optimum(result)
    assert_invariants(result)


@pytest.mark.parametrize(
    ("before", "planned", "served"),
    [
        (8.0, [4.0, 2.0], [6.0, 4.0]),  # ramping down at most 2 MW/h: more work served
        (0.0, [10.0, 10.0], [2.0, 4.0]),  # ramping up at most 2 MW/h: less served
        (None, [10.0, 3.0], [10.0, 8.0]),  # the first block: no step before it
    ],
)
def test_committed_work_keeps_the_facility_ramp(
    write_study: Callable[..., Path], before: float | None, planned: list, served: list
) -> None:
    site, profiles = ramped_site([10, 10])
    study = load_study(write_study(one_site("committed", 2, site), profiles))
    plan = BlockWork(np.zeros(2), np.zeros(2), np.array(planned))
    work = committed_work(study, "s", 0, plan, BacklogQueue(0), before)
    np.testing.assert_allclose(work.interruptible, served)


def test_a_lookahead_beyond_the_horizon_plans_to_its_end(tiny: Path) -> None:
    # A million hours ahead of a 4 h study: the same operation as 4 h ahead, whose
    # plans have the horizon's 4 steps, not a million (the export reads them).
    study = load_study(tiny)
    far = operate(study, lookahead_h=1e6, commit_h=1e6)
    near = operate(study, lookahead_h=4, commit_h=4)
    assert far.summary["operation"]["lookahead_h"] == 1e6  # the setting used
    for name in ("total_cost", "absorbed_mwh"):
        assert far.summary[name] == pytest.approx(near.summary[name], rel=1e-9)
    np.testing.assert_allclose(
        sum(far.flexible["s"].facility_power.values()),
        sum(near.flexible["s"].facility_power.values()),
    )
    assert far.plans.sizes["step"] == near.plans.sizes["step"] == 4
    assert (far.plans.attrs["lookahead_h"], far.plans.attrs["commit_h"]) == (4, 4)
    xr.testing.assert_identical(far.plans.drop_attrs(), near.plans.drop_attrs())
