"""Synthetic multi-site studies of ``bench_multisite.py``: the shipped sites on rings.

Site i is a copy of template i mod 3 (:data:`TEMPLATES`), varied by
:func:`site_variation`; :func:`write_study` lays the sites on one ring, or on rings of
regions with no route between them. Not a script of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness import REPO

TEMPLATES = ("networks/olkaria", "networks/nordic", "networks/solar-battery")
SHIFT_H = 3
"""Site i's profiles are rolled later by ``SHIFT_H * i`` hours [h]."""
HOP_LATENCY_MS = 6.0
FIRM_BUDGET_MS = 8.0
ROUTE_SHARE = 0.2
"""A route's capacity: this share of the smaller IT capacity of its ends [1]."""
ROUTE_COST = 2.0
"""Cost of moving work on a route [currency/MWh]."""


def _templates() -> list[tuple[str, dict[str, Any], Any]]:
    """The shipped one-site examples: site name, site mapping, profile table."""
    import pandas as pd
    import yaml

    out = []
    for template in TEMPLATES:
        folder = REPO / template
        raw = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
        ((name, site),) = raw["sites"].items()
        out.append((name, site, pd.read_csv(folder / "profiles.csv", index_col="time")))
    return out


def site_variation(i: int) -> dict[str, float]:
    """How site ``i`` differs from its template.

    Returns
    -------
    dict
        ``shift_h``: profiles rolled later by this many hours [h]; ``capacity``:
        factor on renewable capacities [1]; ``work``: factor on firm, deferrable and
        interruptible work [1]; ``price``: factor on grid prices [1]. Site 0 is the
        template unchanged.
    """
    return {
        "shift_h": SHIFT_H * i,
        "capacity": 1 + 0.05 * ((2 * i) % 5) / 4,
        "work": 1 - 0.02 * ((3 * i) % 4),
        "price": 1 + 0.01 * ((5 * i) % 6),
    }


def write_study(sites: int, folder: Path, region_size: int | None = None) -> Path:
    """Write a synthetic study of ``sites`` sites on rings into ``folder``.

    Parameters
    ----------
    sites
        Number of sites [-].
    folder
        Receives ``scenario.yaml`` and one profile CSV per site.
    region_size
        Sites per region [-]: each region is a ring of its own, with no route
        between regions (so each is a connected component of the route graph).
        None: one ring of all sites.

    Returns
    -------
    Path
        The scenario file.
    """
    import numpy as np
    import pandas as pd
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    templates = _templates()
    scenario_sites: dict[str, Any] = {}
    for i in range(sites):
        base, site, table = templates[i % len(templates)]
        name = f"{base}_{i:02d}"
        change = site_variation(i)
        rolled = pd.DataFrame(
            np.roll(table.to_numpy(), int(change["shift_h"]), axis=0),
            index=table.index,
            columns=table.columns,
        )
        for column in ("firm_mw", "deferrable_mwh", "interruptible_mw"):
            if column in rolled:
                rolled[column] *= change["work"]
        for column in ("import_price", "export_price"):
            if column in rolled:
                rolled[column] *= change["price"]
        rolled.to_csv(folder / f"{name}.csv", float_format="%.7g")
        text = yaml.safe_dump(site).replace("profiles.csv:", f"{name}.csv:")
        site = yaml.safe_load(text)
        for carrier in ("solar", "wind", "run_of_river"):
            if carrier in site:
                site[carrier]["capacity_mw"] *= change["capacity"]
        scenario_sites[name] = site
    names = list(scenario_sites)
    scenario: dict[str, Any] = {
        "name": f"ring_{sites}" if region_size is None else f"regions_{sites}_{region_size}",
        "description": "Synthetic multi-site study of benchmarks/bench_multisite.py.",
        "currency": "EUR",
        "snapshots": {"start": "2025-01-01T00:00:00Z", "periods": 8760, "step_h": 1},
        "sites": scenario_sites,
    }
    size = sites if region_size is None else region_size
    region = [i // size for i in range(sites)]
    first = {r: region.index(r) for r in set(region)}
    count = {r: region.count(r) for r in set(region)}

    def hops(i: int, j: int) -> float:
        if region[i] != region[j]:
            return 10.0  # another region: beyond any route
        d = abs(i - j)
        return float(min(d, count[region[i]] - d))

    routes = []
    for i in range(sites):
        r, k = region[i], i - first[region[i]]
        neighbours = {first[r] + (k + 1) % count[r], first[r] + (k - 1) % count[r]} - {i}
        for j in sorted(neighbours):
            capacity = min(
                scenario_sites[names[i]]["datacentre"]["it_capacity_mw"],
                scenario_sites[names[j]]["datacentre"]["it_capacity_mw"],
            )
            routes.append(
                {
                    "origin": names[i],
                    "destination": names[j],
                    "capacity_mw": ROUTE_SHARE * capacity,
                    "cost_per_mwh": ROUTE_COST,
                }
            )
    if routes:
        scenario["routing"] = {
            "latency": {
                "sites": names,
                "matrix_ms": [
                    [HOP_LATENCY_MS * hops(i, j) for j in range(sites)] for i in range(sites)
                ],
            },
            "firm_latency_budget_ms": FIRM_BUDGET_MS,
            "routes": routes,
        }
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    return path
