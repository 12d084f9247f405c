"""Payment for flexibility on the linopy model: the MW each site offers up and down in
every step, each bounded by what the site can deliver within the step without
breaking another constraint, and the expected payment in the objective.

A site's market is written into ``n.meta`` (key :data:`FLEXIBILITY_MARKETS`) when the
network is built; :func:`add_flexibility_offers` reads everything else (limits,
efficiencies, windows) from the network's components, so a ``network.nc`` read back
re-solves to the same optimum. The offer is made of parts, each a variable in MW:

up (the site lowers its net import)
    work stopped: interruptible work served (its lost work stays within the offer)
    and deferrable work served here that is not due in the step (the backlog stays
    within its window), together at most the IT power above the minimum; battery
    charging cancelled and discharge raised (within the discharger's capacity and
    the energy stored); output raised on renewables and geothermal without a ramp
    limit (within their availability).
down (the site raises its net import)
    work started: interruptible work not served and deferrable work waiting,
    within the IT capacity; battery charge raised (within the charger's capacity
    and the room left) and discharge cancelled; output of renewables and geothermal
    without a ramp limit cut (down to their minimum).

Work of 1 MW is PUE_t (1 - idle) MW of facility power. The net import after a call
stays within the export limit (up) and the import limit (down).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dispatch.core.names import VARIABLE_RENEWABLES
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    import linopy
    import pypsa
    import xarray as xr

    from dispatch.model.draft import NetworkDraft

FLEXIBILITY_MARKETS = "flexibility_markets"
"""Key of ``n.meta``: each site's market, a mapping with ``site``, ``value_up`` and
``value_down`` (availability price plus activation share x price) [currency/MW/h] and
``max_offer_mw`` [MW] (None: no limit)."""
OFFERED = "flexibility offered"
"""Name of a site's offer variables: ``S flexibility offered up`` and ``... down`` [MW]."""
WORK_UP_ROWS = ("interruptible up", "deferrable up window")
"""Rows ``S flexibility PART`` of a site's work stopped whose right-hand side is work
the baseline may not leave unserved or defer: 0 in the baseline
(:func:`baseline_offers`)."""
SUPPLY_CARRIERS = (*VARIABLE_RENEWABLES, "geothermal")
"""Carriers of the Generators on a site bus whose output an offer may move."""


def flexibility_market_entries(study: Study, site: str) -> list[dict]:
    """``site``'s flexibility market as ``n.meta`` holds it (none: empty)."""
    grid = study.sites[site].grid
    if grid is None or grid.flexibility_market is None:
        return []
    market = grid.flexibility_market
    return [
        {
            "site": site,
            "value_up": market.value_up(),
            "value_down": market.value_down(),
            "max_offer_mw": market.max_offer_mw,
        }
    ]


def record_flexibility_market(n: NetworkDraft, study: Study, site: str) -> None:
    """Write ``site``'s market into ``n.meta`` for :func:`add_flexibility_offers`."""
    entries = flexibility_market_entries(study, site)
    if entries:
        n.meta = {**n.meta, FLEXIBILITY_MARKETS: [*n.meta.get(FLEXIBILITY_MARKETS, []), *entries]}


def merge_flexibility_markets(merged: pypsa.Network, networks: list[pypsa.Network]) -> None:
    """Give a network merged from ``networks`` the flexibility markets of them all."""
    entries = [entry for n in networks for entry in n.meta.get(FLEXIBILITY_MARKETS, [])]
    if entries:
        merged.meta = {**merged.meta, FLEXIBILITY_MARKETS: entries}


class _Site:
    """One site's offer being written on ``n.model``: its variables and rows, named
    ``S flexibility PART``, and its limits per step from the network's components."""

    def __init__(self, n: pypsa.Network, site: str) -> None:
        import xarray as xr

        self.n, self.model, self.site = n, n.model, site
        self.snapshots = n.snapshots.rename("snapshot")
        self.step = xr.DataArray(
            n.snapshot_weightings.objective.to_numpy(), coords=[self.snapshots]
        )

    def variable(self, part: str, upper: float = np.inf) -> linopy.Variable:
        """A variable per step in [0, upper] [MW]."""
        return self.model.add_variables(
            lower=0.0, upper=upper, coords=[self.snapshots], name=f"{self.site} flexibility {part}"
        )

    def row(self, constraint: linopy.Constraint, part: str) -> None:
        self.model.add_constraints(constraint, name=f"{self.site} flexibility {part}")

    def flow(self, component: str, name: str, attribute: str = "p") -> linopy.Variable:
        """The model's variable ``Component-attribute`` of component ``name``."""
        return self.model[f"{component}-{attribute}"].sel(name=name, drop=True)

    def per_step(self, values: np.ndarray | float) -> xr.DataArray:
        import xarray as xr

        values = np.broadcast_to(values, len(self.snapshots)).copy()
        return xr.DataArray(values, coords=[self.snapshots])

    def limit(self, component: str, attribute: str, name: str) -> xr.DataArray:
        """Nominal value times the per-unit ``attribute`` (static or per snapshot) of
        component ``name`` at each step [MW or MWh]."""
        nominal = "e_nom" if component == "Store" else "p_nom"
        per_unit = self.n.get_switchable_as_dense(component, attribute)[name]
        value = float(self.n.c[component].static.at[name, nominal])
        return self.per_step(value * per_unit.to_numpy(dtype=float))


