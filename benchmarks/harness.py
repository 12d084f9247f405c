"""What the benchmarks share: the machine, timed child processes, the report around the tables.

The ``bench_*.py`` scripts run with this folder on ``sys.path`` and import this module
by name. It imports only the standard library, so that a child process of a benchmark
starts as fast as before and measures ``dispatch`` cold.

- The machine: :func:`machine` (CPU, cores, memory, Python, package versions, git
  commit, :func:`two_process_slowdown`), printed by :func:`header`.
- Child processes: :func:`run_timed` runs a command to its end (wall and CPU time
  [s], peak RSS [MiB], exit code); :func:`run_python_child` runs a script's child
  measurement (its arguments and figures passed as JSON, see :func:`child_main`);
  :func:`alternate` repeats measurements taking turns.
- The report: :func:`command_line` (the options all benchmarks spell alike),
  :func:`table_title` and :func:`row` (tables of times and shares), :func:`finish`
  (the benchmark's time, JSON figures, failures, exit code).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, NoReturn, TypeVar

REPO = Path(__file__).resolve().parent.parent
VERSIONS = ("dispatch", "pypsa", "linopy", "highspy", "numpy", "pandas", "xarray")
"""Packages whose versions the header gives."""

T = TypeVar("T")


# --------------------------------------------------------------------------------------
# The machine
# --------------------------------------------------------------------------------------


def monotonic() -> float:
    """System-wide monotonic clock, comparable between processes [s]."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far [MiB]."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as text."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def two_process_slowdown(loops: int = 15_000_000) -> float:
    """How much longer a CPU-bound loop takes when two run at once [1].

    1.0 means two truly parallel cores (a forked second process then costs no wall
    time); 2.0 means the two processes share one core's worth of CPU, as on some
    virtual machines.
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


def _git_commit() -> str | None:
    """The repository's commit, and whether tracked files were changed since."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        git = ["git", "-C", str(REPO)]
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return head + (" + uncommitted changes" if dirty else "")
    return None


def machine() -> dict[str, Any]:
    """The machine and software the figures were taken on (memory [GiB], times [s])."""
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
        "commit": _git_commit(),
    }


def field(name: str, text: str) -> str:
    """One line of a header: ``Name:`` padded to the column of the others, then text."""
    return f"{name + ':':<12}{text}"


def header(title: str, info: dict[str, Any], lines: list[str], width: int) -> str:
    """The title, the machine of :func:`machine` and ``lines`` (e.g. the settings),
    between rules ``width`` characters wide."""
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items() if v)
    memory = f", {info['memory_gib']:.1f} GiB RAM" if info["memory_gib"] else ""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    bytecode = "; PYTHONDONTWRITEBYTECODE set" if info["pythondontwritebytecode"] else ""
    return "\n".join(
        [
            "=" * width,
            title,
            field(
                "Machine",
                f"{info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable)"
                f"{memory}, {info['system']}; load average {load} (1, 5, 15 min)",
            ),
            field(
                "Python",
                f"{info['python']} ({info['python_executable']}); "
                f"`python -c pass` {info['python_startup_s']:.2f} s{bytecode}",
            ),
            field(
                "Parallel",
                f"two CPU-bound processes at once take {info['two_process_slowdown']:.2f}x "
                "as long as one (1.0: two real cores)",
            ),
            field("Packages", versions),
            field("Repository", f"{info['repository']} @ {info['commit'] or 'unknown'}"),
            *lines,
            "=" * width,
        ]
    )


# --------------------------------------------------------------------------------------
# Child processes
# --------------------------------------------------------------------------------------


class ChildFailed(RuntimeError):
    """A measured subprocess exited with an error."""


