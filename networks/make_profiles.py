"""Regenerate the time series of the shipped example studies from offline data.

Run ``python networks/make_profiles.py`` from the repository root (or from anywhere:
paths are resolved relative to this file). It rewrites ``profiles.csv`` in each
example folder (``olkaria``, ``nordic``, ``solar-battery``, ``multi-site``), reading
the capacities and data-centre sizes it needs from that folder's ``scenario.yaml``,
checks that the result is consistent with the scenario (capacity, feasibility,
prices, latencies) and prints a quick, greedy estimate of each site's baseline
curtailment.

Nothing is downloaded. The inputs are

- the typical-meteorological-year (TMY) files shipped with pvlib
  (``723170TYA.CSV`` Greensboro NC, ``703165TY.csv`` Sand Point AK, ``12839.tm2``
  Miami FL), read with :mod:`pvlib.iotools`;
- the turbine power curves shipped with windpowerlib (OpenEnergy Database turbine
  library in ``windpowerlib/data/default_turbine_data``);
- shapes stated in each example's README, and noise from fixed numpy seeds, for the
  parts that are synthetic (hydro, prices, grid carbon intensity, workload).

The models are the package's (:mod:`dispatch.sources`): solar availability from
:func:`~dispatch.sources.solar.solar_availability`, wind from
:func:`~dispatch.sources.wind.wind_availability`, each with the explicit parameters
of :meth:`Region.solar` and :meth:`Region.wind`, and the workload from
:func:`~dispatch.sources.workload.workload_from_shape`; this script adds what is
particular to the examples (the weather transfer below, hydro, markets and checks).

Each site lies in a :class:`Region`: its place, time zone, stand-in TMY, climate and
cooling. The single-site examples and the sites of ``multi-site`` that share a region
(Olkaria, Trondelag, Seville) share its weather, PV or wind model, market shape and
hydro regime through the same functions; only sizes, workload shares and seeds
differ.

Weather transfer
----------------
A TMY describes its own station, not the example site. Each TMY hour is keyed by
day of year and hour of *apparent solar time* at the station. Its clearness index
``kt = GHI / GHI_clear`` (Ineichen clear sky with the Linke turbidity climatology
shipped with pvlib, at the station) is clipped to [0, 1.2]; hours with the sun
below about 5 degrees take that day's daily clearness index. For every hour of 2025
(UTC, evaluated at the middle of the hour) the example site's solar position and
clear-sky GHI are computed at its latitude, longitude and altitude, and multiplied
by the ``kt`` of the TMY hour with the same day of year (optionally shifted by a
fixed number of days, so that two sites sharing a TMY do not share cloudy days) and
solar hour. Direct and diffuse parts follow from the Erbs decomposition. The 10 m
wind speed and the air temperature are carried over by the same key; the
temperature is then shifted and scaled to the site's climate (annual mean, seasonal
cycle, day-to-day and diurnal amplitude: :class:`Climate`).

Outputs are rounded to four significant digits.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import yaml

from dispatch.sources.solar import SolarModel, solar_availability
from dispatch.sources.weather import Weather
from dispatch.sources.wind import WindModel, wind_availability
from dispatch.sources.workload import (
    WorkloadShape,
    bump,
    local_time,
    smooth_noise,
    workload_from_shape,
)

NETWORKS = Path(__file__).resolve().parent
"""Folder holding the example studies."""
YEAR = 2025
"""Calendar year of every example [-]."""
HOURS = pd.date_range(f"{YEAR}-01-01", periods=8760, freq="h", tz="UTC", name="time")
"""Snapshot start times of every example, UTC."""
MID = HOURS + pd.Timedelta(minutes=30)
"""Middle of each snapshot, where instantaneous quantities are evaluated, UTC."""
DAYS = 365
"""Days in the year [-]."""
PVLIB_DATA = Path(pvlib.__file__).parent / "data"
"""Folder of the data files shipped with pvlib."""
PROFILES = "profiles.csv"
"""Name of the time-series file in each example folder."""
PV_GAMMA_PER_C = -0.0037
"""Temperature coefficient of the PV modules' DC power [1/degC]."""


# --------------------------------------------------------------------------------------
# Weather
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A location on the globe.

    Attributes
    ----------
    latitude
        Latitude, north positive [deg].
    longitude
        Longitude, east positive [deg].
    altitude
        Height above sea level [m].
    """

    latitude: float
    longitude: float
    altitude: float

    def location(self) -> pvlib.location.Location:
        """The pvlib location, in UTC."""
        return pvlib.location.Location(
            self.latitude, self.longitude, tz="UTC", altitude=self.altitude
        )


@dataclass(frozen=True)
class Climate:
    """How to map a TMY station's air temperature onto the example site.

    With ``T`` the transferred TMY temperature, ``T1`` its centred 24-hour mean and
    ``T30`` its centred 30-day mean, the site temperature is::

        mean + season * (T30 - mean(T30)) + synoptic * (T1 - T30) + diurnal * (T - T1)

    Attributes
    ----------
    mean_c
        Annual mean air temperature at the site [degC].
    season
        Scale of the TMY's seasonal cycle [-].
    synoptic
        Scale of the TMY's day-to-day departures from the 30-day mean [-].
    diurnal
        Scale of the TMY's departures from the 24-hour mean (daily cycle) [-].
    """

    mean_c: float
    season: float = 1.0
    synoptic: float = 1.0
    diurnal: float = 1.0


def read_tmy(file_name: str) -> tuple[pd.DataFrame, Place]:
    """Read a TMY file shipped with pvlib.

    Parameters
    ----------
    file_name
        ``*.tm2`` (TMY2) or ``*.csv`` (TMY3) file in pvlib's data folder.

    Returns
    -------
    pandas.DataFrame
        Columns ``ghi`` [W/m2], ``temp_air`` [degC], ``wind_speed`` (10 m) [m/s],
        indexed by the middle of each (hour-ending) TMY record in UTC, with the TMY's
        mixed years replaced by :data:`YEAR`.
    Place
        The station.
    """
    path = PVLIB_DATA / file_name
    if path.suffix.lower() == ".tm2":
        raw, meta = pvlib.iotools.read_tmy2(str(path))
        month, day = raw["month"].to_numpy(int), raw["day"].to_numpy(int)
        hour_ending = raw["hour"].to_numpy(int)
        # TMY2 stores temperature in tenths of degC and wind in tenths of m/s.
        data = pd.DataFrame(
            {
                "ghi": raw["GHI"].to_numpy(float),
                "temp_air": raw["DryBulb"].to_numpy(float) / 10,
                "wind_speed": raw["Wspd"].to_numpy(float) / 10,
            }
        )
    else:
        raw, meta = pvlib.iotools.read_tmy3(str(path), map_variables=True)
        date = pd.to_datetime(raw["Date (MM/DD/YYYY)"], format="%m/%d/%Y")
        month, day = date.dt.month.to_numpy(), date.dt.day.to_numpy()
        hour_ending = raw["Time (HH:MM)"].str.slice(0, 2).astype(int).to_numpy()
        data = raw[["ghi", "temp_air", "wind_speed"]].astype(float).reset_index(drop=True)
    # Records are hour-ending (1..24) in local standard time of the TMY's own
    # years: rebuild the instants in YEAR.
    tz_hours = float(meta["TZ"])
    ending = pd.to_datetime(pd.DataFrame({"year": YEAR, "month": month, "day": day}))
    ending = ending + pd.to_timedelta(hour_ending, unit="h")
    middle = pd.DatetimeIndex(ending) - pd.Timedelta(minutes=30)
    data.index = (middle - pd.Timedelta(hours=tz_hours)).tz_localize("UTC")
    place = Place(float(meta["latitude"]), float(meta["longitude"]), float(meta["altitude"]))
    return data.sort_index(), place


def solar_time_key(times: pd.DatetimeIndex, longitude: float) -> tuple[np.ndarray, np.ndarray]:
    """Day of year and hour of apparent solar time of UTC instants at ``longitude``.

    Parameters
    ----------
    times
        Instants, UTC.
    longitude
        Longitude, east positive [deg].

    Returns
    -------
    day, hour
        Day of year 0..364 and solar hour 0..23 [-].
    """
    eot_min = pvlib.solarposition.equation_of_time_spencer71(times.day_of_year)
    offset = pd.to_timedelta(longitude / 15 * 3600 + np.asarray(eot_min) * 60, unit="s")
    solar = times.tz_convert("UTC").tz_localize(None) + offset
    day = (solar.day_of_year.to_numpy() - 1) % DAYS
    return day, solar.hour.to_numpy()


def _table(day: np.ndarray, hour: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Average ``values`` into a day-by-solar-hour table, filling empty cells.

    Empty cells (NaN values, or keys no record maps to) take the linear interpolation
    along the flattened, periodic hour-of-year axis.
    """
    total = np.zeros(DAYS * 24)
    count = np.zeros(DAYS * 24)
    key = day * 24 + hour
    ok = np.isfinite(values)
    np.add.at(total, key[ok], values[ok])
    np.add.at(count, key[ok], 1)
    flat = np.full(DAYS * 24, np.nan)
    flat[count > 0] = total[count > 0] / count[count > 0]
    known = np.flatnonzero(np.isfinite(flat))
    flat = np.interp(np.arange(DAYS * 24), known, flat[known], period=DAYS * 24)
    return flat.reshape(DAYS, 24)