def add_flexibility_offers(n: pypsa.Network) -> None:
    """The offers of ``n.meta``'s flexibility markets on ``n.model``: for each site
    the variables ``S flexibility offered up`` and ``... down`` [MW], their parts and
    rows (module docstring), and minus sum_t w_t (value_up x up_t + value_down x
    down_t) in the objective."""
    entries = n.meta.get(FLEXIBILITY_MARKETS, [])
    if not entries:
        return
    revenue = 0
    for entry in entries:
        o = _Site(n, entry["site"])
        largest = np.inf if entry["max_offer_mw"] is None else float(entry["max_offer_mw"])
        offered_up = o.variable("offered up", largest)
        offered_down = o.variable("offered down", largest)
        up, down = _parts(o)
        o.row(offered_up - up <= 0, "up headroom")
        o.row(offered_down - down <= 0, "down headroom")
        grid_import = o.flow("Link", f"{o.site} grid import")
        grid_export = o.flow("Link", f"{o.site} grid export")
        export_limit = o.limit("Link", "p_max_pu", f"{o.site} grid export")
        import_limit = o.limit("Link", "p_max_pu", f"{o.site} grid import")
        o.row(grid_export - grid_import + offered_up <= export_limit, "up export limit")
        o.row(grid_import - grid_export + offered_down <= import_limit, "down import limit")
        revenue = (
            revenue
            + (entry["value_up"] * o.step * offered_up).sum()
            + (entry["value_down"] * o.step * offered_down).sum()
        )
    n.model.add_objective(n.model.objective.expression - revenue, overwrite=True)


def _parts(o: _Site) -> tuple[linopy.LinearExpression, linopy.LinearExpression]:
    """A site's offer parts, up and down, summed in MW of net import."""
    up, down = _work_parts(o)
    if f"{o.site} battery" in o.n.stores.index:
        battery_up, battery_down = _battery_parts(o)
        up, down = up + battery_up, down + battery_down
    generators = o.n.generators
    movable = generators.index[
        (generators.bus == o.site)
        & generators.carrier.isin(SUPPLY_CARRIERS)
        & generators.ramp_limit_up.isna()
        & generators.ramp_limit_down.isna()
    ]
    for k, name in enumerate(movable):
        output = o.flow("Generator", name)
        raised, cut = o.variable(f"supply up {k}"), o.variable(f"supply down {k}")
        o.row(output + raised <= o.limit("Generator", "p_max_pu", name), f"supply up {k}")
        o.row(cut - output <= -o.limit("Generator", "p_min_pu", name), f"supply down {k}")
        up, down = up + [raised], down + [cut]
    return _total(up), _total(down)


def _work_parts(o: _Site) -> tuple[list, list]:
    """Work stopped (up) and started (down), in MW of facility power: interruptible
    work within what is offered, deferrable work within its deadline window and
    what waits, all within the IT capacity and above the minimum IT power."""
    n, site = o.n, o.site
    stopped: list = []
    started: list = []
    if f"{site} lost work" in n.generators.index:
        lost = o.flow("Generator", f"{site} lost work")
        stop, start = o.variable("interruptible up"), o.variable("interruptible down")
        o.row(stop + lost <= o.limit("Generator", "p_max_pu", f"{site} lost work"), WORK_UP_ROWS[0])
        o.row(start - lost <= 0, "interruptible down")
        stopped.append(stop)
        started.append(start)
    if f"{site} backlog" in n.stores.index:
        level = o.flow("Store", f"{site} backlog", "e")
        window = -o.limit("Store", "e_min_pu", f"{site} backlog")
        stop, start = o.variable("deferrable up"), o.variable("deferrable down")
        o.row(stop - o.flow("Link", f"{site} deferrable") <= 0, "deferrable up served")
        o.row(o.step * stop - level <= window, WORK_UP_ROWS[1])
        o.row(o.step * start + level <= 0, "deferrable down waiting")
        stopped.append(stop)
        started.append(start)
    if not stopped:
        return [], []
    compute_name = f"{site} compute"
    compute = o.flow("Link", compute_name)
    busy = 1.0 / float(n.links.at[compute_name, "efficiency"])  # 1 - idle
    o.row(
        compute + busy * _total(started) <= o.limit("Link", "p_max_pu", compute_name),
        "work down capacity",
    )
    minimum = o.limit("Link", "p_min_pu", compute_name)
    if (minimum > 0).any():
        o.row(busy * _total(stopped) - compute <= -minimum, "work up minimum")
    facility = n.get_switchable_as_dense("Link", "efficiency")[f"{site} facility"]
    per_work = o.per_step(busy / facility.to_numpy(dtype=float))  # PUE_t (1 - idle)
    return [per_work * _total(stopped)], [per_work * _total(started)]


