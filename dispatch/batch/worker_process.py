"""The processes of the local worker pool: spawned, deaf to Ctrl-C, ended without teardown.

Kept free of heavy imports: a worker unpickles its process object (this module) before
anything else of dispatch it needs, so what happens here happens about a tenth of a
second after its start (the interpreter's start and the import of the calling
script, which spawn repeats, come first), before it imports PyPSA and the rest.
"""

from __future__ import annotations

import multiprocessing.context
import os
import signal
import sys
from typing import Any


def _unpickled_in_the_worker(cls: type[WorkerProcess]) -> WorkerProcess:
    """Ignore Ctrl-C, then make the process object (its state follows, with the imports
    it needs): Ctrl-C reaches the whole process group, and the batch process handles
    it; a worker still importing would print a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return cls.__new__(cls)


class WorkerProcess(multiprocessing.context.SpawnProcess):
    """A spawned worker process (a fresh interpreter, no fork of the batch process,
    which may hold threads) that ignores Ctrl-C from its start and, once the pool has
    stopped it, ends without the interpreter's teardown of every module (about 1 s
    once PyPSA is imported), which the batch would wait for in ``pool.shutdown``.

    A run that fails ends as Python ends it, with its exit code.
    """

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
