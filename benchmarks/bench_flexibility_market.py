"""What payment for flexibility (issue 18) costs in solve time, and what it earns:
Olkaria energy-only against Olkaria paid for its offers up and down.

Run it from anywhere with the package installed::

    python3 benchmarks/bench_flexibility_market.py             # full year, 3 turns (~3 min)
    python3 benchmarks/bench_flexibility_market.py --repeat 5 --json /tmp/bench-flex.json
    python3 benchmarks/bench_flexibility_market.py --hours 48 --repeat 1   # quick check

The variants (``--variants``, default ``energy-only`` and ``up-10``) are those of
``networks/olkaria/flexibility-market.yaml``, over ``--hours`` (default the full year,
not the sweep's 336 h): each is read as the tests read it (``dispatch.load_sweep``,
then ``dispatch.study_from_scenario``) and solved with ``dispatch.solve`` (flexible run
and baseline, the baseline forked beside it where the machine allows) in a fresh
Python process, the variants taking turns, ``--repeat`` times. Figures per variant,
medians over the turns:

- process: wall time from launch to exit [s] and peak RSS (``ru_maxrss`` from
  ``wait4``: the largest process of the tree, the forked baseline included) [MiB];
- in the process: imports (``dispatch``), reading the study, ``dispatch.solve`` [s],
  its stages (``Result.timings``: network, model, flexible solve, waiting for the
  baseline; the rest is extraction and key figures) and the time in
  ``highspy.Highs.run`` of this process (the flexible run; a forked baseline's HiGHS
  time is not seen), with its share of ``solve``;
- results (equal in every turn, else the run is reported as failed): objective and
  baseline objective [currency], ``flexibility_revenue`` [currency],
  ``offered_up_mwh`` and ``offered_down_mwh`` [MWh], ``absorbed_mwh`` [MWh].

Not a test: times depend on the machine and its load, printed in the header.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from harness import (
    REPO,
    ChildFailed,
    alternate,
    child_main,
    command_line,
    exit_without_teardown,
    field,
    finish,
    header,
    machine,
    monotonic,
    run_python_child,
)
from timers import instrumented

SWEEP = REPO / "networks" / "olkaria" / "flexibility-market.yaml"
DEFAULT_VARIANTS = ("energy-only", "up-10")
CHILD_SOLVE = "--child-solve"
RESULTS = ("objective", "flexibility_revenue", "offered_up_mwh", "offered_down_mwh")
"""Figures of ``Result.summary`` reported for each variant (the flexible run)."""
RTOL = 1e-9
"""Largest relative difference allowed between the results of two turns."""
WIDTH = 92


def child_solve(variant: str, hours: float | None) -> dict[str, Any]:
    """In a fresh process: read ``variant`` of :data:`SWEEP` and solve it; the times
    [s] and key figures."""
    first = monotonic()
    start = time.perf_counter()
    import highspy

    from dispatch import load_sweep, solve, study_from_scenario

    times = {"imports_s": time.perf_counter() - start}
    start = time.perf_counter()
    sweep = load_sweep(SWEEP)
    chosen = next((v for v in sweep.variants if v.name == variant), None)
    if chosen is None:
        raise SystemExit(f"{SWEEP.name} has no variant {variant!r}")
    study = study_from_scenario(chosen.scenario, sweep.base, hours)
    times["read_s"] = time.perf_counter() - start
    highs: dict[str, float] = {}
    start = time.perf_counter()
    with instrumented([(highspy.Highs, "run", "highs_run_s")], highs):
        result = solve(study)
    times["solve_s"] = time.perf_counter() - start
    summary = result.summary
    return {
        **times,
        "highs_run_s": highs.get("highs_run_s", 0.0),
        "stages": dict(result.timings),
        "snapshots": len(study.snapshots),
        "currency": summary["currency"],
        **{key: summary[key] for key in RESULTS},
        "baseline_objective": summary["baseline"]["objective"],
        "absorbed_mwh": summary["absorbed_mwh"],
        "last_monotonic": monotonic(),
        "first_monotonic": first,
    }


def measure(variant: str, hours: float | None, scratch: Path) -> dict[str, Any]:
    """One turn of ``variant``: its child's figures and the process's wall time [s] and
    peak RSS [MiB]."""
    figures, process = run_python_child(
        __file__, CHILD_SOLVE, {"variant": variant, "hours": hours}, scratch
    )
    return {**figures, **process}


def summarise(turns: list[dict[str, Any]]) -> tuple[dict[str, Any], str | None]:
    """Medians of a variant's turns, and what differs between them (None if nothing)."""
    times = ("wall_s", "peak_rss_mib", "startup_s", "imports_s", "read_s", "solve_s")
    medians = {key: statistics.median(t[key] for t in turns) for key in times}
    medians["highs_run_s"] = statistics.median(t["highs_run_s"] for t in turns)
    medians["stages"] = {
        key: statistics.median(t["stages"].get(key, 0.0) for t in turns)
        for key in turns[0]["stages"]
    }
    outcome = (*RESULTS, "baseline_objective", "absorbed_mwh")
    first = turns[0]
    for key in outcome:
        medians[key] = first[key]
        for other in turns[1:]:
            if abs(other[key] - first[key]) > RTOL * max(1.0, abs(first[key])):
                return medians, f"{key} differs between turns: {first[key]} and {other[key]}"
    medians["currency"], medians["snapshots"] = first["currency"], first["snapshots"]
    return medians, None


