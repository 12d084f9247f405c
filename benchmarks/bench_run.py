"""Benchmark ``dispatch run`` against bare HiGHS on the shipped example studies.

Run it from anywhere with the package installed::

    python3 benchmarks/bench_run.py                       # all three examples, full year
    python3 benchmarks/bench_run.py networks/nordic --repeat 5 --json /tmp/bench.json
    python3 benchmarks/bench_run.py --hours 168           # a quick look at one week

STUDY is a study folder or scenario file; by default ``networks/olkaria``,
``networks/nordic`` and ``networks/solar-battery`` beside this file. Everything is
written into a temporary folder that is removed at the end; only ``--json PATH``
leaves a file. The three full-year examples take about 3 minutes on 2 cores.

What it measures for each study (wall-clock times [s], sizes [MiB]):

1. Stages, cold, in one fresh Python process (a subprocess, so every import is
   cold): ``import dispatch``, ``import dispatch.cli``, ``import pypsa`` (through
   ``dispatch.model.network.import_pypsa``), ``load_study``, the hourly balance check,
   ``build_network``, ``n.optimize.create_model(include_objective_constant=False)``,
   the flexible solve through linopy (``n.optimize.solve_model`` with
   ``io_api="direct"``, split into HiGHS' ``run()`` and what linopy and PyPSA do
   around it), extraction of the hourly dispatch, ``to_baseline`` and the baseline
   solve. These run one after the other, whereas ``dispatch run`` solves the baseline
   in a forked process beside the flexible run. Aside: writing the flexible LP as an
   MPS file (``n.model.to_file``) and the process's exit.
2. ``dispatch run`` itself, once, in a fresh process (``dispatch.cli.main``) with
   timers wrapped around what it calls: ``load_study``, ``import_pypsa``,
   ``build_network``, ``create_model`` (``Result.timings``), the flexible solve and
   its ``Highs.run``, extraction, the wait for the forked baseline, ``Result.write``
   and each file it writes (dataset, netCDF, CSV, figure, networks), interpreter
   start-up and exit. The parts add up to the wall time of that run; the forked
   baseline reports its own times.
3. Bare HiGHS: a separate process reads the MPS file with highspy
   (``Highs.readModel``) and solves it (``Highs.run``, default options with
   ``output_flag`` off); the ``run()`` time is the "bare HiGHS solve". Its objective
   must equal linopy's (relative difference at most 1e-6).
4. The whole process: ``dispatch run STUDY --out TMP --quiet`` as a subprocess, the
   median wall time of ``--repeat`` runs and its peak resident set size. The peak
   is ``ru_maxrss`` of the child as returned by ``os.wait4`` (the figure that
   ``resource.getrusage(RUSAGE_CHILDREN)`` accumulates, but for that run alone):
   the maximum over the process and its reaped children, so with the forked
   baseline it is the larger of the two processes, not their sum.
5. The ratio of the whole process to the bare HiGHS solve, against the target 1.5x,
   and the LP size (linopy ``nvars``, ``ncons``; nonzeros as read by HiGHS).

The header also gives the machine (CPU, cores, Python, package versions) and how
much longer two CPU-bound processes take when run at once (1.0 with two real cores):
the forked baseline only saves wall time if that is near 1.

Bare HiGHS and ``dispatch run`` are run alternately, ``--repeat`` times each, so
drift in machine load affects both alike; both figures are medians.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_STUDIES = ("networks/olkaria", "networks/nordic", "networks/solar-battery")
TARGET_RATIO = 1.5
OBJECTIVE_RTOL = 1e-6
SOLVE_KWARGS: dict[str, Any] = {
    "solver_name": "highs",
    "io_api": "direct",
    "progress": False,
    "log_to_console": False,
    "solver_options": {"output_flag": False},
}
CHILD_STAGES = "--child-stages"
CHILD_HIGHS = "--child-highs"
CHILD_CLI = "--child-cli"
VERSIONS = ("dispatch", "pypsa", "linopy", "highspy", "numpy", "pandas", "xarray")
WIDTH = 92

STAGE_LABELS = {
    "startup": "process start-up (interpreter, benchmark's stdlib imports)",
    "import_dispatch": "import dispatch",
    "import_cli": "import dispatch.cli (typer)",
    "import_pypsa": "import pypsa (dispatch.model.network.import_pypsa)",
    "load_study": "load_study",
    "check_balance": "check_hourly_balance",
    "build_network": "build_network",
    "create_model": "n.optimize.create_model",
    "solve_flexible": "flexible solve (linopy solve_model, io_api=direct)",
    "solve_flexible.highs_run": "  HiGHS run() inside it",
    "solve_flexible.around": "  linopy + PyPSA around it (matrices, passModel, solution)",
    "extract_flexible": "extract flexible dispatch (extract_run)",
    "to_baseline": "to_baseline",
    "solve_baseline": "baseline solve (linopy solve_model)",
    "solve_baseline.highs_run": "  HiGHS run() inside it",
    "solve_baseline.around": "  linopy + PyPSA around it",
    "extract_baseline": "extract baseline dispatch (extract_run)",
}
PIPELINE = [k for k in STAGE_LABELS if "." not in k]
CLI_LABELS = {
    "startup": "interpreter start-up",
    "import_cli": "import dispatch.cli (dispatch, pandas, pydantic, typer)",
    "load_study": "load_study",
    "import_pypsa": "import pypsa (first import_pypsa, in build_network)",
    "build_network": "build_network (without the pypsa import)",
    "create_model": "n.optimize.create_model (Result.timings model_s)",
    "flexible.highs_run": "flexible solve: HiGHS run()",
    "flexible.around": "flexible solve: linopy + PyPSA around run()",
    "extract_flexible": "extract flexible dispatch (extract_run)",
    "baseline_wait": "wait for the forked baseline (baseline_wait_s)",
    "solve_rest": "rest of dispatch.solve (balance check, fork)",
    "write": "Result.write",
    "write.key_figures": "  summary.json (key_figures)",
    "write.build_dataset": "  hourly dataset (Result._build_dataset)",
    "write.to_netcdf": "  dispatch.nc (Dataset.to_netcdf)",
    "write.dispatch_table": "  wide table (Result.dispatch_table)",
    "write.to_csv": "  dispatch.csv (DataFrame.to_csv)",
    "write.plot_dispatch": "  figure (Result.plot_dispatch)",
    "write.savefig": "  dispatch.png (Figure.savefig)",
    "write.export_to_netcdf": "  network.nc (Network.export_to_netcdf)",
    "write.copyfile": "  network_baseline.nc (copy of the forked run's file)",
    "write.rest": "  rest (folders, json, closing the figure)",
    "cli_rest": "rest of the command (typer, argument parsing)",
    "exit": "interpreter exit (module teardown)",
    "unaccounted": "unaccounted (wall minus the above)",
}
BEYOND_HIGHS = [k for k in CLI_LABELS if "." not in k or k == "flexible.around"]


def _monotonic() -> float:
    """System-wide monotonic clock, comparable between processes [s]."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


