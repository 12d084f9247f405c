"""Assertions on solved studies, for the package's tests and for users' own.

:func:`assert_invariants` checks a solved :class:`~dispatch.Result` against every
invariant of MODEL.md §7 for both runs. Each run is read twice, from the hourly
arrays of :class:`~dispatch.results.extract.RunDispatch` and ``Result.routes`` and,
independently, from the solved PyPSA network (``n.generators_t``,
``n.storage_units_t``, ``n.links_t``, ``n.stores_t``), and both readings are
checked against the study's inputs, not the network's. Studies of several sites
are checked per site (each site's own work is conserved, whether served there or
moved out; the work served at a site, its own and what is moved in, makes its IT
power) and per route (capacity, latency budget, data residency;
:func:`route_rules` states which class may move where). Sized assets are checked
against the capacities the run chose (each within its ``min_mw`` and ``max_mw``,
a battery's energy within ``min_mwh`` and ``max_mwh``),
heat reuse against its waste heat and heat pump, and the flexible run against the
study's carbon targets. :func:`assert_same_optimum` compares both runs' objectives
with those of another formulation of the same LP.

A failure raises ``AssertionError`` naming the invariant, the site, the run, where
the values were read, the first step that fails and by how much.

Examples
--------
>>> from dispatch import load_study, solve
>>> from dispatch.testing import assert_invariants
>>> assert_invariants(solve(load_study("networks/olkaria", hours=48)))
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from dispatch.core.names import (
    CFE_CONSTRAINT,
    EMISSION_CONSTRAINT,
    HOURS_PER_YEAR,
    RUNS,
    VARIABLE_RENEWABLES,
)
from dispatch.model.network import annuity_factor
from dispatch.results.extract import _column
from dispatch.results.figures import DEFAULT_WATER_M3_PER_MWH
from dispatch.results.result import TARGET_UNITS

if TYPE_CHECKING:
    import pypsa
    import xarray as xr

    from dispatch.results.extract import RunDispatch
    from dispatch.results.result import Result
    from dispatch.scenario.schema import EnergyExpansion, Expansion, Route
    from dispatch.scenario.study import Study

__all__ = ["assert_invariants", "assert_same_optimum", "deadline_window", "route_rules"]

FLEXIBILITY_BOUNDS = {
    ("Store", "e_min_pu"): "backlog",
    ("Generator", "p_max_pu"): "lost_work",
    ("Link", "p_max_pu"): "route",
}
"""Network inputs the baseline may change: (component, attribute): carrier."""

MOVABLE = ("firm", "deferrable")
"""Workload classes that routes may move between sites (MODEL.md §2)."""

Moved = dict[str, dict[str, np.ndarray]]
"""Work moved in one run by route name (``"ORIGIN->DESTINATION"``), then by class in
``MOVABLE`` [MW]."""


@dataclass(frozen=True)
class _Schedule:
    """One run of one site in the terms of MODEL.md, as read from one source.

    Power in [MW] (average over the step), levels and backlog in [MWh] after the
    step; one value per snapshot. Storage fields are None where the site has none.
    """

    renewable: dict[str, np.ndarray]
    """Output p_t per variable renewable carrier [MW]."""
    geothermal: np.ndarray | None
    """Geothermal output [MW]."""
    battery_charge: np.ndarray | None
    """Battery charging power [MW]."""
    battery_discharge: np.ndarray | None
    """Battery discharging power [MW]."""
    battery_level: np.ndarray | None
    """Battery energy after the step [MWh]."""
    reservoir_dispatch: np.ndarray | None
    """Reservoir turbine output [MW]."""
    reservoir_spill: np.ndarray | None
    """Reservoir spill [MW]."""
    reservoir_level: np.ndarray | None
    """Reservoir energy after the step, counted from empty [MWh]."""
    grid_import: np.ndarray
    """Grid import [MW]."""
    grid_export: np.ndarray
    """Grid export [MW]."""
    firm_local: np.ndarray
    """This site's firm work served here [MW]."""
    deferred_local: np.ndarray
    """This site's deferrable work served here; u_t adds what is moved out [MW]."""
    moved_out: dict[str, np.ndarray]
    """This site's work served at other sites, by class in ``MOVABLE`` [MW]."""
    moved_in: dict[str, np.ndarray]
    """Other sites' work served here, by class in ``MOVABLE`` [MW]."""
    backlog: np.ndarray
    """Deferrable work waiting after the step b_t [MWh]."""
    interruptible_served: np.ndarray
    """Interruptible work served v_t [MW]."""
    it_power: np.ndarray
    """IT power [MW]."""
    facility_power: np.ndarray
    """Facility power [MW]."""
    idle_draw: np.ndarray
    """IT power drawn whatever the work, idle C [MW]."""
    capacities: dict[str, float]
    """Capacity of each asset as solved, keyed as ``RunDispatch.capacities`` [MW;
    ``battery_energy`` MWh]."""
    heat_delivered: np.ndarray
    """Heat sold to district heating [MW]."""
    heat_pump_power: np.ndarray
    """Electricity drawn by the heat pump from the site bus [MW]."""
    waste_heat_used: np.ndarray
    """Waste heat of the IT equipment taken by the heat pump or heat exchanger [MW]."""
    objective: float
    """Objective the source reports [currency]."""


@dataclass(frozen=True)
class _Capacity:
    """An asset's capacity as the scenario gives it, and how it may be sized."""

    given: float
    """Capacity when not sized [``unit``]."""
    expansion: Expansion | EnergyExpansion | None
    """Sizing; None for a fixed capacity."""
    unit: str = "MW"
    """Unit of the capacity: MW, or MWh for a battery's energy capacity."""

    def sizing(self) -> tuple[float, float, float]:
        """Capex per unit [currency/``unit``], smallest and largest capacity (inf if
        unbounded) [``unit``] of a sized asset."""
        e = self.expansion
        if self.unit == "MWh":
            capex, smallest, largest = e.capex_per_mwh, e.min_mwh, e.max_mwh
        else:
            capex, smallest, largest = e.capex_per_mw, e.min_mw, e.max_mw
        return capex, smallest, np.inf if largest is None else largest


class _Checker:
    """Compares values with bounds to a tolerance and raises a precise error.

    Parameters
    ----------
    where
        What is checked, e.g. ``"site 's', flexible run (network)"``.
    snapshots
        Snapshot times, to name the failing step.
    rtol, atol
        Relative [-] and absolute [unit of the values] tolerance.
    """

    def __init__(self, where: str, snapshots: pd.DatetimeIndex, rtol: float, atol: float) -> None:
        self.where, self.snapshots, self.rtol, self.atol = where, snapshots, rtol, atol

    def at_most(self, invariant: str, value: ArrayLike, limit: ArrayLike, unit: str) -> None:
        """Assert ``value <= limit`` elementwise."""
        __tracebackhide__ = True
        value, limit = np.broadcast_arrays(np.asarray(value, float), np.asarray(limit, float))
        self._report(invariant, value, limit, value - limit, "<=", unit)

    def at_least(self, invariant: str, value: ArrayLike, limit: ArrayLike, unit: str) -> None:
        """Assert ``value >= limit`` elementwise."""
        __tracebackhide__ = True
        value, limit = np.broadcast_arrays(np.asarray(value, float), np.asarray(limit, float))
        self._report(invariant, value, limit, limit - value, ">=", unit)

    def equal(self, invariant: str, value: ArrayLike, expected: ArrayLike, unit: str) -> None:
        """Assert ``value == expected`` elementwise."""
        __tracebackhide__ = True
        value, expected = np.broadcast_arrays(np.asarray(value, float), np.asarray(expected, float))
        self._report(invariant, value, expected, np.abs(value - expected), "==", unit)

    def within(
        self,
        invariant: str,
        value: ArrayLike,
        lower: ArrayLike,
        upper: ArrayLike,
        unit: str,
    ) -> None:
        """Assert ``lower <= value <= upper`` elementwise."""
        __tracebackhide__ = True
        self.at_least(f"{invariant} (lower bound)", value, lower, unit)
        self.at_most(f"{invariant} (upper bound)", value, upper, unit)

    def _report(
        self,
        invariant: str,
        value: np.ndarray,
        bound: np.ndarray,
        excess: np.ndarray,
        relation: str,
        unit: str,
    ) -> None:
        __tracebackhide__ = True
        tolerance = self.atol + self.rtol * np.maximum(np.abs(value), np.abs(bound))
        failing = np.flatnonzero(~(excess <= tolerance))
        if not len(failing):
            return
        i = failing[0]
        flat_value, flat_bound, flat_excess = (np.ravel(a)[i] for a in (value, bound, excess))
        when = ""
        if value.ndim == 1:
            when = (
                f" at {self.snapshots[i].isoformat()} (step {i}; "
                f"{len(failing)} of {len(value)} steps fail)"
            )
        raise AssertionError(
            f"{self.where}: invariant '{invariant}' fails{when}: "
            f"{flat_value:.10g} {relation} {flat_bound:.10g} [{unit}] is off by "
            f"{flat_excess:.4g} [{unit}] (tolerance {np.ravel(tolerance)[i]:.3g})"
        )


