"""A seeded error model on the actual series: relative errors that grow with lead time,
correlated along it, per kind of series."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from dispatch.operation.forecast_limits import (
    actual_values,
    check_window,
    series_field,
    within_limits,
)
from dispatch.scenario.study import Study


@dataclass(frozen=True)
class ErrorModel:
    """Relative forecast error of one kind of series.

    The forecast at lead time L is the actual times max(0, 1 + s(L) e_L), with
    s(L) = ``sigma_pu`` + ``growth_pu_per_h`` L and e_L a standard normal AR(1)
    process along lead time with correlation ``correlation`` between values an hour
    apart.
    """

    sigma_pu: float
    """Standard deviation of the relative error at lead time 0 [p.u.]."""
    growth_pu_per_h: float
    """Growth of that standard deviation per hour of lead time [p.u./h]."""
    correlation: float
    """Correlation of the errors of two steps an hour apart in lead time [p.u.]."""


SERIES_KINDS: dict[str, str] = {
    "solar.availability": "availability",
    "wind.availability": "availability",
    "run_of_river.availability": "availability",
    "reservoir.inflow_mw": "inflow",
    "grid.import_price": "price",
    "grid.export_price": "price",
    "datacentre.heat_reuse.price": "price",
    "datacentre.firm_mw": "workload",
    "datacentre.deferrable.arrivals_mwh": "workload",
    "datacentre.interruptible.offered_mw": "workload",
    "grid.carbon_intensity_t_per_mwh": "grid signal",
    "grid.clean_share": "grid signal",
    "grid.surplus_mw": "grid signal",
    "datacentre.pue": "site condition",
    "datacentre.heat_reuse.demand_mw": "site condition",
    "grid.import_limit_mw": "limit",
    "grid.export_limit_mw": "limit",
    "import_limit_mw": "limit",
    "export_limit_mw": "limit",
}
"""Kind of each series field (of a site, or of a grid region without prefix)."""

KIND_ERRORS: dict[str, ErrorModel] = {
    "availability": ErrorModel(sigma_pu=0.03, growth_pu_per_h=0.006, correlation=0.95),
    "inflow": ErrorModel(sigma_pu=0.02, growth_pu_per_h=0.001, correlation=0.98),
    "price": ErrorModel(sigma_pu=0.02, growth_pu_per_h=0.004, correlation=0.9),
    "workload": ErrorModel(sigma_pu=0.02, growth_pu_per_h=0.002, correlation=0.8),
    "grid signal": ErrorModel(sigma_pu=0.03, growth_pu_per_h=0.006, correlation=0.95),
    "site condition": ErrorModel(sigma_pu=0.01, growth_pu_per_h=0.001, correlation=0.9),
    "limit": ErrorModel(sigma_pu=0.0, growth_pu_per_h=0.0, correlation=0.0),
}
"""Default error model of each kind of series: availabilities and grid signals (surplus,
carbon intensity, clean share) about 17 % at a day ahead, prices 12 %, workloads 7 %,
inflow 4 %; connection limits are contractual and known."""


class ErrorForecast:
    """The actual series with seeded relative errors growing with lead time.

    The forecast issued at the start of step ``start`` for a step at lead time L
    (its start minus the issue time) is the actual times max(0, 1 + s(L) e_L), held
    within the field's range and the limits across series (see
    :func:`~dispatch.operation.forecast_limits.within_limits`); s(L) and e_L as in
    :class:`ErrorModel`. The import and export prices of the sites of one grid region
    (or of one site without a region) share one error path, so their order holds.

    The normal draws depend only on ``seed``, the issue step and the series (its
    error path), so a forecast is the same however the horizon is split into
    windows, and a forecast over more steps extends one over fewer.

    Parameters
    ----------
    seed
        Seed of the errors [-].
    sigma_pu, growth_pu_per_h, correlation
        The :class:`ErrorModel` of every series; none: that of the series' kind
        (:data:`KIND_ERRORS`). ``sigma_pu = growth_pu_per_h = 0`` gives the actual.
    """

    def __init__(
        self,
        seed: int = 0,
        sigma_pu: float | None = None,
        growth_pu_per_h: float | None = None,
        correlation: float | None = None,
    ) -> None:
        for name, value, high in (
            ("sigma_pu", sigma_pu, np.inf),
            ("growth_pu_per_h", growth_pu_per_h, np.inf),
            ("correlation", correlation, 1.0),
        ):
            if value is not None and not 0 <= value <= high:
                raise ValueError(f"{name} must lie in [0, {high:g}], got {value}")
        self.seed = seed
        self.sigma_pu = sigma_pu
        self.growth_pu_per_h = growth_pu_per_h
        self.correlation = correlation

    def error_model(self, field: str) -> ErrorModel:
        """The error model of series field ``field``."""
        kind = KIND_ERRORS[SERIES_KINDS[field]]
        return ErrorModel(
            kind.sigma_pu if self.sigma_pu is None else self.sigma_pu,
            kind.growth_pu_per_h if self.growth_pu_per_h is None else self.growth_pu_per_h,
            kind.correlation if self.correlation is None else self.correlation,
        )

    def issue(self, study: Study, start: int, steps: int) -> dict[str, np.ndarray]:
        """The forecast of steps ``[start, start + steps)`` (see
        :class:`~dispatch.operation.forecasts.Forecast`)."""
        check_window(study, start, steps)
        lead_h = np.arange(steps) * study.step_h
        values = {}
        for key in study.series:
            model = self.error_model(series_field(key))
            spread = model.sigma_pu + model.growth_pu_per_h * lead_h
            errors = _ar1(self._draws(study, key, start, steps), model.correlation**study.step_h)
            factor = np.maximum(0.0, 1.0 + spread * errors)
            values[key] = actual_values(study, key, start, steps) * factor
        return within_limits(study, start, values)

    def _draws(self, study: Study, key: str, start: int, steps: int) -> np.ndarray:
        """Standard normal draws of the error path of series ``key`` issued at ``start``."""
        owner, field = key.split("/", 1)
        path = key
        if field in ("grid.import_price", "grid.export_price"):
            path = f"grid prices of {study.sites[owner].grid.region or owner}"
        stream = zlib.crc32(path.encode())
        return np.random.default_rng([self.seed, start, stream]).standard_normal(steps)


def _ar1(draws: np.ndarray, correlation: float) -> np.ndarray:
    """A stationary AR(1) process of unit variance driven by standard normal ``draws``
    with ``correlation`` between consecutive values [-]."""
    errors = np.empty_like(draws)
    errors[0] = draws[0]
    innovation = np.sqrt(1.0 - correlation**2)
    for i in range(1, len(draws)):
        errors[i] = correlation * errors[i - 1] + innovation * draws[i]
    return errors
