"""The data centre of a site: the facility -> IT -> compute chain with its idle draw,
and the workload classes served on it (firm, interruptible with lost work, deferrable
with its backlog)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dispatch.model.attributes import per_unit, ramp_limits
from dispatch.model.heat import add_heat_reuse
from dispatch.model.sizing import expansion_attributes, it_capacity_bound
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    from dispatch.model.draft import NetworkDraft


def backlog_window(
    study: Study, site: str, due_mwh: np.ndarray | None = None, empty_at_end: bool = True
) -> np.ndarray:
    """Largest backlog allowed after each step: work that arrived within D [MWh].

    The initial backlog counts as arriving at the start, so it is due within D of
    the start (within the first step if D is 0), unless ``due_mwh`` says when it is
    due: how much of it must be served by the end of each step [MWh], non-decreasing,
    its last value the whole initial backlog. The window is 0 after the last step
    (the horizon's end), unless ``empty_at_end`` is False (a window of a longer
    horizon, whose work may wait beyond it within its deadline).
    """
    deferrable = study.sites[site].datacentre.deferrable
    arrivals = study.values(site, "datacentre.deferrable.arrivals_mwh").copy()
    steps = int(round(deferrable.max_delay_h / study.step_h))
    cumulative = np.concatenate([[0.0], np.cumsum(arrivals)])
    t = np.arange(len(arrivals))
    window = cumulative[t + 1] - cumulative[np.maximum(t + 1 - steps, 0)]
    if due_mwh is None:
        window[:steps] += deferrable.initial_backlog_mwh
    else:
        window += deferrable.initial_backlog_mwh - due_mwh
    if empty_at_end:
        window[-1] = 0.0
    return window


def add_datacentre(n: NetworkDraft, study: Study, name: str, firm_routed: set[str]) -> None:
    """The data centre of site ``name`` and its work, behind the site bus ``S``.

    ``S facility`` (efficiency 1/PUE_t, waste heat on bus2 with heat reuse) feeds
    ``S IT``, which carries the idle draw; ``S compute`` turns the rest into work
    served on ``S work``. Sites in ``firm_routed`` (other sites may serve their firm
    work) get a firm bus of their own.
    """
    dc, w, sns = study.sites[name].datacentre, study.step_h, n.snapshots
    capacity, idle = it_capacity_bound(dc), dc.idle_fraction
    pue = study.values(name, "datacentre.pue")
    it, work = f"{name} IT", f"{name} work"
    n.add("Bus", [it, work], carrier=["it", "compute"], unit="MW")
    facility_nom = capacity * float(pue.max())
    waste_heat = {}
    if dc.heat_reuse is not None:
        waste_heat = {
            "bus2": add_heat_reuse(n, study, name),
            "efficiency2": pd.Series(dc.heat_reuse.recoverable_fraction / pue, sns),
        }
    n.add(
        "Link",
        f"{name} facility",
        bus0=name,
        bus1=it,
        carrier="facility",
        p_nom=facility_nom,
        efficiency=pd.Series(1.0 / pue, sns),
        **waste_heat,
        **ramp_limits(
            None if dc.facility_ramp_mw_per_h is None else dc.facility_ramp_mw_per_h / facility_nom,
            w,
        ),
    )
    if idle > 0 and dc.it_expansion is None:
        n.add("Load", f"{name} idle", bus=it, carrier="idle", p_set=idle * capacity)
    elif idle > 0:
        # Sized IT capacity: the idle draw idle * C follows the chosen C through
        # tie_idle_draw_to_it_capacity on the model.
        n.add(
            "Generator",
            f"{name} idle",
            bus=it,
            carrier="idle",
            p_nom_extendable=True,
            p_min_pu=-1.0,
            p_max_pu=-1.0,
        )
    n.add(
        "Link",
        f"{name} compute",
        bus0=it,
        bus1=work,
        carrier="compute",
        p_nom=(1 - idle) * capacity,
        efficiency=1.0 / (1 - idle),
        p_min_pu=max(0.0, dc.min_it_pu - idle) / (1 - idle),
        **expansion_attributes(dc.it_expansion, study, scale=1 - idle),
    )
    _add_firm(n, study, name, capacity if name in firm_routed else None)
    if dc.interruptible is not None:
        _add_interruptible(n, study, name)
    if dc.deferrable is not None:
        _add_deferrable(n, study, name, capacity)


def _add_firm(n: NetworkDraft, study: Study, name: str, routed_mw: float | None) -> None:
    """Firm work: a Load on ``S work``, or on a bus ``S firm`` of its own, fed by
    ``S firm local`` (capacity ``routed_mw``), when other sites may serve it."""
    work = firm_bus = f"{name} work"
    if routed_mw is not None:
        # Firm work that other sites may serve gets its own bus, so that work moved
        # for it cannot stand in for this site's deferrable or interruptible work.
        firm_bus = f"{name} firm"
        n.add("Bus", firm_bus, carrier="firm", unit="MW")
        n.add(
            "Link", f"{name} firm local", bus0=work, bus1=firm_bus, carrier="firm", p_nom=routed_mw
        )
    n.add(
        "Load",
        f"{name} firm",
        bus=firm_bus,
        carrier="firm",
        p_set=pd.Series(study.values(name, "datacentre.firm_mw"), n.snapshots),
    )


def _add_interruptible(n: NetworkDraft, study: Study, name: str) -> None:
    """Interruptible work: the offer as a Load on ``S work``, and ``S lost work``
    supplying the part not served, at most the offer, at the value of lost work."""
    sns, work = n.snapshots, f"{name} work"
    offered = study.values(name, "datacentre.interruptible.offered_mw")
    offered_nom, offered_pu = per_unit(offered)
    n.add(
        "Load",
        f"{name} interruptible",
        bus=work,
        carrier="interruptible",
        p_set=pd.Series(offered, sns),
    )
    n.add(
        "Generator",
        f"{name} lost work",
        bus=work,
        carrier="lost_work",
        p_nom=offered_nom,
        p_max_pu=pd.Series(offered_pu, sns),
        marginal_cost=study.sites[name].datacentre.interruptible.value_of_lost_work,
    )


def _add_deferrable(n: NetworkDraft, study: Study, name: str, capacity: float) -> None:
    """Deferrable work: arrivals as a Load on ``S queue``, served from ``S work``
    through ``S deferrable`` (at most ``capacity`` [MW]); the Store ``S backlog``
    holds minus the backlog, at least minus :func:`backlog_window`."""
    sns, w = n.snapshots, study.step_h
    deferrable = study.sites[name].datacentre.deferrable
    queue = f"{name} queue"
    window = backlog_window(study, name)
    e_nom = max(float(window.max()), 1.0)
    n.add("Bus", queue, carrier="deferrable", unit="MW")
    n.add(
        "Link",
        f"{name} deferrable",
        bus0=f"{name} work",
        bus1=queue,
        carrier="deferrable",
        p_nom=capacity,
    )
    n.add(
        "Load",
        f"{name} arrivals",
        bus=queue,
        carrier="deferrable",
        p_set=pd.Series(study.values(name, "datacentre.deferrable.arrivals_mwh") / w, sns),
    )
    n.add(
        "Store",
        f"{name} backlog",
        bus=queue,
        carrier="backlog",
        e_nom=e_nom,
        e_max_pu=0.0,
        e_min_pu=pd.Series(-window / e_nom, sns),
        e_initial=-deferrable.initial_backlog_mwh,
        e_cyclic=False,
    )
