"""Nothing the user owns is lost: where dispatch refuses to write, and what it replaces.

Every refusal is checked as a user meets it: exit 2, one line naming the folder or
file, no traceback, every folder involved as before, no temporaries left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from dispatch.core.files import _HOST, MARKER, csv_safe
from hostile import TINY, assert_one_line_error, copy_study, litter, run_dispatch, tree

SOLAR_BATTERY = Path(__file__).parents[1] / "networks" / "solar-battery"
PARTNER_FILE = "partner/signals.csv"
"""A partner file of the solar-battery study (with its metadata, ``signals.json``)."""
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def user_folder(tmp_path: Path, study: Path) -> Path:
    """``tmp_path`` holding a copy of ``study`` (``study``) and the user's ``notes``."""
    copy_study(study, tmp_path / "study")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "thesis.txt").write_text("three years of work\n")
    return tmp_path


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A folder holding a copy of the tiny study (``study``) and the user's files."""
    return user_folder(tmp_path, TINY)


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make ``folder`` unwritable, for root too (immutable), for the block."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if subprocess.run(["chattr", "+i", folder], capture_output=True).returncode:
        pytest.skip("cannot make a folder read-only for root here (chattr +i)")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", folder], check=True)


def assert_refused(
    workspace: Path, *args: str | Path, names: tuple[str | Path, ...], cwd: Path | None = None
) -> str:
    """Run dispatch, expect exit 2 with one line naming ``names``, nothing changed."""
    before = tree(workspace)
    line = assert_one_line_error(run_dispatch(*args, cwd=cwd), *names)
    assert tree(workspace) == before
    for root, folders, _ in os.walk(workspace):
        for name in [".", *folders]:
            assert litter(Path(root) / name) == [], f"temporaries left in {root}/{name}"
    return line


# --- run: folders that are not dispatch's to replace ---------------------------------


def _study(w: Path) -> Path:
    return w / "study"


def _inside_study(w: Path) -> Path:
    return w / "study" / "results"


def _folder_of_user_files(w: Path) -> Path:
    return w / "notes"


def _file(w: Path) -> Path:
    return w / "notes" / "thesis.txt"


def _parent_of_study(w: Path) -> Path:
    return w


def _symlink_to_empty_folder(w: Path) -> Path:
    (w / "empty").mkdir()
    (w / "link").symlink_to(w / "empty")
    return w / "link"


def _result_holding_a_user_file(w: Path) -> Path:
    shutil.copytree(w / "study", w / "r")  # any files; then make it look like a result
    for name in ("summary.json", "network.nc"):
        (w / "r" / name).write_text("{}")
    return w / "r"


def _previous_result_with_notes(w: Path) -> Path:
    (w / "r").mkdir()
    (w / "r" / MARKER).write_text(json.dumps({"kind": "result", "files": ["summary.json"]}))
    (w / "r" / "summary.json").write_text("{}")
    (w / "r" / "my-notes.md").write_text("mine\n")
    return w / "r"


def _batch_folder(w: Path) -> Path:
    (w / "b").mkdir()
    (w / "b" / MARKER).write_text(json.dumps({"kind": "batch"}))
    return w / "b"


def _corrupt_marker(w: Path) -> Path:
    (w / "c").mkdir()
    (w / "c" / MARKER).write_text("{not json")
    (w / "c" / "data.csv").write_text("1,2\n")
    return w / "c"


def _deeply_nested_marker(w: Path) -> Path:
    (w / "c").mkdir()
    (w / "c" / MARKER).write_text("[" * 60_000)
    return w / "c"


RUN_REFUSALS: dict[str, Callable[[Path], Path]] = {
    "study_itself": _study,
    "inside_the_study": _inside_study,
    "folder_of_user_files": _folder_of_user_files,
    "a_file": _file,
    "folder_holding_the_study": _parent_of_study,
    "symlink_to_a_folder": _symlink_to_empty_folder,
    "result_lookalike_holding_user_files": _result_holding_a_user_file,
    "previous_result_holding_a_user_file": _previous_result_with_notes,
    "batch_folder": _batch_folder,
    "folder_with_corrupt_marker": _corrupt_marker,
    "folder_with_deeply_nested_marker": _deeply_nested_marker,
}


@pytest.mark.parametrize("case", RUN_REFUSALS)
def test_run_refuses_out(case: str, workspace: Path) -> None:
    out = RUN_REFUSALS[case](workspace)
    assert_refused(workspace, "run", workspace / "study", "--out", out, names=(out,))


def test_run_refuses_out_dot_the_current_folder(workspace: Path) -> None:
    line = assert_refused(workspace, "run", "study", "--out", ".", names=(".",), cwd=workspace)
    assert "current folder" in line


