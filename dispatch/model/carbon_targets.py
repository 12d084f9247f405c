"""Carbon targets: constraints on the linopy model that PyPSA has no component for.

A carbon-free-energy (CFE) target tau asks, for a site or the whole study,

    sum_t w (facility_t - (1 - q_t) import_t)  >=  tau  sum_t w facility_t

which is the CFE score of MODEL.md §6 without its max(0, .) per hour: the two agree
whenever import stays within facility power, and otherwise the constraint is the
stricter, so a met target is always met by the reported score. An emission cap
bounds sum_t w (g_t import_t + sum_c co2_c p_c,t) [tCO2] over the horizon. Targets bind
the flexible run only: the baseline shows the site without flexibility, which may be
unable to reach them. They live only in ``n.model`` (not in ``network.nc``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from dispatch.core.names import CFE_CONSTRAINT, EMISSION_CONSTRAINT, VARIABLE_RENEWABLES
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    import linopy
    import pypsa


def _hourly(study: Study, values: np.ndarray, snapshots: object) -> xr.DataArray:
    return xr.DataArray(values * study.step_h, coords={"snapshot": snapshots})


def _clean_energy(n: pypsa.Network, study: Study, site: str) -> tuple:
    """w facility_t - w (1 - q_t) import_t and w facility_t, as linopy expressions."""
    m, sns = n.model, n.snapshots
    facility = m["Link-p"].sel(name=f"{site} facility", drop=True)
    clean = facility * _hourly(study, np.ones(len(sns)), sns)
    if study.sites[site].grid is not None:
        dirty = 1 - study.values(site, "grid.clean_share")
        clean = clean - m["Link-p"].sel(name=f"{site} grid import", drop=True) * _hourly(
            study, dirty, sns
        )
    return clean.sum("snapshot"), (facility * study.step_h).sum("snapshot")


def _emissions(n: pypsa.Network, study: Study, site: str) -> linopy.LinearExpression | None:
    m, sns, spec = n.model, n.snapshots, study.sites[site]
    terms = []
    if spec.grid is not None:
        intensity = _hourly(study, study.values(site, "grid.carbon_intensity_t_per_mwh"), sns)
        terms.append((m["Link-p"].sel(name=f"{site} grid import", drop=True) * intensity).sum())
    for carrier in (*VARIABLE_RENEWABLES, "geothermal"):
        asset = getattr(spec, carrier)
        if asset is not None and asset.co2_t_per_mwh > 0:
            names = [f"{site} {carrier}"]
            if getattr(asset, "flexible_steam_pu", 0.0) > 0:
                names.append(f"{site} geothermal flexible steam")
            output = m["Generator-p"].sel(name=names).sum("name")
            terms.append((output * asset.co2_t_per_mwh * study.step_h).sum())
    return sum(terms[1:], terms[0]) if terms else None


def add_carbon_targets(n: pypsa.Network, study: Study) -> None:
    """Add the study's CFE targets and emission cap to ``n.model``."""
    m = n.model
    for site, spec in study.sites.items():
        if spec.cfe_target is not None:
            clean, facility = _clean_energy(n, study, site)
            m.add_constraints(
                clean - spec.cfe_target * facility >= 0, name=f"{CFE_CONSTRAINT} {site}"
            )
    scenario = study.scenario
    if scenario.cfe_target is not None:
        parts = [_clean_energy(n, study, site) for site in study.sites]
        clean = sum((p[0] for p in parts[1:]), parts[0][0])
        facility = sum((p[1] for p in parts[1:]), parts[0][1])
        m.add_constraints(clean - scenario.cfe_target * facility >= 0, name=CFE_CONSTRAINT)
    if scenario.emission_cap_tco2 is not None:
        terms = [e for site in study.sites if (e := _emissions(n, study, site)) is not None]
        if terms:
            emissions = sum(terms[1:], terms[0])
            m.add_constraints(emissions <= scenario.emission_cap_tco2, name=EMISSION_CONSTRAINT)


def remove_carbon_targets(n: pypsa.Network) -> None:
    """Drop the carbon targets from ``n.model`` (for the baseline run)."""
    for name in list(n.model.constraints):
        if name.startswith(CFE_CONSTRAINT) or name == EMISSION_CONSTRAINT:
            n.model.remove_constraints(name)


def target_shadow_prices(n: pypsa.Network) -> dict[str, float]:
    """Shadow price of each carbon target of a solved model.

    Returns
    -------
    dict
        ``"cfe_target"`` (study) and ``"cfe_target SITE"``: cost of one more MWh of
        carbon-free energy demanded [currency/MWh]; ``"emission_cap"``: cost saved by
        one more tCO2 allowed [currency/tCO2].
    """
    prices = {}
    for name, constraint in n.model.constraints.items():
        if name.startswith(CFE_CONSTRAINT):
            prices[name] = float(constraint.dual)
        elif name == EMISSION_CONSTRAINT:
            prices[name] = -float(constraint.dual)
    return prices
