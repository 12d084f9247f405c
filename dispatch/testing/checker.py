"""Values compared with their bounds to a tolerance, for every invariant.

:class:`Checker` raises an ``AssertionError`` naming the invariant, where its values
were read, the first step that fails and by how much; :func:`check_same` compares two
readings of the same quantity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    import pandas as pd


class Checker:
    """Compares values with bounds to a tolerance and raises a precise error.

    Parameters
    ----------
    where
        What is checked, e.g. ``"site 's', flexible run (network)"``.
    snapshots
        Snapshot times, to name the failing step.
    rtol, atol
        Relative [-] and absolute [unit of the values] tolerance.
    """

    def __init__(self, where: str, snapshots: pd.DatetimeIndex, rtol: float, atol: float) -> None:
        self.where, self.snapshots, self.rtol, self.atol = where, snapshots, rtol, atol

    def at_most(self, invariant: str, value: ArrayLike, limit: ArrayLike, unit: str) -> None:
        """Assert ``value <= limit`` elementwise."""
        __tracebackhide__ = True
        value, limit = np.broadcast_arrays(np.asarray(value, float), np.asarray(limit, float))
        self._report(invariant, value, limit, value - limit, "<=", unit)

    def at_least(self, invariant: str, value: ArrayLike, limit: ArrayLike, unit: str) -> None:
        """Assert ``value >= limit`` elementwise."""
        __tracebackhide__ = True
        value, limit = np.broadcast_arrays(np.asarray(value, float), np.asarray(limit, float))
        self._report(invariant, value, limit, limit - value, ">=", unit)

    def equal(self, invariant: str, value: ArrayLike, expected: ArrayLike, unit: str) -> None:
        """Assert ``value == expected`` elementwise."""
        __tracebackhide__ = True
        value, expected = np.broadcast_arrays(np.asarray(value, float), np.asarray(expected, float))
        self._report(invariant, value, expected, np.abs(value - expected), "==", unit)

    def within(
        self,
        invariant: str,
        value: ArrayLike,
        lower: ArrayLike,
        upper: ArrayLike,
        unit: str,
    ) -> None:
        """Assert ``lower <= value <= upper`` elementwise."""
        __tracebackhide__ = True
        self.at_least(f"{invariant} (lower bound)", value, lower, unit)
        self.at_most(f"{invariant} (upper bound)", value, upper, unit)

    def _report(
        self,
        invariant: str,
        value: np.ndarray,
        bound: np.ndarray,
        excess: np.ndarray,
        relation: str,
        unit: str,
    ) -> None:
        __tracebackhide__ = True
        tolerance = self.atol + self.rtol * np.maximum(np.abs(value), np.abs(bound))
        failing = np.flatnonzero(~(excess <= tolerance))
        if not len(failing):
            return
        i = failing[0]
        flat_value, flat_bound, flat_excess = (np.ravel(a)[i] for a in (value, bound, excess))
        when = ""
        if value.ndim == 1:
            when = (
                f" at {self.snapshots[i].isoformat()} (step {i}; "
                f"{len(failing)} of {len(value)} steps fail)"
            )
        raise AssertionError(
            f"{self.where}: invariant '{invariant}' fails{when}: "
            f"{flat_value:.10g} {relation} {flat_bound:.10g} [{unit}] is off by "
            f"{flat_excess:.4g} [{unit}] (tolerance {np.ravel(tolerance)[i]:.3g})"
        )


def check_same(check: Checker, name: str, ours: object, theirs: object) -> None:
    """Two readings of the same quantity agree: values, or dicts of them, key by key."""
    if isinstance(ours, dict):
        assert ours.keys() == theirs.keys(), f"{check.where}: {name}: keys differ"
        for key in ours:
            check_same(check, f"{name} of {key}", ours[key], theirs[key])
    elif ours is None or theirs is None:
        assert ours is theirs, f"{check.where}: {name} is missing from one reading"
    else:
        check.equal(f"{name} agrees", ours, theirs, "-")