def transfer_weather(tmy_file: str, site: Place, climate: Climate, day_offset: int = 0) -> Weather:
    """Weather at ``site`` for every hour of :data:`HOURS`, from a TMY elsewhere.

    Parameters
    ----------
    tmy_file
        TMY file in pvlib's data folder.
    site
        The example site.
    climate
        How to map the station's temperature onto the site.
    day_offset
        Day ``d`` of the site takes the TMY's day ``d + day_offset`` (cyclic) [d].

    Returns
    -------
    dispatch.sources.weather.Weather
        Hourly weather at the site on :data:`HOURS` (method in the module docstring):
        irradiance, air temperature at 2 m, wind speed at 10 m and the standard
        pressure at the site's altitude.
    """
    tmy, station = read_tmy(tmy_file)
    # Clearness index at the station.
    loc = station.location()
    sun = loc.get_solarposition(tmy.index)
    clear = loc.get_clearsky(tmy.index, solar_position=sun)["ghi"].to_numpy()
    ghi = tmy["ghi"].to_numpy()
    up = (sun["apparent_zenith"].to_numpy() < 85) & (clear > 10)
    kt = np.where(up, np.clip(ghi / np.where(up, clear, 1), 0, 1.2), np.nan)
    s_day, s_hour = solar_time_key(tmy.index, station.longitude)
    # Daily clearness index for low-sun and night hours.
    daily_ghi = np.bincount(s_day, weights=np.where(up, ghi, 0), minlength=DAYS)
    daily_clear = np.bincount(s_day, weights=np.where(up, clear, 0), minlength=DAYS)
    daily_kt = np.clip(daily_ghi / np.maximum(daily_clear, 1e-9), 0, 1.2)
    kt = np.where(np.isnan(kt), daily_kt[s_day], kt)
    kt_table = _table(s_day, s_hour, kt)
    temp_table = _table(s_day, s_hour, tmy["temp_air"].to_numpy())
    wind_table = _table(s_day, s_hour, tmy["wind_speed"].to_numpy())

    # The example site: its own sun, scaled by the station's clearness.
    loc = site.location()
    sun = loc.get_solarposition(MID)
    clear = loc.get_clearsky(MID, solar_position=sun)["ghi"].to_numpy()
    day, hour = solar_time_key(MID, site.longitude)
    day = (day + day_offset) % DAYS
    site_ghi = kt_table[day, hour] * clear
    zenith = sun["zenith"].to_numpy()
    parts = pvlib.irradiance.erbs(site_ghi, zenith, MID.day_of_year)

    temp = temp_table[day, hour]
    monthly = _periodic_mean(temp, 30 * 24)
    daily = _periodic_mean(temp, 24)
    temp = (
        climate.mean_c
        + climate.season * (monthly - monthly.mean())
        + climate.synoptic * (daily - monthly)
        + climate.diurnal * (temp - daily)
    )
    data = pd.DataFrame(
        {
            "ghi": site_ghi,
            "dni": np.asarray(parts["dni"]),
            "dhi": np.asarray(parts["dhi"]),
            "temp_air": temp,
            "wind_speed": wind_table[day, hour],
            "pressure": pvlib.atmosphere.alt2pres(site.altitude),
        },
        index=HOURS,
    )
    return Weather(
        data=data,
        latitude=site.latitude,
        longitude=site.longitude,
        altitude_m=site.altitude,
        wind_height_m=10.0,
        source=tmy_file,
        file_format="tmy2" if tmy_file.lower().endswith(".tm2") else "tmy3",
        typical_year=False,
    )


