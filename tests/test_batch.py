"""Batch sweeps: sweep files, local and Dask runs, failures, resume, interruption."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr
import yaml
from click.testing import Result as Invocation
from typer.testing import CliRunner

from dispatch import Result, load_sweep, run_sweep, solve, study_from_scenario
from dispatch.batch.describe import plan
from dispatch.batch.folder import MANIFEST, BatchFolder
from dispatch.batch.summary import flat_figures
from dispatch.cli import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_VARIANTS_FAILED, app
from dispatch.scenario.jsonschema import SWEEP_SCHEMA_FILE, sweep_json_schema
from hostile import default_sigint

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parents[1]
SOLAR = "sites.s.solar.capacity_mw"
DELAY = "sites.s.datacentre.deferrable.max_delay_h"
BATTERY = "sites.s.battery.power_mw"
SMALL = {
    "base": "tiny",
    "product": {SOLAR: [10, 20]},
    "variants": [{"name": "small-battery", "set": {BATTERY: 1}}],
}
"""Three variants of the four-hour study: what every solving test runs."""
NAMES = ["capacity_mw=10", "capacity_mw=20", "small-battery"]
FIGURES = ["objective", "absorbed_mwh", "curtailment_by_carrier_mwh_solar", "baseline_total_cost"]
runner = CliRunner()


def write_sweep(folder: Path, sweep: dict, name: str = "sweep.yaml") -> Path:
    """A sweep file beside a copy of ``tests/data/tiny`` in ``folder``."""
    if not (folder / "tiny").exists():
        shutil.copytree(DATA / "tiny", folder / "tiny")
    path = folder / name
    path.write_text(yaml.safe_dump(sweep, sort_keys=False), encoding="utf-8")
    return path


def mtimes(out: Path) -> dict[str, float]:
    return {p.name: (p / "summary.json").stat().st_mtime_ns for p in (out / "variants").iterdir()}


@pytest.fixture(scope="module")
def run_files(tiny_result: Result, tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The files ``dispatch run`` writes (through :meth:`Result.write`)."""
    return {p.name for p in tiny_result.write(tmp_path_factory.mktemp("run") / "o").iterdir()}


@pytest.fixture(scope="module")
def local_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The small sweep solved on two local workers: (sweep file, output folder)."""
    folder = tmp_path_factory.mktemp("local")
    sweep = write_sweep(folder, SMALL)
    result = runner.invoke(app, ["batch", str(sweep), "--out", str(folder / "out"), "-w", "2"])
    assert result.exit_code == 0, result.output
    return sweep, folder / "out"


@pytest.fixture
def rerun(local_run: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A writable copy of the local run: (sweep file, output folder)."""
    sweep, out = local_run
    shutil.copytree(sweep.parent, tmp_path, dirs_exist_ok=True)
    return tmp_path / sweep.name, tmp_path / out.name


def test_product_and_named_variants_expand_in_order_with_names_from_values() -> None:
    sweep = load_sweep(DATA / "tiny-sweep.yaml")
    assert [v.name for v in sweep.variants] == [
        "capacity_mw=10,max_delay_h=1",
        "capacity_mw=10,max_delay_h=3",
        "capacity_mw=20,max_delay_h=1",
        "capacity_mw=20,max_delay_h=3",
        "small-battery",
        "base",
    ]
    assert sweep.parameters == [SOLAR, DELAY, BATTERY, "sites.s.battery.energy_mwh"]
    second = sweep.variants[1]
    assert second.changes == {SOLAR: 10, DELAY: 3}
    assert second.scenario.sites["s"].solar.capacity_mw == 10
    assert second.scenario.sites["s"].datacentre.deferrable.max_delay_h == 3
    base = sweep.variants[-1]
    assert base.changes == {} and base.scenario.sites["s"].solar.capacity_mw == 20
    # Same inputs, same hash: the unchanged base equals the product's 20 MW / 3 h variant.
    assert base.inputs == sweep.variants[3].inputs
    assert len({v.inputs for v in sweep.variants}) == 5