@dataclass(frozen=True)
class Finished:
    """A command run to its end by :func:`run_timed`."""

    wall_s: float
    """Wall-clock time from launch to exit [s]."""
    cpu_s: float
    """User plus system CPU time of the process and its reaped children [s]."""
    peak_rss_mib: float
    """``ru_maxrss`` from ``wait4``: the largest of the process and its reaped
    children, not their sum [MiB]."""
    code: int
    """The exit code."""

    def check(self, what: str, stderr: Path) -> None:
        """Raise :class:`ChildFailed` with the end of ``stderr`` if the command failed."""
        if self.code != 0:
            tail = stderr.read_text(errors="replace").strip().splitlines()[-15:]
            raise ChildFailed(f"{what} exited with {self.code}:\n    " + "\n    ".join(tail))


def run_timed(command: list[str], stderr: Path | None = None, cwd: Path | None = None) -> Finished:
    """Run a command to its end, its output discarded, standard error kept in ``stderr``.

    Parameters
    ----------
    command
        The program and its arguments.
    stderr
        Receives the command's standard error (discarded if None).
    cwd
        The working folder (this process's if None).
    """
    with contextlib.ExitStack() as stack:
        err = subprocess.DEVNULL if stderr is None else stack.enter_context(open(stderr, "wb"))
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return Finished(wall, cpu, usage.ru_maxrss / 1024, process.returncode)


def run_python_child(
    script: str, mode: str, request: dict[str, Any], scratch: Path
) -> tuple[dict[str, Any], dict[str, float]]:
    """Run ``script``'s child measurement ``mode`` in a fresh Python process.

    Parameters
    ----------
    script
        The benchmark script (``__file__``); its ``main`` hands ``mode`` to
        :func:`child_main`.
    mode
        The child's command-line flag, e.g. ``--child-stages``.
    request
        The child's keyword arguments (JSON).
    scratch
        A folder for the child's answer and standard error.

    Returns
    -------
    tuple of dict, dict
        The child's figures, and the process's ``wall_s`` [s] and ``peak_rss_mib``
        [MiB]; if the child's figures give ``first_monotonic`` and ``last_monotonic``
        (:func:`monotonic` at its first and last statement), also ``startup_s``
        (launch to the first statement) and ``exit_s`` (the last one to the end) [s].

    Raises
    ------
    ChildFailed
        The child exited with an error.
    """
    answer, stderr = scratch / "child.json", scratch / "stderr.txt"
    command = [sys.executable, str(Path(script).resolve()), mode]
    launched = monotonic()
    done = run_timed([*command, json.dumps({**request, "out": str(answer)})], stderr)
    ended = monotonic()
    done.check(f"the {mode.removeprefix('--child-')} process", stderr)
    figures = json.loads(answer.read_text(encoding="utf-8"))
    answer.unlink()
    process = {"wall_s": done.wall_s, "peak_rss_mib": done.peak_rss_mib}
    if "first_monotonic" in figures:
        process["startup_s"] = figures.pop("first_monotonic") - launched
        process["exit_s"] = ended - figures.pop("last_monotonic")
    return figures, process


def child_main(argv: list[str], measures: dict[str, Callable[..., dict]]) -> int | None:
    """Run a child measurement if ``argv`` asks for one (see :func:`run_python_child`).

    Parameters
    ----------
    argv
        The script's arguments: a mode of ``measures`` and the JSON request (keyword
        arguments, plus ``out``: where to write the figures), or anything else.
    measures
        The measuring function of each mode.

    Returns
    -------
    int or None
        0 once the figures are written; None if ``argv`` asks for no child.
    """
    if len(argv) != 2 or argv[0] not in measures:
        return None
    kwargs = json.loads(argv[1])
    out = Path(kwargs.pop("out"))
    out.write_text(json.dumps(measures[argv[0]](**kwargs)), encoding="utf-8")
    return 0