def _periodic_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average over ``window`` samples, wrapping around the year."""
    padded = np.concatenate([values[-window:], values, values[:window]])
    kernel = np.ones(window) / window
    return np.convolve(padded, kernel, mode="same")[window:-window]


# --------------------------------------------------------------------------------------
# Renewable availability
# --------------------------------------------------------------------------------------


def impose_seasonal_cycle(values: np.ndarray, monthly_means: tuple[float, ...]) -> np.ndarray:
    """Replace the seasonal cycle of an hourly series by twelve monthly means.

    The series is divided by its centred 30-day mean and multiplied by the
    interpolated monthly means, so hourly and day-to-day departures are kept as
    ratios. Used to give a TMY's wind speed the monsoon cycle of the example site.

    Parameters
    ----------
    values
        Hourly values on :data:`HOURS`, positive on average [any unit].
    monthly_means
        Target mean of each month, January first [same unit].

    Returns
    -------
    numpy.ndarray
        Hourly values with the target seasonal cycle [same unit].
    """
    target = np.mean(monthly_means) * monthly_shape(list(monthly_means))
    return values * target / np.maximum(_periodic_mean(values, 30 * 24), 1e-9)


# --------------------------------------------------------------------------------------
# Synthetic shapes
# --------------------------------------------------------------------------------------


def monthly_shape(values: list[float]) -> np.ndarray:
    """Hourly, periodic linear interpolation of twelve mid-month values.

    Parameters
    ----------
    values
        One value per month, January first [any unit].

    Returns
    -------
    numpy.ndarray
        One value per hour of :data:`HOURS`, normalised to mean 1 [-].
    """
    mid_month = pd.date_range(f"{YEAR}-01-01", periods=12, freq="MS") + pd.Timedelta(days=14.5)
    x = (mid_month - pd.Timestamp(f"{YEAR}-01-01")).total_seconds().to_numpy() / 3600
    shape = np.interp(np.arange(8760) + 0.5, x, values, period=8760)
    return shape / shape.mean()


def daily_noise(rng: np.random.Generator, corr_days: float, sigma: float) -> np.ndarray:
    """Smoothed, precipitation-like multiplicative noise with mean about 1, hourly.

    Log-normal factor of daily AR(1) noise, linearly interpolated to hours.

    Parameters
    ----------
    rng
        Random generator (seeded by the caller).
    corr_days
        Correlation length [d].
    sigma
        Standard deviation of the log of the factor [-].

    Returns
    -------
    numpy.ndarray
        One factor per hour of :data:`HOURS` [-].
    """
    days = smooth_noise(rng, DAYS + 1, corr_days, sigma)
    hourly = np.interp(np.arange(8760) / 24, np.arange(DAYS + 1), days)
    return np.exp(hourly - sigma**2 / 2)


def workload(shape: WorkloadShape, capacity_mw: float) -> dict[str, np.ndarray]:
    """Firm work, deferrable arrivals and interruptible offered work on :data:`HOURS`
    (:func:`~dispatch.sources.workload.workload_from_shape`).

    Returns
    -------
    dict
        ``firm_mw`` [MW], ``deferrable_mwh`` [MWh per hour] and ``interruptible_mw``
        [MW].
    """
    frame = workload_from_shape(HOURS, shape, capacity_mw)
    return {name: frame[name].to_numpy() for name in frame.columns}


def pue_from_temperature(
    temp_c: np.ndarray, base: float, slope_per_c: float, above_c: float, cap: float
) -> np.ndarray:
    """PUE rising linearly with outdoor temperature above a free-cooling limit.

    Parameters
    ----------
    temp_c
        Outdoor air temperature [degC].
    base
        PUE with full free cooling [-].
    slope_per_c
        Increase of PUE per degree above ``above_c`` [1/degC].
    above_c
        Temperature up to which free cooling suffices [degC].
    cap
        Largest PUE [-].

    Returns
    -------
    numpy.ndarray
        PUE_t [-], at least 1.
    """
    return np.clip(base + slope_per_c * np.maximum(temp_c - above_c, 0), 1.0, cap)


def hydro_flow(
    rng: np.random.Generator,
    monthly: tuple[float, ...],
    scale: float,
    corr_days: float,
    sigma: float,
) -> np.ndarray:
    """River flow or reservoir inflow: a seasonal regime times precipitation noise.

    Parameters
    ----------
    rng
        Random generator (seeded by the caller).
    monthly
        Relative flow of each month, January first (the regime) [-].
    scale
        Mean of the result before noise [unit of the result].
    corr_days
        Correlation length of the noise [d].
    sigma
        Standard deviation of the log of the noise factor [-].

    Returns
    -------
    numpy.ndarray
        ``scale`` times :func:`monthly_shape` of the regime times
        :func:`daily_noise`, one value per hour of :data:`HOURS` [unit of ``scale``].
    """
    return scale * monthly_shape(list(monthly)) * daily_noise(rng, corr_days, sigma)


# --------------------------------------------------------------------------------------
# Regions: where a site is, its weather source, cooling, PV and wind models
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cooling:
    """PUE rising with outdoor temperature (:func:`pue_from_temperature`).

    Attributes
    ----------
    base
        PUE with full free cooling [-].
    slope_per_c
        Increase of PUE per degree above ``above_c`` [1/degC].
    above_c
        Temperature up to which free cooling suffices [degC].
    cap
        Largest PUE [-].
    """

    base: float
    slope_per_c: float
    above_c: float
    cap: float


@dataclass(frozen=True)
class Turbine:
    """A wind farm's turbine and how the TMY's 10 m wind reaches its hub.

    Attributes
    ----------
    turbine_type
        Turbine in windpowerlib's OpenEnergy Database library [-].
    hub_height_m
        Hub height [m].
    hellman_exp
        Hellman (power-law) exponent of the wind profile [-].
    monthly_wind_ms
        Monthly mean 10 m wind speeds imposed on the TMY's (January first), or None
        to keep the TMY's seasonal cycle [m/s].
    """

    turbine_type: str
    hub_height_m: float
    hellman_exp: float
    monthly_wind_ms: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Region:
    """Where an example site is, which TMY stands in for its weather, and its plant.

    Attributes
    ----------
    place
        The site.
    tz
        IANA time zone of the site's users and operators [-].
    tmy_file
        TMY in pvlib's data folder that stands in for the site's weather [-].
    climate
        How to map the TMY's temperature onto the site.
    cooling
        The data centre's PUE model.
    pv_tilt_deg
        Tilt of fixed PV modules from horizontal [deg].
    pv_azimuth_deg
        Azimuth of the PV modules, clockwise from north [deg].
    turbine
        Wind turbine, or None if the region has no wind farm.
    day_offset
        TMY day shift of :func:`transfer_weather` [d].
    """

    place: Place
    tz: str
    tmy_file: str
    climate: Climate
    cooling: Cooling
    pv_tilt_deg: float = 0.0
    pv_azimuth_deg: float = 180.0
    turbine: Turbine | None = None
    day_offset: int = 0

    def weather(self) -> Weather:
        """Hourly weather at the site, transferred from the TMY."""
        return transfer_weather(self.tmy_file, self.place, self.climate, self.day_offset)

    def solar(self, weather: Weather) -> np.ndarray:
        """PV availability a_t per unit of DC capacity [p.u.]: a fixed PVWatts plant
        (:func:`~dispatch.sources.solar.solar_availability`) with the isotropic sky,
        Faiman module temperature, PVWatts' default system losses (14.08 %), no
        inverter model, DC capacity as the rating."""
        model = SolarModel(
            tilt_deg=self.pv_tilt_deg,
            azimuth_deg=self.pv_azimuth_deg,
            transposition="isotropic",
            albedo=0.25,
            temperature_model="faiman",
            gamma_pdc_per_c=PV_GAMMA_PER_C,
            system_losses=pvlib.pvsystem.pvwatts_losses() / 100,
            dc_ac_ratio=1.0,
            inverter="ideal",
        )
        return solar_availability(weather, model).to_numpy()

    def wind(self, weather: Weather) -> np.ndarray:
        """Wind availability a_t per unit of rated power [p.u.]: the turbine's power
        curve (:func:`~dispatch.sources.wind.wind_availability`) at the hub speed of
        Hellman's power law from 10 m, no density correction, no losses."""
        if self.turbine is None:
            raise ValueError("the region has no wind turbine")
        turbine = self.turbine
        if turbine.monthly_wind_ms is not None:
            speed = impose_seasonal_cycle(
                weather.data["wind_speed"].to_numpy(), turbine.monthly_wind_ms
            )
            weather = replace(weather, data=weather.data.assign(wind_speed=speed))
        model = WindModel(
            turbine_type=turbine.turbine_type,
            hub_height_m=turbine.hub_height_m,
            wind_profile="hellman",
            hellman_exponent=turbine.hellman_exp,
            density_correction=False,
            loss_factor=0.0,
        )
        return wind_availability(weather, model).to_numpy()

    def pue(self, weather: Weather) -> np.ndarray:
        """PUE_t from the outdoor temperature [-]."""
        c = self.cooling
        return pue_from_temperature(
            weather.data["temp_air"].to_numpy(), c.base, c.slope_per_c, c.above_c, c.cap
        )


