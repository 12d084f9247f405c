"""What a batch shows while it runs: a progress bar, or one plain line per variant for logs."""

from __future__ import annotations

from typing import IO

from dispatch.batch.task import OK, Outcome


class BatchProgress:
    """A tqdm bar (count, failures, ETA), or one plain line per variant for logs."""

    def __init__(self, total: int, stream: IO[str], bar: bool | None, heading: str) -> None:
        self.stream, self.total, self.count, self.failures = stream, total, 0, 0
        self.note(heading)
        if bar is None:
            bar = stream.isatty()
        self.bar = None
        if bar and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, file=stream, unit="variant", dynamic_ncols=True)
            self.bar.set_postfix(failed=0)

    def note(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def update(self, outcome: Outcome) -> None:
        self.count += 1
        failed = outcome.status != OK
        self.failures += failed
        line = f"[{self.count}/{self.total}] {outcome.name}: {outcome.status}"
        if failed:
            line += f": {outcome.error}"
        if self.bar is None:
            self.note(f"{line} ({outcome.seconds:.1f} s)")
            return
        if failed:
            self.bar.write(line, file=self.stream)
        self.bar.set_postfix(failed=self.failures, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
