"""Section 2 of ``bench_run.py``: one ``dispatch run`` with timers around what it calls.

The run happens in a fresh child process (``bench_run.py --child-cli``) as the
console script runs it; not a script of its own. The callables timed are looked up in
:mod:`internals`; :func:`breakdown` splits the run's wall time into parts.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import internals
from harness import monotonic, peak_rss_mib, row, table_title
from timers import instrumented, patched, run_command, run_exit_handlers

CLI_LABELS = {
    "startup": "interpreter start-up",
    "import_cli": "import dispatch.cli (typer)",
    "import_run": "imports of run (scenario, model, solve, results)",
    "load_study": "load_study",
    "import_pypsa": "import pypsa (first import_pypsa)",
    "build_network": "build_network (without the pypsa import)",
    "create_model": "n.optimize.create_model (Result.timings model_s)",
    "flexible.highs_run": "flexible solve: HiGHS run()",
    "flexible.around": "flexible solve: linopy + PyPSA around run()",
    "extract_flexible": "extract flexible dispatch (extract_all)",
    "baseline_wait": "wait for the forked baseline (baseline_wait_s)",
    "solve_rest": "rest of dispatch.solve (balance check, fork)",
    "write": "Result.write",
    "write.key_figures": "  summary.json (key_figures)",
    "write.build_dataset": "  hourly dataset (Result._build_dataset)",
    "write.write_netcdf4": "  dispatch.nc (write_netcdf4)",
    "write.dispatch_table": "  wide table (Result.dispatch_table)",
    "write.write_dispatch_csv": "  dispatch.csv (write_dispatch_csv)",
    "write.plot_dispatch": "  figure (Result.plot_dispatch)",
    "write.savefig": "  dispatch.png (Figure.savefig)",
    "write.export_network": "  network.nc (export_network)",
    "write.copyfile": "  network_baseline.nc (copy of the forked run's file)",
    "write.rest": "  rest (folders, json, wait for the baseline file)",
    "cli_rest": "rest of the command (typer, argument parsing)",
    "exit": "exit handlers and os._exit (as the command)",
    "unaccounted": "unaccounted (wall minus the above)",
}
BEYOND_HIGHS = [k for k in CLI_LABELS if "." not in k or k == "flexible.around"]
"""The parts of the run that are not HiGHS' own solve."""


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


def child_cli(study_path: str, hours: float | None, out_dir: str, side_file: str) -> dict:
    """Run ``dispatch run`` in this fresh process with timers around its calls.

    The command runs as the console script runs it (``dispatch.cli.main``); timers
    wrap ``load_study``, ``solve``, ``import_pypsa``, ``build_network``, each
    linopy solve and ``Highs.run`` in it, ``extract_all``, ``Result.write`` and the
    calls ``Result.write`` makes. The forked baseline process reports its own times
    through ``side_file``. The wrappers cost microseconds per call.

    Parameters
    ----------
    study_path, hours
        The study folder or scenario file, and the hours of it kept [h] (None: all).
    out_dir
        The ``--out`` folder.
    side_file
        Where the forked baseline process writes its times (JSON).

    Returns
    -------
    dict
        Times by key [s] and clock readings of the process [s].
    """
    first = monotonic()
    times: dict[str, float] = {}
    start = time.perf_counter()
    importlib.import_module("dispatch.cli")
    times["import_cli"] = time.perf_counter() - start
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
                times[f"solve_{run}.end_monotonic"] = monotonic()

        return wrapper

    def timed_baseline_child(original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any) -> None:
            # Runs in the forked process: hands its figures over in a file.
            start = time.perf_counter()
            record: dict[str, float] = {}

            def ready() -> None:
                record.setdefault("ready", time.perf_counter() - start)
                record.setdefault("ready_monotonic", monotonic())

            args = tuple(_SendTimer(a, ready) if hasattr(a, "send") else a for a in args)
            try:
                with instrumented(internals.timed({"solve.export_network": "export"}), record):
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

    argv = ["dispatch", "run", study_path, "--out", out_dir, "--quiet"]
    argv += [] if hours is None else ["--hours", str(hours)]
    with contextlib.ExitStack() as stack:
        # Patching imports what the command imports when it runs.
        start = time.perf_counter()
        for name, make in (
            ("solve.run", timed_solve_run),
            ("solve.baseline_child", timed_baseline_child),
            ("result.write", timed_write),
        ):
            stack.enter_context(patched(*internals.locate(name), make))
        # Each group times only its outermost calls; the groups overlap.
        for group in (
            {"cli.load_study": "load_study", "cli.solve": "solve", "result.write": "write"},
            {"solve.build_network": "build_network", "solve.extract_all": "extract_flexible"},
            {"import_pypsa": "import_pypsa"},
            {"network.import_pypsa": "import_pypsa.build_network"},
        ):
            stack.enter_context(instrumented(internals.timed(group), times))
        times["import_run"] = time.perf_counter() - start
        run_command(internals.get("cli.main"), argv, times)
    # bench_run.py ends this child as the command ends, once its figures are written.
    run_exit_handlers(times)
    baseline = json.loads(Path(side_file).read_text(encoding="utf-8"))
    return {
        "first_monotonic": first,
        "times": times,
        "timings": captured.get("timings", {}),
        "baseline_child": baseline,
        "peak_rss_mib": peak_rss_mib(),
        "last_monotonic": monotonic(),
    }


