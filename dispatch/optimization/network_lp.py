"""The numbers of a PyPSA network in its LP: which input attributes can change in a
built model without changing its structure, and the costs, bounds, right-hand sides
and coefficients they give, as PyPSA 1.4's ``create_model`` writes them for
components of fixed capacity.

A network whose inputs differ from the built one's only in :data:`WRITTEN` attributes
(and in them only where the LP keeps its shape) is the same LP with other numbers:
:func:`write_changes` writes those numbers into HiGHS. Anything else that differs
(another component, snapshot, bus, carrier, cyclic storage, ramp limit, a capacity
to size ...) is named by :func:`difference_not_written`, and the model must be built
anew.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dispatch.optimization.highs_lp import LpChanges

if TYPE_CHECKING:
    import pypsa

WRITTEN: dict[str, tuple[str, ...]] = {
    "Generator": ("p_nom", "p_min_pu", "p_max_pu", "marginal_cost"),
    "Link": ("p_nom", "p_min_pu", "p_max_pu", "marginal_cost", "efficiency", "efficiency2"),
    "Store": ("e_nom", "e_min_pu", "e_max_pu", "e_initial", "marginal_cost"),
    "StorageUnit": ("inflow", "state_of_charge_initial"),
    "Load": ("p_set",),
}
"""Input attributes, by component, whose values :func:`write_changes` writes."""

Inputs = dict[tuple[str, str], np.ndarray]
"""Values of the :data:`WRITTEN` attributes: (component, attribute) -> one value per
component name, or per snapshot and name for attributes that may vary in time."""

_TOPOLOGY = ("SubNetwork", "control")
"""What PyPSA derives from the buses and branches when it builds a model (sub-networks,
a slack generator per bus): the same for networks of equal components."""

_NETWORK_ATTRIBUTES = ("snapshots", "snapshot_weightings", "investment_periods", "srid", "crs")


def network_inputs(n: pypsa.Network) -> Inputs:
    """Copies of the values of the :data:`WRITTEN` attributes of ``n``."""
    inputs: Inputs = {}
    for component, attributes in WRITTEN.items():
        c = n.c[component]
        if c.static.empty:
            continue
        for attribute in attributes:
            if attribute not in c.static:  # e.g. efficiency2 of Links without bus2
                continue
            if c.defaults.at[attribute, "varying"]:
                values = n.get_switchable_as_dense(component, attribute).to_numpy()
            else:
                values = c.static[attribute].to_numpy()
            inputs[component, attribute] = np.array(values, dtype=float)
    return inputs


def difference_not_written(new: pypsa.Network, built: pypsa.Network) -> str | None:
    """What in ``new`` differs from ``built`` other than values of :data:`WRITTEN`
    attributes (its structure, or an input it does not write), or None.

    Outputs of a solve are not compared. Components that are sized, committable or
    inactive are never written: a network with any of them differs.
    """
    for attribute in _NETWORK_ATTRIBUTES:
        if not _equal(getattr(new, attribute), getattr(built, attribute)):
            return f"network {attribute}"
    for c in new.components:
        if c.name in _TOPOLOGY:
            continue
        other = built.c[c.name]
        if not c.static.index.equals(other.static.index):
            return f"{c.name} components"
        if c.static.empty:
            continue
        for flag in ("p_nom_extendable", "e_nom_extendable", "committable"):
            if flag in c.static and c.static[flag].any():
                return f"{c.name} {flag}"
        if "active" in c.static and not c.static["active"].all():
            return f"{c.name} active"
        written = WRITTEN.get(c.name, ())
        outputs = set(c.defaults.index[c.defaults["status"] == "Output"])
        for column in set(c.static.columns) | set(other.static.columns):
            if column in written or column in outputs or column in _TOPOLOGY:
                continue
            if column not in c.static or column not in other.static:
                return f"{c.name} {column}"
            if not _equal(c.static[column], other.static[column]):
                return f"{c.name} {column}"
        for attribute in set(c.dynamic) | set(other.dynamic):
            if attribute in written or attribute in outputs:
                continue
            if not _equal(c.dynamic.get(attribute), other.dynamic.get(attribute)):
                return f"{c.name} {attribute} (time series)"
    return None


def write_changes(lp: LpChanges, n: pypsa.Network, written: Inputs, new: Inputs) -> bool:
    """Write into ``lp`` what changes from the LP of inputs ``written`` to that of inputs
    ``new`` (both of network ``n``'s structure); False if it cannot be written (the
    spill of a reservoir appears or disappears), and then ``lp`` is incomplete."""
    changed: dict[str, np.ndarray] = {}
    for (component, attribute), values in new.items():
        differs = written[component, attribute] != values
        if differs.ndim == 2:
            differs = differs.any(axis=0)
        changed[component] = changed.get(component, False) | differs
    weights = n.snapshot_weightings.objective.to_numpy()
    for component, differs in changed.items():
        if not np.any(differs):
            continue
        names = n.c[component].static.index[differs]
        if component == "Load":
            _write_loads(lp, n, new, names)
        elif component == "StorageUnit":
            if not _write_storage_units(lp, n, written, new, names):
                return False
        else:
            _write_component(lp, n, component, new, names, weights)
    return True


def _column(
    n: pypsa.Network, component: str, inputs: Inputs, attribute: str, name: str
) -> np.ndarray | float:
    """The values of ``attribute`` of component ``name``: per snapshot or one value."""
    values = inputs[component, attribute]
    position = n.c[component].static.index.get_loc(name)
    return values[:, position] if values.ndim == 2 else values[position]


def _write_component(
    lp: LpChanges,
    n: pypsa.Network,
    component: str,
    inputs: Inputs,
    names: pd.Index,
    weights: np.ndarray,
) -> None:
    """Bounds and costs of Generators, Links or Stores ``names`` (PyPSA's operational
    limits of fixed capacities, ramp limits, energy balance start, marginal costs)."""
    constraints = lp.positions.model.constraints
    dispatch, nominal = ("e", "e_nom") if component == "Store" else ("p", "p_nom")
    static = n.c[component].static
    for name in names:
        value = {
            attribute: _column(n, component, inputs, attribute, name)
            for component_, attribute in inputs
            if component_ == component
        }
        capacity = value[nominal]
        for side in ("lower", "upper"):
            per_unit = value[f"{dispatch}_{'min' if side == 'lower' else 'max'}_pu"]
            # PyPSA's bound of an infinite capacity with a zero per-unit limit is 0.
            bound = np.where(np.isinf(capacity) & (per_unit == 0), 0.0, per_unit * capacity)
            lp.row_bound(f"{component}-fix-{dispatch}-{side}", name, bound)
        for direction, sign in (("up", 1.0), ("down", -1.0)):
            ramp = f"{component}-p-ramp_limit_{direction}"
            if ramp in constraints:
                limit = n.get_switchable_as_dense(component, f"ramp_limit_{direction}")[name]
                lp.row_bound(ramp, name, sign * limit.fillna(1.0).to_numpy() * capacity)
        lp.cost(f"{component}-p", name, value["marginal_cost"] * np.ones_like(weights))
        if component == "Store" and not static.at[name, "e_cyclic"]:
            start = np.zeros(len(weights))
            start[0] = -value["e_initial"]
            lp.row_bound("Store-energy_balance", name, start)
        if component == "Link":
            for bus, efficiency in (("bus1", "efficiency"), ("bus2", "efficiency2")):
                if efficiency in value and static.at[name, bus]:
                    lp.coefficient(
                        "Bus-nodal_balance",
                        static.at[name, bus],
                        "Link-p",
                        name,
                        value[efficiency] * np.ones(len(weights)),
                    )


def _write_loads(lp: LpChanges, n: pypsa.Network, inputs: Inputs, names: pd.Index) -> None:
    """Bus balances of the buses of Loads ``names``: each step's total load [MW]."""
    loads = n.c.loads.static
    demand = pd.DataFrame(inputs["Load", "p_set"], columns=loads.index)
    by_bus = demand.T.groupby(loads.bus).sum().T
    for bus in loads.bus[names].unique():
        lp.row_bound("Bus-nodal_balance", bus, by_bus[bus].to_numpy())