def test_names_use_the_shortest_distinguishing_path_suffix(tmp_path: Path) -> None:
    path = write_sweep(
        tmp_path,
        {
            "base": "tiny",
            "product": {SOLAR: [5.0, 7.5], "sites.s.grid.import_limit_mw": [15]},
            "variants": [{"name": "solar-off", "set": {SOLAR: 0}}],
        },
    )
    names = [v.name for v in load_sweep(path).variants]
    assert names == [
        "capacity_mw=5,import_limit_mw=15",
        "capacity_mw=7.5,import_limit_mw=15",
        "solar-off",
    ]
    path = write_sweep(
        tmp_path,
        {"base": "tiny", "product": {SOLAR: [10], "sites.s.grid.import_limit_mw": [15]}},
    )
    path.write_text(path.read_text().replace("grid.import_limit_mw", "battery.power_mw"))
    assert load_sweep(path).variants[0].name == "capacity_mw=10,power_mw=15"


BAD_SWEEPS = [
    # (sweep file content, words the one-line error must contain)
    ({**SMALL, "product": {"sites.s.wind.capacity_mw": [1]}}, ["sites.s.wind", "unknown path"]),
    ({**SMALL, "product": {"sites.s.solar.capcity_mw": [1]}}, ["capcity_mw", "unknown field"]),
    ({**SMALL, "product": {SOLAR: [10, "big"]}}, [SOLAR, "capacity_mw=big", "number"]),
    ({**SMALL, "product": {SOLAR: 10}}, ["product", "list"]),
    ({**SMALL, "product": {}}, ["product", "at least 1"]),
    ({**SMALL, "product": {SOLAR: []}}, [SOLAR, "at least 1"]),
    ({"base": "tiny"}, ["nothing to vary"]),
    ({**SMALL, "base": "nowhere"}, ["base", "nowhere"]),
    ({**SMALL, "hours": 2.5}, ["sweep.yaml: hours", "cannot shorten"]),
    ({**SMALL, "variants": [{"name": "../up", "set": {}}]}, ["variants.0.name", "pattern"]),
    ({**SMALL, "variants": [{"name": "a"}, {"name": "a"}]}, ["two variants are named 'a'"]),
    (
        {**SMALL, "variants": [{"name": "A"}, {"name": "a"}]},
        ["sweep.yaml: variants", "'A' and 'a' differ only in case"],
    ),
    ({**SMALL, "variants": [{"name": "a", "sets": {}}]}, ["sets", "unknown field"]),
    # The last variant alone is bad: found before anything is solved.
    ({**SMALL, "variants": [{"name": "neg", "set": {BATTERY: -1}}]}, [BATTERY, "'neg'"]),
    (
        {**SMALL, "variants": [{"name": "gone", "set": {"sites.s.solar.availability": "x.csv:a"}}]},
        ["sites.s.solar.availability", "'gone'", "x.csv"],
    ),
]


def one_line_error(result: Invocation) -> str:
    """The message of a command that failed on bad input: one line, exit code 2."""
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    message = result.output.strip()
    assert "\n" not in message and "Traceback" not in message and message.startswith("error: ")
    return message


@pytest.mark.parametrize(("sweep", "words"), BAD_SWEEPS)
def test_a_bad_sweep_fails_before_any_solve_with_one_line_and_exit_2(
    tmp_path: Path, sweep: dict, words: list[str]
) -> None:
    path = write_sweep(tmp_path, sweep)
    out = tmp_path / "out"
    for extra in ([], ["--dry-run"]):
        message = one_line_error(runner.invoke(app, ["batch", str(path), "-o", str(out), *extra]))
        assert all(word in message for word in words), message
    assert not out.exists()


def test_malformed_and_missing_sweep_files(tmp_path: Path) -> None:
    path = tmp_path / "sweep.yaml"
    path.write_text("base: [tiny\n")
    out = tmp_path / "out"
    for sweep, words in ((path, ["sweep.yaml", "YAML"]), (tmp_path / "no.yaml", ["no such"])):
        message = one_line_error(runner.invoke(app, ["batch", str(sweep), "--out", str(out)]))
        assert all(word in message for word in words), message
    assert not out.exists()


