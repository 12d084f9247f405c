"""How fast the command line answers: ``--help``, ``--version``, ``validate``, ``export``.

Run it from anywhere with the package installed::

    python3 benchmarks/bench_cli.py               # 9 runs of each command
    python3 benchmarks/bench_cli.py --repeat 21 --json /tmp/bench-cli.json
    python3 benchmarks/bench_cli.py --no-export   # without the full-year exports (~2 min each)

Each command runs in a fresh process (every import cold, as a user's shell starts
it), ``--repeat`` times, the commands taking turns so that drift in the machine's
load affects all alike. The table gives the median and the fastest wall-clock time
[s], the median CPU time (user + system, less sensitive to other processes on the
machine) [s] and the target of the wall-clock median (``--help`` and ``--version``
0.3 s, ``validate`` of a shipped example 1 s, ``exchange export`` of a full year 2 s),
the interpreter's own start-up for reference, and which heavy modules each command
imported.

``dispatch exchange export`` is timed on a full-year result of each example of
:data:`EXPORTED` (one ``dispatch run`` first, not timed here; nordic's reservoir never
pumps, so its ``network.nc`` lacks that series): the first export of a result computes its
flexibility envelope (two LPs per step) and keeps it in the result folder
(``envelope.nc``); the repeated exports, in the table with the other commands, read
it back. The first is timed ``--cold-repeat`` times, each on a fresh copy of the
result. Not a test: timings
depend on the machine and its load, printed above the table (``harness.header``).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from harness import REPO, alternate, command_line, field, finish, header, machine, run_timed

EXAMPLE = REPO / "networks" / "olkaria"
EXPORTED = ("olkaria", "nordic")
"""Examples whose full year is exported."""
HEAVY = ("pandas", "pydantic", "xarray", "scipy", "pypsa", "linopy", "matplotlib", "distributed")
"""Modules whose import costs a tenth of a second or more."""
WIDTH = 92

CLI = [sys.executable, "-m", "dispatch.cli"]
CASES: dict[str, tuple[list[str], float | None]] = {
    "python -c pass (interpreter start-up)": ([sys.executable, "-c", "pass"], None),
    "python -c 'import dispatch'": ([sys.executable, "-c", "import dispatch"], None),
    "dispatch --help": ([*CLI, "--help"], 0.3),
    "dispatch --version": ([*CLI, "--version"], 0.3),
    f"dispatch validate {EXAMPLE.relative_to(REPO)}": ([*CLI, "validate", str(EXAMPLE)], 1.0),
}
"""Label -> (command line, target [s] or None)."""
EXPORT_TARGET_S = 2.0
"""Target of a repeated ``exchange export`` of a full year [s] (issue 15)."""


def export_cases(example: str, scratch: Path, cold_repeat: int) -> tuple[list[float], list[float]]:
    """Solve an example's full year into ``scratch``, time its first exports, and add
    the repeated export to :data:`CASES`.

    Returns
    -------
    tuple of list of float
        Wall-clock and CPU times of the first (cold) exports [s].
    """
    result = scratch / example
    study = REPO / "networks" / example
    subprocess.run([*CLI, "run", str(study), "--out", str(result), "-q"], check=True, cwd=REPO)
    walls, cpus = [], []
    for i in range(cold_repeat):
        fresh = Path(shutil.copytree(result, scratch / f"{example}-cold-{i}"))
        wall, cpu = timed(export_command(fresh, scratch / f"{example}-cold-{i}.nc"))
        walls.append(wall)
        cpus.append(cpu)
    kept = scratch / f"{example}-cold-0"
    label = f"dispatch exchange export {example} (full year, envelope kept)"
    CASES[label] = (export_command(kept, scratch / f"{example}-plan.nc"), EXPORT_TARGET_S)
    return walls, cpus


def export_command(result: Path, out: Path) -> list[str]:
    """``dispatch exchange export`` of ``result`` as netCDF to ``out``."""
    return [*CLI, "exchange", "export", str(result), "--format", "netcdf", "--out", str(out)]


def timed(command: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU time (user + system) of one run of ``command`` [s]."""
    done = run_timed(command, cwd=REPO)
    if done.code != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return done.wall_s, done.cpu_s


def heavy_imports(command: list[str]) -> list[str]:
    """The modules of :data:`HEAVY` that ``command`` imports (``python -X importtime``)."""
    traced = [command[0], "-X", "importtime", *command[1:]]
    stderr = subprocess.run(traced, check=True, capture_output=True, text=True, cwd=REPO).stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines()}
    return [name for name in HEAVY if name in imported]


def main() -> int:
    """Time every command, print the table and optionally save the figures."""
    parser = command_line(__doc__.splitlines()[0], repeat=(9, "runs of each command"))
    parser.add_argument(
        "--no-export", dest="export", action="store_false", help="skip the full-year export"
    )
    parser.add_argument(
        "--cold-repeat", type=int, default=1, metavar="N", help="first exports (default 1)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    try:
        cold = {
            example: export_cases(example, scratch, args.cold_repeat)
            for example in (EXPORTED if args.export else ())
        }
        times = alternate(
            args.repeat, {label: partial(timed, c) for label, (c, _) in CASES.items()}
        )
        imported = {label: heavy_imports(c) for label, (c, _) in CASES.items()}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    figures = {}
    for label, (_, target) in CASES.items():
        walls, cpus = zip(*times[label], strict=True)
        figures[label] = {
            "median_s": statistics.median(walls),
            "fastest_s": min(walls),
            "cpu_s": statistics.median(cpus),
            "target_s": target,
            "heavy_imports": imported[label],
        }
    info = machine()
    settings = field("Settings", f"--repeat {args.repeat}, each command in a fresh process")
    print(header("dispatch command-line benchmark", info, [settings], WIDTH))
    width = max(map(len, CASES))
    print(f"{'command':<{width}}  median [s]  fastest [s]  CPU [s]  target [s]  heavy imports")
    for label, f in figures.items():
        median, target = f["median_s"], f["target_s"]
        verdict = "" if target is None else f"{target:g} {'ok' if median < target else 'MISSED'}"
        print(
            f"{label:<{width}}  {median:>10.3f}  {f['fastest_s']:>11.3f}  "
            f"{f['cpu_s']:>7.3f}  {verdict:>10}  {', '.join(f['heavy_imports']) or 'none'}"
        )
    for example, (walls, cpus) in cold.items():
        print(
            f"first export of {example}'s full year (computes and keeps the envelope), "
            f"{len(walls)} run(s): median {statistics.median(walls):.1f} s, "
            f"CPU {statistics.median(cpus):.1f} s"
        )
        figures[f"first export of {example} (envelope computed)"] = {
            "median_s": statistics.median(walls),
            "fastest_s": min(walls),
            "cpu_s": statistics.median(cpus),
        }
    return finish(args, info, started, {"commands": figures}, [])


if __name__ == "__main__":
    sys.exit(main())
