"""Benchmark ``dispatch batch``: throughput on 1 and 2 workers against single runs.

Run it from anywhere with the package installed::

    python3 benchmarks/bench_batch.py                 # 24 variants of Olkaria, 4 weeks
    python3 benchmarks/bench_batch.py --hours 168     # the same sweep on one week
    python3 benchmarks/bench_batch.py --repeat 3      # best of 3 runs each, alternating
    python3 benchmarks/bench_batch.py --json /tmp/bench-batch.json
    python3 benchmarks/bench_batch.py --validate-only  # only 5., in a few seconds
    python3 benchmarks/bench_batch.py --reuse-only     # only 6., about 3 minutes

The sweep: the shipped Olkaria study (``networks/olkaria``) on its first ``--hours``
(default 672 h, four weeks), solar capacity 20/40/60/80 MW x longest deferral
4/8/12 h x grid export limit 5/2 MW: 24 variants. Everything is written into a
temporary folder that is removed at the end; only ``--json PATH`` leaves a file.
It takes about 3 minutes on 2 cores (5 with ``--repeat 2``).

What it measures (wall-clock times [s]):

1. ``load_sweep``: reading the sweep file and validating all 24 variants, series
   included, in this process.
2. ``dispatch batch SWEEP --out DIR --workers N --no-progress`` as a subprocess, for
   N = 1 and N = 2 (``--repeat`` times each, alternating, the fastest run
   reported), each into a fresh folder: the whole command (start-up,
   validation, workers starting and importing PyPSA once each, every solve and
   result folder, summaries). Throughput is variants per minute of that wall time;
   "per variant" is the wall time over 24, "in worker" the mean wall time a worker
   spent on one variant (solve and write) and "CPU" the worker's CPU time meanwhile
   (both from ``manifest.json``): "in worker" well above "CPU" means other processes
   had the cores. The runs' ``summary.csv`` must be equal.
3. ``dispatch run`` of single variants as subprocesses (first, middle and last of
   the sweep, each written as a study folder of its own with the base's series),
   median wall time: what each variant would cost without ``dispatch batch``.
4. Speedup of 2 workers over 1 (wall time of 2. with N = 1 over N = 2) against the
   target 1.8, and the batch's time per variant against a single ``dispatch run``.
5. ``load_sweep`` of a 100 x 100 product (solar capacity x grid export limit:
   10,000 variants, allowed with ``max_variants``) on the whole year (8,760
   snapshots), in this process, best of ``--repeat``: every variant validated,
   series included, nothing solved. Neither path changes a series, so the base's
   series are read once; each variant is validated as a scenario and checked
   across fields.

6. Per variant, in this process, as one worker solves them: ``solve(study,
   parallel=False)`` and writing the result folder (the LP rebuilt for every
   variant, as workers did before) against a ``VariantSolver`` that keeps the last
   variant's LP and writes only the changed numbers into it (re-solved cold, the
   default, and from the last basis, "warm"), the three taking turns variant by
   variant. Medians over the variants (and ``--repeat`` passes) of the solve, the
   writing and both; how many variants reused the LP; and whether every key figure
   equals the rebuilt one's (to 1e-6 relative).

The header gives the machine, and how much longer two CPU-bound processes take
when run at once (1.0 with two real cores: the most any speedup on 2 cores can be
is 2 divided by that figure). Other processes on the machine take cores from the
workers, so each batch run is preceded by that measurement again ("2-proc") and
shows the load average before and after. The exit code is 1 if a command fails or
the summaries differ.
"""

from __future__ import annotations

import json
import math
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from harness import (
    alternate,
    command_line,
    dispatch_command,
    field,
    finish,
    header,
    load_average,
    machine,
    resolve_study,
    run_timed,
    two_process_slowdown,
)

