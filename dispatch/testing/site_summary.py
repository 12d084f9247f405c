"""Key figures of a site (MODEL.md §6) recomputed from the hourly dataset and the
study, and the curtailment the flexible run absorbs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dispatch.results.figures import DEFAULT_WATER_M3_PER_MWH
from dispatch.testing.capacities import capital_cost
from dispatch.testing.checker import Checker
from dispatch.testing.flexibility import check_flexibility_figures
from dispatch.testing.routes import routes_by_name
from dispatch.testing.series import series_values
from dispatch.testing.tariff import check_tariff_figures, contracted_is_sized

if TYPE_CHECKING:
    import xarray as xr

    from dispatch.results.result import Result


def check_site_summary(result: Result, site: str, summary: dict, rtol: float, atol: float) -> None:
    """Key figures of MODEL.md §6 recomputed from the hourly dataset and the study."""
    study, ds = result.study, result.dispatch
    w, currency = study.step_h, result.study.scenario.currency
    spec = study.sites[site]
    dc = spec.datacentre
    check = Checker(f"site {site!r}, summary", study.snapshots, rtol, atol)
    figures = {"flexible": summary, "baseline": summary["baseline"]}
    dispatches = {"flexible": result.flexible[site], "baseline": result.baseline[site]}
    water_per_mwh = dc.water_m3_per_mwh
    if water_per_mwh is None:
        water_per_mwh = DEFAULT_WATER_M3_PER_MWH[dc.cooling]

    def energy(values: np.ndarray) -> float:
        return w * float(np.sum(values))

    def own(carriers: xr.DataArray) -> list[str]:
        """The carriers of a dataset dimension that this site has (others are NaN)."""
        return [str(c) for c in carriers.values if getattr(spec, str(c)) is not None]

    for run, fig in figures.items():
        d = ds.sel(run=run, site=site)
        facility = d.facility_power.sum("workload").to_numpy()
        grid_import = d.grid_import.to_numpy()
        check.equal(f"{run}: total cost = objective", fig["total_cost"], fig["objective"], currency)
        check.equal(
            f"{run}: total cost = energy + carbon + lost work + routing + capital cost - heat "
            "revenue + demand charges - flexibility revenue",
            fig["total_cost"],
            fig["energy_cost"]
            + fig["carbon_cost"]
            + fig["lost_work_cost"]
            + fig["routing_cost"]
            + fig["capital_cost"]
            - fig["heat_revenue"]
            + fig["demand_charge_cost"]
            + (fig["fixed_charge_cost"] if contracted_is_sized(study, site) else 0.0)
            - fig["flexibility_revenue"],
            currency,
        )
        check_tariff_figures(check, study, site, fig, grid_import, run)
        check_flexibility_figures(check, study, site, fig, dispatches[run], run)
        capacities = dispatches[run].capacities
        assert fig["capacities"] == capacities, (
            f"{check.where}: {run}: capacities {fig['capacities']} are not the run's {capacities}"
        )
        check.equal(
            f"{run}: capital cost = annuity x capex x horizon share x capacity, summed",
            fig["capital_cost"],
            capital_cost(study, site, capacities),
            currency,
        )
        heats = spec.datacentre.heat_reuse is not None  # else no heat variables
        heat_delivered = d.heat_delivered.to_numpy() if heats else np.zeros(1)
        heat_pump = d.heat_pump_power.to_numpy() if heats else np.zeros(1)
        heat_price = series_values(study, site, "datacentre.heat_reuse.price") if heats else 0.0
        check.equal(
            f"{run}: heat revenue = sum_t w price_t x heat delivered",
            fig["heat_revenue"],
            energy(heat_price * heat_delivered),
            currency,
        )
        check.equal(
            f"{run}: heat delivered", fig["heat_delivered_mwh"], energy(heat_delivered), "MWh"
        )
        pumps = spec.reservoir is not None and spec.reservoir.pump_mw > 0
        pump = d.reservoir_pump.to_numpy() if pumps else np.zeros(1)
        check.equal(f"{run}: pumped energy", fig["pumped_mwh"], energy(pump), "MWh")
        check.equal(
            f"{run}: heat pump energy",
            fig["heat_pump_energy_mwh"],
            energy(heat_pump),
            "MWh",
        )
        check.equal(
            f"{run}: water = m3 per MWh (default by cooling type) x IT energy",
            fig["water_m3"],
            water_per_mwh * energy(d.it_power.sum("workload")),
            "m3",
        )
        check.equal(
            f"{run}: routing cost = cost per MWh x work moved from here",
            fig["routing_cost"],
            sum(
                route.cost_per_mwh * energy(ds.moved_work.sel(run=run, route=name))
                for name, route in routes_by_name(study).items()
                if route.origin == site
            ),
            currency,
        )
        curtailment = {
            c: energy(d.curtailment.sel(curtailable=c))
            for c in own(ds.curtailable)
            if c in dispatches[run].curtailment
        }
        check.equal(
            f"{run}: vented geothermal = geothermal curtailment",
            fig["vented_geothermal_mwh"],
            curtailment.get("geothermal", 0.0),
            "MWh",
        )
        flexible_steam = 0.0
        if "geothermal" in curtailment:
            steady = d.available.sel(curtailable="geothermal") - d.curtailment.sel(
                curtailable="geothermal"
            )
            flexible_steam = energy((d.output.sel(carrier="geothermal") - steady).to_numpy())
        check.equal(
            f"{run}: flexible steam = geothermal output - (steam - vented)",
            fig["flexible_steam_mwh"],
            flexible_steam,
            "MWh",
        )
        throughput_cost = 0.0
        if (bat := spec.battery) is not None:
            discharge = d.output.sel(carrier="battery") + d.battery_charge
            throughput_cost = bat.throughput_cost_per_mwh * energy(discharge.to_numpy())
        check.equal(
            f"{run}: battery throughput cost = sum_t w c_dis x discharge",
            fig["battery_throughput_cost"],
            throughput_cost,
            currency,
        )
        check.equal(f"{run}: curtailment", fig["curtailment_mwh"], sum(curtailment.values()), "MWh")
        for carrier, value in curtailment.items():
            check.equal(
                f"{run}: curtailment of {carrier}",
                fig["curtailment_by_carrier_mwh"][carrier],
                value,
                "MWh",
            )
        unserved = energy(d.unserved)
        check.equal(f"{run}: unserved interruptible energy", fig["unserved_mwh"], unserved, "MWh")
        value_of_lost_work = dc.interruptible.value_of_lost_work if dc.interruptible else 0.0
        check.equal(
            f"{run}: lost work cost = V x unserved",
            fig["lost_work_cost"],
            value_of_lost_work * unserved,
            currency,
        )
        for name, values in (
            ("grid_import_mwh", grid_import),
            ("grid_export_mwh", d.grid_export),
            ("facility_energy_mwh", facility),
            ("it_energy_mwh", d.it_power.sum("workload")),
        ):
            check.equal(f"{run}: {name}", fig[name], energy(values), "MWh")
        emissions = series_values(study, site, "grid.carbon_intensity_t_per_mwh") * grid_import
        for carrier in own(d.carrier):
            intensity = getattr(getattr(spec, carrier), "co2_t_per_mwh", 0.0)
            emissions = emissions + intensity * d.output.sel(carrier=carrier).to_numpy()
        check.equal(f"{run}: emissions", fig["emissions_tco2"], energy(emissions), "tCO2")
        shares = {
            "renewable_share": np.maximum(0.0, facility - grid_import),
            "cfe_score": np.maximum(
                0.0, facility - (1 - series_values(study, site, "grid.clean_share")) * grid_import
            ),
        }
        for name, clean in shares.items():
            check.within(f"{run}: {name}", fig[name], 0.0, 1.0, "1")
            share = energy(clean) / energy(facility) if energy(facility) > 0 else 0.0
            check.equal(f"{run}: {name} (0 without facility energy)", fig[name], share, "1")
        surplus = study.series.get(f"{site}/grid.surplus_mw")
        check.equal(
            f"{run}: grid surplus absorbed = sum w min(import, surplus)",
            fig["grid_surplus_absorbed_mwh"],
            0.0 if surplus is None else energy(np.minimum(grid_import, surplus)),
            "MWh",
        )
        arrivals = series_values(study, site, "datacentre.deferrable.arrivals_mwh")
        check.equal(
            f"{run}: deferred energy = sum min(A_t, b_t)",
            fig["deferred_energy_mwh"],
            float(np.sum(np.minimum(arrivals, np.maximum(d.backlog.to_numpy(), 0.0)))),
            "MWh",
        )
        max_delay = (
            0.0 if run == "baseline" or dc.deferrable is None else (dc.deferrable.max_delay_h)
        )
        check.within(f"{run}: max_delay_h in [0, D]", fig["max_delay_h"], 0.0, max_delay, "h")

    check_absorption(check, summary)


def check_absorption(check: Checker, summary: dict) -> None:
    """Absorbed curtailment, by carrier and as a share, against the two runs'."""
    curtailment_baseline = summary["baseline"]["curtailment_mwh"]
    check.equal(
        "curtailment_baseline_mwh is the baseline's curtailment",
        summary["curtailment_baseline_mwh"],
        curtailment_baseline,
        "MWh",
    )
    check.equal(
        "absorbed = curtailment baseline - curtailment flexible",
        summary["absorbed_mwh"],
        curtailment_baseline - summary["curtailment_mwh"],
        "MWh",
    )
    for carrier, absorbed in summary["absorbed_by_carrier_mwh"].items():
        check.equal(
            f"absorbed of {carrier}",
            absorbed,
            summary["curtailment_baseline_by_carrier_mwh"][carrier]
            - summary["curtailment_by_carrier_mwh"][carrier],
            "MWh",
        )
    share = summary["absorbed_mwh"] / curtailment_baseline if curtailment_baseline > 0 else 0.0
    check.equal(
        "absorbed_share = absorbed / curtailment baseline",
        summary["absorbed_share"],
        share,
        "1",
    )
    check.at_most("absorbed_share <= 1", summary["absorbed_share"], 1.0, "1")
