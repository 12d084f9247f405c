"""The command line a user expects: usage errors in one line, ``--version``, help texts
as written, fast start-up; and a library that leaves its user's settings alone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tomllib
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
import typer.main

import dispatch
from dispatch.cli import app
from hostile import TINY, assert_one_line_error, litter, run_dispatch, tree

SWEEP = TINY.parent / "tiny-sweep.yaml"
ROOT = Path(__file__).parents[1]

USAGE_ERRORS = {
    # name: (command line after 'dispatch'; OUT is replaced by a new folder, what the
    # line must name)
    "run_without_out": (["run", TINY], ["--out", "missing option"]),
    "batch_without_out": (["batch", SWEEP], ["--out"]),
    "batch_with_zero_workers": (["batch", SWEEP, "--out", "OUT", "--workers", "0"], ["--workers"]),
    "batch_with_negative_workers": (["batch", SWEEP, "-o", "OUT", "-w", "-3"], ["--workers"]),
    "batch_with_text_workers": (["batch", SWEEP, "-o", "OUT", "-w", "two"], ["--workers"]),
    "batch_with_workers_and_scheduler": (
        ["batch", SWEEP, "-o", "OUT", "-w", "2", "--scheduler", "tcp://127.0.0.1:9"],
        ["--workers", "--scheduler"],
    ),
    "unknown_option": (["validate", TINY, "--bogus"], ["--bogus", "no such option"]),
    "misspelt_option": (["run", TINY, "-o", "OUT", "--hour", "4"], ["--hour", "--hours"]),
    "unknown_command": (["solve", TINY], ["solve"]),
    "missing_argument": (["validate"], ["SCENARIO", "missing argument"]),
    "extra_argument": (["validate", TINY, "surplus"], ["surplus"]),
    "option_without_value": (["validate", TINY, "--hours"], ["--hours"]),
    "hours_nan": (["validate", TINY, "--hours", "nan"], ["--hours", "nan"]),
    "hours_inf": (["validate", TINY, "--hours", "inf"], ["--hours", "inf"]),
    "hours_minus_inf": (["validate", TINY, "--hours=-inf"], ["--hours"]),
    "hours_overflowing_to_inf": (["validate", TINY, "--hours", "1e400"], ["--hours"]),
    "hours_text": (["validate", TINY, "--hours", "abc"], ["--hours"]),
    "hours_zero": (["validate", TINY, "--hours", "0"], ["--hours"]),
    "hours_nan_on_run": (["run", TINY, "--out", "OUT", "--hours", "NaN"], ["--hours"]),
    "exchange_import_without_scenario": (
        ["exchange", "import", TINY / "profiles.csv", "-o", "OUT"],
        ["--scenario"],
    ),
    "exchange_export_window_nan": (
        ["exchange", "export", TINY, "-f", "csv", "-o", "OUT", "--window-h", "nan"],
        ["--window-h"],
    ),
    "exchange_export_unknown_option": (
        ["exchange", "export", TINY, "--fromat", "csv"],
        ["--fromat"],
    ),
}


@pytest.mark.parametrize("case", USAGE_ERRORS)
def test_usage_error_is_one_line_naming_the_option_with_exit_2(case: str, tmp_path: Path) -> None:
    args, names = USAGE_ERRORS[case]
    out = tmp_path / "out"
    outcome = run_dispatch(*[out if a == "OUT" else a for a in args], cwd=tmp_path)
    line = assert_one_line_error(outcome, *names)
    assert line.startswith("error: ")
    assert outcome.stdout == ""
    assert tree(out) == {}
    assert litter(tmp_path) == []
    assert outcome.seconds < 10


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["run", TINY, "--out", "OUT"], "--out"),
        (["batch", SWEEP, "-o", "OUT", "--dry-run"], "--out"),
        (["schema", "-o", "OUT"], "--out"),
        (["new", "OUT", "--site", "s", "--lat", "45", "--lon", "8", "--weather", TINY], "STUDY"),
    ],
)
def test_a_path_to_write_below_a_file_names_the_file(
    args: list[str], option: str, tmp_path: Path
) -> None:
    # OUT is afile/sub/deeper, afile an existing file: not "permission denied".
    afile = tmp_path / "afile"
    afile.write_text("mine\n")
    out = afile / "sub" / "deeper"
    outcome = run_dispatch(*[out if a == "OUT" else a for a in args])
    line = assert_one_line_error(outcome, option, f"{afile} is a file, not a folder")
    assert "permission" not in line
    assert afile.read_text() == "mine\n" and litter(tmp_path) == []


def test_an_unknown_solar_mount_lists_the_options_as_spelt(tmp_path: Path) -> None:
    out = tmp_path / "profiles.nc"
    args = ["profiles", TINY / "profiles.csv", "-o", out, "--start", "2025-06-01T00:00Z"]
    outcome = run_dispatch(*args, "--hours", "4", "--solar", "diagonal")
    assert_one_line_error(outcome, "--solar", "'diagonal'", "must be fixed or single-axis")
    assert not out.exists()


def test_version_prints_the_package_version() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    for args in (["--version"], ["--version", "validate", "nowhere"]):
        outcome = run_dispatch(*args)
        assert (outcome.code, outcome.stdout, outcome.stderr) == (0, f"dispatch {version}\n", "")
    assert dispatch.__version__ == version


def _commands(group: typer.main.TyperGroup, path: tuple[str, ...] = ()) -> list:
    """(command line, command) of every command and group below ``group``."""
    found = [(path, group)]
    for name, command in getattr(group, "commands", {}).items():
        found += _commands(command, (*path, name))
    return found


COMMANDS = _commands(typer.main.get_command(app))


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_help_shows_every_help_text_as_written(path: tuple[str, ...], command: object) -> None:
    outcome = run_dispatch(*path, "--help")
    assert (outcome.code, outcome.stderr) == (0, "")
    shown = " ".join(outcome.stdout.split())
    texts = [command.help] + [p.help for p in command.params if p.help]
    for text in filter(None, texts):
        assert " ".join(text.split()) in shown, f"{text!r} not shown in 'dispatch {path} --help'"


def test_help_keeps_bracketed_units_and_defaults() -> None:
    assert "Keep only the first HOURS of the horizon [h]." in run_dispatch("run", "--help").stdout
    shown = " ".join(run_dispatch("batch", "--help").stdout.split())
    assert "[default: cores]" in shown and "[default: on in a terminal]" in shown


HEAVY = ["pandas", "numpy", "pydantic", "scipy", "xarray", "pypsa", "linopy", "matplotlib"]
HEAVY += ["distributed", "netCDF4", "rich"]


@pytest.mark.parametrize(
    ("args", "allowed"),
    [
        (["--help"], []),
        (["--version"], []),
        (["run", "--help"], ["pydantic"]),  # typer reads a command's options with pydantic
        (["validate", str(TINY)], ["pandas", "numpy", "pydantic"]),
    ],
    ids=["help", "version", "run-help", "validate"],
)
def test_command_imports_only_what_it_needs(args: list[str], allowed: list[str]) -> None:
    traced = [sys.executable, "-X", "importtime", "-m", "dispatch.cli", *args]
    stderr = subprocess.run(traced, check=True, capture_output=True, text=True).stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines()}
    assert imported & set(HEAVY) <= set(allowed)


def test_import_dispatch_is_lazy_but_complete() -> None:
    code = (
        "import os, sys; env = dict(os.environ); import dispatch\n"
        f"assert not {{m for m in {HEAVY!r} if m in sys.modules}}, sys.modules.keys()\n"
        "assert dict(os.environ) == env\n"
        "from dispatch import *\n"
        "assert all(callable(getattr(dispatch, n)) for n in dispatch.__all__)\n"
        "assert set(dispatch.__all__) <= set(dir(dispatch))\n"
        "assert dispatch.solve.__module__ == 'dispatch.optimization.solve'\n"
        "try: dispatch.no_such_name\nexcept AttributeError: pass\nelse: raise AssertionError\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


SETTINGS_SCRIPT = """
import json, logging, sys
import matplotlib
matplotlib.use("svg")
import dispatch, pypsa
if sys.argv[3] == "configured":
    logging.basicConfig(level=logging.INFO)  # the user's own logging, which shows INFO
