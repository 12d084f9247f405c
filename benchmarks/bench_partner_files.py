"""Time and memory of the largest partner files ``dispatch exchange import`` takes.

Partner files are untrusted (docs/exchange.md, "Untrusted input"): a field has at most
1,000,000 steps in a file, and a file at most 50 MB. This writes files at those limits
(in a spawned process, see :func:`write_files_apart`) and imports each into the shipped
solar-battery study, in a fresh process:

- ``seven-types``: one OpenADR event of seven payload types of 999,999 values each
  (one-second sub-intervals; refused in the end, as the price's step is not read);
- ``limit-windows``: one event of import and export limits of 999,999 values each
  (two million limit windows within the horizon) and a year of hourly prices
  (imported).

Run it with the package installed::

    python3 benchmarks/bench_partner_files.py            # 3 turns each (~2 min)
    python3 benchmarks/bench_partner_files.py --repeat 1
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from harness import dispatch_command, header, load_average, machine, run_timed

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "networks" / "solar-battery"
VALUES = 999_999
"""Values of one payload: the most a field may have in a file, less one [-]."""
SEVEN_TYPES = {
    "PRICE": {"units": "MWH", "currency": "EUR"},
    "EXPORT_PRICE": {"units": "MWH", "currency": "EUR"},
    "GHG": {},
    "CLEAN_SHARE": {},
    "IMPORT_CAPACITY_LIMIT": {"units": "MW"},
    "EXPORT_CAPACITY_LIMIT": {"units": "MW"},
    "GRID_SURPLUS": {"units": "MW"},
}


def _event(name: str, types: dict[str, dict], values: list[float], duration: str) -> dict:
    return {
        "id": name,
        "objectType": "EVENT",
        "programID": "bench",
        "payloadDescriptors": [
            {"objectType": "EVENT_PAYLOAD_DESCRIPTOR", "payloadType": kind, **units}
            for kind, units in types.items()
        ],
        "intervalPeriod": {"start": "2025-01-01T00:00:00Z", "duration": duration},
        "intervals": [{"id": 0, "payloads": [{"type": kind, "values": values} for kind in types]}],
    }


def write_files(folder: Path) -> dict[str, Path]:
    """The partner files, by name."""
    seconds = f"PT{VALUES}S"
    limits = {
        kind: SEVEN_TYPES[kind] for kind in ("IMPORT_CAPACITY_LIMIT", "EXPORT_CAPACITY_LIMIT")
    }
    documents = {
        "seven-types": [_event("all", SEVEN_TYPES, [0.5] * VALUES, seconds)],
        "limit-windows": [
            _event("limits", limits, [40 + i % 7 for i in range(VALUES)], seconds),
            _event(
                "prices",
                {"PRICE": SEVEN_TYPES["PRICE"]},
                [500 + i % 24 for i in range(8760)],
                "PT8760H",
            ),
        ],
    }
    paths = {}
    for name, document in documents.items():
        paths[name] = folder / f"{name}.json"
        paths[name].write_text(json.dumps(document, separators=(",", ":")))
    return paths


def write_files_apart(folder: Path) -> dict[str, Path]:
    """:func:`write_files` in a spawned process: the partner files, by name.

    The peak RSS that ``wait4`` reports for a child is at least the peak of the process
    that started it (Linux counts the memory the child shared with it until its exec),
    so the measuring process never holds the documents.
    """
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(write_files, folder).result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="imports of each file; medians")
    args = parser.parse_args()
    print(header("Largest partner files: dispatch exchange import", machine(), [], 96))
    with tempfile.TemporaryDirectory(prefix="bench-partner-") as scratch:
        files = write_files_apart(Path(scratch))
        print(f"{'file':<15}{'size [MB]':>10}{'wall [s]':>10}{'peak RSS [MiB]':>16}  outcome")
        for name, path in files.items():
            runs = []
            for turn in range(args.repeat):
                out = Path(scratch) / f"{name}-{turn}"
                command = [*dispatch_command(), "exchange", "import", str(path)]
                command += ["--scenario", str(STUDY), "--site", "seville", "--out", str(out)]
                runs.append(run_timed(command))
            outcome = "imported" if runs[0].code == 0 else f"refused (exit {runs[0].code})"
            print(
                f"{name:<15}{path.stat().st_size / 1e6:>10.1f}"
                f"{statistics.median(r.wall_s for r in runs):>10.1f}"
                f"{max(r.peak_rss_mib for r in runs):>16,.0f}  {outcome}"
            )
    print(f"load average now {load_average()}")


if __name__ == "__main__":
    main()
