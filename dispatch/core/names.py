"""Names every layer shares: carriers, workload classes, runs, and how components,
routes and constraints are named in the PyPSA network.

The network builder (:mod:`dispatch.model`) gives components these names; the
results, the infeasibility explanation and the invariants find them by the same.
"""

from __future__ import annotations

from typing import Any

CARRIERS: dict[str, dict] = {
    "solar": {"nice_name": "Solar PV", "color": "#f9d002"},
    "wind": {"nice_name": "Onshore wind", "color": "#235ebc"},
    "run_of_river": {"nice_name": "Run-of-river hydro", "color": "#3dbfb0"},
    "geothermal": {"nice_name": "Geothermal", "color": "#ba5d2b"},
    "reservoir": {"nice_name": "Reservoir hydro", "color": "#298c81"},
    "battery": {"nice_name": "Battery", "color": "#ace37f"},
    "grid_import": {"nice_name": "Grid import", "color": "#8c8c8c"},
    "grid_export": {"nice_name": "Grid export", "color": "#bfbfbf"},
    "grid": {"nice_name": "Grid connection point", "color": "#4d4d4d"},
    "electricity": {"nice_name": "Site electricity", "color": "#666666"},
    "it": {"nice_name": "IT power", "color": "#8e44ad"},
    "facility": {"nice_name": "Facility (PUE)", "color": "#9b59b6"},
    "compute": {"nice_name": "Compute", "color": "#7d3c98"},
    "idle": {"nice_name": "Idle IT draw", "color": "#d2b4de"},
    "firm": {"nice_name": "Firm inference", "color": "#c0392b"},
    "deferrable": {"nice_name": "Deferrable inference", "color": "#e67e22"},
    "interruptible": {"nice_name": "Interruptible inference", "color": "#f1c40f"},
    "lost_work": {"nice_name": "Interruptible work not served", "color": "#7f8c8d"},
    "backlog": {"nice_name": "Deferrable backlog", "color": "#d35400"},
    "route": {"nice_name": "Work moved between sites", "color": "#2980b9"},
    "waste_heat": {"nice_name": "Waste heat", "color": "#e6b0aa"},
    "heat": {"nice_name": "District heat", "color": "#c0392b"},
    "heat_pump": {"nice_name": "Heat pump", "color": "#a93226"},
}
VARIABLE_RENEWABLES = ("solar", "wind", "run_of_river")
"""Carriers of the network with their display names and colours (PyPSA's ``n.carriers``)."""
LOCAL_CARRIERS = (*VARIABLE_RENEWABLES, "geothermal", "reservoir", "battery")
"""Local sources whose output is reported per carrier."""
CURTAILABLE = (*VARIABLE_RENEWABLES, "geothermal", "reservoir")
"""Sources whose unused availability counts as curtailment (MODEL.md; geothermal: the
steam vented, where the scenario gives the field's steam)."""
WORKLOADS = ("idle", "firm", "deferrable", "interruptible")
"""The data centre's draw by class: idle IT draw and the three workload classes."""
RUNS = ("flexible", "baseline")
"""The two runs of every study: with the workload's flexibility, and without."""
HOURS_PER_YEAR = 8760.0
"""Hours of a (non-leap) year, the period of annualised costs [h]."""
CFE_CONSTRAINT = "cfe_target"
"""Name of the carbon-free energy target constraint."""
EMISSION_CONSTRAINT = "emission_cap"
"""Name of the emission cap constraint."""
BATTERY_POWER = "battery power"
"""Prefix of the constraints ``"battery power SITE"`` of sized battery power."""
ROUTE_CAPACITY = "Link-route_capacity-upper"
"""Name of the constraint by which the classes of a route share its capacity."""


def route_name(origin: str, destination: str) -> str:
    """A route's name: ``"ORIGIN->DESTINATION"``."""
    return f"{origin}->{destination}"


def route_link(name: str, classes: tuple[str, ...], workload: str) -> str:
    """The Link that carries work of class ``workload`` on route ``name``: the route's
    name if it carries one class, ``NAME CLASS`` if it carries both."""
    return name if len(classes) == 1 else f"{name} {workload}"


def route_target(route: Any, workload: str) -> str:
    """The bus at the origin that work of class ``workload`` moved on ``route`` feeds."""
    return f"{route.origin} {'firm' if workload == 'firm' else 'queue'}"
