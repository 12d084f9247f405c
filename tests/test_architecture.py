"""The package's layout as ``docs/architecture.md`` states it: layers that import
only downwards, no module (nor benchmark) over 600 lines, every subpackage saying
what it holds."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "dispatch"
BENCHMARKS = Path(__file__).parents[1] / "benchmarks"

LAYERS = {
    "core": 0,
    "scenario": 1,
    "model": 2,
    "sources": 2,
    "results": 3,
    "optimization": 4,
    "operation": 5,
    "testing": 6,
    "exchange": 6,
    "batch": 6,
    "cli": 7,
    "__init__": 7,
}
"""Each part of ``dispatch`` -> its layer: a module imports only from its own part or
from parts of lower layers (parts of one layer do not import each other)."""

NOT_IMPORTED = {"testing": {"optimization", "operation"}}
"""Lower parts a part must not import all the same: the invariants stay independent of
the code that solves."""

MAX_LINES = 600


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _part(module: str) -> str:
    """``dispatch.results.figures`` -> ``results``; ``dispatch`` and names imported
    from it (``dispatch.solve``) -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "__init__"


def _name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Modules of ``dispatch`` that ``path`` imports anywhere: at the top, inside
    functions, or for type checking only."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] == "dispatch"}


def test_every_part_has_a_layer() -> None:
    parts = {_name(path).split(".")[1] if "." in _name(path) else "__init__" for path in _modules()}
    assert parts == set(LAYERS)


def test_an_upward_import_is_found(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text("def f():\n    from dispatch import solve\n    import dispatch.cli\n")
    assert {_part(name) for name in _imports(module)} == {"__init__", "cli"}


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_down(path: Path) -> None:
    own = _part(_name(path))
    upward = sorted(
        name
        for name in _imports(path)
        if (part := _part(name)) != own
        and (LAYERS[part] >= LAYERS[own] or part in NOT_IMPORTED.get(own, ()))
    )
    assert not upward, f"{own} (layer {LAYERS[own]}) imports {upward}"


@pytest.mark.parametrize(
    "path",
    [*_modules(), *sorted(BENCHMARKS.glob("*.py"))],
    ids=lambda p: str(p.relative_to(PACKAGE.parent)),
)
def test_no_module_over_600_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES


@pytest.mark.parametrize("part", sorted(set(LAYERS) - {"cli", "__init__"}))
def test_every_subpackage_says_what_it_holds_and_may_import(part: str) -> None:
    docstring = ast.get_docstring(ast.parse((PACKAGE / part / "__init__.py").read_text()))
    assert docstring and "import" in docstring, f"dispatch/{part}/__init__.py"


def test_no_module_is_ignored_by_git() -> None:
    """A module that ``.gitignore`` hides works here and is missing from a clean clone."""
    if shutil.which("git") is None or not (PACKAGE.parent / ".git").exists():
        pytest.skip("not a git checkout")
    paths = [str(path.relative_to(PACKAGE.parent)) for path in _modules()]
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", *paths],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert not ignored
