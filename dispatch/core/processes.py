"""Processes: usable cores, whether another process lives, dying with a parent,
interrupts held back over work they must not cut, and keeping what a solver writes to
file descriptor 1 off the user's standard output."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path


def usable_cores() -> int:
    """Cores this process may use: the machine's, less a SLURM or container limit.

    loky's ``cpu_count`` takes the least of the machine's cores, the CPU affinity
    (``taskset``, SLURM), the cgroup v1 or v2 CPU quota (``docker --cpus``,
    Kubernetes CPU limits) rounded up, and ``LOKY_MAX_CPU_COUNT`` if set; at least 1.
    """
    from loky import cpu_count  # imported here: it costs ``dispatch --help`` ~50 ms

    return cpu_count()


def die_with_parent(parent: int) -> None:
    """Have this process killed when its parent ends, so that it writes nothing for a
    parent that is gone (Linux: ``PR_SET_PDEATHSIG``, bound to the thread that forked,
    which must outlive the child; elsewhere only checked now).

    Parameters
    ----------
    parent
        Process id of the parent, as the parent read it before forking.
    """
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the call above
        os._exit(1)


def process_alive(pid: int) -> bool:
    """Whether a process runs with this id (a zombie does not; another user's does)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence output written straight to file descriptor 1 (the HiGHS banner)."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (AttributeError, OSError, ValueError):  # no real stdout (closed, some notebooks)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold back SIGINT and SIGTERM over the block, then deliver them to the handlers
    they had.

    For work an exception must not cut short: netCDF4's library lock, taken and
    released around each of its calls, stays taken if an interrupt raises between
    the two, and the file's closing then waits for it forever. Only signals with a
    Python handler are held (one that is the default action ends the process at once
    anyway), and only in the main thread, the one Python's handlers run in.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    held = {}
    for number in (signal.SIGINT, signal.SIGTERM):
        if callable(signal.getsignal(number)):
            held[number] = signal.signal(number, lambda number, _: received.append(number))
    try:
        yield
    finally:
        for number, handler in held.items():
            signal.signal(number, handler)
        for number in dict.fromkeys(received):
            signal.raise_signal(number)
