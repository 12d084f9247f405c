"""Timers inside a measured process: stages of a script, and callables wrapped in place.

Used by the child processes of ``bench_run.py`` (stages, ``dispatch run`` with timers
around what it calls) and of ``bench_multisite.py`` (HiGHS runs counted). Imports only
the standard library; which ``dispatch`` callables are timed is listed in
:mod:`internals`.
"""

from __future__ import annotations

import atexit
import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

_INHERITED = object()


class Stopwatch:
    """Wall-clock times of named stages [s]."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        """Time the body of a ``with`` block as stage ``name``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - start


@contextlib.contextmanager
def patched(
    owner: Any, attribute: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]
) -> Iterator[bool]:
    """Replace ``owner.attribute`` by ``make(original)`` while the block runs.

    Parameters
    ----------
    owner
        A class or a module.
    attribute
        The callable to replace. If it is missing, nothing is replaced and the block
        receives False.
    make
        Builds the replacement from the original callable.
    """
    current = getattr(owner, attribute, None)
    if current is None:
        yield False
        return
    own = vars(owner).get(attribute, _INHERITED)
    setattr(owner, attribute, make(current))
    try:
        yield True
    finally:
        if own is _INHERITED:
            delattr(owner, attribute)  # a class inherited it: uncover it again
        else:
            setattr(owner, attribute, own)


@contextlib.contextmanager
def instrumented(targets: list[tuple[Any, str, str]], times: dict[str, float]) -> Iterator[None]:
    """Add the time spent in some callables to ``times`` while the block runs.

    Parameters
    ----------
    targets
        ``(owner, attribute, key)``: the callable ``owner.attribute`` (a class or a
        module) is replaced by a timing wrapper that adds to ``times[key]`` [s].
        Missing attributes are skipped.
    times
        Receives the seconds spent in each target [s]. Only outermost calls count:
        a target called from inside another target of the same call (e.g.
        ``to_netcdf`` inside ``export_to_netcdf``) is part of the outer one, so the
        keys do not overlap.
    """
    depth = 0

    def timer(key: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def make(original: Callable[..., Any]) -> Callable[..., Any]:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                nonlocal depth
                if depth:
                    return original(*args, **kwargs)
                depth += 1
                start = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    depth -= 1
                    times[key] = times.get(key, 0.0) + time.perf_counter() - start

            return wrapper

        return make

    with contextlib.ExitStack() as stack:
        for owner, attribute, key in targets:
            stack.enter_context(patched(owner, attribute, timer(key)))
        yield


def run_command(main: Callable[[], Any], argv: list[str], times: dict[str, float]) -> None:
    """Run a console script's ``main`` with ``argv`` as ``sys.argv`` in this process,
    timed as ``times["cli_main"]`` [s].

    Raises
    ------
    RuntimeError
        If it exits with a non-zero code.
    """
    code: int | str | None = 0
    saved_argv, sys.argv = sys.argv, argv
    start = time.perf_counter()
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    finally:
        times["cli_main"] = time.perf_counter() - start
        sys.argv = saved_argv
    if code not in (0, None):
        raise RuntimeError(f"{' '.join(argv[:2])} exited with {code}")


def run_exit_handlers(times: dict[str, float]) -> None:
    """Run the exit handlers as the ``dispatch`` command does before it ends with
    ``os._exit`` (no module teardown), timed as ``times["exit_handlers"]`` [s]."""
    start = time.perf_counter()
    atexit._run_exitfuncs()
    times["exit_handlers"] = time.perf_counter() - start
