"""MODEL.md for one site as a compact LP built straight into HiGHS: the speed anchor.

``dispatch run`` goes scenario -> PyPSA network -> linopy model -> HiGHS; this module
states the same LP with nothing in between: one column per quantity and step, every
limit that concerns one variable a bound (curtailment is the room a renewable's
output leaves below ``P a_t``), the matrix assembled with ``scipy.sparse`` and handed
to ``highspy.Highs.passModel`` as arrays. IT and facility power are not columns:
both are linear in the work served, so they are substituted into the site balance
(and the facility ramp). The baseline is the same LP with two sets of bounds
changed (backlog held at 0, interruptible work served in full). One HiGHS instance
solves the baseline first (cold, with presolve), then the flexible run from the
baseline's basis once those bounds are released: faster on the shipped examples than
the other order or two cold solves (figures in ``benchmarks/README.md``).

Columns, one per step each, for what the study has (bounds; cost per step):

- output of solar, wind, run-of-river: ``[0, P a_t]``; ``w mc``
- geothermal output: ``[pmin P, steam P]``; ``w mc``; flexible steam ``[0, flex P]``;
  ``w (mc + flexible steam cost)``
- reservoir turbine, spill, level, pump (if any): ``[0, P]``, ``[0, inflow_t]``,
  ``[min E, max E]``, ``[0, pump P]``; ``w mc`` on the turbine, whose output draws
  ``1 / turbine efficiency`` from the level; the pump adds ``pump efficiency``
- battery charge and discharge (both at the bus), level: ``[0, P]``, ``[0, P]``,
  ``[0, E]``; ``w throughput cost`` on the discharge
- grid import and export: ``[0, min(I_t, contracted)]``, ``[0, X_t]``;
  ``w (c_t + carbon price g_t)``, ``-w e_t``
- deferrable work served ``u``: ``[0, C]``; backlog ``b``: ``[0, work arrived within
  the last D hours]``, 0 after the last step (baseline: 0 after every step)
- interruptible work served ``v``: ``[0, O_t]`` (baseline: ``[O_t, O_t]``); ``-w V``

Rows, one per step each: the site balance (supply = PUE_t (idle C + (1 - idle)
(firm_t + u_t + v_t))), work within capacity (and above the minimum IT power), the
backlog recursion ``b_t = b_t-1 + A_t - w u_t``, the battery and reservoir
recursions (cyclic, or from an initial level), and between consecutive steps the
geothermal and facility ramps. The objective's constant ``w V sum_t O_t`` is the LP's
offset, so HiGHS reports MODEL.md's objective literally.

Run it as a script, as ``bench_run.py`` does to time it as a whole process::

    python3 benchmarks/compact_lp.py networks/olkaria [--hours H] [--json PATH]

A study using what this LP does not state (several sites, routes, grid regions,
sizing, heat reuse, carbon targets) raises :class:`NotImplementedError` naming the
field.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp

from dispatch import Study, load_study

RENEWABLES = ("solar", "wind", "run_of_river")
"""The sites' fields of variable renewable plants (output up to P a_t)."""

UNSTATED = (
    "routing",
    "grid_regions",
    "cfe_target",
    "emission_cap_tco2",
    "sites.SITE.cfe_target",
    "sites.SITE.grid.region",
    "sites.SITE.datacentre.it_expansion",
    "sites.SITE.datacentre.heat_reuse",
    "sites.SITE.battery.expansion",
    "sites.SITE.battery.energy_expansion",
    "sites.SITE.grid.tariff.demand_charges",
    "sites.SITE.grid.tariff.contracted_expansion",
    "sites.SITE.grid.flexibility_market",
    *(f"sites.SITE.{carrier}.expansion" for carrier in (*RENEWABLES, "geothermal")),
)
"""Scenario fields the compact LP does not state (``SITE``: the site's name); a study
that sets one is refused."""

NOT_STATED = 3
"""Exit code of the script for a study that uses what the compact LP does not state."""

