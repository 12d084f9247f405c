"""The plans an operation issued, for its grid partner: what was promised at each
decision time beside what was delivered.

:func:`issued_plans` collects them for one site from an
:class:`~dispatch.operation.operation_result.OperationResult` or the folder
``dispatch operate`` wrote it to (``plans.nc`` beside ``dispatch.nc``);
the writers of each format (``write_issued_netcdf``, ``write_issued_csv``,
``write_issued_openadr``) write them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dispatch.core.errors import ScenarioError
from dispatch.core.times import format_duration
from dispatch.exchange.fields import EXPORT_SOURCE, ISSUED_PLAN_FIELDS, KEY_FIGURES
from dispatch.exchange.result_folder import grid_site, read_plans, read_result_folder
from dispatch.operation.operation_result import OperationResult

if TYPE_CHECKING:
    import xarray as xr


@dataclass(frozen=True)
class IssuedPlans:
    """A site's plans as issued at each decision time, and what it delivered.

    Attributes
    ----------
    site, study, currency
        The site, its study and the study's currency.
    step
        Step length of the study and of the plans.
    issue_times
        The decision times (UTC), one per plan.
    commit_steps
        Steps committed of each plan: the first ``commit_steps`` after its decision.
    forecast
        The forecast method of the operation.
    planned
        Fields of :data:`~dispatch.exchange.fields.ISSUED_PLAN_FIELDS` by decision and
        step of the plan, NaN past the horizon's end [MW].
    times
        The horizon's steps (UTC).
    delivered
        The same fields as realised, by step of the horizon [MW].
    key_figures
        Realised key figures of the site: name -> (value, unit).
    """

    site: str
    study: str
    currency: str
    step: pd.Timedelta
    issue_times: pd.DatetimeIndex
    commit_steps: int
    forecast: str
    planned: dict[str, np.ndarray]
    times: pd.DatetimeIndex
    delivered: dict[str, np.ndarray]
    key_figures: dict[str, tuple[float, str]]

    @property
    def description(self) -> dict[str, str]:
        """What the file holds, as the attributes (netCDF) or metadata (CSV) of a file:
        ``title``, ``study``, ``site``, ``time_step``, ``lookahead``, ``commit`` (ISO
        8601 durations), ``forecast`` and ``source`` (:data:`EXPORT_SOURCE`)."""
        return {
            "title": f"Plans issued by site {self.site} in the operation of study "
            f"{self.study}, and what it delivered",
            "study": self.study,
            "site": self.site,
            "time_step": format_duration(self.step),
            "lookahead": format_duration(self.step * self.lookahead_steps),
            "commit": format_duration(self.step * self.commit_steps),
            "forecast": self.forecast,
            "source": EXPORT_SOURCE,
        }

    @property
    def lookahead_steps(self) -> int:
        """Steps of each plan."""
        return next(iter(self.planned.values())).shape[1]

    @property
    def valid_times(self) -> np.ndarray:
        """Start of each step of each plan (UTC), by decision and step."""
        lead = np.arange(self.lookahead_steps) * self.step.to_timedelta64()
        return self.issue_times.tz_localize(None).to_numpy()[:, None] + lead[None, :]

    @property
    def within_horizon(self) -> np.ndarray:
        """Whether each step of each plan lies in the horizon, by decision and step."""
        return self.valid_times < (self.times[-1] + self.step).tz_localize(None).to_numpy()

    @property
    def committed(self) -> np.ndarray:
        """Whether each step of each plan was committed, by decision and step."""
        committed = np.arange(self.lookahead_steps) < self.commit_steps
        return committed[None, :] & self.within_horizon


def issued_plans(source: OperationResult | str | Path, site: str | None = None) -> IssuedPlans:
    """A site's plans as issued by an operation, and what it delivered.

    Parameters
    ----------
    source
        An operated study (:func:`dispatch.operate`), or the folder ``dispatch
        operate`` wrote it to (``summary.json``, ``dispatch.nc`` and ``plans.nc`` are
        read and checked).
    site
        The site; may be omitted if the study has one.

    Returns
    -------
    IssuedPlans
        Grid import and export, facility power and curtailment [MW] planned at each
        decision time for the lookahead, and delivered in each step.
    """
    if isinstance(source, OperationResult):
        summary, dataset, plans = source.summary, source.dispatch, source.plans
        origin = dispatch_origin = f"study {source.study.name}"
    else:
        folder = Path(source)
        summary, dataset = read_result_folder(folder)
        if not isinstance(summary.get("operation"), dict):
            raise ScenarioError(
                str(folder / "summary.json"),
                "operation",
                "missing: not a result folder of 'dispatch operate'",
            )
        plans = read_plans(folder, dataset)
        origin = str(folder / "plans.nc")
        dispatch_origin = str(folder / "dispatch.nc")
    site = grid_site(dataset, site, origin)
    flexible = dataset.sel(site=site, run="flexible")
    step = pd.Timedelta(hours=float(dataset.attrs["step_h"]))
    times = pd.DatetimeIndex(dataset["snapshot"].values).tz_localize("UTC")
    commit_steps = _commit_steps(plans, step, origin)
    issue_times = pd.DatetimeIndex(plans["issue_time"].values).tz_localize("UTC")
    if not issue_times.equals(times[::commit_steps]):
        raise ScenarioError(
            origin, "issue_time", f"not every {plans.attrs['commit_h']} h from the horizon's start"
        )
    figures = summary.get("sites", {}).get(site, summary)
    result = IssuedPlans(
        site=site,
        study=str(dataset.attrs["study"]),
        currency=str(dataset.attrs["currency"]),
        step=step,
        issue_times=issue_times,
        commit_steps=commit_steps,
        forecast=str(plans.attrs.get("forecast", "")),
        planned={
            name: plans[name].sel(site=site).values.astype(float) + 0.0  # no -0
            for name in ISSUED_PLAN_FIELDS
        },
        times=times,
        delivered=_delivered(flexible, dispatch_origin),
        key_figures={
            name: (float(figures[name]), summary["units"][name])
            for name in KEY_FIGURES
            if name in figures
        },
    )
    for name, values in result.planned.items():
        inside = result.within_horizon
        if np.isnan(values[inside]).any():
            raise ScenarioError(origin, name, f"has NaN within the horizon at site {site}")
        values[~inside] = np.nan
    return result


def _commit_steps(plans: xr.Dataset, step: pd.Timedelta, origin: str) -> int:
    """The steps committed of each plan, from the ``commit_h`` attribute of the plans."""
    commit_h = plans.attrs.get("commit_h")
    steps = plans.sizes["step"]
    if isinstance(commit_h, int | float | np.number) and np.isfinite(commit_h) and commit_h > 0:
        commit = float(commit_h) / (step / pd.Timedelta(hours=1))
        if commit == round(commit) and 1 <= commit <= steps:
            return int(commit)
    raise ScenarioError(
        origin, "commit_h", f"is {commit_h!r:.60}, expected whole steps, at most the plans' {steps}"
    )


def _delivered(flexible: xr.Dataset, origin: str) -> dict[str, np.ndarray]:
    """The realised values of :data:`ISSUED_PLAN_FIELDS` of a site's flexible run [MW]."""
    delivered = {}
    for name in ISSUED_PLAN_FIELDS:
        if name not in flexible:
            raise ScenarioError(origin, name, "missing in dispatch.nc")
        variable = flexible[name]
        if variable.dtype.kind not in "iuf" or "snapshot" not in variable.dims:
            raise ScenarioError(
                origin, name, f"has dimensions {variable.dims} and type {variable.dtype}"
            )
        extra = [d for d in variable.dims if d != "snapshot"]
        values = variable.sum(extra).values if extra else variable.values
        if not np.isfinite(values).all():
            raise ScenarioError(origin, name, "delivered values in dispatch.nc are not finite")
        delivered[name] = values.astype(float) + 0.0
    return delivered
