"""PyPSA imported where needed, and dispatch's PyPSA settings scoped to its own calls."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pypsa

PYPSA_OPTIONS: dict[str, Any] = {
    # Sites and CI have no internet: no version check when a network is read.
    "general.allow_network_requests": False,
    "api.legacy_string_dtype": True,
}
"""PyPSA options in force while dispatch works (:data:`pypsa_settings`)."""
QUIET_LOGGERS = ("pypsa", "linopy")
"""Loggers that report only errors while dispatch works."""


def import_pypsa() -> pypsa:
    """PyPSA, imported where needed (see :data:`pypsa_settings` for its settings).

    PyPSA imports polars (through linopy), whose import sets a SIGINT handler of its
    own in place of the process's: a process that ignored SIGINT (a job started with
    ``&`` or ``nohup``) would no longer ignore it. The first import puts back the
    process's handler, as Python knows it (from the main thread only, the one that
    can set handlers).
    """
    first = "polars" not in sys.modules
    import pypsa

    if first and threading.current_thread() is threading.main_thread():
        handler = signal.getsignal(signal.SIGINT)
        if handler is not None:
            signal.signal(signal.SIGINT, handler)
    return pypsa


class _PypsaSettings(contextlib.ContextDecorator):
    """:data:`PYPSA_OPTIONS` and quiet :data:`QUIET_LOGGERS` for the duration of a call.

    A library must not change its user's settings: the first call to enter sets
    them, the last to leave restores what the user had, so that nested calls and
    calls from several threads leave the process as they found it. That includes
    the root logger, which ``pypsa.Network()`` configures (``logging.basicConfig``
    at level INFO) where the user has not.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._saved: tuple[dict[str, Any], dict[str, int], int, list[logging.Handler]]
        self._saved = ({}, {}, logging.NOTSET, [])

    def __enter__(self) -> pypsa:
        pypsa = import_pypsa()
        with self._lock:
            if self._depth == 0:
                root = logging.getLogger()
                self._saved = (
                    {name: pypsa.options.get_option(name) for name in PYPSA_OPTIONS},
                    {name: logging.getLogger(name).level for name in QUIET_LOGGERS},
                    root.level,
                    list(root.handlers),
                )
                for name, value in PYPSA_OPTIONS.items():
                    pypsa.options.set_option(name, value)
                for name in QUIET_LOGGERS:
                    logging.getLogger(name).setLevel(logging.ERROR)
            self._depth += 1
        return pypsa

    def __exit__(self, *exc_info: object) -> None:
        pypsa = import_pypsa()
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                options, levels, root_level, root_handlers = self._saved
                for name, value in options.items():
                    pypsa.options.set_option(name, value)
                for name, level in levels.items():
                    logging.getLogger(name).setLevel(level)
                root = logging.getLogger()
                root.setLevel(root_level)
                for handler in [h for h in root.handlers if h not in root_handlers]:
                    root.removeHandler(handler)


pypsa_settings = _PypsaSettings()
"""Dispatch's PyPSA settings around its public calls that use PyPSA or linopy:
``@pypsa_settings`` on a function, or ``with pypsa_settings as pypsa:``."""