def assert_invariants(result: Result, rtol: float = 1e-6, atol: float = 1e-5) -> None:
    """Assert that a solved study satisfies every invariant of MODEL.md §7.

    For each site and for both runs, read from the result's hourly arrays and,
    separately, from the solved networks: the capacities as solved (given ones
    unchanged, sized ones within [min_mw, max_mw], a battery's sized energy within
    [min_mwh, max_mwh]); energy balance at the site bus (facility power plus the
    heat pump's electricity); every asset within the bounds of its solved capacity
    (renewables, geothermal minimum output and ramps, battery and reservoir power
    and levels, spill, import and export limits); storage level recursions with
    their cyclic or initial conditions; the site's own firm work served here or
    moved out in its step; the backlog recursion (u_t: served here plus moved
    out), its deadline window and an empty backlog at the end; interruptible work
    within what is offered; IT capacity C as solved, idle draw idle C, IT power
    from the work served here (the site's own and what is moved in), facility
    power, minimum IT power and facility ramp; heat delivered within the demand,
    waste heat used within the recoverable share of IT power, heat pump output COP
    times its electricity. For each route: work moved within [0, capacity], firm
    work only within the latency budget, each class only where the origin's data
    residency allows it. For each grid region: the net import of its sites
    together within the region's import and export limits. The objective
    recomputed from the dispatch, the work moved, the capital cost of the solved
    capacities and the heat revenue. The
    baseline serves all work as it arrives, each site its own. Then: both
    readings agree, the two networks have identical inputs apart from the
    flexibility bounds, and the key figures of each site, route and the study
    agree with the hourly dataset and with each other. Carbon targets: the
    flexible run meets each CFE target in its linear form and in the reported
    score, and the emission cap; shadow prices are non-negative, in their units,
    and positive only for a target met exactly; the baseline has no targets.

    Parameters
    ----------
    result
        A solved study from :func:`dispatch.solve`.
    rtol
        Relative tolerance [-].
    atol
        Absolute tolerance [MW, MWh, currency or tCO2, as the checked value].

    Raises
    ------
    AssertionError
        Which invariant fails, for which site, run and source, at which step
        (UTC) and by how much.
    """
    __tracebackhide__ = True
    study = result.study
    networks = {"flexible": result.network, "baseline": result.network_baseline}
    dispatches = {"flexible": result.flexible, "baseline": result.baseline}
    checker = functools.partial(_Checker, snapshots=study.snapshots, rtol=rtol, atol=atol)
    for run in RUNS:
        baseline = run == "baseline"
        moved = {
            "arrays": _moved_from_arrays(study, result.routes[run]),
            "network": _moved_from_network(study, networks[run]),
        }
        schedules = {
            "arrays": {
                site: _from_arrays(study, site, dispatches[run][site]) for site in study.sites
            },
            "network": {
                site: _from_network(study, site, networks[run], moved["network"])
                for site in study.sites
            },
        }
        for source, by_site in schedules.items():
            for site, schedule in by_site.items():
                check = checker(f"site {site!r}, {run} run ({source})")
                _check_schedule(check, study, site, schedule, baseline)
            check = checker(f"{run} run ({source})")
            _check_routes(check, study, moved[source], baseline)
            _check_grid_regions(check, study, by_site)
            _check_objective(check, study, by_site, moved[source])
        for site in study.sites:
            where = f"site {site!r}, {run} run"
            _check_derived(checker(f"{where} (arrays)"), study, site, dispatches[run][site])
            _check_agree(
                checker(f"{where} (arrays vs network)"),
                schedules["arrays"][site],
                schedules["network"][site],
            )
        _check_same(checker(f"{run} run (arrays vs network)"), "work moved", *moved.values())
    _check_same_inputs(result.network, result.network_baseline)
    _check_summary(result, rtol, atol)
    _check_targets(result, rtol, atol)


def assert_same_optimum(
    result: Result, independent: Mapping[str, float], rtol: float = 1e-6
) -> None:
    """Assert that both runs reach the optimum of an independent formulation.

    Parameters
    ----------
    result
        A solved study from :func:`dispatch.solve`.
    independent
        Optimal objective of each run, keyed ``"flexible"`` and ``"baseline"``,
        from another formulation of the LP of MODEL.md [currency].
    rtol
        Relative tolerance, taken of the larger magnitude and at least 1 [-].

    Raises
    ------
    AssertionError
        Which run differs, both objectives and the relative difference.
    """
    __tracebackhide__ = True
    summary = result.summary
    reported = {
        "flexible": summary["objective"],
        "baseline": summary["baseline"]["objective"],
    }
    for run in RUNS:
        ours, theirs = reported[run], independent[run]
        scale = max(abs(ours), abs(theirs), 1.0)
        if not abs(ours - theirs) <= rtol * scale:
            raise AssertionError(
                f"{result.study.name}: {run} run: objective {ours:.10g} "
                f"[{summary['currency']}] differs from the independent optimum "
                f"{theirs:.10g} by {ours - theirs:.6g} (relative "
                f"{abs(ours - theirs) / scale:.3g} > {rtol:g})"
            )


def _series(study: Study, site: str, path: str) -> np.ndarray:
    """Values of a series field, zeros where the site does not have it."""
    return study.series.get(f"{site}/{path}", np.zeros(len(study.snapshots)))


def _routes(study: Study) -> dict[str, Route]:
    """The study's routes by name ``"ORIGIN->DESTINATION"``; none without routing."""
    routing = study.scenario.routing
    if routing is None:
        return {}
    return {f"{route.origin}->{route.destination}": route for route in routing.routes}


def route_rules(study: Study, route: Route) -> dict[str, str | None]:
    """Whether each workload class may move on a route, from MODEL.md §2.

    Firm work moves only within the firm latency budget; firm and deferrable work
    move only to sites the origin's data residency lists (``firm_sites``,
    ``deferrable_sites``; none: any), and deferrable work only if the origin has any.

    Parameters
    ----------
    study
        A loaded study with routing.
    route
        One of its routes.

    Returns
    -------
    dict
        For ``"firm"`` and ``"deferrable"``: None if that class may move on the route,
        else why not [-].
    """
    routing, origin = study.scenario.routing, study.sites[route.origin].datacentre
    matrix, order = routing.latency.matrix_ms, routing.latency.sites
    latency = matrix[order.index(route.origin)][order.index(route.destination)]
    barred = f"{route.destination!r} is not in {route.origin!r}'s"
    firm = deferrable = None
    if latency > routing.firm_latency_budget_ms:
        firm = f"latency {latency:g} ms above the firm budget {routing.firm_latency_budget_ms:g} ms"
    elif origin.firm_sites is not None and route.destination not in origin.firm_sites:
        firm = f"{barred} firm_sites"
    if origin.deferrable is None:
        deferrable = f"{route.origin!r} has no deferrable work"
    elif origin.deferrable_sites is not None and route.destination not in origin.deferrable_sites:
        deferrable = f"{barred} deferrable_sites"
    return {"firm": firm, "deferrable": deferrable}