TARGET_SPEEDUP = 1.8
PRODUCT = {
    "sites.olkaria.solar.capacity_mw": [20, 40, 60, 80],
    "sites.olkaria.datacentre.deferrable.max_delay_h": [4, 8, 12],
    "sites.olkaria.grid.export_limit_mw": [5, 2],
}
SINGLE_RUNS = (0, 12, 23)
"""Positions in the sweep of the variants also solved by ``dispatch run``."""
MANY = {
    "sites.olkaria.solar.capacity_mw": list(range(1, 101)),
    "sites.olkaria.grid.export_limit_mw": [round(0.1 * i, 1) for i in range(1, 101)],
}
"""The sweep validated in 5.: 100 x 100 = 10,000 variants."""
WIDTH = 92


def run_batch(sweep: Path, out: Path, workers: int, logs: Path) -> dict[str, Any]:
    """``dispatch batch`` on ``workers`` local workers: wall time and what it recorded."""
    shutil.rmtree(out, ignore_errors=True)
    slowdown = two_process_slowdown()
    load = load_average()
    command = [*dispatch_command(), "batch", str(sweep), "--out", str(out)]
    done = run_timed(
        [*command, "--workers", str(workers), "--no-progress"], logs / f"batch-{workers}.txt"
    )
    if done.code != 0:
        raise SystemExit(f"dispatch batch --workers {workers} failed: see {logs}")
    entries = json.loads((out / "manifest.json").read_text())["variants"].values()
    return {
        "workers": workers,
        "wall_s": done.wall_s,
        "in_worker_s": statistics.mean(e["seconds"] for e in entries),
        "cpu_s": statistics.mean(e["cpu_seconds"] for e in entries),
        "variants": len(entries),
        "two_process_slowdown": slowdown,
        "load_before": load,
        "load_after": load_average(),
    }


def run_singles(sweep_file: Path, hours: float, folder: Path) -> list[float]:
    """Wall times of ``dispatch run`` on single variants of the sweep [s]."""
    from dispatch import load_sweep

    sweep = load_sweep(sweep_file)
    times = []
    for position in SINGLE_RUNS:
        variant = sweep.variants[position]
        study = folder / f"study-{position}"
        shutil.copytree(sweep.base.parent, study)
        text = yaml.safe_dump(variant.scenario.model_dump(mode="json"), sort_keys=False)
        (study / "scenario.yaml").write_text(text, encoding="utf-8")
        command = [*dispatch_command(), "run", str(study), "--hours", f"{hours:g}"]
        command += ["--out", str(folder / f"run-{position}"), "--quiet"]
        done = run_timed(command, folder / f"run-{position}.txt")
        if done.code != 0:
            raise SystemExit(f"dispatch run of {variant.name} failed")
        times.append(done.wall_s)
    return times


def validate_many(study: Path, folder: Path, repeat: int) -> float:
    """Best wall time of ``load_sweep`` on the 10,000 variants of :data:`MANY` [s]."""
    from dispatch import load_sweep

    sweep = folder / "many.yaml"
    sweep.write_text(yaml.safe_dump({"base": str(study), "product": MANY}), encoding="utf-8")
    count = math.prod(len(values) for values in MANY.values())
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        variants = load_sweep(sweep, max_variants=count).variants
        times.append(time.perf_counter() - start)
        assert len(variants) == count
    return min(times)