OLKARIA = Region(
    # Miami TMY2 as the tropical source; Olkaria/Naivasha highland climate: annual
    # mean ~17 degC, weak seasonal cycle, wide diurnal range.
    place=Place(-0.88, 36.30, 2000.0),
    tz="Africa/Nairobi",
    tmy_file="12839.tm2",
    climate=Climate(17.0, season=0.15, synoptic=0.3, diurnal=1.8),
    # Free/evaporative cooling at highland temperatures: 1.2 up to 15 degC, rising
    # 0.012 per degC, capped at 1.3.
    cooling=Cooling(1.20, 0.012, 15.0, 1.30),
    # Just south of the equator: low tilt facing north (sheds dust with the rain).
    pv_tilt_deg=10,
    pv_azimuth_deg=0,
)
"""Olkaria geothermal field, Kenya."""
TRONDELAG = Region(
    # Sand Point (Alaska) TMY3: a windy, maritime subarctic coast. Trondheim area:
    # annual mean ~5.5 degC, January about -2, July about 14.
    place=Place(63.4, 10.4, 50.0),
    tz="Europe/Oslo",
    tmy_file="703165TY.csv",
    climate=Climate(5.5, season=1.3),
    # Free air cooling nearly all year: 1.08, rising 0.006 per degC above 12 degC.
    cooling=Cooling(1.08, 0.006, 12.0, 1.15),
    turbine=Turbine("V112/3300", 119.0, 1 / 7),
)
"""Central Norway, Trondheim area."""
SEVILLE = Region(
    # Greensboro (NC) TMY3 at a similar latitude; Seville: annual mean ~19 degC,
    # January ~11, July ~28.
    place=Place(37.4, -5.9, 30.0),
    tz="Europe/Madrid",
    tmy_file="723170TYA.CSV",
    climate=Climate(19.2, season=0.75, synoptic=0.5, diurnal=1.3),
    # Evaporative cooling in a hot climate: 1.12 up to 18 degC, 0.012 per degC, cap 1.4.
    cooling=Cooling(1.12, 0.012, 18.0, 1.40),
    pv_tilt_deg=30,
    pv_azimuth_deg=180,
)
"""Near Seville, Spain."""
HELLISHEIDI = Region(
    # Sand Point TMY3 again (a subarctic maritime climate much like south-west
    # Iceland); Hellisheidi at ~300 m: annual mean ~3.5 degC, January about -2,
    # July about 10. Only the temperature (for the PUE) is used.
    place=Place(64.04, -21.40, 300.0),
    tz="Atlantic/Reykjavik",
    tmy_file="703165TY.csv",
    climate=Climate(3.5, season=0.9, synoptic=1.0, diurnal=0.8),
    # Free air cooling all year: 1.07, rising 0.006 per degC above 10 degC, cap 1.12.
    cooling=Cooling(1.07, 0.006, 10.0, 1.12),
)
"""Hellisheidi geothermal area, south-west Iceland."""
JAMNAGAR = Region(
    # Miami TMY2 as the tropical source, shifted by 10 days so that its cloudy days
    # are not Olkaria's; its wet season (Jun-Oct) roughly matches the south-west
    # monsoon. Jamnagar (Gujarat coast): annual mean ~26.5 degC, wider diurnal range.
    place=Place(22.47, 70.06, 20.0),
    tz="Asia/Kolkata",
    tmy_file="12839.tm2",
    climate=Climate(26.5, season=1.0, synoptic=0.5, diurnal=1.4),
    # Hot, humid climate: chillers with economisers, 1.28 up to 22 degC, 0.010 per
    # degC above, capped at 1.45.
    cooling=Cooling(1.28, 0.010, 22.0, 1.45),
    pv_tilt_deg=20,
    pv_azimuth_deg=180,
    # A low-wind-class turbine; Gujarat coastal 10 m monthly mean wind speeds with
    # the south-west monsoon maximum in June-July replace Miami's seasonal cycle.
    turbine=Turbine(
        "GE120/2500",
        110.0,
        1 / 7,
        monthly_wind_ms=(3.3, 3.4, 3.6, 4.1, 5.2, 6.1, 6.4, 5.6, 4.3, 3.0, 2.9, 3.1),
    ),
    day_offset=10,
)
"""Jamnagar, Gujarat coast, India."""

KENYA_RAINS = (0.45, 0.35, 0.55, 1.15, 1.55, 1.15, 0.8, 0.65, 0.55, 0.8, 1.25, 1.0)
"""Kenyan bimodal river regime: long rains Mar-May, short rains Oct-Dec, flow lagging
the rain by a few weeks; relative flow per month, January first [-]."""
NORDIC_SNOWMELT = (0.3, 0.25, 0.3, 0.6, 2.3, 2.6, 1.6, 1.1, 1.2, 1.1, 0.7, 0.4)
"""Snowmelt-driven Nordic inflow: low in winter, flood in May-June, autumn rain [-]."""
ICELAND_GLACIAL = (0.35, 0.32, 0.32, 0.38, 0.55, 0.8, 0.95, 0.95, 0.75, 0.55, 0.45, 0.4)
"""Glacier-fed Icelandic river: base flow in winter, glacier melt peaking in
July-August [-]."""

EUR_PER_USD = 1 / 1.13
"""Exchange rate used to convert USD prices: 1.13 USD per EUR [EUR/USD]."""
INR_PER_EUR = 97.0
"""Exchange rate used to convert INR prices [INR/EUR]."""
INDIA_OPEN_ACCESS_INR_PER_KWH = 2.2
"""Transmission, wheeling, cross-subsidy and additional surcharges paid on power
bought on the exchange under open access [INR/kWh]."""


# --------------------------------------------------------------------------------------
# Electricity markets and grid carbon
# --------------------------------------------------------------------------------------


def kenya_grid(rng: np.random.Generator, tz: str) -> dict[str, np.ndarray]:
    """Kenyan import tariff and grid carbon.

    KPLC commercial/industrial time-of-use tariff: peak 06:00-22:00 EAT about
    0.18 USD/kWh, off-peak about 0.12 USD/kWh; the monthly fuel-cost charge is higher
    in the dry months, when oil-fired plants run more. The grid is geothermal- and
    hydro-heavy; oil-fired peakers (about 0.7 tCO2/MWh) run in the evening peak and
    the dry months.

    Parameters
    ----------
    rng
        Random generator (seeded by the caller); draws two noise series.
    tz
        Local time zone [-].

    Returns
    -------
    dict
        ``import_price`` [USD/MWh], ``carbon_intensity`` [tCO2/MWh] and
        ``clean_share`` [p.u.].
    """
    hour, _ = local_time(HOURS, tz)
    dry = monthly_shape([1.3, 1.4, 1.2, 0.8, 0.6, 0.7, 0.9, 1.1, 1.2, 1.0, 0.8, 0.9])
    peak = bump(hour, 6, 22, 0.5)
    import_price = 120 + 60 * peak + 10 * (dry - 1) + 2 * smooth_noise(rng, 8760, 24, 1)
    evening = bump(hour, 18, 22.5, 1.5)
    thermal = np.clip(
        0.11 + 0.06 * evening + 0.04 * (dry - 1) + smooth_noise(rng, 8760, 12, 0.015),
        0.05,
        0.25,
    )
    return {
        "import_price": import_price,
        "carbon_intensity": 0.70 * thermal,
        "clean_share": 1 - thermal,
    }


