"""Checks of a study beyond single fields of the schema: series values within their
ranges, and the cross-field rules of MODEL.md (routing, grid regions, sizing bounds,
reservoir levels, prices, delays, work within the IT capacity) and the operation's
rolling horizon."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dispatch.core.errors import ScenarioError
from dispatch.scenario.flexibility import check_flexibility_markets
from dispatch.scenario.quantities import MAX_ROLLING_H
from dispatch.scenario.study import Study


def check_range(
    values: np.ndarray,
    bounds: tuple[float, float],
    snapshots: pd.DatetimeIndex,
    field_name: str,
    file: str,
) -> None:
    """Raise on the first value of ``values`` outside the closed range ``bounds`` (NaN
    and infinite values included), naming ``field_name`` and the snapshot."""
    low, high = bounds
    bad = np.flatnonzero(~((values >= low) & (values <= high)))  # NaN fails both
    if len(bad):
        i = bad[0]
        what = "NaN or infinite" if not np.isfinite(values[i]) else f"{values[i]:g}"
        raise ScenarioError(
            file,
            field_name,
            f"is {what} at {snapshots[i].isoformat()}, must be in [{low:g}, {high:g}]",
        )


def _check_routing(study: Study) -> None:
    """Residency lists, the latency matrix and every route name known sites, and each
    route carries some work."""
    file, routing = str(study.source), study.scenario.routing
    for name, site in study.sites.items():
        for residency in ("firm_sites", "deferrable_sites"):
            allowed = getattr(site.datacentre, residency)
            field = f"sites.{name}.datacentre.{residency}"
            if allowed is None:
                continue
            if unknown := [s for s in allowed if s not in study.sites]:
                raise ScenarioError(file, field, f"unknown site {unknown[0]!r}")
            if name not in allowed:
                raise ScenarioError(file, field, f"must include the site itself ({name!r})")
    if routing is None:
        return
    latency = routing.latency
    if len(set(latency.sites)) != len(latency.sites):
        raise ScenarioError(file, "routing.latency.sites", "names a site twice")
    if unknown := [s for s in latency.sites if s not in study.sites]:
        raise ScenarioError(file, "routing.latency.sites", f"unknown site {unknown[0]!r}")
    size = len(latency.sites)
    if len(latency.matrix_ms) != size or any(len(row) != size for row in latency.matrix_ms):
        shape = " x ".join(
            [str(len(latency.matrix_ms)), "/".join(str(len(r)) for r in latency.matrix_ms)]
        )
        raise ScenarioError(
            file,
            "routing.latency.matrix_ms",
            f"not square: {shape} entries for {size} sites",
        )
    seen = set()
    for i, route in enumerate(routing.routes):
        field = f"routing.routes[{i}]"
        for end in ("origin", "destination"):
            site = getattr(route, end)
            if site not in study.sites:
                raise ScenarioError(file, f"{field}.{end}", f"unknown site {site!r}")
            if site not in latency.sites:
                raise ScenarioError(
                    file, f"{field}.{end}", f"site {site!r} is not in the latency matrix"
                )
        if route.origin == route.destination:
            raise ScenarioError(file, field, "origin and destination are the same site")
        if (route.origin, route.destination) in seen:
            raise ScenarioError(file, field, "repeats an earlier route")
        seen.add((route.origin, route.destination))
        if not study.route_classes(route):
            raise ScenarioError(
                file,
                field,
                "carries no work: the latency exceeds the firm budget and the origin "
                "has no deferrable work allowed at the destination",
            )


def _check_grid_regions(study: Study) -> None:
    """Every named region exists and has sites, and no site of a region exports above
    another's import price.

    Power may flow between the sites of a region, each at its own tariff: an export
    price above another site's import price would pay to pass power round in circles.
    """
    file, when = str(study.source), study.snapshots
    for region in study.scenario.grid_regions:
        if region in study.sites:
            raise ScenarioError(
                file, f"grid_regions.{region}", "has the name of a site; give it another"
            )
    for name, site in study.sites.items():
        region = None if site.grid is None else site.grid.region
        if region is not None and region not in study.scenario.grid_regions:
            known = ", ".join(study.scenario.grid_regions) or "none"
            raise ScenarioError(
                file,
                f"sites.{name}.grid.region",
                f"unknown grid region {region!r} (grid_regions: {known})",
            )
    for region in study.scenario.grid_regions:
        members = study.region_sites(region)
        if not members:
            raise ScenarioError(
                file, f"grid_regions.{region}", "has no site (no sites.SITE.grid.region names it)"
            )
        for seller in members:
            for buyer in members:
                above = np.flatnonzero(
                    study.values(seller, "grid.export_price")
                    > study.values(buyer, "grid.import_price")
                )
                if seller != buyer and len(above):
                    raise ScenarioError(
                        file,
                        f"sites.{seller}.grid.export_price",
                        f"exceeds the import price of site {buyer} in the same grid region "
                        f"{region} at {when[above[0]].isoformat()} (it would pay to pass "
                        "power between them)",
                    )


def _check_whole_steps(study: Study, field: str, hours: float) -> None:
    """Raise unless ``hours`` of ``field`` is a whole number of the study's steps [h]."""
    steps = hours / study.step_h
    if not np.isfinite(steps) or steps != int(steps):
        raise ScenarioError(
            str(study.source), field, f"must be a multiple of the step ({study.step_h:g} h)"
        )


