"""The processes of the local worker pool: spawned, deaf to Ctrl-C, ended without teardown.

A worker starts with SIGINT blocked (the signal mask passes through fork and exec),
so that a Ctrl-C during its first tenth of a second (the interpreter's start and the
import of the calling script, which spawn repeats) waits; it then ignores SIGINT,
which discards such a Ctrl-C, as soon as it unpickles its process object (this
module, kept free of heavy imports), before it imports PyPSA and the rest.
"""

from __future__ import annotations

import multiprocessing.context
import multiprocessing.resource_tracker
import os
import signal
import sys
from typing import Any

from dispatch.core.processes import interrupts_deferred


def _unpickled_in_the_worker(cls: type[WorkerProcess]) -> WorkerProcess:
    """Ignore Ctrl-C (discarding one held back since the start), unblock it, then make
    the process object (its state follows, with the imports it needs): Ctrl-C reaches
    the whole process group, and the batch process handles it; a worker still
    importing would print a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    return cls.__new__(cls)


class WorkerProcess(multiprocessing.context.SpawnProcess):
    """A spawned worker process (a fresh interpreter, no fork of the batch process,
    which may hold threads) deaf to Ctrl-C from its start and, once the pool has
    stopped it, ends without the interpreter's teardown of every module (about 1 s
    once PyPSA is imported), which the batch would wait for in ``pool.shutdown``.

    A run that fails ends as Python ends it, with its exit code.
    """

    def start(self) -> None:
        """Start the worker with SIGINT blocked. A Ctrl-C meanwhile is held back in this
        process, not lost: it arrives once the worker is started and recorded (in
        ``multiprocessing.active_children``), so that the batch ends it."""
        if not hasattr(signal, "pthread_sigmask"):
            super().start()
            return
        # Started here, the tracker would unblock SIGINT before the worker is started.
        multiprocessing.resource_tracker.ensure_running()
        with interrupts_deferred():
            unblocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                super().start()
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_unpickled_in_the_worker, (type(self),), self.__dict__)

    def run(self) -> None:
        super().run()
        try:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:  # None: started with the descriptor closed
                    stream.flush()
        except (OSError, ValueError):
            return  # Python's own exit reports it
        os._exit(0)


class WorkerContext(multiprocessing.context.SpawnContext):
    """The spawn start method with :class:`WorkerProcess` as its processes."""

    Process = WorkerProcess
