"""Files analysts already have -> a study's series and a new study: weather files to
solar and wind availability, day-ahead price and grid carbon-intensity exports,
workload traces or a parametric workload, and ``dispatch new`` (see ``docs/sources.md``).

- :mod:`~dispatch.sources.weather`: weather files (PVGIS, EPW, NSRDB PSM4, TMY2/TMY3,
  renewables.ninja) read into one :class:`~dispatch.sources.weather.Weather`; one
  reader per format in :mod:`~dispatch.sources.weather_formats` and
  :mod:`~dispatch.sources.weather_ninja`.
- :mod:`~dispatch.sources.solar`, :mod:`~dispatch.sources.wind`: availability per unit
  of rated power from weather (pvlib, windpowerlib).
- :mod:`~dispatch.sources.profiles`: weather file -> availability series written into a
  study's series file with units and provenance.
- :mod:`~dispatch.sources.timeline`: series of a source put on a study's snapshots
  (time zones, DST, gaps, resampling).
- :mod:`~dispatch.sources.market`: day-ahead prices and grid carbon intensity
  (ENTSO-E exports in :mod:`~dispatch.sources.entsoe`).
- :mod:`~dispatch.sources.workload`: the three workload series from a parametric shape;
  :mod:`~dispatch.sources.workload_trace` from a request or utilisation trace.
- :mod:`~dispatch.sources.new_study`: a new study's folder from these; its defaults, the
  commented ``scenario.yaml`` and the series file in :mod:`~dispatch.sources.study_files`.

May import: :mod:`dispatch.core` and :mod:`dispatch.scenario` only.
"""
