"""Network -> linopy model: PyPSA's model plus the constraints PyPSA has no component for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dispatch.core.errors import ScenarioError
from dispatch.model.carbon_targets import add_carbon_targets
from dispatch.model.constraints import (
    share_route_capacity,
    tie_battery_discharge_to_charge,
    tie_idle_draw_to_it_capacity,
)
from dispatch.model.flexibility import add_flexibility_offers
from dispatch.model.tariff import add_demand_charges

if TYPE_CHECKING:
    import linopy
    import pandas as pd
    import pypsa

    from dispatch.scenario.study import Study


def build_model(n: pypsa.Network, study: Study | None) -> linopy.Model:
    """The linopy model of a study's network, as :func:`dispatch.solve` builds it.

    PyPSA's model plus what PyPSA has no component for: the classes of a route
    sharing its capacity and the discharge power of a sized battery tied to its
    charge power (both from the network alone), the idle draw of
    sized IT capacity and the carbon targets (both need the study; without it, e.g.
    for a network read from ``network.nc``, they are left out).
    """
    try:
        model = n.optimize.create_model(include_objective_constant=False)
    except ValueError as exc:
        if "Objective function could not be created" not in str(exc):
            raise
        raise ScenarioError(
            str(study.source) if study is not None else n.name,
            "",
            "nothing to optimise: every cost, price and value of lost work is zero "
            "(give an asset a marginal cost or the grid a price)",
        ) from None
    add_network_constraints(n)
    if study is not None:
        tie_idle_draw_to_it_capacity(n, study)
        add_carbon_targets(n, study)
    return model


def add_network_constraints(n: pypsa.Network, snapshots: pd.Index | None = None) -> None:
    """Add to ``n.model`` the constraints of :func:`build_model` that the network alone
    gives: the classes of a route sharing its capacity, a sized battery's discharge
    power tied to its charge power, the billed peaks of the grid tariffs' demand
    charges (:mod:`dispatch.model.tariff`), the offers of flexibility markets
    (:mod:`dispatch.model.flexibility`).

    With them, a solved network written by ``dispatch`` (``network.nc``) re-solves to
    its optimum, unless the study had carbon targets or sized IT capacity with idle
    draw: ``n.optimize(extra_functionality=add_network_constraints)``. ``snapshots``
    is PyPSA's second argument of ``extra_functionality``, unused: the constraints
    span the model's snapshots.

    Examples
    --------
    >>> from dispatch import load_study, solve
    >>> result = solve(load_study("networks/olkaria", hours=24))
    >>> n = result.network.copy()
    >>> n.optimize(
    ...     extra_functionality=add_network_constraints,
    ...     include_objective_constant=False,
    ...     log_to_console=False,
    ... )
    ('ok', 'optimal')
    >>> abs(n.objective - result.summary["objective"]) < 1e-6 * result.summary["objective"]
    True
    """
    share_route_capacity(n)
    tie_battery_discharge_to_charge(n)
    add_demand_charges(n)
    add_flexibility_offers(n)
