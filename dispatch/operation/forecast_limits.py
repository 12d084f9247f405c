"""What every forecast shares: the actual values of a window, and the limits a forecast
is held within so that a window built from it passes the study's checks."""

from __future__ import annotations

import numpy as np

from dispatch.scenario.series import REGION_SERIES_FIELDS, SERIES_FIELDS
from dispatch.scenario.study import Study


def check_window(study: Study, start: int, steps: int) -> None:
    """Raise ValueError unless ``start`` is a step of ``study`` and ``steps`` >= 1."""
    if not 0 <= start < len(study.snapshots) or steps < 1:
        raise ValueError(
            f"a forecast starts at a step of the study (0 to {len(study.snapshots) - 1}) "
            f"and covers at least one step, got start={start}, steps={steps}"
        )


def actual_values(study: Study, key: str, start: int, steps: int) -> np.ndarray:
    """The actual values of series ``key`` in steps ``[start, start + steps)``, the last
    value repeated past the study's end [field's unit]."""
    values = study.series[key]
    return values[np.minimum(np.arange(start, start + steps), len(values) - 1)]


def series_field(key: str) -> str:
    """The field of series ``key``: ``"kenya/grid.import_price"`` -> ``"grid.import_price"``."""
    return key.split("/", 1)[1]


def within_limits(study: Study, start: int, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Forecast ``values`` of steps from ``start`` on, held within what the actual series
    of a study must satisfy, in place.

    - every value within its field's range;
    - a site's export price at most its import price and that of every other site of
      its grid region;
    - a site's work in each step (firm + deferrable arrivals / w + interruptible, and
      the initial backlog / w in the study's first step) at most its IT capacity (the
      largest of ``it_expansion``, if sized): where above, the forecast work series
      are scaled down together.

    Parameters
    ----------
    study
        The study forecast.
    start
        Index of the first step of ``values`` [-].
    values
        Forecast values by series key, all of one length [field's unit].

    Returns
    -------
    dict of str to numpy.ndarray
        ``values``, changed where they broke a limit.
    """
    for key, forecast in values.items():
        owner, field = key.split("/", 1)
        ranges = REGION_SERIES_FIELDS if owner.startswith("grid_regions.") else SERIES_FIELDS
        np.clip(forecast, *ranges[field], out=forecast)
    for name, site in study.sites.items():
        if site.grid is not None:
            buyers = study.region_sites(site.grid.region) if site.grid.region else [name]
            lowest_import = np.min([values[f"{b}/grid.import_price"] for b in buyers], axis=0)
            export = values[f"{name}/grid.export_price"]
            np.minimum(export, lowest_import, out=export)
        _work_within_capacity(study, name, start, values)
    return values


WORK_FIELDS = {
    "datacentre.firm_mw": 1.0,
    "datacentre.deferrable.arrivals_mwh": None,
    "datacentre.interruptible.offered_mw": 1.0,
}
"""The work series of a site and the factor turning a value into IT power [1/h];
None: one over the step (energy per step)."""


def _work_within_capacity(
    study: Study, site: str, start: int, values: dict[str, np.ndarray]
) -> None:
    """Scale the forecast work series of ``site`` down together where its work in a
    step exceeds the IT capacity."""
    dc = study.sites[site].datacentre
    capacity = dc.it_capacity_mw if dc.it_expansion is None else dc.it_expansion.max_mw
    keys = {
        f"{site}/{field}": 1 / study.step_h if to_power is None else to_power
        for field, to_power in WORK_FIELDS.items()
        if f"{site}/{field}" in values
    }
    work = sum(values[key] * to_power for key, to_power in keys.items())
    backlog = np.zeros_like(work)
    if start == 0 and dc.deferrable is not None:
        backlog[0] = dc.deferrable.initial_backlog_mwh / study.step_h
    over = work + backlog > capacity
    if over.any():
        scale = np.ones_like(work)
        scale[over] = np.clip((capacity - backlog[over]) / work[over], 0.0, 1.0)
        for key in keys:
            values[key] *= scale
