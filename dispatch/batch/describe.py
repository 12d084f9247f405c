"""One line each: what a run of a sweep would solve (a dry run), and what a run did."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dispatch.batch.folder import BatchFolder
from dispatch.batch.summary import SUMMARY_CSV
from dispatch.batch.task import ERROR, PENDING, SETTLED, check_command
from dispatch.scenario.sweep import OPERATE, RUN, Sweep, Variant

if TYPE_CHECKING:
    from dispatch.batch.run import BatchReport

SHOWN_NAMES = 5
"""Variants named by a dry run's line; the rest are counted."""
VERBS = {RUN: ("solve", "solving"), OPERATE: ("operate", "operating")}
"""What a batch does with each variant, by the sweep's command: verb and participle."""


def plan(sweep: Sweep, out: str | Path) -> tuple[list[Variant], list[Variant]]:
    """The variants already settled in ``out`` and those a run would solve.

    Raises
    ------
    ScenarioError
        A variant the sweep's command cannot do (:func:`check_command`), or ``out``
        would be refused by a run (:meth:`BatchFolder.check`).
    """
    check_command(sweep)
    folder = BatchFolder(out)
    folder.check(sweep)
    todo = folder.todo(sweep)
    names = {v.name for v in todo}
    return [v for v in sweep.variants if v.name not in names], todo


def describe_plan(sweep: Sweep, out: str | Path) -> str:
    """One line of bounded length: what a run of ``sweep`` into ``out`` would solve.

    The counts, and the first :data:`SHOWN_NAMES` variants to solve by name.
    """
    done, todo = plan(sweep, out)
    names = ", ".join(v.name for v in todo[:SHOWN_NAMES])
    if len(todo) > SHOWN_NAMES:
        names += f" ... and {len(todo) - SHOWN_NAMES:,} more"
    listed = f"{len(todo):,} ({names})" if todo else "none"
    return (
        f"{sweep.source}: {len(sweep.variants):,} variants valid, {len(done):,} already "
        f"complete in {out}; to {VERBS[sweep.command][0]}: {listed}"
    )


def describe(report: BatchReport) -> str:
    """One line: how many variants ended how, and where the summary is."""
    statuses = list(report.statuses.values())
    counts = {s: statuses.count(s) for s in (*SETTLED, ERROR, PENDING) if s in statuses}
    parts = ", ".join(f"{n} {s}" for s, n in counts.items())
    return (
        f"{len(report.statuses)} variants: {parts} ({report.skipped} already complete); "
        f"summary in {report.out / SUMMARY_CSV}"
    )