def nord_pool_grid(rng: np.random.Generator, tz: str, wind: np.ndarray) -> dict[str, np.ndarray]:
    """Nord Pool NO3/SE2-like spot, the site's import and export prices, grid carbon.

    Winter higher than summer, morning and evening peaks, lower at weekends and in
    windy hours (regional wind follows the site's: its 6-hour mean). Import pays
    10 EUR/MWh of grid tariff and fees on top of the spot, export earns the spot less
    a 1 EUR/MWh producer fee. Import carbon intensity rises with price (imports from
    thermal neighbours).

    Parameters
    ----------
    rng
        Random generator (seeded by the caller); draws one noise series.
    tz
        Local time zone [-].
    wind
        The site's wind availability [p.u.].

    Returns
    -------
    dict
        ``import_price`` and ``export_price`` [EUR/MWh], ``carbon_intensity``
        [tCO2/MWh] and ``clean_share`` [p.u.].
    """
    hour, weekday = local_time(HOURS, tz)
    season = monthly_shape([1.35, 1.3, 1.1, 0.95, 0.75, 0.7, 0.7, 0.8, 0.95, 1.05, 1.2, 1.3])
    peaks = 0.5 * bump(hour, 7, 10, 1.5) + 0.6 * bump(hour, 16, 20, 1.5)
    working = np.where(weekday < 5, 1.0, 0.85)
    regional_wind = _periodic_mean(wind, 6)
    spot = 55 * season * working + 12 * peaks - 40 * regional_wind + smooth_noise(rng, 8760, 18, 6)
    spot = np.clip(spot, 2.0, None)
    intensity = 0.018 + 0.032 * np.clip((spot - 15) / 60, 0, 1)
    return {
        "import_price": spot + 10.0,
        "export_price": spot - 1.0,
        "carbon_intensity": intensity,
        "clean_share": 1 - intensity / 0.6,
    }


def iberian_grid(rng: np.random.Generator, tz: str, solar: np.ndarray) -> dict[str, np.ndarray]:
    """OMIE-like spot plus Spanish access tolls, export price and grid carbon.

    Spot: gas-set evening peak, morning ramp, a midday dip with regional solar (the
    3-hour mean of the site's) that reaches about zero on sunny spring days, cheaper
    in the hydro- and wind-rich spring. Tolls and charges by period: weekday peak
    10-14 and 18-22, shoulder 08-10, 14-18 and 22-24, valley at night and at weekends.
    Grid carbon intensity is low at sunny middays and higher on gas-fired evenings.

    Parameters
    ----------
    rng
        Random generator (seeded by the caller); draws two noise series.
    tz
        Local time zone [-].
    solar
        The site's PV availability [p.u.].

    Returns
    -------
    dict
        ``import_price`` and ``export_price`` [EUR/MWh], ``carbon_intensity``
        [tCO2/MWh] and ``clean_share`` [p.u.].
    """
    hour, weekday = local_time(HOURS, tz)
    weekend = weekday >= 5
    season = monthly_shape([1.25, 1.05, 0.8, 0.6, 0.65, 0.95, 1.1, 1.1, 1.05, 1.0, 1.05, 1.2])
    regional_solar = _periodic_mean(solar, 3)
    evening = bump(hour, 19, 23, 1.5)
    spot = (
        75 * season
        + 30 * evening
        + 10 * bump(hour, 7, 10, 1.5)
        - 70 * regional_solar * (1.6 - season)
        + smooth_noise(rng, 8760, 24, 8)
    )
    spot = np.clip(spot, -1.0, 200.0)
    peak = (bump(hour, 10, 14, 0.2) + bump(hour, 18, 22, 0.2)) * ~weekend
    shoulder = bump(hour, 8, 10, 0.2) + bump(hour, 14, 18, 0.2) + bump(hour, 22, 24, 0.2)
    tolls = 5 + 20 * peak + 7 * shoulder * ~weekend
    intensity = np.clip(
        0.22 - 0.12 * regional_solar + 0.03 * evening + smooth_noise(rng, 8760, 24, 0.015),
        0.08,
        0.25,
    )
    return {
        "import_price": spot + tolls,
        "export_price": spot - 0.5,
        "carbon_intensity": intensity,
        "clean_share": 1 - intensity / 0.5,
    }


def nonfirm_window(tz: str) -> np.ndarray:
    """Hours of a non-firm connection's import cut: Nov-Feb weekdays 18:00-22:00 local.

    Parameters
    ----------
    tz
        Local time zone [-].

    Returns
    -------
    numpy.ndarray
        True in the window hours of :data:`HOURS` [-].
    """
    hour, weekday = local_time(HOURS, tz)
    winter = np.isin(MID.tz_convert(tz).month, [11, 12, 1, 2])
    return winter & (weekday < 5) & (hour >= 18) & (hour < 22)


def indian_grid(
    rng: np.random.Generator, tz: str, solar: np.ndarray, wind: np.ndarray
) -> dict[str, np.ndarray]:
    """IEX-like day-ahead price, open-access import price, export price, grid carbon.

    Spot, in INR/kWh: 4.0 at night times a demand season that peaks before the
    monsoon (April-May) and is lowest in the monsoon (July-August); an evening peak
    (18:00-23:30 IST, +4.5 times the season) and a morning ramp (06:00-09:30, +1.0);
    a midday dip of 3.0 times regional solar (3-hour mean of the site's) and 1.5 times
    the regional wind's departure from its mean (12-hour mean of the site's); AR(1)
    noise with sigma 0.5 and a 24-hour correlation length; clipped to
    [1, 10] (10 INR/kWh is the exchange's price ceiling). Import pays
    :data:`INDIA_OPEN_ACCESS_INR_PER_KWH` of transmission, wheeling and surcharges on
    top; export earns the spot less 0.1 INR/kWh of exchange fees.

    The clean (non-fossil) share is 0.16 plus 0.30 times regional solar, 0.10 times
    regional wind and 0.05 times the monsoon hydro departure (seasonal shape minus 1),
    with noise, clipped to [0.10, 0.60]; the rest is coal at 0.95 tCO2/MWh.

    Parameters
    ----------
    rng
        Random generator (seeded by the caller); draws two noise series.
    tz
        Local time zone [-].
    solar, wind
        The site's PV and wind availability [p.u.].

    Returns
    -------
    dict
        ``import_price`` and ``export_price`` [INR/kWh], ``carbon_intensity``
        [tCO2/MWh] and ``clean_share`` [p.u.].
    """
    hour, _ = local_time(HOURS, tz)
    season = monthly_shape([1.0, 1.0, 1.1, 1.25, 1.3, 1.15, 0.85, 0.8, 0.9, 1.1, 0.95, 0.95])
    hydro = monthly_shape([0.6, 0.5, 0.5, 0.6, 0.9, 1.4, 1.8, 1.8, 1.5, 1.0, 0.7, 0.6])
    regional_solar = _periodic_mean(solar, 3)
    regional_wind = _periodic_mean(wind, 12)
    spot = (
        season * (4.0 + 4.5 * bump(hour, 18, 23.5, 1.5) + 1.0 * bump(hour, 6, 9.5, 1.5))
        - 3.0 * regional_solar
        - 1.5 * (regional_wind - regional_wind.mean())
        + smooth_noise(rng, 8760, 24, 0.5)
    )
    spot = np.clip(spot, 1.0, 10.0)
    clean = np.clip(
        0.16
        + 0.30 * regional_solar
        + 0.10 * regional_wind
        + 0.05 * (hydro - 1)
        + smooth_noise(rng, 8760, 24, 0.02),
        0.10,
        0.60,
    )
    return {
        "import_price": spot + INDIA_OPEN_ACCESS_INR_PER_KWH,
        "export_price": spot - 0.1,
        "carbon_intensity": 0.95 * (1 - clean),
        "clean_share": clean,
    }


# --------------------------------------------------------------------------------------
# The single-site examples
# --------------------------------------------------------------------------------------