def _moved_from_arrays(study: Study, routes: Mapping[str, Mapping[str, np.ndarray]]) -> Moved:
    """Work moved as ``Result.routes`` reports it; zeros for a class it leaves out."""
    zeros = np.zeros(len(study.snapshots))
    return {
        name: {workload: routes.get(name, {}).get(workload, zeros) for workload in MOVABLE}
        for name in _routes(study)
    }


def _moved_from_network(study: Study, n: pypsa.Network) -> Moved:
    """Work moved on each route, read from the Links that deliver it.

    Work of a route's origin served at its destination leaves the destination's
    ``work`` bus and is delivered to the origin's ``firm`` bus (firm work) or
    ``queue`` (deferrable work): by the Link named after the route, or, where the
    route carries both classes, by the Link ``ROUTE firm`` or ``ROUTE deferrable``.
    The flow is the Link's input ``p0``; a Link between other buses moves nothing.
    """
    length, links = len(study.snapshots), n.links
    moved: Moved = {}
    for name, route in _routes(study).items():
        targets = {"firm": f"{route.origin} firm", "deferrable": f"{route.origin} queue"}
        moved[name] = {
            workload: sum(
                (
                    _column(n.links_t.p0, link, length)
                    for link in (name, f"{name} {workload}")
                    if link in links.index
                    and links.at[link, "bus0"] == f"{route.destination} work"
                    and links.at[link, "bus1"] == target
                ),
                np.zeros(length),
            )
            for workload, target in targets.items()
        }
    return moved


def _moved_at(study: Study, moved: Moved, site: str, end: str) -> dict[str, np.ndarray]:
    """Work moved on the routes whose ``end`` (origin or destination) is ``site`` [MW]."""
    ends = [name for name, route in _routes(study).items() if getattr(route, end) == site]
    zeros = np.zeros(len(study.snapshots))
    return {c: sum((moved[name][c] for name in ends), zeros) for c in MOVABLE}


def _from_arrays(study: Study, site: str, run: RunDispatch) -> _Schedule:
    """The schedule as :class:`RunDispatch` reports it.

    The site's own firm work served here is its IT power of firm work divided by
    (1 - idle), less the firm work moved in; its own deferrable work served here is
    ``deferred_served`` (u_t) less what it moved out. The waste heat used is the
    heat delivered that the heat pump's electricity did not supply.
    """
    spec = study.sites[site]
    idle = spec.datacentre.idle_fraction
    discharge = spill = None
    if spec.battery is not None:
        discharge = run.output["battery"] + run.battery_charge
    if spec.reservoir is not None:
        spill = run.curtailment["reservoir"]
    return _Schedule(
        renewable={c: run.output[c] for c in VARIABLE_RENEWABLES if c in run.output},
        geothermal=run.output.get("geothermal"),
        battery_charge=run.battery_charge,
        battery_discharge=discharge,
        battery_level=run.battery_level,
        reservoir_dispatch=run.output.get("reservoir"),
        reservoir_spill=spill,
        reservoir_level=run.reservoir_level,
        grid_import=run.grid_import,
        grid_export=run.grid_export,
        firm_local=run.it_power["firm"] / (1 - idle) - run.moved_in["firm"],
        deferred_local=run.deferred_served - run.moved_out["deferrable"],
        moved_out={c: run.moved_out[c] for c in MOVABLE},
        moved_in={c: run.moved_in[c] for c in MOVABLE},
        backlog=run.backlog,
        interruptible_served=run.interruptible_served,
        it_power=sum(run.it_power.values()),
        facility_power=sum(run.facility_power.values()),
        idle_draw=run.it_power["idle"],
        capacities=dict(run.capacities),
        heat_delivered=run.heat_delivered,
        heat_pump_power=run.heat_pump_power,
        waste_heat_used=run.heat_delivered - run.heat_pump_power,
        objective=run.objective,
    )


def _from_network(study: Study, site: str, n: pypsa.Network, moved: Moved) -> _Schedule:
    """The schedule as read from the solved network's components.

    Follows the mapping of :mod:`dispatch.model.network`: facility power enters the
    ``facility`` Link, IT power leaves it; the ``backlog`` Store's level is minus
    the backlog; the battery's charge enters its ``charger`` Link, its discharge
    leaves its ``discharger`` Link and its level is its Store's; the reservoir's
    state of charge counts from its minimum level; the site's own firm work served
    here passes the ``firm local`` Link where other sites may serve it, else it is
    the ``firm`` Load; its own deferrable work served here passes the ``deferrable``
    Link. The idle draw is the ``idle`` Load, or
    for sized IT capacity the ``idle`` Generator's consumption; waste heat used is
    what the ``heat pump`` Link draws from its bus2 or the ``heat exchanger`` Link
    passes on; heat delivered is what ``heat sale`` takes. ``moved`` is the work
    moved on every route, read from the same network.
    """
    spec, length = study.sites[site], len(study.snapshots)
    gen, su, links = n.generators_t.p, n.storage_units_t, n.links_t
    storage: dict[str, np.ndarray | None] = dict.fromkeys(
        (
            "battery_charge",
            "battery_discharge",
            "battery_level",
            "reservoir_dispatch",
            "reservoir_spill",
            "reservoir_level",
        )
    )
    if spec.battery is not None:
        name = f"{site} battery"
        storage["battery_charge"] = _column(links.p0, f"{name} charger", length)
        storage["battery_discharge"] = -_column(links.p1, f"{name} discharger", length)
        storage["battery_level"] = _column(n.stores_t.e, name, length)
    if (res := spec.reservoir) is not None:
        name = f"{site} reservoir"
        storage["reservoir_dispatch"] = _column(su.p_dispatch, name, length)
        storage["reservoir_spill"] = _column(su.spill, name, length)
        storage["reservoir_level"] = (
            _column(su.state_of_charge, name, length) + res.min_level_pu * res.energy_mwh
        )
    offered = _series(study, site, "datacentre.interruptible.offered_mw")
    idle = f"{site} idle"
    waste_heat_used = np.zeros(length)
    if f"{site} heat pump" in n.links.index:
        waste_heat_used = _column(links.p2, f"{site} heat pump", length)
    elif f"{site} heat exchanger" in n.links.index:
        waste_heat_used = _column(links.p0, f"{site} heat exchanger", length)
    return _Schedule(
        renewable={
            c: _column(gen, f"{site} {c}", length)
            for c in VARIABLE_RENEWABLES
            if getattr(spec, c) is not None
        },
        geothermal=(_column(gen, f"{site} geothermal", length) if spec.geothermal else None),
        **storage,
        grid_import=_column(links.p0, f"{site} grid import", length),
        grid_export=_column(links.p0, f"{site} grid export", length),
        firm_local=(
            _column(links.p0, f"{site} firm local", length)
            if f"{site} firm local" in n.links.index
            else _column(n.loads_t.p, f"{site} firm", length)
        ),
        deferred_local=_column(links.p0, f"{site} deferrable", length),
        moved_out=_moved_at(study, moved, site, "origin"),
        moved_in=_moved_at(study, moved, site, "destination"),
        backlog=-_column(n.stores_t.e, f"{site} backlog", length),
        interruptible_served=offered - _column(gen, f"{site} lost work", length),
        it_power=-_column(links.p1, f"{site} facility", length),
        facility_power=_column(links.p0, f"{site} facility", length),
        idle_draw=_column(n.loads_t.p, idle, length) - _column(gen, idle, length),
        capacities=_capacities_from_network(study, site, n),
        heat_delivered=-_column(gen, f"{site} heat sale", length),
        heat_pump_power=_column(links.p0, f"{site} heat pump", length),
        waste_heat_used=waste_heat_used,
        objective=float(n.objective),
    )


