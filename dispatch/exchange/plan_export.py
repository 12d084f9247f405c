"""A site's plan out: signals, schedule, key figures and flexibility envelope.

:func:`plan` collects them from a solved study or its result folder,
:func:`export_plan` writes them (or an operation's plans as issued:
:mod:`dispatch.exchange.issued_plans`) in one of the three formats, and
:func:`flexibility_envelope` gives the envelope alone (computed by
:mod:`dispatch.exchange.envelope`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dispatch.core.errors import ScenarioError
from dispatch.core.netcdf_header import check_netcdf_header
from dispatch.core.pypsa_settings import pypsa_settings
from dispatch.core.untrusted_input import MAX_FILE_BYTES, load_json, read_bytes
from dispatch.exchange.csv_format import metadata_path, write_csv, write_issued_csv
from dispatch.exchange.envelope import DEFAULT_WINDOW_H, envelope_of_network
from dispatch.exchange.envelope_cache import folder_envelope, result_envelope
from dispatch.exchange.fields import EXPORT_SOURCE, KEY_FIGURES, SIGNAL_FIELDS, ExchangeTable
from dispatch.exchange.issued_plans import IssuedPlans, issued_plans
from dispatch.exchange.netcdf_format import write_issued_netcdf, write_netcdf
from dispatch.exchange.openadr_writer import (
    FIGURES_REPORT,
    write_issued_openadr,
    write_openadr,
)
from dispatch.exchange.result_folder import (
    grid_site,
    read_network,
    read_result_folder,
    study_of,
)
from dispatch.exchange.signal_import import site_of
from dispatch.operation.operation_result import OperationResult
from dispatch.results.result import Result
from dispatch.scenario.load import scenario_path

if TYPE_CHECKING:
    import pypsa
    import xarray as xr

    from dispatch.scenario.study import Study

FORMATS: dict[str, tuple[str, Callable[[ExchangeTable, Path], None]]] = {
    "netcdf": (".nc", write_netcdf),
    "csv": (".csv", write_csv),
    "openadr": (".json", write_openadr),
}
"""Outbound formats: file suffix and writer."""
ISSUED_WRITERS: dict[str, Callable[[IssuedPlans, Path], None]] = {
    "netcdf": write_issued_netcdf,
    "csv": write_issued_csv,
    "openadr": write_issued_openadr,
}
"""Writers of an operation's plans as issued (:mod:`dispatch.exchange.issued_plans`), by
format (the suffixes of :data:`FORMATS`)."""


def plan(
    source: Result | str | Path,
    site: str | None = None,
    window_h: float | None = None,
    scenario: str | Path | None = None,
) -> ExchangeTable:
    """A site's plan from a solved study: signals, schedule, envelope, key figures.

    Parameters
    ----------
    source
        A :class:`~dispatch.Result`, or the folder ``dispatch run`` wrote it to
        (``summary.json`` and ``dispatch.nc`` are read, and ``network.nc`` unless the
        folder keeps the envelope: :mod:`dispatch.exchange.envelope_cache`).
    site
        The site; may be omitted if the study has one.
    window_h
        Half-width of the envelope's window (see :mod:`dispatch.exchange.envelope`) [h];
        ``DEFAULT_WINDOW_H`` (24 h) if None.
    scenario
        With a result folder: the study it was solved from. Then the envelope also
        holds the constraints ``network.nc`` does not store (carbon targets, sized
        idle draw) and the limits are the study's own; needed for carbon targets.

    Returns
    -------
    ExchangeTable
        Per step: the signals the plan was made with, ``grid_import``,
        ``grid_export``, ``surplus_absorbed`` (with a surplus signal), ``import_up``
        and ``import_down`` [MW]; key figures of the site's flexible run.
    """
    if isinstance(source, Result):
        summary, dataset = source.summary, source.dispatch
        origin, study = f"study {source.study.name}", source.study
    else:
        folder = Path(source)
        summary, dataset = read_result_folder(folder)
        origin = str(folder / "network.nc")
        study = None if scenario is None else study_of(folder, dataset, scenario)
        if study is None and summary.get("targets"):
            raise ScenarioError(
                str(folder), "targets", "carbon targets are not in network.nc: give the scenario"
            )
    site = grid_site(dataset, site, origin)
    ds = dataset.sel(site=site, run="flexible")
    window_h = DEFAULT_WINDOW_H if window_h is None else window_h
    if isinstance(source, Result):
        envelope = _result_envelope(source, site, window_h)
    else:
        envelope = folder_envelope(
            folder,
            dataset,
            site,
            window_h,
            study,
            lambda: _folder_network_envelope(folder, dataset, site, window_h, study),
        )
    limits = {
        name: (
            envelope[name].to_numpy()
            if study is None
            else study.values(site, f"grid.{SIGNAL_FIELDS[name].grid_field}")
        )
        for name in ("import_limit", "export_limit")
    }
    fields = {}
    for name in SIGNAL_FIELDS:
        if name in ds and not np.isnan(ds[name].values).any():
            fields[name] = ds[name].values.astype(float)
        elif name in limits:
            fields[name] = limits[name]
    fields["grid_import"] = ds["grid_import"].values.astype(float) + 0.0  # no -0
    fields["grid_export"] = ds["grid_export"].values.astype(float) + 0.0
    if "surplus" in fields:
        fields["surplus_absorbed"] = np.minimum(fields["grid_import"], fields["surplus"])
    fields["import_up"] = envelope["import_up"].to_numpy()
    fields["import_down"] = envelope["import_down"].to_numpy()
    step = pd.Timedelta(hours=float(dataset.attrs["step_h"]))
    figures = summary.get("sites", {}).get(site, summary)
    units = summary["units"]
    key_figures = {
        name: (float(figures[name]), units[name]) for name in KEY_FIGURES if name in figures
    }
    step_h = step / pd.Timedelta(hours=1)
    key_figures["flexibility_up_mwh"] = (float(fields["import_up"].sum() * step_h), "MWh")
    key_figures["flexibility_down_mwh"] = (float(fields["import_down"].sum() * step_h), "MWh")
    study = str(dataset.attrs["study"])
    return ExchangeTable(
        start=pd.Timestamp(ds["snapshot"].values[0]).tz_localize("UTC"),
        step=step,
        fields=fields,
        currency=str(dataset.attrs["currency"]),
        attrs={
            "title": f"Plan and flexibility envelope of site {site} in study {study}",
            "study": study,
            "site": site,
            "envelope_window_h": float(window_h),
            "source": EXPORT_SOURCE,
        },
        key_figures=key_figures,
    )


def _result_envelope(result: Result, site: str, window_h: float) -> pd.DataFrame:
    """The envelope and grid limits of a Result's site, computed once per Result [MW]."""
    origin = f"study {result.study.name}"
    return result_envelope(
        result,
        site,
        window_h,
        lambda: _network_envelope(result.network.copy(), site, window_h, origin, result.study),
    )


