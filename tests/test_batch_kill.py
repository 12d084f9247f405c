"""``kill -9`` of ``dispatch batch``: nothing keeps running, nothing is written after.

The batch process is killed while its two local workers solve; its workers and
multiprocessing's resource tracker must end within seconds, no variant folder may
appear after the kill, nothing torn or temporary may be left (in the output folder or
the temporary folder), and a rerun completes.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
import yaml

from dispatch.batch.worker import start_local_worker
from dispatch.batch.worker_process import WorkerContext, WorkerProcess
from hostile import TINY, copy_study, default_sigint, litter, run_dispatch

SOLAR = "sites.s.solar.capacity_mw"
VARIANTS = 8
WORKERS = 2
SECONDS_TO_END = 5.0
"""How long the batch's other processes may take to end after it was killed [s]."""


def session(leader: int) -> list[psutil.Process]:
    """The running processes of the session ``leader`` started (zombies do not run)."""
    found = []
    for process in psutil.process_iter():
        try:
            if os.getsid(process.pid) == leader and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return found


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def variant_folders(out: Path) -> set[str]:
    return {p.name for p in (out / "variants").iterdir() if not p.name.startswith(".")}


def tiny_sweep(folder: Path, sizes: list[int]) -> Path:
    """A sweep of the tiny study's solar capacity over ``sizes`` [MW], in ``folder``."""
    copy_study(TINY, folder / "tiny")
    sweep = folder / "sweep.yaml"
    sweep.write_text(yaml.safe_dump({"base": "tiny", "product": {SOLAR: sizes}}), encoding="utf-8")
    return sweep


def started_as_from_a_terminal(command: list[str]) -> subprocess.Popen:
    """``command`` in a session of its own, SIGINT at its default action, as a shell
    in a terminal starts it; its output captured as text."""
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        text=True,
        preexec_fn=default_sigint,
    )


def sigint_in(pid: int, mask: str) -> bool:
    """Whether SIGINT is in the ``mask`` (``SigIgn``, ``SigBlk``) of process ``pid``."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    bits = int(next(line for line in lines if line.startswith(f"{mask}:"))[len(mask) + 1 :], 16)
    return bool(bits & (1 << (signal.SIGINT - 1)))


def test_kill_9_of_batch_ends_its_workers_and_writes_nothing_after(tmp_path: Path) -> None:
    product = {SOLAR: [10 + 2 * i for i in range(VARIANTS)]}
    sweep = tiny_sweep(tmp_path, product[SOLAR])
    out = tmp_path / "out"
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    args = ["batch", str(sweep), "--out", str(out), "--workers", str(WORKERS), "--no-progress"]
    batch = subprocess.Popen(
        [sys.executable, "-m", "dispatch.cli", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "TMPDIR": str(temporary)},
    )
    try:
        # Mid-run: one variant recorded, the workers busy with the next ones.
        wait_for(lambda: (out / "manifest.json").exists(), 180, "the first variant")
        wait_for(lambda: len(session(batch.pid)) >= 1 + WORKERS, 30, "the workers")
        os.kill(batch.pid, signal.SIGKILL)
        batch.wait(timeout=10)
        at_kill = variant_folders(out)
        wait_for(lambda: not session(batch.pid), SECONDS_TO_END, "the batch's processes to end")
    finally:
        for process in session(batch.pid):
            process.kill()
    time.sleep(1.0)
    assert variant_folders(out) == at_kill, "a variant folder appeared after the kill"
    recorded = json.loads((out / "manifest.json").read_text())["variants"]
    assert len(recorded) < VARIANTS, "the batch ended before it was killed"
    assert litter(out) == [] and litter(out / "variants") == []
    assert sorted(p.name for p in temporary.iterdir()) == []

    rerun = run_dispatch(*args, timeout=300)
    assert rerun.code == 0, rerun.stderr
    assert f"{len(recorded)} already complete" in rerun.stderr
    assert variant_folders(out) == {f"capacity_mw={size}" for size in product[SOLAR]}
    assert litter(out) == [] and litter(out / "variants") == []


def _fail_after_start(batch: int) -> None:
    start_local_worker(batch)
    raise RuntimeError("a worker failed")


def _exit_3_after_start(batch: int) -> None:
    start_local_worker(batch)
    sys.exit(3)


@pytest.mark.parametrize(
    ("target", "code"), [(start_local_worker, 0), (_fail_after_start, 1), (_exit_3_after_start, 3)]
)
def test_a_local_worker_ends_with_the_exit_code_of_its_run(target, code: int) -> None:
    worker = WorkerContext().Process(target=target, args=(os.getpid(),))
    worker.start()
    worker.join(timeout=60)
    assert worker.exitcode == code


def test_ctrl_c_while_the_batch_starts_a_worker_arrives_once_the_worker_is_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The batch blocks SIGINT while it starts a worker (so that the worker starts with
    # it blocked): a Ctrl-C meanwhile must not be lost, nor raise before the worker is
    # among the processes an interrupted batch ends.
    start_process = WorkerProcess._Popen

    def interrupted_start(process: WorkerProcess):
        # Sent to the process from another thread: the main thread blocks SIGINT here.
        sender = threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGINT))
        sender.start()
        sender.join()
        return start_process(process)

    monkeypatch.setattr(WorkerProcess, "_Popen", staticmethod(interrupted_start))
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    worker = WorkerContext().Process(target=start_local_worker, args=(os.getpid(),))
    try:
        with pytest.raises(KeyboardInterrupt):
            worker.start()
        assert worker in multiprocessing.active_children()
    finally:
        signal.signal(signal.SIGINT, handler)
        if worker.is_alive():
            worker.join(timeout=60)
    assert worker.exitcode == 0


def _status(pid: int) -> tuple[bool, bool]:
    """Whether process ``pid`` ignores SIGINT, and whether it has loaded pandas yet
    (its memory maps)."""
    return sigint_in(pid, "SigIgn"), "/pandas/" in Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_workers_ignore_ctrl_c_before_they_import_and_it_is_one_line(tmp_path: Path) -> None:
    # A worker imports for about a second before its initializer runs: it must ignore
    # Ctrl-C before that, or the terminal's interrupt prints a traceback from it.
    sweep = tiny_sweep(tmp_path, [10 + 2 * i for i in range(4)])
    args = ["batch", str(sweep), "--out", str(tmp_path / "out"), "--workers", str(WORKERS)]
    batch = started_as_from_a_terminal(
        [sys.executable, "-m", "dispatch.cli", *args, "--no-progress"]
    )

    def first_worker() -> int | None:
        for child in psutil.Process(batch.pid).children():
            try:
                if "spawn_main" in " ".join(child.cmdline()):
                    return child.pid
            except psutil.Error:
                continue
        return None

    try:
        wait_for(lambda: first_worker() is not None, 60, "a worker")
        worker = first_worker()
        ignores, imported = _status(worker)
        while not ignores:
            ignores, imported = _status(worker)
        assert not imported, "the worker ignored Ctrl-C only after importing pandas"
        os.killpg(batch.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _, stderr = batch.communicate(timeout=60)
    finally:
        for process in session(batch.pid):
            process.kill()
    assert batch.returncode == 130, stderr
    assert "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines()[-1].startswith("interrupted:"), stderr


CALLING_SCRIPT = """\
import os, pathlib, sys, time

