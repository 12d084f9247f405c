"""The shipped examples over their full year: the few tests that solve 8760 hours."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import xarray as xr

from dispatch import load_study, solve
from dispatch.testing import assert_invariants

NETWORKS = Path(__file__).parents[1] / "networks"
EXAMPLES = sorted(p.name for p in NETWORKS.iterdir() if (p / "scenario.yaml").is_file())


def test_every_example_is_tested() -> None:
    assert EXAMPLES == ["multi-site", "nordic", "olkaria", "solar-battery"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_full_year_example_holds_the_invariants_and_absorbs_curtailment(
    name: str, tmp_path: Path
) -> None:
    result = solve(load_study(NETWORKS / name))
    assert_invariants(result)
    summary = result.summary
    assert summary["hours"] == 8760
    assert summary["curtailment_baseline_mwh"] > 0
    assert 0 < summary["absorbed_share"] <= 1
    assert summary["total_cost"] < summary["baseline"]["total_cost"]
    out = result.write(tmp_path / name)
    assert json.loads((out / "summary.json").read_text())["absorbed_mwh"] == pytest.approx(
        summary["absorbed_mwh"]
    )
    with xr.open_dataset(out / "dispatch.nc") as ds:
        assert ds.sizes["snapshot"] == 8760
