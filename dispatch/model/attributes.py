"""PyPSA attributes from scenario values: a series as nominal value and per-unit
profile, and ramp limits per step."""

from __future__ import annotations

import numpy as np


def per_unit(values: np.ndarray) -> tuple[float, np.ndarray]:
    """Split a non-negative series into a nominal value and p.u. profile."""
    nominal = float(values.max())
    return nominal, (values / nominal if nominal > 0 else np.zeros_like(values))


def ramp_limits(per_unit_per_h: float | None, step_h: float) -> dict[str, float]:
    """PyPSA ramp limits (p.u. of capacity per step) from a limit per hour."""
    if per_unit_per_h is None:
        return {}
    limit = min(1.0, per_unit_per_h * step_h)
    return {"ramp_limit_up": limit, "ramp_limit_down": limit}