@pytest.mark.parametrize("missing_parent", [False, True], ids=["in_it", "below_it"])
def test_run_into_a_read_only_folder_leaves_nothing(workspace: Path, missing_parent: bool) -> None:
    locked = workspace / "locked"
    locked.mkdir()
    out = locked / "new" / "out" if missing_parent else locked / "out"
    with read_only(locked):
        line = assert_refused(workspace, "run", workspace / "study", "--out", out, names=(out,))
    assert str(locked) in line
    assert list(locked.iterdir()) == []


# --- run: what it replaces --------------------------------------------------------------


def test_run_replaces_a_previous_result_and_nothing_beside_it(
    workspace: Path, previous_result: Path
) -> None:
    out = workspace / "result"
    shutil.copytree(previous_result, out)
    (out / "summary.json").write_text('{"stale": true}')
    neighbours = {name: tree(workspace / name) for name in ("study", "notes")}
    outcome = run_dispatch("run", workspace / "study", "--out", out, "-q")
    assert outcome.code == 0, outcome.stderr
    assert "stale" not in (out / "summary.json").read_text()
    assert {name: tree(workspace / name) for name in neighbours} == neighbours
    assert sorted(p.name for p in workspace.iterdir()) == ["notes", "result", "study"]
    assert json.loads((out / MARKER).read_text())["kind"] == "result"


def test_run_replaces_a_result_written_before_the_marker(
    workspace: Path, previous_result: Path
) -> None:
    out = shutil.copytree(previous_result, workspace / "result")
    (out / MARKER).unlink()
    assert run_dispatch("run", workspace / "study", "--out", out, "-q").code == 0
    assert (out / MARKER).is_file()
    assert litter(workspace) == []


def test_run_removes_temporaries_of_killed_runs(workspace: Path) -> None:
    """Staging folders of a dead process beside OUT go; a live process's stay."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = workspace / f".out.dispatch-staging-{_HOST}-{dead.pid}-abcd1234"
    live = workspace / f".out.dispatch-staging-{_HOST}-{os.getppid()}-abcd1234"
    for folder in (stale, live):
        folder.mkdir()
        (folder / "summary.json").write_text("{}")
    assert run_dispatch("run", workspace / "study", "--out", workspace / "out", "-q").code == 0
    assert not stale.exists()
    assert live.exists()


# --- exchange import ------------------------------------------------------------------


@pytest.fixture
def partner_workspace(tmp_path: Path) -> Path:
    """A copy of the solar-battery study (``study``), whose partner folder holds
    the partner files, and a folder of the user's files."""
    return user_folder(tmp_path, SOLAR_BATTERY)


IMPORT_REFUSALS: dict[str, Callable[[Path], Path]] = {
    "folder_of_the_partner_file": lambda w: w / "study" / "partner",
    "the_study": _study,
    "inside_the_study": _inside_study,
    "folder_holding_the_study": _parent_of_study,
    "folder_of_user_files": _folder_of_user_files,
    "previous_result": _previous_result_with_notes,
}


@pytest.mark.parametrize("case", IMPORT_REFUSALS)
def test_exchange_import_refuses_out(case: str, partner_workspace: Path) -> None:
    w = partner_workspace
    out = IMPORT_REFUSALS[case](w)
    args = ("exchange", "import", w / "study" / PARTNER_FILE, "--scenario", w / "study")
    assert_refused(w, *args, "--out", out, names=(out,))


def test_exchange_import_partner_file_in_a_separate_folder_replaces_its_own_study(
    partner_workspace: Path,
) -> None:
    w = partner_workspace
    args = ("exchange", "import", w / "study" / PARTNER_FILE, "--scenario", w / "study")
    for _ in range(2):
        assert run_dispatch(*args, "--out", w / "new").code == 0
    assert json.loads((w / "new" / MARKER).read_text())["kind"] == "study"
    assert litter(w) == []


# --- exchange export --------------------------------------------------------------------


EXPORT_REFUSALS: dict[str, tuple[str, Callable[[Path, Path], Path]]] = {
    "over_a_user_csv": ("csv", lambda w, r: w / "notes" / "thesis.csv"),
    "over_a_user_json_beside_the_csv": ("csv", lambda w, r: w / "notes" / "data.csv"),
    "over_a_user_netcdf": ("netcdf", lambda w, r: w / "notes" / "thesis.nc"),
    "over_a_user_json": ("openadr", lambda w, r: w / "notes" / "thesis.json"),
    "inside_the_result_folder": ("netcdf", lambda w, r: r / "plan.nc"),
    "inside_the_study": ("netcdf", lambda w, r: w / "study" / "plan.nc"),
    "through_a_symlink": ("netcdf", lambda w, r: w / "notes" / "link.nc"),
    "over_a_netcdf_header_announcing_2e31_dimensions": (
        "netcdf",
        lambda w, r: w / "notes" / "bomb.nc",
    ),
}


