"""The deferrable backlog as pieces of work with their arrival step, served first in
first out: what is due when, and what was served late."""

from __future__ import annotations

import copy
from collections import deque

import numpy as np

TOLERANCE_MWH = 1e-9
"""Work below this is taken as none: rounding of the LP's solution [MWh]."""


class BacklogQueue:
    """The deferrable work of one site waiting to be served, oldest first.

    A piece that arrived in step ``a`` is due by the end of step ``a + delay_steps``
    (MODEL.md §2: nothing older than D hours is left after a step), whatever window
    it is planned in.

    Parameters
    ----------
    delay_steps
        The longest delay D over the step length [steps].
    """

    def __init__(self, delay_steps: int) -> None:
        self.delay_steps = delay_steps
        self._pieces: deque[list] = deque()  # [arrival step, work left in MWh]

    def copy(self) -> BacklogQueue:
        """An independent copy."""
        return copy.deepcopy(self)

    @property
    def total_mwh(self) -> float:
        """Work waiting [MWh]."""
        return float(sum(amount for _, amount in self._pieces))

    def arrive(self, step: int, work_mwh: float) -> None:
        """Add work arriving in ``step`` [MWh]."""
        if work_mwh > TOLERANCE_MWH:
            self._pieces.append([step, float(work_mwh)])

    def needed_mwh(
        self, step: int, arrivals_mwh: np.ndarray, room_mwh: np.ndarray, last: int
    ) -> float:
        """Work waiting that must be served in ``step`` so that it, and the work
        arriving in the steps after it, meet every deadline up to the end of those steps.

        A piece that arrived in step ``a`` may be served in the steps from ``a`` to its
        deadline ``a + delay_steps``, or ``last``, the horizon's last step, if sooner;
        work due after the steps given has no deadline among them. A backward pass from
        the last of them gives each step's room to the work that may be served then,
        latest arrival first, so that the work waiting now is left only what no later
        step can take.

        Parameters
        ----------
        step
            The step the work would be served in.
        arrivals_mwh
            Work arriving in each of the steps after ``step`` [MWh].
        room_mwh
            Room for deferrable work in each of those steps [MWh].
        last
            The horizon's last step.

        Returns
        -------
        float
            Work to serve in ``step`` [MWh]: at most the work waiting. Later
            arrivals that do not fit even with all of it served now are left out.
        """
        end = step + len(room_mwh)
        arriving = [
            (step + 1 + k, float(amount))
            for k, amount in enumerate(arrivals_mwh)
            if amount > TOLERANCE_MWH
        ]
        pieces = [  # [arrival, deadline, work left] of the work due within the steps
            [arrival, deadline, amount]
            for arrival, amount in [*self._pieces, *arriving]
            if (deadline := min(arrival + self.delay_steps, last)) <= end
        ]
        arrived = len(pieces)  # pieces[:arrived] arrived by step ``later``
        for later in range(end, step, -1):
            room = float(room_mwh[later - step - 1])
            while arrived and pieces[arrived - 1][0] > later:
                arrived -= 1
            # Deadlines grow with arrival: the pieces due before ``later`` come first.
            for piece in reversed(pieces[:arrived]):
                if room <= TOLERANCE_MWH or piece[1] < later:
                    break
                taken = min(room, piece[2])
                piece[2] -= taken
                room -= taken
        return float(sum(amount for arrival, _, amount in pieces if arrival <= step))

    def serve(self, step: int, work_mwh: float) -> float:
        """Serve up to ``work_mwh`` in ``step``, oldest first.

        Returns
        -------
        float
            The part of it served after its deadline [MWh].
        """
        late, left = 0.0, float(work_mwh)
        while left > TOLERANCE_MWH and self._pieces:
            piece = self._pieces[0]
            taken = min(left, piece[1])
            if step > piece[0] + self.delay_steps:
                late += taken
            piece[1] -= taken
            left -= taken
            if piece[1] <= TOLERANCE_MWH:
                self._pieces.popleft()
        return late

    def due_profile(self, start: int, steps: int) -> np.ndarray:
        """The waiting work by when it is due in a window from step ``start``.

        Returns
        -------
        numpy.ndarray
            Work due by the end of each of the window's ``steps`` steps, cumulative
            (the last value is all the work waiting) [MWh]. Work already overdue is
            due by the end of the first step; work due after the window by its end.
        """
        due = np.zeros(steps)
        for arrival, amount in self._pieces:
            due[min(max(arrival + self.delay_steps - start, 0), steps - 1)] += amount
        return np.cumsum(due)