def exit_without_teardown(code: int) -> NoReturn:
    """End a child process as the ``dispatch`` command ends: output flushed, then
    ``os._exit`` (no module teardown, which the command skips too)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def measure_each(
    studies: list[Path],
    measure: Callable[[Path, Path], dict[str, Any]],
    report: Callable[[dict[str, Any]], str],
) -> tuple[list[dict[str, Any]], list[str]]:
    """Measure each study in a folder of its own under a temporary folder (removed
    afterwards), printing each study's report as it comes.

    Parameters
    ----------
    studies
        Study folders or scenario files.
    measure
        ``measure(study, folder)``: the study's figures; raises :class:`ChildFailed`.
    report
        The printed report of one study's figures.

    Returns
    -------
    tuple
        The figures of the studies measured, and a line per study that failed.
    """
    measured: list[dict[str, Any]] = []
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="dispatch-bench-") as tmp:
        for i, study in enumerate(studies):
            print(f"\nmeasuring {study} ...", file=sys.stderr, flush=True)
            try:
                figures = measure(study, Path(tmp) / str(i))
            except ChildFailed as exc:
                failures.append(f"{study}: {exc}")
                print(f"\n### {study}: FAILED\n  {exc}", flush=True)
                continue
            measured.append(figures)
            print(report(figures), flush=True)
    return measured, failures


def alternate(repeat: int, measurements: dict[str, Callable[[], T]]) -> dict[str, list[T]]:
    """Take every measurement ``repeat`` times, taking turns, so that drift in the
    machine's load affects all alike; each one's results in order."""
    results: dict[str, list[T]] = {name: [] for name in measurements}
    for _ in range(repeat):
        for name, measure in measurements.items():
            results[name].append(measure())
    return results


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


# --------------------------------------------------------------------------------------
# Command line and report
# --------------------------------------------------------------------------------------


def table_title(title: str) -> str:
    """The title line of a table of :func:`row`: the title, then the columns' units."""
    return f"{title:<60}{'[s]':>9}{'share':>8}"


def row(label: str, seconds: float | None, total: float | None = None, note: str = "") -> str:
    """One table line: label, time [s], share of ``total`` [%], note."""
    value = "" if seconds is None else f"{seconds:8.2f}"
    share = "" if not total or seconds is None else f"{seconds / total:6.0%}"
    line = f"  {label:<58}{value:>9}{share:>8}"
    return f"{line}  {note}".rstrip()


def command_line(
    description: str,
    repeat: tuple[int, str] | None = None,
    hours: tuple[float | None, str] | None = None,
    json_option: bool = True,
) -> argparse.ArgumentParser:
    """A parser with the options the benchmarks spell alike.

    Parameters
    ----------
    description
        What the benchmark does (``--help``).
    repeat
        ``--repeat N``: its default and what is repeated; none if None.
    hours
        ``--hours H``: its default (None: the whole horizon) and help; none if None.
    json_option
        ``--json PATH``: where to write every figure.
    """
    parser = argparse.ArgumentParser(description=description)
    if repeat is not None:
        default, what = repeat
        parser.add_argument(
            "--repeat", type=int, default=default, metavar="N", help=f"{what} (default {default})"
        )
    if hours is not None:
        parser.add_argument("--hours", type=float, default=hours[0], help=hours[1])
    if json_option:
        parser.add_argument("--json", type=Path, metavar="PATH", help="write all figures here")
    return parser


def finish(
    args: argparse.Namespace,
    info: dict[str, Any],
    started: float,
    figures: dict[str, Any],
    failures: list[str],
) -> int:
    """End a benchmark: its time, every figure as JSON to ``--json`` if given, failures.

    Parameters
    ----------
    args
        The parsed command line (its options are saved as the settings).
    info
        The machine (:func:`machine`).
    started
        ``time.perf_counter()`` when the measurements began [s].
    figures
        The benchmark's figures, saved beside the machine and settings.
    failures
        What failed, listed on standard error.

    Returns
    -------
    int
        The exit code: 1 if anything failed, else 0.
    """
    total = time.perf_counter() - started
    print(f"\nbenchmark time {total:.0f} s; load average now {os.getloadavg()[0]:.2f}")
    path = getattr(args, "json", None)
    if path is not None:
        settings = {k: v for k, v in vars(args).items() if k != "json"}
        report = {"machine": info, "settings": settings, "benchmark_s": total, **figures}
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({**report, "failures": failures}, indent=2, default=str)
        path.write_text(text + "\n", encoding="utf-8")
        print(f"figures written to {path}")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0
