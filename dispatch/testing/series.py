"""A study's series as the checks read them, and the arithmetic of consecutive steps."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from dispatch.scenario.study import Study


def series_values(study: Study, site: str, path: str) -> np.ndarray:
    """Values of a series field, zeros where the site does not have it."""
    return study.series.get(f"{site}/{path}", np.zeros(len(study.snapshots)))


def level_before(level: np.ndarray, initial: float | None) -> np.ndarray:
    """Level before each step: the initial level, or cyclic if that is None [MWh]."""
    if initial is None:
        return np.roll(level, 1)
    return np.concatenate([[initial], level[:-1]])


def step_change(values: np.ndarray) -> np.ndarray:
    """Change from the previous step; 0 at the first step (no ramp limit there)."""
    return np.diff(values, prepend=values[:1])
