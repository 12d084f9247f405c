"""What the key figures count is said where they are shown: the line ``dispatch run``
prints, the HTML view, and ``docs/key-figures.md`` for every figure of ``summary.json``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from dispatch import Result
from dispatch.cli import app
from dispatch.operation.operation_result import OPERATION_UNITS
from dispatch.results.display import QUALIFIERS, summary_line
from dispatch.results.figures import UNITS
from hostile import TINY

DOCS = Path(__file__).parents[1] / "docs" / "key-figures.md"
runner = CliRunner()


def documented() -> dict[str, str]:
    """Figure -> unit, from the tables of ``docs/key-figures.md``."""
    rows = re.findall(r"^\| `([a-z0-9_]+)` \| ([^|]+) \|", DOCS.read_text(), re.MULTILINE)
    return {name: unit.strip() for name, unit in rows}


def test_the_printed_line_qualifies_cost_emissions_and_cfe_score(tmp_path: Path) -> None:
    outcome = runner.invoke(app, ["run", str(TINY), "--out", str(tmp_path / "out")])
    assert outcome.exit_code == 0, outcome.output
    line = outcome.output.strip()
    assert "\n" not in line
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert f"total cost {summary['total_cost']:,.0f} EUR, net of export and heat revenue" in line
    emissions = f"emissions {summary['emissions_tco2']:,.1f} tCO2, grid import and local carriers'"
    assert emissions in line
    assert f"CFE score {summary['cfe_score']:.3f}, local output counted carbon-free" in line
    assert line.startswith(f"tiny: {summary_line(summary)}; results in ")


def test_a_negative_cost_and_local_emissions_read_as_what_they_are() -> None:
    summary = {
        "absorbed_mwh": 1.0,
        "curtailment_baseline_mwh": 2.0,
        "absorbed_share": 0.5,
        "total_cost": -3571.2,
        "currency": "USD",
        "baseline": {"total_cost": 54998.0},
        "emissions_tco2": 14700.0,
        "cfe_score": 1.0,
    }
    parts = summary_line(summary).split("; ")
    assert parts[1] == "total cost -3,571 USD, net of export and heat revenue (baseline 54,998)"
    assert parts[2] == "emissions 14,700.0 tCO2, grid import and local carriers' CO2"
    assert parts[3] == "CFE score 1.000, local output counted carbon-free"


def test_the_html_view_qualifies_the_same_figures(tiny_result: Result) -> None:
    html = tiny_result._repr_html_()
    for qualifier in QUALIFIERS.values():
        assert qualifier.replace("'", "&#x27;") in html


def test_every_figure_of_the_summary_is_documented_with_its_unit(
    solved: Callable[..., Result],
) -> None:
    docs = documented()
    for name, unit in {**UNITS, **OPERATION_UNITS}.items():
        assert name in docs, f"{name} is not in {DOCS.name}"
        assert docs[name] == unit, f"{name}: {DOCS.name} says {docs[name]}, the code {unit}"
    written = solved(TINY).summary["units"]
    assert set(written) <= set(docs)