logging.getLogger("linopy").setLevel(logging.DEBUG)
pypsa.options.set_option("api.legacy_string_dtype", False)

def settings():
    return {
        "options": {k: pypsa.options.get_option(k) for k in
                    ("general.allow_network_requests", "api.legacy_string_dtype")},
        "levels": {k: logging.getLogger(k).level for k in ("pypsa", "linopy")},
        "backend": matplotlib.get_backend(),
        "root": [logging.getLogger().level, len(logging.getLogger().handlers)],
    }

before = settings()
result = dispatch.solve(dispatch.load_study(sys.argv[1]))
after_solve = settings()
result.network_baseline
result.write(sys.argv[2] + "/out")
dispatch.export_plan(sys.argv[2] + "/out", "csv", sys.argv[2] + "/plan.csv")
logging.getLogger("analysis").info("the user's own message")
print(json.dumps([before, after_solve, settings()]))
"""


@pytest.mark.parametrize("logging_", ["configured", "unconfigured"])
def test_solving_leaves_the_users_pypsa_logging_and_matplotlib_settings(
    tmp_path: Path, logging_: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYPSA_")}
    run = subprocess.run(
        [sys.executable, "-c", SETTINGS_SCRIPT, str(TINY), str(tmp_path), logging_],
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    before, after_solve, after_all = json.loads(run.stdout)
    assert before["options"]["general.allow_network_requests"] is True  # PyPSA's default
    assert before == after_solve == after_all
    # Inside dispatch's calls, PyPSA and linopy report errors only, even to a user
    # whose logging shows INFO.
    assert "INFO:pypsa" not in run.stderr and "INFO:linopy" not in run.stderr
    # pypsa.Network() configures the root logger where the user has not; dispatch
    # undoes it, so the user's INFO messages stay as unshown as they were.
    shown = "INFO:analysis:the user's own message" in run.stderr
    assert shown == (logging_ == "configured")


SIGINT_SCRIPT = """
import sys
import dispatch

