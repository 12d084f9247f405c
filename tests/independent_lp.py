"""The LP of MODEL.md written a second time, without PyPSA or linopy.

Built straight from a :class:`~dispatch.Study` with numpy and scipy.sparse, one
block of variables per quantity of MODEL.md (one value per step), and solved with
``scipy.optimize.linprog(method="highs")``. It shares nothing with
``dispatch.model.network`` but the carrier names: the backlog is the literal recursion
with its deadline window (:func:`dispatch.testing.deadline_window`), IT and
facility power are variables tied by their definitions,
interruptible work is the served part ``v_t`` with the constant ``V sum_t w O_t``
added back, import and export are separate flows. Work moved between sites is one
variable per route, class (where :func:`dispatch.testing.route_rules` allows it)
and step, the classes sharing the route's capacity: it counts as served for the
origin's firm work or backlog and as work served at the destination. A sized
battery has one variable for its power and one for its energy capacity, paying
capex x the annuity factor (closed form r (1 + r)^n / ((1 + r)^n - 1)) x the
horizon's share of 8760 h; charge, discharge and level stay below them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.optimize import linprog

from dispatch import Study
from dispatch.core.names import VARIABLE_RENEWABLES
from dispatch.testing import deadline_window, route_rules

if TYPE_CHECKING:
    from dispatch.scenario.assets import EnergyExpansion, Expansion
    from dispatch.scenario.tariff import Tariff

Term = tuple[ArrayLike, np.ndarray]
"""A coefficient (scalar or one per row) and the column index of each row's variable."""

Moves = dict[tuple[str, str], list[Term]]
"""Terms of the work moved, keyed (site, ``"firm out"``, ``"firm in"``,
``"deferrable out"`` or ``"deferrable in"``) [MW]."""


def _each(value: ArrayLike, count: int) -> np.ndarray:
    """``value`` (a scalar or ``count`` values) as ``count`` floats."""
    return np.broadcast_to(np.asarray(value, float), (count,))


class LinearProgram:
    """A minimisation LP assembled from blocks of one variable per step, and of
    single variables for the whole horizon (capacities).

    Parameters
    ----------
    steps
        Number of snapshots T [-].
    """

    def __init__(self, steps: int) -> None:
        self.steps = steps
        self.cost: list[np.ndarray] = []
        self.bounds: list[np.ndarray] = []
        self.entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.row_bounds: list[np.ndarray] = []
        self.rows = self.columns = 0
        self.constant = 0.0
        """Objective terms that do not depend on any variable [currency]."""

    def variable(
        self, cost: ArrayLike = 0.0, lower: ArrayLike = 0.0, upper: ArrayLike = np.inf
    ) -> np.ndarray:
        """Add one variable per step; return their column indices.

        Parameters
        ----------
        cost
            Objective coefficient per step [currency per unit].
        lower, upper
            Bounds per step [unit of the variable].
        """
        columns = np.arange(self.columns, self.columns + self.steps)
        self.columns += self.steps
        self.cost.append(_each(cost, self.steps))
        self.bounds.append(np.column_stack([_each(lower, self.steps), _each(upper, self.steps)]))
        return columns

    def capacity(self, cost: float, lower: float, upper: float) -> np.ndarray:
        """Add one variable for the whole horizon; return its column index once per
        step, so that it enters rows of one per step.

        Parameters
        ----------
        cost
            Objective coefficient [currency per unit].
        lower, upper
            Bounds [unit of the variable].
        """
        column = self.columns
        self.columns += 1
        self.cost.append(np.array([float(cost)]))
        self.bounds.append(np.array([[lower, upper]], float))
        return np.full(self.steps, column)

    def constraint(self, terms: list[Term], lower: ArrayLike, upper: ArrayLike) -> None:
        """Add rows ``lower <= sum_j coefficient_j x[column_j] <= upper``.

        Every term's columns array has one entry per row; rows are as many as that.
        """
        count = len(terms[0][1])
        rows = np.arange(self.rows, self.rows + count)
        self.rows += count
        for coefficient, columns in terms:
            values = _each(coefficient, count)
            keep = values != 0
            self.entries.append((rows[keep], np.asarray(columns)[keep], values[keep]))
        self.row_bounds.append(np.column_stack([_each(lower, count), _each(upper, count)]))

    def solve(self) -> float:
        """Optimal objective including the constant [currency].

        Raises
        ------
        RuntimeError
            If HiGHS does not report an optimum.
        """
        rows, columns, values = (np.concatenate(part) for part in zip(*self.entries, strict=True))
        matrix = sp.csr_matrix((values, (rows, columns)), shape=(self.rows, self.columns))
        lower, upper = np.concatenate(self.row_bounds).T
        equal = lower == upper
        above, below = ~equal & np.isfinite(upper), ~equal & np.isfinite(lower)
        solution = linprog(
            np.concatenate(self.cost),
            A_ub=sp.vstack([matrix[above], -matrix[below]]),
            b_ub=np.concatenate([upper[above], -lower[below]]),
            A_eq=matrix[equal],
            b_eq=lower[equal],
            bounds=np.concatenate(self.bounds),
            method="highs",
        )
        if solution.status != 0:
            raise RuntimeError(f"independent LP: {solution.message}")
        return float(solution.fun) + self.constant


