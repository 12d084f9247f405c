"""``Result.plot_dispatch``: the week asked for, and a clear error for what is not there."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib
import numpy as np
import pandas as pd
import pytest

from dispatch import Result
from hostile import TINY

matplotlib.use("Agg")


def test_the_week_asked_for_is_drawn(solved: Callable[..., Result]) -> None:
    result = solved(TINY)
    snapshots = result.dispatch["snapshot"].to_index()
    figure = result.plot_dispatch(week_start=snapshots[1])
    baseline, flexible = figure.axes[:2]
    assert pd.DatetimeIndex(baseline.lines[0].get_xdata())[0] == snapshots[1]
    facility = result.dispatch["facility_power"].sel(run="flexible").sum(["site", "workload"])
    assert np.allclose(flexible.lines[0].get_ydata(), facility.values[1:])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"site": "nowhere"}, "site 'nowhere': not a site of the study (its sites: "),
        (
            {"week_start": "2030-01-01"},
            "week_start 2030-01-01 00:00:00: outside the study's horizon",
        ),
    ],
)
def test_what_is_not_in_the_result_is_refused(
    solved: Callable[..., Result], arguments: dict, message: str
) -> None:
    with pytest.raises(ValueError) as error:
        solved(TINY).plot_dispatch(**arguments)
    assert str(error.value).startswith(message)
