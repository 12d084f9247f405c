"""Solving the variants on a pool of local worker processes, yielding outcomes as they come."""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from dispatch.batch.task import Outcome, Task, outcome_of
from dispatch.batch.worker import solve_variant, start_local_worker
from dispatch.batch.worker_process import WorkerContext, WorkerProcess

IN_FLIGHT_PER_WORKER = 2
"""Variants handed to the local pool per worker at a time: one running, one queued."""


def on_processes(tasks: list[Task], workers: int) -> Iterator[Outcome]:
    """Solve on a pool of local processes, yielding outcomes as they come.

    A worker that dies (killed, out of memory) breaks the pool: every variant in
    the pool at that moment is recorded as an error (a rerun solves them again) and
    a new pool takes the rest. Closing the generator early (Ctrl-C) ends the
    workers at once: their result folders are written all or nothing.
    """
    if not tasks:
        return

    def new_pool() -> ProcessPoolExecutor:
        # Spawned workers, not forked by a fork server: its socket lies in a folder
        # that only this process's exit handlers remove, so kill -9 left it.
        return ProcessPoolExecutor(
            workers,
            mp_context=WorkerContext(),
            initializer=start_local_worker,
            initargs=(os.getpid(),),
        )

    pool = new_pool()
    queue = iter(tasks)
    running: dict[Future, Task] = {}

    def submit(count: int) -> None:
        nonlocal pool
        for task in list(itertools.islice(queue, count)):
            try:
                future = pool.submit(solve_variant, task)
            except BrokenProcessPool:
                pool.shutdown(wait=False)
                pool = new_pool()
                future = pool.submit(solve_variant, task)
            running[future] = task

    finished = False
    try:
        submit(IN_FLIGHT_PER_WORKER * workers)
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield outcome_of(future, running.pop(future))
            submit(len(done))
        finished = True
    finally:
        if not finished:
            # Every worker, also one that Ctrl-C caught the pool starting, before the
            # pool recorded it (a process joins active_children in its start()).
            for process in multiprocessing.active_children():
                if isinstance(process, WorkerProcess):
                    process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