def test_local_run_writes_every_variant_and_summaries_equal_to_solve(
    local_run: tuple[Path, Path], tiny_result: Result, run_files: set[str]
) -> None:
    sweep_file, out = local_run
    assert sorted(p.name for p in (out / "variants").iterdir()) == sorted(NAMES)
    for name in NAMES:
        assert {p.name for p in (out / "variants" / name).iterdir()} == run_files
    table = pd.read_csv(out / "summary.csv", index_col="variant")
    assert list(table.index) == NAMES
    assert list(table.columns[:4]) == ["status", "error", SOLAR, BATTERY]
    assert (table["status"] == "ok").all() and table["error"].isna().all()
    # Parameters are the values each variant has, changed or not.
    assert list(table[SOLAR]) == [10, 20, 20] and list(table[BATTERY]) == [2, 2, 1]
    # Rows are solve()'s figures: the 20 MW variant is the base study itself.
    sweep = load_sweep(sweep_file)
    small = sweep.variants[2]
    expected = {
        "capacity_mw=20": tiny_result,
        "small-battery": solve(
            study_from_scenario(small.scenario, sweep.base, sweep.hours), parallel=False
        ),
    }
    for name, result in expected.items():
        figures, _ = flat_figures(result.summary)
        assert table.loc[name, list(figures)].tolist() == pytest.approx(list(figures.values()))
    assert table.loc["small-battery", "objective"] != table.loc["capacity_mw=20", "objective"]
    with xr.open_dataset(out / "summary.nc") as ds:
        assert list(ds["variant"].values) == NAMES
        assert ds[SOLAR].dims == ("variant",) and SOLAR in ds.coords
        assert ds["absorbed_mwh"].attrs["units"] == "MW h"  # CF: UDUNITS-2 units
        assert ds["objective"].attrs["units"] == "1"
        assert ds["objective"].attrs["currency"] == "EUR"
        assert ds["baseline_curtailment_mwh"].attrs["units"] == "MW h"
        for name in FIGURES:
            assert ds[name].values.tolist() == pytest.approx(table[name].tolist(), rel=1e-12)
    manifest = json.loads((out / MANIFEST).read_text())
    assert {n: e["inputs"] for n, e in manifest["variants"].items()} == {
        v.name: v.inputs for v in sweep.variants
    }


def test_rerun_skips_complete_variants(rerun: tuple[Path, Path]) -> None:
    sweep, out = rerun
    before = mtimes(out)
    report = run_sweep(sweep, out, workers=2, progress=False)
    assert (report.skipped, report.solved, report.failed) == (3, 0, [])
    assert mtimes(out) == before
    result = runner.invoke(app, ["batch", str(sweep), "--out", str(out), "--dry-run"])
    assert result.exit_code == 0 and "3 already complete" in result.output
    assert "to solve: none" in result.output


def test_torn_and_unrecorded_variants_are_solved_again(rerun: tuple[Path, Path]) -> None:
    sweep, out = rerun
    # Killed runs: a variant's folder gone with its manifest entry left, and a folder
    # the manifest does not know (killed after writing it, before recording it).
    shutil.rmtree(out / "variants" / "capacity_mw=10")
    manifest = json.loads((out / MANIFEST).read_text())
    del manifest["variants"]["capacity_mw=20"]
    (out / MANIFEST).write_text(json.dumps(manifest))
    done, todo = plan(load_sweep(sweep), out)
    assert [v.name for v in done] == ["small-battery"]
    assert [v.name for v in todo] == ["capacity_mw=10", "capacity_mw=20"]


