"""``dispatch new``: a study of a new site from its files, valid and solvable; the
README's commands as written; refusals in one line that write nothing.

``data/sources/workload/utilisation_week.csv``, written for the README's example: hourly
utilisation from Monday 2025-01-06 to Sunday 2025-01-12 (UTC), ``0.62 + 0.18 cos(2 pi
(h - 15) / 24)`` at hour h of Central European Time, 0.10 less at weekends.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from dispatch import load_study, new_study, solve
from dispatch.cli import app
from dispatch.core.errors import ScenarioError
from dispatch.sources.market import read_prices
from dispatch.sources.new_study import study_snapshots
from dispatch.sources.study_files import BASIS
from dispatch.sources.weather import Weather, read_weather
from dispatch.testing import assert_invariants
from hostile import litter, tree

ROOT = Path(__file__).parents[1]
SOURCES = ROOT / "tests" / "data" / "sources"
TMY = SOURCES / "weather" / "pvgis_tmy_45.000_8.000.csv"
"""Three days of a PVGIS typical year at 45 N, 8 E."""
PVGIS_2018 = SOURCES / "weather" / "pvgis_hourly_45.000_8.000_2018.csv"
"""Three days of PVGIS hourly weather of 2018 at 45 N, 8 E."""
NO_WIND = SOURCES / "weather" / "ninja_weather_chennai_2019.csv"
"""renewables.ninja weather without wind speed, Chennai."""
PLACE = ["--site", "piedmont", "--lat", "45.0", "--lon", "8.0"]
runner = CliRunner()


def readme_commands() -> list[list[str]]:
    """The commands of the README's section "Study a new site", as written."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Study a new site\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    return [shlex.split(line) for line in block.replace("\\\n", " ").splitlines() if line]


def invoke(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args])


def one_line_error(result, *names: str) -> str:
    """The one line on stderr of a refused command (exit code 2), naming ``names``."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


def test_readme_commands_build_validate_and_solve_a_study(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands = readme_commands()
    assert [c[:2] for c in commands] == [
        ["dispatch", "profiles"],
        ["dispatch", "new"],
        ["dispatch", "validate"],
        ["dispatch", "run"],
    ]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tests").symlink_to(ROOT / "tests")  # the README's paths, from the root
    for command in commands:
        result = invoke(*command[1:])
        assert result.exit_code == 0, (command, result.output)
    study = Path(commands[1][2])
    assert sorted(p.name for p in study.iterdir()) == [
        ".dispatch",
        "profiles.nc",
        "scenario.yaml",
        "series.csv",
    ]
    assert (Path(commands[3][-1]) / "summary.json").is_file()
    loaded = load_study(study)
    # Every file given is the study's series, none a placeholder.
    description = loaded.scenario.description
    assert "PLACEHOLDER" not in description and "PARAMETRIC" not in description
    grid = loaded.sites["piedmont"].grid
    assert grid.import_price == "series.csv:import_price"
    assert grid.carbon_intensity_t_per_mwh == "series.csv:carbon_intensity"
    prices = read_prices(
        commands[1][commands[1].index("--prices") + 1], loaded.snapshots, currency="EUR"
    )
    np.testing.assert_array_equal(loaded.values("piedmont", "grid.import_price"), prices)
    result = solve(loaded)
    assert_invariants(result)
    assert result.summary["facility_energy_mwh"] > 0


@pytest.fixture(scope="module")
def default_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A study of the three TMY days with every default: no price, carbon or workload."""
    folder = tmp_path_factory.mktemp("new") / "piedmont"
    return new_study(folder, site="piedmont", latitude=45.0, longitude=8.0, weather=TMY)


def test_defaults_are_written_with_their_basis_and_solve(default_study: Path) -> None:
    text = (default_study / "scenario.yaml").read_text(encoding="utf-8")
    comments = " ".join(
        line.strip()[2:] for line in text.splitlines() if line.strip().startswith("# ")
    )
    for key in (
        "it_capacity_mw",
        "idle_fraction",
        "pue",
        "solar",
        "import_limit_mw",
        "export_limit_mw",
        "flat_price",
        "flat_carbon",
        "max_delay_h",
        "value_of_lost_work",
    ):
        assert " ".join(BASIS[key].split()) in comments, key
    raw = yaml.safe_load(text)
    site = raw["sites"]["piedmont"]
    assert site["datacentre"]["it_capacity_mw"] == 20.0
    assert site["datacentre"]["pue"] == 1.3
    assert site["solar"] == {"capacity_mw": 40.0, "availability": "profiles.nc:solar"}
    assert "wind" not in site and "battery" not in site
    assert site["grid"]["import_limit_mw"] == 26.0 and site["grid"]["export_limit_mw"] == 0.0
    assert site["grid"]["import_price"] == 100.0
    assert site["datacentre"]["interruptible"]["value_of_lost_work"] == 200.0
    assert raw["snapshots"] == {"start": "2025-01-01T00:00:00Z", "periods": 72, "step_h": 1.0}
    for placeholder in (
        "FLAT PLACEHOLDER import price",
        "FLAT PLACEHOLDER grid carbon",
        "workload PARAMETRIC",
    ):
        assert placeholder in raw["description"]
    study = load_study(default_study)
    work = study.values("piedmont", "datacentre.firm_mw")
    assert 0.3 * 20 < work.mean() < 0.55 * 20  # the parametric shape's firm share, 0.42
    result = solve(study)
    assert_invariants(result)
    # Solar at twice the IT capacity leaves surplus at noon, which deferral absorbs.
    assert result.summary["baseline"]["curtailment_mwh"] > 0
    assert 0 < result.summary["absorbed_mwh"] <= result.summary["baseline"]["curtailment_mwh"]


