"""Solving the variants on a Dask cluster, yielding outcomes as they come.

The cluster's workers must see the batch folder and the base study at the same paths.
They are not the batch's to end: a variant already running there may still finish
and write its folder after the batch process has gone.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING

from dispatch.batch.task import Outcome, Task, outcome_of
from dispatch.batch.worker import solve_variant
from dispatch.core.errors import ScenarioError

if TYPE_CHECKING:
    import distributed


@contextlib.contextmanager
def dask_client(address: str) -> Iterator[distributed.Client]:
    """A client of the scheduler at ``address``, connected before anything is written.

    It waits for the scheduler as long as Dask's ``distributed.comm.timeouts.connect``
    (30 s unless configured).
    """
    from distributed import Client

    try:
        client = Client(address, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ScenarioError(address, "", f"cannot reach the Dask scheduler ({exc})") from None
    with client:
        yield client


def on_dask(tasks: list[Task], client: distributed.Client) -> Iterator[Outcome]:
    """Solve on a Dask cluster, yielding outcomes as they come; closing cancels the rest."""
    from distributed import as_completed

    running: dict[distributed.Future, Task] = {}
    run = secrets.token_hex(4)  # keys of a cancelled earlier run may linger on the scheduler
    try:
        for task in tasks:
            key = f"dispatch-{task.name}-{run}"
            running[client.submit(solve_variant, task, key=key, pure=False)] = task
        for future in as_completed(list(running), loop=client.loop):
            yield outcome_of(future, running.pop(future))
    finally:
        if running:
            client.cancel(list(running))