def test_rerun_solves_a_changed_variant_only_and_removes_leftovers(
    rerun: tuple[Path, Path],
) -> None:
    sweep, out = rerun
    before = mtimes(out)
    sweep.write_text(sweep.read_text().replace(f"{BATTERY}: 1", f"{BATTERY}: 1.5"))
    # What a killed run leaves: a staging folder of Result.write, a temporary manifest.
    staging = out / "variants" / ".capacity_mw=20.x1y2z3"
    staging.mkdir()
    (staging / "summary.json").write_text("{")
    (out / ".manifest.json.0a1b2c3d.tmp").write_text("{")
    report = run_sweep(sweep, out, workers=1, progress=False)
    assert (report.solved, report.skipped, report.failed) == (1, 2, [])
    after = mtimes(out)
    assert [name for name in NAMES if after[name] != before[name]] == ["small-battery"]
    assert sorted(p.name for p in out.iterdir()) == [
        ".dispatch",
        ".lock",
        MANIFEST,
        "summary.csv",
        "summary.nc",
        "variants",
    ]
    assert sorted(p.name for p in (out / "variants").iterdir()) == sorted(NAMES)
    table = pd.read_csv(out / "summary.csv", index_col="variant")
    assert table.loc["small-battery", BATTERY] == 1.5


def test_failing_variant_is_recorded_and_the_batch_goes_on(tmp_path: Path) -> None:
    # Firm load beyond what the night's grid import can carry: infeasible every hour.
    infeasible = {
        "sites.s.grid.import_limit_mw": 0.5,
        "sites.s.datacentre.firm_mw": 6,
        "sites.s.datacentre.deferrable.arrivals_mwh": 0,
    }
    sweep = write_sweep(
        tmp_path,
        {"base": "tiny", "variants": [{"name": "dark", "set": infeasible}, {"name": "base"}]},
    )
    out = tmp_path / "out"
    for solved in (2, 0):  # a rerun keeps the infeasible outcome: same inputs, same answer
        command = ["batch", str(sweep), "--out", str(out), "--no-progress", "-w", "1"]
        result = runner.invoke(app, command)
        assert result.exit_code == EXIT_VARIANTS_FAILED, result.output
        assert "1 ok, 1 infeasible" in result.output
        assert f"solving {solved} on" in result.output
        table = pd.read_csv(out / "summary.csv", index_col="variant")
        assert list(table["status"]) == ["infeasible", "ok"]
        assert "firm load" in table.loc["dark", "error"]
        assert "\n" not in table.loc["dark", "error"]
        assert pd.isna(table.loc["dark", "objective"]) and table.loc["base", "objective"] > 0
    assert sorted(p.name for p in (out / "variants").iterdir()) == ["base"]


def test_dask_cluster_gives_the_local_summary(local_run: tuple[Path, Path], tmp_path: Path) -> None:
    from distributed import LocalCluster

    sweep, local_out = local_run
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        out = tmp_path / "dask"
        result = runner.invoke(
            app, ["batch", str(sweep), "--out", str(out), "--scheduler", cluster.scheduler_address]
        )
        assert result.exit_code == 0, result.output
        assert "Dask scheduler tcp://127.0.0.1:" in result.output
    assert sorted(p.name for p in (out / "variants").iterdir()) == sorted(NAMES)
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "summary.csv", index_col="variant"),
        pd.read_csv(local_out / "summary.csv", index_col="variant"),
    )


def test_unreachable_scheduler_is_one_line_with_exit_2(
    local_run: tuple[Path, Path], tmp_path: Path
) -> None:
    import dask

    sweep, _ = local_run
    command = ["batch", str(sweep), "-o", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:9"]
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        assert "cannot reach the Dask scheduler" in one_line_error(runner.invoke(app, command))
    assert not (tmp_path / "o").exists()


def _start_batch(tmp_path: Path, variants: int) -> tuple[subprocess.Popen, Path, Path]:
    """``dispatch batch`` of ``variants`` solar sizes on one worker in its own process
    group, as from a terminal; returns once the first variant is recorded.

    Returns
    -------
    tuple
        The process, the sweep file and the output folder.
    """
    product = {SOLAR: [10 + 2 * i for i in range(variants)]}
    sweep, out = write_sweep(tmp_path, {"base": "tiny", "product": product}), tmp_path / "out"
    code = "import sys; from dispatch.cli import main; sys.argv[0] = 'dispatch'; sys.exit(main())"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "batch", str(sweep), "--out", str(out), "-w", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=default_sigint,
    )
    deadline = time.monotonic() + 120
    while not (out / MANIFEST).exists():
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return process, sweep, out