def _battery_parts(o: _Site) -> tuple[list, list]:
    """A battery's parts: charging cancelled and discharge raised (up), charge raised
    and discharging cancelled (down), within power and energy [MW at the site bus]."""
    n, battery = o.n, f"{o.site} battery"
    charger, discharger = f"{battery} charger", f"{battery} discharger"
    charge, discharge = o.flow("Link", charger), o.flow("Link", discharger)
    eta_in = float(n.links.at[charger, "efficiency"])
    eta_out = float(n.links.at[discharger, "efficiency"])
    level = o.flow("Store", battery, "e")
    cancel_charge, more_discharge = (
        o.variable("battery up charge"),
        o.variable("battery up discharge"),
    )
    more_charge, cancel_discharge = (
        o.variable("battery down charge"),
        o.variable("battery down discharge"),
    )
    o.row(cancel_charge - charge <= 0, "battery up charge")
    o.row(
        discharge + more_discharge / eta_out <= o.limit("Link", "p_max_pu", discharger),
        "battery up discharge",
    )
    o.row(
        level - o.step * (more_discharge / eta_out + eta_in * cancel_charge)
        >= o.limit("Store", "e_min_pu", battery),
        "battery up energy",
    )
    o.row(charge + more_charge <= o.limit("Link", "p_max_pu", charger), "battery down charge")
    # The discharger's flow counts at its input: eta_out x flow reaches the bus.
    o.row(cancel_discharge - eta_out * discharge <= 0, "battery down discharge")
    o.row(
        level + o.step * (eta_in * more_charge + cancel_discharge / eta_out)
        <= o.limit("Store", "e_max_pu", battery),
        "battery down energy",
    )
    return [cancel_charge, more_discharge], [more_charge, cancel_discharge]


def _total(parts: list) -> linopy.LinearExpression | int:
    """The sum of linopy expressions (0 for none)."""
    total = 0
    for part in parts:
        total = part + total if isinstance(total, int) else total + part
    return total


def baseline_offers(n: pypsa.Network) -> None:
    """In the baseline (MODEL.md §5: work served as it arrives) no work may be stopped:
    set the right-hand side of the rows of work stopped to 0 on ``n.model``. Built on
    a baseline network, they are 0 already (the window and the lost work's bound
    are)."""
    for entry in n.meta.get(FLEXIBILITY_MARKETS, []):
        for part in WORK_UP_ROWS:
            name = f"{entry['site']} flexibility {part}"
            if name in n.model.constraints:
                constraint = n.model.constraints[name]
                constraint.update(rhs=constraint.rhs * 0.0)


def is_offer_variable(n: pypsa.Network, name: str) -> bool:
    """Whether the linopy variable ``name`` is part of a site's offer of flexibility.

    Offers move no power: every row holds with them at 0, so a plan without them
    (e.g. the flexibility envelope's) may take them as 0.
    """
    return any(
        name.startswith(f"{entry['site']} flexibility ")
        for entry in n.meta.get(FLEXIBILITY_MARKETS, [])
    )


def offers(n: pypsa.Network, site: str) -> dict[str, np.ndarray] | None:
    """A solved model's offers of ``site``, ``up`` and ``down`` [MW]; None without a
    market (or without the model that holds them)."""
    model = getattr(n, "_model", None)
    name = f"{site} {OFFERED} up"
    if model is None or name not in model.variables:
        return None
    return {
        direction: model.variables[f"{site} {OFFERED} {direction}"]
        .solution.to_numpy()
        .astype(float)
        for direction in ("up", "down")
    }