def _level(
    lp: LinearProgram,
    level: np.ndarray,
    retention: float,
    flows: list[Term],
    inflow: ArrayLike,
    initial: float | None,
) -> None:
    """Rows ``level_t = retention level_t-1 + sum flows + inflow_t`` for every step.

    ``level_-1`` is ``initial``, or ``level_T-1`` (cyclic) if that is None.
    """
    inflow = _each(inflow, lp.steps).copy()
    previous = np.full(lp.steps, -retention)
    if initial is not None:
        previous[0] = 0.0
        inflow[0] += retention * initial
    terms = [(1.0, level), (previous, np.roll(level, 1))]
    lp.constraint(terms + [(-np.asarray(c), x) for c, x in flows], inflow, inflow)


def _ramp(lp: LinearProgram, columns: np.ndarray, limit: float) -> None:
    """Rows ``|x_t - x_t-1| <= limit`` between consecutive steps, none at the first."""
    lp.constraint([(1.0, columns[1:]), (-1.0, columns[:-1])], -limit, limit)


def _sized(
    lp: LinearProgram,
    study: Study,
    expansion: Expansion | EnergyExpansion,
    capex: float,
    smallest: float,
    largest: float | None,
) -> np.ndarray:
    """A sized capacity: a variable in [smallest, largest] (none: unbounded) costing
    ``capex`` per unit times the annuity factor of ``expansion`` times the horizon's
    share of a year."""
    r, years = expansion.discount_rate, expansion.lifetime_years
    growth = (1 + r) ** years
    annuity = r * growth / (growth - 1) if r > 0 else 1 / years
    horizon = len(study.snapshots) * study.step_h / 8760
    upper = np.inf if largest is None else largest
    return lp.capacity(capex * annuity * horizon, smallest, upper)


def _bounded(lp: LinearProgram, capacity: float | np.ndarray, cost: float = 0.0) -> np.ndarray:
    """One variable per step in [0, capacity] at ``cost`` each: a bound for a given
    capacity, rows ``x_t - capacity <= 0`` for a sized one (an array of its column)."""
    if isinstance(capacity, np.ndarray):
        columns = lp.variable(cost, 0.0, np.inf)
        lp.constraint([(1.0, columns), (-1.0, capacity)], -np.inf, 0.0)
        return columns
    return lp.variable(cost, 0.0, capacity)


