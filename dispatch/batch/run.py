"""Running a batch: every variant of a sweep not yet solved with the same inputs, resumably.

:func:`run_sweep` checks and locks the batch folder (:mod:`dispatch.batch.folder`),
solves what is to do on local processes (:mod:`dispatch.batch.local_processes`) or a
Dask cluster (:mod:`dispatch.batch.dask_cluster`), records each outcome as it comes,
shows the progress (:mod:`dispatch.batch.progress`) and rebuilds the summaries
(:mod:`dispatch.batch.summary`); it returns a :class:`BatchReport`.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from dispatch.batch.dask_cluster import dask_client, on_dask
from dispatch.batch.describe import VERBS
from dispatch.batch.folder import BatchFolder
from dispatch.batch.local_processes import on_processes
from dispatch.batch.progress import BatchProgress
from dispatch.batch.summary import write_summary
from dispatch.batch.task import OK, PENDING, check_command
from dispatch.core.processes import usable_cores
from dispatch.scenario.sweep import MAX_VARIANTS, Sweep, load_sweep


@dataclass
class BatchReport:
    """What a batch run did.

    Attributes
    ----------
    out
        The output folder.
    statuses
        Status of every variant of the sweep after the run (``pending`` if not run).
    errors
        The one-line error of every variant that failed, by name.
    skipped
        Variants settled by an earlier run with the same inputs, not solved again.
    solved
        Variants solved in this run, whatever their outcome.
    interrupted
        Whether the run was stopped (Ctrl-C) before every variant was solved.
    """

    out: Path
    statuses: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    skipped: int = 0
    solved: int = 0
    interrupted: bool = False

    @property
    def failed(self) -> list[str]:
        """Variants whose outcome is not ``ok`` (``pending`` ones excluded)."""
        return [n for n, s in self.statuses.items() if s not in (OK, PENDING)]

    @property
    def complete(self) -> int:
        """Variants with an outcome, success or failure."""
        return sum(s != PENDING for s in self.statuses.values())


def run_sweep(
    sweep: Sweep | str | Path,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    stream: IO[str] | None = None,
    max_variants: int = MAX_VARIANTS,
) -> BatchReport:
    """Solve every variant of a sweep not already solved with the same inputs.

    A sweep of ``command: operate`` operates each variant as
    :func:`~dispatch.operate` does, with its scenario's ``operation`` settings.

    Parameters
    ----------
    sweep
        A sweep from :func:`~dispatch.load_sweep`, or the sweep file.
    out
        Output folder: ``variants/NAME/``, ``manifest.json``, ``summary.csv``,
        ``summary.nc``. It must not exist, be empty or be a batch folder dispatch
        wrote, and must not be, hold or lie inside the base study's folder, nor be
        or hold the sweep file.
    workers
        Local worker processes; default one per core available to this process.
    scheduler
        Address of a Dask scheduler (``tcp://HOST:PORT``) to solve on instead of
        local processes; its workers must see ``out`` and the base study at the same
        paths.
    progress
        A progress bar on ``stream``; default when ``stream`` is a terminal.
        Without it, one line per variant solved.
    stream
        Where progress goes; default ``sys.stderr``.
    max_variants
        Most variants a sweep file given by its path may have (:func:`load_sweep`).

    Returns
    -------
    BatchReport
        Status of every variant; ``interrupted`` if Ctrl-C stopped the run, which a
        rerun then resumes.

    Raises
    ------
    ScenarioError
        The sweep file or a variant is invalid, ``out`` is refused (nothing is
        solved or written), or the scheduler cannot be reached.

    Examples
    --------
    >>> from dispatch import run_sweep
    >>> report = run_sweep("networks/olkaria/sweep.yaml", "results/sweep")  # doctest: +SKIP
    >>> report.failed  # doctest: +SKIP
    []
    """
    if not isinstance(sweep, Sweep):
        sweep = load_sweep(sweep, max_variants)
    check_command(sweep)
    folder = BatchFolder(out)
    folder.check(sweep)
    report = BatchReport(folder.path)
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(dask_client(scheduler)) if scheduler else None
        stack.enter_context(folder.lock())
        folder.clean()
        todo = folder.todo(sweep)
        report.skipped = len(sweep.variants) - len(todo)
        by_name = {v.name: v for v in todo}
        tasks = [folder.task(v, sweep) for v in todo]
        if client is None:
            workers = min(workers or usable_cores(), max(len(tasks), 1))
            outcomes = on_processes(tasks, workers)
            where = f"{workers} local worker{'s' * (workers > 1)}"
        else:
            outcomes = on_dask(tasks, client)
            where = f"the Dask scheduler {scheduler}"
        heading = (
            f"{sweep.source}: {len(sweep.variants)} variants, {report.skipped} already "
            f"complete; {VERBS[sweep.command][1]} {len(tasks)} on {where}"
        )
        if folder.unreadable:
            heading += f" ({folder.manifest_path} was unreadable: no variant counts as done)"
        meter = BatchProgress(len(tasks), stream or sys.stderr, progress, heading)
        try:
            with contextlib.closing(outcomes):
                for outcome in outcomes:
                    folder.record(by_name[outcome.name], outcome)
                    report.solved += 1
                    meter.update(outcome)
        except KeyboardInterrupt:
            report.interrupted = True
        finally:
            meter.close()
        table = write_summary(folder, sweep)
    report.statuses = dict(zip(table.index, table["status"], strict=True))
    report.errors = {n: e for n, e in zip(table.index, table["error"], strict=True) if e}
    return report
