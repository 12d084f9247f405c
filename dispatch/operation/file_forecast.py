"""Forecasts from a forecast file: at each decision time, the forecast issued last."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dispatch.core.errors import ScenarioError
from dispatch.core.times import iso
from dispatch.operation.forecast_files import ForecastTable, read_forecast_file
from dispatch.operation.forecast_limits import check_window, within_limits
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    from dispatch.operation.forecasts import Forecast


class FileForecast:
    """Forecasts read from a file of a grid partner or a forecast provider.

    The forecast issued at the start of step s (time t) is, for each series the file
    holds, the forecast issued last at or before t, its values for the valid times
    t, t + w, ..., held within the limits of every forecast (see
    :func:`~dispatch.operation.forecast_limits.within_limits`). A forecast that does
    not reach the end of the window is refused (one line naming the file, the series
    and the decision time); :meth:`check_decisions` finds that before an operation.

    Parameters
    ----------
    table
        The forecasts, from :func:`~dispatch.operation.forecast_files.read_forecast_file`.
    others
        The forecast of the study's series the file does not hold; none: such series
        are refused.
    """

    def __init__(self, table: ForecastTable, others: Forecast | None = None) -> None:
        self.table = table
        self.others = others

    def issue(self, study: Study, start: int, steps: int) -> dict[str, np.ndarray]:
        """The forecast of steps ``[start, start + steps)`` (see
        :class:`~dispatch.operation.forecasts.Forecast`)."""
        check_window(study, start, steps)
        if self.others is None:
            self.check_series(study.series)
        values = {} if self.others is None else self.others.issue(study, start, steps)
        held = [key for key in study.series if key in self.table.values]
        if held:
            issue, lead = self._window(study, start, steps, held[0])
            for key in held:
                values[key] = self.table.values[key][issue, lead : lead + steps].copy()
        return within_limits(study, start, values)

    def check_decisions(
        self, study: Study, starts: Iterable[int], lookahead: int, keys: Iterable[str]
    ) -> None:
        """Refuse forecasts that do not cover the window of every decision.

        Parameters
        ----------
        study
            The study operated.
        starts
            The decision steps [-].
        lookahead
            Steps planned at each decision, cut at the horizon's end [-].
        keys
            The series forecast from this file [-].

        Raises
        ------
        ScenarioError
            The file holds none of a series in ``keys``, or none of its forecasts
            issued by a decision time covers that decision's window: one line naming
            the file, the series and the decision time.
        """
        keys = list(keys)
        self.check_series(keys)
        for start in starts if keys else ():
            self._window(study, start, min(lookahead, len(study.snapshots) - start), keys[0])

    def check_series(self, keys: Iterable[str]) -> None:
        """Refuse series ``keys`` forecast from this file that it does not hold (one
        line naming the file and the first such series)."""
        missing = [key for key in keys if key not in self.table.values]
        if missing:
            raise ScenarioError(
                self.table.file, missing[0], "the file holds no forecast of this series"
            )

    def _window(self, study: Study, start: int, steps: int, key: str) -> tuple[int, int]:
        """Issue index and first lead index of the window of decision step ``start``."""
        time = study.snapshots[start]
        window = self.table.window(time, steps)
        if window is not None:
            return window
        table, step = self.table, pd.Timedelta(hours=study.step_h)
        issue = int(table.issue_times.searchsorted(time, side="right")) - 1
        if issue < 0:
            latest = f"the first is issued at {iso(table.issue_times[0])}"
        else:
            first = table.issue_times[issue] + table.first_lead
            latest = (
                f"the one issued at {iso(table.issue_times[issue])} covers {iso(first)} to "
                f"{iso(first + table.leads * step)}"
            )
        raise ScenarioError(
            table.file,
            key,
            f"no forecast issued by the decision time {iso(time)} covers its window "
            f"to {iso(time + steps * step)} ({latest})",
        )


def scenario_forecast_table(study: Study) -> ForecastTable:
    """The forecast file the study's scenario names in ``operation.forecast.file``,
    read and checked against the study.

    Raises
    ------
    ScenarioError
        No file named, a file outside the study folder, or a file refused by
        :func:`~dispatch.operation.forecast_files.read_forecast_file`.
    """
    name = study.scenario.operation.forecast.file
    source = str(study.source)
    if name is None:
        raise ScenarioError(
            source, "operation.forecast.file", "the forecast method 'file' needs a file"
        )
    folder = study.source.parent.resolve()
    path = study.source.parent / name
    if not path.resolve().is_relative_to(folder):
        raise ScenarioError(
            source, "operation.forecast.file", f"{name!r} lies outside the study folder"
        )
    return read_forecast_file(path, study)
