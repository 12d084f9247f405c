"""How fast the command line answers: ``--help``, ``--version``, ``validate``, ``import``.

Run it from anywhere with the package installed::

    python3 benchmarks/bench_cli.py               # 9 runs of each command
    python3 benchmarks/bench_cli.py --repeat 21

Each command runs in a fresh process (every import cold, as a user's shell starts
it), ``--repeat`` times, the commands taking turns so that drift in the machine's
load affects all alike. The table gives the median and the fastest wall-clock time
[s], the median CPU time (user + system, less sensitive to other processes on the
machine) [s] and the target of the wall-clock median (``--help`` and ``--version``
0.3 s, ``validate`` of a shipped example 1 s), the interpreter's own start-up for
reference, and which heavy modules each command imported. Not a test: timings
depend on the machine and its load, printed above the table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "networks" / "olkaria"
HEAVY = ("pandas", "pydantic", "xarray", "scipy", "pypsa", "linopy", "matplotlib", "distributed")
"""Modules whose import costs a tenth of a second or more."""

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
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return wall, usage.ru_utime + usage.ru_stime


def heavy_imports(command: list[str]) -> list[str]:
    """The modules of :data:`HEAVY` that ``command`` imports (``python -X importtime``)."""
    traced = [command[0], "-X", "importtime", *command[1:]]
    stderr = subprocess.run(traced, check=True, capture_output=True, text=True, cwd=REPO).stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines()}
    return [name for name in HEAVY if name in imported]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="runs of each command")
    args = parser.parse_args()

    times: dict[str, list[tuple[float, float]]] = {label: [] for label in CASES}
    for _ in range(args.repeat):
        for label, (command, _) in CASES.items():
            times[label].append(timed(command))

    width = max(map(len, CASES))
    print(
        f"Python {sys.version.split()[0]} on {os.cpu_count()} cores, {args.repeat} runs each; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(f"{'command':<{width}}  median [s]  fastest [s]  CPU [s]  target [s]  heavy imports")
    for label, (command, target) in CASES.items():
        walls, cpus = zip(*times[label], strict=True)
        median = statistics.median(walls)
        verdict = "" if target is None else f"{target:g} {'ok' if median < target else 'MISSED'}"
        heavy = ", ".join(heavy_imports(command)) or "none"
        print(
            f"{label:<{width}}  {median:>10.3f}  {min(walls):>11.3f}  "
            f"{statistics.median(cpus):>7.3f}  {verdict:>10}  {heavy}"
        )


if __name__ == "__main__":
    main()