Terms = list[tuple[Any, np.ndarray]]
"""Terms of a block of rows: (coefficient, scalar or one per row; the column of
each row)."""


def check_stated(study: Study) -> str:
    """The name of the study's one site, if the compact LP states all the study uses.

    Raises
    ------
    NotImplementedError
        Naming the first field set that the compact LP does not state.
    """
    if len(study.sites) != 1:
        raise NotImplementedError(f"sites: {len(study.sites)} sites; the compact LP states one")
    site = next(iter(study.sites))
    for path in UNSTATED:
        value: Any = study.scenario
        for part in path.replace("SITE", site).split("."):
            value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
        if value not in (None, {}, []):
            raise NotImplementedError(
                f"{path.replace('SITE', site)}: not stated by the compact LP of benchmarks/"
            )
    return site


def backlog_limit(study: Study, site: str) -> np.ndarray:
    """Most backlog after each step: work that arrived within the last D hours, the
    initial backlog counting as arrived at the start; 0 after the last step [MWh]."""
    deferrable = study.sites[site].datacentre.deferrable
    arrivals = study.values(site, "datacentre.deferrable.arrivals_mwh")
    within = int(round(deferrable.max_delay_h / study.step_h))
    limit = np.convolve(arrivals, np.ones(within))[: len(arrivals)] if within else 0 * arrivals
    limit[:within] += deferrable.initial_backlog_mwh
    limit[-1] = 0.0
    return limit


class CompactLp:
    """A minimisation LP whose columns and rows come in blocks of one per step.

    Parameters
    ----------
    steps
        Length of every block: the number of snapshots T [-].
    """

    def __init__(self, steps: int) -> None:
        self.steps = steps
        self.offset = 0.0
        """Objective constant [currency]."""
        self._columns: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._rows: list[tuple[np.ndarray, np.ndarray]] = []
        self._entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._row_count = 0

    def columns(self, cost: Any = 0.0, lower: Any = 0.0, upper: Any = np.inf) -> np.ndarray:
        """A column per step with these costs [currency per unit] and bounds [unit];
        their indices."""
        first = self.steps * len(self._columns)
        full = (np.broadcast_to(np.asarray(v, float), self.steps) for v in (cost, lower, upper))
        self._columns.append(tuple(full))
        return np.arange(first, first + self.steps)

    def rows(self, terms: Terms, lower: Any, upper: Any, skip_first: bool = False) -> None:
        """Rows ``lower_t <= sum coefficient_t x[column_t] <= upper_t`` for each step,
        from the second step on if ``skip_first`` (ramps)."""
        first = int(skip_first)
        count = self.steps - first
        rows = np.arange(self._row_count, self._row_count + count)
        self._row_count += count
        for coefficient, columns in terms:
            values = np.broadcast_to(np.asarray(coefficient, float), self.steps)[first:]
            nonzero = values != 0
            self._entries.append((rows[nonzero], columns[first:][nonzero], values[nonzero]))
        self._rows.append(
            tuple(np.broadcast_to(np.asarray(v, float), self.steps)[first:] for v in (lower, upper))
        )

    def recursion(
        self,
        level: np.ndarray,
        retention: float,
        outflows: Terms,
        inflow: Any,
        initial: float | None,
    ) -> None:
        """Rows ``level_t - retention level_t-1 + sum outflows_t = inflow_t``; before the
        first step the level is ``initial``, or the last step's (cyclic) if None."""
        carried = np.full(self.steps, retention)
        inflow = np.array(np.broadcast_to(inflow, self.steps), float)
        if initial is not None:
            carried[0], inflow[0] = 0.0, inflow[0] + retention * initial
        self.rows([(1.0, level), (-carried, np.roll(level, 1)), *outflows], inflow, inflow)

    def ramp(self, terms: Terms, change: Any, limit: float) -> None:
        """Rows ``|sum terms_t - sum terms_t-1 + change_t| <= limit`` between
        consecutive steps, none at the first; ``change_t`` is a constant's step."""
        back = [(-np.roll(np.broadcast_to(c, self.steps), 1), np.roll(x, 1)) for c, x in terms]
        self.rows(terms + back, -limit - change, limit - change, skip_first=True)

    def into_highs(self, highs: highspy.Highs) -> tuple[int, int, int]:
        """Hand the LP to ``highs`` (column-wise matrix); return columns, rows, nonzeros."""
        rows, columns, values = (np.concatenate(e) for e in zip(*self._entries, strict=True))
        n_cols = self.steps * len(self._columns)
        matrix = sp.csc_array((values, (rows, columns)), shape=(self._row_count, n_cols))
        matrix.sum_duplicates()
        cost, lower, upper = (np.concatenate(c) for c in zip(*self._columns, strict=True))
        row_lower, row_upper = (np.concatenate(r) for r in zip(*self._rows, strict=True))
        highs.passModel(
            n_cols,
            self._row_count,
            matrix.nnz,
            int(highspy.MatrixFormat.kColwise),
            int(highspy.ObjSense.kMinimize),
            self.offset,
            cost,
            lower,
            upper,
            row_lower,
            row_upper,
            matrix.indptr.astype(np.int32, copy=False),
            matrix.indices.astype(np.int32, copy=False),
            matrix.data,
            np.zeros(n_cols, dtype=np.int32),  # every column continuous
        )
        return n_cols, self._row_count, matrix.nnz