ROLLING_HORIZON_FIELDS = ("operation.lookahead_h", "operation.commit_h")
"""Where the lookahead and the commit interval come from: the scenario's fields."""


def check_rolling_horizon(
    study: Study,
    lookahead_h: float,
    commit_h: float,
    fields: tuple[str, str] = ROLLING_HORIZON_FIELDS,
) -> None:
    """Raise unless the rolling horizon moves by whole steps of ``study``, each at most
    :data:`~dispatch.scenario.quantities.MAX_ROLLING_H`, and commits at most what it
    plans [h].

    Parameters
    ----------
    fields
        Names of where the lookahead and the commit interval come from, for the
        errors: the scenario's fields, or command line options such as
        ``--lookahead-h``.
    """
    for field, hours in zip(fields, (lookahead_h, commit_h), strict=True):
        if not hours > 0:
            raise ScenarioError(str(study.source), field, f"is {hours:g} h, must be positive")
        if hours > MAX_ROLLING_H:
            limit = f"above the limit of {MAX_ROLLING_H:,.0f} h"
            raise ScenarioError(str(study.source), field, f"is {hours:g} h, {limit}")
        _check_whole_steps(study, field, hours)
    if commit_h > lookahead_h:
        lookahead, commit = (field.removeprefix("operation.") for field in fields)
        why = "a plan cannot commit more than it looks ahead"
        if fields[0].startswith("--") and not fields[1].startswith("--"):  # the option's fault
            raise ScenarioError(
                str(study.source),
                fields[0],
                f"{lookahead_h:g} h is less than {commit} ({commit_h:g} h): {why}",
            )
        raise ScenarioError(
            str(study.source),
            fields[1],
            f"{commit_h:g} h exceeds {lookahead} ({lookahead_h:g} h): {why}",
        )


def _check_operation(study: Study) -> None:
    """The scenario's rolling horizon, and every forecast override names series of the
    study."""
    operation = study.scenario.operation
    check_rolling_horizon(study, operation.lookahead_h, operation.commit_h)
    fields = {key.split("/", 1)[1] for key in study.series}
    for key in operation.forecast.series:
        if key not in study.series and key not in fields:
            raise ScenarioError(
                str(study.source),
                f"operation.forecast.series.{key}",
                "names no series of the study: give a series field such as "
                "'solar.availability' or one series 'SITE/FIELD'",
            )


def check_consistency(study: Study) -> None:
    """Cross-field rules of MODEL.md that no single field can check."""
    file, when = str(study.source), study.snapshots
    _check_routing(study)
    _check_grid_regions(study)
    _check_operation(study)
    check_flexibility_markets(study)
    for name, site in study.sites.items():
        prefix = f"sites.{name}"
        dc = site.datacentre
        for asset_name, asset in site:
            for expansion_field, unit in (
                ("expansion", "mw"),
                ("energy_expansion", "mwh"),
                ("it_expansion", "mw"),
            ):
                expansion = getattr(asset, expansion_field, None)
                if expansion is None:
                    continue
                smallest, largest = (getattr(expansion, f"{m}_{unit}") for m in ("min", "max"))
                if largest is not None and smallest > largest:
                    raise ScenarioError(
                        file,
                        f"{prefix}.{asset_name}.{expansion_field}.min_{unit}",
                        f"exceeds max_{unit}",
                    )
        bat = site.battery
        if bat is not None and bat.energy_expansion and bat.initial_level_pu is not None:
            raise ScenarioError(
                file,
                f"{prefix}.battery.initial_level_pu",
                "cannot be combined with energy_expansion (the initial level would follow "
                "the sized energy capacity): leave it out for a cyclic battery",
            )
        if (res := site.reservoir) is not None:
            if res.min_level_pu > res.max_level_pu:
                raise ScenarioError(
                    file, f"{prefix}.reservoir.min_level_pu", "exceeds max_level_pu"
                )
            initial = res.initial_level_pu
            if initial is not None and not res.min_level_pu <= initial <= res.max_level_pu:
                raise ScenarioError(
                    file,
                    f"{prefix}.reservoir.initial_level_pu",
                    "must lie between min_level_pu and max_level_pu",
                )
        if site.grid is not None:
            above = np.flatnonzero(
                study.values(name, "grid.export_price") > study.values(name, "grid.import_price")
            )
            if len(above):
                raise ScenarioError(
                    file,
                    f"{prefix}.grid.export_price",
                    f"exceeds the import price at {when[above[0]].isoformat()} "
                    "(it would pay to import and export at once)",
                )
        if dc.deferrable is not None:
            _check_whole_steps(
                study, f"{prefix}.datacentre.deferrable.max_delay_h", dc.deferrable.max_delay_h
            )
        demand = study.baseline_work(name)
        capacity = dc.it_capacity_mw
        if dc.it_expansion is not None:
            if dc.it_expansion.max_mw is None:
                raise ScenarioError(
                    file, f"{prefix}.datacentre.it_expansion.max_mw", "is required to size IT"
                )
            capacity = dc.it_expansion.max_mw
        over = np.flatnonzero(demand > capacity * (1 + 1e-9))
        if len(over):
            i = over[0]
            raise ScenarioError(
                file,
                f"{prefix}.datacentre.it_capacity_mw",
                f"firm + deferrable arrivals (and initial backlog) + interruptible work "
                f"is {demand[i]:g} MW "
                f"at {when[i].isoformat()}, above the IT capacity "
                f"{capacity:g} MW",
            )
