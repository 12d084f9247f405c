"""Time ``dispatch operate`` (daily re-plans from forecasts) against one perfect-foresight
``dispatch run`` of the same horizon, as whole processes, and say where the operation's
time goes.

Per study: ``dispatch run STUDY --quiet`` and ``dispatch operate STUDY --quiet
--lookahead-h 48 --commit-h 24 --forecast F`` for each forecast F, each in a fresh
process, taking turns ``--repeat`` times; medians and the ratio operate / run (issue 16:
within 5x for a full year). Then, per forecast, one more ``dispatch operate`` in a child
process with timers around what it calls (listed in ``internals.py``): the
perfect-foresight solve, the planning windows, the settlements, assembling the result
and writing it, and across planning and settlements the ``Dispatcher`` builds and
solves and the forecasts issued.

    python3 benchmarks/bench_operate.py                      # olkaria, solar-battery, nordic
    python3 benchmarks/bench_operate.py networks/olkaria --hours 720 --repeat 1
"""

from __future__ import annotations

import contextlib
import importlib
import json
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import internals
from harness import (
    alternate,
    child_main,
    command_line,
    dispatch_command,
    exit_without_teardown,
    field,
    finish,
    header,
    machine,
    measure_each,
    monotonic,
    peak_rss_mib,
    resolve_study,
    row,
    run_python_child,
    run_timed,
    table_title,
)
from timers import instrumented, patched, run_command, run_exit_handlers

DEFAULT_STUDIES = ("networks/olkaria", "networks/solar-battery", "networks/nordic")
"""The shipped single-site examples."""
DEFAULT_FORECASTS = ("perfect", "persistence")
TARGET_RATIO = 5.0
"""Issue 16: operating a year within this multiple of one ``dispatch run`` of it."""
CHILD_OPERATE = "--child-operate"
WIDTH = 86

PARTS = {
    "startup": "interpreter start-up",
    "import_cli": "import dispatch.cli",
    "load_study": "load_study",
    "operate": "operate",
    "operate.import_pypsa": "  import pypsa (first import_pypsa)",
    "operate.perfect_foresight": "  perfect-foresight solve (dispatch.solve)",
    "operate.plan": "  planning windows (forecasts, Dispatcher re-solves)",
    "operate.settle": "  settlements (committed work, settlement LPs)",
    "operate.assemble": "  realised result (join, network, extraction)",
    "operate.rest": "  rest of operate (checks, set-up)",
    "write": "OperationResult.write (files)",
    "rest": "rest (typer, exit handlers)",
    "unaccounted": "unaccounted (wall minus the above)",
}
"""The parts of an instrumented ``dispatch operate`` and their labels."""

OUTER = {"cli.load_study": "load_study", "cli.operate": "operate", "operation.write": "write"}
"""What the command calls, timed (internal name -> part)."""
INSIDE_OPERATE = {
    "import_pypsa": "operate.import_pypsa",
    "operate.solve": "operate.perfect_foresight",
    "operate.plan": "operate.plan",
    "operate.realise": "operate.settle",
    "operate.result": "operate.assemble",
}
"""What ``operate`` calls, timed (internal name -> part)."""
ACROSS = {
    "dispatcher.init": "Dispatcher built (LP built once per window length)",
    "dispatcher.solve": "Dispatcher.solve (LP updated and re-solved)",
}
"""Calls counted and timed across planning and settlements (internal name -> label)."""
FORECASTS = ("forecast.perfect", "forecast.persistence", "forecast.error", "forecast.per_series")
"""The forecasts' ``issue``, timed together (outermost calls: a per-series forecast
includes the forecasts it combines)."""


# --------------------------------------------------------------------------------------
# The instrumented child process
# --------------------------------------------------------------------------------------


def _targets(names: dict[str, str], missing: list[str]) -> list[tuple[Any, str, str]]:
    """Targets of :func:`timers.instrumented` for the internals in ``names``; those gone
    from the package are skipped and listed in ``missing`` (the table then says so)."""
    found = []
    for name, key in names.items():
        try:
            found.append((*internals.locate(name), key))
        except LookupError:
            missing.append(internals.INTERNALS[name])
    return found


