"""Opening netCDF files dispatch is given: the header checked before netCDF-C reads it.

netCDF-C allocates the lists of dimensions, attributes and variables a classic header
announces before reading them, so a 100-byte file announcing billions would take all
memory. Every netCDF file from outside (a study's series, a partner's signals, a
result folder given back) goes through :func:`check_netcdf_header` before it is opened.
"""

from __future__ import annotations

import mmap
from pathlib import Path

from dispatch.core.errors import ScenarioError

_NETCDF_MAGIC = (b"CDF\x01", b"CDF\x02", b"CDF\x05", b"\x89HDF\r\n\x1a\n")
"""Signatures of netCDF classic, 64-bit offset, 64-bit data and netCDF-4 (HDF5)."""
_CDF_TYPE_BYTES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 4, 6: 8, 7: 1, 8: 2, 9: 4, 10: 8, 11: 8}
"""Bytes of each netCDF classic external type (NC_BYTE = 1 ... NC_UINT64 = 11)."""


def check_netcdf_header(path: Path, file: str) -> None:
    """Refuse a file without the netCDF or HDF5 signature, or a classic netCDF header
    whose counts do not fit in the file.

    The header is walked (format of the netCDF classic and 64-bit offset/data
    specifications) and every count checked against the bytes left.

    Parameters
    ----------
    path
        The file.
    file
        Its name as the user gave it, for messages.

    Raises
    ------
    ScenarioError
        One line naming ``file``.
    """
    with path.open("rb") as handle:
        if not handle.read(8).startswith(_NETCDF_MAGIC):
            raise ScenarioError(file, "", "is not a netCDF file")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data[:3] == b"CDF":
                _check_classic_header(data, file)


def _check_classic_header(data: mmap.mmap, file: str) -> None:
    wide = data[3] == 5  # CDF-5: 64-bit counts
    position = 12 if wide else 8  # after the magic and the record count

    def number(size: int) -> int:
        nonlocal position
        if position + size > len(data):
            raise ScenarioError(file, "", "not a readable netCDF file (the header is truncated)")
        value = int.from_bytes(data[position : position + size], "big")
        position += size
        return value

    def count(each: int) -> int:
        n = number(8 if wide else 4)
        if n * each > len(data) - position:
            raise ScenarioError(
                file, "", f"not a readable netCDF file (the header announces {n} entries)"
            )
        return n

    def skip(size: int) -> None:  # values padded to 4 bytes
        nonlocal position
        position += -(-size // 4) * 4
        number(0)

    def name() -> None:
        skip(count(1))

    def attributes() -> None:
        number(4)  # NC_ATTRIBUTE or ABSENT
        for _ in range(count(12)):
            name()
            size = _CDF_TYPE_BYTES.get(number(4))
            if size is None:
                raise ScenarioError(file, "", "not a readable netCDF file (unknown type)")
            skip(count(size) * size)

    number(4)  # NC_DIMENSION or ABSENT
    for _ in range(count(8)):
        name()
        number(8 if wide else 4)
    attributes()
    number(4)  # NC_VARIABLE or ABSENT
    for _ in range(count(24)):
        name()
        skip(count(4) * (8 if wide else 4))
        attributes()
        number(4)  # type
        number(8 if wide else 4)  # vsize
        number(4 if data[3] == 1 else 8)  # begin
