"""Day-ahead price and grid carbon files (dispatch.sources.market) read to exact numbers.

The sample files in tests/data/sources/market/ follow the published layouts (see
docs/sources.md and the README there). Prices in the ENTSO-E samples are, for the
local (CET/CEST) hour h of day d: 40 + 3 h + d / 4 EUR/MWh, on Sundays from 11:00 to
14:59 -(h - 10) * 1.5; plus 0.5 per quarter hour into the hour; plus 7 for the second
(winter-time) 02:00 on the day clocks go back.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import dispatch
from dispatch.core.errors import ScenarioError
from dispatch.sources.market import read_carbon, read_prices

DATA = Path(__file__).parent / "data" / "sources" / "market"


def _utc(start: str, periods: int, freq: str = "h") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=periods, freq=freq, tz="UTC")


def test_spring_forward_day_has_23_hours():
    # 30 March 2025: 00:00-01:00 CET is 23:00Z, 01:00-02:00 CET is 00:00Z, then 03:00 CEST
    # is 01:00Z: the local hour 02:00-03:00 does not exist.
    snapshots = _utc("2025-03-29 23:00", 23)  # the local day
    prices = read_prices(DATA / "entsoe_old_spring.csv", snapshots, currency="EUR")
    assert prices.name == "import_price"
    assert prices.index.equals(snapshots)
    assert prices.iloc[:4].tolist() == [47.5, 50.5, 56.5, 59.5]
    assert prices["2025-03-30 10:00Z"] == -3.0  # 12:00 CEST on a Sunday: negative prices
    assert prices.iloc[-1] == 40 + 3 * 23 + 7.5


def test_repeated_autumn_hour_gives_two_utc_hours():
    # 26 October 2025: 02:00 CEST is 00:00Z, the repeated 02:00 CET is 01:00Z.
    snapshots = _utc("2025-10-25 22:00", 25)  # the local day of 25 hours
    marked = read_prices(DATA / "entsoe_old_autumn.csv", snapshots, currency="EUR")
    assert marked.iloc[1:5].tolist() == [49.5, 52.5, 59.5, 55.5]
    unmarked = read_prices(DATA / "entsoe_old_autumn_unmarked.csv", snapshots, currency="EUR")
    assert unmarked.equals(marked)


def test_quarter_hours_averaged_to_hours():
    snapshots = _utc("2025-10-25 23:00", 4)
    prices = read_prices(DATA / "entsoe_new_autumn_15min.csv", snapshots, currency="EUR")
    # 02:00 CEST: 52.5, 53, 53.5, 54; 02:00 CET: 59.5, 60, 60.5, 61
    assert prices.tolist() == [50.25, 53.25, 60.25, 56.25]
    quarters = read_prices(
        DATA / "entsoe_new_autumn_15min.csv", _utc("2025-10-26 01:00", 4, "15min"), currency="EUR"
    )
    assert quarters.tolist() == [59.5, 60.0, 60.5, 61.0]


def test_hourly_and_quarter_hourly_days_in_one_file():
    # The MTU went from 60 to 15 minutes on 1 October 2025 (00:00 CEST = 30 Sept 22:00Z).
    snapshots = _utc("2025-09-30 20:00", 4)
    prices = read_prices(DATA / "entsoe_new_mtu_change.csv", snapshots, currency="EUR")
    assert prices.tolist() == [113.5, 116.5, 41.0, 44.0]


def test_export_in_utc():
    prices = read_prices(DATA / "entsoe_new_utc.csv", _utc("2025-03-29", 2), currency="EUR")
    assert prices.tolist() == [40 + 3 * 1 + 29 / 4, 40 + 3 * 2 + 29 / 4]


def test_currency_conversion_needs_a_rate():
    snapshots = _utc("2025-01-06", 2)
    with pytest.raises(
        ScenarioError,
        match=r"generic_prices_usd_30min.csv: import_price \[USD/MWh\]: prices in USD, the "
        r"study's currency is EUR: give the rate \(EUR per USD\)$",
    ):
        read_prices(DATA / "generic_prices_usd_30min.csv", snapshots, currency="EUR")
    prices = read_prices(DATA / "generic_prices_usd_30min.csv", snapshots, currency="EUR", rate=0.9)
    assert prices.tolist() == pytest.approx([60.25 * 0.9, 61.25 * 0.9], rel=1e-15)
    entsoe = read_prices(
        DATA / "entsoe_old_spring.csv", _utc("2025-03-30", 1), currency="USD", rate=1.08
    )
    assert entsoe.tolist() == pytest.approx([50.5 * 1.08], rel=1e-15)
    for rate in (0.0, -1.0, float("nan")):
        with pytest.raises(ScenarioError, match="rate: .* must be a positive number"):
            read_prices(
                DATA / "entsoe_old_spring.csv", _utc("2025-03-30", 1), currency="USD", rate=rate
            )
    with pytest.raises(ScenarioError, match="currency: 'euro' is not an ISO 4217 code"):
        read_prices(DATA / "entsoe_old_spring.csv", _utc("2025-03-30", 1), currency="euro")


def test_prices_per_kwh_scaled_exactly():
    prices = read_prices(
        DATA / "generic_prices_eur_per_kwh.csv", _utc("2025-01-06", 7), currency="EUR"
    )
    assert prices.tolist() == [50.0, 51.0, 52.0, 53.0, 54.0, -12.0, 56.0]


def test_electricity_maps_direct_lifecycle_and_clean_share():
    snapshots = _utc("2025-01-06", 2)
    direct = read_carbon(DATA / "electricitymaps_de_2025.csv", snapshots)
    assert list(direct.columns) == ["carbon_intensity", "clean_share"]
    assert direct["carbon_intensity"].tolist() == [0.29, 0.28461]  # 290.00, 284.61 g/kWh
    assert direct["clean_share"].tolist() == [0.555, 0.55]  # 55.50, 55.00 %
    lifecycle = read_carbon(DATA / "electricitymaps_de_2025.csv", snapshots, lifecycle=True)
    assert lifecycle["carbon_intensity"].tolist() == [0.3505, 0.34511]
    renamed = read_carbon(DATA / "electricitymaps_de_2025_new_names.csv", snapshots, lifecycle=True)
    assert renamed.equals(lifecycle)


def test_generic_carbon_onto_two_hour_steps():
    result = read_carbon(DATA / "generic_carbon.csv", _utc("2025-01-06", 2, "2h"))
    assert result["carbon_intensity"].tolist() == pytest.approx([0.3005, 0.3025], rel=1e-15)
    assert result["clean_share"].tolist() == pytest.approx([0.4025, 0.4125], rel=1e-15)


def test_public_api():
    assert dispatch.read_prices is read_prices
    assert dispatch.read_carbon is read_carbon


JANUARY = _utc("2025-01-06", 24)
SPRING = _utc("2025-03-29", 24)


@pytest.mark.parametrize(
    ("name", "read", "snapshots", "message"),
    [
        (
            "bad_entsoe_autumn_24h.csv",
            "prices",
            _utc("2025-10-25", 24),
            "MTU (CET/CEST): 26.10.2025, the day clocks go back in Europe/Brussels, has 24 "
            "hours of MTUs, not 25",
        ),
        (
            "bad_entsoe_spring_24h.csv",
            "prices",
            SPRING,
            "MTU (CET/CEST): 30.03.2025 02:00 does not exist in Europe/Brussels (clocks go "
            "forward), yet has a price in line 28",
        ),
        (
            "bad_entsoe_missing_hour.csv",
            "prices",
            JANUARY,
            "Day-ahead Price [EUR/MWh]: gap: no value for 2025-01-06T12:00:00Z",
        ),
        (
            "bad_entsoe_duplicate.csv",
            "prices",
            JANUARY,
            "MTU (CET/CEST): the time in line 16 (06.01.2025 13:00 - 06.01.2025 14:00) appears "
            "twice",
        ),
        (
            "bad_entsoe_text.csv",
            "prices",
            JANUARY,
            "Day-ahead Price [EUR/MWh]: is 'n/e', not a finite number, in line 7",
        ),
        (
            "bad_entsoe_nan.csv",
            "prices",
            JANUARY,
            "Day-ahead Price [EUR/MWh]: is 'NaN', not a finite number, in line 35 "
            "(07.01.2025 09:00 - 07.01.2025 10:00)",
        ),
        (
            "bad_entsoe_empty.csv",
            "prices",
            JANUARY,
            "Day-ahead Price [EUR/MWh]: is empty in line 49",
        ),
        ("bad_entsoe_zone.csv", "prices", SPRING, "MTU (MSK): the MTU column must name one of"),
        (
            "bad_entsoe_units.csv",
            "prices",
            SPRING,
            'Day-ahead Price [EUR/m3]: units "EUR/m3" are not a price per energy',
        ),
        ("bad_entsoe_currency.csv", "prices", SPRING, "Currency: is 'PLN', but Day-ahead Price"),
        (
            "bad_entsoe_interval.csv",
            "prices",
            SPRING,
            "MTU (CET/CEST): line 6: '29.03.2025 04:00 to",
        ),
        (
            "bad_electricitymaps_missing_hour.csv",
            "carbon",
            JANUARY,
            "Carbon Intensity gCO₂eq/kWh (direct): gap: no value for 2025-01-07T06:00:00Z",
        ),
        (
            "bad_electricitymaps_text.csv",
            "carbon",
            JANUARY,
            "is '12O.5', not a finite number, in line 9 ('2025-01-06 07:00:00')",
        ),
        (
            "bad_electricitymaps_columns.csv",
            "carbon",
            JANUARY,
            "an Electricity Maps export needs the column 'Carbon Intensity gCO₂eq/kWh (direct)'",
        ),
        (
            "bad_generic_no_offset.csv",
            "prices",
            JANUARY,
            "time: line 2: '2025-01-06T00:00:00' has no UTC offset",
        ),
        ("bad_generic_units.csv", "prices", JANUARY, 'price [m/s]: units "m/s" are not a price'),
        ("bad_generic_no_units.csv", "prices", JANUARY, "price: not a layout read"),
        (
            "bad_generic_negative_carbon.csv",
            "carbon",
            JANUARY,
            "carbon_intensity [g/kWh]: is -20 in line 18 ('2025-01-06T16:00:00Z'), must be >= 0",
        ),
        (
            "bad_generic_irregular.csv",
            "prices",
            JANUARY,
            "price [EUR/MWh]: 2025-01-06T10:30:00Z is not one step (PT1H) after "
            "2025-01-06T09:00:00Z",
        ),
        ("electricitymaps_de_2025.csv", "prices", JANUARY, "is an Electricity Maps carbon export"),
        ("entsoe_old_spring.csv", "carbon", SPRING, "is an ENTSO-E price export"),
        (
            "entsoe_old_spring.csv",
            "prices",
            JANUARY,
            "Day-ahead Price [EUR/MWh]: covers 2025-03-28T23:00:00Z to 2025-03-31T22:00:00Z, "
            "not the study's 2025-01-06T00:00:00Z",
        ),
    ],
)
def test_malformed_files_refused_in_one_line(name, read, snapshots, message):
    with pytest.raises(ScenarioError) as caught:
        if read == "prices":
            read_prices(DATA / name, snapshots, currency="EUR")
        else:
            read_carbon(DATA / name, snapshots)
    text = str(caught.value)
    assert text.startswith(f"{DATA / name}: ")
    assert message in text
    assert "\n" not in text


def _variant(tmp_path: Path, source: str, edit) -> Path:
    lines = (DATA / source).read_text(encoding="utf-8").splitlines()
    path = tmp_path / source
    path.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
    return path


def test_an_empty_row_for_the_missing_spring_hour_is_dropped(tmp_path):
    def add_row(lines):
        at = next(i for i, line in enumerate(lines) if line.startswith('"30.03.2025 01:00'))
        return [
            *lines[: at + 1],
            '"30.03.2025 02:00 - 30.03.2025 03:00","","EUR",""',
            *lines[at + 1 :],
        ]

    snapshots = _utc("2025-03-29 23:00", 23)
    with_row = read_prices(
        _variant(tmp_path, "entsoe_old_spring.csv", add_row), snapshots, currency="EUR"
    )
    assert with_row.equals(read_prices(DATA / "entsoe_old_spring.csv", snapshots, currency="EUR"))


def test_a_third_repeated_hour_and_several_auctions_are_refused(tmp_path):
    def third(lines):
        at = next(i for i, line in enumerate(lines) if "(CET)" in line)
        return [*lines[: at + 1], lines[at].replace("(CET)", ""), *lines[at + 1 :]]

    with pytest.raises(ScenarioError, match="appears twice: only the hour clocks go back may"):
        read_prices(
            _variant(tmp_path, "entsoe_old_autumn.csv", third),
            _utc("2025-10-26", 2),
            currency="EUR",
        )

    def two_sequences(lines):
        return [*lines, lines[-1].replace("Without Sequence", "Sequence Sequence 2")]

    path = _variant(tmp_path, "entsoe_new_utc.csv", two_sequences)
    with pytest.raises(ScenarioError, match="Sequence: has the prices of several auctions"):
        read_prices(path, _utc("2025-03-29", 2), currency="EUR")


def test_a_date_that_does_not_exist_is_refused(tmp_path):
    def february_31(lines):
        return [lines[0], lines[1].replace("29.03.2025 00:00 -", "31.02.2025 00:00 -"), *lines[2:]]

    path = _variant(tmp_path, "entsoe_old_spring.csv", february_31)
    with pytest.raises(ScenarioError, match=r"MTU \(CET/CEST\): line 2: not a date and time$"):
        read_prices(path, SPRING, currency="EUR")


def test_size_is_checked_before_reading(monkeypatch):
    monkeypatch.setattr("dispatch.core.untrusted_input.MAX_FILE_BYTES", 100)
    with pytest.raises(ScenarioError, match="above the 0 MB limit"):
        read_prices(DATA / "entsoe_old_spring.csv", SPRING, currency="EUR")
    with pytest.raises(ScenarioError, match="no such file"):
        read_carbon(DATA / "missing.csv", SPRING)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"time,price [EUR/MWh]\n2025-01-06T00:00Z,1,2\n",
            "has rows with more fields than its header",
        ),
        (b"time,price [EUR/MWh]\n2025-01-06T00:00Z,\xff1\n", "not a readable CSV file"),
        (b"", "not a readable CSV file"),
        (b"time\n2025-01-06T00:00Z\n", "needs a header of at least two columns"),
        (
            b"time,price [EUR/MWh],price [EUR/MWh]\n2025-01-06T00:00Z,1,1\n",
            "the column appears twice",
        ),
        (b"time,a [EUR/MWh],b [EUR/MWh]\n2025-01-06T00:00Z,1,1\n", "needs one price column"),
        (
            b"time,price [EUR/MWh]\n2025-01-06T00:00Z,inf\n",
            "is 'inf', not a finite number, in line 2",
        ),
        (b"time,price [EUR/MWh]\nnow,1\n", "row 1 ('now') is not an ISO 8601 time"),
    ],
)
def test_hostile_generic_files(tmp_path, content, message):
    path = tmp_path / "prices.csv"
    path.write_bytes(content)
    with pytest.raises(ScenarioError) as caught:
        read_prices(path, _utc("2025-01-06", 1), currency="EUR")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"time,co2 [g/kWh]\n2025-01-06T00:00Z,1\n", "co2 [g/kWh]: unknown column (known: "),
        (b"time,clean_share [%]\n2025-01-06T00:00Z,1\n", "missing column 'carbon_intensity"),
        (
            b"time,carbon_intensity [g/kWh],clean_share [%]\n2025-01-06T00:00Z,1,101\n",
            "clean_share [%]: is 101 in line 2 ('2025-01-06T00:00Z'), must be a share in [0, 1]",
        ),
    ],
)
def test_hostile_generic_carbon_files(tmp_path, content, message):
    path = tmp_path / "carbon.csv"
    path.write_bytes(content)
    with pytest.raises(ScenarioError) as caught:
        read_carbon(path, _utc("2025-01-06", 1))
    assert message in str(caught.value)
