"""Importers read any CF (UDUNITS-2) spelling of a quantity's unit, exactly, and refuse
in one line, naming the file and the variable, what is not a unit of its dimension.

Partner signals (netCDF, CSV + JSON), forecast files and study series go through one
parser, :func:`dispatch.core.units.parse_units`.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from conftest import DATA
from dispatch import ScenarioError, import_signals, load_study, read_signals
from dispatch.cli import app
from dispatch.core.units import decimal_shift, parse_units
from dispatch.operation.forecast_files import read_forecast_file
from dispatch.scenario.series import QUANTITIES, REGION_SERIES_FIELDS, SERIES_FIELDS

ROOT = Path(__file__).parents[1]
STUDY = ROOT / "networks" / "solar-battery"
PARTNER = STUDY / "partner"
SITE = "seville"
runner = CliRunner()

EXACT = [
    # (units, quantity, currency, factor to the canonical unit, its power of ten)
    ("MW", "power", None, 1.0, 0),
    ("megawatt", "power", None, 1.0, 0),
    ("kW", "power", None, 0.001, -3),
    ("kilowatt", "power", None, 0.001, -3),
    ("W", "power", None, 1e-6, -6),
    ("GW", "power", None, 1000.0, 3),
    ("MW h", "energy", None, 1.0, 0),
    ("MW.h", "energy", None, 1.0, 0),
    ("megawatt hour", "energy", None, 1.0, 0),
    ("kW h", "energy", None, 0.001, -3),
    ("MWh", "energy", None, 1.0, 0),  # not UDUNITS: read as (MW h)
    ("kWh", "energy", None, 0.001, -3),
    ("GWh", "energy", None, 1000.0, 3),
    ("t MW-1 h-1", "carbon", None, 1.0, 0),
    ("kg kW-1 h-1", "carbon", None, 1.0, 0),
    ("kg kWh-1", "carbon", None, 1.0, 0),
    ("kg/kWh", "carbon", None, 1.0, 0),
    ("g kW-1 h-1", "carbon", None, 0.001, -3),
    ("kg MW-1 h-1", "carbon", None, 0.001, -3),
    ("tCO2/MWh", "carbon", None, 1.0, 0),  # as dispatch wrote them
    ("kgCO2/MWh", "carbon", None, 0.001, -3),
    ("gCO2/kWh", "carbon", None, 0.001, -3),
    ("kgCO2/kWh", "carbon", None, 1.0, 0),
    ("MW-1 h-1", "price", "EUR", 1.0, 0),
    ("(MW h)-1", "price", "EUR", 1.0, 0),
    ("kW-1 h-1", "price", "EUR", 1000.0, 3),  # cf_units: 999.9999999999999
    ("1/kWh", "price", "EUR", 1000.0, 3),
    ("EUR/MWh", "price", None, 1.0, 0),
    ("EUR/kWh", "price", None, 1000.0, 3),
    ("EUR/MWh", "price", "EUR", 1.0, 0),
    ("1", "share", None, 1.0, 0),
    ("%", "share", None, 0.01, -2),
    ("percent", "share", None, 0.01, -2),
    ("1", "ratio", None, 1.0, 0),
    ("h", "duration", None, 1.0, 0),
    ("hours", "duration", None, 1.0, 0),
]


@pytest.mark.parametrize(("units", "quantity", "currency", "factor", "exponent"), EXACT)
def test_a_spelling_converts_by_its_exact_power_of_ten(
    units: str, quantity: str, currency: str | None, factor: float, exponent: int
) -> None:
    conversion = parse_units(units, quantity, "f.nc", "v", currency=currency)
    assert (conversion.factor, conversion.exponent) == (factor, exponent)
    assert conversion.currency == ("EUR" if quantity == "price" else None)


def test_conversions_are_exact_decimal_shifts() -> None:
    energy = parse_units("kW h", "energy", "f.nc", "v")
    assert energy.apply(np.array([1.0]))[0] == 0.001
    price = parse_units("EUR/kWh", "price", "f.nc", "v")
    assert price.apply(np.array([0.12, 0.1121]))[1] == 112.1  # 0.1121 * 1000 is not
    share = parse_units("percent", "share", "f.nc", "v").apply(np.array([[55.06, 7.0]]))
    np.testing.assert_array_equal(share, [[0.5506, 0.07]])  # any shape


@pytest.mark.parametrize(
    ("units", "quantity", "factor"),
    [
        ("EUR/GJ", "price", 3.6),
        ("lb MW-1 h-1", "carbon", 0.45359237e-3),
        ("min", "duration", 1 / 60),
    ],
)
def test_other_units_of_the_dimension_convert_by_their_factor(
    units: str, quantity: str, factor: float
) -> None:
    conversion = parse_units(units, quantity, "f.nc", "v", currency="EUR")
    assert conversion.exponent is None
    assert conversion.factor == pytest.approx(factor, rel=1e-12)
    assert conversion.apply(np.array([2.0]))[0] == 2.0 * conversion.factor


@pytest.mark.parametrize(
    ("units", "quantity", "extra", "problem"),
    [
        ("m s-1", "price", {"currency": "EUR"}, 'units "m s-1" are not a price per energy'),
        ("MW h", "power", {}, 'units "MW h" are not a power (MW)'),
        ("MW-1", "power", {}, 'units "MW-1" are not a power'),  # a reciprocal
        ("MW-1 h-1", "energy", {}, 'units "MW-1 h-1" are not an energy (MW h)'),
        ("degC", "share", {}, 'units "degC" are not a share (1)'),
        ("hours since 2025-01-01", "duration", {}, "are not a duration (h)"),
        ("MW @ 5", "power", {}, "are not a positive multiple of MW"),
        ("-1 MW", "power", {}, "are not a positive multiple of MW"),
        ("lbs", "power", {}, 'units "lbs" are not units UDUNITS-2 reads; expected a power'),
        ("1e400 MW", "power", {}, "are not units UDUNITS-2 reads"),
        ("EUR MWh-1", "price", {}, "are not units UDUNITS-2 reads"),
        (None, "power", {}, "has no units; expected a power (MW)"),
        (" ", "carbon", {}, "has no units; expected a mass per energy"),
        (3, "power", {}, "units must be a text"),
        ("MW" * 60, "power", {}, "units must be a text of at most 100 characters"),
        ("MW-1 h-1", "price", {}, "a price needs its currency"),
        ("MW-1 h-1", "price", {"currency": "euro"}, 'currency "euro" is not an ISO 4217 code'),
        ("USD/MWh", "price", {"currency": "EUR"}, "units USD/..., currency EUR: two currencies"),
        (
            "MW-1 h-1",
            "price",
            {"currency": "USD", "study_currency": "EUR"},
            "prices in USD, the study's currency is EUR",
        ),
        ("GBP/kWh", "price", {"study_currency": "EUR"}, "prices in GBP"),
    ],
)
def test_what_is_not_a_unit_of_the_quantity_is_refused_in_one_line(
    units: object, quantity: str, extra: dict, problem: str, capfd: pytest.CaptureFixture
) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_units(units, quantity, "signals.nc", "import_price", **extra)
    message = str(caught.value)
    assert message.startswith("signals.nc: import_price: ") and "\n" not in message
    assert problem in message, message
    assert capfd.readouterr().err == ""  # UDUNITS-2 prints nothing


def test_decimal_shift_keeps_nan_and_shape() -> None:
    shifted = decimal_shift(np.array([[np.nan, 1.5], [-2.0, 0.0]]), 3)
    np.testing.assert_array_equal(shifted, [[np.nan, 1500.0], [-2000.0, 0.0]])


@pytest.mark.parametrize("digits", [1, 4, 15, 17])
def test_decimal_shift_is_the_shift_of_each_values_decimal(digits: int) -> None:
    rng = np.random.default_rng(digits)
    raw = rng.random(3000) * 10.0 ** rng.integers(-8, 9, 3000) * rng.choice([-1, 1], 3000)
    values = np.array([float(f"{v:.{digits}g}") for v in raw])
    for exponent in (-6, -3, -2, 3, 6):
        expected = [float(Decimal(repr(v)).scaleb(exponent)) for v in values.tolist()]
        np.testing.assert_array_equal(decimal_shift(values, exponent), expected)


# Partner files: the same signals with CF spellings give the same study, exactly.


def _netcdf(path: Path, units: dict[str, dict[str, str]], scale: dict[str, int]) -> Path:
    """The shipped signals.nc with the attributes ``units`` and the values of the
    variables in ``scale`` shifted by their power of ten."""
    with xr.open_dataset(PARTNER / "signals.nc") as ds:
        ds = ds.load()
    for name in ds.data_vars:
        ds[name].attrs.pop("currency", None)
    for name, attrs in units.items():
        ds[name].attrs.update(attrs)
    for name, exponent in scale.items():
        ds[name].values = decimal_shift(ds[name].values, exponent)
    ds.to_netcdf(path)
    return path


CANONICAL_NETCDF = {
    "import_price": {"units": "EUR/MWh"},
    "export_price": {"units": "EUR/MWh"},
    "carbon_intensity": {"units": "tCO2/MWh"},
    "clean_share": {"units": "1"},
    "import_limit": {"units": "MW"},
    "surplus": {"units": "MW"},
    "call_import_limit": {"units": "MW"},
}
CF_NETCDF = {
    "import_price": {"units": "MW-1 h-1", "currency": "EUR"},
    "export_price": {"units": "(MW h)-1", "currency": "EUR"},
    "carbon_intensity": {"units": "kg kWh-1"},
    "clean_share": {"units": "percent"},
    "import_limit": {"units": "megawatt"},
    "surplus": {"units": "kW"},
    "call_import_limit": {"units": "kW"},
}


def _csv(folder: Path, units: dict[str, dict[str, str]], scale: dict[str, int]) -> Path:
    """The shipped signals.csv and .json with the ``units`` (and ``currency``) of the
    columns in ``units`` and their values shifted as text by the powers of ten in
    ``scale``; the calls in the units of ``units["call"]``."""
    table = pd.read_csv(PARTNER / "signals.csv", dtype=str)
    for name, exponent in scale.items():
        table[name] = [str(Decimal(text).scaleb(exponent)) for text in table[name]]
    table.to_csv(folder / "signals.csv", index=False)
    meta = json.loads((PARTNER / "signals.json").read_text())
    for name, attrs in units.items():
        if name == "call":
            call = meta["demand_response_calls"][0]
            call["units"], call["import_limit"] = attrs["units"], float(attrs["limit"])
        else:
            meta["fields"][name] = {"units": attrs["units"], **attrs.get("extra", {})}
    (folder / "signals.json").write_text(json.dumps(meta))
    return folder / "signals.csv"


CF_CSV = {  # the shipped file has EUR/kWh, gCO2/kWh, %, kW
    "import_price": {"units": "MW-1 h-1", "extra": {"currency": "EUR"}},
    "export_price": {"units": "kW-1 h-1", "extra": {"currency": "EUR"}},
    "carbon_intensity": {"units": "kg kWh-1"},
    "clean_share": {"units": "percent"},
    "import_limit": {"units": "megawatt"},
    "surplus": {"units": "kilowatt"},
    "call": {"units": "MW", "limit": "25"},
}
CF_CSV_SCALE = {"import_price": 3, "carbon_intensity": -3, "import_limit": -3}


def _imported(path: Path, out: Path) -> dict[str, np.ndarray]:
    """The series of the study ``dispatch exchange import`` writes from ``path``."""
    result = runner.invoke(
        app,
        ["exchange", "import", str(path), "--scenario", str(STUDY), "--site", SITE]
        + ["--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    return load_study(out).series


def _assert_same_series(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


@pytest.mark.parametrize("fmt", ["netcdf", "csv"])
def test_cf_spellings_import_the_same_study_exactly(fmt: str, tmp_path: Path) -> None:
    (tmp_path / "canonical").mkdir()
    (tmp_path / "cf").mkdir()
    if fmt == "netcdf":
        canonical = _netcdf(tmp_path / "canonical" / "signals.nc", CANONICAL_NETCDF, {})
        cf = _netcdf(
            tmp_path / "cf" / "signals.nc",
            CF_NETCDF,
            {"clean_share": 2, "surplus": 3, "call_import_limit": 3},
        )
    else:
        for name in ("signals.csv", "signals.json"):
            shutil.copy(PARTNER / name, tmp_path / "canonical" / name)
        canonical = tmp_path / "canonical" / "signals.csv"
        cf = _csv(tmp_path / "cf", CF_CSV, CF_CSV_SCALE)
    expected, got = read_signals(canonical), read_signals(cf)
    assert got.currency == "EUR" and got.caps == expected.caps
    for name, signal in expected.series.items():
        np.testing.assert_array_equal(got.series[name].values, signal.values, err_msg=name)
    _assert_same_series(
        _imported(cf, tmp_path / "from-cf"), _imported(canonical, tmp_path / "from-canonical")
    )


def test_a_partner_variable_of_another_dimension_is_one_line_naming_it(tmp_path: Path) -> None:
    units = {**CANONICAL_NETCDF, "import_price": {"units": "m s-1", "currency": "EUR"}}
    path = _netcdf(tmp_path / "signals.nc", units, {})
    result = runner.invoke(
        app,
        ["exchange", "import", str(path), "--scenario", str(STUDY), "--out", str(tmp_path / "o")],
    )
    message = result.output.strip()
    assert result.exit_code != 0 and "\n" not in message and "Traceback" not in message
    assert message == (
        f'error: {path}: import_price: units "m s-1" are not a price per energy (per MW h)'
    )


def test_a_csv_price_column_names_its_currency_or_is_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path, {"import_price": {"units": "kW-1 h-1"}}, {})  # no currency field
    with pytest.raises(ScenarioError) as caught:
        read_signals(path)
    assert str(caught.value).startswith(
        f"{tmp_path / 'signals.json'}: fields.import_price: a price needs its currency"
    )
    usd = {"units": "kW-1 h-1", "extra": {"currency": "USD"}}
    path = _csv(tmp_path, {"import_price": usd}, {})
    with pytest.raises(ScenarioError, match=r"prices in several currencies: \['EUR', 'USD'\]"):
        read_signals(path)
    path = _csv(tmp_path, {"import_price": usd, "export_price": usd}, {})
    assert read_signals(path).currency == "USD"
    with pytest.raises(ScenarioError, match="prices in USD, the study's currency is EUR"):
        import_signals(path, STUDY, SITE)


# Forecast files and study series.

FORECASTS = DATA / "forecasts"


def test_a_forecast_file_in_cf_units_reads_the_same_forecasts(tmp_path: Path) -> None:
    study = load_study(FORECASTS / "study")
    text = (FORECASTS / "prices.csv").read_text().splitlines()
    rows = [text[0]] + [
        ",".join([*row.split(",")[:2], str(Decimal(row.split(",")[2]).scaleb(-3))])
        for row in text[1:]
    ]
    (tmp_path / "prices.csv").write_text("\n".join(rows) + "\n")
    meta = json.loads((FORECASTS / "prices.json").read_text())
    meta["series"]["s/grid.import_price"] = {"units": "kW-1 h-1", "currency": "EUR"}
    (tmp_path / "prices.json").write_text(json.dumps(meta))
    expected = read_forecast_file(FORECASTS / "prices.csv", study)
    got = read_forecast_file(tmp_path / "prices.csv", study)
    np.testing.assert_array_equal(
        got.values["s/grid.import_price"], expected.values["s/grid.import_price"]
    )
    meta["series"]["s/grid.import_price"]["currency"] = "USD"
    (tmp_path / "prices.json").write_text(json.dumps(meta))
    with pytest.raises(ScenarioError) as caught:
        read_forecast_file(tmp_path / "prices.csv", study)
    assert str(caught.value) == (
        f"{tmp_path / 'prices.json'}: series.s/grid.import_price: "
        "prices in USD, the study's currency is EUR"
    )


TINY = DATA / "tiny"


def _tiny_with_netcdf(folder: Path, attrs: dict[str, dict], scale: dict[str, int]) -> Path:
    """The tiny study with its series in profiles.nc, with ``attrs`` and the values of
    the variables in ``scale`` shifted by their power of ten."""
    shutil.copytree(TINY, folder)
    table = pd.read_csv(folder / "profiles.csv", index_col="time", parse_dates=True)
    ds = xr.Dataset.from_dataframe(table.astype(float))
    ds = ds.assign_coords(time=table.index.tz_convert("UTC").tz_localize(None))
    for name, exponent in scale.items():
        ds[name].values = decimal_shift(ds[name].values, exponent)
    for name, extra in attrs.items():
        ds[name].attrs.update(extra)
    ds.to_netcdf(folder / "profiles.nc")
    text = (folder / "scenario.yaml").read_text()
    (folder / "scenario.yaml").write_text(text.replace("profiles.csv:", "profiles.nc:"))
    return folder


def test_every_series_field_has_a_quantity() -> None:
    assert set(QUANTITIES) == set(SERIES_FIELDS) | set(REGION_SERIES_FIELDS)


def test_study_series_with_units_are_converted_exactly(tmp_path: Path) -> None:
    attrs = {
        "arr": {"units": "kW h"},
        "solar": {"units": "percent"},
        "price": {"units": "kW-1 h-1", "currency": "EUR"},
    }
    folder = _tiny_with_netcdf(tmp_path / "tiny", attrs, {"arr": 3, "solar": 2, "price": -3})
    _assert_same_series(load_study(folder).series, load_study(TINY).series)


@pytest.mark.parametrize(
    ("attrs", "problem"),
    [
        ({"arr": {"units": "m s-1"}}, 'arr: units "m s-1" are not an energy (MW h)'),
        ({"price": {"units": "MW-1 h-1"}}, "price: a price needs its currency"),
        (
            {"price": {"units": "MW-1 h-1", "currency": "USD"}},
            "price: prices in USD, the study's currency is EUR",
        ),
    ],
)
def test_study_series_in_wrong_units_are_refused(tmp_path: Path, attrs: dict, problem: str) -> None:
    folder = _tiny_with_netcdf(tmp_path / "tiny", attrs, {})
    with pytest.raises(ScenarioError) as caught:
        load_study(folder)
    assert str(caught.value).startswith(f"profiles.nc: {problem}")
