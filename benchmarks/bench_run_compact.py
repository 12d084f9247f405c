"""Section 6 of ``bench_run.py``: the compact LP (``compact_lp.py``) as a whole process.

The speed anchor of ``dispatch run``: ``python3 compact_lp.py STUDY`` starts Python,
imports ``dispatch.scenario.load``, scipy.sparse and highspy, loads the study, builds
MODEL.md's LP straight into HiGHS and solves both runs. It runs in turn with
``dispatch run`` (see ``bench_run.py``); its objectives must equal those ``dispatch
run`` wrote into ``summary.json``. Not a script of its own.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

from harness import monotonic, row, run_timed, table_title

COMPACT_LP = Path(__file__).resolve().parent / "compact_lp.py"
NOT_STATED = 3
"""Exit code of ``compact_lp.py`` for a study it does not state (its ``NOT_STATED``)."""
TARGET = 2.0
"""Target: ``dispatch run`` within this many times the compact LP's process [-]."""
STRETCH = 1.5
"""Stretch target [-]."""
OBJECTIVE_RTOL = 1e-6
"""Largest relative difference allowed between the compact LP's objectives and
``dispatch run``'s."""
PARTS = {
    "startup_s": "start-up and imports (scenario loading, scipy, highspy)",
    "load_s": "load_study",
    "build_s": "build: arrays, sparse matrix, passModel",
    "baseline_s": "baseline solve (cold, presolve)",
    "flexible_s": "flexible solve (from the baseline's basis)",
    "exit_s": "interpreter exit (module teardown)",
    "other_s": "unaccounted (arguments, printing)",
}
"""The parts of the compact LP's process, in order."""
RUNS = ("flexible", "baseline")


def compact_process(study: Path, hours: float | None, scratch: Path) -> dict[str, Any]:
    """Run ``compact_lp.py`` on ``study`` as a fresh process; its figures.

    Returns
    -------
    dict
        ``wall_s`` and the parts of :data:`PARTS` [s], ``peak_rss_mib`` [MiB], each
        run's objective [currency] and simplex iterations, the LP's size; or only
        ``not_stated`` (why) if the compact LP does not state the study.

    Raises
    ------
    harness.ChildFailed
        The process failed otherwise.
    """
    answer, stderr = scratch / "compact.json", scratch / "compact-stderr.txt"
    command = [sys.executable, str(COMPACT_LP), str(study), "--json", str(answer)]
    command += [] if hours is None else ["--hours", str(hours)]
    launched = monotonic()
    done = run_timed(command, stderr)
    ended = monotonic()
    if done.code == NOT_STATED:
        return {"not_stated": stderr.read_text(errors="replace").strip()}
    done.check("compact_lp.py", stderr)
    figures = json.loads(answer.read_text(encoding="utf-8"))
    answer.unlink()
    parts = {
        "startup_s": figures["main_monotonic"] - launched,
        "load_s": figures["load_s"],
        "build_s": figures["build_s"],
        **{f"{run}_s": figures[run]["solve_s"] for run in RUNS},
        "exit_s": ended - figures["last_monotonic"],
    }
    return {
        "wall_s": done.wall_s,
        "peak_rss_mib": done.peak_rss_mib,
        **parts,
        "other_s": done.wall_s - sum(parts.values()),
        **{f"{run}_objective": figures[run]["objective"] for run in RUNS},
        **{f"{run}_iterations": figures[run]["simplex_iterations"] for run in RUNS},
        "lp": {k: figures[k] for k in ("columns", "rows", "nonzeros")},
    }


def dispatch_objectives(summary: Path) -> dict[str, float]:
    """Both runs' objectives in the ``summary.json`` of a ``dispatch run`` [currency]."""
    figures = json.loads(summary.read_text(encoding="utf-8"))
    return {"flexible": figures["objective"], "baseline": figures["baseline"]["objective"]}


def compact_figures(
    runs: list[dict[str, Any]], dispatch_wall_s: float, objectives: dict[str, float]
) -> dict[str, Any]:
    """The compact LP's medians [s], the ratio of ``dispatch run`` to it, and the check
    of its objectives against ``dispatch run``'s ``objectives`` [currency].

    Parameters
    ----------
    runs
        The figures of each :func:`compact_process`.
    dispatch_wall_s
        Median wall time of ``dispatch run`` measured in turn with these [s].
    objectives
        Both runs' objectives as ``dispatch run`` reported them [currency].
    """
    if "not_stated" in runs[0]:
        return {"not_stated": runs[0]["not_stated"]}
    median = {key: statistics.median(r[key] for r in runs) for key in ("wall_s", *PARTS)}
    checks = {}
    for run in RUNS:
        ours = runs[0][f"{run}_objective"]
        rel = abs(ours - objectives[run]) / max(1.0, abs(objectives[run]))
        checks[run] = {"compact": ours, "dispatch": objectives[run], "rel_diff": rel}
    return {
        "runs": runs,
        **median,
        "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
        "lp": runs[0]["lp"],
        "iterations": {run: runs[0][f"{run}_iterations"] for run in RUNS},
        "objectives": checks,
        "objective_ok": all(c["rel_diff"] <= OBJECTIVE_RTOL for c in checks.values()),
        "ratio": dispatch_wall_s / median["wall_s"],
        "target": TARGET,
        "stretch": STRETCH,
    }


def verdict(ratio: float) -> str:
    """How a ratio of ``dispatch run`` to the compact LP stands against the targets."""
    if ratio <= STRETCH:
        return "stretch met"
    return "met" if ratio <= TARGET else "missed"


def format_compact(compact: dict[str, Any], dispatch_wall_s: float) -> list[str]:
    """Section 6 as printed: the compact LP's parts, objectives and the ratio."""
    if "not_stated" in compact:
        return ["", f"6. Compact LP: not measured ({compact['not_stated']})"]
    lp, wall = compact["lp"], compact["wall_s"]
    runs = " ".join(f"{r['wall_s']:.2f}" for r in compact["runs"])
    out = [
        "",
        table_title(
            f"6. Compact LP (compact_lp.py), whole process, median of {len(compact['runs'])}"
        ),
        *(row(label, compact[key], wall) for key, label in PARTS.items()),
        row("whole process", wall, note=f"runs: {runs}"),
        f"  LP: {lp['columns']:,} columns, {lp['rows']:,} rows, {lp['nonzeros']:,} nonzeros; "
        f"simplex iterations: baseline {compact['iterations']['baseline']:,}, flexible "
        f"{compact['iterations']['flexible']:,}; peak RSS {compact['peak_rss_mib']:,.0f} MiB",
    ]
    for run, check in compact["objectives"].items():
        ok = "OK" if check["rel_diff"] <= OBJECTIVE_RTOL else "MISMATCH"
        out.append(
            f"  {run} objective {check['compact']:,.4f} vs dispatch run "
            f"{check['dispatch']:,.4f}: rel. diff {check['rel_diff']:.1e} "
            f"(tol {OBJECTIVE_RTOL:g}) {ok}"
        )
    out.append(
        f"  dispatch run / compact LP process: {dispatch_wall_s:.2f} / {wall:.2f} s = "
        f"{compact['ratio']:.2f}x (target {TARGET:g}x, stretch {STRETCH:g}x: "
        f"{verdict(compact['ratio'])})"
    )
    return out
