"""Arrays written to disk while HiGHS runs, and read back after.

The last HiGHS run of the staged solve (:mod:`dispatch.optimization.staged`) sets the
peak memory of a large study: HiGHS's working memory comes on top of the linopy
model and the folded LP, which nothing reads while it runs. Those arrays are written
to an unnamed temporary file (gone with the process, even a killed one) and dropped
for the run, then read back unchanged: about a second per gigabyte, against minutes
of HiGHS. Only arrays that nothing else holds are written, since another holder
would keep them in memory anyway; nothing is written where the temporary folder
is in memory itself (tmpfs).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dispatch.optimization.highs_arrays import return_freed_memory

if TYPE_CHECKING:
    import linopy

_SMALLEST = 1 << 20
"""Arrays smaller than this stay in memory [B]."""


Slot = tuple[object, str]
"""An array as the attribute ``name`` of ``owner``."""


@contextlib.contextmanager
def spilled(slots: Iterable[Slot]) -> Iterator[None]:
    """Within the block, the arrays of ``slots`` are on disk and each slot holds a
    placeholder of its shape and type that takes no memory; after it, the arrays
    are back in their slots (new arrays, equal to the old ones)."""
    if not _on_disk(Path(tempfile.gettempdir())):
        yield
        return
    with tempfile.TemporaryFile(prefix="dispatch-spill-") as file:
        written = []
        try:
            for owner, name in slots:
                array = getattr(owner, name)
                if not _held_alone(array):
                    continue
                axes = _memory_order(array)
                in_memory = array.transpose(axes)
                written.append((owner, name, file.tell(), array.dtype, in_memory.shape, axes))
                file.write(np.ascontiguousarray(in_memory).data)
                setattr(owner, name, np.broadcast_to(np.zeros((), array.dtype), array.shape))
                del array, in_memory
            return_freed_memory()
            yield
        finally:
            for owner, name, offset, dtype, shape, axes in written:
                file.seek(offset)
                count = int(np.prod(shape, dtype=np.int64))
                stored = np.fromfile(file, dtype, count=count).reshape(shape)
                setattr(owner, name, stored.transpose(np.argsort(axes)))


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