def _capacities_from_network(study: Study, site: str, n: pypsa.Network) -> dict[str, float]:
    """Capacities as solved, from ``p_nom_opt`` and ``e_nom_opt`` [MW;
    ``battery_energy`` MWh].

    Generators and the reservoir by carrier; the battery's power from its
    ``charger`` Link and its energy from its Store; the IT capacity C from the
    ``compute`` Link, whose capacity is (1 - idle) C.
    """
    spec = study.sites[site]
    capacities = {
        carrier: float(n.generators.at[f"{site} {carrier}", "p_nom_opt"])
        for carrier in (*VARIABLE_RENEWABLES, "geothermal")
        if getattr(spec, carrier) is not None
    }
    if spec.reservoir is not None:
        capacities["reservoir"] = float(n.storage_units.at[f"{site} reservoir", "p_nom_opt"])
    if spec.battery is not None:
        capacities["battery"] = float(n.links.at[f"{site} battery charger", "p_nom_opt"])
        capacities["battery_energy"] = float(n.stores.at[f"{site} battery", "e_nom_opt"])
    compute = float(n.links.at[f"{site} compute", "p_nom_opt"])
    capacities["it"] = compute / (1 - spec.datacentre.idle_fraction)
    return capacities


def _sizable(study: Study, site: str) -> dict[str, _Capacity]:
    """Each asset's given capacity and sizing, keyed as ``RunDispatch.capacities``."""
    spec = study.sites[site]
    assets = {
        carrier: _Capacity(asset.capacity_mw, asset.expansion)
        for carrier in (*VARIABLE_RENEWABLES, "geothermal")
        if (asset := getattr(spec, carrier)) is not None
    }
    if spec.reservoir is not None:
        assets["reservoir"] = _Capacity(spec.reservoir.turbine_mw, None)
    if (bat := spec.battery) is not None:
        assets["battery"] = _Capacity(bat.power_mw, bat.expansion)
        assets["battery_energy"] = _Capacity(bat.energy_mwh, bat.energy_expansion, "MWh")
    dc = spec.datacentre
    assets["it"] = _Capacity(dc.it_capacity_mw, dc.it_expansion)
    return assets


def _capital_cost(study: Study, site: str, capacities: Mapping[str, float]) -> float:
    """Capital cost of a site's sized assets over the study's horizon [currency].

    Each sized asset pays capex times the annuity factor times the horizon's share
    of a year (8760 h) per unit of its solved capacity: a battery ``capex_per_mw``
    per MW of power and ``capex_per_mwh`` per MWh of energy capacity.

    Parameters
    ----------
    study
        A loaded study.
    site
        Name of the site.
    capacities
        Capacities as solved, keyed as ``RunDispatch.capacities`` [MW;
        ``battery_energy`` MWh].

    Returns
    -------
    float
        The capital cost; 0 for a site without sized assets [currency].
    """
    horizon_share = len(study.snapshots) * study.step_h / HOURS_PER_YEAR
    return sum(
        annuity_factor(e.discount_rate, e.lifetime_years)
        * asset.sizing()[0]
        * horizon_share
        * capacities[name]
        for name, asset in _sizable(study, site).items()
        if (e := asset.expansion) is not None
    )


def _previous(level: np.ndarray, initial: float | None) -> np.ndarray:
    """Level before each step: the initial level, or cyclic if that is None [MWh]."""
    if initial is None:
        return np.roll(level, 1)
    return np.concatenate([[initial], level[:-1]])


def _step_change(values: np.ndarray) -> np.ndarray:
    """Change from the previous step; 0 at the first step (no ramp limit there)."""
    return np.diff(values, prepend=values[:1])


def deadline_window(study: Study, site: str) -> np.ndarray:
    """Most deferrable work that may wait after each step, from MODEL.md §2 [MWh].

    The work that arrived in the steps that began within the last D hours; the
    initial backlog counts as arriving at the start, so it waits at most D (not at
    all if D is 0); nothing waits after the last step. Written from MODEL.md apart
    from the network's own bound, which it checks.

    Parameters
    ----------
    study
        A loaded study.
    site
        Name of the site.

    Returns
    -------
    numpy.ndarray
        The bound on the backlog b_t, one value per snapshot; zeros for a site
        without deferrable work [MWh].
    """
    deferrable = study.sites[site].datacentre.deferrable
    arrivals = _series(study, site, "datacentre.deferrable.arrivals_mwh")
    if deferrable is None:
        return np.zeros_like(arrivals)
    steps = round(deferrable.max_delay_h / study.step_h)
    window = np.array([arrivals[max(0, t - steps + 1) : t + 1].sum() for t in range(len(arrivals))])
    window[:steps] += deferrable.initial_backlog_mwh
    window[-1] = 0.0
    return window


def _check_schedule(check: _Checker, study: Study, site: str, s: _Schedule, baseline: bool) -> None:
    """Every hourly invariant of one site in one run, read from one source."""
    _check_capacities(check, study, site, s)
    _check_supply(check, study, site, s)
    _check_storage(check, study, site, s)
    _check_workload(check, study, site, s, baseline)
    _check_heat(check, study, site, s)


def _check_capacities(check: _Checker, study: Study, site: str, s: _Schedule) -> None:
    """Given capacities as given, sized ones within [min_mw, max_mw] (a battery's
    energy within [min_mwh, max_mwh]), power and energy of a battery each sized or
    given on its own."""
    assets = _sizable(study, site)
    assert s.capacities.keys() == assets.keys(), (
        f"{check.where}: capacities of {sorted(s.capacities)}, not of {sorted(assets)}"
    )
    for name, asset in assets.items():
        if asset.expansion is None:
            check.equal(f"{name} capacity as given", s.capacities[name], asset.given, asset.unit)
        else:
            _, smallest, largest = asset.sizing()
            bounds = "[min_mwh, max_mwh]" if asset.unit == "MWh" else "[min_mw, max_mw]"
            check.within(
                f"sized {name} capacity in {bounds}",
                s.capacities[name],
                smallest,
                largest,
                asset.unit,
            )


def _local_supply(s: _Schedule) -> np.ndarray:
    """Net output of all local assets into the site bus [MW]."""
    parts = [*s.renewable.values()]
    if s.geothermal is not None:
        parts.append(s.geothermal)
    if s.battery_level is not None:
        parts.append(s.battery_discharge - s.battery_charge)
    if s.reservoir_level is not None:
        parts.append(s.reservoir_dispatch)
    return sum(parts, np.zeros_like(s.grid_import))


def _check_supply(check: _Checker, study: Study, site: str, s: _Schedule) -> None:
    spec, w, capacities = study.sites[site], study.step_h, s.capacities
    check.equal(
        "energy balance: local output + import - export = facility power + heat pump electricity",
        _local_supply(s) + s.grid_import - s.grid_export,
        s.facility_power + s.heat_pump_power,
        "MW",
    )
    for carrier, output in s.renewable.items():
        available = capacities[carrier] * study.values(site, f"{carrier}.availability")
        check.within(f"{carrier} output in [0, P a_t]", output, 0.0, available, "MW")
    if (geo := spec.geothermal) is not None:
        check.within(
            "geothermal output in [pmin P, P]",
            s.geothermal,
            geo.min_stable_pu * capacities["geothermal"],
            capacities["geothermal"],
            "MW",
        )
        if geo.ramp_pu_per_h is not None:
            check.at_most(
                "geothermal ramp |p_t - p_t-1| <= r P w",
                np.abs(_step_change(s.geothermal)),
                geo.ramp_pu_per_h * capacities["geothermal"] * w,
                "MW",
            )
    check.within(
        "grid import in [0, I_t]",
        s.grid_import,
        0.0,
        _series(study, site, "grid.import_limit_mw"),
        "MW",
    )
    check.within(
        "grid export in [0, X_t]",
        s.grid_export,
        0.0,
        _series(study, site, "grid.export_limit_mw"),
        "MW",
    )


