"""Hostile sweeps and batch folders: one line and exit 2, bounded, nothing lost or stuck.

Each case runs ``dispatch batch`` in a fresh process (tests/hostile.py) and checks
the exit code, the one line naming the file and the field, the output folder as
before, no temporaries left, and, for the bombs, time and memory.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from dispatch.scenario.sweep import MAX_VARIANTS
from hostile import TINY, assert_one_line_error, copy_study, litter, run_dispatch, tree

SOLAR = "sites.s.solar.capacity_mw"
BOMB_SECONDS = 30.0
"""Longest a refused bomb may take, start-up included, on a shared machine [s]."""
BOMB_MIB = 400.0
"""Most memory a refused bomb may take; Python with dispatch imported takes ~125 MiB [MiB]."""
FORMULAS = ["=cmd|' /C calc'!A0", "+1+2", "@SUM(A1)"]
"""Descriptions a spreadsheet would run as formulas."""


def sweep_file(folder: Path, content: dict | str, name: str = "sweep.yaml") -> Path:
    """A sweep file (a mapping, or YAML text) beside a copy of the four-hour study."""
    if not (folder / "tiny").exists():
        copy_study(TINY, folder / "tiny")
    text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def assert_refused(folder: Path, text: str, *names: str, extra: tuple[str, ...] = ()) -> None:
    """The sweep is refused with one line naming its file and ``names``; nothing written."""
    sweep = sweep_file(folder, text)
    before = tree(folder)
    for dry_run in ([], ["--dry-run"]):
        outcome = run_dispatch("batch", sweep, "--out", folder / "out", *dry_run, *extra)
        assert_one_line_error(outcome, sweep, *names)
        assert outcome.seconds < BOMB_SECONDS and outcome.peak_mib < BOMB_MIB, outcome
    assert tree(folder) == before and litter(folder) == []


def nested(levels: int) -> str:
    """Nine copies of the previous level at each level: 9**levels values if expanded."""
    lines = "&l0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"
    for level in range(1, levels + 1):
        lines = f"{lines}, &l{level} [{', '.join([f'*l{level - 1}'] * 9)}]"
    return lines


HOSTILE_SWEEPS = {
    # name: (sweep file text, what the line must name)
    "alias_bomb_in_product_values": (
        f"base: tiny\nproduct:\n  {SOLAR}: [{nested(9)}]\n",
        ["line 3", "alias"],
    ),
    "duplicate_top_level_key": (
        f"base: tiny\nhours: 2\nhours: 4\nproduct:\n  {SOLAR}: [10]\n",
        ["duplicate key 'hours'"],
    ),
    "duplicate_product_path": (
        f"base: tiny\nproduct:\n  {SOLAR}: [10]\n  {SOLAR}: [20]\n",
        [f"duplicate key '{SOLAR}'"],
    ),
    "hours_infinite": (f"base: tiny\nhours: .inf\nproduct:\n  {SOLAR}: [10]\n", ["hours"]),
    "hours_nan": (f"base: tiny\nhours: .nan\nproduct:\n  {SOLAR}: [10]\n", ["hours"]),
    "hours_negative": (f"base: tiny\nhours: -4\nproduct:\n  {SOLAR}: [10]\n", ["hours"]),
    "hours_bool": (f"base: tiny\nhours: yes\nproduct:\n  {SOLAR}: [10]\n", ["hours"]),
    "hours_beyond_a_float": (f"base: tiny\nhours: 1.0e309\nproduct:\n  {SOLAR}: [10]\n", ["hours"]),
    "product_value_infinite": (f"base: tiny\nproduct:\n  {SOLAR}: [10, .inf]\n", [SOLAR]),
    "nested_too_deep": ("base: tiny\nproduct:\n  x: " + "[" * 200 + "]" * 200 + "\n", ["deeper"]),
    "over_the_variant_limit": (
        f"base: tiny\nproduct:\n  {SOLAR}: {list(range(MAX_VARIANTS + 1))}\n",
        ["product", f"{MAX_VARIANTS + 1:,} variants", "--max-variants"],
    ),
    "product_of_a_million": (
        f"base: tiny\nproduct:\n  {SOLAR}: {list(range(1000))}\n"
        f"  sites.s.battery.power_mw: {list(range(1000))}\n",
        ["product", "1,000,000 variants"],
    ),
    "thirty_thousand_paths_of_one_value": (
        "base: tiny\nproduct:\n" + "".join(f"  p{i}: [1]\n" for i in range(30_000)),
        ["p0", "unknown field"],
    ),
    "named_variant_setting_thirty_thousand_paths": (
        "base: tiny\nvariants:\n  - name: v\n    set:\n"
        + "".join(f"      sites.s.x{i}: 1\n" for i in range(30_000)),
        ["sites.s.x0", "'v'", "unknown field"],
    ),
    "dotted_path_too_long": (
        f'base: tiny\nproduct:\n  "{".".join(["a"] * 200)}": [1]\n',
        ["product", "at most 300 characters"],
    ),
    "file_over_the_size_limit": (
        f"base: tiny\ndescription: {'x' * 2 * 1024**2}\nproduct:\n  {SOLAR}: [10]\n",
        ["limit"],
    ),
}


@pytest.mark.parametrize("case", HOSTILE_SWEEPS)
def test_hostile_sweep_is_one_line_bounded_and_writes_nothing(tmp_path: Path, case: str) -> None:
    text, names = HOSTILE_SWEEPS[case]
    assert_refused(tmp_path, text, *names)


def test_over_the_variant_limit_runs_when_allowed_explicitly(tmp_path: Path) -> None:
    count = MAX_VARIANTS + 1
    sweep = sweep_file(tmp_path, {"base": "tiny", "product": {SOLAR: list(range(count))}})
    out = tmp_path / "out"
    outcome = run_dispatch("batch", sweep, "--out", out, "--dry-run", "--max-variants", count)
    assert outcome.code == 0, outcome.stderr
    assert f"{count:,} variants valid" in outcome.stdout and not out.exists()


def test_dry_run_of_ten_thousand_variants_prints_one_short_line(tmp_path: Path) -> None:
    sizes, delays = list(range(1000)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    spec = {"base": "tiny", "product": {SOLAR: sizes, "sites.s.battery.power_mw": delays}}
    sweep = sweep_file(tmp_path, spec)
    outcome = run_dispatch(
        "batch", sweep, "--out", tmp_path / "out", "--dry-run", "--max-variants", 10_000
    )
    assert outcome.code == 0, outcome.stderr
    lines = outcome.stdout.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) < 1000, outcome.stdout[:2000]
    assert "10,000 variants valid" in lines[0] and "... and 9,995 more" in lines[0]
    assert outcome.seconds < 60 and outcome.peak_mib < 1000
    assert not (tmp_path / "out").exists()


# Output folders a batch must refuse: (name, how to make it, what the line names).
def _user_files(folder: Path) -> Path:
    out = folder / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    return out


def _fake_batch(folder: Path) -> Path:
    out = _user_files(folder)
    (out / "manifest.json").write_text("{}")
    return out


def _foreign_manifest(folder: Path) -> Path:
    out = folder / "mine"
    (out / "variants").mkdir(parents=True)
    (out / "manifest.json").write_text("my shopping list")
    return out


REFUSED_OUTS = {
    "folder_of_user_files": (_user_files, "dispatch did not write"),
    "folder_of_user_files_with_a_manifest": (_fake_batch, "notes.txt"),
    "folder_with_variants_and_a_foreign_manifest": (_foreign_manifest, "manifest.json"),
    "the_study_folder": (lambda folder: folder / "tiny", "tiny"),
    "inside_the_study_folder": (lambda folder: folder / "tiny" / "out", "inside"),
    "folder_holding_the_sweep_file": (lambda folder: folder, "sweep.yaml"),
    "the_sweep_file": (lambda folder: folder / "sweep.yaml", "sweep.yaml"),
    "a_user_file": (lambda folder: folder / "tiny" / "profiles.csv", "profiles.csv"),
}


@pytest.mark.parametrize("case", REFUSED_OUTS)
def test_batch_refuses_an_out_folder_it_may_not_write(tmp_path: Path, case: str) -> None:
    make, named = REFUSED_OUTS[case]
    sweep = sweep_file(tmp_path, {"base": "tiny", "product": {SOLAR: [10]}})
    out = make(tmp_path)
    before = tree(tmp_path)
    for dry_run in ([], ["--dry-run"]):
        outcome = run_dispatch("batch", sweep, "--out", out, *dry_run)
        assert_one_line_error(outcome, out, named)
    assert tree(tmp_path) == before
    assert litter(tmp_path) == [] and litter(tmp_path / "tiny") == []


def test_batch_refuses_the_current_folder_as_out_even_empty(tmp_path: Path) -> None:
    sweep = sweep_file(tmp_path, {"base": "tiny", "product": {SOLAR: [10]}})
    here = tmp_path / "here"
    here.mkdir()
    outcome = run_dispatch("batch", sweep, "--out", ".", cwd=here)
    assert_one_line_error(outcome, "current folder")
    assert tree(here) == {} and litter(tmp_path) == []


def test_help_gives_the_variant_limit_of_the_code() -> None:
    outcome = run_dispatch("batch", "--help", env={"COLUMNS": "200"})
    assert outcome.code == 0 and f"[default: {MAX_VARIANTS}]" in outcome.stdout


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A batch of three variants whose descriptions are formulas: (sweep file, out)."""
    folder = tmp_path_factory.mktemp("solved")
    sweep = sweep_file(folder, {"base": "tiny", "product": {"description": FORMULAS}})
    outcome = run_dispatch("batch", sweep, "--out", folder / "out", "-w", "2", timeout=300)
    assert outcome.code == 0, outcome.stderr
    return sweep, folder / "out"