def _add_supply(
    lp: LinearProgram,
    study: Study,
    site: str,
    regional: dict[str, list[Term]],
    columns: dict[str, np.ndarray],
) -> list[Term]:
    """Local assets and grid flows of a site; return their terms of the bus balance.

    The net import of a site in a grid region joins the region's terms in ``regional``;
    ``columns`` gets each asset's columns by name, for the offers of flexibility.
    """
    spec, w = study.sites[site], study.step_h
    supply: list[Term] = []
    for carrier in VARIABLE_RENEWABLES:
        if (asset := getattr(spec, carrier)) is not None:
            available = asset.capacity_mw * study.values(site, f"{carrier}.availability")
            columns[carrier] = lp.variable(w * asset.marginal_cost, 0.0, available)
            supply.append((1.0, columns[carrier]))
    if (geo := spec.geothermal) is not None:
        # Up to the field's steam where it is given: the rest is vented.
        steam = 1.0 if geo.steam_pu is None else geo.steam_pu
        output = lp.variable(
            w * geo.marginal_cost, geo.min_stable_pu * geo.capacity_mw, steam * geo.capacity_mw
        )
        if geo.ramp_pu_per_h is not None:
            _ramp(lp, output, geo.ramp_pu_per_h * geo.capacity_mw * w)
        supply.append((1.0, output))
        columns["geothermal"] = output
        if geo.flexible_steam_pu > 0:  # never ramped: the scenario refuses both
            flexible = lp.variable(
                w * (geo.marginal_cost + geo.flexible_steam_cost_per_mwh),
                0.0,
                geo.flexible_steam_pu * geo.capacity_mw,
            )
            supply.append((1.0, flexible))
            columns["geothermal flexible"] = flexible
    if (res := spec.reservoir) is not None:
        # Level, inflow and spill in potential energy; turbine and pump at the bus.
        turbine = lp.variable(w * res.marginal_cost, 0.0, res.turbine_mw)
        pump = lp.variable(0.0, 0.0, res.pump_mw)
        inflow = study.values(site, "reservoir.inflow_mw")
        spill = lp.variable(0.0, 0.0, inflow)
        level = lp.variable(
            0.0, res.min_level_pu * res.energy_mwh, res.max_level_pu * res.energy_mwh
        )
        initial = None if res.initial_level_pu is None else (res.initial_level_pu * res.energy_mwh)
        flows = [
            (-w, spill),
            (-w / res.turbine_efficiency, turbine),
            (w * res.pump_efficiency, pump),
        ]
        _level(lp, level, 1.0, flows, w * inflow, initial)
        supply += [(1.0, turbine), (-1.0, pump)]
    if (bat := spec.battery) is not None:
        power, energy = bat.power_mw, bat.energy_mwh
        if (e := bat.expansion) is not None:
            power = _sized(lp, study, e, e.capex_per_mw, e.min_mw, e.max_mw)
        if (e := bat.energy_expansion) is not None:
            energy = _sized(lp, study, e, e.capex_per_mwh, e.min_mwh, e.max_mwh)
        charge = _bounded(lp, power)
        # Throughput cost per MWh discharged at the bus.
        discharge = _bounded(lp, power, w * bat.throughput_cost_per_mwh)
        level = _bounded(lp, energy)
        # A battery with sized energy has no initial level (the scenario is rejected).
        initial = None if bat.initial_level_pu is None else (bat.initial_level_pu * bat.energy_mwh)
        _level(
            lp,
            level,
            (1 - bat.standing_loss_per_h) ** w,
            [(w * bat.charge_efficiency, charge), (-w / bat.discharge_efficiency, discharge)],
            0.0,
            initial,
        )
        supply += [(1.0, discharge), (-1.0, charge)]
        columns.update(charge=charge, discharge=discharge, battery=level)
    if spec.grid is not None:
        carbon = study.scenario.carbon_price * study.values(site, "grid.carbon_intensity_t_per_mwh")
        tariff = spec.grid.tariff
        contracted = (
            np.inf if tariff is None or tariff.contracted_mw is None else tariff.contracted_mw
        )
        grid_import = lp.variable(
            w * (study.values(site, "grid.import_price") + carbon),
            0.0,
            np.minimum(study.values(site, "grid.import_limit_mw"), contracted),
        )
        if tariff is not None:
            _add_demand_charges(lp, study, tariff, grid_import)
        if tariff is not None and tariff.contracted_expansion is not None:
            _add_contracted_capacity(lp, study, tariff, grid_import)
        grid_export = lp.variable(
            -w * study.values(site, "grid.export_price"),
            0.0,
            study.values(site, "grid.export_limit_mw"),
        )
        supply += [(1.0, grid_import), (-1.0, grid_export)]
        columns.update(grid_import=grid_import, grid_export=grid_export)
        if spec.grid.region is not None:
            regional[spec.grid.region] += [(1.0, grid_import), (-1.0, grid_export)]
    return supply


def _local_months(study: Study, tariff: Tariff) -> tuple:
    """Local times of the steps, the start of each step's local calendar month, and
    that month's hours [-, -, h]."""
    zone = tariff.time_zone or study.scenario.snapshots.start.tzinfo
    local = study.snapshots.tz_convert(zone)
    month_start = local.tz_localize(None).to_period("M").to_timestamp().tz_localize(zone)
    month_h = ((month_start + pd.DateOffset(months=1)) - month_start) / pd.Timedelta(hours=1)
    return local, month_start, month_h