def _check_grid_regions(check: _Checker, study: Study, by_site: dict[str, _Schedule]) -> None:
    """The net import of each grid region's sites together within the region's limits."""
    for region in study.scenario.grid_regions:
        members = study.region_sites(region)
        net_import = sum(
            (by_site[site].grid_import - by_site[site].grid_export for site in members),
            np.zeros(len(study.snapshots)),
        )
        check.within(
            f"net import of grid region {region} in [-X_R, I_R]",
            net_import,
            -study.region_values(region, "export_limit_mw"),
            study.region_values(region, "import_limit_mw"),
            "MW",
        )


def _check_storage(check: _Checker, study: Study, site: str, s: _Schedule) -> None:
    spec, w = study.sites[site], study.step_h
    if (bat := spec.battery) is not None:
        power, energy = s.capacities["battery"], s.capacities["battery_energy"]
        check.within("battery charge in [0, P]", s.battery_charge, 0.0, power, "MW")
        check.within("battery discharge in [0, P]", s.battery_discharge, 0.0, power, "MW")
        check.within("battery level in [0, E]", s.battery_level, 0.0, energy, "MWh")
        initial = None if bat.initial_level_pu is None else (bat.initial_level_pu * energy)
        check.equal(
            "battery level recursion (standing loss (1-loss)^w, efficiencies, "
            f"{'cyclic' if initial is None else 'initial level'})",
            s.battery_level,
            (1 - bat.standing_loss_per_h) ** w * _previous(s.battery_level, initial)
            + w * bat.charge_efficiency * s.battery_charge
            - w * s.battery_discharge / bat.discharge_efficiency,
            "MWh",
        )
    if (res := spec.reservoir) is not None:
        inflow = study.values(site, "reservoir.inflow_mw")
        check.within(
            "reservoir dispatch in [0, P]", s.reservoir_dispatch, 0.0, res.turbine_mw, "MW"
        )
        check.within("reservoir spill in [0, inflow_t]", s.reservoir_spill, 0.0, inflow, "MW")
        check.within(
            "reservoir level in [min, max] level",
            s.reservoir_level,
            res.min_level_pu * res.energy_mwh,
            res.max_level_pu * res.energy_mwh,
            "MWh",
        )
        initial = None if res.initial_level_pu is None else (res.initial_level_pu * res.energy_mwh)
        check.equal(
            "reservoir level recursion (inflow - spill - dispatch, "
            f"{'cyclic' if initial is None else 'initial level'})",
            s.reservoir_level,
            _previous(s.reservoir_level, initial)
            + w * (inflow - s.reservoir_spill - s.reservoir_dispatch),
            "MWh",
        )


def _check_workload(check: _Checker, study: Study, site: str, s: _Schedule, baseline: bool) -> None:
    dc, w = study.sites[site].datacentre, study.step_h
    capacity, idle = s.capacities["it"], dc.idle_fraction
    arrivals = _series(study, site, "datacentre.deferrable.arrivals_mwh")
    initial = dc.deferrable.initial_backlog_mwh if dc.deferrable else 0.0
    offered = _series(study, site, "datacentre.interruptible.offered_mw")
    firm = study.values(site, "datacentre.firm_mw")

    check.at_least("own firm work served here >= 0", s.firm_local, 0.0, "MW")
    check.equal(
        "own firm work conserved: firm_t = served here + moved out",
        s.firm_local + s.moved_out["firm"],
        firm,
        "MW",
    )
    check.at_least("own deferrable work served here >= 0", s.deferred_local, 0.0, "MW")
    check.equal(
        "backlog recursion b_t = b_t-1 + A_t - u_t w",
        s.backlog,
        _previous(s.backlog, initial)
        + arrivals
        - w * (s.deferred_local + s.moved_out["deferrable"]),
        "MWh",
    )
    check.within(
        "backlog in [0, work arrived within D] (0 after the last step)",
        s.backlog,
        0.0,
        np.zeros_like(arrivals) if baseline else deadline_window(study, site),
        "MWh",
    )
    check.within(
        "interruptible served in [0, offered]",
        s.interruptible_served,
        offered if baseline else 0.0,
        offered,
        "MW",
    )
    work = (
        s.firm_local
        + s.moved_in["firm"]
        + s.deferred_local
        + s.moved_in["deferrable"]
        + s.interruptible_served
    )
    check.at_most("IT capacity: work served here <= C", work, capacity, "MW")
    check.equal("idle draw = idle C", s.idle_draw, idle * capacity, "MW")
    check.equal(
        "IT power = idle draw + (1 - idle) (work served here: own + moved in)",
        s.it_power,
        s.idle_draw + (1 - idle) * work,
        "MW",
    )
    check.equal(
        "facility power = PUE x IT power",
        s.facility_power,
        study.values(site, "datacentre.pue") * s.it_power,
        "MW",
    )
    check.at_least("minimum IT power", s.it_power, dc.min_it_pu * capacity, "MW")
    if dc.facility_ramp_mw_per_h is not None:
        check.at_most(
            "facility ramp |f_t - f_t-1| <= R w",
            np.abs(_step_change(s.facility_power)),
            dc.facility_ramp_mw_per_h * w,
            "MW",
        )


def _check_heat(check: _Checker, study: Study, site: str, s: _Schedule) -> None:
    """Heat delivered within the demand, from waste heat within the recoverable share
    of IT power, through a heat pump (COP x electricity) or a heat exchanger."""
    heat = study.sites[site].datacentre.heat_reuse
    if heat is None:
        for name in ("heat_delivered", "heat_pump_power", "waste_heat_used"):
            check.equal(f"{name} = 0 (no heat reuse)", getattr(s, name), 0.0, "MW")
        return
    demand = study.values(site, "datacentre.heat_reuse.demand_mw")
    check.within("heat delivered in [0, demand_t]", s.heat_delivered, 0.0, demand, "MW")
    check.within(
        "waste heat used in [0, recoverable fraction x IT power]",
        s.waste_heat_used,
        0.0,
        heat.recoverable_fraction * s.it_power,
        "MW",
    )
    cop = heat.heat_pump_cop
    if cop is None:
        check.equal("heat pump electricity = 0 (no heat pump)", s.heat_pump_power, 0.0, "MW")
        check.equal(
            "heat delivered = waste heat used (heat exchanger)",
            s.heat_delivered,
            s.waste_heat_used,
            "MW",
        )
        return
    check.equal(
        "heat pump output = COP x electricity", s.heat_delivered, cop * s.heat_pump_power, "MW"
    )
    check.equal(
        "heat pump waste heat drawn = (COP - 1) x electricity",
        s.waste_heat_used,
        (cop - 1) * s.heat_pump_power,
        "MW",
    )


def _local_cost(study: Study, site: str, outputs: Mapping[str, np.ndarray]) -> np.ndarray:
    """Marginal cost of local output per step, by carrier summed [currency/h]."""
    spec = study.sites[site]
    return sum(
        (getattr(spec, c).marginal_cost * p for c, p in outputs.items()),
        np.zeros(len(study.snapshots)),
    )


