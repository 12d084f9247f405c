"""The CF conventions' rules that dispatch's netCDF files keep, as one assertion.

:func:`assert_cf_compliant` opens a written file and checks what a partner's CF
software relies on: the ``Conventions`` version, units that UDUNITS-2 parses
(``cf_units``), the time coordinates, cell bounds, ``cell_methods``, long names, and
the currency of money. It does not check the CF standard name table.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

CELL_METHODS = frozenset(
    {
        "point",
        "sum",
        "maximum",
        "maximum_absolute_value",
        "median",
        "mid_range",
        "minimum",
        "minimum_absolute_value",
        "mean",
        "mean_absolute_value",
        "mean_of_upper_decile",
        "mode",
        "range",
        "root_mean_square",
        "standard_deviation",
        "sum_of_squares",
        "variance",
    }
)
"""The methods of CF ``cell_methods`` (CF 1.11 appendix E)."""
CALENDARS = frozenset(
    {
        "standard",
        "gregorian",
        "proleptic_gregorian",
        "julian",
        "noleap",
        "365_day",
        "all_leap",
        "366_day",
        "360_day",
        "none",
        "utc",
        "tai",
    }
)
"""The calendars CF names."""
TIME_NAMES = frozenset({"time", "forecast_reference_time"})
"""Standard names of time coordinates on a ``T`` axis."""
MONEY_WORDS = frozenset({"cost", "price", "revenue", "value"})
"""Words of a variable's name (split at ``_``) that make it an amount of money."""

_CELL_METHOD = re.compile(
    r"\s*((?:[A-Za-z][\w-]*:\s*)+)([a-z_]+)"
    r"((?:\s+(?:where|over|within)\s+[A-Za-z]\w*)*)(\s*\([^()]*\))?\s*"
)
_CONVENTIONS = re.compile(r"(?:^|[\s,])CF-1\.(\d+)(?=$|[\s,])")


def assert_cf_compliant(path: str | Path) -> None:
    """Assert that a netCDF file meets the CF conventions (1.8 or later) as dispatch
    writes them.

    Checks, naming the file and the variable that fails:

    - the global ``Conventions`` attribute names ``CF-1.8`` or a later CF-1 version;
    - every ``units`` attribute parses with ``cf_units`` (UDUNITS-2); every numeric
      variable has units except flags (``flag_values``) and bounds; a variable
      with ``axis: T`` or a time ``standard_name`` has units of a time reference
      (``hours since ...``) and a CF ``calendar`` if it gives one;
    - every variable but bounds has a ``long_name`` or ``standard_name``, string
      variables (site, carrier, ...) a ``long_name``;
    - a file with times has a variable of ``standard_name: time``; every coordinate
      variable (one dimension, of its own name) in units of a time reference has
      ``standard_name`` ``time`` or ``forecast_reference_time`` and ``axis: T``;
    - a ``bounds`` variable exists, has the dimensions of its coordinate and one more
      of size 2, the same units and calendar, its start equals the coordinate, its
      end is later than its start, and along the coordinate's last dimension each
      end is the next start;
    - ``cell_methods`` parse as CF's ``name: [name: ...] method [where|over|within
      ...] [(comment)]``, each name a dimension of the variable, ``area`` or the
      standard name of one of its coordinates, each method one of
      :data:`CELL_METHODS`; a coordinate a method other than ``point`` applies to
      has bounds;
    - a variable whose name has a word of :data:`MONEY_WORDS` (``total_cost``,
      ``import_price``), or that has a ``currency`` attribute, gives the currency as
      three capital letters (ISO 4217).

    Parameters
    ----------
    path
        The netCDF file.

    Raises
    ------
    AssertionError
        The first rule the file breaks, with the file and variable.

    Examples
    --------
    >>> from dispatch.testing import assert_cf_compliant
    >>> assert_cf_compliant("networks/solar-battery/partner/signals.nc")
    """
    import netCDF4

    with netCDF4.Dataset(path) as ds:
        ds.set_auto_maskandscale(False)
        file = str(path)
        conventions = str(getattr(ds, "Conventions", ""))
        versions = [int(minor) for minor in _CONVENTIONS.findall(conventions)]
        assert versions and max(versions) >= 8, (
            f"{file}: Conventions is {conventions!r}, expected CF-1.8 or later"
        )
        variables = ds.variables
        bounds_of = {
            str(v.getncattr("bounds")): name
            for name, v in variables.items()
            if "bounds" in v.ncattrs()
        }
        for name, variable in variables.items():
            _check_variable(file, name, variable, name in bounds_of)
        times = [v for v in variables.values() if _time_reference(_attr(v, "units"))]
        if times:
            assert any(_attr(v, "standard_name") == "time" for v in variables.values()), (
                f"{file}: has times but no variable of standard_name 'time'"
            )
        for name, variable in variables.items():
            if variable.dimensions == (name,) and _time_reference(_attr(variable, "units")):
                _check_time_coordinate(file, name, variable)
            if "bounds" in variable.ncattrs():
                _check_bounds(file, name, variable, variables)
            if "cell_methods" in variable.ncattrs():
                _check_cell_methods(file, name, variable, variables)


def _attr(variable, name: str) -> object:
    return variable.getncattr(name) if name in variable.ncattrs() else None


