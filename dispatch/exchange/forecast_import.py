"""A forecast file into a study: the file checked, written in canonical form into a
new study whose scenario takes the series it holds from it (``docs/exchange.md``,
section Forecast files)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from dispatch.core.errors import ScenarioError
from dispatch.core.files import check_output_folder, staged_folder
from dispatch.core.yaml_reader import read_yaml
from dispatch.exchange.signal_import import copy_series_files, referenced_files, write_scenario
from dispatch.operation.forecast_files import ForecastTable, read_forecast_file, write_forecast_file
from dispatch.operation.forecasts import forecast_from_scenario
from dispatch.scenario.load import load_study, parse_scenario, scenario_path
from dispatch.scenario.study import Study

FORECAST_FILE = "forecasts.nc"
"""Name of the forecast file in a study that ``dispatch exchange import`` writes."""


def import_forecasts(
    path: str | Path, scenario: str | Path, out: str | Path, hours: float | None = None
) -> Study:
    """Write a new study that operates with the forecasts of a forecast file.

    Parameters
    ----------
    path
        The forecast file (netCDF, or CSV with its ``.json``; see
        :func:`~dispatch.operation.forecast_files.read_forecast_file`).
    scenario
        The study's scenario file or folder; never changed.
    out
        The new study's folder (see :func:`write_forecast_study`).
    hours
        Keep only the first ``hours`` of the horizon of the study returned [h].

    Returns
    -------
    Study
        The new study, loaded from ``out``; ``dispatch operate OUT`` operates it.
    """
    write_forecast_study(path, scenario, out)
    return load_study(out, hours)


def write_forecast_study(path: str | Path, scenario: str | Path, out: str | Path) -> ForecastTable:
    """Write a new study folder: the study with the forecasts of a forecast file.

    The file is read and checked against the study and written in canonical form (CF
    netCDF, UTC, the fields' units) as ``forecasts.nc``; the scenario gets
    ``operation.forecast.file: forecasts.nc`` and the method ``file`` for each series
    the file holds (``operation.forecast.series``); the other series keep their
    forecasts. Every series file the scenario names is copied. ``out`` must be new,
    empty or a study an earlier import wrote; it may not be, hold or lie inside the
    study folder, nor hold the forecast file. It is written all or nothing, and only
    if the new study's forecasts can be set up (the file holds every series the
    method ``file`` forecasts, e.g. all if that is the default method).

    Returns
    -------
    ForecastTable
        The forecasts written.
    """
    source = scenario_path(scenario)
    study = load_study(source)
    table = read_forecast_file(path, study)
    out = Path(out)
    inputs = [source.parent, Path(path)]
    check_output_folder(out, "study", inputs)
    raw = read_yaml(source)
    if FORECAST_FILE in referenced_files(raw):
        raise ScenarioError(str(source), "", f"names {FORECAST_FILE} as a series file")
    forecast = raw.setdefault("operation", {}).setdefault("forecast", {})
    forecast["file"] = FORECAST_FILE
    series = forecast.setdefault("series", {})
    for key in table.values:
        series[key] = {"method": "file"}
    updated = dataclasses.replace(study, scenario=parse_scenario(raw, str(source)))
    forecast_from_scenario(updated, table=table)
    with staged_folder(out, "study", inputs) as staging:
        write_scenario(staging, raw, f"{source} with the forecasts of {Path(path).name}")
        write_forecast_file(table, staging / FORECAST_FILE, study.scenario.currency)
        copy_series_files(raw, source, staging, {FORECAST_FILE})
    return table