def sigint_ignored():
    with open("/proc/self/status") as status:
        return bool(int(next(s for s in status if s.startswith("SigIgn:"))[7:], 16) & 2)

before = sigint_ignored()
dispatch.solve(dispatch.load_study(sys.argv[1]))
print(before, sigint_ignored())
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_solving_leaves_sigint_ignored_where_the_user_ignored_it() -> None:
    # As in a job started with & or nohup. PyPSA imports polars (through linopy),
    # whose import sets a SIGINT handler of its own over the process's.
    run = subprocess.run(
        [sys.executable, "-c", SIGINT_SCRIPT, str(TINY)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "True"]


def test_settings_are_dispatchs_inside_its_calls_and_nest() -> None:
    import logging

    import pypsa

    from dispatch.core.pypsa_settings import PYPSA_OPTIONS, pypsa_settings

    logger = logging.getLogger("linopy")
    level, options = logger.level, {k: pypsa.options.get_option(k) for k in PYPSA_OPTIONS}
    with pypsa_settings, pypsa_settings:
        assert {k: pypsa.options.get_option(k) for k in PYPSA_OPTIONS} == PYPSA_OPTIONS
        assert logger.level == logging.ERROR
    assert logger.level == level
    assert {k: pypsa.options.get_option(k) for k in PYPSA_OPTIONS} == options


def test_the_forked_baselines_folder_goes_once_its_network_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from dispatch.core.processes import usable_cores

    if usable_cores() < 2:
        pytest.skip("the baseline is forked only with two usable cores")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    result = dispatch.solve(dispatch.load_study(TINY))
    assert [p.name.split("-")[1] for p in tmp_path.iterdir()] == ["baseline"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        network = result.network_baseline
    assert network.objective == pytest.approx(result.summary["baseline"]["objective"])
    assert list(tmp_path.iterdir()) == []
    # removed, not left to the garbage collector ("Implicitly cleaning up")
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_result_write_below_a_file_names_the_file(
    tmp_path: Path, solved: Callable[..., dispatch.Result]
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("mine\n")
    with pytest.raises(dispatch.ScenarioError, match="afile is a file, not a folder"):
        solved(TINY).write(afile / "sub")
    assert afile.read_text() == "mine\n" and litter(tmp_path) == []


def test_an_interrupt_before_the_command_starts_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # e.g. SIGTERM while typer parses the arguments, before the command's own handler
    import dispatch.cli

    def interrupted(**_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(dispatch.cli, "app", interrupted)
    try:
        code = dispatch.cli.main()
    except KeyboardInterrupt:
        pytest.fail("the interrupt escaped as a traceback")
    assert code == dispatch.cli.EXIT_INTERRUPTED
    assert capsys.readouterr().err == "interrupted: nothing was written\n"