def _write_storage_units(
    lp: LpChanges, n: pypsa.Network, written: Inputs, inputs: Inputs, names: pd.Index
) -> bool:
    """Energy balance (inflow, initial level) and spill bound of StorageUnits ``names``;
    False if the steps with inflow, which have a spill column, change."""
    static, w = n.c.storage_units.static, n.snapshot_weightings.stores.to_numpy()
    for name in names:
        inflow = _column(n, "StorageUnit", inputs, "inflow", name)
        if not np.array_equal(inflow > 0, _column(n, "StorageUnit", written, "inflow", name) > 0):
            return False
        balance = -w * inflow
        if not static.at[name, "cyclic_state_of_charge"]:
            balance[0] -= _column(n, "StorageUnit", inputs, "state_of_charge_initial", name)
        lp.row_bound("StorageUnit-energy_balance", name, balance)
        if "StorageUnit-spill" in lp.positions.model.variables:
            columns = lp.positions.of("StorageUnit-spill", name)
            present = columns >= 0
            lp.column_bounds(columns[present], np.zeros(present.sum()), inflow[present])
    return True


def _equal(a: object, b: object) -> bool:
    """Whether two attribute values are equal: frames, series or indexes (None counting
    as an empty frame: a component without time series), or plain values."""
    frames = (pd.DataFrame, pd.Series, pd.Index)
    if isinstance(a, frames) or isinstance(b, frames):
        a, b = (pd.DataFrame() if x is None else x for x in (a, b))
        if a.empty and b.empty:
            return True
        return type(a) is type(b) and a.equals(b)
    return bool(a == b)
