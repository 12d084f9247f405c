"""Offers of flexibility to the grid partner: each step's offer up and down within
what the site can deliver in that step, computed again from the hourly arrays (not
from the model's rows), all of it offered where it is paid, and the payment the
objective holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dispatch.testing.series import series_values
from dispatch.testing.workload import deadline_window

if TYPE_CHECKING:
    from dispatch.results.extract import RunDispatch
    from dispatch.scenario.study import Study
    from dispatch.testing.checker import Checker


def flexibility_payment(study: Study, runs: dict[str, RunDispatch]) -> float:
    """The expected payment for the offers of every site with a market: sum_t w
    [(availability up + share up x activation up) x up_t + the same down] [currency]."""
    payment = 0.0
    for site, run in runs.items():
        grid = study.sites[site].grid
        market = None if grid is None else grid.flexibility_market
        if market is None or run.flexibility_offered is None:
            continue
        up, down = run.flexibility_offered["up"], run.flexibility_offered["down"]
        payment += study.step_h * float(np.sum(market.value_up() * up + market.value_down() * down))
    return payment


def _work_headroom(
    study: Study, site: str, run: RunDispatch, baseline: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Facility MW of work that may stop (up) and start (down) within the step."""
    dc, w = study.sites[site].datacentre, study.step_h
    zeros = np.zeros(len(study.snapshots))
    idle, capacity = dc.idle_fraction, dc.it_capacity_mw
    busy = 1.0 - idle
    work = sum(run.it_power[c] for c in ("firm", "deferrable", "interruptible")) / busy
    stoppable = startable = zeros
    if not baseline and dc.interruptible is not None:
        stoppable = stoppable + run.interruptible_served
        startable = startable + run.unserved
    if not baseline and dc.deferrable is not None:
        here = run.it_power["deferrable"] / busy - run.moved_in["deferrable"]
        room = (deadline_window(study, site) - run.backlog) / w
        stoppable = stoppable + np.clip(np.minimum(here, room), 0.0, None)
        startable = startable + np.clip(run.backlog / w, 0.0, None)
    least = max(0.0, dc.min_it_pu - idle) * capacity / busy
    stoppable = np.minimum(stoppable, np.clip(work - least, 0.0, None))
    startable = np.minimum(startable, np.clip(capacity - work, 0.0, None))
    per_work = series_values(study, site, "datacentre.pue") * busy
    return per_work * stoppable, per_work * startable


def _battery_headroom(study: Study, site: str, run: RunDispatch) -> tuple[np.ndarray, np.ndarray]:
    """MW a battery may add up (charge cancelled first: it costs less energy, then
    discharge raised) and down (charge raised first, then discharge cancelled)."""
    bat, w = study.sites[site].battery, study.step_h
    if bat is None:
        return 0.0, 0.0
    eta_in, eta_out, power = bat.charge_efficiency, bat.discharge_efficiency, bat.power_mw
    charge = run.battery_charge
    discharge = run.output["battery"] + charge
    stored, room = run.battery_level / w, (bat.energy_mwh - run.battery_level) / w
    cancel_charge = np.clip(np.minimum(charge, stored / eta_in), 0.0, None)
    more_discharge = np.minimum(power - discharge, (stored - eta_in * cancel_charge) * eta_out)
    more_charge = np.clip(np.minimum(power - charge, room / eta_in), 0.0, None)
    cancel_discharge = np.minimum(discharge, (room - eta_in * more_charge) * eta_out)
    up = cancel_charge + np.clip(more_discharge, 0.0, None)
    return up, more_charge + np.clip(cancel_discharge, 0.0, None)


def _supply_headroom(study: Study, site: str, run: RunDispatch) -> tuple[np.ndarray, np.ndarray]:
    """MW that renewables and geothermal without a ramp limit may add (within their
    availability) and cut (down to their minimum output)."""
    spec = study.sites[site]
    up = down = 0.0
    for carrier in ("solar", "wind", "run_of_river"):
        if getattr(spec, carrier) is not None:
            up = up + run.available[carrier] - run.output[carrier]
            down = down + run.output[carrier]
    geo = spec.geothermal
    if geo is not None and geo.ramp_pu_per_h is None:
        output, rating = run.output["geothermal"], geo.capacity_mw
        steady_most = rating * (1.0 if geo.steam_pu is None else geo.steam_pu)
        up = up + steady_most + geo.flexible_steam_pu * rating - output
        down = down + output - geo.min_stable_pu * rating
    return up, down


def deliverable(
    study: Study, site: str, run: RunDispatch, baseline: bool
) -> tuple[np.ndarray, np.ndarray]:
    """What the site can deliver up and down within each step of one run, from its
    dispatch: work, battery and supply headroom, within the grid's export (up) and
    import (down) limits and the market's largest offer [MW]."""
    grid = study.sites[site].grid
    work_up, work_down = _work_headroom(study, site, run, baseline)
    battery_up, battery_down = _battery_headroom(study, site, run)
    supply_up, supply_down = _supply_headroom(study, site, run)
    net_import = run.grid_import - run.grid_export
    import_limit = series_values(study, site, "grid.import_limit_mw")
    if grid.tariff is not None and grid.tariff.contracted_mw is not None:
        import_limit = np.minimum(import_limit, grid.tariff.contracted_mw)
    largest = grid.flexibility_market.max_offer_mw
    largest = np.inf if largest is None else largest
    up = np.minimum(
        work_up + battery_up + supply_up,
        net_import + series_values(study, site, "grid.export_limit_mw"),
    )
    down = np.minimum(work_down + battery_down + supply_down, import_limit - net_import)
    return np.minimum(up, largest), np.minimum(down, largest)


def check_flexibility(
    check: Checker, study: Study, site: str, run: RunDispatch, baseline: bool
) -> None:
    """A site's offers in one run: non-negative, within what it can deliver in the
    step, and all of that where the offer is paid (the LP has no reason to offer
    less)."""
    grid = study.sites[site].grid
    market = None if grid is None else grid.flexibility_market
    if market is None:
        assert run.flexibility_offered is None, f"{check.where}: offers without a market"
        return
    up, down = deliverable(study, site, run, baseline)
    for direction, most, value in (
        ("up", up, market.value_up()),
        ("down", down, market.value_down()),
    ):
        offered = run.flexibility_offered[direction]
        check.at_least(f"offered {direction} >= 0", offered, 0.0, "MW")
        check.at_most(f"offered {direction} <= deliverable in the step", offered, most, "MW")
        if value > 0:
            check.equal(f"offered {direction} = deliverable (paid)", offered, most, "MW")


def check_flexibility_figures(
    check: Checker, study: Study, site: str, fig: dict, run: RunDispatch, name: str
) -> None:
    """A site's flexibility figures in one run (``name``) from its offers: the
    payment and the MW·h offered up and down."""
    offered = run.flexibility_offered or {}
    check.equal(
        f"{name}: flexibility revenue = sum_t w value x offer, up and down",
        fig["flexibility_revenue"],
        flexibility_payment(study, {site: run}),
        study.scenario.currency,
    )
    for direction in ("up", "down"):
        check.equal(
            f"{name}: offered {direction} = sum_t w offer",
            fig[f"offered_{direction}_mwh"],
            study.step_h * float(np.sum(offered.get(direction, 0.0))),
            "MWh",
        )
