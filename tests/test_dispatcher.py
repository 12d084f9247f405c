"""The Dispatcher: a window re-solved in place with new series and initial levels
reaches the optimum of a fresh solve of the study with those series, and its hourly
arrays satisfy the invariants of MODEL.md §7 that the arrays alone show."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import numpy as np
import pytest
import yaml

from dispatch import (
    Dispatcher,
    InfeasibleError,
    ScenarioError,
    load_study,
    parse_scenario,
    solve,
    study_from_scenario,
)
from dispatch.scenario.study import Study
from dispatch.testing.capacities import check_capacities
from dispatch.testing.checker import Checker
from dispatch.testing.derived import check_derived
from dispatch.testing.heat import check_heat
from dispatch.testing.objective import check_objective
from dispatch.testing.routes import moved_from_arrays
from dispatch.testing.schedule import schedule_from_arrays
from dispatch.testing.storage import check_storage
from dispatch.testing.supply import check_supply
from dispatch.testing.workload import check_workload

HOURS = 48


def _with_battery_initial_level(study: Study, site: str, level_pu: float) -> Study:
    """``study`` with a non-cyclic battery starting at ``level_pu`` of its energy.

    Without standing loss: PyPSA 1.4 applies none to the initial level in the first
    step, which MODEL.md's recursion (and so ``check_storage``) does.
    """
    spec = study.sites[site]
    battery = spec.battery.model_copy(
        update={"initial_level_pu": level_pu, "standing_loss_per_h": 0.0}
    )
    sites = {**study.sites, site: spec.model_copy(update={"battery": battery})}
    return dataclasses.replace(study, scenario=study.scenario.model_copy(update={"sites": sites}))


def _study(name: str) -> tuple[Study, Study, str]:
    """The first window of a shipped study (battery starting half full), the next
    two days' series on the same snapshots, and the site."""
    window = load_study(f"networks/{name}", hours=HOURS)
    site = next(iter(window.sites))
    window = _with_battery_initial_level(window, site, 0.5)
    later = load_study(f"networks/{name}", hours=2 * HOURS)
    series = {key: values[HOURS:] for key, values in later.series.items()}
    return window, dataclasses.replace(window, series=series), site


def _assert_arrays_invariants(study: Study, sites: dict, routes: dict) -> None:
    """The invariants of ``dispatch.testing.assert_invariants`` that the flexible
    run's arrays show alone (the Dispatcher's network is not a solved PyPSA network)."""
    checker = functools.partial(Checker, snapshots=study.snapshots, rtol=1e-6, atol=1e-5)
    schedules = {site: schedule_from_arrays(study, site, run) for site, run in sites.items()}
    for site, s in schedules.items():
        check = checker(f"site {site!r}, dispatcher")
        check_capacities(check, study, site, s)
        check_supply(check, study, site, s)
        check_storage(check, study, site, s)
        check_workload(check, study, site, s, baseline=False)
        check_heat(check, study, site, s)
        check_derived(check, study, site, sites[site])
    check_objective(checker("dispatcher"), study, schedules, moved_from_arrays(study, routes))


def _assert_as_fresh_solve(dispatcher: Dispatcher, expected_study: Study, site: str) -> None:
    sites, routes = dispatcher.solve()
    fresh = solve(expected_study)
    ours, theirs = sites[site], fresh.flexible[site]
    assert ours.objective == pytest.approx(theirs.objective, rel=1e-6, abs=1e-6)
    _assert_arrays_invariants(dispatcher.window_study, sites, routes)


@pytest.fixture(scope="module", params=["olkaria", "solar-battery"])
def case(request: pytest.FixtureRequest) -> tuple[Dispatcher, Study, Study, str]:
    window, later, site = _study(request.param)
    return Dispatcher(window), window, later, site


