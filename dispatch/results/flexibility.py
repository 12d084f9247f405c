"""Key figures of a flexibility market from a site's offers in one run."""

from __future__ import annotations

import numpy as np

from dispatch.results.extract import RunDispatch
from dispatch.scenario.study import Study


def flexibility_figures(study: Study, site: str, run: RunDispatch) -> dict[str, float]:
    """A site's flexibility figures in one run.

    Returns
    -------
    dict
        ``flexibility_revenue``: sum_t w (availability price + activation share x
        activation price) x offer, up and down, the expected payment the objective
        subtracts [currency]; ``offered_up_mwh``, ``offered_down_mwh``: sum_t w x
        offer [MW·h]. All 0 without a market.
    """
    grid = study.sites[site].grid
    market = None if grid is None else grid.flexibility_market
    if market is None or run.flexibility_offered is None:
        return {"flexibility_revenue": 0.0, "offered_up_mwh": 0.0, "offered_down_mwh": 0.0}
    w = study.step_h
    up = float(np.sum(run.flexibility_offered["up"]) * w)
    down = float(np.sum(run.flexibility_offered["down"]) * w)
    return {
        "flexibility_revenue": market.value_up() * up + market.value_down() * down,
        "offered_up_mwh": up,
        "offered_down_mwh": down,
    }