def _site_cost(study: Study, site: str, s: _Schedule) -> np.ndarray:
    """Cost of one site per step as MODEL.md §4 counts it, routing and capital cost
    aside, less the heat revenue [currency/h]."""
    dc = study.sites[site].datacentre
    outputs = dict(s.renewable)
    for carrier, output in (
        ("geothermal", s.geothermal),
        ("reservoir", s.reservoir_dispatch),
    ):
        if output is not None:
            outputs[carrier] = output
    value_of_lost_work = dc.interruptible.value_of_lost_work if dc.interruptible else 0.0
    carbon_price = study.scenario.carbon_price
    return (
        _local_cost(study, site, outputs)
        + (
            _series(study, site, "grid.import_price")
            + carbon_price * _series(study, site, "grid.carbon_intensity_t_per_mwh")
        )
        * s.grid_import
        - _series(study, site, "grid.export_price") * s.grid_export
        + value_of_lost_work
        * (_series(study, site, "datacentre.interruptible.offered_mw") - s.interruptible_served)
        - _series(study, site, "datacentre.heat_reuse.price") * s.heat_delivered
    )


def _check_objective(
    check: _Checker, study: Study, schedules: Mapping[str, _Schedule], moved: Moved
) -> None:
    """The objective of MODEL.md §4, term by term from every site's dispatch, the
    work moved on every route and the capital cost of the capacities as solved."""
    hourly = sum(
        (_site_cost(study, site, s) for site, s in schedules.items()),
        np.zeros(len(study.snapshots)),
    )
    for name, route in _routes(study).items():
        hourly = hourly + route.cost_per_mwh * sum(moved[name].values())
    capital = sum(_capital_cost(study, site, s.capacities) for site, s in schedules.items())
    for site, s in schedules.items():
        check.equal(
            f"objective (as site {site!r} reads it) = sum_t w [costs + V (O_t - v_t) "
            "+ routing cost x work moved - heat price x heat delivered] + capital cost",
            s.objective,
            study.step_h * hourly.sum() + capital,
            study.scenario.currency,
        )


def _check_routes(check: _Checker, study: Study, moved: Moved, baseline: bool) -> None:
    """Work moved on every route: within [0, capacity], and only where it may move.

    Firm work moves only within the latency budget and deferrable work only where
    the origin has some; each only to a site the origin's data residency allows
    (:func:`route_rules`). The baseline moves nothing.
    """
    for name, route in _routes(study).items():
        rules = route_rules(study, route)
        for workload, flow in moved[name].items():
            check.at_least(f"{workload} work moved on {name} >= 0", flow, 0.0, "MW")
            why_not = "baseline: every site serves its own work" if baseline else rules[workload]
            if why_not is not None:
                check.at_most(f"{workload} work moved on {name} = 0 ({why_not})", flow, 0.0, "MW")
        check.at_most(
            f"work moved on {name} <= capacity (classes together)",
            sum(moved[name].values()),
            route.capacity_mw,
            "MW",
        )


def _check_derived(check: _Checker, study: Study, site: str, run: RunDispatch) -> None:
    """Derived arrays of :class:`RunDispatch`: availability (of the capacity as
    solved), curtailment, unserved."""
    spec = study.sites[site]
    for carrier in VARIABLE_RENEWABLES:
        if getattr(spec, carrier) is not None:
            check.equal(
                f"{carrier} available = P a_t",
                run.available[carrier],
                run.capacities[carrier] * study.values(site, f"{carrier}.availability"),
                "MW",
            )
    if spec.reservoir is not None:
        check.equal(
            "reservoir available = inflow_t",
            run.available["reservoir"],
            study.values(site, "reservoir.inflow_mw"),
            "MW",
        )
    for carrier, curtailment in run.curtailment.items():
        check.at_least(f"{carrier} curtailment >= 0", curtailment, 0.0, "MW")
        if carrier != "reservoir":
            check.equal(
                f"{carrier} curtailment = P a_t - p_t",
                curtailment,
                run.available[carrier] - run.output[carrier],
                "MW",
            )
    check.equal(
        "unserved = offered - served",
        run.unserved,
        _series(study, site, "datacentre.interruptible.offered_mw") - run.interruptible_served,
        "MW",
    )
    pue = study.values(site, "datacentre.pue")
    for workload, it_power in run.it_power.items():
        check.equal(
            f"facility power of {workload} work = PUE x IT power",
            run.facility_power[workload],
            pue * it_power,
            "MW",
        )


def _check_agree(check: _Checker, arrays: _Schedule, network: _Schedule) -> None:
    """Both readings of a run hold the same values."""
    for name in _Schedule.__dataclass_fields__:
        _check_same(check, name, getattr(arrays, name), getattr(network, name))


def _check_same(check: _Checker, name: str, ours: object, theirs: object) -> None:
    """Two readings of the same quantity agree: values, or dicts of them, key by key."""
    if isinstance(ours, dict):
        assert ours.keys() == theirs.keys(), f"{check.where}: {name}: keys differ"
        for key in ours:
            _check_same(check, f"{name} of {key}", ours[key], theirs[key])
    elif ours is None or theirs is None:
        assert ours is theirs, f"{check.where}: {name} is missing from one reading"
    else:
        check.equal(f"{name} agrees", ours, theirs, "-")


def _check_same_inputs(flexible: pypsa.Network, baseline: pypsa.Network) -> None:
    """The networks of both runs have identical inputs apart from flexibility bounds.

    Inputs are compared as the values in effect (a time series or the static value
    it defaults to; a missing value counts as the attribute's default), so a network
    read back from a file compares equal. The baseline
    may only set the backlog Stores' ``e_min_pu``, the lost-work Generators'
    ``p_max_pu`` and the routes' Links' ``p_max_pu`` to 0 (all work served as it
    arrives, each site's at the site).
    """
    where = "flexible vs baseline network inputs"
    assert flexible.snapshots.equals(baseline.snapshots), f"{where}: snapshots differ"
    assert flexible.snapshot_weightings.equals(baseline.snapshot_weightings), (
        f"{where}: snapshot weightings differ"
    )
    for component in flexible.components:
        other = baseline.components[component.name]
        assert component.static.index.equals(other.static.index), (
            f"{where}: {component.name} assets differ: "
            f"{list(component.static.index)} vs {list(other.static.index)}"
        )
        if component.static.empty:
            continue
        status = component.defaults["status"].astype(str)
        inputs = status.index[status.str.startswith("Input")]
        for attribute in inputs.intersection(component.static.columns):
            ours, theirs = component.da[attribute], other.da[attribute]
            default = component.defaults.at[attribute, "default"]
            if isinstance(default, float) and not np.isnan(default):
                ours, theirs = ours.fillna(default), theirs.fillna(default)
            flexibility = FLEXIBILITY_BOUNDS.get((component.name, attribute))
            if flexibility is not None:
                assets = component.static.index[component.static.carrier == flexibility]
                assert (theirs.sel(name=assets) == 0).all(), (
                    f"{where}: baseline {component.name} {attribute} of {list(assets)} "
                    "is not 0 (all work served as it arrives, each site's at the site)"
                )
                ours, theirs = ours.drop_sel(name=assets), theirs.drop_sel(name=assets)
            differ = ~((ours.values == theirs.values) | (pd.isna(ours) & pd.isna(theirs)))
            if differ.any():
                cell = {
                    d: ours[d].values[i]
                    for d, i in zip(ours.dims, np.argwhere(differ)[0], strict=True)
                }
                raise AssertionError(
                    f"{where}: {component.name} {attribute} differs at {cell}: "
                    f"{ours.sel(cell).item()!r} vs {theirs.sel(cell).item()!r}"
                )


SITE_SUMS = (
    "total_cost",
    "energy_cost",
    "carbon_cost",
    "lost_work_cost",
    "routing_cost",
    "capital_cost",
    "heat_revenue",
    "heat_delivered_mwh",
    "heat_pump_energy_mwh",
    "water_m3",
    "emissions_tco2",
    "facility_energy_mwh",
    "it_energy_mwh",
    "grid_import_mwh",
    "grid_export_mwh",
    "curtailment_mwh",
    "grid_surplus_absorbed_mwh",
    "deferred_energy_mwh",
    "unserved_mwh",
)
"""Key figures of the study that are the sum of its sites' [unit of the figure]."""

