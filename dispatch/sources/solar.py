"""Solar availability from weather: a PVWatts-like plant on a fixed or tracking mount.

The chain, every step from pvlib: the sun's position at the middle of each hour, the
plane of array (fixed, or a single-axis tracker with backtracking), the irradiance on
it (a transposition model and the ground's albedo), the module temperature (Faiman or
SAPM), the PVWatts DC power with its temperature coefficient, the system losses, the
inverter (PVWatts efficiency curve, or ideal) and the clipping at the AC rating. The
availability is the AC output per unit of the AC rating, which is what a study's
``solar.capacity_mw`` is; the DC array is ``dc_ac_ratio`` times that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from dispatch.scenario.quantities import StrictModel

if TYPE_CHECKING:
    from dispatch.sources.weather import Weather

SAPM_MOUNTS = Literal[
    "open_rack_glass_glass",
    "close_mount_glass_glass",
    "open_rack_glass_polymer",
    "insulated_back_glass_polymer",
]
"""Mounts of pvlib's SAPM module temperature parameters."""
STILL_AIR_MS = 1.0
"""Wind speed of the module temperature models for weather without wind [m/s]."""
ETA_INV_REF = 0.9637
"""PVWatts' reference inverter efficiency, at which its curve is normalised [-]."""


class SolarModel(StrictModel):
    """A PV plant as pvlib models it (PVWatts DC and inverter).

    The defaults are a utility plant of crystalline modules on an open rack, facing
    the equator at a tilt of the site's latitude, with PVWatts' system losses and
    inverter and 1.2 W of DC per W of AC.
    """

    mount: Literal["fixed", "single_axis"] = "fixed"
    """``fixed``: modules at ``tilt_deg`` and ``azimuth_deg``; ``single_axis``: rows
    on a horizontal or tilted axis turning east-west (``axis_*``, ``max_angle_deg``,
    ``backtrack``, ``gcr``) [-]."""
    tilt_deg: float | None = Field(default=None, ge=0, le=90)
    """Fixed mount: module tilt from horizontal; None: the site's absolute latitude
    [deg]."""
    azimuth_deg: float | None = Field(default=None, ge=0, lt=360)
    """Fixed mount: direction the modules face, clockwise from north; None: the
    equator (180 in the northern hemisphere, 0 in the southern) [deg]."""
    axis_tilt_deg: float = Field(default=0.0, ge=0, le=90)
    """Single axis: tilt of the axis from horizontal [deg]."""
    axis_azimuth_deg: float = Field(default=180.0, ge=0, lt=360)
    """Single axis: direction of the axis, clockwise from north (180: north-south)
    [deg]."""
    max_angle_deg: float = Field(default=60.0, gt=0, le=90)
    """Single axis: largest rotation either side of flat [deg]."""
    backtrack: bool = True
    """Single axis: turn back at low sun so that rows do not shade each other [-]."""
    gcr: float = Field(default=0.35, gt=0, lt=1)
    """Single axis: ground coverage ratio, module width over row pitch [-]."""
    transposition: Literal["isotropic", "klucher", "haydavies", "reindl", "perez"] = "perez"
    """Sky diffuse model of the plane-of-array irradiance (pvlib
    ``get_total_irradiance``) [-]."""
    albedo: float = Field(default=0.2, ge=0, le=1)
    """Share of the global horizontal irradiance the ground reflects [-]."""
    temperature_model: Literal["faiman", "sapm"] = "faiman"
    """Module temperature model: ``faiman`` (``faiman_u0``, ``faiman_u1``) or
    ``sapm`` (``sapm_mount``); both take the weather's wind speed as it is [-]."""
    faiman_u0: float = Field(default=25.0, gt=0, le=100)
    """Faiman: constant heat transfer coefficient [W m-2 K-1]."""
    faiman_u1: float = Field(default=6.84, ge=0, le=50)
    """Faiman: heat transfer coefficient per wind speed [W m-3 s K-1]."""
    sapm_mount: SAPM_MOUNTS = "open_rack_glass_polymer"
    """SAPM: the mount whose parameters pvlib lists [-]."""
    gamma_pdc_per_c: float = Field(default=-0.0037, ge=-0.02, le=0)
    """Temperature coefficient of DC power, per degree above 25 degC [1/degC]."""
    system_losses: float = Field(default=0.14, ge=0, lt=1)
    """Share of the DC power lost before the inverter (soiling, shading, mismatch,
    wiring, connections, degradation, availability; PVWatts' default 14 %) [-]."""
    dc_ac_ratio: float = Field(default=1.2, gt=0, le=5)
    """DC rating of the array over the AC rating of the inverters [-]."""
    inverter: Literal["pvwatts", "ideal"] = "pvwatts"
    """``pvwatts``: PVWatts' efficiency curve at part load, nominal
    ``inverter_efficiency``; ``ideal``: no loss. Both clip at the AC rating [-]."""
    inverter_efficiency: float = Field(default=0.96, gt=0, le=1)
    """PVWatts inverter: nominal efficiency, AC rating over the DC input at which
    it is reached [-]."""

    @model_validator(mode="after")
    def _orientation_of_the_mount(self) -> SolarModel:
        if self.mount != "fixed" and (self.tilt_deg is not None or self.azimuth_deg is not None):
            raise ValueError(
                "tilt_deg and azimuth_deg are of a fixed mount; a single-axis tracker "
                "takes axis_tilt_deg and axis_azimuth_deg"
            )
        return self

    def orientation(self, latitude: float) -> tuple[float, float]:
        """Tilt and azimuth of a fixed mount at ``latitude`` [deg north] [deg]."""
        tilt = abs(latitude) if self.tilt_deg is None else self.tilt_deg
        default_azimuth = 180.0 if latitude >= 0 else 0.0
        return tilt, default_azimuth if self.azimuth_deg is None else self.azimuth_deg


