"""The marginal value of stored energy in a solved study: what one more MWh in a battery
or reservoir after a step would save, from the duals of the storage level balances.
:func:`~dispatch.optimization.solve.solve` keeps them in ``Result.shadow_values["storage"]``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pypsa

    from dispatch.scenario.study import Study

BALANCES = {"battery": "Store", "reservoir": "StorageUnit"}
"""PyPSA component holding each storage's level, whose ``energy_balance`` rows link a
step's level to the level before it."""


def stored_energy_values(n: pypsa.Network, study: Study) -> dict[str, dict[str, np.ndarray]]:
    """Marginal value of the energy stored in each battery and reservoir after each step
    of the optimum ``n``'s model holds (solved, before the network is copied).

    The level after step t enters the balance of step t+1 times the retention
    (1 - standing loss)^w; one more MWh there saves the retention times the dual of
    that balance (the sign as PyPSA writes the row: ``-level_t + retention
    level_{t-1} + ... = -inflow w``). After the last step the value is that of the
    first step's balance for a cyclic storage (its level wraps round), else 0 (the
    horizon gives stored energy no value at its end).

    Parameters
    ----------
    n
        The solved flexible network of a study, its linopy model holding the duals.
    study
        The study solved.

    Returns
    -------
    dict
        By site and ``"battery"`` / ``"reservoir"`` (those it has), one value per step
        [currency/MWh of stored energy; a reservoir's is the water's potential energy,
        which its turbine turns into efficiency times as much at the bus].
    """
    constraints, w, values = n.model.constraints, study.step_h, {}
    for site, spec in study.sites.items():
        by_asset = {}
        for asset, component in BALANCES.items():
            holder = getattr(spec, asset)
            if holder is None:
                continue
            duals = constraints[f"{component}-energy_balance"].dual
            dual = duals.sel(name=f"{site} {asset}").transpose("snapshot").to_numpy()
            retention = (1.0 - getattr(holder, "standing_loss_per_h", 0.0)) ** w
            after = np.append(dual[1:], dual[0] if holder.initial_level_pu is None else 0.0)
            by_asset[asset] = retention * after
        values[site] = by_asset
    return values
