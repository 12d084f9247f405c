"""The result of an operation: the realised dispatch as a :class:`~dispatch.Result`, the
plans as issued at each decision time, and the figures of perfect foresight beside the
realised ones."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dispatch.core.units import cf_attributes
from dispatch.results.extract import Extracted, RunDispatch
from dispatch.results.netcdf import (
    CONVENTIONS,
    INTERVAL_MEAN,
    TIME_BOUNDS,
    add_time_bounds,
    time_encoding,
    write_netcdf4,
)
from dispatch.results.result import LEVELS, Result
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    import pypsa
    import xarray as xr

OPERATION_UNITS = {
    "lookahead_h": "h",
    "commit_h": "h",
    "decisions": "1",
    "firm_unserved_mwh": "MWh",
    "late_mwh": "MWh",
    "storage_end_shortfall_mwh": "MWh",
    "facility_ramp_excess_mw": "MW",
    "shortfall_penalty_per_mwh": "currency/MWh",
    "shortfall_cost": "currency",
    "realised_cost": "currency",
    "cost_of_imperfect_foresight": "currency",
    "cost_of_imperfect_foresight_share": "1",
}
"""Units of the figures of the ``operation`` and ``foresight`` blocks of the summary."""

COMPARED = ("total_cost", "absorbed_mwh", "absorbed_share", "curtailment_mwh", "cfe_score")
"""Key figures the ``foresight`` block states realised, with perfect foresight, and
their difference."""

# name: (long_name, units, value from a site's plan)
PLAN_VARIABLES = {
    "facility_power": (
        "Facility power planned",
        "MW",
        lambda run: sum(run.facility_power.values()),
    ),
    "it_power": ("IT power planned", "MW", lambda run: sum(run.it_power.values())),
    "grid_import": ("Grid import planned", "MW", lambda run: run.grid_import),
    "grid_export": ("Grid export planned", "MW", lambda run: run.grid_export),
    "curtailment": (
        "Curtailment planned, all carriers (reservoir: spill)",
        "MW",
        lambda run: sum(run.curtailment.values(), np.zeros(len(run.grid_import))),
    ),
    "deferred_served": ("Deferrable work planned", "MW", lambda run: run.deferred_served),
    "interruptible_served": (
        "Interruptible work planned",
        "MW",
        lambda run: run.interruptible_served,
    ),
    "backlog": ("Deferrable work waiting at the end of the step", "MWh", lambda run: run.backlog),
    "battery_level": (
        "Battery energy at the end of the step",
        "MWh",
        lambda run: run.battery_level,
    ),
    "reservoir_level": (
        "Reservoir energy at the end of the step",
        "MWh",
        lambda run: run.reservoir_level,
    ),
    "marginal_price": (
        "Shadow price of energy at the site bus in the plan",
        "currency/MWh",
        lambda run: run.marginal_price,
    ),
}


@dataclass
class Plan:
    """A plan as issued at a decision time.

    Attributes
    ----------
    start
        The step of the decision: the plan covers the steps from it.
    sites
        Each site's planned dispatch, from the forecasts issued at ``start``.
    """

    start: int
    sites: dict[str, RunDispatch]


class OperationResult(Result):
    """An operated study (:func:`~dispatch.operation.operate.operate`): its realised
    dispatch as the flexible run, perfect foresight's baseline as the baseline run.

    Attributes
    ----------
    perfect_foresight
        The perfect-foresight solve of the same horizon (:func:`dispatch.solve`).
    issued
        The plans as issued, one per decision time.
    operation
        The operation's settings and its shortfalls (see ``summary["operation"]``).
    """

    def __init__(
        self,
        study: Study,
        realised: Extracted,
        perfect: Result,
        network: pypsa.Network,
        issued: list[Plan],
        lookahead: int,
        operation: dict,
    ) -> None:
        super().__init__(
            study,
            realised,
            (perfect.baseline, perfect.routes["baseline"]),
            network,
            perfect.network_baseline,
            {},
        )
        self.perfect_foresight = perfect
        self.issued = issued
        self.operation = operation
        self._lookahead = lookahead
        self._plans: xr.Dataset | None = None

    @property
    def summary(self) -> dict:
        """The realised key figures (as :attr:`Result.summary`) with the blocks
        ``operation`` (settings, work not served in time, the penalty on it),
        ``perfect_foresight`` (the same key figures of the perfect-foresight solve)
        and ``foresight`` (realised against perfect foresight)."""
        summary = super().summary
        perfect = {
            name: value
            for name, value in self.perfect_foresight.summary.items()
            if name not in ("study", "currency", "hours", "units")
        }
        operation = dict(self.operation)
        shortfall = (
            operation["firm_unserved_mwh"]
            + operation["late_mwh"]
            + operation["storage_end_shortfall_mwh"]
        )
        operation["shortfall_cost"] = operation["shortfall_penalty_per_mwh"] * shortfall
        realised_cost = summary["total_cost"] + operation["shortfall_cost"]
        perfect_cost = perfect["total_cost"]
        foresight = {
            "realised_cost": realised_cost,
            "cost_of_imperfect_foresight": realised_cost - perfect_cost,
            "cost_of_imperfect_foresight_share": (
                (realised_cost - perfect_cost) / abs(perfect_cost) if perfect_cost else 0.0
            ),
        }
        for name in COMPARED:
            foresight[name] = {
                "realised": summary[name],
                "perfect_foresight": perfect[name],
                "difference": summary[name] - perfect[name],
            }
        currency = summary["currency"]
        units = {k: v.replace("currency", currency) for k, v in OPERATION_UNITS.items()}
        return {
            **summary,
            "operation": operation,
            "perfect_foresight": perfect,
            "foresight": foresight,
            "units": {**summary["units"], **units},
        }

    @property
    def plans(self) -> xr.Dataset:
        """The plans as issued: each variable by site, decision time and step of the
        plan, NaN past the horizon's end; CF attributes as ``dispatch``. A plan has as
        many steps as the lookahead, at most those of the horizon: the attributes
        ``lookahead_h`` and ``commit_h`` are cut there too [h]."""
        if self._plans is None:
            self._plans = self._build_plans()
        return self._plans

    def _build_plans(self) -> xr.Dataset:
        import xarray as xr

        study, steps = self.study, self._lookahead
        sites = list(study.sites)
        data = {}
        for name, (*_, value) in PLAN_VARIABLES.items():
            values = np.full((len(sites), len(self.issued), steps), np.nan)
            present = False
            for i, site in enumerate(sites):
                for k, plan in enumerate(self.issued):
                    planned = value(plan.sites[site])
                    if planned is not None:
                        values[i, k, : len(planned)] = planned
                        present = True
            if present:
                data[name] = (("site", "issue_time", "step"), values)
        starts = [plan.start for plan in self.issued]
        issue = study.snapshots[starts].tz_localize(None).rename("issue_time")
        step = pd.Timedelta(hours=study.step_h)
        valid = issue.to_numpy()[:, None] + step.to_timedelta64() * np.arange(steps)[None, :]
        ds = xr.Dataset(
            data,
            coords={
                "site": sites,
                "issue_time": issue,
                "step": np.arange(steps),
                "lead_time_h": ("step", np.arange(steps) * study.step_h),
                "valid_time": (("issue_time", "step"), valid),
            },
        )
        currency = study.scenario.currency
        ds.attrs.update(
            title=f"Plans issued in the operation of study {study.name}",
            study=study.name,
            currency=currency,
            step_h=study.step_h,
            # those of the plans: cut, as they are, at the horizon's end
            lookahead_h=steps * study.step_h,
            commit_h=min(self.operation["commit_h"], steps * study.step_h),
            forecast=str(self.operation["forecast"]["method"]),
            Conventions=CONVENTIONS,
        )
        ds = add_time_bounds(ds, "valid_time", step, "Start of the step of the plan (UTC)")
        ds["site"].attrs.update(long_name="Site")
        ds["issue_time"].attrs.update(
            standard_name="forecast_reference_time",
            long_name="Decision time the plan was issued at (UTC)",
            axis="T",
        )
        ds["step"].attrs.update(long_name="Step of the plan, from its decision time", units="1")
        ds["lead_time_h"].attrs.update(
            standard_name="forecast_period",
            long_name="Start of the step after the decision",
            units="h",
        )
        for name in ds.data_vars:
            long_name, units, _ = PLAN_VARIABLES[name]
            ds[name].attrs.update(long_name=long_name, **cf_attributes(units, currency))
            if name not in LEVELS:
                ds[name].attrs.update(INTERVAL_MEAN)
        return ds

    def _write_files(self, staging: Path) -> None:
        """The files of :meth:`Result.write` for the realised operation, and
        ``plans.nc`` (:attr:`plans`)."""
        super()._write_files(staging)
        step = pd.Timedelta(hours=self.study.step_h)
        names = ["issue_time", "valid_time", TIME_BOUNDS]
        encoding = time_encoding(names, self.study.snapshots[0], step)
        encoding.update({v: {"zlib": True, "complevel": 1} for v in self.plans.data_vars})
        write_netcdf4(self.plans, staging / "plans.nc", encoding)