def time_variants(sweep_file: Path, hours: float, folder: Path, repeat: int) -> dict[str, Any]:
    """Seconds per variant of 6., by way of solving: rebuilt, reused (cold, warm)."""
    from dispatch import load_sweep, solve
    from dispatch.batch.summary import flat_figures
    from dispatch.optimization.variants import VariantSolver
    from dispatch.scenario.load import study_from_scenario

    sweep = load_sweep(sweep_file)
    studies = [study_from_scenario(v.scenario, sweep.base, hours) for v in sweep.variants]
    reusers = {"reuse": VariantSolver(), "reuse, warm": VariantSolver(warm_start=True)}
    ways = {"rebuild": lambda study: solve(study, parallel=False)}
    ways.update({way: reuser.solve for way, reuser in reusers.items()})
    times: dict[str, dict[str, list[float]]] = {
        way: {"solve": [], "write": [], "total": []} for way in ways
    }
    reused = dict.fromkeys(reusers, 0)
    figures_differ = dict.fromkeys(reusers, 0)
    load = load_average()
    for turn in range(repeat):
        for position, study in enumerate(studies):
            summaries = {}
            for way, solve_variant in ways.items():
                start = time.perf_counter()
                result = solve_variant(study)
                solved = time.perf_counter()
                out = result.write(folder / f"variant-{turn}-{position}-{way}")
                done = time.perf_counter()
                shutil.rmtree(out)
                times[way]["solve"].append(solved - start)
                times[way]["write"].append(done - solved)
                times[way]["total"].append(done - start)
                summaries[way] = flat_figures(result.summary)[0]
                if way in reusers:
                    reused[way] += reusers[way].reused
                    figures_differ[way] += any(
                        not math.isclose(
                            value, summaries["rebuild"][key], rel_tol=1e-6, abs_tol=1e-6
                        )
                        for key, value in summaries[way].items()
                    )
    return {
        "variants": len(studies) * repeat,
        "median_s": {
            way: {part: statistics.median(values) for part, values in parts.items()}
            for way, parts in times.items()
        },
        "reused": reused,
        "figures_differ": figures_differ,
        "load_before": load,
        "load_after": load_average(),
    }


def report_variants(figures: dict[str, Any]) -> str:
    """The figures of 6. as printed."""
    n, medians = figures["variants"], figures["median_s"]
    rebuilt = medians["rebuild"]["total"]
    lines = [
        f"per variant in one worker ({n} variants, ways taking turns; load "
        f"{figures['load_before']} -> {figures['load_after']}), medians [s]:",
        f"{'':<14}{'solve':>8}{'write':>8}{'total':>8}{'x rebuild':>11}  reused  figures differ",
    ]
    for way, parts in medians.items():
        reused = figures["reused"].get(way)
        differ = figures["figures_differ"].get(way)
        lines.append(
            f"{way:<14}{parts['solve']:>8.2f}{parts['write']:>8.2f}{parts['total']:>8.2f}"
            f"{parts['total'] / rebuilt:>10.2f}x  "
            + ("" if reused is None else f"{reused:>6}  {differ:>14}")
        )
    return "\n".join(lines)


def report_validation(seconds: float) -> str:
    """The figure of 5. as printed."""
    count = math.prod(len(values) for values in MANY.values())
    return (
        f"load_sweep of {count:,} variants of networks/olkaria (whole year, series "
        f"included): {seconds:.2f} s ({1e3 * seconds / count:.2f} ms per variant)"
    )


