"""Wind availability from weather: a turbine of windpowerlib's bundled library at hub
height.

windpowerlib's ``ModelChain`` takes the weather's wind speed to the hub (logarithmic
profile with the roughness length, or Hellman's power law), the air density at the hub
from the temperature (linear gradient from 2 m) and the surface pressure (barometric
height formula, or ideal gas), and reads the turbine's power curve, density-corrected
if asked. The availability is that power per unit of the turbine's rated power, less
a loss factor for wakes and downtime. Turbines come from the OpenEnergy Database
library that windpowerlib ships; nothing is downloaded.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from dispatch.core.errors import ScenarioError
from dispatch.scenario.quantities import StrictModel

if TYPE_CHECKING:
    from windpowerlib import WindTurbine

    from dispatch.sources.weather import Weather

TEMPERATURE_HEIGHT_M = 2.0
"""Height of a weather file's air temperature [m]."""
PRESSURE_HEIGHT_M = 0.0
"""Height of a weather file's air pressure: the ground [m]."""
KELVIN = 273.15
"""0 degC [K]."""


class WindModel(StrictModel):
    """A wind farm of one turbine type, as windpowerlib models it.

    The defaults are a 3.3 MW onshore turbine at 100 m over farmland, its power
    curve corrected for the air density at the hub, and 10 % lost to wakes and
    downtime.
    """

    turbine_type: str = Field(default="V112/3300", min_length=1, max_length=64)
    """Turbine type of windpowerlib's bundled OpenEnergy Database library with a
    power curve, e.g. ``V112/3300``, ``E-82/2350``, ``SWT130/3600`` [-]."""
    hub_height_m: float = Field(default=100.0, gt=0, le=300)
    """Hub height above the ground; more than half the rotor diameter [m]."""
    wind_profile: Literal["logarithmic", "hellman"] = "logarithmic"
    """How the wind speed changes with height: ``logarithmic`` (``roughness_length_m``)
    or ``hellman`` (``hellman_exponent``) [-]."""
    roughness_length_m: float = Field(default=0.1, gt=0, le=5)
    """Roughness length of the terrain (0.0002 sea, 0.03 open land, 0.1 farmland,
    0.5-1 forest or town) [m]."""
    hellman_exponent: float | None = Field(default=None, gt=0, le=1)
    """Hellman: exponent of the power law (1/7 over open land); None: from the
    roughness length, 1 / ln(hub height / roughness length) [-]."""
    density_correction: bool = True
    """Correct the power curve, given at 1.225 kg m-3, for the air density at the hub
    (IEC 61400-12 method as windpowerlib implements it) [-]."""
    density_model: Literal["barometric", "ideal_gas"] = "barometric"
    """Air density at the hub from the surface pressure and the temperature at the
    hub (linear gradient from 2 m): ``barometric`` height formula or ``ideal_gas``
    law [-]."""
    loss_factor: float = Field(default=0.1, ge=0, lt=1)
    """Share of the turbines' output lost to wakes, downtime and the collection grid
    [-]."""

    @model_validator(mode="after")
    def _exponent_of_hellman(self) -> WindModel:
        if self.hellman_exponent is not None and self.wind_profile != "hellman":
            raise ValueError("hellman_exponent is of wind_profile 'hellman'")
        return self


def wind_model(values: dict, file: str) -> WindModel:
    """A :class:`WindModel` from plain values, as
    :func:`~dispatch.sources.profiles.plant_model` makes it."""
    from dispatch.sources.profiles import plant_model

    return plant_model(WindModel, values, file)


def turbine_types() -> list[str]:
    """The turbine types of windpowerlib's bundled library that have a power curve."""
    import windpowerlib

    path = Path(windpowerlib.__file__).parent / "oedb" / "power_curves.csv"
    return pd.read_csv(path, usecols=[0]).iloc[:, 0].astype(str).tolist()


def wind_turbine(model: WindModel, file: str = "wind model") -> WindTurbine:
    """The turbine of ``model`` from windpowerlib's bundled library (read from the
    package's files, never downloaded).

    Raises
    ------
    ScenarioError
        One line naming ``file``: an unknown turbine type, with close names; a hub
        lower than half the rotor diameter.
    """
    from windpowerlib import WindTurbine

    known = turbine_types()
    if model.turbine_type not in known:
        # A model named within the text first ("Vestas V90" -> V90/2000), then the likest.
        named = [k for k in known if k.split("/")[0].lower() in model.turbine_type.lower()]
        close = difflib.get_close_matches(model.turbine_type, known, n=4, cutoff=0.0)
        hint = ", ".join([*dict.fromkeys([*named, *close])][:4])
        raise ScenarioError(
            file,
            "turbine_type",
            f"{model.turbine_type!r} is not in windpowerlib's turbine library "
            f"(close: {hint}; {len(known)} types, see docs/sources.md)",
        )
    try:
        turbine = WindTurbine(hub_height=model.hub_height_m, turbine_type=model.turbine_type)
    except ValueError:  # windpowerlib: hub below half the rotor diameter
        raise ScenarioError(file, "hub_height_m", "is lower than half the rotor diameter") from None
    if not turbine.nominal_power or not turbine.nominal_power > 0:
        raise ScenarioError(file, "turbine_type", "has no rated power in windpowerlib's library")
    return turbine


def wind_availability(weather: Weather, model: WindModel) -> pd.Series:
    """Wind availability: output per unit of rated power, hour by hour.

    Parameters
    ----------
    weather
        Hourly weather at the site: wind speed at ``weather.wind_height_m``, air
        temperature at 2 m and pressure at the ground.
    model
        The wind farm.

    Returns
    -------
    pandas.Series
        Availability in [0, 1 - ``loss_factor``] on ``weather.data.index``, named
        ``wind`` [p.u.].

    Raises
    ------
    ScenarioError
        Weather without wind speed; an unknown turbine type or a hub too low for the
        rotor (:func:`wind_turbine`).
    """
    from windpowerlib import ModelChain

    if not weather.has_wind:
        raise ScenarioError(weather.source, "wind_speed", "the file gives no wind speed")
    turbine = wind_turbine(model)
    data = weather.data
    table = pd.DataFrame(
        {
            ("wind_speed", weather.wind_height_m): data["wind_speed"].to_numpy(dtype=float),
            ("temperature", TEMPERATURE_HEIGHT_M): data["temp_air"].to_numpy(dtype=float) + KELVIN,
            ("pressure", PRESSURE_HEIGHT_M): data["pressure"].to_numpy(dtype=float),
            ("roughness_length", 0.0): model.roughness_length_m,
        },
        index=data.index,
    )
    chain = ModelChain(
        turbine,
        wind_speed_model=model.wind_profile,
        density_model=model.density_model,
        density_correction=model.density_correction,
        hellman_exp=model.hellman_exponent,
    ).run_model(table)
    power = np.asarray(chain.power_output, dtype=float) / turbine.nominal_power
    available = np.clip(power, 0, 1) * (1 - model.loss_factor)
    return pd.Series(available, index=data.index, name="wind")
