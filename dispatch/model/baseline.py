"""The baseline run of MODEL.md §5 from the flexible run's network."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dispatch.model.flexibility import baseline_offers

if TYPE_CHECKING:
    import pypsa


def to_baseline(n: pypsa.Network) -> None:
    """Turn a flexible-run network into the baseline run of MODEL.md §5, in place.

    Deferrable work is served as it arrives (the backlog is held at zero after every
    step), interruptible work is served in full (no work may be lost) and every site
    serves its own work (routes carry nothing). Assets,
    grid and site limits stay the same. If ``n.model`` exists, its bounds follow.
    """
    backlogs = n.stores.index[n.stores.carrier == "backlog"]
    lost = n.generators.index[n.generators.carrier == "lost_work"]
    routes = n.links.index[n.links.carrier == "route"]
    n.stores_t.e_min_pu.loc[:, backlogs] = 0.0
    n.generators_t.p_max_pu.loc[:, lost] = 0.0
    n.links.loc[routes, "p_max_pu"] = 0.0
    n.meta = {**n.meta, "run": "baseline"}
    if getattr(n, "_model", None) is None:
        return
    for constraint, names in (
        ("Store-fix-e-lower", backlogs),
        ("Generator-fix-p-upper", lost),
        ("Link-fix-p-upper", routes),
    ):
        if len(names):
            rhs = n.model.constraints[constraint].rhs.copy()
            rhs.loc[{"name": list(names)}] = 0.0
            n.model.constraints[constraint].update(rhs=rhs)
    baseline_offers(n)