@pytest.mark.parametrize("case", EXPORT_REFUSALS)
def test_exchange_export_refuses_out(case: str, workspace: Path, previous_result: Path) -> None:
    result = shutil.copytree(previous_result, workspace / "result")
    notes = workspace / "notes"
    for name in ("thesis.csv", "thesis.nc", "thesis.json", "data.json"):
        (notes / name).write_text("mine\n")
    (notes / "link.nc").symlink_to(notes / "thesis.nc")
    (notes / "bomb.nc").write_bytes(
        b"CDF\x01" + b"\x00" * 4 + b"\x00\x00\x00\x0a\x7f\xff\xff\xff" + b"\x00" * 64
    )
    fmt, out = EXPORT_REFUSALS[case]
    out = out(workspace, result)
    assert_refused(
        workspace,
        "exchange",
        "export",
        result,
        "--format",
        fmt,
        "--out",
        out,
        "--scenario",
        workspace / "study",
        names=(out if case != "over_a_user_json_beside_the_csv" else notes / "data.json",),
    )


@pytest.mark.parametrize("fmt,suffix", [("csv", ".csv"), ("netcdf", ".nc"), ("openadr", ".json")])
def test_exchange_export_replaces_its_own_export(
    fmt: str, suffix: str, tmp_path: Path, previous_result: Path
) -> None:
    out = tmp_path / f"plan{suffix}"
    for _ in range(2):
        outcome = run_dispatch("exchange", "export", previous_result, "-f", fmt, "--out", out)
        assert outcome.code == 0, outcome.stderr
    assert litter(tmp_path) == []


# --- schema -----------------------------------------------------------------------------


def test_schema_does_not_write_through_a_symlink(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("keep\n")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "sweep.schema.json").symlink_to(secret)
    line = assert_refused(tmp_path, "schema", "--out", docs, names=(docs / "sweep.schema.json",))
    assert "symbolic link" in line


def test_schema_does_not_replace_a_file_it_did_not_generate(tmp_path: Path) -> None:
    (tmp_path / "scenario-reference.md").write_text("# My own reference\n")
    assert_refused(
        tmp_path, "schema", "--out", tmp_path, names=(tmp_path / "scenario-reference.md",)
    )


def test_schema_replaces_what_it_generated_beside_other_files(tmp_path: Path) -> None:
    (tmp_path / "index.md").write_text("mine\n")
    for _ in range(2):
        assert run_dispatch("schema", "--out", tmp_path).code == 0
    assert (tmp_path / "index.md").read_text() == "mine\n"
    assert len(list(tmp_path.iterdir())) == 4


# --- CSV injection ----------------------------------------------------------------------


def assert_no_formula_cells(path: Path) -> None:
    """No cell of a CSV file starts like a spreadsheet formula, numbers aside."""
    table = pd.read_csv(path, dtype=str, header=None, keep_default_na=False)
    for cell in table.to_numpy().ravel():
        if cell.startswith(FORMULA_START):
            float(cell)  # a number such as -1.5 is fine; a formula raises here


@pytest.mark.parametrize(
    "text",
    ["=cmd|' /C calc'!A0", "+1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"],
    ids=["equals", "plus", "minus", "at", "tab", "carriage_return"],
)
def test_csv_safe_escapes_formula_text_in_cells_labels_and_index(text: str) -> None:
    table = pd.DataFrame({text: [text, "plain", "-1.5"], "x": [-1.0, 2.0, 3.0]}, index=[text] * 3)
    safe = csv_safe(table)
    assert safe.columns[0] == "'" + text
    assert safe.index[0] == "'" + text
    assert list(safe.iloc[:, 0]) == ["'" + text, "plain", "-1.5"]
    assert list(safe["x"]) == [-1.0, 2.0, 3.0]
    assert table.columns[0] == text  # the caller's table is left alone


def test_dispatch_csv_of_a_site_named_like_a_formula_is_inert(tmp_path: Path) -> None:
    study = copy_study(TINY, tmp_path / "study")
    scenario = study / "scenario.yaml"
    scenario.write_text(scenario.read_text().replace("\n  s:\n", '\n  "-cmd":\n'))
    outcome = run_dispatch("run", study, "--out", tmp_path / "out", "-q")
    assert outcome.code == 0, outcome.stderr
    assert "-cmd" in (tmp_path / "out" / "dispatch.csv").read_text()
    assert_no_formula_cells(tmp_path / "out" / "dispatch.csv")
    plan = tmp_path / "plan.csv"
    outcome = run_dispatch("exchange", "export", tmp_path / "out", "-f", "csv", "--out", plan)
    assert outcome.code == 0, outcome.stderr
    assert_no_formula_cells(plan)


def test_imported_exchange_csv_is_inert(tmp_path: Path) -> None:
    study = copy_study(SOLAR_BATTERY, tmp_path / "study")
    out = tmp_path / "new"
    args = ("exchange", "import", study / PARTNER_FILE, "--scenario", study, "--out", out)
    assert run_dispatch(*args).code == 0
    assert_no_formula_cells(out / "exchange-seville.csv")