NORDIC_INFLOW_MEAN_MW = 18.0
"""Annual mean natural inflow of the Nordic reservoir, as the potential energy of the
water flowing in per hour (the turbine's efficiency applies) [MW]."""
SOLAR_IMPORT_FULL_MW = 50.0
"""Import limit of the solar-battery site outside the non-firm window [MW]."""
SOLAR_IMPORT_REDUCED_MW = 36.0
"""Import limit of the solar-battery site inside the non-firm window [MW]."""


def olkaria(scenario: dict) -> pd.DataFrame:
    """Profiles of the Olkaria (Kenya) geothermal + solar + run-of-river example.

    Parameters
    ----------
    scenario
        The parsed ``scenario.yaml`` (for the IT capacity).

    Returns
    -------
    pandas.DataFrame
        One column per series, indexed by :data:`HOURS`.
    """
    weather = OLKARIA.weather()
    rng = np.random.default_rng(2101)
    # Availability 1 = design flow.
    ror = np.clip(hydro_flow(rng, KENYA_RAINS, 0.55, corr_days=8, sigma=0.35), 0, 1)
    grid = kenya_grid(rng, OLKARIA.tz)
    work = workload(
        WorkloadShape(
            firm=0.42, deferrable=0.19, interruptible=0.05, time_zone=OLKARIA.tz, seed=2102
        ),
        _site(scenario)["datacentre"]["it_capacity_mw"],
    )
    return _frame(
        solar=OLKARIA.solar(weather),
        run_of_river=ror,
        temperature_c=weather.data["temp_air"].to_numpy(),
        pue=OLKARIA.pue(weather),
        **work,
        **grid,
    )


def nordic(scenario: dict) -> pd.DataFrame:
    """Profiles of the Nordic reservoir hydro + wind example.

    Parameters
    ----------
    scenario
        The parsed ``scenario.yaml`` (for the IT capacity).

    Returns
    -------
    pandas.DataFrame
        One column per series, indexed by :data:`HOURS`.
    """
    weather = TRONDELAG.weather()
    wind = TRONDELAG.wind(weather)
    rng = np.random.default_rng(2201)
    inflow = hydro_flow(rng, NORDIC_SNOWMELT, NORDIC_INFLOW_MEAN_MW, corr_days=10, sigma=0.3)
    grid = nord_pool_grid(rng, TRONDELAG.tz, wind)
    work = workload(
        WorkloadShape(
            firm=0.40, deferrable=0.20, interruptible=0.055, time_zone=TRONDELAG.tz, seed=2202
        ),
        _site(scenario)["datacentre"]["it_capacity_mw"],
    )
    return _frame(
        wind=wind,
        inflow_mw=inflow,
        temperature_c=weather.data["temp_air"].to_numpy(),
        pue=TRONDELAG.pue(weather),
        **work,
        **grid,
        # Grid partner's surplus signal: regional wind surplus in blowy hours.
        surplus_mw=40 * np.clip((_periodic_mean(wind, 6) - 0.65) / 0.3, 0, 1),
    )


def solar_battery(scenario: dict) -> pd.DataFrame:
    """Profiles of the Spain-like solar + battery example with a congested grid.

    Parameters
    ----------
    scenario
        The parsed ``scenario.yaml`` (for the IT capacity).

    Returns
    -------
    pandas.DataFrame
        One column per series, indexed by :data:`HOURS`.
    """
    weather = SEVILLE.weather()
    solar = SEVILLE.solar(weather)
    rng = np.random.default_rng(2301)
    grid = iberian_grid(rng, SEVILLE.tz, solar)
    work = workload(
        WorkloadShape(
            firm=0.42, deferrable=0.19, interruptible=0.05, time_zone=SEVILLE.tz, seed=2302
        ),
        _site(scenario)["datacentre"]["it_capacity_mw"],
    )
    # Non-firm connection: import cut when the local distribution network peaks.
    window = nonfirm_window(SEVILLE.tz)
    return _frame(
        solar=solar,
        temperature_c=weather.data["temp_air"].to_numpy(),
        pue=SEVILLE.pue(weather),
        **work,
        import_limit_mw=np.where(window, SOLAR_IMPORT_REDUCED_MW, SOLAR_IMPORT_FULL_MW),
        **grid,
    )


# --------------------------------------------------------------------------------------
# The multi-site example
# --------------------------------------------------------------------------------------

MULTI_SITE_WORK = {"firm": 0.36, "deferrable": 0.17, "interruptible": 0.05}
"""Mean firm work, deferrable arrivals and interruptible work of every site of the
multi-site example, as shares of its IT capacity: lower than in the single-site
examples, so that each site has spare capacity for work moved in [p.u.]."""
NORWAY_INFLOW_MEAN_MW = 12.0
"""Annual mean natural inflow of the Norwegian site's reservoir (multi-site) [MW]."""
ICELAND_RIVER_MEAN_PU = 0.62
"""Mean availability of the Icelandic run-of-river plant before noise [p.u.]."""
SPAIN_IMPORT_FULL_MW = 45.0
"""Import limit of the Spanish site (multi-site) outside the non-firm window [MW]."""
SPAIN_IMPORT_REDUCED_MW = 32.0
"""Import limit of the Spanish site (multi-site) inside the non-firm window [MW]."""


def _multi_site_work(region: Region, site: dict, seed: int) -> dict[str, np.ndarray]:
    """Workload of a multi-site site: :data:`MULTI_SITE_WORK` in its local time."""
    spec = WorkloadShape(**MULTI_SITE_WORK, time_zone=region.tz, seed=seed)
    return workload(spec, site["datacentre"]["it_capacity_mw"])


def _kenya(region: Region, site: dict) -> dict[str, np.ndarray]:
    """Kenya: geothermal (in the scenario) and solar; tariff converted from USD."""
    weather = region.weather()
    grid = kenya_grid(np.random.default_rng(3101), region.tz)
    return {
        "solar": region.solar(weather),
        "temperature_c": weather.data["temp_air"].to_numpy(),
        "pue": region.pue(weather),
        **_multi_site_work(region, site, 3102),
        "import_price": EUR_PER_USD * grid["import_price"],
        "carbon_intensity": grid["carbon_intensity"],
        "clean_share": grid["clean_share"],
    }


def _iceland(region: Region, site: dict) -> dict[str, np.ndarray]:
    """Iceland: geothermal (in the scenario) and a glacier-fed run-of-river plant."""
    weather = region.weather()
    rng = np.random.default_rng(3201)
    river = hydro_flow(rng, ICELAND_GLACIAL, ICELAND_RIVER_MEAN_PU, corr_days=6, sigma=0.2)
    return {
        "run_of_river": np.clip(river, 0, 1),
        "temperature_c": weather.data["temp_air"].to_numpy(),
        "pue": region.pue(weather),
        **_multi_site_work(region, site, 3202),
    }


def _norway(region: Region, site: dict) -> dict[str, np.ndarray]:
    """Norway: wind and snowmelt-fed reservoir hydro; Nord Pool-like prices."""
    weather = region.weather()
    wind = region.wind(weather)
    rng = np.random.default_rng(3301)
    inflow = hydro_flow(rng, NORDIC_SNOWMELT, NORWAY_INFLOW_MEAN_MW, corr_days=10, sigma=0.3)
    return {
        "wind": wind,
        "inflow_mw": inflow,
        "temperature_c": weather.data["temp_air"].to_numpy(),
        "pue": region.pue(weather),
        **_multi_site_work(region, site, 3302),
        **nord_pool_grid(rng, region.tz, wind),
    }


