"""The bottom layer: what every other layer shares and nothing that knows the model.

- :mod:`~dispatch.core.names`: carriers, workload classes, runs, and the names of
  components, routes and constraints in the PyPSA network.
- :mod:`~dispatch.core.errors`: the errors that reach users as one line.
- :mod:`~dispatch.core.files`: safe output folders, atomic file and folder writes,
  CSV cells a spreadsheet will not run.
- :mod:`~dispatch.core.yaml_reader`, :mod:`~dispatch.core.netcdf_header`: bounded
  readers of untrusted YAML and netCDF headers.
- :mod:`~dispatch.core.untrusted_input`: untrusted files read within size limits
  (netCDF opened with its header probed and its dimensions bounded),
  bounded JSON, their values cut short in messages.
- :mod:`~dispatch.core.times`: ISO 8601 times and durations, time zones, time grids
  without gaps, CF times of netCDF files.
- :mod:`~dispatch.core.processes`: usable cores, live processes, children that die
  with their parent, the HiGHS banner kept off standard output.
- :mod:`~dispatch.core.pypsa_settings`: PyPSA imported lazily, its options and loggers
  scoped to dispatch's own calls.
- :mod:`~dispatch.core.units`: units as files write them (CF, UDUNITS-2 spellings)
  and read them (:func:`~dispatch.core.units.parse_units`, any spelling of a
  quantity's dimension, exact powers of ten).
- :mod:`~dispatch.core.version`: the package version.

May import: the standard library and third-party packages only, never another part
of ``dispatch``.
"""