def test_first_window_is_a_fresh_solve(case: tuple) -> None:
    dispatcher, window, _, site = case
    sites, _ = dispatcher.solve()
    fresh = solve(window).flexible[site]
    assert sites[site].objective == pytest.approx(fresh.objective, rel=1e-6)
    np.testing.assert_allclose(sites[site].grid_import, fresh.grid_import, atol=1e-6)
    np.testing.assert_allclose(sites[site].backlog, fresh.backlog, atol=1e-6)


@pytest.mark.parametrize(
    "fields",
    [
        ("grid.import_price", "grid.export_price"),
        ("solar.availability", "run_of_river.availability", "grid.import_limit_mw"),
        (
            "datacentre.deferrable.arrivals_mwh",
            "datacentre.interruptible.offered_mw",
            "datacentre.firm_mw",
            "datacentre.pue",
        ),
    ],
    ids=["prices", "availability", "workload"],
)
def test_changed_series_as_fresh_solve(case: tuple, fields: tuple[str, ...]) -> None:
    dispatcher, window, later, site = case
    changed = {
        f"{site}/{field}": later.values(site, field)
        for field in fields
        if f"{site}/{field}" in window.series
    }
    dispatcher.set_series(changed)
    expected = dataclasses.replace(window, series={**window.series, **changed})
    _assert_as_fresh_solve(dispatcher, expected, site)
    dispatcher.set_series({key: window.series[key] for key in changed})


def test_initial_levels_as_fresh_solve(case: tuple) -> None:
    dispatcher, window, later, site = case
    dispatcher.set_series(later.series)
    energy = window.sites[site].battery.energy_mwh
    dispatcher.set_initial_levels(site, battery_mwh=0.8 * energy, backlog_mwh=4.0)
    expected = _with_battery_initial_level(later, site, 0.8)
    dc = expected.sites[site].datacentre
    deferrable = dc.deferrable.model_copy(update={"initial_backlog_mwh": 4.0})
    spec = expected.sites[site].model_copy(
        update={"datacentre": dc.model_copy(update={"deferrable": deferrable})}
    )
    expected = dataclasses.replace(
        expected,
        scenario=expected.scenario.model_copy(update={"sites": {**expected.sites, site: spec}}),
    )
    _assert_as_fresh_solve(dispatcher, expected, site)


def test_reservoir_inflow_and_level_as_fresh_solve() -> None:
    window = load_study("networks/nordic", hours=HOURS)
    site = next(iter(window.sites))
    spec = window.sites[site]
    reservoir = spec.reservoir.model_copy(update={"initial_level_pu": 0.5})
    sites = {site: spec.model_copy(update={"reservoir": reservoir})}
    window = dataclasses.replace(
        window, scenario=window.scenario.model_copy(update={"sites": sites})
    )
    dispatcher = Dispatcher(window)
    dispatcher.solve()
    inflow = 3.0 * window.values(site, "reservoir.inflow_mw")
    dispatcher.set_series({f"{site}/reservoir.inflow_mw": inflow})
    dispatcher.set_initial_levels(site, reservoir_mwh=0.4 * reservoir.energy_mwh)
    expected = dataclasses.replace(
        dispatcher.window_study, series={**window.series, f"{site}/reservoir.inflow_mw": inflow}
    )
    assert expected.sites[site].reservoir.initial_level_pu == pytest.approx(0.4)
    _assert_as_fresh_solve(dispatcher, expected, site)


@pytest.fixture(scope="module")
def olkaria() -> Dispatcher:
    return Dispatcher(load_study("networks/olkaria", hours=HOURS))