@pytest.fixture
def batch(solved: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A writable copy of the solved batch: (sweep file, out)."""
    sweep, out = solved
    shutil.copytree(sweep.parent, tmp_path, dirs_exist_ok=True)
    return tmp_path / sweep.name, tmp_path / out.name


def test_formulas_from_a_sweep_are_escaped_in_summary_csv(solved: tuple[Path, Path]) -> None:
    _, out = solved
    text = (out / "summary.csv").read_text()
    table = pd.read_csv(out / "summary.csv", index_col="variant")
    assert sorted(table["description"]) == sorted("'" + f for f in FORMULAS), text
    assert (table["status"] == "ok").all()
    for line in text.splitlines():
        assert not any(cell.startswith(("=", "+", "@")) for cell in line.split(",")), line


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())["variants"]


def finished(out: Path) -> dict[str, str]:
    """When each variant was last solved, by name."""
    return {name: f"{e['finished']} {e['seconds']}" for name, e in manifest(out).items()}


def rerun(sweep: Path, out: Path) -> None:
    outcome = run_dispatch("batch", sweep, "--out", out, "-w", "1", "--no-progress", timeout=300)
    assert outcome.code == 0, outcome.stderr
    table = pd.read_csv(out / "summary.csv", index_col="variant")
    assert (table["status"] == "ok").all() and len(table) == len(FORMULAS)
    assert litter(out) == [] and litter(out / "variants") == []


CORRUPT_MANIFESTS = {
    "not_json": '{"format": 1, "variants": {',
    "variants_not_a_mapping": '{"format": 1, "variants": ["a"]}',
}


@pytest.mark.parametrize("case", CORRUPT_MANIFESTS)
def test_corrupt_manifest_redoes_every_variant_and_loses_nothing(
    batch: tuple[Path, Path], case: str
) -> None:
    sweep, out = batch
    (out / "manifest.json").write_text(CORRUPT_MANIFESTS[case])
    rerun(sweep, out)
    assert len(manifest(out)) == len(FORMULAS)
    assert len(list((out / "variants").iterdir())) == len(FORMULAS)


CORRUPT_ENTRIES = {
    "entry_a_string": "garbage",
    "entry_without_inputs": {"status": "ok", "error": ""},
    "entry_of_unknown_status": {"status": "done", "error": ""},
    "entry_error_not_text": {"status": "ok", "error": 3},
}


@pytest.mark.parametrize("case", CORRUPT_ENTRIES)
def test_corrupt_manifest_entry_redoes_that_variant_only(
    batch: tuple[Path, Path], case: str
) -> None:
    sweep, out = batch
    entries = manifest(out)
    name = sorted(entries)[0]
    before = finished(out)
    entry = CORRUPT_ENTRIES[case]
    if isinstance(entry, dict) and case != "entry_without_inputs":
        entry = {"inputs": entries[name]["inputs"], **entry}
    entries[name] = entry
    (out / "manifest.json").write_text(json.dumps({"format": 1, "variants": entries}))
    rerun(sweep, out)
    after = finished(out)
    assert [n for n in after if after[n] != before[n]] == [name]


@pytest.mark.parametrize("content", ["{", "[]", '{"sites": 5}', ""])
def test_corrupt_variant_summary_is_redone_on_rerun(batch: tuple[Path, Path], content: str) -> None:
    sweep, out = batch
    name = sorted(manifest(out))[1]
    (out / "variants" / name / "summary.json").write_text(content)
    before = finished(out)
    rerun(sweep, out)
    after = finished(out)
    assert [n for n in after if after[n] != before[n]] == [name]
    assert json.loads((out / "variants" / name / "summary.json").read_text())["objective"]
