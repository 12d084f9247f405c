"""Solving the variants on a pool of local worker processes, yielding outcomes as they come."""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from dispatch.batch.task import Outcome, Task, outcome_of
from dispatch.batch.worker import solve_variant, start_local_worker

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
    # Workers are fresh interpreters, never forks of this process, which may hold
    # threads (tqdm's monitor, the pool's own). Not a fork server: its socket lies
    # in a folder that only this process's exit handlers remove, so kill -9 left it.
    context = multiprocessing.get_context("spawn")

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            workers, mp_context=context, initializer=start_local_worker, initargs=(os.getpid(),)
        )

    pool = new_pool()
    queue = iter(tasks)
    running: dict[Future, Task] = {}

    def submit(count: int) -> None:
        nonlocal pool
        for task in list(itertools.islice(queue, count)):
            with _spawning_deaf_workers():  # the pool may spawn a worker
                try:
                    future = pool.submit(solve_variant, task)
                except BrokenProcessPool:
                    pool.shutdown(wait=False)
                    pool = new_pool()
                    future = pool.submit(solve_variant, task)
            running[future] = task

    try:
        submit(IN_FLIGHT_PER_WORKER * workers)
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield outcome_of(future, running.pop(future))
            submit(len(done))
    finally:
        if running:
            # ProcessPoolExecutor.terminate_workers() from Python 3.14 on.
            for process in list(pool._processes.values()):
                process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _spawning_deaf_workers() -> Iterator[None]:
    """Workers spawned meanwhile start with Ctrl-C ignored, so that one while they
    import prints no traceback in them: an ignored signal stays ignored across exec,
    and Python leaves it so. This thread holds a Ctrl-C back meanwhile (a blocked
    signal is not ignored) and gets it as the block ends."""
    handler = signal.getsignal(signal.SIGINT)
    main = threading.current_thread() is threading.main_thread()
    if not main or handler is None or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
