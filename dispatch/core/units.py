"""Units as files write them: the CF conventions' UDUNITS-2 spellings of dispatch's units.

Inside dispatch and in ``summary.json``, units are the short names of the glossary
(``MWh``, ``currency/MWh``, ``tCO2``). CF netCDF files need units that UDUNITS-2
parses: energy is ``MW h``, emissions are ``t`` (the substance goes into the
``long_name``), and money is not a UDUNITS unit, so the currency moves into an
attribute of its own (``currency``) and leaves ``1`` (a cost) or the rest of the
quotient (``MW-1 h-1`` for a price per MWh).

Units as files are read: :func:`parse_units` takes any UDUNITS-2 spelling of a
quantity's dimension (``megawatt``, ``kW``, ``kg kW-1 h-1``) with ``cf_units``, besides
the spellings dispatch wrote before (``MWh``, ``EUR/MWh``, ``tCO2/MWh``), and gives
the :class:`Conversion` to the canonical unit.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from dispatch.core.errors import ScenarioError

CF_SPELLINGS = {
    "MW": "MW",
    "MWh": "MW h",
    "h": "h",
    "1": "1",
    "m3": "m3",
    "tCO2": "t",
    "tCO2/MWh": "t MW-1 h-1",
    "currency": "1",
    "currency/MWh": "MW-1 h-1",
    "currency/MW": "MW-1",
    "currency/tCO2": "t-1",
    "-": "1",
    "p.u.": "1",
    "p.u./h": "h-1",
    "p.u./a": "year-1",
    "a": "year",
    "MW/h": "MW h-1",
    "ms": "ms",
    "m3/MWh": "m3 MW-1 h-1",
}
"""The UDUNITS-2 spelling of each unit dispatch writes [-]."""


def cf_attributes(unit: str, currency: str) -> dict[str, str]:
    """The CF attributes of a variable in ``unit``: ``units`` and, for money, ``currency``.

    Parameters
    ----------
    unit
        A unit as dispatch names it (a key of :data:`CF_SPELLINGS`), or with the
        currency named, as ``summary.json`` has it (``"EUR/MWh"``).
    currency
        The study's currency, e.g. ``"EUR"``.

    Returns
    -------
    dict of str
        ``{"units": ...}`` plus ``{"currency": ...}`` where the unit counts money.

    Examples
    --------
    >>> cf_attributes("currency/MWh", "EUR")
    {'units': 'MW-1 h-1', 'currency': 'EUR'}
    >>> cf_attributes("tCO2", "EUR")
    {'units': 't'}
    >>> cf_attributes("EUR", "EUR")
    {'units': '1', 'currency': 'EUR'}
    """
    if unit not in CF_SPELLINGS and currency:
        unit = unit.replace(currency, "currency")
    attributes = {"units": CF_SPELLINGS[unit]}
    if unit.startswith("currency"):
        attributes["currency"] = currency
    return attributes


QUANTITY_UNITS: dict[str, str] = {
    "power": "MW",
    "energy": "MWh",
    "price": "currency/MWh",
    "carbon": "tCO2/MWh",
    "share": "1",
    "ratio": "1",
    "duration": "h",
}
"""The canonical unit of each quantity read, as dispatch names it (a key of
:data:`CF_SPELLINGS`) [-]."""

_DESCRIPTIONS = {
    "power": "a power (MW)",
    "energy": "an energy (MW h)",
    "price": "a price per energy (per MW h)",
    "carbon": "a mass per energy (t MW-1 h-1)",
    "share": "a share (1)",
    "ratio": "a ratio (1)",
    "duration": "a duration (h)",
}
MAX_UNITS_LENGTH = 100
"""Longest ``units`` text read [characters]."""
_LEGACY_PRICE = re.compile(r"^([A-Z]{3})\s*/\s*(.+)$")
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
_WATT_HOUR = re.compile(
    r"(?<![A-Za-z_])((?:da|[YZEPTGMkhdcmunpfazyµμ])?)Wh(\^?[-+]?\d+)?(?![A-Za-z0-9_])"
)
_MASS_OF_CO2 = re.compile(r"(?<![A-Za-z_])([A-Za-z]+)CO2(?![A-Za-z0-9_])")
_EXACT_POWERS = 22
"""Largest n for which 10.0**n is exact in double precision [-]."""
_POWER_OF_TEN = 1e-12
"""Relative distance within which a conversion factor is taken as its power of ten [-]."""


@dataclass(frozen=True)
class Conversion:
    """How values in a file's units become values in the quantity's canonical unit.

    Attributes
    ----------
    factor
        Canonical value per value in the file's units [-].
    exponent
        The power of ten ``factor`` is, exactly; None if it is none.
    currency
        ISO 4217 code of a price; None for other quantities.
    """

    factor: float
    exponent: int | None = None
    currency: str | None = None

    def apply(self, values: np.ndarray) -> np.ndarray:
        """``values`` [file's units] in the canonical unit: a decimal shift
        (:func:`decimal_shift`) for a power of ten, else a product."""
        if self.exponent is not None:
            return decimal_shift(values, self.exponent)
        return np.asarray(values, dtype=float) * self.factor


def parse_units(
    units: Any,
    quantity: str,
    file: str,
    name: str,
    *,
    currency: Any = None,
    study_currency: str | None = None,
) -> Conversion:
    """The conversion of a variable's ``units`` to the canonical unit of its quantity.

    Any unit UDUNITS-2 reads (through ``cf_units``) of the quantity's dimension is
    accepted, e.g. ``megawatt``, ``kW``, ``MW h``, ``kg kW-1 h-1``, ``percent``, and so
    are spellings UDUNITS-2 does not read: a watt-hour with an SI prefix (``kWh``,
    ``kg kWh-1``, read as ``(kW h)``), a mass of CO2 (``tCO2/MWh``, read as a mass)
    and, for prices, a currency before a slash (``EUR/MWh``).

    Parameters
    ----------
    units
        The ``units`` attribute or metadata field as read; None if absent.
    quantity
        A key of :data:`QUANTITY_UNITS`.
    file, name
        The file and the variable (or field), for errors.
    currency
        The ``currency`` attribute or field as read (prices); None if absent.
    study_currency
        If given, the currency a price must be in.

    Returns
    -------
    Conversion
        The factor to the canonical unit and, for a price, its currency.

    Raises
    ------
    ScenarioError
        One line naming ``file`` and ``name``: units missing, not units, not of the
        quantity's dimension, with an offset; a price without a currency or in
        another than ``study_currency``.

    Examples
    --------
    >>> parse_units("kg kWh-1", "carbon", "signals.csv", "carbon_intensity").factor
    1.0
    >>> parse_units("kW h", "energy", "f.nc", "arrivals").apply([1.0])
    array([0.001])
    """
    description = _DESCRIPTIONS[quantity]
    if units is None or (isinstance(units, str) and not units.strip()):
        raise ScenarioError(file, name, f"has no units; expected {description}")
    if not isinstance(units, str) or len(units) > MAX_UNITS_LENGTH:
        raise ScenarioError(
            file, name, f"units must be a text of at most {MAX_UNITS_LENGTH} characters"
        )
    text = units.strip()
    quoted = json.dumps(text)  # double quotes, control characters escaped
    money = QUANTITY_UNITS[quantity].startswith("currency")
    legacy = _LEGACY_PRICE.match(text) if money else None
    if legacy:
        text = f"1/({legacy[2]})"
    factor = _factor(text, CF_SPELLINGS[QUANTITY_UNITS[quantity]], quoted, description, file, name)
    exponent = round(math.log10(factor))
    if abs(factor / 10.0**exponent - 1) <= _POWER_OF_TEN:
        factor = float(Decimal(1).scaleb(exponent))
    else:
        exponent = None
    code = _price_currency(legacy[1] if legacy else None, currency, file, name) if money else None
    if code is not None and study_currency is not None and code != study_currency:
        raise ScenarioError(
            file, name, f"prices in {code}, the study's currency is {study_currency}"
        )
    return Conversion(factor, exponent, code)


def _factor(
    text: str, canonical: str, quoted: str, description: str, file: str, name: str
) -> float:
    """Canonical value per value in UDUNITS-2 units ``text``; errors quote the units as
    the file gives them (``quoted``)."""
    import cf_units  # here: it loads UDUNITS-2's unit database

    readable = _MASS_OF_CO2.sub(r"\1", text)
    readable = _WATT_HOUR.sub(lambda m: f"({m[1]}W h){m[2] or ''}", readable)
    with cf_units.suppress_errors():  # UDUNITS-2 would print to stderr
        try:
            unit = cf_units.Unit(readable)
        except (ValueError, TypeError):
            raise ScenarioError(
                file, name, f"units {quoted} are not units UDUNITS-2 reads; expected {description}"
            ) from None
        target = cf_units.Unit(canonical)
        # UDUNITS-2 calls reciprocals convertible: the quotient must be a pure number.
        if (
            unit.is_unknown()
            or unit.is_no_unit()
            or unit.is_time_reference()
            or not (unit / target).is_dimensionless()
        ):
            raise ScenarioError(file, name, f"units {quoted} are not {description}")
        factor, offset = unit.convert(np.array([1.0, 0.0]), target)
    if offset != 0 or not (math.isfinite(factor) and factor > 0):
        raise ScenarioError(
            file, name, f"units {quoted} are not a positive multiple of {canonical} (offset?)"
        )
    return float(factor)


def _price_currency(prefix: str | None, currency: Any, file: str, name: str) -> str:
    """The currency of a price: its ``currency`` attribute or the legacy prefix of its
    units (``EUR/MWh``), which must agree if both are given."""
    if currency is not None and not (isinstance(currency, str) and _CURRENCY_CODE.match(currency)):
        raise ScenarioError(
            file, name, f"currency {json.dumps(str(currency)[:20])} is not an ISO 4217 code"
        )
    if prefix and currency and prefix != currency:
        raise ScenarioError(file, name, f"units {prefix}/..., currency {currency}: two currencies")
    found = prefix or currency
    if found is None:
        raise ScenarioError(
            file,
            name,
            'a price needs its currency: a currency attribute (e.g. "EUR") or units '
            'such as "EUR/MWh"',
        )
    return found


def decimal_shift(values: np.ndarray, exponent: int) -> np.ndarray:
    """Multiply by 10**exponent as a decimal shift of each value's shortest repr.

    Exact for values of up to 15 significant digits (``0.12`` [EUR/kWh] becomes
    ``120.0`` [EUR/MWh], not ``120.00000000000001``), so unit conversions of values
    read from text files round-trip. Any shape.
    """
    values = np.asarray(values, dtype=float)
    if exponent == 0:
        return values
    flat = values.ravel()
    shifted = flat.copy()  # NaN and infinities stay
    todo = np.isfinite(flat)
    # Fast and exact: a value that is m / 10**digits, m an integer of up to 15 digits
    # (its shortest repr), is m * 10**(exponent - digits), one correctly rounded step.
    for digits in range(16):
        at = np.flatnonzero(todo)
        if not len(at) or abs(exponent - digits) > _EXACT_POWERS:
            break
        with np.errstate(over="ignore"):  # a huge value: not found here
            m = np.round(flat[at] * 10.0**digits)
        found = (m / 10.0**digits == flat[at]) & (np.abs(m) < 1e15)
        shift = exponent - digits
        moved = m[found] * 10.0**shift if shift >= 0 else m[found] / 10.0**-shift
        shifted[at[found]] = moved
        todo[at[found]] = False
    for i in np.flatnonzero(todo):  # longer decimals: the shift of their repr
        shifted[i] = float(Decimal(repr(float(flat[i]))).scaleb(exponent))
    return shifted.reshape(values.shape)