if __name__ == "__mp_main__":  # a worker importing this script again, as spawn does
    pathlib.Path({started!r}, str(os.getpid())).touch()
    time.sleep(3)
elif __name__ == "__main__":
    from dispatch.cli import main

    sys.argv = ["dispatch", *{args!r}]
    sys.exit(main())
"""


FIRST_WORKER_SCRIPT = """\
import os, time

if __name__ == "__mp_main__":  # the worker, importing this script again
    time.sleep(3)
elif __name__ == "__main__":
    from dispatch.batch.worker_process import WorkerContext

    worker = WorkerContext().Process(target=os.getpid)
    worker.start()
    with open(f"/proc/{worker.pid}/status") as status:
        print(next(line for line in status if line.startswith("SigBlk:")))
    worker.join()
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_the_first_worker_of_a_process_starts_with_sigint_blocked(tmp_path: Path) -> None:
    # The first process multiprocessing starts also starts its resource tracker, whose
    # start unblocks SIGINT in the starting thread.
    script = tmp_path / "first_worker.py"
    script.write_text(FIRST_WORKER_SCRIPT, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=True
    )
    assert int(run.stdout.split()[1], 16) & (1 << (signal.SIGINT - 1)), run.stdout


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_ctrl_c_while_a_worker_starts_waits_and_is_discarded_there(tmp_path: Path) -> None:
    # Spawn runs the interpreter's start and the calling script again in a worker
    # before the worker can ignore Ctrl-C; a script that sleeps there stretches that
    # window. A Ctrl-C reaching the worker in it must neither end it nor print a
    # traceback: the batch goes on (its own Ctrl-C is another test's).
    product = {SOLAR: [10, 12]}
    sweep = tiny_sweep(tmp_path, product[SOLAR])
    started, out = tmp_path / "started", tmp_path / "out"
    started.mkdir()
    args = ["batch", str(sweep), "--out", str(out), "--workers", str(WORKERS), "--no-progress"]
    script = tmp_path / "calling_script.py"
    script.write_text(CALLING_SCRIPT.format(started=str(started), args=args), encoding="utf-8")
    batch = started_as_from_a_terminal([sys.executable, str(script)])
    try:
        wait_for(lambda: any(started.iterdir()), 60, "a worker starting")
        worker = int(next(started.iterdir()).name)
        assert sigint_in(worker, "SigBlk")
        os.kill(worker, signal.SIGINT)
        _, stderr = batch.communicate(timeout=120)
    finally:
        for process in session(batch.pid):
            process.kill()
    assert batch.returncode == 0, stderr
    assert "Traceback" not in stderr, stderr
    assert variant_folders(out) == {f"capacity_mw={size}" for size in product[SOLAR]}


def test_batch_with_its_standard_output_closed_solves_every_variant(tmp_path: Path) -> None:
    # Started with descriptor 1 closed (`>&-`), Python's sys.stdout is None, in the
    # batch and in its spawned workers.
    product = {SOLAR: [10, 12]}
    sweep = tiny_sweep(tmp_path, product[SOLAR])
    out = tmp_path / "out"
    batch = subprocess.run(
        [sys.executable, "-m", "dispatch.cli", "batch", str(sweep), "--out", str(out)]
        + ["--workers", str(WORKERS), "--no-progress"],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
        preexec_fn=lambda: os.close(1),
    )
    assert batch.returncode == 0, batch.stderr
    assert "Traceback" not in batch.stderr, batch.stderr
    assert variant_folders(out) == {f"capacity_mw={size}" for size in product[SOLAR]}