@pypsa_settings
def _folder_network_envelope(
    folder: Path, dataset: xr.Dataset, site: str, window_h: float, study: Study | None
) -> pd.DataFrame:
    """The envelope and grid limits of a result folder's ``network.nc`` [MW]."""
    network = read_network(folder, dataset)
    return _network_envelope(network, site, window_h, str(folder / "network.nc"), study)


@pypsa_settings
def _network_envelope(
    n: pypsa.Network, site: str, window_h: float, origin: str, study: Study | None
) -> pd.DataFrame:
    """The envelope of a site (:func:`envelope_of_network`) and the import and export
    limits of its grid connection in the network, by step [MW]."""
    envelope = envelope_of_network(n, site, window_h, origin, study)
    for name, link in (("import_limit", "grid import"), ("export_limit", "grid export")):
        per_unit = n.get_switchable_as_dense("Link", "p_max_pu")[f"{site} {link}"].to_numpy(float)
        envelope[name] = per_unit * float(n.links.at[f"{site} {link}", "p_nom"]) + 0.0
    return envelope


def flexibility_envelope(
    result: Result, site: str | None = None, window_h: float | None = None
) -> pd.DataFrame:
    """The flexibility envelope of a site's grid import around the flexible run's plan.

    For each step t: the highest and lowest import the site could take in t, with
    every constraint of the study holding and the plan unchanged outside the window
    [t - window_h, t + window_h] (:mod:`dispatch.exchange.envelope` states it precisely).
    It is computed once per Result and window, and kept with the Result for its
    exports (:mod:`dispatch.exchange.envelope_cache`).

    Parameters
    ----------
    result
        A solved study.
    site
        The site; may be omitted if the study has one.
    window_h
        Half-width of the window [h]; 24 h if None.

    Returns
    -------
    pandas.DataFrame
        By step (UTC): ``grid_import`` (the plan), ``import_min``, ``import_max``,
        ``import_up``, ``import_down`` [MW].

    Examples
    --------
    >>> from dispatch import flexibility_envelope, load_study, solve
    >>> result = solve(load_study("networks/solar-battery", hours=48))
    >>> envelope = flexibility_envelope(result)
    >>> bool((envelope.import_max >= envelope.grid_import).all())
    True
    """
    origin = f"study {result.study.name}"
    site = site_of(result.study, site, origin)
    window_h = DEFAULT_WINDOW_H if window_h is None else window_h
    return _result_envelope(result, site, window_h).drop(columns=["import_limit", "export_limit"])


