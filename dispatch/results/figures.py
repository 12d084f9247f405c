"""Key figures of MODEL.md §6 from the hourly dispatch of both runs."""

from __future__ import annotations

import numpy as np

from dispatch.results.extract import RunDispatch
from dispatch.results.flexibility import flexibility_figures
from dispatch.results.tariff import tariff_cost, tariff_figures
from dispatch.scenario.study import Study

UNITS: dict[str, str] = {
    "objective": "currency",
    "total_cost": "currency",
    "energy_cost": "currency",
    "carbon_cost": "currency",
    "lost_work_cost": "currency",
    "demand_charge_cost": "currency",
    "fixed_charge_cost": "currency",
    "contracted_mw": "MW",
    "peak_import_mw": "MW",
    "flexibility_revenue": "currency",
    "offered_up_mwh": "MWh",
    "offered_down_mwh": "MWh",
    "battery_throughput_cost": "currency",
    "routing_cost": "currency",
    "capital_cost": "currency",
    "capacities": "MW (battery_energy: MWh)",
    "heat_revenue": "currency",
    "heat_delivered_mwh": "MWh",
    "heat_pump_energy_mwh": "MWh",
    "water_m3": "m3",
    "emissions_tco2": "tCO2",
    "facility_energy_mwh": "MWh",
    "it_energy_mwh": "MWh",
    "grid_import_mwh": "MWh",
    "grid_export_mwh": "MWh",
    "curtailment_baseline_mwh": "MWh",
    "curtailment_mwh": "MWh",
    "curtailment_by_carrier_mwh": "MWh",
    "curtailment_baseline_by_carrier_mwh": "MWh",
    "vented_geothermal_mwh": "MWh",
    "flexible_steam_mwh": "MWh",
    "pumped_mwh": "MWh",
    "absorbed_mwh": "MWh",
    "absorbed_by_carrier_mwh": "MWh",
    "absorbed_share": "1",
    "grid_surplus_absorbed_mwh": "MWh",
    "grid_surplus_absorbed_baseline_mwh": "MWh",
    "deferred_energy_mwh": "MWh",
    "max_delay_h": "h",
    "unserved_mwh": "MWh",
    "renewable_share": "1",
    "cfe_score": "1",
    "it_capacity_value_per_mw": "currency/MW",
    "backlog_bound_value_per_mwh": "currency/MWh",
    "capacity_value_per_mw": "currency/MW",
}


DEFAULT_WATER_M3_PER_MWH = {"dry": 0.0, "evaporative": 1.8}
"""Cooling water per MWh of IT energy by cooling type when the scenario gives none
[m3/MWh]: evaporative cooling at a typical WUE of 1.8 L/kWh, dry coolers none."""


def fifo_max_delay(
    arrivals: np.ndarray, served: np.ndarray, initial: float, step_h: float
) -> float:
    """Largest delay of any deferrable work served, first in first out [h].

    Parameters
    ----------
    arrivals
        Work arriving in each step [MWh].
    served
        Work served in each step [MWh].
    initial
        Backlog before the first step, counted as arriving in the first step [MWh].
    step_h
        Step length [h].

    Examples
    --------
    >>> import numpy as np
    >>> fifo_max_delay(np.array([2.0, 0, 0]), np.array([1.0, 0, 1.0]), 0.0, 1.0)
    2.0
    """
    arrived = np.cumsum(arrivals) + initial
    served_before = np.concatenate([[0.0], np.cumsum(served)[:-1]])
    tolerance = 1e-6 * max(1.0, float(arrived[-1]))
    steps = np.flatnonzero(served > tolerance)
    if not len(steps):
        return 0.0
    # The oldest unit served in step t is unit number served_before[t]; it arrived in
    # the first step whose cumulative arrivals exceed that number.
    oldest = np.searchsorted(arrived, served_before[steps] + tolerance, side="right")
    return float(np.max(steps - oldest)) * step_h


def _energy(values: np.ndarray, step_h: float) -> float:
    return float(np.sum(values) * step_h)