def _add_contracted_capacity(
    lp: LinearProgram, study: Study, tariff: Tariff, grid_import: np.ndarray
) -> None:
    """A sized contracted capacity: one variable within its smallest and largest size,
    at least the import of every step, costing the fixed charge x the months billed
    (each month the share of its hours the horizon covers)."""
    _, month_start, month_h = _local_months(study, tariff)
    months = sum(
        (month_start == start).sum() * study.step_h / month_h[month_start == start][0]
        for start in month_start.unique()
    )
    sizing = tariff.contracted_expansion
    largest = np.inf if sizing.max_mw is None else sizing.max_mw
    capacity = lp.capacity(tariff.fixed_charge_per_mw_month * months, sizing.min_mw, largest)
    lp.constraint([(1.0, capacity), (-1.0, grid_import)], 0.0, np.inf)


def _add_demand_charges(
    lp: LinearProgram, study: Study, tariff: Tariff, grid_import: np.ndarray
) -> None:
    """One peak per demand charge and local calendar month: at least the import of
    every step in the charge's window, costing the monthly charge x the share of the
    month's hours the horizon covers. (The fixed charge on a given contracted
    capacity is a constant that no run changes; as in ``dispatch``, the objective
    leaves it out.)"""
    local, month_start, month_h = _local_months(study, tariff)
    for charge in tariff.demand_charges:
        hour = local.hour
        opens, closes = charge.start_hour, charge.end_hour
        in_hours = (
            (hour >= opens) & (hour < closes)
            if opens < closes
            else (hour >= opens) | (hour < closes)
        )
        inside = (
            in_hours
            & local.month.isin(charge.months or range(1, 13))
            & (local.dayofweek + 1).isin(charge.weekdays or range(1, 8))
        )
        for start in month_start.unique():
            steps = inside & (month_start == start)
            if not steps.any():
                continue
            covered = (month_start == start).sum() * study.step_h
            share = covered / month_h[month_start == start][0]
            peak = lp.capacity(charge.price_per_mw_month * share, 0.0, np.inf)
            lp.constraint([(1.0, peak[steps]), (-1.0, grid_import[steps])], 0.0, np.inf)


def _add_routes(lp: LinearProgram, study: Study, baseline: bool) -> Moves:
    """Work moved on every route by class, within the shared capacity; none in the
    baseline. Return the terms each site's workload rows take."""
    moves: Moves = defaultdict(list)
    routing = study.scenario.routing
    for route in routing.routes if routing is not None else []:
        flows = []
        for workload, why_not in route_rules(study, route).items():
            if why_not is None:
                flow = lp.variable(
                    study.step_h * route.cost_per_mwh, 0.0, 0.0 if baseline else np.inf
                )
                moves[route.origin, f"{workload} out"].append((1.0, flow))
                moves[route.destination, f"{workload} in"].append((1.0, flow))
                flows.append((1.0, flow))
        lp.constraint(flows, 0.0, route.capacity_mw)
    return moves


def _add_datacentre(
    lp: LinearProgram,
    study: Study,
    site: str,
    baseline: bool,
    moves: Moves,
    columns: dict[str, np.ndarray],
) -> np.ndarray:
    """Workload, IT and facility power of a site; return the facility power columns.

    The site's firm work is served here or moved out in its step; its deferrable
    work leaves the backlog when served here or moved out; the work served here
    (its own and what other sites move in) makes its IT power. ``columns`` gets the
    work's columns by name, for the offers of flexibility.
    """
    dc, w, steps = study.sites[site].datacentre, study.step_h, len(study.snapshots)
    capacity, idle = dc.it_capacity_mw, dc.idle_fraction
    zeros = np.zeros(steps)
    firm = study.values(site, "datacentre.firm_mw")
    firm_here = lp.variable(0.0, 0.0, np.inf)
    lp.constraint([(1.0, firm_here), *moves[site, "firm out"]], firm, firm)

    arrivals, initial = zeros, 0.0
    if dc.deferrable is not None:
        arrivals = study.values(site, "datacentre.deferrable.arrivals_mwh")
        initial = dc.deferrable.initial_backlog_mwh
    # Baseline: every deferrable unit is served in the step it arrives in, the
    # initial backlog in the first.
    on_arrival = arrivals / w
    on_arrival[0] += initial / w
    deferred = lp.variable(0.0, on_arrival if baseline else 0.0, on_arrival if baseline else np.inf)
    backlog = lp.variable(0.0, 0.0, deadline_window(study, site))
    moved_out = [(-w, flow) for _, flow in moves[site, "deferrable out"]]
    _level(lp, backlog, 1.0, [(-w, deferred), *moved_out], arrivals, initial)

    offered, value = zeros, 0.0
    if dc.interruptible is not None:
        offered = study.values(site, "datacentre.interruptible.offered_mw")
        value = dc.interruptible.value_of_lost_work
    served = lp.variable(-w * value, offered if baseline else 0.0, offered)
    lp.constant += w * value * offered.sum()

    work = [
        (1.0, firm_here),
        *moves[site, "firm in"],
        (1.0, deferred),
        *moves[site, "deferrable in"],
        (1.0, served),
    ]
    lp.constraint(work, -np.inf, capacity)
    it_power = lp.variable(0.0, dc.min_it_pu * capacity, np.inf)
    lp.constraint(
        [(1.0, it_power), *[(-(1 - idle) * c, columns) for c, columns in work]],
        idle * capacity,
        idle * capacity,
    )
    facility = lp.variable(0.0, 0.0, np.inf)
    pue = study.values(site, "datacentre.pue")
    lp.constraint([(1.0, facility), (-pue, it_power)], 0.0, 0.0)
    columns.update(deferred=deferred, backlog=backlog, served=served, it_power=it_power, work=work)
    if dc.facility_ramp_mw_per_h is not None:
        _ramp(lp, facility, dc.facility_ramp_mw_per_h * w)
    return facility


