"""Inputs of the two runs' solved networks: identical apart from the flexibility bounds
that the baseline sets to 0."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import pypsa


FLEXIBILITY_BOUNDS = {
    ("Store", "e_min_pu"): "backlog",
    ("Generator", "p_max_pu"): "lost_work",
    ("Link", "p_max_pu"): "route",
}
"""Network inputs the baseline may change: (component, attribute): carrier."""


def check_same_inputs(flexible: pypsa.Network, baseline: pypsa.Network) -> None:
    """The networks of both runs have identical inputs apart from flexibility bounds.

    Inputs are compared as the values in effect (a time series or the static value
    it defaults to; a missing value counts as the attribute's default), so a network
    read back from a file compares equal. The baseline
    may only set the backlog Stores' ``e_min_pu``, the lost-work Generators'
    ``p_max_pu`` and the routes' Links' ``p_max_pu`` to 0 (all work served as it
    arrives, each site's at the site).
    """
    where = "flexible vs baseline network inputs"
    assert flexible.snapshots.equals(baseline.snapshots), f"{where}: snapshots differ"
    assert flexible.snapshot_weightings.equals(baseline.snapshot_weightings), (
        f"{where}: snapshot weightings differ"
    )
    for component in flexible.components:
        other = baseline.components[component.name]
        assert component.static.index.equals(other.static.index), (
            f"{where}: {component.name} assets differ: "
            f"{list(component.static.index)} vs {list(other.static.index)}"
        )
        if component.static.empty:
            continue
        status = component.defaults["status"].astype(str)
        inputs = status.index[status.str.startswith("Input")]
        for attribute in inputs.intersection(component.static.columns):
            ours, theirs = component.da[attribute], other.da[attribute]
            default = component.defaults.at[attribute, "default"]
            if isinstance(default, float) and not np.isnan(default):
                ours, theirs = ours.fillna(default), theirs.fillna(default)
            flexibility = FLEXIBILITY_BOUNDS.get((component.name, attribute))
            if flexibility is not None:
                assets = component.static.index[component.static.carrier == flexibility]
                assert (theirs.sel(name=assets) == 0).all(), (
                    f"{where}: baseline {component.name} {attribute} of {list(assets)} "
                    "is not 0 (all work served as it arrives, each site's at the site)"
                )
                ours, theirs = ours.drop_sel(name=assets), theirs.drop_sel(name=assets)
            differ = ~((ours.values == theirs.values) | (pd.isna(ours) & pd.isna(theirs)))
            if differ.any():
                cell = {
                    d: ours[d].values[i]
                    for d, i in zip(ours.dims, np.argwhere(differ)[0], strict=True)
                }
                raise AssertionError(
                    f"{where}: {component.name} {attribute} differs at {cell}: "
                    f"{ours.sel(cell).item()!r} vs {theirs.sel(cell).item()!r}"
                )