@pytest.mark.parametrize(
    ("key", "values", "problem"),
    [
        ("olkaria/grid.import_price", np.ones(47), "has 47 values, the window has 48"),
        ("olkaria/solar.availability", np.full(48, np.nan), "is NaN or infinite"),
        ("olkaria/datacentre.deferrable.arrivals_mwh", np.full(48, -1.0), "is -1 at"),
        ("olkaria/wind.availability", np.ones(48), "is not a series of this study"),
    ],
)
def test_bad_series(olkaria: Dispatcher, key: str, values: np.ndarray, problem: str) -> None:
    with pytest.raises(ScenarioError, match=problem) as raised:
        olkaria.set_series({key: values})
    assert key in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("levels", "field", "problem"),
    [
        ({"battery_mwh": 5.0}, "battery.initial_level_pu", "cyclic"),
        ({"backlog_mwh": -1.0}, "initial_backlog_mwh", "is -1 MWh"),
        ({"reservoir_mwh": 1.0}, "reservoir.initial_level_pu", "no reservoir"),
    ],
)
def test_bad_initial_levels(olkaria: Dispatcher, levels: dict, field: str, problem: str) -> None:
    with pytest.raises(ScenarioError, match=problem) as raised:
        olkaria.set_initial_levels("olkaria", **levels)
    assert field in str(raised.value)
    assert "\n" not in str(raised.value)


def test_sized_capacities_are_refused() -> None:
    study = load_study("networks/olkaria", hours=HOURS)
    spec = study.sites["olkaria"]
    solar = spec.solar.model_copy(
        update={"expansion": {"capex_per_mw": 1e5, "lifetime_years": 25, "discount_rate": 0.05}}
    )
    sites = {"olkaria": spec.model_copy(update={"solar": solar})}
    sized = dataclasses.replace(study, scenario=study.scenario.model_copy(update={"sites": sites}))
    with pytest.raises(ScenarioError, match="solar.expansion: a Dispatcher needs given"):
        Dispatcher(sized)


@pytest.mark.parametrize("heat_pump_cop", [None, 3.0], ids=["exchanger", "heat-pump"])
def test_heat_reuse_and_pue_as_fresh_solve(heat_pump_cop: float | None) -> None:
    source = Path("networks/olkaria/scenario.yaml")
    raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    heat = {"recoverable_fraction": 0.6, "demand_mw": 10.0, "price": 30.0}
    if heat_pump_cop is not None:
        heat["heat_pump_cop"] = heat_pump_cop
    raw["sites"]["olkaria"]["datacentre"]["heat_reuse"] = heat
    window = study_from_scenario(parse_scenario(raw, str(source)), source, hours=HOURS)
    dispatcher = Dispatcher(window)
    dispatcher.solve()
    changed = {
        "olkaria/datacentre.heat_reuse.demand_mw": np.linspace(5.0, 25.0, HOURS),
        "olkaria/datacentre.heat_reuse.price": np.linspace(10.0, 60.0, HOURS),
        "olkaria/datacentre.pue": np.linspace(1.1, 1.4, HOURS),
    }
    dispatcher.set_series(changed)
    expected = dataclasses.replace(window, series={**window.series, **changed})
    _assert_as_fresh_solve(dispatcher, expected, "olkaria")


def test_routed_sites_as_fresh_solve() -> None:
    window = load_study("networks/multi-site", hours=HOURS)
    later = load_study("networks/multi-site", hours=2 * HOURS)
    dispatcher = Dispatcher(window)
    dispatcher.solve()
    series = {key: values[HOURS:] for key, values in later.series.items()}
    dispatcher.set_series(series)
    _assert_as_fresh_solve(
        dispatcher, dataclasses.replace(window, series=series), next(iter(window.sites))
    )


def test_infeasible_window_is_explained(olkaria: Dispatcher) -> None:
    study = olkaria.window_study
    keys = ("olkaria/datacentre.firm_mw", "olkaria/grid.import_limit_mw")
    olkaria.set_series({keys[0]: np.full(HOURS, 45.0), keys[1]: np.zeros(HOURS)})
    try:
        with pytest.raises(InfeasibleError) as raised:
            olkaria.solve()
        assert "\n" not in str(raised.value)
    finally:
        olkaria.set_series({key: study.series[key] for key in keys})
    assert olkaria.solve()[0]["olkaria"].objective == pytest.approx(
        solve(study).flexible["olkaria"].objective, rel=1e-6
    )
