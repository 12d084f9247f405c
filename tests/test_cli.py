"""The command line through typer's test runner: results, error lines, exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr
from typer.testing import CliRunner

from conftest import DATA
from dispatch.cli import EXIT_BAD_INPUT, EXIT_INFEASIBLE, app

TINY = Path(__file__).parent / "data" / "tiny"
RESULT_FILES = {
    "summary.json",
    "dispatch.nc",
    "dispatch.csv",
    "dispatch.png",
    "network.nc",
    "network_baseline.nc",
    ".dispatch",
}
runner = CliRunner()


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """A writable copy of the tiny study."""
    return Path(shutil.copytree(TINY, tmp_path / "tiny"))


def edit(study: Path, old: str, new: str, file: str = "scenario.yaml") -> None:
    path = study / file
    text = path.read_text()
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1))


def test_run_writes_every_result_file(study: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(study), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == RESULT_FILES
    summary = json.loads((out / "summary.json").read_text())
    assert summary["absorbed_mwh"] == pytest.approx(7.0, abs=1e-6)
    with xr.open_dataset(out / "dispatch.nc") as ds:
        variables = [v for name, v in ds.data_vars.items() if name != "time_bnds"]  # CF bounds
        assert all("units" in v.attrs and "long_name" in v.attrs for v in variables)
        assert set(ds["run"].values) == {"flexible", "baseline"}


def test_run_accepts_the_scenario_file_itself(study: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(study / "scenario.yaml"), "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output


def test_solved_networks_read_back_with_pypsa(study: Path, tmp_path: Path) -> None:
    from dispatch.core.pypsa_settings import import_pypsa

    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(study), "--out", str(out)]).exit_code == 0
    pypsa = import_pypsa()
    summary = json.loads((out / "summary.json").read_text())
    for file, objective in (
        ("network.nc", summary["objective"]),
        ("network_baseline.nc", summary["baseline"]["objective"]),
    ):
        n = pypsa.Network(out / file)
        assert n.objective == pytest.approx(objective, rel=1e-9)
        # The file alone reproduces its run: re-solving gives the same optimum.
        n.optimize(solver_name="highs", log_to_console=False, include_objective_constant=False)
        assert n.objective == pytest.approx(objective, rel=1e-6)


BAD_INPUT = [
    # (file, old text, new text, words the one-line error must contain)
    ("scenario.yaml", "currency: EUR", "currency: [EUR", ["scenario.yaml", "malformed YAML"]),
    ("scenario.yaml", "idle_fraction: 0.2", "idle_fractoin: 0.2", ["idle_fractoin", "unknown"]),
    ("scenario.yaml", '"profiles.csv:solar"', '"missing.csv:solar"', ["missing.csv"]),
    ("scenario.yaml", '"profiles.csv:solar"', '"../profiles.csv:solar"', ["outside"]),
    ("profiles.csv", "2025-06-01T03:00:00Z,0,0,100\n", "", ["profiles.csv", "3 rows"]),
    ("profiles.csv", "2025-06-01T02:00:00Z,0,0.8", "2025-06-01T02:00:00Z,0,nan", ["NaN"]),
    ("profiles.csv", "2025-06-01T02:00:00Z,0,0.8", "2025-06-01T02:00:00Z,0,1.8", ["[0, 1]"]),
    ("scenario.yaml", "capacity_mw: 20", "capacity_mw: -20", ["solar.capacity_mw", "0"]),
    ("scenario.yaml", "max_delay_h: 3", "max_delay_h: -3", ["max_delay_h"]),
    ("scenario.yaml", "export_price: 10", "export_price: 150", ["export_price", "import"]),
    ("scenario.yaml", "it_capacity_mw: 10", "it_capacity_mw: 5", ["it_capacity_mw"]),
    ("profiles.csv", "2025-06-01T01:00:00Z", "2025-06-01T01:30:00Z", ["row 2"]),
]


@pytest.mark.parametrize(("file", "old", "new", "words"), BAD_INPUT)
def test_bad_input_is_one_line_with_exit_2_and_leaves_out_untouched(
    study: Path, tmp_path: Path, file: str, old: str, new: str, words: list[str]
) -> None:
    edit(study, old, new, file)
    out = tmp_path / "out"
    out.mkdir()
    (out / "kept.txt").write_text("earlier result")
    for command in (["validate", str(study)], ["run", str(study), "--out", str(out)]):
        result = runner.invoke(app, command)
        assert result.exit_code == EXIT_BAD_INPUT, result.output
        message = result.output.strip()
        assert "\n" not in message and "Traceback" not in message
        assert message.startswith("error: ")
        for word in words:
            assert word in message
    assert [p.name for p in out.iterdir()] == ["kept.txt"]


def test_missing_scenario_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nowhere")])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "no such scenario file" in result.output


def test_infeasible_study_names_the_conflict_with_exit_3(study: Path, tmp_path: Path) -> None:
    # Firm load 6 MW of IT (7.5 MW facility) with 0.5 MW import and no sun at night.
    edit(study, "import_limit_mw: 20", "import_limit_mw: 0.5")
    edit(study, "firm_mw: 2", "firm_mw: 6")
    edit(study, '"profiles.csv:arr"', "0")
    result = runner.invoke(app, ["run", str(study), "--out", str(tmp_path / "out")])
    assert result.exit_code == EXIT_INFEASIBLE, result.output
    message = result.output.strip()
    assert "\n" not in message and "Traceback" not in message
    assert "firm load" in message and "2025-06-01T00:00:00+00:00" in message
    assert "grid import 0.5 MW" in message
    assert not (tmp_path / "out").exists()


def test_infeasible_across_hours_is_explained_by_the_iis(study: Path, tmp_path: Path) -> None:
    # Every hour can balance alone, but the facility may not ramp fast enough
    # to follow the work that must be served: the IIS names the ramp limit.
    edit(study, "pue: 1.25", "pue: 1.25\n      facility_ramp_mw_per_h: 0.5")
    edit(study, "max_delay_h: 3", "max_delay_h: 0")
    result = runner.invoke(app, ["run", str(study), "--out", str(tmp_path / "out")])
    assert result.exit_code == EXIT_INFEASIBLE, result.output
    assert "facility_ramp_mw_per_h" in result.output


def test_help_and_validate_do_not_import_pypsa() -> None:
    code = (
        "import sys; from dispatch.cli import main; sys.argv=['dispatch','validate',"
        f"{str(TINY)!r}]\ntry: main()\nexcept SystemExit: pass\n"
        "assert 'pypsa' not in sys.modules and 'linopy' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_schema_command_writes_the_docs(tmp_path: Path) -> None:
    result = runner.invoke(app, ["schema", "--out", str(tmp_path)])
    assert result.exit_code == 0
    assert (tmp_path / "scenario.schema.json").is_file()


@pytest.mark.parametrize(
    ("folder", "words"),
    [
        ("tiny", ["tiny: building the network", "tiny: solving the baseline", "4/4"]),
        ("two_parts", ["two_parts: solving", "2/2", "part"]),
    ],
)
def test_solve_shows_progress_when_asked(
    folder: str, words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from dispatch import load_study, solve

    solve(load_study(DATA / folder), progress=True)
    shown = capsys.readouterr().err
    for word in [*words, "solved"]:
        assert word in shown
    solve(load_study(DATA / folder))
    assert capsys.readouterr().err == ""
