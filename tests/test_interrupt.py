"""``kill -9`` of ``dispatch run``: nothing torn, nothing left running or behind.

A run of a shipped study is killed at a chosen moment (while solving, when it starts
writing, halfway through writing). Then its output folder must be absent or the
complete previous result, every process it started must be gone, and the next run
must succeed and remove what the killed one left (staging folders beside the output,
``dispatch-baseline-*`` in the temporary folder).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from dispatch.core.files import MARKER, RESULT_FILES
from dispatch.core.processes import usable_cores
from hostile import default_sigint, litter, run_dispatch, tree

OLKARIA = Path(__file__).parents[1] / "networks" / "olkaria"
KILLED_HOURS = "2000"
"""Horizon of the killed run: long enough to be caught while solving and writing [h]."""
RERUN_HOURS = "24"
"""Horizon of the run after the kill, kept short [h]."""


def solving(out: Path, scratch: Path) -> bool:
    """The baseline's process is forked: both runs are being solved."""
    return any(scratch.glob("dispatch-baseline-*"))


def writing_started(out: Path, scratch: Path) -> bool:
    """The staging folder beside ``out`` exists."""
    return any(out.parent.glob(f".{out.name}.dispatch-staging-*"))


def writing_halfway(out: Path, scratch: Path) -> bool:
    """The staging folder holds the plot, the networks are next."""
    return any(out.parent.glob(f".{out.name}.dispatch-staging-*/dispatch.png"))


def writing_network(out: Path, scratch: Path) -> bool:
    """netCDF4 is writing ``network.nc`` (inside its library's lock)."""
    if not any(out.parent.glob(f".{out.name}.dispatch-staging-*/network.nc")):
        return False
    time.sleep(0.005)
    return True


def baseline_in_highs(out: Path, scratch: Path) -> bool:
    """The forked baseline (a child of the run, not of this test) is inside HiGHS: its
    solver folder exists."""
    for folder in scratch.glob("dispatch-solve-*"):
        pid = re.search(r"-(\d+)-[a-z0-9_]{8}$", folder.name)
        if pid is not None and _parent(int(pid[1])) not in {None, os.getpid()}:
            return True
    return False


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return None


MOMENTS: dict[str, Callable[[Path, Path], bool]] = {
    "solving": solving,
    "baseline_in_highs": baseline_in_highs,
    "writing_started": writing_started,
    "writing_halfway": writing_halfway,
    "writing_network": writing_network,
}


def descendants(pid: int) -> set[int]:
    """Process ids of the children of ``pid``, their children and so on (Linux)."""
    found = set()
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in map(int, children.read_text().split()):
            found |= {child, *descendants(child)}
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (not a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def kill_at(
    moment: Callable[[Path, Path], bool], out: Path, scratch: Path, how: int = signal.SIGKILL
) -> set[int]:
    """Start ``dispatch run``, send it ``how`` once ``moment`` holds; its descendants then."""
    process = subprocess.Popen(
        [sys.executable, "-m", "dispatch.cli", "run", OLKARIA, "--hours", KILLED_HOURS]
        + ["--out", str(out), "-q"],
        env={**os.environ, "TMPDIR": str(scratch)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # as a shell starts a command
        preexec_fn=default_sigint,
    )
    deadline = time.monotonic() + 120
    while not moment(out, scratch):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the run ended (code {process.returncode}) before {moment.__name__}")
        time.sleep(0.005)
    children = descendants(process.pid)
    process.send_signal(how)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"the run did not end after signal {how!r}: it hangs")
    return children


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(
    "moment,with_previous",
    [
        ("solving", False),
        ("solving", True),
        ("writing_started", True),
        ("writing_halfway", True),
    ],
    ids=["solving_new_folder", "solving_over_a_result", "writing_started", "writing_halfway"],
)
def test_sigkill_of_run_tears_nothing_and_leaves_nothing(
    moment: str, with_previous: bool, tmp_path: Path, previous_result: Path
) -> None:
    if moment == "solving" and usable_cores() < 2:
        pytest.skip("the baseline is solved in a forked process only on two cores or more")
    scratch, work = tmp_path / "tmp", tmp_path / "work"
    scratch.mkdir()
    work.mkdir()
    out = work / "out"
    if with_previous:
        before = tree(previous_result)
        shutil.copytree(previous_result, out)
    else:
        before = {}

    children = kill_at(MOMENTS[moment], out, scratch)

    assert tree(out) == before  # absent, or the previous result untouched
    deadline = time.monotonic() + 5
    while any(map(running, children)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(running, children)), "a process of the killed run is still running"
    left = litter(work) + litter(scratch)
    assert left, "the kill left nothing: the test did not catch the run at work"

    outcome = run_dispatch(
        "run", OLKARIA, "--hours", RERUN_HOURS, "--out", out, "-q", env={"TMPDIR": str(scratch)}
    )
    assert outcome.code == 0, outcome.stderr
    assert (out / "network_baseline.nc").is_file()
    assert litter(work) == []
    assert litter(scratch) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(
    ("moment", "how"),
    [
        ("solving", signal.SIGTERM),
        ("baseline_in_highs", signal.SIGTERM),
        ("writing_halfway", signal.SIGTERM),
        ("writing_network", signal.SIGTERM),
        ("writing_network", signal.SIGINT),  # Ctrl-C
    ],
)
def test_sigterm_of_run_cleans_up_at_once(moment: str, how: int, tmp_path: Path) -> None:
    if moment in {"solving", "baseline_in_highs"} and usable_cores() < 2:
        pytest.skip("the baseline is solved in a forked process only on two cores or more")
    scratch, work = tmp_path / "tmp", tmp_path / "work"
    scratch.mkdir()
    work.mkdir()

    children = kill_at(MOMENTS[moment], work / "out", scratch, how)

    # A signal that lands while the baseline is forked is swallowed by CPython's
    # fork handlers; the run then completes: absent or whole, never torn.
    written = tree(work / "out")
    assert written == {} or set(written) == {*RESULT_FILES, MARKER}
    assert not any(map(running, children)), "a process of the terminated run is still running"
    assert litter(work) == []
    assert litter(scratch) == []


def test_an_interrupt_while_netcdf4_writes_arrives_once_the_file_is_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np
    import xarray as xr
    from xarray.backends import netCDF4_

    from dispatch.results.netcdf import write_netcdf4

    get_array = netCDF4_.NetCDF4ArrayWrapper.get_array

    def interrupted(self: object, needs_lock: bool = True) -> object:
        signal.raise_signal(signal.SIGINT)  # Ctrl-C while netCDF4's lock is taken
        return get_array(self, needs_lock)

    monkeypatch.setattr(netCDF4_.NetCDF4ArrayWrapper, "get_array", interrupted)
    # Python's own handler, also where SIGINT came ignored (a job started with &)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            write_netcdf4(xr.Dataset({"x": ("t", np.arange(4.0))}), tmp_path / "x.nc")
    finally:
        signal.signal(signal.SIGINT, previous)
    monkeypatch.undo()
    assert xr.load_dataset(tmp_path / "x.nc")["x"].values.tolist() == [0, 1, 2, 3]
