"""How fast the command line answers: ``--help``, ``--version``, ``validate``, ``import``.

Run it from anywhere with the package installed::

    python3 benchmarks/bench_cli.py               # 9 runs of each command
    python3 benchmarks/bench_cli.py --repeat 21 --json /tmp/bench-cli.json

Each command runs in a fresh process (every import cold, as a user's shell starts
it), ``--repeat`` times, the commands taking turns so that drift in the machine's
load affects all alike. The table gives the median and the fastest wall-clock time
[s], the median CPU time (user + system, less sensitive to other processes on the
machine) [s] and the target of the wall-clock median (``--help`` and ``--version``
0.3 s, ``validate`` of a shipped example 1 s), the interpreter's own start-up for
reference, and which heavy modules each command imported. Not a test: timings
depend on the machine and its load, printed above the table (``harness.header``).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from functools import partial

from harness import REPO, alternate, command_line, field, finish, header, machine, run_timed

EXAMPLE = REPO / "networks" / "olkaria"
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
    args = parser.parse_args()
    started = time.perf_counter()
    times = alternate(args.repeat, {label: partial(timed, c) for label, (c, _) in CASES.items()})

    figures = {}
    for label, (command, target) in CASES.items():
        walls, cpus = zip(*times[label], strict=True)
        figures[label] = {
            "median_s": statistics.median(walls),
            "fastest_s": min(walls),
            "cpu_s": statistics.median(cpus),
            "target_s": target,
            "heavy_imports": heavy_imports(command),
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
    return finish(args, info, started, {"commands": figures}, [])


if __name__ == "__main__":
    sys.exit(main())
