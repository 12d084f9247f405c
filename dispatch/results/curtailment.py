"""Curtailment of a solved network as the key figures count it (MODEL.md §5).

PyPSA's ``n.statistics.curtailment()`` counts ``p_max_pu * p_nom_opt - p`` of every
component with a ``p_max_pu``. In a network of dispatch that is also the links of the
data centre (facility, compute, deferrable work), of the grid and of the battery, the
grid and lost-work generators, and a geothermal plant backing off, while a reservoir's
spill is not counted: on an Olkaria fortnight about 41,000 MWh against about 230 MWh
of curtailment. :func:`curtailment` counts what ``summary.json`` counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from dispatch.core.names import VARIABLE_RENEWABLES

if TYPE_CHECKING:
    import pypsa

    from dispatch.scenario.study import Study


def curtailment(
    n: pypsa.Network, study: Study | None = None, per_step: bool = False
) -> pd.Series | pd.DataFrame:
    """Curtailment of each site and curtailable carrier of a solved network.

    Counted as ``curtailment_by_carrier_mwh`` of ``summary.json`` counts it: for
    solar, wind and run-of-river, availability times capacity minus output
    (``p_max_pu * p_nom_opt - p``); for geothermal with a steam field, the steam
    vented (the same, with ``p_max_pu`` the field's steam); for a reservoir, its
    spill (``spill``, in MWh of stored energy). Geothermal without a steam field is
    left out: backing it off is not curtailment. The network alone does not say
    whether a plant whose ``p_max_pu`` is 1 has a steam field (``steam_pu: 1``) or
    none: it counts as none unless ``study`` says otherwise.

    Parameters
    ----------
    n
        A network of dispatch, solved: ``Result.network`` (flexible run),
        ``Result.network_baseline``, or ``network.nc`` / ``network_baseline.nc`` of a
        result folder read with ``pypsa.Network(path)``.
    study
        The study solved, for the steam fields; None: a geothermal plant has one
        where its ``p_max_pu`` is below 1.
    per_step
        Return the curtailment of each step [MW] instead of its total [MWh].

    Returns
    -------
    pandas.Series or pandas.DataFrame
        Indexed by ``site`` and ``carrier``, the total of the horizon [MWh]
        (``summary.json``'s ``sites.SITE.curtailment_by_carrier_mwh``; their sum is
        ``curtailment_mwh``); with ``per_step``, a frame by snapshot with those
        columns [MW]. A site's every curtailable asset has an entry, zero or not.

    Examples
    --------
    >>> from dispatch import curtailment, load_study, solve
    >>> result = solve(load_study("networks/olkaria", hours=48))
    >>> by_carrier = curtailment(result.network)
    >>> site = result.summary["sites"]["olkaria"]
    >>> bool(abs(by_carrier.sum() - site["curtailment_mwh"]) < 1e-6)
    True
    """
    generators = n.generators
    # A plant is the Generator "SITE CARRIER"; others of its carrier are not (a
    # geothermal field's flexible steam unused is not vented).
    plant = generators.index == generators.bus + " " + generators.carrier
    renewable = plant & generators.carrier.isin(VARIABLE_RENEWABLES)
    geothermal = plant & (generators.carrier == "geothermal")
    if study is None:
        steam = generators.p_max_pu < 1
    else:
        steam = pd.Series(
            [
                site in study.sites
                and (geo := study.sites[site].geothermal) is not None
                and geo.steam_pu is not None
                for site in generators.bus
            ],
            index=generators.index,
        )
    names = generators.index[renewable | (geothermal & steam)]
    available = n.get_switchable_as_dense("Generator", "p_max_pu")[names] * generators.p_nom_opt[
        names
    ].to_numpy(float)
    # PyPSA writes no series of a component whose value is its default (zero) at every
    # step: read back from netCDF, a plant that never ran has none.
    output = n.generators_t.p.reindex(index=n.snapshots, columns=names, fill_value=0.0)
    reservoirs = n.storage_units.index[n.storage_units.carrier == "reservoir"]
    spill = n.storage_units_t.spill.reindex(index=n.snapshots, columns=reservoirs, fill_value=0.0)
    per_component = pd.concat([available - output, spill], axis=1)
    owners = pd.concat(
        [
            generators.loc[names, ["bus", "carrier"]],
            n.storage_units.loc[reservoirs, ["bus", "carrier"]],
        ]
    )
    per_component.columns = pd.MultiIndex.from_frame(
        owners.loc[per_component.columns].rename(columns={"bus": "site"})
    )
    by_site = per_component.T.groupby(level=["site", "carrier"], sort=False).sum().T
    by_site.index = by_site.index.rename("snapshot")
    if per_step:
        return by_site
    weights = n.snapshot_weightings.generators.to_numpy(float)
    totals = pd.Series(weights @ by_site.to_numpy(float), index=by_site.columns, dtype=float)
    return totals.rename("curtailment_mwh")
