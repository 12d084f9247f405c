"""Operation of a study with a grid region that is solved in independent parts: the
realised network has the perfect-foresight network's assets in its order and the
sub-networks of the whole study, so the invariants compare it with the baseline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dispatch import load_study, operate
from dispatch.testing import assert_invariants


def site(grid: dict) -> dict:
    """A data centre with 4 MW of firm work behind ``grid``."""
    return {"datacentre": {"it_capacity_mw": 10, "firm_mw": 4}, "grid": grid}


REGION_CASE = {
    "name": "regions",
    "snapshots": {"start": "2025-06-01T00:00:00Z", "periods": 4, "step_h": 1},
    "grid_regions": {"west": {"import_limit_mw": 7}},
    "sites": {
        # Two independent parts, "alone" first: solved apart, their networks are joined
        # "alone" first, where a network built whole has the region's bus first.
        "alone": site({"import_limit_mw": 10, "import_price": 80}),
        "behind": site({"import_limit_mw": 10, "import_price": 100, "region": "west"}),
    },
}


def test_a_realised_study_in_parts_with_a_region_keeps_the_invariants(
    write_study: Callable[..., Path],
) -> None:
    realised = operate(load_study(write_study(REGION_CASE)), 2, 2, "perfect")
    planned = realised.perfect_foresight.network
    assert list(planned.buses.index[:2]) == ["alone", "alone grid"]
    for component in planned.components:
        assert realised.network.c[component.name].static.index.equals(component.static.index)
    # Only links join the buses: each bus is a sub-network of its own, in both runs.
    for network in (realised.network, planned, realised.network_baseline):
        assert network.buses.sub_network.is_unique
        assert set(network.sub_networks.index) == set(network.buses.sub_network)
    assert_invariants(realised)
    # Firm work only: the realised operation is the optimum, 4 MW at each site.
    assert realised.summary["objective"] == pytest.approx(4 * 4 * (80 + 100), rel=1e-9)