def _write_targets() -> list[tuple[Any, str, str]]:
    """The calls of ``Result.write`` timed separately (imported when it runs)."""
    import matplotlib.figure

    keys = (
        "key_figures",
        "build_dataset",
        "write_netcdf4",
        "dispatch_table",
        "write_dispatch_csv",
        "plot_dispatch",
        "export_network",
    )
    ours = internals.timed({f"result.{key}": f"write.{key}" for key in keys})
    return [
        *ours,
        (matplotlib.figure.Figure, "savefig", "write.savefig"),
        (shutil, "copyfile", "write.copyfile"),
    ]


def breakdown(cli: dict[str, Any], process: dict[str, float]) -> dict[str, float]:
    """Split the wall time of the instrumented ``dispatch run`` into its parts [s].

    Parameters
    ----------
    cli
        The figures of :func:`child_cli`.
    process
        Its process figures from :func:`harness.run_python_child`.

    Returns
    -------
    dict
        Seconds by key of ``CLI_LABELS``; the top-level keys add up to ``wall``, up
        to ``unaccounted``; ``write.*`` split ``write``.
    """
    t, timings = cli["times"], cli["timings"]
    get = t.get
    in_build = get("import_pypsa.build_network", 0.0)
    parts = {
        "startup": process["startup_s"],
        "import_cli": get("import_cli", 0.0),
        "import_run": get("import_run", 0.0),
        "load_study": get("load_study", 0.0),
        "import_pypsa": get("import_pypsa", 0.0) + in_build,
        "build_network": get("build_network", 0.0) - in_build,
        "create_model": timings.get("model_s", 0.0),
        "flexible.highs_run": get("solve_flexible.highs_run", 0.0),
        "flexible.around": get("solve_flexible", 0.0) - get("solve_flexible.highs_run", 0.0),
        "extract_flexible": get("extract_flexible", 0.0),
        "baseline_wait": timings.get("baseline_wait_s", 0.0),
    }
    before_solve = ("startup", "import_cli", "import_run", "load_study")
    parts["solve_rest"] = get("solve", 0.0) - sum(
        v for k, v in parts.items() if k not in before_solve
    )
    parts["write"] = get("write", 0.0)
    parts["cli_rest"] = get("cli_main", 0.0) - sum(
        get(k, 0.0) for k in ("load_study", "solve", "write")
    )
    parts["exit"] = get("exit_handlers", 0.0) + process["exit_s"]
    parts["unaccounted"] = process["wall_s"] - sum(parts.values())
    parts["wall"] = process["wall_s"]
    write = {k: v for k, v in t.items() if k.startswith("write.")}
    parts.update(write)
    parts["write.rest"] = parts["write"] - sum(write.values())
    return parts


def baseline_figures(baseline: dict[str, float], flexible_end: float | None) -> dict[str, Any]:
    """The forked baseline process's own times [s] (``side_file`` of :func:`child_cli`),
    and when its result was ready relative to the end of the flexible solve [s]."""
    return {
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
    }


def format_calls(run: dict[str, Any]) -> list[str]:
    """Section 2 as printed: the parts of the run, and the forked baseline's times."""
    parts, child = run["breakdown"], run["baseline_child"]
    wall = parts["wall"]
    out = ["", table_title("2. dispatch run, cold, timers around its calls (one run)")]
    for key, label in CLI_LABELS.items():
        if key in parts:
            out.append(row(label, parts[key], wall))
    out.append(row("wall time of this run", wall, wall))
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
    return out
