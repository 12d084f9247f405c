"""Packaging and docs stay consistent with the code."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from dispatch.scenario.jsonschema import REFERENCE_FILE, SCHEMA_FILE, json_schema, reference

ROOT = Path(__file__).parents[1]


def _requirements(specs: list[str]) -> dict[str, str]:
    """Package name (lower case, '-' for '_') -> version constraint."""
    parsed = {}
    for spec in specs:
        name, constraint = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", spec.strip()).groups()
        parsed[name.lower().replace("_", "-")] = constraint.replace(" ", "")
    return parsed


def test_env_yml_lists_the_same_packages_as_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _requirements(project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "env.yml").read_text())
    conda = _requirements(
        [d for d in env["dependencies"] if isinstance(d, str) and d not in ("pip",)]
    )
    conda.pop("python")
    assert conda == wanted
    assert project["requires-python"] == ">=3.11"


def test_generated_docs_are_up_to_date() -> None:
    docs = ROOT / "docs"
    assert (docs / SCHEMA_FILE).read_text() == json_schema(), "run: dispatch schema"
    assert (docs / REFERENCE_FILE).read_text() == reference(), "run: dispatch schema"


def test_every_schema_field_has_a_description_and_series_fields_a_unit() -> None:
    text = reference()
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert rows
    for row in rows:
        field, kind, unit, _, meaning = (c.strip() for c in row.strip("|").split("|"))
        assert meaning, f"{field} has no description"
        if kind in ("number", "series", "integer") or kind.startswith("number or"):
            assert unit, f"{field} has no unit"


def test_notebooks_are_stored_without_outputs() -> None:
    import json

    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        for cell in cells:
            if cell["cell_type"] == "code":
                assert not cell["outputs"] and cell["execution_count"] is None, path.name
