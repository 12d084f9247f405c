"""Carbon targets: the CFE targets and the emission cap met by the flexible run, their
shadow prices, and no target binding the baseline."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dispatch.core.names import CFE_CONSTRAINT, EMISSION_CONSTRAINT
from dispatch.results.result import TARGET_UNITS
from dispatch.testing.checker import Checker
from dispatch.testing.series import series_values

if TYPE_CHECKING:
    from dispatch.results.result import Result
    from dispatch.scenario.study import Study


def target_limits(study: Study) -> dict[str, float]:
    """The study's carbon targets by the name of their constraint in the model: CFE
    targets ``"cfe_target SITE"`` and ``"cfe_target"`` (the study) [p.u.], the
    emission cap ``"emission_cap"`` [tCO2]."""
    scenario = study.scenario
    targets = {
        f"{CFE_CONSTRAINT} {site}": spec.cfe_target
        for site, spec in study.sites.items()
        if spec.cfe_target is not None
    }
    if scenario.cfe_target is not None:
        targets[CFE_CONSTRAINT] = scenario.cfe_target
    if scenario.emission_cap_tco2 is not None:
        targets[EMISSION_CONSTRAINT] = scenario.emission_cap_tco2
    return targets


def check_targets(result: Result, rtol: float, atol: float) -> None:
    """Carbon targets: met by the flexible run, priced, and absent from the baseline.

    A CFE target tau over sites S holds in its linear form
    sum_{s in S} sum_t w (facility_t - (1 - q_t) import_t) >= tau sum_{s in S} sum_t w
    facility_t, and the reported CFE score reaches tau; emissions stay within the
    cap. Each target's shadow price is non-negative, in currency/MWh (CFE) or
    currency/tCO2 (cap), and positive only where the target is met exactly.
    """
    study, summary = result.study, result.summary
    currency, w = study.scenario.currency, study.step_h
    check = Checker("flexible run, carbon targets", study.snapshots, rtol, atol)
    targets, prices = target_limits(study), summary["targets"]
    cfe_targets = {name for name in targets if name != EMISSION_CONSTRAINT}
    assert cfe_targets <= prices.keys() <= targets.keys(), (
        f"{check.where}: shadow prices of {sorted(prices)} for the targets {sorted(targets)}"
    )
    flexible = result.dispatch.sel(run="flexible")
    clean, facility = {}, {}
    for site in study.sites:
        d = flexible.sel(site=site)
        power = d.facility_power.sum("workload").to_numpy()
        dirty = (1 - series_values(study, site, "grid.clean_share")) * d.grid_import.to_numpy()
        clean[site], facility[site] = w * float(np.sum(power - dirty)), w * float(np.sum(power))
    for name, target in targets.items():
        if name == EMISSION_CONSTRAINT:
            value, bound, unit = summary["emissions_tco2"], target, "tCO2"
            check.at_most(f"{name}: emissions <= cap", value, bound, unit)
        else:
            site = name.removeprefix(CFE_CONSTRAINT).strip()
            sites, figures = ([site], summary["sites"][site]) if site else (study.sites, summary)
            value = sum(clean[s] for s in sites)
            bound, unit = target * sum(facility[s] for s in sites), "MWh"
            check.at_least(f"{name}: cfe_score >= target", figures["cfe_score"], target, "1")
            check.at_least(
                f"{name}: sum_t w (facility - (1 - q) import) >= target x sum_t w facility",
                value,
                bound,
                unit,
            )
        if name not in prices:  # an emission cap on a study that emits nothing
            continue
        price, expected_unit = prices[name]["shadow_price"], TARGET_UNITS[name.split()[0]]
        expected_unit = expected_unit.replace("currency", currency)
        assert prices[name]["unit"] == expected_unit, (
            f"{check.where}: {name}: shadow price in {prices[name]['unit']}, not {expected_unit}"
        )
        check.at_least(f"{name}: shadow price >= 0", price, 0.0, expected_unit)
        if price > atol:
            check.equal(
                f"{name}: met exactly where its shadow price is positive", value, bound, unit
            )
    model = getattr(result.network_baseline, "_model", None)
    if model is not None:
        kept = [name for name in model.constraints if name in targets]
        assert not kept, f"baseline run: carbon targets {kept} bind the baseline"
