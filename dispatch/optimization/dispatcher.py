"""Re-solve one study's window with new series: the LP is built once, then only its
bounds, costs, right-hand sides and PUE coefficients change, and HiGHS starts from
the last basis."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dispatch.core.errors import InfeasibleError, ScenarioError
from dispatch.core.names import VARIABLE_RENEWABLES
from dispatch.core.pypsa_settings import pypsa_settings
from dispatch.model.battery import initial_store_energy
from dispatch.model.datacentre import backlog_window
from dispatch.model.linopy_model import build_model
from dispatch.model.network import build_network, take_given_capacities
from dispatch.model.tariff import BilledPeak
from dispatch.optimization.explain import check_hourly_balance
from dispatch.optimization.highs_lp import LpChanges, LpPositions
from dispatch.optimization.window_peaks import WindowPeaks, record_peak_slots
from dispatch.optimization.window_series import (
    write_connection_point,
    write_facility,
    write_grid,
    write_reservoir,
)
from dispatch.optimization.window_state import (
    INITIAL_FIELDS,
    check_fixed_structure,
    level_range,
    output_range,
    with_initial_levels_study,
    write_final_levels,
    write_output_start,
)
from dispatch.results.extract import Extracted, extract_all
from dispatch.scenario.checks import check_range
from dispatch.scenario.schema import Site
from dispatch.scenario.series import REGION_SERIES_FIELDS, SERIES_FIELDS
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    import highspy

# Solution of each PyPSA variable -> (component, its time-series attribute in the network).
_SOLUTION_ATTRIBUTES = {
    "Generator-p": ("Generator", "p"),
    "Link-p": ("Link", "p0"),
    "Store-e": ("Store", "e"),
    "StorageUnit-p_dispatch": ("StorageUnit", "p_dispatch"),
    "StorageUnit-p_store": ("StorageUnit", "p_store"),
    "StorageUnit-state_of_charge": ("StorageUnit", "state_of_charge"),
    "StorageUnit-spill": ("StorageUnit", "spill"),
}


class Dispatcher:
    """The flexible run of one study's window, re-solved in place with new series.

    The PyPSA network, the linopy model and the HiGHS instance are built once, for
    the study's snapshots (the window). :meth:`set_series`,
    :meth:`set_initial_levels` and :meth:`set_initial_output` then change the
    window's prices, availability, workload, limits, starting levels (a carried
    backlog possibly by when it is due) and the output ramps start from
    (:meth:`set_final_levels`, :meth:`set_final_value` and :meth:`set_backlog_end`
    where the window ends; :meth:`set_billed_peaks` the demand charges' months);
    :meth:`solve` writes them into the LP as
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
        no carbon targets: those would change the structure of the LP between
        windows. A battery or reservoir whose initial
        level is to change between windows needs an ``initial_level_pu`` (a cyclic
        one has no initial level).
    solver_options
        HiGHS options over dispatch's (:data:`~dispatch.optimization.highs_lp.SOLVER_OPTIONS`),
        e.g. ``{"time_limit": 10}`` [s per window].

    Raises
    ------
    ScenarioError
        If the study sizes a capacity or has a carbon target.

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
        check_fixed_structure(study)
        self._study = study
        self._initial: dict[str, dict[str, float]] = {}
        self._backlog_due: dict[str, np.ndarray] = {}
        self._output_before: dict[str, dict[str, float]] = {}
        self._backlog_open_at_end: set[str] = set()
        self._final: dict[str, dict[str, tuple[float, bool]]] = {}
        self._final_value: dict[str, dict[str, float]] = {}
        n = build_network(study)
        record_peak_slots(n, study)
        model = build_model(n, study)
        take_given_capacities(n)
        self._network = n
        self._lp = LpPositions(model)
        self._peaks = WindowPeaks(self._lp, study)
        self._highs: highspy.Highs = self._lp.highs(solver_options)
        self._objective_offset = self._highs.getObjectiveOffset()[1]
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
        # Each load's power by step [MW] and its bus: the bus balances' right-hand sides.
        self._loads = {name: loads[name].to_numpy() for name in loads.columns}
        self._load_bus = n.c.loads.static.bus.loc[loads.columns].to_dict()
        self._link_efficiency = n.get_switchable_as_dense("Link", "efficiency")

    @property
    def window_study(self) -> Study:
        """The study of the window as it stands: the series and initial levels set so
        far; :func:`dispatch.solve` of it finds the same optimum as :meth:`solve`
        where its checks allow it (``solve`` also needs the baseline, all work served
        as it arrives, to fit: a carried backlog may not)."""
        return with_initial_levels_study(self._study, self._initial)

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
        backlog_due_mwh: np.ndarray | None = None,
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
        backlog_due_mwh
            Instead of ``backlog_mwh``: the deferrable work waiting at the start given
            by when it is due, as the part of it that must be served by the end of
            each step of the window [MWh]; one value per step, non-decreasing, the
            last value the whole backlog. :attr:`window_study` holds the whole
            backlog only (due within the longest delay).

        Raises
        ------
        ScenarioError
            Naming the field, for an unknown site or asset, a cyclic level, a level
            out of range, or both ``backlog_mwh`` and ``backlog_due_mwh``.
        """
        source, spec = str(self._study.source), self._site(site)
        levels = dict(self._initial.get(site, {}))
        if backlog_due_mwh is not None:
            if backlog_mwh is not None:
                raise ScenarioError(
                    source,
                    f"sites.{site}.{INITIAL_FIELDS['backlog']}",
                    "give backlog_mwh or backlog_due_mwh, not both",
                )
            due = self._checked_due_profile(site, backlog_due_mwh)
            backlog_mwh = float(due[-1])
        given = {"battery": battery_mwh, "reservoir": reservoir_mwh, "backlog": backlog_mwh}
        for asset, level in given.items():
            if level is None:
                continue
            field = f"sites.{site}.{INITIAL_FIELDS[asset]}"
            holder = spec.datacentre.deferrable if asset == "backlog" else getattr(spec, asset)
            if holder is None:
                raise ScenarioError(source, field, f"the site has no {asset}")
            if asset != "backlog" and holder.initial_level_pu is None:
                raise ScenarioError(
                    source, field, f"the {asset} is cyclic: give it an initial_level_pu"
                )
            low, high = level_range(asset, holder)
            if not low <= level <= high:
                raise ScenarioError(
                    source, field, f"is {level:g} MWh, must be in [{low:g}, {high:g}]"
                )
            levels[asset] = float(level)
        self._initial[site] = levels
        if backlog_due_mwh is not None:
            self._backlog_due[site] = due
        elif backlog_mwh is not None:
            self._backlog_due.pop(site, None)

    def _checked_due_profile(self, site: str, due_mwh: np.ndarray) -> np.ndarray:
        """``due_mwh`` as an array, or a ScenarioError naming what is wrong with it."""
        field = f"sites.{site}.backlog_due_mwh"
        due = np.asarray(due_mwh, dtype=float)
        steps = len(self._study.snapshots)
        problem = None
        if due.shape != (steps,):
            problem = f"has {due.size} values, the window has {steps} snapshots"
        elif not np.isfinite(due).all():
            problem = "is NaN or infinite"
        elif due[0] < 0:
            problem = f"is {due[0]:g} MWh at the first step, must be at least 0"
        elif (np.diff(due) < -1e-9 * max(1.0, due[-1])).any():
            problem = "must not decrease (work once due stays due)"
        if problem is not None:
            raise ScenarioError(str(self._study.source), field, problem)
        return due

    def set_initial_output(
        self, site: str, geothermal_mw: float | None = None, facility_mw: float | None = None
    ) -> None:
        """Set a site's output in the step before the window, which ramp limits start from.

        Each call sets both outputs; :attr:`window_study` holds neither.

        Parameters
        ----------
        site
            Name of the site.
        geothermal_mw
            Geothermal output in the step before the window [MW], within its minimum
            stable output and its capacity: the first step of the window then moves
            from it by at most the ramp limit. None: no step before (the first step
            is free, as in a fresh solve).
        facility_mw
            Facility power in the step before the window [MW], within 0 and the IT
            capacity times the window's largest PUE: the first step's facility power
            then moves from it by at most ``facility_ramp_mw_per_h`` (if the site has
            one). None: the first step is free.

        Raises
        ------
        ScenarioError
            Naming the field, for an unknown site, a site without geothermal, or an
            output out of range.
        """
        source = str(self._study.source)
        self._site(site)
        before = {}
        for output, value, field in (
            ("geothermal", geothermal_mw, f"sites.{site}.geothermal"),
            ("facility", facility_mw, f"sites.{site}.datacentre"),
        ):
            if value is None:
                continue
            bounds = output_range(self._study, site, output)
            if bounds is None:
                raise ScenarioError(source, field, f"the site has no {output}")
            low, high = bounds
            slack = 1e-6 * max(1.0, high)  # a previous solution may overshoot by rounding
            if not low - slack <= value <= high + slack:
                raise ScenarioError(
                    source,
                    field,
                    f"{output} output before the window is {value:g} MW, "
                    f"must be in [{low:g}, {high:g}]",
                )
            before[output] = float(np.clip(value, low, high))
        self._output_before[site] = before

    def set_backlog_end(self, site: str, empty: bool = True) -> None:
        """Say whether a site's backlog must be empty after the window's last step.

        Parameters
        ----------
        site
            Name of the site.
        empty
            True (the default, as at a study's horizon end): all work is served
            within the window. False: work that arrived within the longest delay
            before the window's end may wait beyond it (a window that is not the
            last of the horizon); carried work due by then is still served.
            :attr:`window_study` holds the default only.

        Raises
        ------
        ScenarioError
            For an unknown site.
        """
        self._site(site)
        if empty:
            self._backlog_open_at_end.discard(site)
        else:
            self._backlog_open_at_end.add(site)

    def set_final_levels(
        self,
        site: str,
        battery_mwh: float | None = None,
        reservoir_mwh: float | None = None,
        at_least: bool = False,
    ) -> None:
        """Fix where a site's storage levels stand after the window's last step (or
        their lower bound).

        Parameters
        ----------
        site
            Name of the site.
        battery_mwh
            Battery energy after the last step [MWh], within its energy capacity;
            None: free (the default).
        reservoir_mwh
            Reservoir energy after the last step, as reported (minimum level
            included), within its minimum and maximum level [MWh]; None: free.
        at_least
            The levels given are lower bounds: the window may end higher.

        Raises
        ------
        ScenarioError
            Naming the field, for an unknown site or asset, or a level out of range.
        """
        source, spec, levels = str(self._study.source), self._site(site), {}
        for asset, level in (("battery", battery_mwh), ("reservoir", reservoir_mwh)):
            if level is None:
                continue
            field, holder = f"sites.{site}.{asset}", getattr(spec, asset)
            if holder is None:
                raise ScenarioError(source, field, f"the site has no {asset}")
            low, high = level_range(asset, holder)
            if not low <= level <= high:
                raise ScenarioError(
                    source, field, f"final level is {level:g} MWh, must be in [{low:g}, {high:g}]"
                )
            levels[asset] = (float(level), at_least)
        self._final[site] = levels

    def set_final_value(
        self,
        site: str,
        battery_per_mwh: float | None = None,
        reservoir_per_mwh: float | None = None,
    ) -> None:
        """Give the energy a site's storages hold after the window's last step a value.

        The objective then counts minus the value times each level after the last step
        (as reported: a reservoir's minimum level included), as a seasonal plan's water
        value does: a window that ends before the horizon does not empty its storage
        unless what it saves is worth more. Each call sets both values;
        :attr:`window_study` holds neither.

        Parameters
        ----------
        site
            Name of the site.
        battery_per_mwh
            Value of one MWh in the battery after the last step [currency/MWh]; None:
            no value (the default).
        reservoir_per_mwh
            Value of one MWh in the reservoir after the last step [currency/MWh];
            None: no value.

        Raises
        ------
        ScenarioError
            Naming the field, for an unknown site or asset, or a value that is NaN or
            infinite.
        """
        source, spec, values = str(self._study.source), self._site(site), {}
        for asset, value in (("battery", battery_per_mwh), ("reservoir", reservoir_per_mwh)):
            if value is None:
                continue
            field = f"sites.{site}.{asset}"
            if getattr(spec, asset) is None:
                raise ScenarioError(source, field, f"the site has no {asset}")
            if not np.isfinite(value):
                raise ScenarioError(source, field, f"final value is {value}, must be finite")
            values[asset] = float(value)
        self._final_value[site] = values

    def set_billed_peaks(self, site: str, peaks: Sequence[BilledPeak]) -> None:
        """Set the demand charges' billed peaks a site's window sees.

        For each peak the window's objective holds ``cost_per_mw x (peak -
        floor_mw)``, with ``peak >= floor_mw`` and ``peak >= import_t`` for every step
        of ``steps``: a month's charge when the month's peak so far is ``floor_mw``
        (only its increase costs anything). By default (and for a site not named) the
        window study's own: each charge in each month it touches, that month's share
        of the charge, no floor. :attr:`window_study` holds the default only.

        Parameters
        ----------
        site
            Name of the site.
        peaks
            At most as many as the site's demand charges times the months a window of
            this length can touch (1 + ceil(hours / 672)) [-].

        Raises
        ------
        ScenarioError
            Naming the field, for an unknown site, too many peaks, steps that are not
            one bool per step, or a negative or non-finite cost or floor.
        """
        self._site(site)
        self._peaks.set(site, peaks)

    def _site(self, site: str) -> Site:
        """The scenario of site ``site``; a one-line error naming ``sites`` if there is none."""
        if site not in self._study.sites:
            raise ScenarioError(str(self._study.source), "sites", f"no site named {site!r}")
        return self._study.sites[site]

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
        lp = LpChanges(self._lp, study.step_h)
        n, w = self._network, study.step_h
        loads = self._loads
        constant = 0.0
        for name, site in study.sites.items():
            for carrier in VARIABLE_RENEWABLES:
                if getattr(site, carrier) is not None:
                    generator = f"{name} {carrier}"
                    availability = study.values(name, f"{carrier}.availability")
                    n.c.generators.dynamic.p_max_pu[generator] = availability
                    nominal = n.c.generators.static.at[generator, "p_nom"]
                    lp.row_bound("Generator-fix-p-upper", generator, nominal * availability)
            write_output_start(lp, self._lp, study, name, self._output_before.get(name, {}))
            constant += write_final_levels(
                lp,
                self._lp,
                study,
                name,
                self._final.get(name, {}),
                self._final_value.get(name, {}),
            )
            if site.grid is not None:
                write_grid(lp, study, name)
            if site.reservoir is not None:
                write_reservoir(lp, n, study, name)
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
                window = backlog_window(
                    study,
                    name,
                    self._backlog_due.get(name),
                    empty_at_end=name not in self._backlog_open_at_end,
                )
                lp.row_bound("Store-fix-e-lower", f"{name} backlog", -window)
                initial = np.zeros(len(study.snapshots))
                initial[0] = dc.deferrable.initial_backlog_mwh
                lp.row_bound("Store-energy_balance", f"{name} backlog", initial)
            write_facility(lp, study, name)
        for region in study.scenario.grid_regions:
            write_connection_point(
                lp,
                f"{region} grid",
                study.region_values(region, "import_limit_mw"),
                study.region_values(region, "export_limit_mw"),
            )
        by_bus: dict[str, np.ndarray] = {}
        for load, power in loads.items():
            bus = self._load_bus[load]
            by_bus[bus] = by_bus[bus] + power if bus in by_bus else power
        for bus, power in by_bus.items():
            lp.row_bound("Bus-nodal_balance", bus, power)
        constant += self._peaks.write(lp)
        lp.apply(self._highs)
        self._highs.changeObjectiveOffset(self._objective_offset + constant)

    def _read_solution(self, study: Study) -> None:
        """Put the HiGHS solution into the network, as PyPSA would, for extraction."""
        n, highs = self._network, self._highs
        solution = highs.getSolution()
        values = np.asarray(solution.col_value)
        for labels, component, attribute in self._solution_labels.values():
            frame = pd.DataFrame(
                values[self._lp.column_of[labels.to_numpy()]], labels.index, labels.columns
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
            duals[self._lp.row_of[balance.to_numpy()]] / weights, balance.index, balance.columns
        )
        n._objective = highs.getInfo().objective_function_value