def _spain(region: Region, site: dict) -> dict[str, np.ndarray]:
    """Spain: solar (and a battery in the scenario) behind a non-firm connection."""
    weather = region.weather()
    solar = region.solar(weather)
    window = nonfirm_window(region.tz)
    return {
        "solar": solar,
        "temperature_c": weather.data["temp_air"].to_numpy(),
        "pue": region.pue(weather),
        **_multi_site_work(region, site, 3402),
        "import_limit_mw": np.where(window, SPAIN_IMPORT_REDUCED_MW, SPAIN_IMPORT_FULL_MW),
        **iberian_grid(np.random.default_rng(3401), region.tz, solar),
    }


def _india(region: Region, site: dict) -> dict[str, np.ndarray]:
    """India: solar and wind; IEX-like prices converted from INR/kWh, coal-heavy grid."""
    weather = region.weather()
    solar, wind = region.solar(weather), region.wind(weather)
    grid = indian_grid(np.random.default_rng(3501), region.tz, solar, wind)
    eur_per_mwh = 1000 / INR_PER_EUR  # from INR/kWh
    return {
        "solar": solar,
        "wind": wind,
        "temperature_c": weather.data["temp_air"].to_numpy(),
        "pue": region.pue(weather),
        **_multi_site_work(region, site, 3502),
        "import_price": eur_per_mwh * grid["import_price"],
        "export_price": eur_per_mwh * grid["export_price"],
        "carbon_intensity": grid["carbon_intensity"],
        "clean_share": grid["clean_share"],
    }


MULTI_SITES = {
    "kenya": (OLKARIA, _kenya),
    "iceland": (HELLISHEIDI, _iceland),
    "norway": (TRONDELAG, _norway),
    "spain": (SEVILLE, _spain),
    "india": (JAMNAGAR, _india),
}
"""Sites of the multi-site example: their region and the function making their series."""


def multi_site(scenario: dict) -> pd.DataFrame:
    """Profiles of the five-site example with routing of work between the sites.

    Parameters
    ----------
    scenario
        The parsed ``scenario.yaml`` (for each site's IT capacity).

    Returns
    -------
    pandas.DataFrame
        One column per series, named ``SITE_SERIES``, indexed by :data:`HOURS`.
    """
    if set(scenario["sites"]) != set(MULTI_SITES):
        raise ValueError(f"multi-site expects the sites {', '.join(MULTI_SITES)}")
    columns: dict[str, np.ndarray] = {}
    for name, (region, make) in MULTI_SITES.items():
        for column, values in make(region, scenario["sites"][name]).items():
            columns[f"{name}_{column}"] = values
    return _frame(**columns)


EXAMPLES = {
    "olkaria": olkaria,
    "nordic": nordic,
    "solar-battery": solar_battery,
    "multi-site": multi_site,
}
"""Example folder name and the function making its profiles."""


def _site(scenario: dict) -> dict:
    """The one site of a parsed single-site scenario file."""
    (site,) = scenario["sites"].values()
    return site


def _frame(**columns: np.ndarray) -> pd.DataFrame:
    """The columns as a frame on :data:`HOURS`."""
    return pd.DataFrame(
        {name: np.asarray(values, dtype=float) for name, values in columns.items()},
        index=HOURS,
    )


# --------------------------------------------------------------------------------------
# Writing and checking
# --------------------------------------------------------------------------------------


def round_significant(values: np.ndarray, digits: int = 4) -> np.ndarray:
    """Round to ``digits`` significant digits; magnitudes below 1e-4 become 0."""
    values = np.where(np.abs(values) < 1e-4, 0.0, values)
    safe = np.where(values == 0, 1.0, np.abs(values))
    decimals = digits - 1 - np.floor(np.log10(safe)).astype(int)
    return np.array([round(v, int(d)) for v, d in zip(values, decimals, strict=True)])


