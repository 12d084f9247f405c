"""The studies operation solves: a window of a study, the study with the start levels
of its cyclic storages, and the settlement study of a committed block."""

from __future__ import annotations

import numpy as np

from dispatch.core.errors import ScenarioError
from dispatch.core.names import VARIABLE_RENEWABLES
from dispatch.model.sizing import it_capacity_bound
from dispatch.scenario.schema import Interruptible
from dispatch.scenario.study import Study

SHORTFALL_PENALTY_FACTOR = 1000.0
"""The penalty on work that cannot be served, over the largest price or cost per MWh
of the study [1]: far above any saving from not serving it, so that work is shed only
where the actual supply cannot carry it."""


def check_operable(study: Study) -> None:
    """Raise for what operation does not handle: sized capacities, carbon targets,
    routes and flexibility markets.

    Raises
    ------
    ScenarioError
        One line naming the field.
    """
    source = str(study.source)
    if study.scenario.cfe_target is not None or study.scenario.emission_cap_tco2 is not None:
        raise ScenarioError(source, "cfe_target", "operate solves no carbon targets")
    if study.scenario.routing is not None:
        raise ScenarioError(source, "routing", "operate does not move work between sites yet")
    for name, site in study.sites.items():
        dc = site.datacentre
        refused = {
            "cfe_target": (site.cfe_target, "operate solves no carbon targets"),
            "datacentre.it_expansion": (dc.it_expansion, "operate needs given capacities"),
        }
        for carrier in (*VARIABLE_RENEWABLES, "geothermal", "battery"):
            refused[f"{carrier}.expansion"] = (
                getattr(getattr(site, carrier), "expansion", None),
                "operate needs given capacities",
            )
        refused["battery.energy_expansion"] = (
            getattr(site.battery, "energy_expansion", None),
            "operate needs given capacities",
        )
        tariff = None if site.grid is None else site.grid.tariff
        refused["grid.tariff.contracted_expansion"] = (
            getattr(tariff, "contracted_expansion", None),
            "operate needs given capacities",
        )
        refused["grid.flexibility_market"] = (
            None if site.grid is None else site.grid.flexibility_market,
            "operate does not carry offers of flexibility between windows yet",
        )
        for path, (value, problem) in refused.items():
            if value is not None:
                raise ScenarioError(source, f"sites.{name}.{path}", problem)


def window_study(study: Study, start: int, steps: int) -> Study:
    """The study of steps ``[start, start + steps)``: its snapshots and series."""
    snapshots = study.snapshots[start : start + steps]
    span = study.scenario.snapshots.model_copy(
        update={"start": snapshots[0].to_pydatetime(), "periods": steps}
    )
    scenario = study.scenario.model_copy(update={"snapshots": span})
    series = {key: values[start : start + steps].copy() for key, values in study.series.items()}
    return Study(scenario, study.source, snapshots, series)


def with_start_levels(study: Study, levels: dict[str, dict[str, float]]) -> Study:
    """``study`` with its batteries and reservoirs starting at ``levels``.

    Parameters
    ----------
    levels
        Level before the first step by site, then ``"battery"`` or ``"reservoir"``
        (as reported: a reservoir's minimum level included) [MWh].
    """
    sites = dict(study.sites)
    for name, by_asset in levels.items():
        update = {}
        for asset, level in by_asset.items():
            holder = getattr(sites[name], asset)
            update[asset] = holder.model_copy(
                update={"initial_level_pu": level / holder.energy_mwh}
            )
        sites[name] = sites[name].model_copy(update=update)
    scenario = study.scenario.model_copy(update={"sites": sites})
    return Study(scenario, study.source, study.snapshots, study.series)


def shortfall_penalty(study: Study) -> float:
    """The cost of a MWh of work that cannot be served [currency/MWh].

    :data:`SHORTFALL_PENALTY_FACTOR` times the largest price or cost per MWh of the
    study (prices, carbon cost of import, marginal costs, value of lost work; at
    least 10).
    """
    largest = 10.0
    for key, values in study.series.items():
        if key.endswith("price"):
            largest = max(largest, float(np.abs(values).max()))
        elif key.endswith("carbon_intensity_t_per_mwh"):
            largest = max(largest, study.scenario.carbon_price * float(values.max()))
    for site in study.sites.values():
        if site.datacentre.interruptible is not None:
            largest = max(largest, site.datacentre.interruptible.value_of_lost_work)
        for carrier in (*VARIABLE_RENEWABLES, "geothermal", "reservoir"):
            asset = getattr(site, carrier)
            if asset is not None:
                largest = max(largest, abs(asset.marginal_cost))
    return SHORTFALL_PENALTY_FACTOR * largest


WORK_FIELD = "datacentre.interruptible.offered_mw"
"""The series of the settlement study that holds the work to serve [MW]."""


def settlement_study(study: Study, penalty: float) -> Study:
    """The study that settles a committed block's energy side against the actual series.

    Each site's work is fixed by the plan: it becomes the site's only workload, an
    interruptible offer (series :data:`WORK_FIELD`, here the IT capacity) whose value
    of lost work is ``penalty``, so that it is shed only where the supply cannot
    carry it; no firm work, no deferrable work. Supply, storage, grid, PUE and heat
    are the study's.
    """
    sites, series = dict(study.sites), dict(study.series)
    length = len(study.snapshots)
    for name, site in study.sites.items():
        dc = site.datacentre
        work = Interruptible(offered_mw=0.0, value_of_lost_work=penalty)
        sites[name] = site.model_copy(
            update={
                "datacentre": dc.model_copy(
                    update={"deferrable": None, "interruptible": work, "firm_mw": 0.0}
                )
            }
        )
        series.pop(f"{name}/datacentre.deferrable.arrivals_mwh", None)
        series[f"{name}/datacentre.firm_mw"] = np.zeros(length)
        series[f"{name}/{WORK_FIELD}"] = np.full(length, it_capacity_bound(dc))
    scenario = study.scenario.model_copy(update={"sites": sites})
    return Study(scenario, study.source, study.snapshots, series)