FLEXIBILITY_VALUES = frozenset(
    ("it_capacity_value_per_mw", "backlog_bound_value_per_mwh", "capacity_value_per_mw")
)
"""Marginal values of the flexible run's limits, per site or route [currency/MW or
currency/MWh]."""


def _check_summary(result: Result, rtol: float, atol: float) -> None:
    """Key figures of every site and route, and the study's from the sites'."""
    summary, study = result.summary, result.study
    for site, figures in summary["sites"].items():
        _check_site_summary(result, site, figures, rtol, atol)
    check = _Checker("study, summary", study.snapshots, rtol, atol)
    _check_route_summary(check, result)
    for run, totals in (("flexible", summary), ("baseline", summary["baseline"])):
        per_site = [f if run == "flexible" else f["baseline"] for f in summary["sites"].values()]
        check.equal(
            f"{run}: total cost = objective", totals["total_cost"], totals["objective"], "currency"
        )
        for name in SITE_SUMS:
            check.equal(
                f"{run}: {name} = sum over sites", totals[name], sum(f[name] for f in per_site), ""
            )
        for name in {key for f in per_site for key in f["capacities"]}:
            check.equal(
                f"{run}: capacity of {name} = sum over sites",
                totals["capacities"][name],
                sum(f["capacities"].get(name, 0.0) for f in per_site),
                "MWh" if name == "battery_energy" else "MW",
            )
        check.equal(
            f"{run}: max_delay_h = largest over sites",
            totals["max_delay_h"],
            max(f["max_delay_h"] for f in per_site),
            "h",
        )
        facility = totals["facility_energy_mwh"]
        for name in ("renewable_share", "cfe_score"):
            weighted = sum(f[name] * f["facility_energy_mwh"] for f in per_site)
            check.equal(
                f"{run}: {name} = sites' shares weighted by facility energy",
                totals[name],
                weighted / facility if facility > 0 else 0.0,
                "1",
            )
    _check_absorption(check, summary)
    if not _targets(study):
        check.at_most(
            "flexible objective <= baseline objective (the baseline is a restriction)",
            summary["objective"],
            summary["baseline"]["objective"],
            summary["currency"],
        )
    limits = (
        *((f"site {site!r}", figures) for site, figures in summary["sites"].items()),
        *((f"route {name}", figures) for name, figures in summary["routes"].items()),
    )
    for where, figures in limits:
        for name in FLEXIBILITY_VALUES.intersection(figures):
            check.at_least(
                f"{where}: {name} >= 0 (relaxing a limit saves cost)",
                figures[name],
                0.0,
                summary["units"][name],
            )


def _check_site_summary(result: Result, site: str, summary: dict, rtol: float, atol: float) -> None:
    """Key figures of MODEL.md §6 recomputed from the hourly dataset and the study."""
    study, ds = result.study, result.dispatch
    w, currency = study.step_h, result.study.scenario.currency
    spec = study.sites[site]
    dc = spec.datacentre
    check = _Checker(f"site {site!r}, summary", study.snapshots, rtol, atol)
    figures = {"flexible": summary, "baseline": summary["baseline"]}
    dispatches = {"flexible": result.flexible[site], "baseline": result.baseline[site]}
    water_per_mwh = dc.water_m3_per_mwh
    if water_per_mwh is None:
        water_per_mwh = DEFAULT_WATER_M3_PER_MWH[dc.cooling]

    def energy(values: np.ndarray) -> float:
        return w * float(np.sum(values))

    def own(carriers: xr.DataArray) -> list[str]:
        """The carriers of a dataset dimension that this site has (others are NaN)."""
        return [str(c) for c in carriers.values if getattr(spec, str(c)) is not None]

    for run, fig in figures.items():
        d = ds.sel(run=run, site=site)
        facility = d.facility_power.sum("workload").to_numpy()
        grid_import = d.grid_import.to_numpy()
        check.equal(f"{run}: total cost = objective", fig["total_cost"], fig["objective"], currency)
        check.equal(
            f"{run}: total cost = energy + carbon + lost work + routing + capital cost - heat "
            "revenue",
            fig["total_cost"],
            fig["energy_cost"]
            + fig["carbon_cost"]
            + fig["lost_work_cost"]
            + fig["routing_cost"]
            + fig["capital_cost"]
            - fig["heat_revenue"],
            currency,
        )
        capacities = dispatches[run].capacities
        assert fig["capacities"] == capacities, (
            f"{check.where}: {run}: capacities {fig['capacities']} are not the run's {capacities}"
        )
        check.equal(
            f"{run}: capital cost = annuity x capex x horizon share x capacity, summed",
            fig["capital_cost"],
            _capital_cost(study, site, capacities),
            currency,
        )
        heat_delivered = d.heat_delivered.to_numpy()
        check.equal(
            f"{run}: heat revenue = sum_t w price_t x heat delivered",
            fig["heat_revenue"],
            energy(_series(study, site, "datacentre.heat_reuse.price") * heat_delivered),
            currency,
        )
        check.equal(
            f"{run}: heat delivered", fig["heat_delivered_mwh"], energy(heat_delivered), "MWh"
        )
        check.equal(
            f"{run}: heat pump energy",
            fig["heat_pump_energy_mwh"],
            energy(d.heat_pump_power),
            "MWh",
        )
        check.equal(
            f"{run}: water = m3 per MWh (default by cooling type) x IT energy",
            fig["water_m3"],
            water_per_mwh * energy(d.it_power.sum("workload")),
            "m3",
        )
        check.equal(
            f"{run}: routing cost = cost per MWh x work moved from here",
            fig["routing_cost"],
            sum(
                route.cost_per_mwh * energy(ds.moved_work.sel(run=run, route=name))
                for name, route in _routes(study).items()
                if route.origin == site
            ),
            currency,
        )
        curtailment = {c: energy(d.curtailment.sel(curtailable=c)) for c in own(ds.curtailable)}
        check.equal(f"{run}: curtailment", fig["curtailment_mwh"], sum(curtailment.values()), "MWh")
        for carrier, value in curtailment.items():
            check.equal(
                f"{run}: curtailment of {carrier}",
                fig["curtailment_by_carrier_mwh"][carrier],
                value,
                "MWh",
            )
        unserved = energy(d.unserved)
        check.equal(f"{run}: unserved interruptible energy", fig["unserved_mwh"], unserved, "MWh")
        value_of_lost_work = dc.interruptible.value_of_lost_work if dc.interruptible else 0.0
        check.equal(
            f"{run}: lost work cost = V x unserved",
            fig["lost_work_cost"],
            value_of_lost_work * unserved,
            currency,
        )
        for name, values in (
            ("grid_import_mwh", grid_import),
            ("grid_export_mwh", d.grid_export),
            ("facility_energy_mwh", facility),
            ("it_energy_mwh", d.it_power.sum("workload")),
        ):
            check.equal(f"{run}: {name}", fig[name], energy(values), "MWh")
        emissions = _series(study, site, "grid.carbon_intensity_t_per_mwh") * grid_import
        for carrier in own(d.carrier):
            intensity = getattr(getattr(spec, carrier), "co2_t_per_mwh", 0.0)
            emissions = emissions + intensity * d.output.sel(carrier=carrier).to_numpy()
        check.equal(f"{run}: emissions", fig["emissions_tco2"], energy(emissions), "tCO2")
        shares = {
            "renewable_share": np.maximum(0.0, facility - grid_import),
            "cfe_score": np.maximum(
                0.0, facility - (1 - _series(study, site, "grid.clean_share")) * grid_import
            ),
        }
        for name, clean in shares.items():
            check.within(f"{run}: {name}", fig[name], 0.0, 1.0, "1")
            share = energy(clean) / energy(facility) if energy(facility) > 0 else 0.0
            check.equal(f"{run}: {name} (0 without facility energy)", fig[name], share, "1")
        surplus = study.series.get(f"{site}/grid.surplus_mw")
        check.equal(
            f"{run}: grid surplus absorbed = sum w min(import, surplus)",
            fig["grid_surplus_absorbed_mwh"],
            0.0 if surplus is None else energy(np.minimum(grid_import, surplus)),
            "MWh",
        )
        arrivals = _series(study, site, "datacentre.deferrable.arrivals_mwh")
        check.equal(
            f"{run}: deferred energy = sum min(A_t, b_t)",
            fig["deferred_energy_mwh"],
            float(np.sum(np.minimum(arrivals, np.maximum(d.backlog.to_numpy(), 0.0)))),
            "MWh",
        )
        max_delay = (
            0.0 if run == "baseline" or dc.deferrable is None else (dc.deferrable.max_delay_h)
        )
        check.within(f"{run}: max_delay_h in [0, D]", fig["max_delay_h"], 0.0, max_delay, "h")

    _check_absorption(check, summary)