class Stopwatch:
    """Wall-clock times of named stages [s]."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        """Time the body of a ``with`` block as stage ``name``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - start


_INHERITED = object()


@contextlib.contextmanager
def patched(
    owner: Any, attribute: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]
) -> Iterator[bool]:
    """Replace ``owner.attribute`` by ``make(original)`` while the block runs.

    Parameters
    ----------
    owner
        A class or a module.
    attribute
        The callable to replace. If it is missing (a refactored package), nothing is
        replaced and the block receives False.
    make
        Builds the replacement from the original callable.
    """
    current = getattr(owner, attribute, None)
    if current is None:
        yield False
        return
    own = vars(owner).get(attribute, _INHERITED)
    setattr(owner, attribute, make(current))
    try:
        yield True
    finally:
        if own is _INHERITED:
            delattr(owner, attribute)  # a class inherited it: uncover it again
        else:
            setattr(owner, attribute, own)


@contextlib.contextmanager
def instrumented(targets: list[tuple[Any, str, str]], times: dict[str, float]) -> Iterator[None]:
    """Add the time spent in some callables to ``times`` while the block runs.

    Parameters
    ----------
    targets
        ``(owner, attribute, key)``: the callable ``owner.attribute`` (a class or a
        module) is replaced by a timing wrapper that adds to ``times[key]`` [s].
        Missing attributes are skipped, so a refactored package only loses detail.
    times
        Receives the seconds spent in each target [s]. Only outermost calls count:
        a target called from inside another target of the same call (e.g.
        ``to_netcdf`` inside ``export_to_netcdf``) is part of the outer one, so the
        keys do not overlap.
    """
    depth = 0

    def timer(key: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def make(original: Callable[..., Any]) -> Callable[..., Any]:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                nonlocal depth
                if depth:
                    return original(*args, **kwargs)
                depth += 1
                start = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    depth -= 1
                    times[key] = times.get(key, 0.0) + time.perf_counter() - start

            return wrapper

        return make

    with contextlib.ExitStack() as stack:
        for owner, attribute, key in targets:
            stack.enter_context(patched(owner, attribute, timer(key)))
        yield


# --------------------------------------------------------------------------------------
# Child process 1: the stages one after the other, cold
# --------------------------------------------------------------------------------------


def child_stages(study_path: str, hours: float | None, mps: str) -> dict:
    """Time every stage of both runs, one after the other, in this fresh process.

    Parameters
    ----------
    study_path
        The study folder or scenario file.
    hours
        Keep only the first ``hours`` of the horizon [h]; all of it if None.
    mps
        Where to write the flexible LP as an MPS file.

    Returns
    -------
    dict
        ``stages`` [s], the MPS file's writing time [s] and size [MiB], the LP size,
        the linopy objective [currency], simplex iterations and peak RSS [MiB].
    """
    first = _monotonic()
    clock = Stopwatch()
    with clock("import_dispatch"):
        import dispatch
    with clock("import_cli"):
        import dispatch.cli  # noqa: F401 - imported as dispatch run does
    with clock("import_pypsa"):
        from dispatch.core.pypsa_settings import import_pypsa
        from dispatch.model.network import build_network, to_baseline

        import_pypsa()
    import highspy  # imported by linopy already; needed to time Highs.run

    from dispatch.optimization.explain import check_hourly_balance

    highs_runs: dict[str, float] = {}
    with clock("load_study"):
        study = dispatch.load_study(study_path, hours=hours)
    with clock("check_balance"):
        check_hourly_balance(study)
    with clock("build_network"):
        n = build_network(study)
    with clock("create_model"):
        n.optimize.create_model(include_objective_constant=False)
    run_target = [(highspy.Highs, "run", "highs_run")]
    with clock("solve_flexible"), instrumented(run_target, highs_runs):
        status, condition = n.optimize.solve_model(**SOLVE_KWARGS)
    if status != "ok":
        raise RuntimeError(f"flexible run: {status} ({condition})")
    objective = float(n.model.objective.value)
    iterations = int(n.model.solver_model.getInfo().simplex_iteration_count)
    clock.times["solve_flexible.highs_run"] = highs_runs.pop("highs_run")
    with clock("extract_flexible"):
        extracted = extract_all(n, study)
    start = time.perf_counter()
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        n.model.to_file(Path(mps), progress=False)
    mps_s = time.perf_counter() - start
    lp = {"variables": int(n.model.nvars), "constraints": int(n.model.ncons)}
    n.model.solver_model = None
    with clock("to_baseline"):
        to_baseline(n)
    with clock("solve_baseline"), instrumented(run_target, highs_runs):
        status, condition = n.optimize.solve_model(**SOLVE_KWARGS)
    if status != "ok":
        raise RuntimeError(f"baseline run: {status} ({condition})")
    clock.times["solve_baseline.highs_run"] = highs_runs.pop("highs_run")
    with clock("extract_baseline"):
        extracted = extract_all(n, study) and extracted
    if not extracted:  # the package changed how runs are extracted
        for key in ("extract_flexible", "extract_baseline"):
            clock.times.pop(key)
    for run in ("flexible", "baseline"):
        clock.times[f"solve_{run}.around"] = (
            clock.times[f"solve_{run}"] - clock.times[f"solve_{run}.highs_run"]
        )
    return {
        "first_monotonic": first,
        "stages": clock.times,
        "mps_write_s": mps_s,
        "mps_mib": os.path.getsize(mps) / 2**20,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "lp": lp,
        "objective": objective,
        "simplex_iterations": iterations,
        "snapshots": len(study.snapshots),
        "step_h": study.step_h,
        "sites": list(study.sites),
        "last_monotonic": _monotonic(),
    }


class _SendTimer:
    """A pipe end that calls ``ready`` before its first ``send`` (which may block)."""

    def __init__(self, connection: Any, ready: Callable[[], None]) -> None:
        self._connection, self._ready = connection, ready

    def send(self, obj: Any) -> None:
        """Note the time, then send ``obj``."""
        self._ready()
        self._connection.send(obj)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


def extract_all(n: Any, study: Any) -> bool:
    """Extract the hourly dispatch of every site as ``dispatch.solve`` does.

    Follows the package's ``extract_run`` signature, with or without the routes of
    multi-site studies.

    Parameters
    ----------
    n
        The solved network.
    study
        The study it was built from.

    Returns
    -------
    bool
        False if the package's extraction can no longer be called this way (the
        time measured is then meaningless and not reported).
    """
    import inspect

    from dispatch import _extract

    try:
        if "routes" in inspect.signature(_extract.extract_run).parameters:
            routes = _extract.extract_routes(n, study)
            for site in study.sites:
                _extract.extract_run(n, study, site, routes)
        else:
            for site in study.sites:
                _extract.extract_run(n, study, site)
    except (AttributeError, TypeError):
        return False
    return True


# --------------------------------------------------------------------------------------
# Child process 2: dispatch run itself, cold, with timers around what it calls
# --------------------------------------------------------------------------------------


def child_cli(study_path: str, hours: float | None, out_dir: str, side_file: str) -> dict:
    """Run ``dispatch run`` in this fresh process with timers around its calls.

    The command runs as the console script runs it (``dispatch.cli.main``); timers
    wrap ``load_study``, ``solve``, ``import_pypsa``, ``build_network``, each
    linopy solve and ``Highs.run`` in it, ``extract_run``, ``Result.write`` and the
    calls ``Result.write`` makes. The forked baseline process reports its own times
    through ``side_file``. The wrappers cost microseconds per call.

    Parameters
    ----------
    study_path
        The study folder or scenario file.
    hours
        Keep only the first ``hours`` of the horizon [h]; all of it if None.
    out_dir
        The ``--out`` folder.
    side_file
        Where the forked baseline process writes its times (JSON).

    Returns
    -------
    dict
        Times by key [s] and clock readings of the process [s].
    """
    first = _monotonic()
    times: dict[str, float] = {}
    start = time.perf_counter()
    import dispatch.cli

    times["import_cli"] = time.perf_counter() - start
    import dispatch.model.network
    import dispatch.optimization.solve
    import dispatch.results.result
    import dispatch.scenario.study

    captured: dict[str, Any] = {}

    def timed_solve_run(original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(n: Any, study: Any, run: str, options: dict) -> Any:
            import highspy

            highs: dict[str, float] = {}
            start = time.perf_counter()
            try:
                with instrumented([(highspy.Highs, "run", "highs_run")], highs):
                    return original(n, study, run, options)
            finally:
                times[f"solve_{run}"] = time.perf_counter() - start
                times[f"solve_{run}.highs_run"] = highs.get("highs_run", 0.0)
                times[f"solve_{run}.end_monotonic"] = _monotonic()

        return wrapper

    def timed_baseline_child(original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any) -> None:
            # Runs in the forked process: hands its figures over in a file.
            start = time.perf_counter()
            record: dict[str, float] = {}

            def ready() -> None:
                record.setdefault("ready", time.perf_counter() - start)
                record.setdefault("ready_monotonic", _monotonic())

            args = tuple(_SendTimer(a, ready) if hasattr(a, "send") else a for a in args)
            network = dispatch.model.network.import_pypsa().Network
            try:
                with instrumented([(network, "export_to_netcdf", "export")], record):
                    original(*args)
            finally:
                record.update({k: v for k, v in times.items() if k.startswith("solve_baseline")})
                record["total"] = time.perf_counter() - start
                Path(side_file).write_text(json.dumps(record), encoding="utf-8")

        return wrapper

    def timed_write(original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(self: Any, out: Any) -> Any:
            captured["timings"] = dict(self.timings)
            with instrumented(_write_targets(), times):
                return original(self, out)

        return wrapper

    solve_module, results = dispatch.optimization.solve, dispatch.results.result
    argv = ["dispatch", "run", study_path, "--out", out_dir, "--quiet"]
    argv += [] if hours is None else ["--hours", str(hours)]
    code: int | str | None = 0
    with contextlib.ExitStack() as stack:
        stack.enter_context(patched(solve_module, "_solve_run", timed_solve_run))
        stack.enter_context(patched(solve_module, "_solve_baseline_child", timed_baseline_child))
        stack.enter_context(patched(results.Result, "write", timed_write))
        stack.enter_context(
            instrumented(
                [
                    (dispatch.scenario.study, "load_study", "load_study"),
                    (solve_module, "solve", "solve"),
                    (results.Result, "write", "write"),
                ],
                times,
            )
        )
        stack.enter_context(
            instrumented(
                [
                    (solve_module, "build_network", "build_network"),
                    (solve_module, "extract_run", "extract_flexible"),
                ],
                times,
            )
        )
        stack.enter_context(
            instrumented([(dispatch.model.network, "import_pypsa", "import_pypsa")], times)
        )
        saved_argv, sys.argv = sys.argv, argv
        start = time.perf_counter()
        try:
            dispatch.cli.main()
        except SystemExit as exc:
            code = exc.code
        finally:
            times["cli_main"] = time.perf_counter() - start
            sys.argv = saved_argv
    if code not in (0, None):
        raise RuntimeError(f"dispatch run exited with {code}")
    baseline = json.loads(Path(side_file).read_text(encoding="utf-8"))
    return {
        "first_monotonic": first,
        "times": times,
        "timings": captured.get("timings", {}),
        "baseline_child": baseline,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "last_monotonic": _monotonic(),
    }


def _write_targets() -> list[tuple[Any, str, str]]:
    """The calls of ``Result.write`` timed separately (imported when it runs)."""
    import matplotlib.figure
    import pandas as pd
    import xarray as xr

    import dispatch.results.result
    from dispatch.core.pypsa_settings import import_pypsa

    return [
        (dispatch.results.result, "key_figures", "write.key_figures"),
        (dispatch.results.result.Result, "_build_dataset", "write.build_dataset"),
        (xr.Dataset, "to_netcdf", "write.to_netcdf"),
        (dispatch.results.result.Result, "dispatch_table", "write.dispatch_table"),
        (pd.DataFrame, "to_csv", "write.to_csv"),
        (dispatch.results.result.Result, "plot_dispatch", "write.plot_dispatch"),
        (matplotlib.figure.Figure, "savefig", "write.savefig"),
        (import_pypsa().Network, "export_to_netcdf", "write.export_to_netcdf"),
        (shutil, "copyfile", "write.copyfile"),
    ]


# --------------------------------------------------------------------------------------
# Child process 3: bare HiGHS on the MPS file
# --------------------------------------------------------------------------------------


def child_highs(mps: str) -> dict:
    """Read and solve an MPS file with highspy alone, timing each call.

    Parameters
    ----------
    mps
        The MPS file written by linopy.

    Returns
    -------
    dict
        ``import_s``, ``read_s``, ``run_s`` [s], status, objective [currency], the
        LP size as read (columns, rows, nonzeros) and simplex iterations.
    """
    start = time.perf_counter()
    import highspy

    import_s = time.perf_counter() - start
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    start = time.perf_counter()
    read_status = h.readModel(mps)
    read_s = time.perf_counter() - start
    if read_status == highspy.HighsStatus.kError:
        raise RuntimeError(f"HiGHS could not read {mps}")
    start = time.perf_counter()
    h.run()
    run_s = time.perf_counter() - start
    info = h.getInfo()
    return {
        "import_s": import_s,
        "read_s": read_s,
        "run_s": run_s,
        "status": h.modelStatusToString(h.getModelStatus()),
        "objective": float(info.objective_function_value),
        "simplex_iterations": int(info.simplex_iteration_count),
        "columns": int(h.getNumCol()),
        "rows": int(h.getNumRow()),
        "nonzeros": int(h.getNumNz()),
    }


def _child_main(mode: str, request: str) -> int:
    """Run one child measurement; ``request`` is JSON naming its arguments and output."""
    args = json.loads(request)
    out = Path(args.pop("out"))
    measure = {CHILD_STAGES: child_stages, CHILD_CLI: child_cli, CHILD_HIGHS: child_highs}
    figures = measure[mode](**args)
    out.write_text(json.dumps(figures), encoding="utf-8")
    return 0


# --------------------------------------------------------------------------------------
# The parent: run the children and dispatch run, collect, print
# --------------------------------------------------------------------------------------


def run_child(command: list[str], stderr_path: Path) -> tuple[float, float, int]:
    """Run a command to its end, its output discarded and stderr kept in a file.

    Parameters
    ----------
    command
        The program and its arguments.
    stderr_path
        Receives the command's standard error.

    Returns
    -------
    tuple of float, float, int
        Wall time [s], peak RSS of the process and its reaped children [MiB], and
        the exit code.
    """
    with open(stderr_path, "wb") as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, process.returncode


class ChildFailed(RuntimeError):
    """A measured subprocess exited with an error."""


def _check(code: int, what: str, stderr_path: Path) -> None:
    if code != 0:
        tail = stderr_path.read_text(errors="replace").strip().splitlines()[-15:]
        raise ChildFailed(f"{what} exited with {code}:\n    " + "\n    ".join(tail))


def dispatch_command() -> list[str]:
    """The ``dispatch`` command of this Python: the console script beside it, if any."""
    beside = Path(sys.executable).parent / "dispatch"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which("dispatch")
    return [found] if found else [sys.executable, "-m", "dispatch.cli"]


def resolve_study(name: str) -> Path:
    """A study path as given, else relative to the repository [path]."""
    path = Path(name)
    if not path.exists() and (REPO / name).exists():
        path = REPO / name
    if not path.exists():
        raise SystemExit(f"no such study: {name}")
    return path


def run_python_child(
    mode: str, request: dict[str, Any], scratch: Path
) -> tuple[dict[str, Any], dict[str, float]]:
    """Run this script as a child measurement in a fresh Python process.

    Parameters
    ----------
    mode
        ``CHILD_STAGES``, ``CHILD_CLI`` or ``CHILD_HIGHS``.
    request
        The child's keyword arguments.
    scratch
        A folder for the child's answer and standard error.

    Returns
    -------
    tuple of dict, dict
        The child's figures, and the process's ``wall_s`` [s], ``peak_rss_mib``
        [MiB], ``startup_s`` (launch to the child's first statement) and ``exit_s``
        (the child's last statement to its end) [s].
    """
    answer, stderr = scratch / "child.json", scratch / "stderr.txt"
    command = [sys.executable, str(Path(__file__).resolve()), mode]
    launched = _monotonic()
    wall, rss, code = run_child(command + [json.dumps({**request, "out": str(answer)})], stderr)
    ended = _monotonic()
    _check(code, f"the {mode.removeprefix('--child-')} process", stderr)
    figures = json.loads(answer.read_text(encoding="utf-8"))
    answer.unlink()
    process = {"wall_s": wall, "peak_rss_mib": rss}
    if "first_monotonic" in figures:
        process["startup_s"] = figures.pop("first_monotonic") - launched
        process["exit_s"] = ended - figures.pop("last_monotonic")
    return figures, process


def cli_breakdown(cli: dict[str, Any], process: dict[str, float]) -> dict[str, float]:
    """Split the wall time of the instrumented ``dispatch run`` into its parts [s].

    Parameters
    ----------
    cli
        The figures of :func:`child_cli`.
    process
        Its process figures from :func:`run_python_child`.

    Returns
    -------
    dict
        Seconds by key of ``CLI_LABELS``; the top-level keys add up to ``wall``, up
        to ``unaccounted``; ``write.*`` split ``write``.
    """
    t, timings = cli["times"], cli["timings"]
    get = t.get
    parts = {
        "startup": process["startup_s"],
        "import_cli": get("import_cli", 0.0),
        "load_study": get("load_study", 0.0),
        "import_pypsa": get("import_pypsa", 0.0),
        "build_network": get("build_network", 0.0) - get("import_pypsa", 0.0),
        "create_model": timings.get("model_s", 0.0),
        "flexible.highs_run": get("solve_flexible.highs_run", 0.0),
        "flexible.around": get("solve_flexible", 0.0) - get("solve_flexible.highs_run", 0.0),
        "extract_flexible": get("extract_flexible", 0.0),
        "baseline_wait": timings.get("baseline_wait_s", 0.0),
    }
    parts["solve_rest"] = get("solve", 0.0) - sum(
        v for k, v in parts.items() if k not in ("startup", "import_cli", "load_study")
    )
    parts["write"] = get("write", 0.0)
    parts["cli_rest"] = get("cli_main", 0.0) - sum(
        get(k, 0.0) for k in ("load_study", "solve", "write")
    )
    parts["exit"] = process["exit_s"]
    parts["unaccounted"] = process["wall_s"] - sum(parts.values())
    parts["wall"] = process["wall_s"]
    write = {k: v for k, v in t.items() if k.startswith("write.")}
    parts.update(write)
    parts["write.rest"] = parts["write"] - sum(write.values())
    return parts


def measure_study(study: Path, repeat: int, hours: float | None, scratch: Path) -> dict[str, Any]:
    """Measure one study: cold stages, instrumented run, bare HiGHS, ``dispatch run``.

    Parameters
    ----------
    study
        The study folder or scenario file.
    repeat
        How many times ``dispatch run`` and bare HiGHS are run (medians reported).
    hours
        Keep only the first ``hours`` of the horizon [h]; all of it if None.
    scratch
        A temporary folder for the MPS file and results, emptied afterwards.

    Returns
    -------
    dict
        Every figure of the study (times [s], sizes [MiB]).
    """
    scratch.mkdir(parents=True)
    mps, stderr = scratch / "flexible.mps", scratch / "stderr.txt"
    request = {"study_path": str(study), "hours": hours}
    stages, stages_process = run_python_child(CHILD_STAGES, {**request, "mps": str(mps)}, scratch)
    stages["stages"]["startup"] = stages_process["startup_s"]

    cli_request = {
        **request,
        "out_dir": str(scratch / "run"),
        "side_file": str(scratch / "baseline.json"),
    }
    cli, cli_process = run_python_child(CHILD_CLI, cli_request, scratch)
    shutil.rmtree(scratch / "run", ignore_errors=True)
    baseline = cli["baseline_child"]
    flexible_end = cli["times"].get("solve_flexible.end_monotonic")

    command = dispatch_command() + ["run", str(study), "--out", str(scratch / "run")]
    command += ["--quiet"] + ([] if hours is None else ["--hours", str(hours)])
    runs, bare = [], []
    for _ in range(repeat):
        wall, rss, code = run_child(command, stderr)
        _check(code, "dispatch run", stderr)
        runs.append({"wall_s": wall, "peak_rss_mib": rss})
        shutil.rmtree(scratch / "run", ignore_errors=True)
        figures, process = run_python_child(CHILD_HIGHS, {"mps": str(mps)}, scratch)
        bare.append(
            {
                **figures,
                "process_wall_s": process["wall_s"],
                "rss_mib": process["peak_rss_mib"],
            }
        )
    mps.unlink(missing_ok=True)

    whole = statistics.median(r["wall_s"] for r in runs)
    bare_run = statistics.median(b["run_s"] for b in bare)
    objective, bare_objective = stages["objective"], bare[0]["objective"]
    rel = abs(bare_objective - objective) / max(1.0, abs(objective))
    return {
        "study": str(study),
        "name": study.name if study.is_dir() else study.parent.name,
        "command": " ".join(command),
        "snapshots": stages.pop("snapshots"),
        "step_h": stages.pop("step_h"),
        "sites": stages.pop("sites"),
        "lp": {**stages.pop("lp"), "nonzeros": bare[0]["nonzeros"]},
        "stages": {**stages, "process": stages_process},
        "instrumented_run": {
            "breakdown": cli_breakdown(cli, cli_process),
            "times": cli["times"],
            "result_timings": cli["timings"],
            "process": cli_process,
            "baseline_child": {
                "total_s": baseline.get("total"),
                "ready_s": baseline.get("ready"),
                "solve_s": baseline.get("solve_baseline"),
                "highs_run_s": baseline.get("solve_baseline.highs_run"),
                "export_s": baseline.get("export"),
                "ready_after_flexible_solve_s": (
                    None
                    if flexible_end is None or "ready_monotonic" not in baseline
                    else baseline["ready_monotonic"] - flexible_end
                ),
            },
        },
        "bare_highs": {
            "runs": bare,
            "import_s": statistics.median(b["import_s"] for b in bare),
            "read_s": statistics.median(b["read_s"] for b in bare),
            "run_s": bare_run,
            "status": bare[0]["status"],
            "objective": bare_objective,
            "objective_rel_diff": rel,
            "objective_ok": rel <= OBJECTIVE_RTOL and bare[0]["status"] == "Optimal",
        },
        "process": {
            "runs": runs,
            "wall_s": whole,
            "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
        },
        "ratio": whole / bare_run,
        "target_ratio": TARGET_RATIO,
    }


def two_process_slowdown(loops: int = 15_000_000) -> float:
    """How much longer a CPU-bound loop takes when two run at once [1].

    1.0 means two truly parallel cores (the forked baseline then costs no wall
    time); 2.0 means the two processes share one core's worth of CPU, as on some
    virtual machines, and the baseline solve slows the flexible one down.
    """
    code = f"import time\nt = time.perf_counter()\nfor _ in range({loops}): pass\n"
    code += "print(time.perf_counter() - t)"

    def run(count: int) -> float:
        processes = [
            subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
            for _ in range(count)
        ]
        return max(float(p.communicate()[0]) for p in processes)

    return run(2) / run(1)


def machine() -> dict[str, Any]:
    """The machine and software the figures were taken on."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) / 2**20
    versions = {}
    for name in VERSIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    commit = None
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        commit = head + (" + uncommitted changes" if dirty else "")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    startup = time.perf_counter() - start
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": (
            len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        ),
        "memory_gib": memory,
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "python_startup_s": startup,
        "two_process_slowdown": two_process_slowdown(),
        "pythondontwritebytecode": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
        "versions": versions,
        "repository": str(REPO),
        "commit": commit,
    }


# --------------------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------------------


def _row(label: str, seconds: float | None, total: float | None = None, note: str = "") -> str:
    """One table line: label, time [s], share of ``total`` [%], note."""
    value = "" if seconds is None else f"{seconds:8.2f}"
    share = "" if not total or seconds is None else f"{seconds / total:6.0%}"
    line = f"  {label:<58}{value:>9}{share:>8}"
    return f"{line}  {note}".rstrip()


def _header(title: str) -> str:
    return f"{title:<60}{'[s]':>9}{'share':>8}"


def format_machine(info: dict[str, Any], repeat: int, hours: float | None) -> str:
    """The machine, versions and settings as printed above the tables."""
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items() if v)
    memory = f", {info['memory_gib']:.1f} GiB RAM" if info["memory_gib"] else ""
    lines = [
        "=" * WIDTH,
        "dispatch run benchmark",
        f"Machine:    {info['cpu']}, {info['cores']} cores "
        f"({info['usable_cores']} usable){memory}, {info['system']}",
        f"Python:     {info['python']} ({info['python_executable']}); "
        f"`python -c pass` {info['python_startup_s']:.2f} s"
        + ("; PYTHONDONTWRITEBYTECODE set" if info["pythondontwritebytecode"] else ""),
        f"Parallel:   two CPU-bound processes at once take "
        f"{info['two_process_slowdown']:.2f}x as long as one (1.0: two real cores)",
        f"Packages:   {versions}",
        f"Repository: {info['repository']} @ {info['commit'] or 'unknown'}",
        f"Settings:   --repeat {repeat}, "
        + ("full horizon" if hours is None else f"first {hours:g} h"),
        "=" * WIDTH,
    ]
    return "\n".join(lines)


def format_study(s: dict[str, Any]) -> str:
    """Every figure of one study as readable tables."""
    st, lp, bare, proc = s["stages"], s["lp"], s["bare_highs"], s["process"]
    times = st["stages"]
    out = [
        "",
        f"### {s['name']}: {s['study']}, {s['snapshots']} snapshots x {s['step_h']:g} h, "
        f"site(s) {', '.join(s['sites'])}",
        f"LP (flexible run): {lp['variables']:,} variables, {lp['constraints']:,} "
        f"constraints, {lp['nonzeros']:,} nonzeros (linopy nvars/ncons; nonzeros "
        "from HiGHS)",
        "",
        _header("1. Stages, cold, in one fresh process, runs one after the other"),
    ]
    pipeline = sum(times.get(k, 0.0) for k in PIPELINE)
    for key, label in STAGE_LABELS.items():
        out.append(_row(label, times.get(key), pipeline, "" if key in times else "n/a"))
    out.append(_row("total of the stages above", pipeline, pipeline))
    out.append(
        _row(
            "aside: write the flexible LP as MPS (n.model.to_file)",
            st["mps_write_s"],
            note=f"{st['mps_mib']:.1f} MiB",
        )
    )
    out.append(
        _row(
            "aside: exit of this process",
            st["process"]["exit_s"],
            note=f"peak RSS {st['peak_rss_mib']:,.0f} MiB",
        )
    )

    run = s["instrumented_run"]
    parts, child = run["breakdown"], run["baseline_child"]
    wall = parts["wall"]
    out += ["", _header("2. dispatch run, cold, timers around its calls (one run)")]
    for key, label in CLI_LABELS.items():
        if key in parts:
            out.append(_row(label, parts[key], wall))
    out.append(_row("wall time of this run", wall, wall))
    if child["ready_s"] is not None:
        ended = child["ready_after_flexible_solve_s"]
        when = (
            ""
            if ended is None
            else f", {abs(ended):.2f} s {'after' if ended > 0 else 'before'} the flexible "
            "solve ended"
        )
        out += [
            f"  forked baseline process: result ready after {child['ready_s']:.2f} s{when};",
            f"    in it: linopy solve {child['solve_s']:.2f} s (HiGHS run() "
            f"{child['highs_run_s']:.2f} s), network_baseline.nc "
            f"{child['export_s'] or 0.0:.2f} s",
        ]

    obj_ok = "OK" if bare["objective_ok"] else "MISMATCH"
    runs = " ".join(f"{b['run_s']:.2f}" for b in bare["runs"])
    out += [
        "",
        _header(f"3. Bare HiGHS, separate process (highspy), median of {len(bare['runs'])}"),
        _row("import highspy", bare["import_s"]),
        _row("Highs.readModel(MPS)", bare["read_s"]),
        _row("Highs.run()  = bare HiGHS solve", bare["run_s"], note=f"runs: {runs}"),
        f"  status {bare['status']}; objective {bare['objective']:,.4f} vs linopy "
        f"{st['objective']:,.4f}: rel. diff {bare['objective_rel_diff']:.1e} "
        f"(tol {OBJECTIVE_RTOL:g}) {obj_ok}",
        f"  simplex iterations: bare {bare['runs'][0]['simplex_iterations']:,}, "
        f"linopy {st['simplex_iterations']:,}",
    ]
    runs = " ".join(f"{r['wall_s']:.2f}" for r in proc["runs"])
    out += [
        "",
        _header(f"4. Whole process: dispatch run --quiet, median of {len(proc['runs'])}"),
        _row("wall time", proc["wall_s"], note=f"runs: {runs}"),
        f"  peak RSS {proc['peak_rss_mib']:,.0f} MiB (max over the process and its "
        "forked baseline, not their sum)",
        "",
    ]
    verdict = (
        "met"
        if s["ratio"] <= TARGET_RATIO
        else f"missed by {proc['wall_s'] - TARGET_RATIO * bare['run_s']:.2f} s"
    )
    beyond = proc["wall_s"] - bare["run_s"]
    top = sorted(
        ((parts[k], CLI_LABELS[k].split(" (")[0]) for k in BEYOND_HIGHS if k in parts),
        reverse=True,
    )[:4]
    out += [
        f"5. Ratio whole process / bare HiGHS solve: {s['ratio']:.2f}x "
        f"(target {TARGET_RATIO:g}x: {verdict})",
        f"   beyond the bare HiGHS solve: {beyond:.2f} s; largest parts (from 2, [s]):",
        "   " + "; ".join(f"{label} {seconds:.2f}" for seconds, label in top),
    ]
    return "\n".join(out)


def format_summary(studies: list[dict[str, Any]]) -> str:
    """One line per study: size, whole process, bare HiGHS, ratio, peak RSS."""
    out = [
        "",
        "=" * WIDTH,
        f"{'study':<16}{'variables':>11}{'constraints':>13}{'dispatch run':>14}"
        f"{'bare HiGHS':>12}{'ratio':>9}{'target':>8}{'peak RSS':>10}",
        f"{'':<16}{'':>11}{'':>13}{'[s]':>14}{'[s]':>12}{'':>9}{'':>8}{'[MiB]':>10}",
    ]
    for s in studies:
        out.append(
            f"{s['name']:<16}{s['lp']['variables']:>11,}{s['lp']['constraints']:>13,}"
            f"{s['process']['wall_s']:>14.2f}{s['bare_highs']['run_s']:>12.2f}"
            f"{s['ratio']:>8.2f}x{TARGET_RATIO:>7.1f}x"
            f"{s['process']['peak_rss_mib']:>10,.0f}"
        )
    out.append("=" * WIDTH)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, measure each study, print and optionally save.

    Parameters
    ----------
    argv
        The arguments (``sys.argv[1:]`` if None).

    Returns
    -------
    int
        0 if every study was measured and every objective check passed, else 1.
    """
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in ([CHILD_STAGES], [CHILD_CLI], [CHILD_HIGHS]):
        return _child_main(argv[0], argv[1])
    parser = argparse.ArgumentParser(
        description="Time dispatch run against bare HiGHS on example studies.",
    )
    parser.add_argument(
        "studies",
        nargs="*",
        metavar="STUDY",
        default=list(DEFAULT_STUDIES),
        help="study folders or scenario files (default: the three shipped examples)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        metavar="N",
        help="runs of dispatch run and of bare HiGHS per study; medians (default 3)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write all figures here")
    parser.add_argument("--hours", type=float, help="keep only the first HOURS of each study [h]")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    studies = [resolve_study(name) for name in args.studies]

    info = machine()
    print(format_machine(info, args.repeat, args.hours), flush=True)
    measured: list[dict[str, Any]] = []
    failures: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dispatch-bench-") as tmp:
        for i, study in enumerate(studies):
            print(f"\nmeasuring {study} ...", file=sys.stderr, flush=True)
            try:
                figures = measure_study(study, args.repeat, args.hours, Path(tmp) / str(i))
            except ChildFailed as exc:
                failures.append(f"{study}: {exc}")
                print(f"\n### {study}: FAILED\n  {exc}", flush=True)
                continue
            measured.append(figures)
            print(format_study(figures), flush=True)
            if not figures["bare_highs"]["objective_ok"]:
                failures.append(f"{study}: bare HiGHS objective differs from linopy's")
    if measured:
        print(format_summary(measured))
    total = time.perf_counter() - started
    print(f"benchmark time {total:.0f} s")
    if args.json is not None:
        report = {
            "machine": info,
            "settings": {"repeat": args.repeat, "hours": args.hours},
            "benchmark_s": total,
            "studies": measured,
            "failures": failures,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