def write_profiles(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as a compact CSV: ``time`` in ISO 8601 with offset, 4 digits."""
    out = frame.apply(lambda column: round_significant(column.to_numpy()))
    out.index = HOURS.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    out.index.name = "time"
    out.to_csv(path, float_format="%.4g", lineterminator="\n")


def _resolve(value: float | str | None, frame: pd.DataFrame, default: float = 0.0) -> np.ndarray:
    """A scenario series field as values on :data:`HOURS` [field's unit]."""
    if value is None:
        return np.full(len(HOURS), default)
    if isinstance(value, str):
        file_name, column = value.rsplit(":", 1)
        if file_name != PROFILES:
            raise ValueError(f"series {value!r} is not in {PROFILES}")
        return frame[column].to_numpy(dtype=float)
    return np.full(len(HOURS), float(value))


@dataclass(frozen=True)
class Check:
    """Energy figures of one site, from its scenario entry and profiles.

    Attributes
    ----------
    renewable_mwh
        Available energy of the variable renewables plus reservoir inflow [MWh].
    facility_mwh
        Facility energy with every workload served on arrival at its own site [MWh].
    curtailed_mwh
        Greedy estimate of the baseline curtailment and spill [MWh].
    deferrable_share, interruptible_share
        Shares of the IT work [-].
    """

    renewable_mwh: float
    facility_mwh: float
    curtailed_mwh: float
    deferrable_share: float
    interruptible_share: float

    def line(self) -> str:
        """One line of the figures, for the console."""
        return (
            f"renewable {self.renewable_mwh / 1e3:.1f} GWh, facility "
            f"{self.facility_mwh / 1e3:.1f} GWh, greedy baseline curtailment "
            f"{self.curtailed_mwh / 1e3:.1f} GWh "
            f"({self.curtailed_mwh / max(self.renewable_mwh, 1e-9):.1%}); work "
            f"{self.deferrable_share:.0%} deferrable, "
            f"{self.interruptible_share:.0%} interruptible"
        )


def check_site(site: dict, frame: pd.DataFrame) -> Check:
    """Check one site for consistency and feasibility, and estimate its curtailment.

    Raises if, in some hour, the work exceeds the IT capacity, the export price
    exceeds the import price, the firm facility load exceeds local supply (without
    storage) plus the import limit, the baseline facility load (all work served on
    arrival) exceeds local supply plus storage power plus the import limit, or
    geothermal minimum output exceeds what the firm facility load and the export limit
    can take; and if no geothermal output path within the ramp limit can cover the
    baseline facility load (:func:`geothermal_ramp_feasible`).

    The curtailment estimate walks through the year once with every workload served
    on arrival at its own site (no routing): must-run geothermal at its minimum and
    every renewable first, then export, then battery charging; the rest is curtailed.
    In deficit hours the reservoir turbine, then the battery, covers what it can; the
    reservoir spills when full. It has no foresight, so it overstates what the
    optimiser curtails.

    Parameters
    ----------
    site
        One site of the parsed ``scenario.yaml``.
    frame
        The study's profiles.

    Returns
    -------
    Check
        The energy figures.
    """
    dc = site["datacentre"]
    cap, idle = dc["it_capacity_mw"], dc.get("idle_fraction", 0.0)
    pue = _resolve(dc.get("pue"), frame, 1.0)
    firm = _resolve(dc.get("firm_mw"), frame)
    arrivals = _resolve((dc.get("deferrable") or {}).get("arrivals_mwh"), frame)
    offered = _resolve((dc.get("interruptible") or {}).get("offered_mw"), frame)
    work = firm + arrivals + offered
    if np.any(work > cap):
        raise ValueError(f"work exceeds the IT capacity in {np.sum(work > cap)} hours")
    grid = site.get("grid") or {}
    imp = _resolve(grid.get("import_limit_mw"), frame)
    exp = _resolve(grid.get("export_limit_mw"), frame)
    if grid and np.any(
        _resolve(grid.get("export_price"), frame) > _resolve(grid.get("import_price"), frame)
    ):
        raise ValueError("export price exceeds import price")

    vre = np.zeros(len(HOURS))
    for carrier in ("solar", "wind", "run_of_river"):
        if site.get(carrier):
            vre += site[carrier]["capacity_mw"] * _resolve(site[carrier]["availability"], frame)
    geo = site.get("geothermal") or {}
    geo_cap = geo.get("capacity_mw", 0.0)
    geo_min = geo_cap * geo.get("min_stable_pu", 0.0)
    firm_facility = pue * (idle * cap + (1 - idle) * firm)
    facility = pue * (idle * cap + (1 - idle) * work)
    if np.any(firm_facility > vre + geo_cap + imp):
        raise ValueError("firm facility load exceeds local supply plus import")
    if np.any(geo_min > firm_facility + exp):
        raise ValueError("geothermal minimum exceeds firm facility load plus export")

    res = site.get("reservoir") or {}
    inflow = _resolve(res.get("inflow_mw"), frame)
    turbine = res.get("turbine_mw", 0.0)
    bat = site.get("battery") or {}
    b_power, b_energy = bat.get("power_mw", 0.0), bat.get("energy_mwh", 0.0)
    # Baseline: all work on arrival; storage at best adds its power.
    short = facility - (vre + imp + b_power + turbine)
    if np.any(short > geo_cap):
        raise ValueError(
            f"baseline facility load exceeds local supply plus import in "
            f"{np.sum(short > geo_cap)} hours"
        )
    if geo and geo.get("ramp_pu_per_h") is not None:
        ramp = geo["ramp_pu_per_h"] * geo_cap
        lower = np.clip(short, geo_min, None)
        upper = np.minimum(geo_cap, facility + exp + b_power)
        if not geothermal_ramp_feasible(lower, upper, ramp):
            raise ValueError("geothermal cannot ramp to follow the baseline facility load")
    level_min = res.get("energy_mwh", 0.0) * res.get("min_level_pu", 0.0)
    level_max = res.get("energy_mwh", 0.0) * res.get("max_level_pu", 1.0)
    level = level_max
    eta_c = bat.get("charge_efficiency", 0.95)
    eta_d = bat.get("discharge_efficiency", 0.95)
    soc = 0.0
    curtailed = 0.0
    net = vre + geo_min - facility
    for t in range(len(HOURS)):
        surplus = net[t]
        hydro = 0.0
        if surplus > 0:
            surplus -= min(exp[t], surplus)
            charge = min(b_power, (b_energy - soc) / eta_c, surplus)
            soc += charge * eta_c
            curtailed += surplus - charge
        else:
            hydro = min(turbine, max(level + inflow[t] - level_min, 0), -surplus)
            discharge = min(b_power, soc * eta_d, -surplus - hydro)
            soc -= discharge / eta_d
        level += inflow[t] - hydro
        if level > level_max:
            curtailed += level - level_max
            level = level_max
    total_work = work.sum()
    return Check(
        renewable_mwh=float(vre.sum() + inflow.sum()),
        facility_mwh=float(facility.sum()),
        curtailed_mwh=float(curtailed),
        deferrable_share=float(arrivals.sum() / total_work),
        interruptible_share=float(offered.sum() / total_work),
    )


def geothermal_ramp_feasible(lower: np.ndarray, upper: np.ndarray, ramp: float) -> bool:
    """Whether an output path within hourly bounds and a ramp limit exists.

    A forward pass narrows each hour's bounds to what the previous hour's bounds
    can reach; a path exists if no hour's bounds become empty.

    Parameters
    ----------
    lower, upper
        Lowest and highest allowed output in each hour [MW].
    ramp
        Largest change of output from one hour to the next [MW/h].

    Returns
    -------
    bool
        True if a feasible path exists.
    """
    low, high = lower[0], upper[0]
    for t in range(len(lower)):
        if t:
            low, high = max(lower[t], low - ramp), min(upper[t], high + ramp)
        if low > high + 1e-9:
            return False
    return True


def check(scenario: dict, frame: pd.DataFrame) -> dict[str, Check]:
    """Check every site of an example (:func:`check_site`) and its routing.

    Parameters
    ----------
    scenario
        The parsed ``scenario.yaml``.
    frame
        Its profiles.

    Returns
    -------
    dict
        The energy figures of each site, by site name.
    """
    if scenario.get("routing"):
        check_latency(scenario["routing"]["latency"])
    figures = {}
    for name, site in scenario["sites"].items():
        try:
            figures[name] = check_site(site, frame)
        except ValueError as exc:
            raise ValueError(f"site {name}: {exc}") from None
    return figures


FIBRE_KM_PER_MS = 200.0
"""Distance light travels in optical fibre per millisecond, about 2/3 c [km/ms]."""


def great_circle_km(a: Place, b: Place) -> float:
    """Great-circle distance between two places on a 6371 km sphere [km]."""
    lat1, lon1, lat2, lon2 = np.radians([a.latitude, a.longitude, b.latitude, b.longitude])
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return float(2 * 6371.0 * np.arcsin(np.sqrt(h)))


def check_latency(latency: dict) -> None:
    """Check a latency matrix of multi-site sites against physics.

    Raises unless the matrix is symmetric with a zero diagonal and every round trip
    is at least the fibre minimum, twice the great-circle distance between the
    sites' places over :data:`FIBRE_KM_PER_MS`. Prints each pair's round trip as a
    multiple of that minimum (the path inflation).

    Parameters
    ----------
    latency
        The ``routing.latency`` mapping of the parsed ``scenario.yaml``.
    """
    sites, matrix = latency["sites"], np.asarray(latency["matrix_ms"], dtype=float)
    if not np.allclose(matrix, matrix.T) or np.any(np.diag(matrix) != 0):
        raise ValueError("latency matrix is not symmetric with a zero diagonal")
    ratios = []
    for i, a in enumerate(sites):
        for j in range(i + 1, len(sites)):
            b = sites[j]
            fibre_ms = 2 * great_circle_km(MULTI_SITES[a][0].place, MULTI_SITES[b][0].place)
            fibre_ms /= FIBRE_KM_PER_MS
            if matrix[i, j] < fibre_ms:
                raise ValueError(f"latency {a}-{b} below the fibre minimum {fibre_ms:.0f} ms")
            ratios.append(f"{a}-{b} {matrix[i, j]:.0f} ms = {matrix[i, j] / fibre_ms:.1f}x")
    print("  latency over fibre minimum: " + ", ".join(ratios))


def main(argv: list[str] | None = None) -> None:
    """Regenerate the profiles of the examples named on the command line (or all)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "examples", nargs="*", metavar="EXAMPLE", help=f"any of {', '.join(EXAMPLES)}"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.examples) - set(EXAMPLES))
    if unknown:
        parser.error(f"unknown example(s): {', '.join(unknown)}")
    for name in args.examples or EXAMPLES:
        folder = NETWORKS / name
        scenario = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
        frame = EXAMPLES[name](scenario)
        print(f"{name}:")
        figures = check(scenario, frame)
        path = folder / PROFILES
        write_profiles(frame, path)
        print(f"  wrote {path.relative_to(NETWORKS.parent)} ({path.stat().st_size / 1e3:.0f} kB)")
        for site, site_figures in figures.items():
            print(f"  {site}: {site_figures.line()}")


if __name__ == "__main__":
    main()