def _check_route_summary(check: _Checker, result: Result) -> None:
    """Work moved on each route and its cost, from the hourly dataset; the dataset's
    work moved as ``Result.routes`` reports it."""
    summary, study, w = result.summary, result.study, result.study.step_h
    routes, currency = _routes(study), study.scenario.currency
    assert summary["routes"].keys() == routes.keys(), (
        f"{check.where}: routes {list(summary['routes'])} are not the study's {list(routes)}"
    )
    for name, route in routes.items():
        moved = result.dispatch.moved_work.sel(route=name)
        for run in RUNS:
            for workload, flow in _moved_from_arrays(study, result.routes[run])[name].items():
                check.equal(
                    f"{run}: dataset's {workload} work moved on {name}",
                    moved.sel(run=run, moved_class=workload).to_numpy(),
                    flow,
                    "MW",
                )
        figures, flexible = summary["routes"][name], moved.sel(run="flexible")
        for workload in MOVABLE:
            check.equal(
                f"{workload} work moved on {name}",
                figures.get(f"{workload}_mwh", 0.0),
                w * float(flexible.sel(moved_class=workload).sum()),
                "MWh",
            )
        total = w * float(flexible.sum())
        check.equal(f"work moved on {name}", figures["moved_mwh"], total, "MWh")
        check.equal(
            f"cost of {name} = cost per MWh x work moved",
            figures["cost"],
            route.cost_per_mwh * total,
            currency,
        )
    check.equal(
        "routing cost = sum of the routes' costs",
        summary["routing_cost"],
        sum(figures["cost"] for figures in summary["routes"].values()),
        currency,
    )


def _check_absorption(check: _Checker, summary: dict) -> None:
    """Absorbed curtailment, by carrier and as a share, against the two runs'."""
    curtailment_baseline = summary["baseline"]["curtailment_mwh"]
    check.equal(
        "curtailment_baseline_mwh is the baseline's curtailment",
        summary["curtailment_baseline_mwh"],
        curtailment_baseline,
        "MWh",
    )
    check.equal(
        "absorbed = curtailment baseline - curtailment flexible",
        summary["absorbed_mwh"],
        curtailment_baseline - summary["curtailment_mwh"],
        "MWh",
    )
    for carrier, absorbed in summary["absorbed_by_carrier_mwh"].items():
        check.equal(
            f"absorbed of {carrier}",
            absorbed,
            summary["curtailment_baseline_by_carrier_mwh"][carrier]
            - summary["curtailment_by_carrier_mwh"][carrier],
            "MWh",
        )
    share = summary["absorbed_mwh"] / curtailment_baseline if curtailment_baseline > 0 else 0.0
    check.equal(
        "absorbed_share = absorbed / curtailment baseline",
        summary["absorbed_share"],
        share,
        "1",
    )
    check.at_most("absorbed_share <= 1", summary["absorbed_share"], 1.0, "1")


def _targets(study: Study) -> dict[str, float]:
    """The study's carbon targets by the name of their constraint in the model: CFE
    targets ``"cfe_target SITE"`` and ``"cfe_target"`` (the study) [p.u.], the
    emission cap ``"emission_cap"`` [tCO2]."""
    scenario = study.scenario
    targets = {
        f"{CFE_CONSTRAINT} {site}": spec.cfe_target
        for site, spec in study.sites.items()
        if spec.cfe_target is not None
    }
    if scenario.cfe_target is not None:
        targets[CFE_CONSTRAINT] = scenario.cfe_target
    if scenario.emission_cap_tco2 is not None:
        targets[EMISSION_CONSTRAINT] = scenario.emission_cap_tco2
    return targets


def _check_targets(result: Result, rtol: float, atol: float) -> None:
    """Carbon targets: met by the flexible run, priced, and absent from the baseline.

    A CFE target tau over sites S holds in its linear form
    sum_{s in S} sum_t w (facility_t - (1 - q_t) import_t) >= tau sum_{s in S} sum_t w
    facility_t, and the reported CFE score reaches tau; emissions stay within the
    cap. Each target's shadow price is non-negative, in currency/MWh (CFE) or
    currency/tCO2 (cap), and positive only where the target is met exactly.
    """
    study, summary = result.study, result.summary
    currency, w = study.scenario.currency, study.step_h
    check = _Checker("flexible run, carbon targets", study.snapshots, rtol, atol)
    targets, prices = _targets(study), summary["targets"]
    cfe_targets = {name for name in targets if name != EMISSION_CONSTRAINT}
    assert cfe_targets <= prices.keys() <= targets.keys(), (
        f"{check.where}: shadow prices of {sorted(prices)} for the targets {sorted(targets)}"
    )
    flexible = result.dispatch.sel(run="flexible")
    clean, facility = {}, {}
    for site in study.sites:
        d = flexible.sel(site=site)
        power = d.facility_power.sum("workload").to_numpy()
        dirty = (1 - _series(study, site, "grid.clean_share")) * d.grid_import.to_numpy()
        clean[site], facility[site] = w * float(np.sum(power - dirty)), w * float(np.sum(power))
    for name, target in targets.items():
        if name == EMISSION_CONSTRAINT:
            value, bound, unit = summary["emissions_tco2"], target, "tCO2"
            check.at_most(f"{name}: emissions <= cap", value, bound, unit)
        else:
            site = name.removeprefix(CFE_CONSTRAINT).strip()
            sites, figures = ([site], summary["sites"][site]) if site else (study.sites, summary)
            value = sum(clean[s] for s in sites)
            bound, unit = target * sum(facility[s] for s in sites), "MWh"
            check.at_least(f"{name}: cfe_score >= target", figures["cfe_score"], target, "1")
            check.at_least(
                f"{name}: sum_t w (facility - (1 - q) import) >= target x sum_t w facility",
                value,
                bound,
                unit,
            )
        if name not in prices:  # an emission cap on a study that emits nothing
            continue
        price, expected_unit = prices[name]["shadow_price"], TARGET_UNITS[name.split()[0]]
        expected_unit = expected_unit.replace("currency", currency)
        assert prices[name]["unit"] == expected_unit, (
            f"{check.where}: {name}: shadow price in {prices[name]['unit']}, not {expected_unit}"
        )
        check.at_least(f"{name}: shadow price >= 0", price, 0.0, expected_unit)
        if price > atol:
            check.equal(
                f"{name}: met exactly where its shadow price is positive", value, bound, unit
            )
    model = getattr(result.network_baseline, "_model", None)
    if model is not None:
        kept = [name for name in model.constraints if name in targets]
        assert not kept, f"baseline run: carbon targets {kept} bind the baseline"