def report(figures: dict[str, dict[str, Any]]) -> str:
    """The table: a column per variant."""
    names = list(figures)
    lines = [f"{'median of the turns':<44}" + "".join(f"{n:>16}" for n in names)]

    def line(label: str, values: list[str]) -> None:
        lines.append(f"  {label:<42}" + "".join(f"{v:>16}" for v in values))

    def seconds(key: str) -> list[str]:
        return [f"{figures[n][key]:.2f}" for n in names]

    line("snapshots", [f"{figures[n]['snapshots']:,}" for n in names])
    line("process wall time [s]", seconds("wall_s"))
    line("  start-up to first statement [s]", seconds("startup_s"))
    line("  imports [s]", seconds("imports_s"))
    line("  reading the study [s]", seconds("read_s"))
    line("  dispatch.solve [s]", seconds("solve_s"))
    for stage in figures[names[0]]["stages"]:
        line(f"    {stage} [s]", [f"{figures[n]['stages'].get(stage, 0.0):.2f}" for n in names])
    other = [f"{figures[n]['solve_s'] - sum(figures[n]['stages'].values()):.2f}" for n in names]
    line("    other (extraction, key figures) [s]", other)
    line("    HiGHS run() in this process [s]", seconds("highs_run_s"))
    line(
        "    HiGHS share of dispatch.solve",
        [f"{figures[n]['highs_run_s'] / figures[n]['solve_s']:.0%}" for n in names],
    )
    line("peak RSS [MiB]", [f"{figures[n]['peak_rss_mib']:.0f}" for n in names])
    currency = figures[names[0]]["currency"]
    for key, unit in (
        ("objective", currency),
        ("baseline_objective", currency),
        ("flexibility_revenue", currency),
        ("offered_up_mwh", "MWh"),
        ("offered_down_mwh", "MWh"),
        ("absorbed_mwh", "MWh"),
    ):
        line(f"{key} [{unit}]", [f"{figures[n][key]:,.0f}" for n in names])
    return "\n".join(lines)


def main() -> int:
    """Solve each variant ``--repeat`` times in turn, print the table."""
    code = child_main(sys.argv[1:], {CHILD_SOLVE: child_solve})
    if code is not None:
        exit_without_teardown(code)
    parser = command_line(
        __doc__.splitlines()[0],
        repeat=(3, "turns of each variant"),
        hours=(None, "the first HOURS of the year only (default: all of it)"),
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        default=list(DEFAULT_VARIANTS),
        help=f"variants of {SWEEP.name} (default: {' '.join(DEFAULT_VARIANTS)})",
    )
    args = parser.parse_args()
    info = machine()
    span = "full year" if args.hours is None else f"first {args.hours:g} h"
    settings = field(
        "Settings",
        f"{SWEEP.relative_to(REPO)}: {', '.join(args.variants)}; {span}; "
        f"--repeat {args.repeat}, each solve in a fresh process, variants taking turns",
    )
    print(header("Payment for flexibility (issue 18): solve time", info, [settings], WIDTH))
    started = time.perf_counter()
    failures: list[str] = []
    figures: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-flex-") as tmp:
        scratch = Path(tmp)
        measures = {v: partial(measure, v, args.hours, scratch) for v in args.variants}
        try:
            turns = alternate(args.repeat, measures)
        except ChildFailed as exc:
            return finish(args, info, started, {}, [str(exc)])
    for variant, runs in turns.items():
        figures[variant], differs = summarise(runs)
        if differs is not None:
            failures.append(f"{variant}: {differs}")
    print(report(figures))
    return finish(args, info, started, {"variants": figures, "turns": turns}, failures)


if __name__ == "__main__":
    sys.exit(main())