@dataclass(frozen=True)
class Flexibility:
    """The bounds in which the flexible and the baseline run differ (MODEL.md §5):
    backlog held at 0, interruptible work served in full."""

    columns: np.ndarray
    """Their columns' indices [-]."""
    flexible_lower: np.ndarray
    flexible_upper: np.ndarray
    """Bounds in the flexible run [MWh of backlog, MW of work]."""
    baseline_lower: np.ndarray
    baseline_upper: np.ndarray
    """Bounds in the baseline run [MWh of backlog, MW of work]."""

    def apply(self, highs: highspy.Highs, run: str) -> None:
        """Set the bounds of ``run`` (``"flexible"`` or ``"baseline"``) in ``highs``."""
        lower, upper = getattr(self, f"{run}_lower"), getattr(self, f"{run}_upper")
        columns = self.columns.astype(np.int32)
        highs.changeColsBounds(len(columns), columns, lower, upper)


def site_lp(study: Study, site: str) -> tuple[CompactLp, Flexibility]:
    """The flexible run of ``site`` as a compact LP, and how the baseline differs."""
    spec, w, steps = study.sites[site], study.step_h, len(study.snapshots)
    lp = CompactLp(steps)
    supply: Terms = []
    for carrier in RENEWABLES:
        if (plant := getattr(spec, carrier)) is not None:
            available = plant.capacity_mw * study.values(site, f"{carrier}.availability")
            supply.append((1.0, lp.columns(w * plant.marginal_cost, 0.0, available)))
    if (geo := spec.geothermal) is not None:
        geo_mw = geo.capacity_mw
        steam_pu = 1.0 if geo.steam_pu is None else geo.steam_pu
        output = lp.columns(w * geo.marginal_cost, geo.min_stable_pu * geo_mw, steam_pu * geo_mw)
        if geo.ramp_pu_per_h is not None:
            lp.ramp([(1.0, output)], 0.0, min(1.0, geo.ramp_pu_per_h * w) * geo_mw)
        supply.append((1.0, output))
        if geo.flexible_steam_pu > 0:
            steam_cost = geo.marginal_cost + geo.flexible_steam_cost_per_mwh
            flexible_steam = lp.columns(w * steam_cost, 0.0, geo.flexible_steam_pu * geo_mw)
            supply.append((1.0, flexible_steam))
    if (res := spec.reservoir) is not None:
        turbine = lp.columns(w * res.marginal_cost, 0.0, res.turbine_mw)
        inflow = study.values(site, "reservoir.inflow_mw")
        spill = lp.columns(0.0, 0.0, inflow)
        full_mwh = res.energy_mwh
        level = lp.columns(0.0, res.min_level_pu * full_mwh, res.max_level_pu * full_mwh)
        initial = None if res.initial_level_pu is None else res.initial_level_pu * full_mwh
        drawn = [(w / res.turbine_efficiency, turbine), (w, spill)]
        if res.pump_mw > 0:
            pump = lp.columns(0.0, 0.0, res.pump_mw)
            drawn.append((-w * res.pump_efficiency, pump))
            supply.append((-1.0, pump))
        lp.recursion(level, 1.0, drawn, w * inflow, initial)
        supply.append((1.0, turbine))
    if (bat := spec.battery) is not None:
        charge = lp.columns(0.0, 0.0, bat.power_mw)
        discharge = lp.columns(w * bat.throughput_cost_per_mwh, 0.0, bat.power_mw)
        level = lp.columns(0.0, 0.0, bat.energy_mwh)
        initial = None if bat.initial_level_pu is None else bat.initial_level_pu * bat.energy_mwh
        drawn = [(-w * bat.charge_efficiency, charge), (w / bat.discharge_efficiency, discharge)]
        lp.recursion(level, (1 - bat.standing_loss_per_h) ** w, drawn, 0.0, initial)
        supply += [(1.0, discharge), (-1.0, charge)]
    if spec.grid is not None:
        carbon = study.scenario.carbon_price * study.values(site, "grid.carbon_intensity_t_per_mwh")
        price = study.values(site, "grid.import_price") + carbon
        import_limit = study.values(site, "grid.import_limit_mw")
        if spec.grid.tariff is not None and spec.grid.tariff.contracted_mw is not None:
            import_limit = np.minimum(import_limit, spec.grid.tariff.contracted_mw)
        grid_import = lp.columns(w * price, 0.0, import_limit)
        export_price = study.values(site, "grid.export_price")
        grid_export = lp.columns(-w * export_price, 0.0, study.values(site, "grid.export_limit_mw"))
        supply += [(1.0, grid_import), (-1.0, grid_export)]

    dc = spec.datacentre
    capacity, idle = dc.it_capacity_mw, dc.idle_fraction
    firm = study.values(site, "datacentre.firm_mw")
    flexible: Terms = []
    # The flexibility bounds: (columns, flexible lower, upper, baseline lower, upper).
    bounds: list[tuple[np.ndarray, ...]] = []
    if (deferrable := dc.deferrable) is not None:
        served = lp.columns(0.0, 0.0, capacity)
        limit = backlog_limit(study, site)
        backlog = lp.columns(0.0, 0.0, limit)
        arrivals = study.values(site, "datacentre.deferrable.arrivals_mwh")
        lp.recursion(backlog, 1.0, [(w, served)], arrivals, deferrable.initial_backlog_mwh)
        flexible.append((1.0, served))
        nothing = np.zeros(steps)
        bounds.append((backlog, nothing, limit, nothing, nothing))
    if (interruptible := dc.interruptible) is not None:
        offered = study.values(site, "datacentre.interruptible.offered_mw")
        value = interruptible.value_of_lost_work
        served = lp.columns(-w * value, 0.0, offered)
        lp.offset += w * value * float(offered.sum())
        flexible.append((1.0, served))
        bounds.append((served, np.zeros(steps), offered, offered, offered))

    pue = study.values(site, "datacentre.pue")
    fixed_facility = pue * (idle * capacity + (1 - idle) * firm)
    per_work = pue * (1 - idle)
    lp.rows(supply + [(-per_work, x) for _, x in flexible], fixed_facility, fixed_facility)
    if flexible:
        least_work = max(0.0, dc.min_it_pu - idle) * capacity / (1 - idle)
        lp.rows(flexible, least_work - firm, capacity - firm)
        if dc.facility_ramp_mw_per_h is not None:
            ramp_mw = min(capacity * float(pue.max()), dc.facility_ramp_mw_per_h * w)
            change = fixed_facility - np.roll(fixed_facility, 1)
            lp.ramp([(per_work, x) for _, x in flexible], change, ramp_mw)
    if not bounds:  # no deferrable or interruptible work: the baseline is the same LP
        return lp, Flexibility(*(np.zeros(0) for _ in range(5)))
    return lp, Flexibility(*(np.concatenate(part) for part in zip(*bounds, strict=True)))