def run_figures(
    study: Study, site: str, run: RunDispatch, routes: dict[str, dict[str, np.ndarray]]
) -> dict[str, float]:
    """Key figures of one site in one run that need no baseline to compare with.

    The cost of moving work is the origin site's; ``objective`` is the site's part
    of the objective (its ``total_cost``); the study's figures add the sites up.

    Returns
    -------
    dict
        Costs [currency], energies [MWh], emissions [tCO2], shares [1],
        ``max_delay_h`` [h]; names as in ``UNITS``. A reservoir's curtailment is its
        spill in MWh of potential energy; ``pumped_mwh`` is what its pump drew from
        the site bus [MWh].
    """
    spec, w = study.sites[site], study.step_h
    dc = spec.datacentre
    zeros = np.zeros(len(study.snapshots))

    def series(path: str) -> np.ndarray:
        return study.series.get(f"{site}/{path}", zeros)

    local_cost = zeros.copy()
    emissions = series("grid.carbon_intensity_t_per_mwh") * run.grid_import
    for carrier in ("solar", "wind", "run_of_river", "geothermal", "reservoir"):
        asset = getattr(spec, carrier)
        if asset is not None:
            local_cost = local_cost + asset.marginal_cost * run.output[carrier]
            emissions = emissions + getattr(asset, "co2_t_per_mwh", 0.0) * run.output[carrier]
    throughput_cost = zeros
    if (bat := spec.battery) is not None:
        throughput_cost = bat.throughput_cost_per_mwh * (run.output["battery"] + run.battery_charge)
    flexible_steam = flexible_steam_cost = zeros
    if (geo := spec.geothermal) is not None and geo.steam_pu is not None:
        # Output above the steady steam the turbine took (available - vented).
        steady = run.available["geothermal"] - run.curtailment["geothermal"]
        flexible_steam = run.output["geothermal"] - steady
        flexible_steam_cost = geo.flexible_steam_cost_per_mwh * flexible_steam
    local_cost = local_cost + throughput_cost + flexible_steam_cost
    energy_cost = _energy(
        local_cost
        + series("grid.import_price") * run.grid_import
        - series("grid.export_price") * run.grid_export,
        w,
    )
    carbon_cost = _energy(
        study.scenario.carbon_price * series("grid.carbon_intensity_t_per_mwh") * run.grid_import,
        w,
    )
    value_of_lost_work = dc.interruptible.value_of_lost_work if dc.interruptible else 0.0
    lost_work_cost = value_of_lost_work * _energy(run.unserved, w)
    routing_cost = sum(
        route.cost_per_mwh * _energy(sum(routes[name].values()), w)
        for name, (route, _) in study.routes.items()
        if route.origin == site
    )
    facility = sum(run.facility_power.values())
    facility_energy = _energy(facility, w)
    clean_import = (1 - series("grid.clean_share")) * run.grid_import
    surplus = study.series.get(f"{site}/grid.surplus_mw")

    deferred_energy = max_delay = 0.0
    if dc.deferrable is not None:
        arrivals = study.values(site, "datacentre.deferrable.arrivals_mwh")
        deferred_energy = float(np.sum(np.minimum(arrivals, np.maximum(run.backlog, 0.0))))
        max_delay = fifo_max_delay(
            arrivals, run.deferred_served * w, dc.deferrable.initial_backlog_mwh, w
        )

    def share(numerator: np.ndarray) -> float:
        return _energy(numerator, w) / facility_energy if facility_energy > 0 else 0.0

    heat = dc.heat_reuse
    heat_revenue = (
        0.0
        if heat is None
        else _energy(study.values(site, "datacentre.heat_reuse.price") * run.heat_delivered, w)
    )
    it_energy = _energy(sum(run.it_power.values()), w)
    water_per_mwh = dc.water_m3_per_mwh
    if water_per_mwh is None:
        water_per_mwh = DEFAULT_WATER_M3_PER_MWH[dc.cooling]
    tariff = tariff_figures(study, site, run.grid_import)
    flexibility = flexibility_figures(study, site, run)
    total_cost = (
        energy_cost
        + carbon_cost
        + lost_work_cost
        + routing_cost
        - heat_revenue
        + run.capital_cost
        + tariff_cost(study, site, tariff)
        - flexibility["flexibility_revenue"]
    )
    return {
        "objective": total_cost,
        "total_cost": total_cost,
        "energy_cost": energy_cost,
        "carbon_cost": carbon_cost,
        "lost_work_cost": lost_work_cost,
        **tariff,
        **flexibility,
        "battery_throughput_cost": _energy(throughput_cost, w),
        "routing_cost": routing_cost,
        "capital_cost": run.capital_cost,
        "capacities": dict(run.capacities),
        "heat_revenue": heat_revenue,
        "heat_delivered_mwh": _energy(run.heat_delivered, w),
        "heat_pump_energy_mwh": _energy(run.heat_pump_power, w),
        "water_m3": water_per_mwh * it_energy,
        "emissions_tco2": _energy(emissions, w),
        "facility_energy_mwh": facility_energy,
        "it_energy_mwh": it_energy,
        "grid_import_mwh": _energy(run.grid_import, w),
        "grid_export_mwh": _energy(run.grid_export, w),
        "curtailment_mwh": sum(_energy(c, w) for c in run.curtailment.values()),
        "curtailment_by_carrier_mwh": {
            carrier: _energy(c, w) for carrier, c in run.curtailment.items()
        },
        "vented_geothermal_mwh": _energy(run.curtailment.get("geothermal", zeros), w),
        "flexible_steam_mwh": _energy(flexible_steam, w),
        "pumped_mwh": 0.0 if run.reservoir_pump is None else _energy(run.reservoir_pump, w),
        "grid_surplus_absorbed_mwh": (
            0.0 if surplus is None else _energy(np.minimum(run.grid_import, surplus), w)
        ),
        "deferred_energy_mwh": deferred_energy,
        "max_delay_h": max_delay,
        "unserved_mwh": _energy(run.unserved, w),
        "renewable_share": share(np.maximum(0.0, facility - run.grid_import)),
        "cfe_score": share(np.maximum(0.0, facility - clean_import)),
    }


