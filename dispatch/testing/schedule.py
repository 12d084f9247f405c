"""One run of one site in the terms of MODEL.md, read twice: from the hourly arrays of
:class:`~dispatch.results.extract.RunDispatch` and, independently, from the solved PyPSA
network; and the check that both readings agree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dispatch.core.names import VARIABLE_RENEWABLES
from dispatch.results.extract import column_or_zeros
from dispatch.testing.capacities import capacities_from_network
from dispatch.testing.checker import check_same
from dispatch.testing.routes import MOVABLE, Moved, moved_at
from dispatch.testing.series import series_values

if TYPE_CHECKING:
    import pypsa

    from dispatch.results.extract import RunDispatch
    from dispatch.scenario.study import Study
    from dispatch.testing.checker import Checker


@dataclass(frozen=True)
class Schedule:
    """One run of one site in the terms of MODEL.md, as read from one source.

    Power in [MW] (average over the step), levels and backlog in [MWh] after the
    step; one value per snapshot. Storage fields are None where the site has none.
    """

    renewable: dict[str, np.ndarray]
    """Output p_t per variable renewable carrier [MW]."""
    geothermal: np.ndarray | None
    """Geothermal output [MW]."""
    geothermal_flexible: np.ndarray | None
    """The part of the geothermal output made from flexible steam [MW]."""
    battery_charge: np.ndarray | None
    """Battery charging power [MW]."""
    battery_discharge: np.ndarray | None
    """Battery discharging power [MW]."""
    battery_level: np.ndarray | None
    """Battery energy after the step [MWh]."""
    reservoir_dispatch: np.ndarray | None
    """Reservoir turbine output at the site bus [MW]."""
    reservoir_pump: np.ndarray | None
    """Power the reservoir's pump draws from the site bus (0 without a pump) [MW]."""
    reservoir_spill: np.ndarray | None
    """Reservoir spill, as potential energy [MW]."""
    reservoir_level: np.ndarray | None
    """Reservoir energy after the step, as potential energy counted from empty [MWh]."""
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


def schedule_from_arrays(study: Study, site: str, run: RunDispatch) -> Schedule:
    """The schedule as :class:`RunDispatch` reports it.

    The site's own firm work served here is its IT power of firm work divided by
    (1 - idle), less the firm work moved in; its own deferrable work served here is
    ``deferred_served`` (u_t) less what it moved out. The waste heat used is the
    heat delivered that the heat pump's electricity did not supply.
    """
    spec = study.sites[site]
    idle = spec.datacentre.idle_fraction
    discharge = spill = pump = flexible = None
    if spec.geothermal is not None:
        vented = run.curtailment.get("geothermal")
        steady = run.output["geothermal"]
        if vented is not None:
            steady = run.available["geothermal"] - vented
        flexible = run.output["geothermal"] - steady
    if spec.battery is not None:
        discharge = run.output["battery"] + run.battery_charge
    if spec.reservoir is not None:
        spill = run.curtailment["reservoir"]
        pump = run.reservoir_pump
        if pump is None:
            pump = np.zeros(len(spill))
    return Schedule(
        renewable={c: run.output[c] for c in VARIABLE_RENEWABLES if c in run.output},
        geothermal=run.output.get("geothermal"),
        geothermal_flexible=flexible,
        battery_charge=run.battery_charge,
        battery_discharge=discharge,
        battery_level=run.battery_level,
        reservoir_dispatch=run.output.get("reservoir"),
        reservoir_pump=pump,
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


def schedule_from_network(study: Study, site: str, n: pypsa.Network, moved: Moved) -> Schedule:
    """The schedule as read from the solved network's components.

    Follows the mapping of :mod:`dispatch.model.network`: geothermal output is the
    ``geothermal`` Generator's plus the ``geothermal flexible steam`` Generator's
    (its flexible part); facility power enters the ``facility`` Link, IT power
    leaves it; the ``backlog`` Store's level is minus the backlog; the battery's
    charge enters its ``charger`` Link, its discharge leaves its ``discharger`` Link
    and its level is its Store's; the reservoir's
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
            "reservoir_pump",
            "reservoir_spill",
            "reservoir_level",
        )
    )
    if spec.battery is not None:
        name = f"{site} battery"
        storage["battery_charge"] = column_or_zeros(links.p0, f"{name} charger", length)
        storage["battery_discharge"] = -column_or_zeros(links.p1, f"{name} discharger", length)
        storage["battery_level"] = column_or_zeros(n.stores_t.e, name, length)
    if (res := spec.reservoir) is not None:
        name = f"{site} reservoir"
        storage["reservoir_dispatch"] = column_or_zeros(su.p_dispatch, name, length)
        storage["reservoir_pump"] = column_or_zeros(su.p_store, name, length)
        storage["reservoir_spill"] = column_or_zeros(su.spill, name, length)
        storage["reservoir_level"] = (
            column_or_zeros(su.state_of_charge, name, length) + res.min_level_pu * res.energy_mwh
        )
    offered = series_values(study, site, "datacentre.interruptible.offered_mw")
    flexible = column_or_zeros(gen, f"{site} geothermal flexible steam", length)
    idle = f"{site} idle"
    waste_heat_used = np.zeros(length)
    if f"{site} heat pump" in n.links.index:
        waste_heat_used = column_or_zeros(links.p2, f"{site} heat pump", length)
    elif f"{site} heat exchanger" in n.links.index:
        waste_heat_used = column_or_zeros(links.p0, f"{site} heat exchanger", length)
    return Schedule(
        renewable={
            c: column_or_zeros(gen, f"{site} {c}", length)
            for c in VARIABLE_RENEWABLES
            if getattr(spec, c) is not None
        },
        geothermal=(
            column_or_zeros(gen, f"{site} geothermal", length) + flexible
            if spec.geothermal
            else None
        ),
        geothermal_flexible=flexible if spec.geothermal else None,
        **storage,
        grid_import=column_or_zeros(links.p0, f"{site} grid import", length),
        grid_export=column_or_zeros(links.p0, f"{site} grid export", length),
        firm_local=(
            column_or_zeros(links.p0, f"{site} firm local", length)
            if f"{site} firm local" in n.links.index
            else column_or_zeros(n.loads_t.p, f"{site} firm", length)
        ),
        deferred_local=column_or_zeros(links.p0, f"{site} deferrable", length),
        moved_out=moved_at(study, moved, site, "origin"),
        moved_in=moved_at(study, moved, site, "destination"),
        backlog=-column_or_zeros(n.stores_t.e, f"{site} backlog", length),
        interruptible_served=offered - column_or_zeros(gen, f"{site} lost work", length),
        it_power=-column_or_zeros(links.p1, f"{site} facility", length),
        facility_power=column_or_zeros(links.p0, f"{site} facility", length),
        idle_draw=column_or_zeros(n.loads_t.p, idle, length) - column_or_zeros(gen, idle, length),
        capacities=capacities_from_network(study, site, n),
        heat_delivered=-column_or_zeros(gen, f"{site} heat sale", length),
        heat_pump_power=column_or_zeros(links.p0, f"{site} heat pump", length),
        waste_heat_used=waste_heat_used,
        objective=float(n.objective),
    )


def check_agree(check: Checker, arrays: Schedule, network: Schedule) -> None:
    """Both readings of a run hold the same values."""
    for name in Schedule.__dataclass_fields__:
        check_same(check, name, getattr(arrays, name), getattr(network, name))
