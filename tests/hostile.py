"""Checks for hostile-input tests: the CLI in a fresh process, one line, nothing touched.

Each hostile case runs ``dispatch`` as a user would, in its own process with its
address space capped, and checks what the user sees (exit code, one line on stderr,
no traceback) and what is left on disk (folders as before, no temporaries).
"""

from __future__ import annotations

import hashlib
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

TINY = Path(__file__).parent / "data" / "tiny"
"""A four-hour study: the cheapest real study to run."""

ADDRESS_SPACE_BYTES = 6 * 1024**3
"""Address space of a child run: a memory bomb fails there, not on the machine [B]."""

_TEMPORARY = re.compile(r"^\..*\.(dispatch-|old\.)|^\.[^.]+\.[A-Za-z0-9_]{8}$|^dispatch-")


@dataclass(frozen=True)
class Outcome:
    """What one ``dispatch`` process did.

    Attributes
    ----------
    code
        Exit code; the negated signal number if a signal ended it.
    stdout, stderr
        What it printed.
    seconds
        Wall-clock time [s].
    peak_mib
        Peak resident memory of the process [MiB].
    """

    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mib: float


def run_dispatch(
    *args: str | Path,
    cwd: Path | None = None,
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> Outcome:
    """Run ``python -m dispatch.cli ARGS`` in a fresh process and wait for it.

    The process is started by a small launcher process, which reports its exit status
    and peak memory: started from the test process itself, it would inherit the test
    process's peak resident memory through fork and exec.

    Parameters
    ----------
    args
        The command line after ``dispatch``.
    cwd
        Working folder of the process; the current one if None.
    timeout
        Time after which the process and its children are killed and the test fails
        [s].
    env
        Extra environment variables.
    """
    command = [sys.executable, "-m", "dispatch.cli", *map(str, args)]
    read_status, write_status = os.pipe()
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", _LAUNCHER, str(write_status), *command],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        pass_fds=(write_status,),
        start_new_session=True,
        preexec_fn=_cap_address_space,
    )
    os.close(write_status)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise AssertionError(f"dispatch {' '.join(map(str, args))} ran past {timeout} s") from None
    finally:
        with os.fdopen(read_status) as status:
            report = status.read().split()
    seconds = time.perf_counter() - start
    code, peak_kib = map(int, report)
    return Outcome(code, stdout, stderr, seconds, peak_kib / 1024)


_LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with os.fdopen(int(sys.argv[1]), "w") as report:
    report.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""
"""Starts the command, waits for it, writes its exit code and peak memory [KiB]."""


def default_sigint() -> None:
    """For ``preexec_fn``: SIGINT's default action, as a terminal's Ctrl-C finds a
    command, also where the tests came with it ignored (a job started with ``&``, as CI
    may be), which a child would inherit."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cap_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_BYTES, ADDRESS_SPACE_BYTES))


def assert_one_line_error(outcome: Outcome, *names: str | Path, code: int = 2) -> str:
    """Check that a run failed with exit ``code`` and one line naming each of ``names``.

    Returns
    -------
    str
        The line.
    """
    lines = outcome.stderr.strip().splitlines()
    assert outcome.code == code, f"exit {outcome.code}, expected {code}: {outcome.stderr!r}"
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}: {outcome.stderr!r}"
    assert "Traceback" not in outcome.stderr + outcome.stdout
    line = lines[0]
    for name in names:
        assert str(name) in line, f"{str(name)!r} not named in {line!r}"
    return line


def tree(folder: Path) -> dict[str, str]:
    """Snapshot of a folder: relative path -> content hash; symlinks as their target.

    Returns ``{}`` if ``folder`` does not exist.
    """
    folder = Path(folder)
    if not folder.exists() and not folder.is_symlink():
        return {}
    snapshot = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            key = str(path.relative_to(folder))
            if path.is_symlink():
                snapshot[key] = f"link:{os.readlink(path)}"
            elif path.is_dir():
                snapshot[key] = "folder"
            else:
                snapshot[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return snapshot


def litter(folder: Path) -> list[str]:
    """Names in ``folder`` (not recursive) that look like dispatch's temporaries."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if _TEMPORARY.search(p.name))


def copy_study(source: Path, destination: Path) -> Path:
    """Copy a study folder to ``destination`` and return the copy."""
    return Path(shutil.copytree(source, destination))