def _run(highs: highspy.Highs, run: str) -> dict[str, Any]:
    """Solve what ``highs`` holds; its time [s], objective [currency] and iterations."""
    start = time.perf_counter()
    highs.run()
    seconds = time.perf_counter() - start
    status = highs.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"compact LP, {run} run: {highs.modelStatusToString(status)}")
    info = highs.getInfo()
    return {
        "solve_s": seconds,
        "objective": float(info.objective_function_value),
        "simplex_iterations": int(info.simplex_iteration_count),
    }


def solve_both(study: Study) -> dict[str, Any]:
    """Build the compact LP of a single-site study and solve its baseline, then its
    flexible run from the baseline's basis.

    Parameters
    ----------
    study
        A loaded study with one site (``load_study(path, hours=...)``).

    Returns
    -------
    dict
        ``build_s`` [s] (arrays, matrix, ``passModel``), the LP's ``columns``,
        ``rows`` and ``nonzeros``, and per run (``flexible``, ``baseline``)
        ``solve_s`` [s], ``objective`` [currency] and ``simplex_iterations``.

    Raises
    ------
    NotImplementedError
        The study uses a field the compact LP does not state.
    """
    site = check_stated(study)
    start = time.perf_counter()
    lp, flexibility = site_lp(study, site)
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    columns, rows, nonzeros = lp.into_highs(highs)
    figures: dict[str, Any] = {
        "build_s": time.perf_counter() - start,
        "columns": columns,
        "rows": rows,
        "nonzeros": nonzeros,
    }
    flexibility.apply(highs, "baseline")
    figures["baseline"] = _run(highs, "baseline")
    flexibility.apply(highs, "flexible")
    figures["flexible"] = _run(highs, "flexible")
    return figures