def export_plan(
    source: Result | str | Path,
    fmt: str,
    out: str | Path,
    site: str | None = None,
    window_h: float | None = None,
    scenario: str | Path | None = None,
) -> list[Path]:
    """Write a site's plan for its grid partner.

    The plan of a solved study, or, of an operated study (:func:`dispatch.operate`,
    or the folder ``dispatch operate`` wrote), the plans issued at each decision time
    and what was delivered (:func:`~dispatch.exchange.issued_plans.issued_plans`;
    ``window_h`` and ``scenario`` do not apply).

    Parameters
    ----------
    source
        A :class:`~dispatch.Result` or the folder ``dispatch run`` or ``dispatch
        operate`` wrote.
    fmt
        ``"netcdf"`` (``.nc``), ``"csv"`` (``.csv`` plus ``.json`` metadata) or
        ``"openadr"`` (``.json``, OpenADR 3.0.1 events and reports).
    out
        The file to write; its suffix must match the format.
    site
        The site; may be omitted if the study has one.
    window_h
        Half-width of the envelope's window [h]; 24 h if None.
    scenario
        With a result folder: the study it was solved from (see :func:`plan`).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = Path(out)
    if fmt not in FORMATS:
        raise ScenarioError(str(out), "format", f"{fmt!r} is not one of {', '.join(FORMATS)}")
    suffix, writer = FORMATS[fmt]
    if out.suffix.lower() != suffix:
        raise ScenarioError(str(out), "", f"format {fmt} writes a {suffix} file")
    paths = [out, metadata_path(out)] if fmt == "csv" else [out]
    read = [source.study.source.parent] if isinstance(source, Result) else [Path(source)]
    if scenario is not None:
        read.append(scenario_path(scenario).parent)
    for path in paths:
        _check_export_target(path, read)
    if _is_operation(source):
        for option, value in (("window_h", window_h), ("scenario", scenario)):
            if value is not None:
                raise ScenarioError(
                    str(source), option, "not used for an operation's plans (no envelope)"
                )
        ISSUED_WRITERS[fmt](issued_plans(source, site), out)
    else:
        writer(plan(source, site, window_h, scenario), out)
    return paths


def _is_operation(source: Result | str | Path) -> bool:
    """Whether ``source`` is an operated study or a folder ``dispatch operate`` wrote
    (its ``summary.json`` has an ``operation`` block, or it holds ``plans.nc``)."""
    if isinstance(source, Result):
        return isinstance(source, OperationResult)
    folder = Path(source)
    if (folder / "plans.nc").exists():
        return True
    summary = folder / "summary.json"
    if not summary.is_file():
        return False  # refused by the reader of a run's folder
    document = load_json(read_bytes(summary, str(summary)), str(summary))
    return isinstance(document, dict) and "operation" in document


def _check_export_target(path: Path, inputs: list[Path]) -> None:
    """Refuse an export file inside a folder read, over a link or a folder, or over
    a file dispatch did not export (:func:`_exported_by_dispatch`)."""
    resolved = path.resolve()
    for folder in inputs:
        if resolved.is_relative_to(folder.resolve()):
            raise ScenarioError(str(path), "", f"lies inside {folder}, which is read")
    if path.is_symlink():
        raise ScenarioError(
            str(path), "", "is a symbolic link: exchange files are not written through links"
        )
    if path.is_dir():
        raise ScenarioError(str(path), "", "is a folder, expected a file name")
    if path.exists() and not _exported_by_dispatch(path):
        raise ScenarioError(
            str(path), "", "exists and is not a plan file dispatch exported: give another name"
        )


def _exported_by_dispatch(path: Path) -> bool:
    """Whether ``path`` is a plan file ``dispatch exchange export`` wrote.

    A netCDF file or CSV metadata is one if its ``source`` is :data:`EXPORT_SOURCE`, a
    CSV if its metadata is one, an OpenADR document if :func:`_openadr_plan`. A
    partner's signals file is none of these, though it has the same ``schema`` or
    names dispatch's program.
    """
    try:
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            return False
        if path.suffix.lower() == ".csv":
            with path.open("rb") as handle:
                header = handle.readline(64)
            return header.startswith((b"time,", b"issue_time,")) and _exported_by_dispatch(
                metadata_path(path)
            )
        if path.suffix.lower() == ".nc":
            import xarray as xr

            check_netcdf_header(path, str(path))
            with xr.open_dataset(path, decode_cf=False) as ds:
                return ds.attrs.get("source") == EXPORT_SOURCE
        document = load_json(path.read_bytes(), str(path))
    except Exception:  # noqa: BLE001 - a file that cannot be read is not one of ours
        return False
    if isinstance(document, dict):  # metadata of a CSV export
        return document.get("source") == EXPORT_SOURCE
    return _openadr_plan(document)


def _openadr_plan(document: object) -> bool:
    """Whether a JSON document is OpenADR objects of a ``dispatch-`` program ending with
    the key-figures report that ends every plan file dispatch writes
    (:data:`~dispatch.exchange.openadr_writer.FIGURES_REPORT`)."""
    if not isinstance(document, list) or not document:
        return False
    last = document[-1]
    return (
        all(
            isinstance(o, dict) and str(o.get("programID", "")).startswith("dispatch-")
            for o in document
        )
        and last.get("objectType") == "REPORT"
        and str(last.get("reportName", "")).startswith(FIGURES_REPORT)
    )
