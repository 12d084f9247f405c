"""Re-solve one study's window with new series: the LP is built once, then only its
bounds, costs, right-hand sides and PUE coefficients change, and HiGHS starts from
the last basis."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dispatch.core.errors import InfeasibleError, ScenarioError
from dispatch.core.names import VARIABLE_RENEWABLES
from dispatch.core.processes import quiet_stdout
from dispatch.core.pypsa_settings import pypsa_settings
from dispatch.model.battery import initial_store_energy
from dispatch.model.datacentre import backlog_window
from dispatch.model.linopy_model import build_model
from dispatch.model.network import build_network
from dispatch.model.sizing import it_capacity_bound
from dispatch.optimization.explain import check_hourly_balance
from dispatch.results.extract import Extracted, extract_all
from dispatch.scenario.checks import check_range
from dispatch.scenario.series import REGION_SERIES_FIELDS, SERIES_FIELDS
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    import highspy
    import pypsa

# Solution of each PyPSA variable -> (component, its time-series attribute in the network).
_SOLUTION_ATTRIBUTES = {
    "Generator-p": ("Generator", "p"),
    "Link-p": ("Link", "p0"),
    "Store-e": ("Store", "e"),
    "StorageUnit-p_dispatch": ("StorageUnit", "p_dispatch"),
    "StorageUnit-state_of_charge": ("StorageUnit", "state_of_charge"),
    "StorageUnit-spill": ("StorageUnit", "spill"),
}


class Dispatcher:
    """The flexible run of one study's window, re-solved in place with new series.

    The PyPSA network, the linopy model and the HiGHS instance are built once, for
    the study's snapshots (the window). :meth:`set_series` and
    :meth:`set_initial_levels` then change the window's prices, availability,
    workload, limits and starting levels; :meth:`solve` writes them into the LP as
    column costs and bounds, row bounds and the PUE coefficients, and re-solves
    from the last optimal basis. The optimum is that of
    :func:`dispatch.solve` on the study with the same series
    (:attr:`window_study`); only the flexible run is solved (no baseline, no
    shadow values). Meant for rolling operation: thousands of windows of one site.

    Parameters
    ----------
    study
        The study whose snapshots are the window, e.g. ``load_study(path,
        hours=48)``. Its capacities must be given (no ``expansion``), and it may have
        no carbon targets and no facility ramp limit: those would change the
        structure of the LP between windows. A battery or reservoir whose initial
        level is to change between windows needs an ``initial_level_pu`` (a cyclic
        one has no initial level).
    solver_options
        Extra HiGHS options, e.g. ``{"time_limit": 10}`` [s per window].

    Raises
    ------
    ScenarioError
        If the study sizes a capacity, has a carbon target or a facility ramp limit.

    Examples
    --------
    >>> import numpy as np
    >>> from dispatch import Dispatcher, load_study
    >>> dispatcher = Dispatcher(load_study("networks/olkaria", hours=48))
    >>> sites, _ = dispatcher.solve()
    >>> price = dispatcher.window_study.values("olkaria", "grid.import_price")
    >>> dispatcher.set_series({"olkaria/grid.import_price": 2 * price})
    >>> dispatcher.set_initial_levels("olkaria", backlog_mwh=5.0)
    >>> dearer, _ = dispatcher.solve()
    >>> bool(dearer["olkaria"].objective > sites["olkaria"].objective)
    True
    """

    @pypsa_settings
    def __init__(self, study: Study, solver_options: dict | None = None) -> None:
        _check_fixed_structure(study)
        self._study = study
        self._initial: dict[str, dict[str, float]] = {}
        n = build_network(study)
        model = build_model(n, study)
        for component, nominal in (
            ("Generator", "p_nom"),
            ("Link", "p_nom"),
            ("StorageUnit", "p_nom"),
            ("Store", "e_nom"),
        ):
            static = n.c[component].static
            static[f"{nominal}_opt"] = static[nominal]
        self._network = n
        self._model = model
        with quiet_stdout():  # HiGHS prints its banner on creation
            self._highs: highspy.Highs = model.to_highspy()
        self._highs.setOptionValue("output_flag", False)
        for option, value in (solver_options or {}).items():
            self._highs.setOptionValue(option, value)
        matrices = model.matrices
        self._column_of = _inverse(matrices.vlabels)
        self._row_of = _inverse(matrices.clabels)
        self._column_lower = matrices.lb
        self._row_sense = matrices.sense
        self._labels: dict[tuple[str, str], np.ndarray] = {}
        self.timings: dict[str, float] = {}
        """Time the last :meth:`solve` took in HiGHS and outside it (writing the LP,
        reading the solution) [s]."""
        self._solution_labels = {
            name: (model.variables[name].labels.to_pandas(), *attribute)
            for name, attribute in _SOLUTION_ATTRIBUTES.items()
            if name in model.variables
        }
        self._balance_labels = model.constraints["Bus-nodal_balance"].labels.to_pandas()
        loads = n.get_switchable_as_dense("Load", "p_set")
        self._load_bus = n.c.loads.static.bus.loc[loads.columns]
        self._loads = loads
        self._link_efficiency = n.get_switchable_as_dense("Link", "efficiency")

    @property
    def window_study(self) -> Study:
        """The study of the window as it stands: the series and initial levels set so
        far; :func:`dispatch.solve` of it finds the same optimum as :meth:`solve`
        where its checks allow it (``solve`` also needs the baseline, all work served
        as it arrives, to fit: a carried backlog may not)."""
        return _window_study(self._study, self._initial)

    def set_series(self, values: Mapping[str, np.ndarray]) -> None:
        """Give series of the window new values, for the next :meth:`solve`.

        Parameters
        ----------
        values
            Values by key ``"SITE/FIELD"`` (FIELD a dotted path of
            ``SERIES_FIELDS``, such as ``"grid.import_price"``) or
            ``"grid_regions.REGION/FIELD"``, as in :attr:`Study.series`; one value
            per snapshot of the window [field's unit]. Series not named keep their
            values.

        Raises
        ------
        ScenarioError
            Naming the field: not a series of this study, wrong length, NaN or
            infinite, or outside the field's range.
        """
        study = self._study
        series = dict(study.series)
        for key, given in values.items():
            if key not in series:
                raise ScenarioError(
                    str(study.source), key, "is not a series of this study (SITE/FIELD)"
                )
            owner, field = key.split("/", 1)
            array = np.asarray(given, dtype=float)
            if array.shape != (len(study.snapshots),):
                raise ScenarioError(
                    str(study.source),
                    key,
                    f"has {array.size} values, the window has {len(study.snapshots)} snapshots",
                )
            bounds = (REGION_SERIES_FIELDS if owner.startswith("grid_regions.") else SERIES_FIELDS)[
                field
            ]
            check_range(array, bounds, study.snapshots, key, str(study.source))
            series[key] = array
        self._study = dataclasses.replace(study, series=series)

    def set_initial_levels(
        self,
        site: str,
        battery_mwh: float | None = None,
        reservoir_mwh: float | None = None,
        backlog_mwh: float | None = None,
    ) -> None:
        """Set where a site's levels stand at the start of the window.

        Parameters
        ----------
        site
            Name of the site.
        battery_mwh
            Battery energy at the start [MWh], within its energy capacity.
        reservoir_mwh
            Reservoir energy at the start, as reported (minimum level included),
            within its minimum and maximum level [MWh].
        backlog_mwh
            Deferrable work waiting at the start [MWh]; due within the longest delay.

        Raises
        ------
        ScenarioError
            Naming the field, for an unknown site or asset, a cyclic level, or a
            level out of range.
        """
        source = str(self._study.source)
        if site not in self._study.sites:
            raise ScenarioError(source, "sites", f"no site named {site!r}")
        spec = self._study.sites[site]
        levels = dict(self._initial.get(site, {}))
        given = {"battery": battery_mwh, "reservoir": reservoir_mwh, "backlog": backlog_mwh}
        for asset, level in given.items():
            if level is None:
                continue
            field = f"sites.{site}.{_INITIAL_FIELDS[asset]}"
            holder = spec.datacentre.deferrable if asset == "backlog" else getattr(spec, asset)
            if holder is None:
                raise ScenarioError(source, field, f"the site has no {asset}")
            if asset != "backlog" and holder.initial_level_pu is None:
                raise ScenarioError(
                    source, field, f"the {asset} is cyclic: give it an initial_level_pu"
                )
            low, high = _level_range(asset, holder)
            if not low <= level <= high:
                raise ScenarioError(
                    source, field, f"is {level:g} MWh, must be in [{low:g}, {high:g}]"
                )
            levels[asset] = float(level)
        self._initial[site] = levels

    @pypsa_settings
    def solve(self) -> Extracted:
        """Solve the window with the series and levels set so far.

        Returns
        -------
        Extracted
            The flexible run: each site's :class:`~dispatch.results.extract.RunDispatch`
            (hourly arrays, objective) and the work moved on each route.

        Raises
        ------
        InfeasibleError
            If the window has no solution.
        """
        start = time.perf_counter()
        study = self.window_study
        self._write_lp(study)
        started_highs = time.perf_counter()
        self._highs.run()
        highs_s = time.perf_counter() - started_highs
        status = self._highs.modelStatusToString(self._highs.getModelStatus())
        if status != "Optimal":
            check_hourly_balance(study)
            raise InfeasibleError(f"{study.name}: the window has no solution (HiGHS: {status})")
        self._read_solution(study)
        extracted = extract_all(self._network, study)
        total_s = time.perf_counter() - start
        self.timings = {"highs_s": highs_s, "outside_highs_s": total_s - highs_s}
        return extracted

    def _write_lp(self, study: Study) -> None:
        """Write the series and initial levels of ``study`` into the HiGHS model."""
        lp = _Changes(self, study.step_h)
        n, w = self._network, study.step_h
        loads = self._loads
        for name, site in study.sites.items():
            for carrier in VARIABLE_RENEWABLES:
                if getattr(site, carrier) is not None:
                    generator = f"{name} {carrier}"
                    availability = study.values(name, f"{carrier}.availability")
                    n.c.generators.dynamic.p_max_pu[generator] = availability
                    nominal = n.c.generators.static.at[generator, "p_nom"]
                    lp.row_bound("Generator-fix-p-upper", generator, nominal * availability)
            if site.grid is not None:
                _write_grid(lp, study, name)
            if site.reservoir is not None:
                _write_reservoir(lp, n, study, name)
            if site.battery is not None and site.battery.initial_level_pu is not None:
                initial = np.zeros(len(study.snapshots))
                initial[0] = -initial_store_energy(site.battery, study.step_h)
                lp.row_bound("Store-energy_balance", f"{name} battery", initial)
            dc = site.datacentre
            loads[f"{name} firm"] = study.values(name, "datacentre.firm_mw")
            if dc.interruptible is not None:
                offered = study.values(name, "datacentre.interruptible.offered_mw")
                loads[f"{name} interruptible"] = offered
                lp.row_bound("Generator-fix-p-upper", f"{name} lost work", offered)
            if dc.deferrable is not None:
                loads[f"{name} arrivals"] = (
                    study.values(name, "datacentre.deferrable.arrivals_mwh") / w
                )
                lp.row_bound("Store-fix-e-lower", f"{name} backlog", -backlog_window(study, name))
                initial = np.zeros(len(study.snapshots))
                initial[0] = dc.deferrable.initial_backlog_mwh
                lp.row_bound("Store-energy_balance", f"{name} backlog", initial)
            _write_facility(lp, study, name)
        for region in study.scenario.grid_regions:
            _write_connection_point(
                lp,
                f"{region} grid",
                study.region_values(region, "import_limit_mw"),
                study.region_values(region, "export_limit_mw"),
            )
        by_bus = loads.T.groupby(self._load_bus).sum().T
        for bus in by_bus.columns:
            lp.row_bound("Bus-nodal_balance", bus, by_bus[bus].to_numpy())
        lp.apply(self._highs)

    def _positions(self, item: str, name: str) -> np.ndarray:
        """HiGHS columns (of a variable) or rows (of a constraint) of component ``name``,
        one per snapshot."""
        key = (item, name)
        if key not in self._labels:
            if item in self._model.variables:
                labels, position = self._model.variables[item].labels, self._column_of
            else:
                labels, position = self._model.constraints[item].labels, self._row_of
            self._labels[key] = position[labels.sel(name=name).values]
        return self._labels[key]

    def _read_solution(self, study: Study) -> None:
        """Put the HiGHS solution into the network, as PyPSA would, for extraction."""
        n, highs = self._network, self._highs
        solution = highs.getSolution()
        values = np.asarray(solution.col_value)
        for labels, component, attribute in self._solution_labels.values():
            frame = pd.DataFrame(
                values[self._column_of[labels.to_numpy()]], labels.index, labels.columns
            )
            n.c[component].dynamic[attribute] = frame
            if component == "Link":
                efficiency = self._link_efficiency
                for site in study.sites:
                    efficiency[f"{site} facility"] = 1.0 / study.values(site, "datacentre.pue")
                n.c.links.dynamic["p1"] = -frame * efficiency[frame.columns]
        duals = np.asarray(solution.row_dual)
        balance = self._balance_labels
        weights = n.snapshot_weightings.objective.to_numpy()[:, None]
        n.c.buses.dynamic["marginal_price"] = pd.DataFrame(
            duals[self._row_of[balance.to_numpy()]] / weights, balance.index, balance.columns
        )
        n._objective = highs.getInfo().objective_function_value


_INITIAL_FIELDS = {
    "battery": "battery.initial_level_pu",
    "reservoir": "reservoir.initial_level_pu",
    "backlog": "datacentre.deferrable.initial_backlog_mwh",
}


def _window_study(study: Study, initial: dict[str, dict[str, float]]) -> Study:
    """``study`` with the initial levels [MWh] by site and asset as scenario fields."""
    if not initial:
        return study
    sites = dict(study.sites)
    for site, levels in initial.items():
        sites[site] = _with_initial_levels(sites[site], levels)
    scenario = study.scenario.model_copy(update={"sites": sites})
    return Study(scenario, study.source, study.snapshots, study.series)


def _level_range(asset: str, holder: object) -> tuple[float, float]:
    """The range of an initial level [MWh]."""
    if asset == "battery":
        return 0.0, holder.energy_mwh
    if asset == "reservoir":
        return holder.min_level_pu * holder.energy_mwh, holder.max_level_pu * holder.energy_mwh
    return 0.0, float("inf")


def _with_initial_levels(site: object, levels: dict[str, float]) -> object:
    """``site`` with its initial levels [MWh] as scenario fields."""
    update = {}
    for asset in ("battery", "reservoir"):
        if asset in levels:
            holder = getattr(site, asset)
            update[asset] = holder.model_copy(
                update={"initial_level_pu": levels[asset] / holder.energy_mwh}
            )
    if "backlog" in levels:
        dc = site.datacentre
        deferrable = dc.deferrable.model_copy(update={"initial_backlog_mwh": levels["backlog"]})
        update["datacentre"] = dc.model_copy(update={"deferrable": deferrable})
    return site.model_copy(update=update)


def _check_fixed_structure(study: Study) -> None:
    """Raise for what would change the LP's structure between windows."""
    source = str(study.source)
    if study.scenario.cfe_target is not None or study.scenario.emission_cap_tco2 is not None:
        raise ScenarioError(source, "cfe_target", "a Dispatcher solves no carbon targets")
    for name, site in study.sites.items():
        if site.cfe_target is not None:
            raise ScenarioError(
                source, f"sites.{name}.cfe_target", "a Dispatcher solves no carbon targets"
            )
        if site.datacentre.facility_ramp_mw_per_h is not None:
            raise ScenarioError(
                source,
                f"sites.{name}.datacentre.facility_ramp_mw_per_h",
                "a Dispatcher needs no facility ramp limit (its rows follow the PUE)",
            )
        for path, asset in (
            ("datacentre.it_expansion", site.datacentre.it_expansion),
            *(
                (f"{carrier}.expansion", getattr(getattr(site, carrier), "expansion", None))
                for carrier in (*VARIABLE_RENEWABLES, "geothermal")
            ),
            ("battery.expansion", getattr(site.battery, "expansion", None)),
            ("battery.energy_expansion", getattr(site.battery, "energy_expansion", None)),
        ):
            if asset is not None:
                raise ScenarioError(
                    source, f"sites.{name}.{path}", "a Dispatcher needs given capacities"
                )


def _write_grid(lp: _Changes, study: Study, name: str) -> None:
    """Import and export limits, prices and carbon cost of a site's grid connection."""
    import_limit = study.values(name, "grid.import_limit_mw")
    export_limit = study.values(name, "grid.export_limit_mw")
    if study.sites[name].grid.region is None:
        _write_connection_point(lp, f"{name} grid", import_limit, export_limit)
    import_cost = study.values(name, "grid.import_price") + study.scenario.carbon_price * (
        study.values(name, "grid.carbon_intensity_t_per_mwh")
    )
    lp.row_bound("Link-fix-p-upper", f"{name} grid import", import_limit)
    lp.row_bound("Link-fix-p-upper", f"{name} grid export", export_limit)
    lp.cost("Link-p", f"{name} grid import", import_cost)
    lp.cost("Link-p", f"{name} grid export", -study.values(name, "grid.export_price"))


def _write_connection_point(
    lp: _Changes, bus: str, import_limit: np.ndarray, export_limit: np.ndarray
) -> None:
    lp.row_bound("Generator-fix-p-upper", f"{bus} supply", import_limit)
    lp.row_bound("Generator-fix-p-lower", f"{bus} demand", -export_limit)


def _write_reservoir(lp: _Changes, n: pypsa.Network, study: Study, name: str) -> None:
    """Inflow (energy balance and spill bound) and initial level of a reservoir."""
    unit, res = f"{name} reservoir", study.sites[name].reservoir
    inflow = study.values(name, "reservoir.inflow_mw")
    n.c.storage_units.dynamic.inflow[unit] = inflow
    balance = -study.step_h * inflow
    if res.initial_level_pu is not None:
        balance[0] -= (res.initial_level_pu - res.min_level_pu) * res.energy_mwh
    lp.row_bound("StorageUnit-energy_balance", unit, balance)
    lp.column_upper("StorageUnit-spill", unit, inflow)


def _write_facility(lp: _Changes, study: Study, name: str) -> None:
    """PUE: the facility's efficiency into IT power (and waste heat) and its capacity;
    heat demand and price."""
    dc, facility = study.sites[name].datacentre, f"{name} facility"
    pue = study.values(name, "datacentre.pue")
    lp.row_bound("Link-fix-p-upper", facility, np.full(len(pue), it_capacity_bound(dc) * pue.max()))
    lp.coefficient("Bus-nodal_balance", f"{name} IT", "Link-p", facility, 1.0 / pue)
    if (heat := dc.heat_reuse) is None:
        return
    lp.coefficient(
        "Bus-nodal_balance",
        f"{name} waste heat",
        "Link-p",
        facility,
        heat.recoverable_fraction / pue,
    )
    demand = study.values(name, "datacentre.heat_reuse.demand_mw")
    lp.row_bound("Generator-fix-p-lower", f"{name} heat sale", -demand)
    lp.cost("Generator-p", f"{name} heat sale", study.values(name, "datacentre.heat_reuse.price"))
    if heat.heat_pump_cop is not None:
        most_heat = it_capacity_bound(dc) * heat.recoverable_fraction
        nominal = max(float(demand.max()), most_heat) / (heat.heat_pump_cop - 1)
        lp.row_bound("Link-fix-p-upper", f"{name} heat pump", np.full(len(pue), nominal))


class _Changes:
    """New costs, column bounds, row bounds and coefficients of the HiGHS model, by
    linopy variable or constraint and component name, one value per snapshot."""

    def __init__(self, dispatcher: Dispatcher, step_h: float) -> None:
        self.dispatcher, self.step_h = dispatcher, step_h
        self.costs: list[tuple[np.ndarray, np.ndarray]] = []
        self.uppers: list[tuple[np.ndarray, np.ndarray]] = []
        self.rows: list[tuple[np.ndarray, np.ndarray]] = []
        self.coefficients: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def _columns(self, variable: str, name: str) -> np.ndarray:
        return self.dispatcher._positions(variable, name)

    def _rows(self, constraint: str, name: str) -> np.ndarray:
        return self.dispatcher._positions(constraint, name)

    def cost(self, variable: str, name: str, per_mwh: np.ndarray) -> None:
        """Marginal cost [currency/MWh] of each step's column (weighted by the step)."""
        self.costs.append((self._columns(variable, name), per_mwh * self.step_h))

    def column_upper(self, variable: str, name: str, upper: np.ndarray) -> None:
        self.uppers.append((self._columns(variable, name), upper))

    def row_bound(self, constraint: str, name: str, rhs: np.ndarray) -> None:
        """Right-hand side of each step's row (its sense kept)."""
        self.rows.append((self._rows(constraint, name), rhs))

    def coefficient(
        self, constraint: str, row_name: str, variable: str, column_name: str, values: np.ndarray
    ) -> None:
        self.coefficients.append(
            (self._rows(constraint, row_name), self._columns(variable, column_name), values)
        )

    def apply(self, highs: highspy.Highs) -> None:
        if self.costs:
            columns, costs = (np.concatenate(parts) for parts in zip(*self.costs, strict=True))
            highs.changeColsCost(len(columns), columns, costs)
        for columns, upper in self.uppers:
            lower = self.dispatcher._column_lower[columns]
            highs.changeColsBounds(len(columns), columns, lower, upper)
        if self.rows:
            rows, rhs = (np.concatenate(parts) for parts in zip(*self.rows, strict=True))
            sense = self.dispatcher._row_sense[rows]
            lower = np.where(sense == "<", -np.inf, rhs)
            upper = np.where(sense == ">", np.inf, rhs)
            highs.changeRowsBounds(len(rows), rows, lower, upper)
        for rows, columns, values in self.coefficients:
            for row, column, value in zip(rows, columns, values, strict=True):
                highs.changeCoeff(int(row), int(column), float(value))


def _inverse(labels: np.ndarray) -> np.ndarray:
    """Position of each linopy label in the solver's columns or rows; -1 for none, and
    for label -1 (masked) too: the last entry."""
    position = np.full(int(labels.max()) + 2, -1, dtype=np.int32)
    position[labels] = np.arange(len(labels), dtype=np.int32)
    return position
