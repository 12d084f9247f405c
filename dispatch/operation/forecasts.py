"""Forecasts of a study's series as an operator has them at a decision time.

A forecast is issued at the start of a step ``start`` for the steps
``[start, start + steps)``: the values of earlier steps are known actuals, later ones
are forecast. Every :class:`Forecast` returns one array per series of the study, keyed
as :attr:`~dispatch.scenario.study.Study.series` is, within the field's range.

Beyond the study's last step the actual series is taken to repeat its last value.

Forecasts from files of a grid partner or a forecast provider (issue time x lead
time) are :class:`~dispatch.operation.file_forecast.FileForecast`; the files are read
by :mod:`dispatch.operation.forecast_files`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np

from dispatch.operation.file_forecast import FileForecast, scenario_forecast_table
from dispatch.operation.forecast_errors import ErrorForecast
from dispatch.operation.forecast_files import ForecastTable
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


def forecast_from_scenario(
    study: Study, method: str | None = None, table: ForecastTable | None = None
) -> Forecast:
    """The forecast the study's scenario states in ``operation.forecast``.

    Parameters
    ----------
    study
        The study; its ``scenario.operation.forecast`` gives the default method, the
        error model's parameters, the forecast file and the overrides per series.
    method
        ``"perfect"``, ``"persistence"``, ``"error"`` or ``"file"`` in place of the
        scenario's default method (e.g. from the command line); overrides per series
        stay.
    table
        The forecasts of the method ``file`` in place of the file the scenario names
        (e.g. a file about to be written).

    Returns
    -------
    Forecast
        The default forecast, or a :class:`PerSeriesForecast` if the scenario names
        overrides.

    Raises
    ------
    ScenarioError
        A forecast file the scenario names is refused (see
        :func:`~dispatch.operation.forecast_files.read_forecast_file`), or does not
        hold a series whose method is ``file``.
    """
    settings = study.scenario.operation.forecast
    methods = [method or settings.method]
    methods += [override.method or methods[0] for override in settings.series.values()]
    from_file = None
    if "file" in methods:
        table = scenario_forecast_table(study) if table is None else table
        from_file = FileForecast(table, others=PerfectForecast())
    default = _method(
        methods[0],
        settings.seed,
        settings.sigma_pu,
        settings.growth_pu_per_h,
        settings.correlation,
        from_file,
    )
    forecast = default
    if settings.series:
        overrides = {
            key: _method(
                override_method,
                settings.seed,
                _first_set(override.sigma_pu, settings.sigma_pu),
                _first_set(override.growth_pu_per_h, settings.growth_pu_per_h),
                _first_set(override.correlation, settings.correlation),
                from_file,
            )
            for (key, override), override_method in zip(
                settings.series.items(), methods[1:], strict=True
            )
        }
        forecast = PerSeriesForecast(default, overrides)
    if from_file is not None:
        from_file.check_series(_series_of(forecast, from_file, study))
    return forecast


def check_forecast(forecast: Forecast, study: Study, lookahead: int, commit: int) -> None:
    """Refuse, before an operation starts, a forecast that cannot issue the plan of
    every decision: a :class:`~dispatch.operation.file_forecast.FileForecast` whose
    file does not cover a decision's window.

    Parameters
    ----------
    forecast
        The forecast operated with.
    study
        The study operated.
    lookahead, commit
        Steps planned at each decision, and steps between decisions [-].

    Raises
    ------
    ScenarioError
        One line naming the file, the series and the decision time.
    """
    members = [forecast]
    if isinstance(forecast, PerSeriesForecast):
        members = [forecast.default, *forecast.overrides.values()]
    starts = range(0, len(study.snapshots), commit)
    for member in {id(m): m for m in members}.values():
        if isinstance(member, FileForecast):
            member.check_decisions(study, starts, lookahead, _series_of(forecast, member, study))


def _series_of(forecast: Forecast, member: Forecast, study: Study) -> list[str]:
    """The series of ``study`` that ``forecast`` takes from its part ``member``."""
    if isinstance(forecast, PerSeriesForecast):
        return [key for key in study.series if forecast.method_of(key) is member]
    return list(study.series) if forecast is member else []


def _first_set(value: float | None, fallback: float | None) -> float | None:
    return fallback if value is None else value


def _method(
    name: str,
    seed: int,
    sigma_pu: float | None,
    growth_pu_per_h: float | None,
    correlation: float | None,
    from_file: FileForecast | None,
) -> Forecast:
    if name == "perfect":
        return PerfectForecast()
    if name == "persistence":
        return PersistenceForecast()
    if name == "error":
        return ErrorForecast(seed, sigma_pu, growth_pu_per_h, correlation)
    if name == "file" and from_file is not None:
        return from_file
    raise ValueError(f"unknown forecast method {name!r}: perfect, persistence, error or file")
