"""Arrays written to disk while HiGHS runs, and read back after.

The last HiGHS run of the staged solve (:mod:`dispatch.optimization.staged`) sets the
peak memory of a large study: HiGHS's working memory comes on top of the linopy
model and the folded LP, which nothing reads while it runs. Those arrays are written
to an unnamed temporary file (gone with the process, even a killed one) and dropped
for the run, then read back unchanged: about a second per gigabyte, written on a
thread of its own while the LP is made ready for HiGHS and HiGHS starts. Only
arrays that nothing else holds are written, since another holder would keep them
in memory anyway; nothing is written where the temporary folder is in memory
itself (tmpfs).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from dispatch.optimization.highs_arrays import return_freed_memory

if TYPE_CHECKING:
    import linopy

_log = logging.getLogger(__name__)

_SMALLEST = 1 << 20
"""Arrays smaller than this stay in memory [B]."""


Slot = tuple[object, str]
"""An array as the attribute ``name`` of ``owner``."""


class Spill:
    """The arrays of a :func:`spilled` block, written to disk on a thread of its own
    while the block runs (writing holds no lock), each dropped from memory once it
    is written."""

    def __init__(self, file: BinaryIO, slots: list[Slot]) -> None:
        self.file = file
        self.written: list[tuple[object, str, int, np.dtype, tuple[int, ...], tuple[int, ...]]] = []
        self._writer = threading.Thread(target=self._write, args=(slots,), name="dispatch-spill")
        self._writer.start()

    def settled(self) -> None:
        """Wait until every array is written and dropped from memory."""
        self._writer.join()

    def _write(self, slots: list[Slot]) -> None:
        try:
            for owner, name in slots:
                array = getattr(owner, name)
                axes = _memory_order(array)
                in_memory = array.transpose(axes)
                offset = self.file.tell()
                self.file.write(np.ascontiguousarray(in_memory).data)
                self.written.append((owner, name, offset, array.dtype, in_memory.shape, axes))
                setattr(owner, name, np.broadcast_to(np.zeros((), array.dtype), array.shape))
                del array, in_memory
        except OSError as error:  # e.g. a full disk: what is not written stays in memory
            _log.warning("arrays kept in memory, not spilled to disk: %s", error)
        return_freed_memory()

    def restore(self) -> None:
        """Put the written arrays back in their slots, read from disk."""
        self.settled()
        for owner, name, offset, dtype, shape, axes in self.written:
            self.file.seek(offset)
            count = int(np.prod(shape, dtype=np.int64))
            stored = np.fromfile(self.file, dtype, count=count).reshape(shape)
            setattr(owner, name, stored.transpose(np.argsort(axes)))


@contextlib.contextmanager
def spilled(slots: Iterable[Slot]) -> Iterator[Spill | None]:
    """Within the block, the arrays of ``slots`` go to disk: each slot holds a
    placeholder of its shape and type that takes no memory once its array is
    written, on a thread of its own while the block runs (:meth:`Spill.settled`
    waits for it); after the block, the arrays are back in their slots (new arrays,
    equal to the old ones). Nothing touches the slots meanwhile. None where nothing
    is written (the temporary folder in memory)."""
    if not _on_disk(Path(tempfile.gettempdir())):
        yield None
        return
    alone = []
    for owner, name in slots:
        array = getattr(owner, name)
        if _held_alone(array):
            alone.append((owner, name))
        del array
    with tempfile.TemporaryFile(prefix="dispatch-spill-") as file:
        spill = Spill(file, alone)
        try:
            yield spill
        finally:
            spill.restore()


def _memory_order(array: np.ndarray) -> tuple[int, ...]:
    """The axes of ``array`` from the one with the longest steps in memory to the
    shortest: transposed to this order, an array laid out in any order of its axes
    (a transposed view, say) is C-contiguous, written without a copy and read back
    in its own layout."""
    longest_first = np.argsort([-abs(step) for step in array.strides], kind="stable")
    return tuple(int(axis) for axis in longest_first)


def _on_disk(folder: Path) -> bool:
    """Whether ``folder`` is on a file system that is not kept in memory (Linux's
    mount table; True where there is none)."""
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return True
    path, best, kind = os.path.realpath(folder), "", ""
    for line in mounts:
        fields = line.split()
        inside = len(fields) > 2 and (path + "/").startswith(fields[1].rstrip("/") + "/")
        if inside and len(fields[1]) >= len(best):
            best, kind = fields[1], fields[2]
    return kind not in {"tmpfs", "ramfs"}


def _held_alone(array: object) -> bool:
    """Whether ``array``, a large numeric array, is held by its slot alone (and by
    the caller's name for it), so that dropping it frees its memory; a view counts
    if its base is held by nothing else."""
    if (
        not isinstance(array, np.ndarray)
        or array.dtype.hasobject
        or array.nbytes < _SMALLEST
        or sys.getrefcount(array) > 4  # the slot, the caller's and this name, the call
    ):
        return False
    base = array.base
    if base is None:
        return array.flags.owndata
    return isinstance(base, np.ndarray) and base.flags.owndata and sys.getrefcount(base) <= 3


def model_slots(model: linopy.Model) -> list[Slot]:
    """The arrays of a linopy model's variables and constraints (labels, bounds,
    coefficients, right-hand sides), not their coordinates."""
    slots = []
    for items in (model.variables, model.constraints):
        for item in items.data.values():
            data = getattr(item, "data", None)
            variables = getattr(data, "data_vars", {})
            slots += [(data.variables[name], "data") for name in variables]
    return slots


def array_slots(*owners: object) -> list[Slot]:
    """Every array attribute of ``owners`` (dataclasses of arrays, sparse matrices)."""
    return [
        (owner, name)
        for owner in owners
        for name, value in vars(owner).items()
        if isinstance(value, np.ndarray)
    ]