def _add_offers(
    lp: LinearProgram, study: Study, site: str, baseline: bool, columns: dict[str, np.ndarray]
) -> None:
    """A flexibility market's offers up and down, each within what the site can add
    to it in the step: work stopped (served interruptible, deferrable served that the
    window lets wait; none in the baseline) or started (interruptible not served,
    backlog waiting), as facility power; battery charge cancelled or discharge raised
    (up), charge raised or discharge cancelled (down), within power and the energy
    of the step; renewables and unramped geothermal raised within availability or
    cut to their minimum; the net import after a call within the export and import
    limits. Paid availability + share x activation per MW and hour."""
    spec, w = study.sites[site], study.step_h
    market = None if spec.grid is None else spec.grid.flexibility_market
    if market is None:
        return
    dc = spec.datacentre
    capacity, busy = dc.it_capacity_mw, 1 - dc.idle_fraction
    largest = np.inf if market.max_offer_mw is None else market.max_offer_mw
    up = lp.variable(-w * market.value_up(), 0.0, largest)
    down = lp.variable(-w * market.value_down(), 0.0, largest)
    up_parts: list[Term] = []
    down_parts: list[Term] = []
    per_work = study.values(site, "datacentre.pue") * busy
    stop = lp.variable(0.0, 0.0, 0.0 if baseline else np.inf)
    start = lp.variable(0.0, 0.0, np.inf)
    stop_i = lp.variable(0.0, 0.0, 0.0 if baseline else np.inf)
    stop_d = lp.variable(0.0, 0.0, 0.0 if baseline else np.inf)
    start_i = lp.variable()
    start_d = lp.variable()
    lp.constraint([(1.0, stop), (-1.0, stop_i), (-1.0, stop_d)], 0.0, 0.0)
    lp.constraint([(1.0, start), (-1.0, start_i), (-1.0, start_d)], 0.0, 0.0)
    offered = (
        study.values(site, "datacentre.interruptible.offered_mw")
        if dc.interruptible is not None
        else np.zeros(lp.steps)
    )
    lp.constraint([(1.0, stop_i), (-1.0, columns["served"])], -np.inf, 0.0)
    lp.constraint([(1.0, start_i), (1.0, columns["served"])], -np.inf, offered)
    lp.constraint([(1.0, stop_d), (-1.0, columns["deferred"])], -np.inf, 0.0)
    lp.constraint([(w, stop_d), (1.0, columns["backlog"])], -np.inf, deadline_window(study, site))
    lp.constraint([(w, start_d), (-1.0, columns["backlog"])], -np.inf, 0.0)
    lp.constraint([*columns["work"], (1.0, start)], -np.inf, capacity)
    lp.constraint(
        [(1.0, columns["it_power"]), (-busy, stop)],
        max(dc.min_it_pu, dc.idle_fraction) * capacity,
        np.inf,
    )
    up_parts.append((per_work, stop))
    down_parts.append((per_work, start))
    if (bat := spec.battery) is not None:
        eta_in, eta_out = bat.charge_efficiency, bat.discharge_efficiency
        charge, discharge, level = columns["charge"], columns["discharge"], columns["battery"]
        less_charge, more_discharge = lp.variable(), lp.variable()
        more_charge, less_discharge = lp.variable(), lp.variable()
        lp.constraint([(1.0, less_charge), (-1.0, charge)], -np.inf, 0.0)
        lp.constraint([(1.0, more_discharge), (1.0, discharge)], -np.inf, bat.power_mw)
        lp.constraint(
            [(1.0, level), (-w / eta_out, more_discharge), (-w * eta_in, less_charge)],
            0.0,
            np.inf,
        )
        lp.constraint([(1.0, more_charge), (1.0, charge)], -np.inf, bat.power_mw)
        lp.constraint([(1.0, less_discharge), (-1.0, discharge)], -np.inf, 0.0)
        lp.constraint(
            [(1.0, level), (w * eta_in, more_charge), (w / eta_out, less_discharge)],
            -np.inf,
            bat.energy_mwh,
        )
        up_parts += [(1.0, less_charge), (1.0, more_discharge)]
        down_parts += [(1.0, more_charge), (1.0, less_discharge)]
    for carrier in VARIABLE_RENEWABLES:
        if (asset := getattr(spec, carrier)) is not None:
            available = asset.capacity_mw * study.values(site, f"{carrier}.availability")
            raised, cut = lp.variable(), lp.variable()
            lp.constraint([(1.0, raised), (1.0, columns[carrier])], -np.inf, available)
            lp.constraint([(1.0, cut), (-1.0, columns[carrier])], -np.inf, 0.0)
            up_parts.append((1.0, raised))
            down_parts.append((1.0, cut))
    if (geo := spec.geothermal) is not None and geo.ramp_pu_per_h is None:
        steam = 1.0 if geo.steam_pu is None else geo.steam_pu
        outputs = [(1.0, columns["geothermal"])]
        if "geothermal flexible" in columns:
            outputs.append((1.0, columns["geothermal flexible"]))
        raised, cut = lp.variable(), lp.variable()
        most = (steam + geo.flexible_steam_pu) * geo.capacity_mw
        lp.constraint([(1.0, raised), *outputs], -np.inf, most)
        lp.constraint(
            [(1.0, cut), *[(-c, x) for c, x in outputs]],
            -np.inf,
            -geo.min_stable_pu * geo.capacity_mw,
        )
        up_parts.append((1.0, raised))
        down_parts.append((1.0, cut))
    lp.constraint([(1.0, up), *[(-np.asarray(c), x) for c, x in up_parts]], -np.inf, 0.0)
    lp.constraint([(1.0, down), *[(-np.asarray(c), x) for c, x in down_parts]], -np.inf, 0.0)
    grid_import, grid_export = columns["grid_import"], columns["grid_export"]
    tariff = spec.grid.tariff
    contracted = np.inf if tariff is None or tariff.contracted_mw is None else tariff.contracted_mw
    lp.constraint(
        [(1.0, grid_export), (-1.0, grid_import), (1.0, up)],
        -np.inf,
        study.values(site, "grid.export_limit_mw"),
    )
    lp.constraint(
        [(1.0, grid_import), (-1.0, grid_export), (1.0, down)],
        -np.inf,
        np.minimum(study.values(site, "grid.import_limit_mw"), contracted),
    )


def optimum(study: Study, baseline: bool) -> float:
    """Optimal objective of one run of ``study`` as MODEL.md §4 states it [currency].

    Parameters
    ----------
    study
        A loaded study.
    baseline
        Solve the baseline run (all work served as it arrives, each site's at the
        site) instead of the flexible run.
    """
    lp = LinearProgram(len(study.snapshots))
    moves = _add_routes(lp, study, baseline)
    regional: dict[str, list[Term]] = defaultdict(list)
    for site in study.sites:
        columns: dict[str, np.ndarray] = {}
        supply = _add_supply(lp, study, site, regional, columns)
        facility = _add_datacentre(lp, study, site, baseline, moves, columns)
        lp.constraint([*supply, (-1.0, facility)], 0.0, 0.0)
        _add_offers(lp, study, site, baseline, columns)
    for region, net_import in regional.items():
        lp.constraint(
            net_import,
            -study.region_values(region, "export_limit_mw"),
            study.region_values(region, "import_limit_mw"),
        )
    return lp.solve()


def independent_objectives(study: Study) -> dict[str, float]:
    """Optimal objective of the flexible and the baseline run [currency]."""
    return {"flexible": optimum(study, False), "baseline": optimum(study, True)}
