"""Payment for flexibility: offers up and down paid per MW and hour (and per MWh
expected to be called), in small studies worked out by hand.

The hand cases are one site ``s`` over 4 hours with import at 100 EUR/MWh (40 in the
interruptible case), no idle draw; the offer of each step is what the site can
deliver within that step (docs/model.md, *Payment for flexibility*).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from conftest import DATA
from dispatch import (
    Dispatcher,
    Result,
    ScenarioError,
    Study,
    load_study,
    load_sweep,
    operate,
    solve,
)
from dispatch.exchange.envelope import envelope_of_network
from dispatch.model.linopy_model import add_network_constraints
from dispatch.optimization.variants import reusable
from dispatch.results.netcdf import export_network
from dispatch.scenario.load import study_from_scenario
from dispatch.testing import assert_invariants, assert_same_optimum
from independent_lp import independent_objectives

HOURS = 4
NETWORKS = Path(__file__).parents[1] / "networks"


def exactly(value: object) -> object:
    """Expected value, or values per step, to solver precision."""
    return pytest.approx(np.asarray(value, float), rel=1e-7, abs=1e-6)


def case(name: str, market: dict, **site: object) -> dict:
    """A site with 1 MW of firm work (PUE 1), import at 100 EUR/MWh up to 20 MW,
    export up to 5 MW, and ``market`` on its grid; ``site`` adds or replaces parts."""
    grid = {
        "import_limit_mw": 20,
        "export_limit_mw": 5,
        "import_price": 100,
        "flexibility_market": market,
    }
    spec = {
        "datacentre": {"it_capacity_mw": 10, "idle_fraction": 0.0, "pue": 1.0, "firm_mw": 1},
        "grid": grid,
    }
    for key, value in site.items():
        if key in grid:
            grid[key] = value
        else:
            spec[key] = value
    return {
        "name": name,
        "currency": "EUR",
        "snapshots": {"start": "2025-01-01T00:00:00Z", "periods": HOURS},
        "sites": {"s": spec},
    }


BATTERY = {
    "power_mw": 2,
    "energy_mwh": 4,
    "charge_efficiency": 0.9,
    "discharge_efficiency": 0.9,
}
"""2 MW / 4 MWh, 90 % each way, cyclic, no standing loss."""


@pytest.fixture
def solve_case(write_study: Callable[..., Path]) -> Callable[..., Result]:
    """Write, solve and check a hand case; return its result."""

    def run(scenario: dict) -> Result:
        study = load_study(write_study(scenario))
        result = solve(study)
        assert_invariants(result)
        assert_same_optimum(result, independent_objectives(study))
        return result

    return run


def test_battery_offers_up_to_its_power_and_down_to_its_room(
    solve_case: Callable[..., Result],
) -> None:
    # Energy: 1 MW firm at 100 EUR/MWh, 400 EUR in 4 h. The battery holds a level L
    # all along (cycling loses 19 % of 100 EUR/MWh, far more than offers earn). It can
    # raise its discharge to 2 MW while 0.9 L lasts the hour (up = min(2, 0.9 L)), and
    # charge at 2 MW while the room takes it (down = min(2, (4 - L) / 0.9)). Revenue
    # per hour 10 up + 5 down: rising in L (slope 9 - 5/0.9 > 0) up to L = 2/0.9, where
    # up reaches 2; beyond, only down falls. So up = 2, down = (4 - 2/0.9) / 0.9.
    market = {"availability_price_up": 10, "availability_price_down": 5}
    result = solve_case(case("battery", market, battery=BATTERY))
    down = (4 - 2 / 0.9) / 0.9
    offered = result.flexible["s"].flexibility_offered
    assert offered["up"] == exactly([2.0] * HOURS)
    assert offered["down"] == exactly([down] * HOURS)
    hourly = result.dispatch.sel(run="flexible")
    assert hourly["offered_up"].values.ravel() == exactly([2.0] * HOURS)
    assert hourly["offered_down"].values.ravel() == exactly([down] * HOURS)
    revenue = HOURS * (10 * 2 + 5 * down)
    summary = result.summary
    assert summary["flexibility_revenue"] == exactly(revenue)
    assert summary["offered_up_mwh"] == exactly(2 * HOURS)
    assert summary["offered_down_mwh"] == exactly(down * HOURS)
    assert summary["objective"] == exactly(400 - revenue)
    # The baseline has the same battery and market: storage offers the same.
    assert summary["baseline"]["flexibility_revenue"] == exactly(revenue)


def test_import_limit_bounds_the_offer_down(solve_case: Callable[..., Result]) -> None:
    # As above with an import limit of 2 MW: the net import (1 MW) may rise by 1 MW
    # only, so down = 1 whatever the battery's room, and up = 2 (L = 2/0.9).
    # Activation: 20 % of the down offer expected to be called at 50 EUR/MWh adds
    # 10 EUR/MW/h to its value: 5 + 10 = 15 per MW down.
    market = {
        "availability_price_up": 10,
        "availability_price_down": 5,
        "activation_price_down": 50,
        "activation_share_down": 0.2,
    }
    result = solve_case(case("import", market, battery=BATTERY, import_limit_mw=2))
    offered = result.flexible["s"].flexibility_offered
    assert offered["up"] == exactly([2.0] * HOURS)
    assert offered["down"] == exactly([1.0] * HOURS)
    assert result.summary["flexibility_revenue"] == exactly(HOURS * (10 * 2 + 15 * 1))
    assert result.summary["objective"] == exactly(400 - HOURS * 35)


def test_interruptible_work_is_left_unserved_when_the_offer_down_pays_more(
    solve_case: Callable[..., Result],
) -> None:
    # PUE 1.2, firm 2 MW, 3 MW of interruptible work worth 50 EUR/MWh, import at 40:
    # serving it costs 48 per MWh of work. Served, the site offers up its facility
    # power 1.2 x 3 = 3.6 MW (5 EUR/MW/h: 18); unserved, it offers down 3.6 MW (8
    # EUR/MW/h: 28.8) at a loss of 50 - 48 = 2 per MWh of work (6). Per hour:
    # served 1.2 x 5 x 40 - 18 = 222, unserved 1.2 x 2 x 40 + 150 - 28.8 = 217.2.
    # The baseline must serve it all and stop none: 240, no offer.
    market = {"availability_price_up": 5, "availability_price_down": 8}
    datacentre = {
        "it_capacity_mw": 10,
        "idle_fraction": 0.0,
        "pue": 1.2,
        "firm_mw": 2,
        "interruptible": {"offered_mw": 3, "value_of_lost_work": 50},
    }
    result = solve_case(case("interruptible", market, datacentre=datacentre, import_price=40))
    offered = result.flexible["s"].flexibility_offered
    assert offered["up"] == exactly([0.0] * HOURS)
    assert offered["down"] == exactly([3.6] * HOURS)
    assert result.summary["objective"] == exactly(HOURS * 217.2)
    assert result.summary["unserved_mwh"] == exactly(3 * HOURS)
    baseline = result.summary["baseline"]
    assert baseline["objective"] == exactly(HOURS * 240)
    assert baseline["flexibility_revenue"] == 0.0
    assert result.baseline["s"].flexibility_offered["up"] == exactly([0.0] * HOURS)


def shipped(variant: str = "up-10", hours: int = 48) -> Study:
    """A variant of the shipped Olkaria market sweep, its first ``hours``."""
    sweep = load_sweep(NETWORKS / "olkaria" / "flexibility-market.yaml")
    chosen = next(v for v in sweep.variants if v.name == variant)
    return study_from_scenario(chosen.scenario, sweep.base, hours)


def test_saved_network_resolves_to_the_same_optimum(tmp_path: Path) -> None:
    # network.nc holds the market in n.meta; add_network_constraints puts the offers
    # back, and the re-solve reaches the reported optimum, revenue included.
    import pypsa

    result = solve(shipped())
    assert result.summary["flexibility_revenue"] > 0
    path = tmp_path / "network.nc"
    export_network(result.network, path)
    n = pypsa.Network(path)
    assert [e["site"] for e in n.meta["flexibility_markets"]] == ["olkaria"]
    n.optimize(
        extra_functionality=add_network_constraints,
        include_objective_constant=False,
        log_to_console=False,
    )
    assert n.objective == pytest.approx(result.summary["objective"], rel=1e-7)
    n.optimize(include_objective_constant=False, log_to_console=False)
    assert n.objective > result.summary["objective"] + 1.0  # without the offers: no revenue


def test_merged_parts_resolve_to_the_same_optimum(tmp_path: Path) -> None:
    # Two independent sites, each with a market, solved apart and merged: the merged
    # network.nc holds both markets and re-solves to the sum of the optima.
    import pypsa

    result = solve(load_study(DATA / "flexibility_market"))
    path = tmp_path / "network.nc"
    export_network(result.network, path)
    n = pypsa.Network(path)
    assert sorted(e["site"] for e in n.meta["flexibility_markets"]) == ["es", "ke"]
    n.optimize(
        extra_functionality=add_network_constraints,
        include_objective_constant=False,
        log_to_console=False,
    )
    assert n.objective == pytest.approx(result.summary["objective"], rel=1e-7)
    sites = result.summary["sites"]
    assert sites["ke"]["offered_up_mwh"] > 0 and sites["es"]["offered_down_mwh"] > 0


def test_envelope_of_a_study_with_a_market() -> None:
    # The offers move no power: the envelope takes them as 0 and still computes.
    study = shipped()
    result = solve(study)
    edges = envelope_of_network(result.network, "olkaria", 3, "market", study)
    assert (edges["import_max"] >= edges["grid_import"] - 1e-9).all()
    assert (edges["import_up"] > 1e-6).any()


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        ({"activation_share_up": 1.5}, "activation_share_up", "less than or equal to 1"),
        ({"availability_price_up": -1}, "availability_price_up", "greater than or equal to 0"),
        ({"availability_up": 5}, "flexibility_market.availability_up", "unknown field"),
        ({"facility_ramp": True}, "flexibility_market", "facility_ramp_mw_per_h"),
    ],
)
def test_bad_markets_are_refused_in_one_line(
    write_study: Callable[..., Path], change: dict, field: str, problem: str
) -> None:
    market = {"availability_price_up": 10}
    scenario = case("bad", market, battery=BATTERY)
    if change.pop("facility_ramp", False):
        scenario["sites"]["s"]["datacentre"]["facility_ramp_mw_per_h"] = 1.0
    market.update(change)
    with pytest.raises(ScenarioError) as error:
        load_study(write_study(scenario))
    message = str(error.value)
    assert "\n" not in message
    assert field in message and problem in message


def test_rolling_operation_and_variant_reuse_refuse_markets() -> None:
    study = shipped(hours=24)
    with pytest.raises(ScenarioError, match="sites.olkaria.grid.flexibility_market"):
        operate(study, 12, 6)
    with pytest.raises(ScenarioError, match="Dispatcher does not carry offers of flexibility"):
        Dispatcher(study)
    assert not reusable(study, {})


def test_shipped_market_matches_the_independent_lp() -> None:
    # Olkaria's up-20 variant, two days: work, battery and renewables all offer; the
    # geothermal unit has a ramp limit and offers nothing.
    study = shipped("up-20")
    result = solve(study)
    assert_invariants(result)
    assert_same_optimum(result, independent_objectives(study))
    summary = result.summary
    assert summary["offered_up_mwh"] > 0 and summary["offered_down_mwh"] > 0
    # The baseline offers what its battery and renewables can, not its work: less.
    assert summary["baseline"]["flexibility_revenue"] < summary["flexibility_revenue"]


def test_compact_lp_refuses_markets() -> None:
    # benchmarks/compact_lp.py states no offers: it must not time a study with a market.
    from test_compact_lp import _compact_lp

    with pytest.raises(NotImplementedError, match="flexibility_market"):
        _compact_lp().check_stated(shipped(hours=24))