def monotonic() -> float:
    """System-wide monotonic clock, comparable between processes [s]."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def main(argv: list[str] | None = None) -> int:
    """Load a study, solve both runs of its compact LP, print (and save) the figures.

    Exits with :data:`NOT_STATED` if the study uses what the compact LP does not state.

    The JSON file also gives ``main_monotonic`` and ``last_monotonic``
    (:func:`monotonic` once the imports are done and at the end), so that the
    process that launched this one can tell start-up and exit from the rest.
    """
    first = monotonic()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", help="study folder or scenario file (one site)")
    parser.add_argument("--hours", type=float, help="keep only the first HOURS [h]")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the figures here")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    study = load_study(args.study, hours=args.hours)
    load_s = time.perf_counter() - start
    try:
        figures = {"main_monotonic": first, "load_s": load_s, **solve_both(study)}
    except NotImplementedError as exc:
        print(f"{args.study}: {exc}", file=sys.stderr)
        return NOT_STATED
    print(
        f"{study.name}: {figures['columns']:,} columns, {figures['rows']:,} rows, "
        f"{figures['nonzeros']:,} nonzeros; load {load_s:.2f} s, build "
        f"{figures['build_s']:.2f} s; "
        + "; ".join(
            f"{run} {figures[run]['objective']:,.4f} in {figures[run]['solve_s']:.2f} s"
            for run in ("flexible", "baseline")
        )
    )
    if args.json is not None:
        figures["last_monotonic"] = monotonic()
        args.json.write_text(json.dumps(figures), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