@contextlib.contextmanager
def counted(targets: list[tuple[Any, str, str]], calls: dict[str, int]) -> Iterator[None]:
    """Count the calls of some callables while the block runs (``calls[key]``)."""

    def counter(key: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def make(original: Callable[..., Any]) -> Callable[..., Any]:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                calls[key] = calls.get(key, 0) + 1
                return original(*args, **kwargs)

            return wrapper

        return make

    with contextlib.ExitStack() as stack:
        for owner, attribute, key in targets:
            stack.enter_context(patched(owner, attribute, counter(key)))
        yield


def child_operate(arguments: list[str]) -> dict[str, Any]:
    """Run ``dispatch operate`` in this fresh process with timers around its calls.

    Parameters
    ----------
    arguments
        The command's arguments after ``operate``.

    Returns
    -------
    dict
        Times by part [s], calls and times across planning and settlements
        (``across``: key -> [calls, seconds]), the result's ``timings``, internals
        not found, and clock readings of the process [s].
    """
    first = monotonic()
    times: dict[str, float] = {}
    start = time.perf_counter()
    importlib.import_module("dispatch.cli")
    times["import_cli"] = time.perf_counter() - start
    across_s: dict[str, float] = {}
    calls: dict[str, int] = {}
    captured: dict[str, Any] = {}
    missing: list[str] = []

    def keep_timings(original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(self: Any, out: Any) -> Any:
            captured.update(self.timings)
            return original(self, out)

        return wrapper

    with contextlib.ExitStack() as stack:
        across = _targets(dict(zip(ACROSS, ACROSS, strict=True)), missing)
        stack.enter_context(patched(*internals.locate("operation.write"), keep_timings))
        # Each group times only its outermost calls; the groups overlap.
        stack.enter_context(instrumented(_targets(OUTER, missing), times))
        stack.enter_context(instrumented(_targets(INSIDE_OPERATE, missing), times))
        stack.enter_context(instrumented(across, across_s))
        stack.enter_context(counted(across, calls))
        forecasts = _targets(dict.fromkeys(FORECASTS, "forecasts"), missing)
        stack.enter_context(instrumented(forecasts, times))
        run_command(internals.get("cli.main"), ["dispatch", "operate", *arguments], times)
    run_exit_handlers(times)
    return {
        "first_monotonic": first,
        "times": times,
        "across": {key: [calls.get(key, 0), across_s.get(key, 0.0)] for key in ACROSS},
        "result_timings": captured,
        "missing_internals": missing,
        "peak_rss_mib": peak_rss_mib(),
        "last_monotonic": monotonic(),
    }


def breakdown(child: dict[str, Any], process: dict[str, float]) -> dict[str, float]:
    """The instrumented process's wall time split into :data:`PARTS` [s]."""
    t = child["times"]
    parts = {
        "startup": process.get("startup_s", 0.0),
        "import_cli": t.get("import_cli", 0.0),
        **{key: t.get(key, 0.0) for key in ("load_study", "operate", "write")},
    }
    inside = [key for key in PARTS if key.startswith("operate.") and key != "operate.rest"]
    for key in inside:
        parts[key] = t.get(key, 0.0)
    parts["operate.rest"] = parts["operate"] - sum(parts[key] for key in inside)
    parts["rest"] = (
        t.get("cli_main", 0.0)
        - parts["load_study"]
        - parts["operate"]
        - parts["write"]
        + t.get("exit_handlers", 0.0)
        + process.get("exit_s", 0.0)
    )
    counted_parts = [key for key in PARTS if "." not in key and key != "unaccounted"]
    parts["unaccounted"] = process["wall_s"] - sum(parts[key] for key in counted_parts)
    return parts


# --------------------------------------------------------------------------------------
# Measurements of one study
# --------------------------------------------------------------------------------------


def read_summary(out: Path) -> dict[str, Any]:
    """The key figures of an operation's ``summary.json`` this benchmark reports."""
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    operation, foresight = s["operation"], s["foresight"]
    return {
        "decisions": operation["decisions"],
        "late_mwh": operation["late_mwh"],
        "firm_unserved_mwh": operation["firm_unserved_mwh"],
        "storage_end_shortfall_mwh": operation["storage_end_shortfall_mwh"],
        "realised_cost": foresight["realised_cost"],
        "perfect_foresight_cost": s["perfect_foresight"]["total_cost"],
        "cost_of_imperfect_foresight_share": foresight["cost_of_imperfect_foresight_share"],
        "absorbed_mwh": foresight["absorbed_mwh"]["realised"],
        "absorbed_mwh_perfect_foresight": foresight["absorbed_mwh"]["perfect_foresight"],
    }


def measure_study(study: Path, args: Any, scratch: Path) -> dict[str, Any]:
    """Whole processes of ``dispatch run`` and ``dispatch operate`` per forecast, taking
    turns, then one instrumented ``dispatch operate`` per forecast."""
    scratch.mkdir(parents=True)
    stderr, out = scratch / "stderr.txt", scratch / "out"
    hours = [] if args.hours is None else ["--hours", f"{args.hours:g}"]
    rolling = ["--lookahead-h", f"{args.lookahead_h:g}", "--commit-h", f"{args.commit_h:g}"]
    commands = {"run": [*dispatch_command(), "run", str(study), *hours]}
    for forecast in args.forecasts:
        operate = ["operate", str(study), *hours, *rolling, "--forecast", forecast]
        commands[f"operate {forecast}"] = [*dispatch_command(), *operate]
    summaries: dict[str, dict[str, Any]] = {}

    def whole_process(name: str) -> Callable[[], dict[str, float]]:
        def measure() -> dict[str, float]:
            done = run_timed([*commands[name], "--out", str(out), "--quiet"], stderr)
            done.check(name, stderr)
            if name != "run":
                summaries[name] = read_summary(out)
            shutil.rmtree(out, ignore_errors=True)
            return {"wall_s": done.wall_s, "cpu_s": done.cpu_s, "peak_rss_mib": done.peak_rss_mib}

        return measure

    turns = alternate(args.repeat, {name: whole_process(name) for name in commands})
    processes = {
        name: {
            "command": " ".join([*commands[name], "--out", "OUT", "--quiet"]),
            "runs": runs,
            "wall_s": statistics.median(r["wall_s"] for r in runs),
            "cpu_s": statistics.median(r["cpu_s"] for r in runs),
            "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
        }
        for name, runs in turns.items()
    }
    run_s = processes["run"]["wall_s"]
    instrumented_runs = {}
    for forecast in args.forecasts:
        name = f"operate {forecast}"
        arguments = [*commands[name][len(dispatch_command()) + 1 :], "--out", str(out), "-q"]
        child, process = run_python_child(
            __file__, CHILD_OPERATE, {"arguments": arguments}, scratch
        )
        shutil.rmtree(out, ignore_errors=True)
        instrumented_runs[forecast] = {
            **child,
            "process": process,
            "breakdown": breakdown(child, process),
        }
    return {
        "study": str(study),
        "name": study.name if study.is_dir() else study.parent.name,
        "processes": processes,
        "ratios": {name: p["wall_s"] / run_s for name, p in processes.items() if name != "run"},
        "target_ratio": TARGET_RATIO,
        "operations": summaries,
        "instrumented": instrumented_runs,
    }


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def format_study(s: dict[str, Any]) -> str:
    """Every figure of one study as readable tables."""
    out = ["", f"### {s['name']}: {s['study']}"]
    repeat = len(s["processes"]["run"]["runs"])
    out.append(table_title(f"1. Whole processes, median of {repeat}"))
    run_s = s["processes"]["run"]["wall_s"]
    for name, p in s["processes"].items():
        runs = " ".join(f"{r['wall_s']:.2f}" for r in p["runs"])
        ratio = "" if name == "run" else f"{s['ratios'][name]:.2f}x run; "
        out.append(
            row(
                f"dispatch {name}",
                p["wall_s"],
                note=f"{ratio}CPU {p['cpu_s']:.1f} s, {p['peak_rss_mib']:,.0f} MiB; runs {runs}",
            )
        )
    for name, figures in s["operations"].items():
        out.append(
            f"  {name}: {figures['decisions']} decisions; realised cost "
            f"{figures['realised_cost']:,.0f} vs perfect foresight "
            f"{figures['perfect_foresight_cost']:,.0f} "
            f"(+{figures['cost_of_imperfect_foresight_share']:.2%}); absorbed "
            f"{figures['absorbed_mwh']:,.0f} MWh (perfect foresight "
            f"{figures['absorbed_mwh_perfect_foresight']:,.0f}); late "
            f"{figures['late_mwh']:.2f} MWh, firm unserved {figures['firm_unserved_mwh']:.2f} MWh, "
            f"storage end shortfall {figures['storage_end_shortfall_mwh']:.2f} MWh"
        )
    for name, ratio in s["ratios"].items():
        verdict = "met" if ratio <= TARGET_RATIO else "missed"
        out.append(
            f"  ratio {name} / run: {ratio:.2f}x (target {TARGET_RATIO:g}x: {verdict}; "
            f"run {run_s:.2f} s)"
        )
    for forecast, child in s["instrumented"].items():
        parts, wall = child["breakdown"], child["process"]["wall_s"]
        out += ["", table_title(f"2. Instrumented dispatch operate --forecast {forecast}")]
        out += [row(label, parts[key], wall) for key, label in PARTS.items()]
        out.append(row("wall time of the process", wall, wall))
        out.append("  across planning and settlements (calls):")
        for key, (calls, seconds) in child["across"].items():
            out.append(row(f"  {ACROSS[key]}", seconds, wall, note=f"{calls} calls"))
        out.append(
            row("  forecasts issued (Forecast.issue)", child["times"].get("forecasts"), wall)
        )
        timings = ", ".join(f"{k} {v:.2f}" for k, v in child["result_timings"].items())
        out.append(f"  result.timings [s]: {timings}")
        if child["missing_internals"]:
            out.append(f"  not timed (gone from dispatch): {', '.join(child['missing_internals'])}")
    return "\n".join(out)


def format_summary(studies: list[dict[str, Any]]) -> str:
    """One line per study and forecast: run, operate, ratio."""
    out = ["", "=" * WIDTH, f"{'study':<16}{'forecast':<14}{'run [s]':>10}{'operate [s]':>13}"]
    out[-1] += f"{'ratio':>9}  target {TARGET_RATIO:g}x"
    for s in studies:
        run_s = s["processes"]["run"]["wall_s"]
        for name, ratio in s["ratios"].items():
            operate_s = s["processes"][name]["wall_s"]
            verdict = "met" if ratio <= TARGET_RATIO else "missed"
            out.append(
                f"{s['name']:<16}{name.removeprefix('operate '):<14}{run_s:>10.2f}"
                f"{operate_s:>13.2f}{ratio:>8.2f}x  {verdict}"
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
        0 if every command ran, else 1.
    """
    argv = sys.argv[1:] if argv is None else argv
    code = child_main(argv, {CHILD_OPERATE: child_operate})
    if code is not None:
        exit_without_teardown(code)
    parser = command_line(
        "Time dispatch operate against one perfect-foresight dispatch run.",
        repeat=(3, "runs of dispatch run and of each dispatch operate per study; medians"),
        hours=(None, "keep only the first HOURS of each study [h]"),
    )
    parser.add_argument(
        "studies",
        nargs="*",
        metavar="STUDY",
        default=list(DEFAULT_STUDIES),
        help="single-site study folders or scenario files (default: the shipped examples)",
    )
    parser.add_argument("--lookahead-h", type=float, default=48.0, help="hours planned (48)")
    parser.add_argument("--commit-h", type=float, default=24.0, help="hours committed (24)")
    parser.add_argument(
        "--forecasts",
        nargs="+",
        default=list(DEFAULT_FORECASTS),
        choices=("perfect", "persistence", "error"),
        help="forecast methods operated with (default: perfect persistence)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    studies = [resolve_study(name) for name in args.studies]

    info = machine()
    horizon = "full horizon" if args.hours is None else f"first {args.hours:g} h"
    settings = field(
        "Settings",
        f"--repeat {args.repeat}, {horizon}, lookahead {args.lookahead_h:g} h, commit "
        f"{args.commit_h:g} h, forecasts {', '.join(args.forecasts)}",
    )
    print(header("dispatch operate benchmark", info, [settings], WIDTH), flush=True)
    started = time.perf_counter()
    measured, failures = measure_each(
        studies, lambda study, folder: measure_study(study, args, folder), format_study
    )
    if measured:
        print(format_summary(measured))
    return finish(args, info, started, {"studies": measured}, failures)


if __name__ == "__main__":
    sys.exit(main())
