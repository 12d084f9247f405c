"""Solving one variant in a worker process, and writing its folder only while the batch lives.

A worker solves a :class:`~dispatch.batch.task.Task` (or operates it, for a sweep of
``command: operate``) and writes the variant's result folder, all or nothing. A local
worker (:mod:`dispatch.batch.local_processes`) ends when the batch process ends, even
by ``kill -9``: it watches the batch process and exits when it is gone, after the
result folder it may be writing is complete, and a finished folder is moved into place
only while the batch process lives, so nothing is written after the batch process
died. A Dask worker is not the batch's to end.
"""

from __future__ import annotations

import os
import select
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from dispatch.batch.task import BAD_INPUT, ERROR, INFEASIBLE, OK, Outcome, Task
from dispatch.core.errors import InfeasibleError, ScenarioError
from dispatch.core.files import staged_folder
from dispatch.core.processes import process_alive
from dispatch.scenario.load import parse_scenario, study_from_scenario
from dispatch.scenario.sweep import OPERATE, inputs_hash

if TYPE_CHECKING:
    from dispatch.optimization.variants import VariantSolver
    from dispatch.results.result import Result
    from dispatch.scenario.study import Study

WRITE_GRACE_S = 60.0
"""Longest a worker whose batch process died waits for the result folder it is
writing to be complete before it exits [s]."""

_ONE_AT_A_TIME = threading.Lock()
"""Variants run one at a time per process: plotting and silencing HiGHS are
process-wide, so a Dask worker with several threads must not run two at once."""
_WRITING = threading.Lock()
"""Held while a worker writes a result folder: a worker whose batch process died
lets the folder be completed, then exits."""
_batch_pid: int | None = None
"""The batch process of a local worker (None in a Dask worker)."""
_variant_solver: VariantSolver | None = None
"""Solves this process's variants, keeping the LP of the last one."""


def solve_variant(task: Task) -> Outcome:
    """Solve (or operate) one variant and write its result folder (in a worker process).

    The baseline is solved in the same process: the workers already use the cores.
    The worker keeps the LP of its last variant, and a variant that differs from it
    only in numbers is solved by writing them into that LP
    (:class:`~dispatch.optimization.variants.VariantSolver`). A variant of an
    operated sweep is operated as ``dispatch operate`` does
    (:func:`~dispatch.operation.operate.operate`). Never raises: every failure is an
    :class:`Outcome`.
    """
    start, start_cpu = time.perf_counter(), time.process_time()
    status, error = OK, ""
    try:
        with _ONE_AT_A_TIME:
            scenario = parse_scenario(task.scenario, str(task.source))
            study = study_from_scenario(scenario, task.source, task.hours)
            if inputs_hash(study, task.hours, task.command) != task.inputs:
                raise ScenarioError(
                    str(task.source), "", "changed while the batch ran: run the batch again"
                )
            result = _operated(study) if task.command == OPERATE else _solved(study)
            _write_while_batch_lives(result, task.folder)
    except InfeasibleError as exc:
        status, error = INFEASIBLE, str(exc)
    except ScenarioError as exc:  # the study's, or the variant folder refused (not settled)
        refused = Path(exc.file).is_relative_to(task.folder.parent)
        status, error = (ERROR if refused else BAD_INPUT), str(exc)
    except Exception as exc:  # noqa: BLE001 - recorded for the variant, the batch goes on
        status, error = ERROR, f"{type(exc).__name__}: {exc}"
    return Outcome(
        task.name,
        status,
        " ".join(error.split()),
        time.perf_counter() - start,
        time.process_time() - start_cpu,
    )


def _solved(study: Study) -> Result:
    """The variant solved as ``dispatch run`` does, in the LP kept from the last one."""
    global _variant_solver
    from dispatch.optimization.variants import VariantSolver

    if _variant_solver is None:
        _variant_solver = VariantSolver()
    return _variant_solver.solve(study)


def _operated(study: Study) -> Result:
    """The variant operated as ``dispatch operate`` does, with its scenario's settings;
    the perfect-foresight solve in this process (no fork: a Dask worker is daemonic)."""
    from dispatch.operation.operate import operate

    return operate(study, parallel=False)


class _Orphaned(Exception):
    """The batch process has ended: the worker writes nothing more."""


def _write_while_batch_lives(result: Result, folder: Path) -> None:
    """Write a variant's result folder, all or nothing, only while the batch process lives.

    :meth:`Result.write` writes the files into a folder inside a staging folder of
    ``folder``; the staging folder takes the place of ``folder`` only if the batch
    process still runs (always in a Dask worker). Otherwise it is removed and the
    worker exits: a result placed after the batch died would be one it never records.
    """
    with _WRITING:
        try:
            # Not Result.write(folder) alone: it stages and places in one call, leaving
            # no moment to check the batch between writing and placing. So it writes
            # into this staging folder, whose placing waits for the check below; its
            # files move up by renames inside the staging folder.
            with staged_folder(folder, "result", [result.study.source.parent]) as staging:
                written = result.write(staging / folder.name)
                for name in os.listdir(written):
                    os.replace(written / name, staging / name)
                written.rmdir()
                if _batch_pid is not None and not process_alive(_batch_pid):
                    raise _Orphaned
        except _Orphaned:
            os._exit(1)


def start_local_worker(batch: int) -> None:
    """Worker initializer: end with the batch process ``batch``.

    A thread watches the batch process (a pidfd on Linux, else polling) and, once it
    has ended however it ended, ends this worker as soon as no result folder is being
    written: the pool's queues would keep an orphaned worker waiting for ever. (The
    worker ignores Ctrl-C from its start: :mod:`~dispatch.batch.worker_process`.)
    """
    global _batch_pid
    _batch_pid = batch
    threading.Thread(target=_end_with, args=(batch,), daemon=True).start()


def _end_with(batch: int) -> None:
    """Wait for process ``batch`` to end, then end this process without writing more."""
    try:
        select.select([os.pidfd_open(batch)], [], [])  # readable once the process has ended
    except (AttributeError, OSError):  # no pidfd here, or the process is already gone
        while process_alive(batch):
            time.sleep(0.5)
    _WRITING.acquire(timeout=WRITE_GRACE_S)
    os._exit(1)
