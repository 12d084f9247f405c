"""Processes: how many cores this one may use, whether another lives, dying with a parent."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path


def usable_cores() -> int:
    """Cores this process may run on (a SLURM or container limit, not the machine's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


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
