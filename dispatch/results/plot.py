"""Dispatch plots: one week, baseline and flexible runs one above the other."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dispatch.core.names import CARRIERS

if TYPE_CHECKING:
    import matplotlib.figure

    from dispatch.results.result import Result

WEEK_H = 168
STACK_ORDER = ("geothermal", "run_of_river", "reservoir", "wind", "solar", "battery")


def telling_week(result: Result, site: str) -> pd.Timestamp:
    """Start of the week with the most curtailment absorbed at ``site`` (else the first)."""
    absorbed = result.dispatch["absorbed"].sel(site=site).sum("curtailable").to_series()
    steps = max(1, int(WEEK_H / result.study.step_h))
    if len(absorbed) <= steps:
        return absorbed.index[0]
    weekly = absorbed.rolling(steps).sum().shift(-(steps - 1))
    return weekly.idxmax() if weekly.max() > 0 else absorbed.index[0]


def plot_dispatch(
    result: Result, week_start: str | pd.Timestamp | None = None, site: str | None = None
) -> matplotlib.figure.Figure:
    """Stacked supply, facility load and curtailment of one week in both runs.

    Parameters
    ----------
    result
        A solved study.
    week_start
        First hour shown (UTC), within the study's horizon; by default
        :func:`telling_week`.
    site
        The site shown; by default the first.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels sharing the time axis: baseline (top) and flexible (bottom) [MW].

    Raises
    ------
    ValueError
        ``site`` is not a site of the study, or ``week_start`` is outside its horizon.
    """
    import matplotlib.pyplot as plt

    sites = list(result.study.sites)
    site = sites[0] if site is None else site
    if site not in sites:
        raise ValueError(f"site {site!r}: not a site of the study (its sites: {', '.join(sites)})")
    ds = result.dispatch.sel(site=site)
    start = telling_week(result, site) if week_start is None else pd.Timestamp(week_start)
    if start.tzinfo is not None:
        start = start.tz_convert("UTC").tz_localize(None)
    week = ds.sel(snapshot=slice(start, start + pd.Timedelta(hours=WEEK_H - 1)))
    if not week.sizes["snapshot"]:
        first, last = (ds["snapshot"].to_index()[i] for i in (0, -1))
        raise ValueError(f"week_start {start}: outside the study's horizon, {first} to {last} UTC")
    time = week["snapshot"].to_index()
    figure, axes = plt.subplots(2, 1, figsize=(12, 7), sharex=True, sharey=True)
    for ax, run in zip(axes, ("baseline", "flexible"), strict=True):
        run_data = week.sel(run=run)
        layers, colors, labels = [], [], []
        present = [str(c) for c in run_data["carrier"].values]
        for carrier in [c for c in STACK_ORDER if c in present]:
            layers.append(np.clip(run_data["output"].sel(carrier=carrier).values, 0, None))
            colors.append(CARRIERS[carrier]["color"])
            labels.append(CARRIERS[carrier]["nice_name"])
        if "grid_import" in run_data:
            layers.append(run_data["grid_import"].values)
            colors.append(CARRIERS["grid_import"]["color"])
            labels.append("Grid import")
        supply = np.sum(layers, axis=0) if layers else np.zeros(len(time))
        ax.stackplot(time, *layers, colors=colors, labels=labels, step="post", alpha=0.9)
        curtailed = run_data["curtailment"].sum("curtailable").values
        ax.fill_between(
            time,
            supply,
            supply + curtailed,
            step="post",
            facecolor="none",
            edgecolor="#d62728",
            hatch="////",
            linewidth=0,
            label="Curtailed",
        )
        facility = run_data["facility_power"].sum("workload").values
        ax.step(time, facility, where="post", color="black", lw=1.5, label="Facility load")
        if "grid_export" in run_data:
            ax.step(
                time,
                facility + run_data["grid_export"].values,
                where="post",
                color="black",
                lw=0.8,
                ls="--",
                label="Facility load + export",
            )
        total = float(run_data["curtailment"].sum()) * result.study.step_h
        ax.set_title(f"{run.capitalize()} run: {total:,.0f} MWh curtailed this week")
        ax.set_ylabel("Power [MW]")
        ax.grid(alpha=0.3)
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    axes[1].set_xlabel("Time (UTC)")
    figure.suptitle(
        f"{result.study.name}, site {site}: dispatch before and after workload flexibility"
    )
    # Fixed margins, room for the legend on the right: tight_layout would lay out
    # every tick label once more before savefig draws them (a third of the plot's time).
    figure.subplots_adjust(left=0.07, right=0.835, bottom=0.085, top=0.9, hspace=0.17)
    return figure