def report(info: dict[str, Any], figures: dict[str, Any]) -> str:
    """The benchmark's figures as printed."""
    one, two = (min(runs, key=lambda run: run["wall_s"]) for runs in figures["batch"])
    n = one["variants"]
    single = statistics.median(figures["single_run_s"])
    speedup = one["wall_s"] / two["wall_s"]
    sweep = field(
        "Sweep",
        f"{figures['study']}, first {figures['hours']:g} h, {n} variants "
        f"({' x '.join(str(len(v)) for v in PRODUCT.values())} product); batch runs: best "
        f"of {len(figures['batch'][0])}, all: "
        + "; ".join(
            f"{runs[0]['workers']}w " + ", ".join(f"{r['wall_s']:.1f}" for r in runs) + " s"
            for runs in figures["batch"]
        ),
    )
    lines = [
        header("dispatch batch benchmark", info, [sweep], WIDTH),
        f"load_sweep (validate {n} variants, series included): {figures['load_sweep_s']:.2f} s",
        "",
        f"{'':<12}{'wall [s]':>10}{'variants/min':>14}{'per variant [s]':>17}"
        f"{'in worker [s]':>15}{'CPU [s]':>9}{'2-proc':>8}  load before -> after",
    ]
    for run in (one, two):
        lines.append(
            f"{run['workers']} worker{'s' if run['workers'] > 1 else ' '}   "
            f"{run['wall_s']:>10.1f}{60 * n / run['wall_s']:>14.1f}{run['wall_s'] / n:>17.2f}"
            f"{run['in_worker_s']:>15.2f}{run['cpu_s']:>9.2f}{run['two_process_slowdown']:>7.2f}x  "
            f"{run['load_before']} -> {run['load_after']}"
        )
    runs = ", ".join(f"{t:.2f}" for t in figures["single_run_s"])
    lines += [
        "",
        f"single `dispatch run` of one variant (median of {runs}): {single:.2f} s",
        f"batch, 1 worker, per variant: {one['wall_s'] / n:.2f} s = "
        f"{one['wall_s'] / n / single:.2f}x a single run; "
        f"2 workers: {two['wall_s'] / n:.2f} s = {two['wall_s'] / n / single:.2f}x",
        f"speedup 2 workers / 1 worker: {speedup:.2f}x (target {TARGET_SPEEDUP}x: "
        f"{'met' if speedup >= TARGET_SPEEDUP else 'NOT met'}); summaries equal: "
        f"{figures['summaries_equal']}",
        report_validation(figures["validate_many_s"]),
        report_variants(figures["per_variant"]),
        "=" * WIDTH,
    ]
    return "\n".join(lines)


def _write_sweep(folder: Path, study: Path, hours: float) -> Path:
    """The benchmark's sweep file, in ``folder``."""
    sweep = folder / "sweep.yaml"
    spec = {"base": str(study), "hours": hours, "product": PRODUCT}
    sweep.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return sweep


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = command_line(
        __doc__.split("\n\n")[0],
        repeat=(1, "batch runs per worker count"),
        hours=(672.0, "horizon kept [h]"),
    )
    parser.add_argument(
        "--validate-only", action="store_true", help="only time load_sweep of 10,000 variants"
    )
    parser.add_argument(
        "--reuse-only", action="store_true", help="only time variants reused against rebuilt"
    )
    args = parser.parse_args(argv)
    study = resolve_study("networks/olkaria").resolve()
    if args.validate_only:
        with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
            print(report_validation(validate_many(study, Path(tmp), args.repeat)))
        return 0
    if args.reuse_only:
        with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
            sweep = _write_sweep(Path(tmp), study, args.hours)
            print(report_variants(time_variants(sweep, args.hours, Path(tmp), args.repeat)))
        return 0
    info = machine()
    started = time.perf_counter()
    from dispatch import load_sweep

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        folder = Path(tmp)
        sweep = _write_sweep(folder, study, args.hours)
        start = time.perf_counter()
        load_sweep(sweep)
        figures: dict[str, Any] = {
            "study": "networks/olkaria",
            "hours": args.hours,
            "load_sweep_s": time.perf_counter() - start,
        }
        csv = set()

        def batch(workers: int) -> dict[str, Any]:
            run = run_batch(sweep, folder / f"out-{workers}", workers, folder)
            csv.add((folder / f"out-{workers}" / "summary.csv").read_text())
            return run

        turns = alternate(args.repeat, {"1": lambda: batch(1), "2": lambda: batch(2)})
        figures["batch"] = [turns["1"], turns["2"]]
        figures["single_run_s"] = run_singles(sweep, args.hours, folder)
        figures["validate_many_s"] = validate_many(study, folder, args.repeat)
        figures["per_variant"] = time_variants(sweep, args.hours, folder, args.repeat)
        figures["summaries_equal"] = len(csv) == 1
    print(report(info, figures))
    failures = [] if figures["summaries_equal"] else ["the batch runs' summary.csv differ"]
    return finish(args, info, started, figures, failures)


if __name__ == "__main__":
    sys.exit(main())