def _recorded(out: Path, files: set[str]) -> dict[str, dict]:
    """The manifest's entries; each solved one has all its ``files``, nothing is torn."""
    recorded = json.loads((out / MANIFEST).read_text())["variants"]
    for name, entry in recorded.items():
        if entry["status"] == "ok":
            assert {p.name for p in (out / "variants" / name).iterdir()} == files
    return recorded


def _no_leftovers(out: Path) -> bool:
    return not [p for p in (out / "variants").iterdir() if p.name.startswith(".")]


def test_ctrl_c_stops_at_once_and_cleanly(tmp_path: Path, run_files: set[str]) -> None:
    process, sweep, out = _start_batch(tmp_path, 3)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    output = process.communicate(timeout=60)[0]
    assert process.returncode == EXIT_INTERRUPTED, output
    recorded = _recorded(out, run_files)
    assert all(entry["status"] == "ok" for entry in recorded.values())
    assert output.strip().splitlines()[-1] == (
        f"interrupted: {len(recorded)} of 3 variants complete in {out}; "
        "run the same command again to resume"
    )
    assert _no_leftovers(out)
    table = pd.read_csv(out / "summary.csv", index_col="variant")
    assert (table["status"] == "ok").sum() == len(recorded)
    assert set(table["status"]) <= {"ok", "pending"}
    result = runner.invoke(app, ["batch", str(sweep), "--out", str(out), "--dry-run"])
    assert f"{len(recorded)} already complete" in result.output


def test_killed_run_resumes_with_nothing_lost_or_solved_twice(
    tmp_path: Path, run_files: set[str]
) -> None:
    process, sweep, out = _start_batch(tmp_path, 3)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    recorded = _recorded(out, run_files)
    report = run_sweep(sweep, out, workers=2, progress=False)
    assert (report.skipped, report.solved) == (len(recorded), 3 - len(recorded))
    assert not report.failed and not report.interrupted
    assert _no_leftovers(out)


def test_killed_worker_fails_its_variants_and_the_batch_goes_on(
    tmp_path: Path, run_files: set[str]
) -> None:
    import psutil

    process, sweep, out = _start_batch(tmp_path, 4)  # one left for a new pool after the loss
    # The pool's workers are spawned children; the resource tracker is another child.
    for worker in psutil.Process(process.pid).children():
        if "spawn_main" in " ".join(worker.cmdline()):
            worker.kill()
    output = process.communicate(timeout=120)[0]
    assert process.returncode == EXIT_VARIANTS_FAILED, output
    recorded = _recorded(out, run_files)
    assert len(recorded) == 4
    lost = [n for n, entry in recorded.items() if entry["status"] == "error"]
    assert lost and all("BrokenProcessPool" in recorded[n]["error"] for n in lost)
    assert {v.name for v in plan(load_sweep(sweep), out)[1]} == set(lost)  # a rerun retries


def test_flat_figures_join_nested_names_and_keep_units() -> None:
    summary = {
        "study": "x",
        "currency": "USD",
        "hours": 4.0,
        "objective": 1.0,
        "curtailment_by_carrier_mwh": {"solar": 2.0},
        "baseline": {"objective": 3.0, "max_delay_h": 0},
        "sites": {"a": {"absorbed_mwh": 1.0}, "b": {"absorbed_mwh": 2.0}},
        "routes": {"a->b": {"moved_mwh": 1.5, "cost": 5.0}},
        "units": {"objective": "USD", "curtailment_by_carrier_mwh": "MWh", "max_delay_h": "h"},
    }
    figures, units = flat_figures(summary)
    assert figures == {
        "hours": 4.0,
        "objective": 1.0,
        "curtailment_by_carrier_mwh_solar": 2.0,
        "baseline_objective": 3.0,
        "baseline_max_delay_h": 0.0,
        "sites_a_absorbed_mwh": 1.0,
        "sites_b_absorbed_mwh": 2.0,
        "routes_a->b_moved_mwh": 1.5,
        "routes_a->b_cost": 5.0,
    }
    assert units == {
        "hours": "h",
        "objective": "USD",
        "curtailment_by_carrier_mwh_solar": "MWh",
        "baseline_objective": "USD",
        "baseline_max_delay_h": "h",
        "sites_a_absorbed_mwh": "MWh",
        "sites_b_absorbed_mwh": "MWh",
        "routes_a->b_moved_mwh": "MWh",
        "routes_a->b_cost": "USD",
    }
    del summary["sites"]["b"]  # one site's figures are the study's
    assert "sites_a_absorbed_mwh" not in flat_figures(summary)[0]


