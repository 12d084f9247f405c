"""Benchmark ``dispatch run`` against bare HiGHS and the compact LP on the example studies.

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
   ``import_pypsa``), ``load_study``, the hourly balance check,
   ``build_network``, ``n.optimize.create_model(include_objective_constant=False)``,
   the flexible solve through linopy (``n.optimize.solve_model`` with
   ``io_api="direct"``, split into HiGHS' ``run()`` and what linopy and PyPSA do
   around it), extraction of the hourly dispatch, ``to_baseline`` and the baseline
   solve. These run one after the other, whereas ``dispatch run`` solves the baseline
   in a forked process beside the flexible run. Aside: writing the flexible LP as an
   MPS file (``n.model.to_file``) and the process's exit.
2. ``dispatch run`` itself, once, in a fresh process (``dispatch.cli.main``) with
   timers wrapped around what it calls (the ``dispatch`` internals reached are
   listed in ``internals.py``): ``load_study``, ``import_pypsa``,
   ``build_network``, ``create_model`` (``Result.timings``), the flexible solve and
   its ``Highs.run``, extraction, the wait for the forked baseline, ``Result.write``
   and each file it writes (dataset, netCDF, CSV, figure, networks), interpreter
   start-up, the imports of ``dispatch.cli`` and of what ``run`` imports, and the
   exit, which ends as the command's does (exit handlers, then ``os._exit``: no
   module teardown). The parts add up to the wall time of that run; the forked
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
6. The speed anchor: ``compact_lp.py STUDY`` as a whole process (start-up and
   imports, ``load_study``, MODEL.md's LP built straight into HiGHS, baseline and
   flexible solves), median of ``--repeat`` runs; the ratio of ``dispatch run``
   (4) to it, against the target 2x (stretch 1.5x). Both runs' objectives must
   equal those ``dispatch run`` wrote into ``summary.json`` (relative difference at
   most 1e-6; exit code 1 if not). Then the floor of the stack: start-up, imports,
   ``import pypsa``, ``load_study``, ``build_network`` and ``create_model`` from 2,
   what any run through PyPSA and linopy spends before HiGHS starts, as a multiple
   of the compact LP's process.

The header also gives the machine (CPU, cores, Python, package versions) and how
much longer two CPU-bound processes take when run at once (1.0 with two real cores):
the forked baseline only saves wall time if that is near 1.

``dispatch run``, bare HiGHS and the compact LP are run in turn, ``--repeat`` times
each, so drift in machine load affects all alike; all figures are medians.

Sections 1, 2 and 3 are measured by child processes of this script (``--child-*``),
written in ``bench_run_stages.py``, ``bench_run_calls.py`` and ``bench_run_highs.py``;
section 6 in ``bench_run_compact.py``; the machine, the processes and the report come
from ``harness.py``.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench_run_calls import (
    BEYOND_HIGHS,
    CLI_LABELS,
    baseline_figures,
    breakdown,
    child_cli,
    format_calls,
)
from bench_run_compact import (
    compact_figures,
    compact_process,
    dispatch_objectives,
    format_compact,
    verdict,
)
from bench_run_highs import bare_figures, child_highs, format_highs
from bench_run_stages import child_stages, format_stages
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
    resolve_study,
    row,
    run_python_child,
    run_timed,
    table_title,
)

DEFAULT_STUDIES = ("networks/olkaria", "networks/nordic", "networks/solar-battery")
TARGET_RATIO = 1.5
FLOOR = (
    "startup",
    "import_cli",
    "import_run",
    "load_study",
    "import_pypsa",
    "build_network",
    "create_model",
)
"""The parts of section 2 that every run through PyPSA and linopy goes through before
HiGHS can start: the floor of the stack."""
CHILD_STAGES = "--child-stages"
CHILD_HIGHS = "--child-highs"
CHILD_CLI = "--child-cli"
WIDTH = 92


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
    stages, stages_process = run_python_child(
        __file__, CHILD_STAGES, {**request, "mps": str(mps)}, scratch
    )
    stages["stages"]["startup"] = stages_process["startup_s"]

    cli_request = {
        **request,
        "out_dir": str(scratch / "run"),
        "side_file": str(scratch / "baseline.json"),
    }
    cli, cli_process = run_python_child(__file__, CHILD_CLI, cli_request, scratch)
    shutil.rmtree(scratch / "run", ignore_errors=True)

    command = dispatch_command() + ["run", str(study), "--out", str(scratch / "run")]
    command += ["--quiet"] + ([] if hours is None else ["--hours", str(hours)])

    def whole_process() -> dict[str, Any]:
        done = run_timed(command, stderr)
        done.check("dispatch run", stderr)
        objectives = dispatch_objectives(scratch / "run" / "summary.json")
        shutil.rmtree(scratch / "run", ignore_errors=True)
        return {"wall_s": done.wall_s, "peak_rss_mib": done.peak_rss_mib, "objectives": objectives}

    def bare_highs() -> dict[str, Any]:
        figures, process = run_python_child(__file__, CHILD_HIGHS, {"mps": str(mps)}, scratch)
        return {**figures, "process_wall_s": process["wall_s"], "rss_mib": process["peak_rss_mib"]}

    def compact() -> dict[str, Any]:
        return compact_process(study, hours, scratch)

    turns = alternate(repeat, {"process": whole_process, "bare": bare_highs, "compact": compact})
    mps.unlink(missing_ok=True)
    runs, bare = turns["process"], bare_figures(turns["bare"], stages["objective"])
    whole = statistics.median(r["wall_s"] for r in runs)
    parts = breakdown(cli, cli_process)
    return {
        "study": str(study),
        "name": study.name if study.is_dir() else study.parent.name,
        "command": " ".join(command),
        "snapshots": stages.pop("snapshots"),
        "step_h": stages.pop("step_h"),
        "sites": stages.pop("sites"),
        "lp": {**stages.pop("lp"), "nonzeros": turns["bare"][0]["nonzeros"]},
        "stages": {**stages, "process": stages_process},
        "instrumented_run": {
            "breakdown": parts,
            "times": cli["times"],
            "result_timings": cli["timings"],
            "process": cli_process,
            "baseline_child": baseline_figures(
                cli["baseline_child"], cli["times"].get("solve_flexible.end_monotonic")
            ),
        },
        "bare_highs": bare,
        "process": {
            "runs": runs,
            "wall_s": whole,
            "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
        },
        "ratio": whole / bare["run_s"],
        "target_ratio": TARGET_RATIO,
        "compact_lp": compact_figures(turns["compact"], whole, runs[0]["objectives"]),
        "floor_s": sum(parts[key] for key in FLOOR),
    }


def format_floor(s: dict[str, Any]) -> list[str]:
    """The floor of the stack: what ``dispatch run`` spends before HiGHS starts [s], and
    as a multiple of the compact LP's process, alone and with the compact LP's solves."""
    floor, compact = s["floor_s"], s["compact_lp"]
    line = f"  floor of the stack: {floor:.2f} s"
    what = "    (start-up, imports, import pypsa, load_study, build_network, create_model; from 2)"
    if "not_stated" in compact:
        return [line, what]
    solves = compact["baseline_s"] + compact["flexible_s"]
    return [
        f"{line} = {floor / compact['wall_s']:.2f}x the compact LP process; with the compact "
        f"LP's own solves ({solves:.2f} s) {(floor + solves) / compact['wall_s']:.2f}x",
        what,
    ]


def format_study(s: dict[str, Any]) -> str:
    """Every figure of one study as readable tables."""
    lp, bare, proc = s["lp"], s["bare_highs"], s["process"]
    out = [
        "",
        f"### {s['name']}: {s['study']}, {s['snapshots']} snapshots x {s['step_h']:g} h, "
        f"site(s) {', '.join(s['sites'])}",
        f"LP (flexible run): {lp['variables']:,} variables, {lp['constraints']:,} "
        f"constraints, {lp['nonzeros']:,} nonzeros (linopy nvars/ncons; nonzeros "
        "from HiGHS)",
        *format_stages(s["stages"]),
        *format_calls(s["instrumented_run"]),
        *format_highs(bare, s["stages"]),
    ]
    runs = " ".join(f"{r['wall_s']:.2f}" for r in proc["runs"])
    out += [
        "",
        table_title(f"4. Whole process: dispatch run --quiet, median of {len(proc['runs'])}"),
        row("wall time", proc["wall_s"], note=f"runs: {runs}"),
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
    parts = s["instrumented_run"]["breakdown"]
    top = sorted(
        ((parts[k], CLI_LABELS[k].split(" (")[0]) for k in BEYOND_HIGHS if k in parts),
        reverse=True,
    )[:4]
    out += [
        f"5. Ratio whole process / bare HiGHS solve: {s['ratio']:.2f}x "
        f"(target {TARGET_RATIO:g}x: {verdict})",
        f"   beyond the bare HiGHS solve: {beyond:.2f} s; largest parts (from 2, [s]):",
        "   " + "; ".join(f"{label} {seconds:.2f}" for seconds, label in top),
        *format_compact(s["compact_lp"], proc["wall_s"]),
        *format_floor(s),
    ]
    return "\n".join(out)


def format_summary(studies: list[dict[str, Any]]) -> str:
    """One line per study: size, whole process, peak RSS, bare HiGHS and the compact
    LP with the ratio of ``dispatch run`` to each, and the compact LP's objective check."""
    columns = [
        ("study", "", "<16"),
        ("variables", "", ">10"),
        ("constraints", "", ">12"),
        ("dispatch run", "[s]", ">13"),
        ("peak RSS", "[MiB]", ">10"),
        ("bare HiGHS", "[s]", ">11"),
        ("ratio", f"({TARGET_RATIO:g}x)", ">9"),
        ("compact LP", "[s]", ">11"),
        ("ratio", "(2x)", ">8"),
        ("", "", "<13"),
        ("objectives", "", ">11"),
    ]
    width = sum(int(spec[1:]) for _, _, spec in columns)
    out = ["", "=" * width]
    out += ["".join(f"{title[i]:{title[2]}}" for title in columns).rstrip() for i in (0, 1)]
    for s in studies:
        compact = s["compact_lp"]
        if "not_stated" in compact:
            anchor = ["", "", "not stated", ""]
        else:
            anchor = [
                f"{compact['wall_s']:.2f}",
                f"{compact['ratio']:.2f}x",
                f" {verdict(compact['ratio'])}",
                "equal" if compact["objective_ok"] else "MISMATCH",
            ]
        cells = [
            s["name"],
            f"{s['lp']['variables']:,}",
            f"{s['lp']['constraints']:,}",
            f"{s['process']['wall_s']:.2f}",
            f"{s['process']['peak_rss_mib']:,.0f}",
            f"{s['bare_highs']['run_s']:.2f}",
            f"{s['ratio']:.2f}x",
            *anchor,
        ]
        line = "".join(f"{cell:{spec}}" for cell, (_, _, spec) in zip(cells, columns, strict=True))
        out.append(line.rstrip())
    out.append("=" * width)
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
    measures = {CHILD_STAGES: child_stages, CHILD_CLI: child_cli, CHILD_HIGHS: child_highs}
    code = child_main(argv, measures)
    if code is not None:
        if argv[0] == CHILD_CLI:
            exit_without_teardown(code)
        return code
    parser = command_line(
        "Time dispatch run against bare HiGHS on example studies.",
        repeat=(3, "runs of dispatch run and of bare HiGHS per study; medians"),
        hours=(None, "keep only the first HOURS of each study [h]"),
    )
    parser.add_argument(
        "studies",
        nargs="*",
        metavar="STUDY",
        default=list(DEFAULT_STUDIES),
        help="study folders or scenario files (default: the three shipped examples)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    studies = [resolve_study(name) for name in args.studies]

    info = machine()
    horizon = "full horizon" if args.hours is None else f"first {args.hours:g} h"
    settings = field("Settings", f"--repeat {args.repeat}, {horizon}")
    print(header("dispatch run benchmark", info, [settings], WIDTH), flush=True)
    started = time.perf_counter()
    measured, failures = measure_each(
        studies,
        lambda study, folder: measure_study(study, args.repeat, args.hours, folder),
        format_study,
    )
    for figures in measured:
        if not figures["bare_highs"]["objective_ok"]:
            failures.append(f"{figures['name']}: bare HiGHS objective differs from linopy's")
        if not figures["compact_lp"].get("objective_ok", True):
            failures.append(f"{figures['name']}: compact LP objectives differ from dispatch run's")
    if measured:
        print(format_summary(measured))
    return finish(args, info, started, {"studies": measured}, failures)


if __name__ == "__main__":
    sys.exit(main())
