"""Progress of a long solve: which stage it is in and how long it has taken."""

from __future__ import annotations

import threading
from types import TracebackType


class SolveProgress:
    """A tqdm bar over the stages of a solve, redrawn every second while HiGHS works.

    Parameters
    ----------
    total
        Number of stages [-].
    label
        What is solved, e.g. the study's name.
    enabled
        Show the bar; when false, every method does nothing.
    unit
        What a step of the bar is [-].
    """

    def __init__(self, total: int, label: str, enabled: bool, unit: str = "stage") -> None:
        self.bar = None
        if not enabled:
            return
        try:  # a widget in Jupyter, where ipywidgets is installed
            import ipywidgets  # noqa: F401
            from tqdm.auto import tqdm
        except ImportError:  # text on stderr, also in a notebook
            from tqdm import tqdm

        self.label = label
        self.bar = tqdm(total=total, desc=label, unit=unit, leave=True)
        self._stop = threading.Event()
        # The bar redraws only when told to: keep its clock moving during a solve.
        self._ticker = threading.Thread(target=self._tick, daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            self.bar.refresh()

    def stage(self, name: str) -> None:
        """Say which stage starts now."""
        if self.bar is not None:
            self.bar.set_description_str(f"{self.label}: {name}")

    def done(self, count: int = 1) -> None:
        """Count ``count`` stages as finished."""
        if self.bar is not None:
            self.bar.update(count)

    def __enter__(self) -> SolveProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.bar is None:
            return
        self._stop.set()
        self._ticker.join()
        if kind is None:
            self.bar.set_description_str(f"{self.label}: solved")
        self.bar.close()