def _time_reference(units: object) -> bool:
    import cf_units

    if not isinstance(units, str):
        return False
    try:
        return cf_units.Unit(units).is_time_reference()
    except ValueError:
        return False


def _check_variable(file: str, name: str, variable, is_bounds: bool) -> None:
    """Units, names and currency of one variable."""
    import cf_units

    where = f"{file}: variable {name!r}"
    units = _attr(variable, "units")
    if units is not None:
        assert isinstance(units, str), f"{where}: units {units!r} are not text"
        try:
            cf_units.Unit(units)
        except ValueError as error:
            raise AssertionError(f"{where}: units {units!r} do not parse ({error})") from None
    text = variable.dtype == str or np.dtype(variable.dtype).kind in "SU"
    if not text and not is_bounds and "flag_values" not in variable.ncattrs():
        assert units is not None, f"{where}: numeric, but has no units"
    if text:
        assert "long_name" in variable.ncattrs(), f"{where}: strings without a long_name"
    if not is_bounds:
        named = "long_name" in variable.ncattrs() or "standard_name" in variable.ncattrs()
        assert named, f"{where}: has neither long_name nor standard_name"
    if _attr(variable, "axis") == "T" or _attr(variable, "standard_name") in TIME_NAMES:
        assert _time_reference(units), f"{where}: a time, but units {units!r} are no time reference"
    calendar = _attr(variable, "calendar")
    if calendar is not None:
        assert str(calendar).lower() in CALENDARS, f"{where}: unknown calendar {calendar!r}"
    money = MONEY_WORDS.intersection(name.lower().split("_"))
    if money or "currency" in variable.ncattrs():
        currency = _attr(variable, "currency")
        assert isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency), (
            f"{where}: an amount of money, but its currency attribute is {currency!r}"
        )


def _check_time_coordinate(file: str, name: str, variable) -> None:
    where = f"{file}: time coordinate {name!r}"
    standard_name = _attr(variable, "standard_name")
    assert standard_name in TIME_NAMES, (
        f"{where}: standard_name is {standard_name!r}, expected one of {sorted(TIME_NAMES)}"
    )
    assert _attr(variable, "axis") == "T", f"{where}: axis is {_attr(variable, 'axis')!r}, not 'T'"


def _check_bounds(file: str, name: str, variable, variables) -> None:
    """The cell bounds of a coordinate: layout, units and values."""
    bounds = str(variable.getncattr("bounds"))
    where = f"{file}: bounds {bounds!r} of {name!r}"
    assert bounds in variables, f"{where}: missing"
    cells = variables[bounds]
    dims = cells.dimensions
    assert dims[:-1] == variable.dimensions and len(cells.shape) == variable.ndim + 1, (
        f"{where}: dimensions {dims}, expected {variable.dimensions} and a vertex dimension"
    )
    assert cells.shape[-1] == 2, f"{where}: {cells.shape[-1]} vertices, expected 2"
    for attribute in ("units", "calendar"):
        if attribute in cells.ncattrs():
            assert _attr(cells, attribute) == _attr(variable, attribute), (
                f"{where}: {attribute} {_attr(cells, attribute)!r} differ from the coordinate's"
            )
    values, cell = np.asarray(variable[...]), np.asarray(cells[...])
    assert np.array_equal(cell[..., 0], values), f"{where}: a start is not the coordinate's value"
    assert (cell[..., 1] > cell[..., 0]).all(), f"{where}: an end is not after its start"
    if variable.ndim:
        gaps = cell[..., :-1, 1] != cell[..., 1:, 0]
        assert not gaps.any(), (
            f"{where}: end of cell {int(np.argwhere(gaps)[0][-1])} is not the next cell's start"
        )


def _check_cell_methods(file: str, name: str, variable, variables) -> None:
    """Syntax of ``cell_methods`` and what its names refer to."""
    text = str(variable.getncattr("cell_methods"))
    where = f"{file}: cell_methods {text!r} of {name!r}"
    coordinates = {dim: variables[dim] for dim in variable.dimensions if dim in variables}
    for other in str(_attr(variable, "coordinates") or "").split():
        if other in variables:
            coordinates[other] = variables[other]
    by_standard_name = {
        _attr(v, "standard_name"): v for v in coordinates.values() if _attr(v, "standard_name")
    }
    position = 0
    while position < len(text):
        match = _CELL_METHOD.match(text, position)
        assert match and match.end() > position, f"{where}: does not parse at {text[position:]!r}"
        position = match.end()
        names = [n.strip() for n in match.group(1).split(":") if n.strip()]
        method = match.group(2)
        assert method in CELL_METHODS, f"{where}: unknown method {method!r}"
        for cell_name in names:
            coordinate = coordinates.get(cell_name) or by_standard_name.get(cell_name)
            assert cell_name == "area" or cell_name in variable.dimensions or coordinate, (
                f"{where}: {cell_name!r} is neither a dimension of the variable nor the "
                "standard name of one of its coordinates"
            )
            if method != "point" and coordinate is not None and coordinate.ndim:
                assert "bounds" in coordinate.ncattrs(), (
                    f"{where}: {method} over {cell_name!r}, whose coordinate has no bounds"
                )