def test_the_cli_warns_of_every_placeholder_in_one_line_each(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    result = invoke("new", tmp_path / "s", *PLACE, "--weather", TMY, "--hours", "24")
    assert result.exit_code == 0, result.output
    warnings = [r.getMessage() for r in caplog.records if r.name == "dispatch.sources.new_study"]
    assert [w.removeprefix(f"{tmp_path / 's'}: ").split(":")[0] for w in warnings] == [
        "no --prices",
        "no --carbon",
        "no --workload",
    ]
    assert all("\n" not in w for w in warnings)
    assert len(load_study(tmp_path / "s").snapshots) == 24


def test_options_set_the_plants_year_and_horizon(tmp_path: Path) -> None:
    folder = new_study(
        tmp_path / "s",
        site="w",
        latitude=45.0,
        longitude=8.0,
        weather=TMY,
        year=2024,
        hours=48,
        it_mw=10,
        solar_mw=0,
        wind_turbine="E-82/2350",
        pue=1.2,
        currency="USD",
        time_zone="Europe/Rome",
    )
    study = load_study(folder)
    site = study.sites["w"]
    assert site.solar is None and site.wind.capacity_mw == 15.0  # 1.5 x 10 MW
    assert site.datacentre.it_capacity_mw == 10.0 and site.grid.import_limit_mw == 12.0
    assert study.snapshots[0] == pd.Timestamp("2024-01-01T00:00Z") and len(study.snapshots) == 48
    assert study.scenario.currency == "USD"
    assert_invariants(solve(study))


def test_a_file_of_real_years_gives_its_own_hours(tmp_path: Path) -> None:
    weather = read_weather(PVGIS_2018)
    snapshots, how = study_snapshots(weather)
    assert snapshots[0] == pd.Timestamp("2018-01-01T00:00Z") and len(snapshots) == 72
    assert "pvgis_hourly_45.000_8.000_2018.csv" in how
    with pytest.raises(ScenarioError, match=r"--year: .*holds no hour of 2019"):
        study_snapshots(weather, year=2019)


def test_a_typical_year_fills_the_study_year_leap_or_not() -> None:
    hours = pd.date_range("1990-01-01", periods=8760, freq="h", tz="UTC", name="time")
    data = pd.DataFrame(0.0, index=hours, columns=["ghi", "dni", "dhi", "temp_air"])
    weather = Weather(data, 45.0, 8.0, 0.0, 10.0, "tmy.csv", "pvgis-tmy", True)
    for year, periods in ((2025, 8760), (2028, 8784)):
        snapshots, _ = study_snapshots(weather, year)
        assert snapshots[0] == pd.Timestamp(f"{year}-01-01T00:00Z") and len(snapshots) == periods
    assert len(study_snapshots(weather, 2028, hours=168)[0]) == 168


def test_an_empty_folder_is_filled(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    result = invoke("new", tmp_path / "s", *PLACE, "--weather", TMY, "--hours", "24")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s" / "scenario.yaml").is_file()


HOSTILE = {
    # name: (options after the study folder, what the error line names)
    "lat_above_90": ([*PLACE[:2], "--lat", "95", "--lon", "8", "--weather", TMY], ["--lat"]),
    "lat_nan": ([*PLACE[:2], "--lat", "nan", "--lon", "8", "--weather", TMY], ["--lat", "nan"]),
    "lon_below_180": ([*PLACE[:2], "--lat", "45", "--lon=-190", "--weather", TMY], ["--lon"]),
    "missing_weather": ([*PLACE, "--weather", "nowhere.csv"], ["nowhere.csv", "no such file"]),
    "missing_prices": ([*PLACE, "--weather", TMY, "--prices", "p.csv"], ["p.csv", "no such"]),
    "weather_far_away": ([*PLACE[:2], "--lat", "10", "--lon", "8", "--weather", TMY], ["km"]),
    "not_weather": ([*PLACE, "--weather", ROOT / "README.md"], ["README.md"]),
    "bad_site_name": (["--site", "a b", "--lat", "45", "--lon", "8", "--weather", TMY], ["--site"]),
    "hours_beyond_weather": ([*PLACE, "--weather", TMY, "--hours", "100"], ["--hours", "72"]),
    "year_outside_real_weather": (
        [*PLACE, "--weather", PVGIS_2018, "--year", "2019"],
        ["--year", "2019"],
    ),
    "unknown_turbine": ([*PLACE, "--weather", TMY, "--wind-turbine", "X-1"], ["X-1"]),
    "wind_without_wind_speed": (
        [
            "--site",
            "c",
            "--lat",
            "13.08",
            "--lon",
            "80.27",
            "--weather",
            NO_WIND,
            "--wind-mw",
            "10",
        ],
        ["wind_speed"],
    ),
    "pue_below_one": ([*PLACE, "--weather", TMY, "--pue", "0.9"], ["--pue"]),
    "negative_it": ([*PLACE, "--weather", TMY, "--it-mw=-5"], ["--it-mw"]),
    "bad_currency": ([*PLACE, "--weather", TMY, "--currency", "euro"], ["--currency"]),
    "bad_time_zone": ([*PLACE, "--weather", TMY, "--tz", "Mars/Olympus"], ["--tz"]),
    "bad_repeat": ([*PLACE, "--weather", TMY, "--repeat", "hourly"], ["--repeat"]),
    "no_energy_per_request": (
        [*PLACE, "--weather", TMY, "--wh-per-request", "0"],
        ["--wh-per-request"],
    ),
    "rate_nan_without_prices": ([*PLACE, "--weather", TMY, "--rate", "nan"], ["--rate", "nan"]),
    "rate_without_prices": ([*PLACE, "--weather", TMY, "--rate", "2"], ["--rate", "--prices"]),
    "rate_negative_with_prices_in_the_study_currency": (
        [*PLACE, "--weather", TMY, "--prices", SOURCES / "market" / "entsoe_old_spring.csv"]
        + ["--rate=-1"],
        ["--rate", "-1"],
    ),
    "rate_with_prices_in_the_study_currency": (
        [*PLACE, "--weather", TMY, "--prices", SOURCES / "market" / "entsoe_old_spring.csv"]
        + ["--rate", "2"],
        ["entsoe_old_spring.csv", "rate", "in EUR"],
    ),
    "prices_not_covering": (
        [
            *PLACE,
            "--weather",
            TMY,
            "--prices",
            SOURCES / "market" / "generic_prices_eur_per_kwh.csv",
        ],
        ["generic_prices_eur_per_kwh.csv"],
    ),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_refusals_are_one_line_and_write_nothing(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options, names = HOSTILE[name]
    monkeypatch.chdir(tmp_path)
    before = tree(tmp_path)
    one_line_error(invoke("new", tmp_path / "study", *options), *map(str, names))
    assert tree(tmp_path) == before  # no folder, no staging left
    assert not litter(tmp_path)


def test_a_folder_that_holds_anything_is_left_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("my notes\n")
    before = tree(tmp_path)
    one_line_error(invoke("new", folder, *PLACE, "--weather", TMY), str(folder), "not empty")
    assert tree(tmp_path) == before


def test_a_study_written_before_is_not_replaced(default_study: Path) -> None:
    before = tree(default_study)
    line = one_line_error(invoke("new", default_study, *PLACE, "--weather", TMY), "not empty")
    assert str(default_study) in line
    assert tree(default_study) == before


def test_a_file_in_place_of_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "study").write_text("x")
    one_line_error(invoke("new", tmp_path / "study", *PLACE, "--weather", TMY), "not a folder")
    assert (tmp_path / "study").read_text() == "x"


def test_a_request_trace_scales_with_the_energy_per_request(tmp_path: Path) -> None:
    trace = SOURCES / "workload" / "requests_week.csv"
    firm = []
    for wh in (1000.0, 3000.0):
        folder = new_study(
            tmp_path / f"s{wh:g}",
            site="s",
            latitude=45.0,
            longitude=8.0,
            weather=TMY,
            workload=trace,
            repeat="weekly",
            wh_per_request=wh,
        )
        firm.append(load_study(folder).values("s", "datacentre.firm_mw"))
    np.testing.assert_allclose(firm[1], 3 * firm[0], rtol=1e-12)
    requests = pd.read_csv(trace)["requests"]
    # 0.65 of the requests are real-time work; the trace's range bounds each hour's.
    assert 0.65 * 1000 * requests.min() / 1e6 <= firm[0].min() <= firm[0].max()
    assert firm[0].max() <= 0.65 * 1000 * requests.max() / 1e6


@pytest.mark.parametrize("rate", [float("nan"), -1.0, 0.0, 2.0])
def test_read_prices_refuses_a_rate_it_would_not_apply(rate: float) -> None:
    # Prices in EUR for a study in EUR: no rate applies, a bad one is bad all the same.
    snapshots = pd.date_range("2025-03-30", periods=24, freq="h", tz="UTC")
    with pytest.raises(ScenarioError, match=r"entsoe_old_spring.csv: rate: "):
        read_prices(
            SOURCES / "market" / "entsoe_old_spring.csv", snapshots, currency="EUR", rate=rate
        )
