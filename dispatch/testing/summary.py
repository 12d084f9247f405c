"""Key figures of the study: each site's and route's, and the study's as its sites'
together."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dispatch.testing.checker import Checker
from dispatch.testing.routes import check_route_summary
from dispatch.testing.site_summary import check_absorption, check_site_summary
from dispatch.testing.targets import target_limits

if TYPE_CHECKING:
    from dispatch.results.result import Result


SITE_SUMS = (
    "total_cost",
    "energy_cost",
    "carbon_cost",
    "lost_work_cost",
    "routing_cost",
    "capital_cost",
    "demand_charge_cost",
    "fixed_charge_cost",
    "contracted_mw",
    "flexibility_revenue",
    "offered_up_mwh",
    "offered_down_mwh",
    "heat_revenue",
    "heat_delivered_mwh",
    "heat_pump_energy_mwh",
    "pumped_mwh",
    "water_m3",
    "emissions_tco2",
    "facility_energy_mwh",
    "it_energy_mwh",
    "grid_import_mwh",
    "grid_export_mwh",
    "curtailment_mwh",
    "grid_surplus_absorbed_mwh",
    "deferred_energy_mwh",
    "unserved_mwh",
)
"""Key figures of the study that are the sum of its sites' [unit of the figure]."""


FLEXIBILITY_VALUES = frozenset(
    ("it_capacity_value_per_mw", "backlog_bound_value_per_mwh", "capacity_value_per_mw")
)
"""Marginal values of the flexible run's limits, per site or route [currency/MW or
currency/MWh]."""


def check_summary(result: Result, rtol: float, atol: float) -> None:
    """Key figures of every site and route, and the study's from the sites'."""
    summary, study = result.summary, result.study
    for site, figures in summary["sites"].items():
        check_site_summary(result, site, figures, rtol, atol)
    check = Checker("study, summary", study.snapshots, rtol, atol)
    check_route_summary(check, result)
    for run, totals in (("flexible", summary), ("baseline", summary["baseline"])):
        per_site = [f if run == "flexible" else f["baseline"] for f in summary["sites"].values()]
        check.equal(
            f"{run}: total cost = objective", totals["total_cost"], totals["objective"], "currency"
        )
        for name in SITE_SUMS:
            check.equal(
                f"{run}: {name} = sum over sites", totals[name], sum(f[name] for f in per_site), ""
            )
        for name in {key for f in per_site for key in f["capacities"]}:
            check.equal(
                f"{run}: capacity of {name} = sum over sites",
                totals["capacities"][name],
                sum(f["capacities"].get(name, 0.0) for f in per_site),
                "MWh" if name == "battery_energy" else "MW",
            )
        check.equal(
            f"{run}: max_delay_h = largest over sites",
            totals["max_delay_h"],
            max(f["max_delay_h"] for f in per_site),
            "h",
        )
        facility = totals["facility_energy_mwh"]
        for name in ("renewable_share", "cfe_score"):
            weighted = sum(f[name] * f["facility_energy_mwh"] for f in per_site)
            check.equal(
                f"{run}: {name} = sites' shares weighted by facility energy",
                totals[name],
                weighted / facility if facility > 0 else 0.0,
                "1",
            )
    check_absorption(check, summary)
    if not target_limits(study) and "operation" not in summary:
        # a realised operation is no optimum: forecasts may make it cost more than the
        # baseline optimum
        check.at_most(
            "flexible objective <= baseline objective (the baseline is a restriction)",
            summary["objective"],
            summary["baseline"]["objective"],
            summary["currency"],
        )
    limits = (
        *((f"site {site!r}", figures) for site, figures in summary["sites"].items()),
        *((f"route {name}", figures) for name, figures in summary["routes"].items()),
    )
    for where, figures in limits:
        for name in FLEXIBILITY_VALUES.intersection(figures):
            check.at_least(
                f"{where}: {name} >= 0 (relaxing a limit saves cost)",
                figures[name],
                0.0,
                summary["units"][name],
            )