def solar_availability(weather: Weather, model: SolarModel) -> pd.Series:
    """Solar availability: AC output per unit of AC rating, hour by hour.

    Parameters
    ----------
    weather
        Hourly weather at the site; each value stands for the hour its label starts.
    model
        The plant.

    Returns
    -------
    pandas.Series
        Availability in [0, 1] on ``weather.data.index``, named ``solar`` [p.u.].

    Notes
    -----
    The sun's position is pvlib's (NREL SPA) at the middle of each hour, refraction
    at the standard pressure of the site's altitude and 12 degC. The modules see the
    plane-of-array global irradiance (no reflection losses beyond
    ``system_losses``); hours when the tracker or the sun gives none count zero.
    Weather without wind speed (``has_wind`` False) cools the modules as a wind of
    :data:`STILL_AIR_MS` would.
    """
    import pvlib

    data = weather.data
    middle = data.index + pd.Timedelta(minutes=30)
    sun = pvlib.solarposition.get_solarposition(
        middle, weather.latitude, weather.longitude, altitude=weather.altitude_m
    )
    zenith, azimuth = sun["apparent_zenith"].to_numpy(), sun["azimuth"].to_numpy()
    if model.mount == "fixed":
        tilt, facing = model.orientation(weather.latitude)
    else:
        tracker = pvlib.tracking.singleaxis(
            zenith,
            azimuth,
            axis_tilt=model.axis_tilt_deg,
            axis_azimuth=model.axis_azimuth_deg,
            max_angle=model.max_angle_deg,
            backtrack=model.backtrack,
            gcr=model.gcr,
        )
        tilt, facing = np.asarray(tracker["surface_tilt"]), np.asarray(tracker["surface_azimuth"])
    poa = pvlib.irradiance.get_total_irradiance(
        tilt,
        facing,
        zenith,
        azimuth,
        data["dni"].to_numpy(),
        data["ghi"].to_numpy(),
        data["dhi"].to_numpy(),
        dni_extra=pvlib.irradiance.get_extra_radiation(middle.day_of_year.to_numpy()),
        airmass=pvlib.atmosphere.get_relative_airmass(zenith),
        albedo=model.albedo,
        model=model.transposition,
    )["poa_global"]
    poa = np.nan_to_num(np.asarray(poa, dtype=float))
    temp_air = data["temp_air"].to_numpy()
    wind_speed = data["wind_speed"].to_numpy() if weather.has_wind else STILL_AIR_MS
    if model.temperature_model == "faiman":
        cell = pvlib.temperature.faiman(
            poa, temp_air, wind_speed, u0=model.faiman_u0, u1=model.faiman_u1
        )
    else:
        parameters = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"][model.sapm_mount]
        cell = pvlib.temperature.sapm_cell(poa, temp_air, wind_speed, **parameters)
    # Per unit of the AC rating, the array's DC rating is dc_ac_ratio.
    dc = pvlib.pvsystem.pvwatts_dc(poa, cell, model.dc_ac_ratio, model.gamma_pdc_per_c)
    dc = np.asarray(dc) * (1 - model.system_losses)
    if model.inverter == "pvwatts":
        eta = model.inverter_efficiency
        ac = pvlib.inverter.pvwatts(dc, 1 / eta, eta_inv_nom=eta, eta_inv_ref=ETA_INV_REF)
    else:
        ac = dc
    return pd.Series(np.clip(np.asarray(ac, dtype=float), 0, 1), index=data.index, name="solar")
