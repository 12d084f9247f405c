"""Forecasts of a study's series as an operator has them at a decision time.

A forecast is issued at the start of a step ``start`` for the steps
``[start, start + steps)``: the values of earlier steps are known actuals, later ones
are forecast. Every :class:`Forecast` returns one array per series of the study, keyed
as :attr:`~dispatch.scenario.study.Study.series` is, within the field's range.

Beyond the study's last step the actual series is taken to repeat its last value.

Not built yet (issue 16): forecasts from files of a grid partner or a forecast provider
(issue time x lead time). Reading and validating such files belongs in
:mod:`dispatch.exchange` (above this layer); what it reads would be handed to a
:class:`Forecast` here that looks values up by issue step and lead (a table forecast),
so that :func:`forecast_from_scenario` stays free of file formats.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np

from dispatch.operation.forecast_errors import ErrorForecast
from dispatch.operation.forecast_limits import actual_values, check_window, within_limits
from dispatch.scenario.study import Study


class Forecast(Protocol):
    """A way of forecasting every series of a study."""

    def issue(self, study: Study, start: int, steps: int) -> dict[str, np.ndarray]:
        """The forecast issued at the start of step ``start``.

        Parameters
        ----------
        study
            The study whose actual series are forecast.
        start
            Index of the step at whose start the forecast is issued [-].
        steps
            Number of steps forecast, from ``start`` on; they may run past the
            study's end [-].

        Returns
        -------
        dict of str to numpy.ndarray
            For every key of ``study.series``, the values of steps
            ``[start, start + steps)``, fresh arrays of length ``steps``
            [field's unit].
        """
        ...


class PerfectForecast:
    """Perfect foresight: the forecast is the actual series."""

    def issue(self, study: Study, start: int, steps: int) -> dict[str, np.ndarray]:
        """The actual values of steps ``[start, start + steps)`` (see :class:`Forecast`)."""
        check_window(study, start, steps)
        return {key: actual_values(study, key, start, steps) for key in study.series}


class PersistenceForecast:
    """Persistence: each step is forecast by the same time of day on the last day known.

    The forecast of step t issued at the start of step ``start`` is the actual of step
    t - k d, d the steps of a day (24 h over the step, rounded, at least 1) and k the
    smallest whole number putting that step before ``start``. Before the study's first
    step the study is taken to be preceded by copies of its first day: where t - k d
    is negative, the actual of the same time of day on the first day, step
    (t - k d) mod d, stands in (on the first day, the forecast is then the actual).
    """

    def issue(self, study: Study, start: int, steps: int) -> dict[str, np.ndarray]:
        """The persistence forecast of steps ``[start, start + steps)`` (see
        :class:`Forecast`)."""
        check_window(study, start, steps)
        day = max(1, round(24 / study.step_h))
        target = np.arange(start, start + steps)
        days_back = (target - start) // day + 1
        source = target - days_back * day
        source = np.where(source < 0, source % day, source)
        source = np.minimum(source, len(study.snapshots) - 1)  # a first day shorter than d
        return {key: values[source] for key, values in study.series.items()}


class PerSeriesForecast:
    """A forecast per series: overrides by series key or field, a default for the rest.

    Parameters
    ----------
    default
        The forecast of the series no override names.
    overrides
        Forecast by a series key such as ``"kenya/solar.availability"`` (that series)
        or a field such as ``"solar.availability"`` (that field at every site or
        region); a key wins over a field.
    """

    def __init__(self, default: Forecast, overrides: Mapping[str, Forecast]) -> None:
        self.default = default
        self.overrides = dict(overrides)

    def method_of(self, key: str) -> Forecast:
        """The forecast of series ``key`` (``"OWNER/FIELD"``)."""
        field = key.split("/", 1)[1]
        return self.overrides.get(key, self.overrides.get(field, self.default))

    def issue(self, study: Study, start: int, steps: int) -> dict[str, np.ndarray]:
        """Each series from its own forecast, then held within the limits that bind
        series together (see :func:`within_limits`) (see :class:`Forecast`)."""
        check_window(study, start, steps)
        issued: dict[int, dict[str, np.ndarray]] = {}
        values = {}
        for key in study.series:
            method = self.method_of(key)
            if id(method) not in issued:
                issued[id(method)] = method.issue(study, start, steps)
            values[key] = issued[id(method)][key]
        return within_limits(study, start, values)


def forecast_from_scenario(study: Study, method: str | None = None) -> Forecast:
    """The forecast the study's scenario states in ``operation.forecast``.

    Parameters
    ----------
    study
        The study; its ``scenario.operation.forecast`` gives the default method, the
        error model's parameters and the overrides per series.
    method
        ``"perfect"``, ``"persistence"`` or ``"error"`` in place of the scenario's
        default method (e.g. from the command line); overrides per series stay.

    Returns
    -------
    Forecast
        The default forecast, or a :class:`PerSeriesForecast` if the scenario names
        overrides.
    """
    settings = study.scenario.operation.forecast
    default = _method(
        method or settings.method,
        settings.seed,
        settings.sigma_pu,
        settings.growth_pu_per_h,
        settings.correlation,
    )
    if not settings.series:
        return default
    overrides = {
        key: _method(
            override.method or method or settings.method,
            settings.seed,
            _first_set(override.sigma_pu, settings.sigma_pu),
            _first_set(override.growth_pu_per_h, settings.growth_pu_per_h),
            _first_set(override.correlation, settings.correlation),
        )
        for key, override in settings.series.items()
    }
    return PerSeriesForecast(default, overrides)


def _first_set(value: float | None, fallback: float | None) -> float | None:
    return fallback if value is None else value


def _method(
    name: str,
    seed: int,
    sigma_pu: float | None,
    growth_pu_per_h: float | None,
    correlation: float | None,
) -> Forecast:
    if name == "perfect":
        return PerfectForecast()
    if name == "persistence":
        return PersistenceForecast()
    if name == "error":
        return ErrorForecast(seed, sigma_pu, growth_pu_per_h, correlation)
    raise ValueError(f"unknown forecast method {name!r}: perfect, persistence or error")
