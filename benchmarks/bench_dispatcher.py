"""Rolling 48 h windows of one study: re-solved in place by a ``Dispatcher`` against
a rebuilt network and model per window.

Consecutive windows start a day apart; each window's series are the study's at its
hours and its initial backlog is the previous window's backlog after its first day.
Per window, the in-place re-solve is split into HiGHS ``run()`` and the time outside
it (writing the LP, reading the solution); the rebuild is the Dispatcher built for
the window and solved once (network, linopy model, HiGHS, extraction). Both must find
the same objective.

    python benchmarks/bench_dispatcher.py --windows 100 --rebuilt 10
"""

from __future__ import annotations

import statistics
import sys
import time

from harness import command_line, finish, header, machine, resolve_study, row, table_title

OBJECTIVE_RTOL = 1e-6
"""Largest relative difference allowed between the re-solved and the rebuilt objective."""
WINDOW_H = 48
STEP_H = 24


def main() -> int:
    parser = command_line(__doc__.splitlines()[0])
    parser.add_argument("--study", default="networks/olkaria", help="study folder or scenario")
    parser.add_argument("--windows", type=int, default=100, help="windows re-solved in place")
    parser.add_argument("--rebuilt", type=int, default=10, help="windows also rebuilt (>= 1)")
    args = parser.parse_args()
    info = machine()
    print(
        header(
            "Dispatcher: 48 h windows re-solved in place vs rebuilt",
            info,
            [f"study {args.study}, {args.windows} windows of {WINDOW_H} h a day apart"],
            78,
        )
    )
    started = time.perf_counter()
    from dispatch import Dispatcher, load_study
    from dispatch.scenario.study import Study

    path = resolve_study(args.study)
    year = load_study(path, hours=STEP_H * (args.windows - 1) + WINDOW_H)
    first = load_study(path, hours=WINDOW_H)
    site = next(iter(first.sites))
    start = time.perf_counter()
    dispatcher = Dispatcher(first)
    build_s = time.perf_counter() - start

    highs, outside, objectives, failures = [], [], [], []
    rebuilt_s: list[float] = []
    cold_highs: list[float] = []
    for window in range(args.windows):
        hours = slice(window * STEP_H, window * STEP_H + WINDOW_H)
        series = {key: values[hours] for key, values in year.series.items()}
        start = time.perf_counter()
        dispatcher.set_series(series)
        set_s = time.perf_counter() - start
        sites, _ = dispatcher.solve()
        highs.append(dispatcher.timings["highs_s"])
        outside.append(dispatcher.timings["outside_highs_s"] + set_s)
        objectives.append(sites[site].objective)
        if window < args.rebuilt:
            study = dispatcher.window_study
            snapshots = year.snapshots[hours]
            study = Study(study.scenario, study.source, snapshots, study.series)
            start = time.perf_counter()
            rebuilt = Dispatcher(study)
            fresh, _ = rebuilt.solve()
            rebuilt_s.append(time.perf_counter() - start)
            cold_highs.append(rebuilt.timings["highs_s"])
            expected = fresh[site].objective
            if abs(expected - objectives[-1]) > OBJECTIVE_RTOL * max(1.0, abs(expected)):
                failures.append(f"window {window}: {objectives[-1]} != rebuilt {expected}")
        carried = float(sites[site].backlog[STEP_H - 1])
        dispatcher.set_initial_levels(site, backlog_mwh=carried)

    per_window = [h + o for h, o in zip(highs, outside, strict=True)]
    medians = {
        "in place: total": statistics.median(per_window),
        "  HiGHS run() (warm start)": statistics.median(highs),
        "  outside HiGHS (series, LP update, extraction)": statistics.median(outside),
        "rebuilt (network, model, HiGHS, extraction)": statistics.median(rebuilt_s),
        "  HiGHS run() (cold start)": statistics.median(cold_highs),
        "building the Dispatcher once": build_s,
    }
    print(table_title("median per window"))
    for label, seconds in medians.items():
        print(row(label, seconds, note=f"{1000 * seconds:.1f} ms"))
    figures = {
        "windows": args.windows,
        "build_s": build_s,
        "median_highs_s": statistics.median(highs),
        "median_outside_s": statistics.median(outside),
        "median_rebuilt_s": statistics.median(rebuilt_s),
        "median_cold_highs_s": statistics.median(cold_highs),
        "max_outside_s": max(outside),
    }
    return finish(args, info, started, figures, failures)


if __name__ == "__main__":
    sys.exit(main())