def _with_absorption(flex: dict, base: dict) -> dict:
    """Flexible-run figures plus curtailment absorbed against the baseline's."""
    curtailment_baseline = base["curtailment_mwh"]
    absorbed = curtailment_baseline - flex["curtailment_mwh"]
    summary = {
        **flex,
        "curtailment_baseline_mwh": curtailment_baseline,
        "curtailment_baseline_by_carrier_mwh": base["curtailment_by_carrier_mwh"],
        "absorbed_mwh": absorbed,
        "absorbed_by_carrier_mwh": {
            carrier: base["curtailment_by_carrier_mwh"][carrier] - value
            for carrier, value in flex["curtailment_by_carrier_mwh"].items()
        },
        "absorbed_share": absorbed / curtailment_baseline if curtailment_baseline > 0 else 0.0,
        "grid_surplus_absorbed_baseline_mwh": base["grid_surplus_absorbed_mwh"],
        "baseline": base,
    }
    return {name: summary[name] for name in (*UNITS, "baseline") if name in summary}


SHARES = ("renewable_share", "cfe_score")


def _study_totals(per_site: list[dict], objective: float) -> dict:
    """Study figures from the sites': sums, facility-weighted shares, longest delay."""
    totals: dict = {}
    for name in per_site[0]:
        values = [figures[name] for figures in per_site]
        if isinstance(values[0], dict):
            totals[name] = {}
            for by_carrier in values:
                for carrier, value in by_carrier.items():
                    totals[name][carrier] = totals[name].get(carrier, 0.0) + value
        elif name == "max_delay_h":
            totals[name] = max(values)
        elif name not in SHARES:
            totals[name] = sum(values)
    facility = totals["facility_energy_mwh"]
    for name in SHARES:
        weighted = sum(f[name] * f["facility_energy_mwh"] for f in per_site)
        totals[name] = weighted / facility if facility > 0 else 0.0
    totals["objective"] = objective
    return totals


def key_figures(
    study: Study,
    flexible: dict[str, RunDispatch],
    baseline: dict[str, RunDispatch],
    routes: dict[str, dict[str, dict[str, np.ndarray]]],
) -> dict:
    """The summary of MODEL.md §6 for the study, each site and each route.

    Parameters
    ----------
    study
        The study solved.
    flexible, baseline
        Each run's dispatch by site.
    routes
        Work moved by run, then route name, then class [MW].

    Returns
    -------
    dict
        The study's figures (names as in ``UNITS``; the unit is in the name where it
        is not currency or a share) with ``baseline`` (the same for the baseline
        run), ``sites`` (each site's figures, same names) and ``routes`` (work moved
        per route [MWh] and its cost [currency]).
    """
    runs = {"flexible": flexible, "baseline": baseline}
    per_run = {
        run: {site: run_figures(study, site, runs[run][site], routes[run]) for site in study.sites}
        for run in runs
    }
    sites = {
        site: _with_absorption(per_run["flexible"][site], per_run["baseline"][site])
        for site in study.sites
    }
    totals = {
        run: _study_totals(list(per_run[run].values()), next(iter(runs[run].values())).objective)
        for run in runs
    }
    w = study.step_h
    return {
        **_with_absorption(totals["flexible"], totals["baseline"]),
        "sites": sites,
        "routes": {
            name: {
                **{f"{c}_mwh": _energy(flow, w) for c, flow in routes["flexible"][name].items()},
                "moved_mwh": _energy(sum(routes["flexible"][name].values()), w),
                "cost": route.cost_per_mwh * _energy(sum(routes["flexible"][name].values()), w),
            }
            for name, (route, _) in study.routes.items()
        },
    }