def test_a_second_batch_into_the_same_folder_fails_at_once(local_run: tuple[Path, Path]) -> None:
    sweep, out = local_run
    with BatchFolder(out).lock():
        message = one_line_error(runner.invoke(app, ["batch", str(sweep), "--out", str(out)]))
    assert "another dispatch batch is writing into this folder" in message


def test_progress_bar_shows_count_and_failures(tmp_path: Path) -> None:
    from dispatch.batch.progress import BatchProgress
    from dispatch.batch.task import Outcome

    class Terminal:
        text = ""

        def write(self, text: str) -> None:
            self.text += text

        def flush(self) -> None:
            pass

        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    meter = BatchProgress(2, terminal, None, "sweep.yaml: 2 variants")  # type: ignore[arg-type]
    meter.update(Outcome("a", "ok", "", 1.0, 1.0))
    meter.update(Outcome("b", "infeasible", "no way", 1.0, 1.0))
    meter.close()
    assert terminal.text.startswith("sweep.yaml: 2 variants\n")
    assert "2/2" in terminal.text and "failed=1" in terminal.text
    assert "b: infeasible: no way" in terminal.text


CGROUP_QUOTAS = {
    "cgroup-v2": {"/sys/fs/cgroup/cpu.max": "50000 100000\n"},
    "cgroup-v1": {
        "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "50000\n",
        "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n",
    },
}
"""A container's CPU quota of half a core, as the kernel shows it: file -> content."""


@pytest.mark.parametrize("files", CGROUP_QUOTAS.values(), ids=CGROUP_QUOTAS.keys())
def test_workers_default_to_the_cores_a_container_quota_allows(
    monkeypatch: pytest.MonkeyPatch, files: dict[str, str]
) -> None:
    """A batch's default worker count: the quota counts, not only the affinity."""
    import io

    import loky.backend.context

    from dispatch.core.processes import usable_cores

    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else ()
    if len(affinity) < 2:
        pytest.skip("one core usable: a quota cannot lower the count")
    exists, read = os.path.exists, []

    def fake_exists(path: str) -> bool:
        return path in files or (not str(path).startswith("/sys/fs/cgroup") and exists(path))

    def fake_open(path: str, *args: object, **kwargs: object) -> io.StringIO:
        read.append(path)
        return io.StringIO(files[path])

    monkeypatch.delenv("LOKY_MAX_CPU_COUNT", raising=False)
    monkeypatch.setattr(os.path, "exists", fake_exists)
    monkeypatch.setattr(loky.backend.context, "open", fake_open, raising=False)
    assert usable_cores() == 1
    assert sorted(read) == sorted(files), "loky reads the quota from other files now"


def test_shipped_sweep_and_sweep_schema_are_valid() -> None:
    sweep = load_sweep(ROOT / "networks" / "olkaria" / "sweep.yaml")
    assert len(sweep.variants) == 7
    assert (ROOT / "docs" / SWEEP_SCHEMA_FILE).read_text() == sweep_json_schema(), (
        "run: dispatch schema"
    )
    guide = (ROOT / "docs" / "batch.md").read_text()
    for field in ("base", "hours", "product", "variants", "name", "set", "description"):
        assert f"`{field}`" in guide, field
