"""The speed anchor ``benchmarks/compact_lp.py`` states the same LP as ``dispatch run``.

``bench_run.py`` times ``dispatch run`` against the compact LP; the ratio means
something only if both reach the same optimum. Each shipped single-site example (a
week) and each one-site test study (whole) of the assets the compact LP states is solved
both ways: baseline and flexible objectives agree to 1e-6.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from dispatch import load_study, solve

ROOT = Path(__file__).parents[1]
STUDIES = [
    *(ROOT / "networks" / name for name in ("olkaria", "nordic", "solar-battery")),
    *(ROOT / "tests" / "data" / name for name in ("vent_throughput", "flexible_steam")),
    *(ROOT / "tests" / "data" / name for name in ("pumped_hydro", "reservoir_wind")),
]


def _compact_lp():
    spec = importlib.util.spec_from_file_location("compact_lp", ROOT / "benchmarks/compact_lp.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("compact_lp", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("folder", STUDIES, ids=lambda p: p.name)
def test_compact_lp_reaches_dispatch_optimum(folder: Path) -> None:
    study = load_study(folder, hours=168 if folder.parent.name == "networks" else None)
    compact = _compact_lp().solve_both(study)
    summary = solve(study).summary
    for run, objective in (
        ("flexible", summary["objective"]),
        ("baseline", summary["baseline"]["objective"]),
    ):
        assert compact[run]["objective"] == pytest.approx(objective, rel=1e-6, abs=1e-6), run


def test_compact_lp_refuses_demand_charges() -> None:
    study = load_study(ROOT / "tests" / "data" / "tariff", hours=24)
    with pytest.raises(NotImplementedError, match="sites"):
        _compact_lp().check_stated(study)
