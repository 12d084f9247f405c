"""The scenario: what a study states and how it is read.

- :mod:`~dispatch.scenario.schema`: the pydantic schema of a scenario file.
- :mod:`~dispatch.scenario.assets`: the site's assets in that schema (plants, storage,
  grid connection, sizing).
- :mod:`~dispatch.scenario.tariff`: a grid connection's tariff (demand charges,
  contracted capacity, time-of-use periods) and its windows on the snapshots.
- :mod:`~dispatch.scenario.quantities`: the number types of fields (bounds, units,
  series) and the strict base model.
- :mod:`~dispatch.scenario.study`: :class:`~dispatch.scenario.study.Study`, a validated
  scenario with its series resolved.
- :mod:`~dispatch.scenario.load`: loading a study (scenario file -> Study) and
  validating a scenario given as a mapping.
- :mod:`~dispatch.scenario.series`: series fields, snapshots, and reading series from
  CSV and netCDF files.
- :mod:`~dispatch.scenario.checks`: series ranges and the consistency rules across
  fields (routing, grid regions, sizing bounds, capacities).
- :mod:`~dispatch.scenario.sweep`: sweep files expanded into validated variants.
- :mod:`~dispatch.scenario.jsonschema`: the JSON schemas and the scenario reference
  in ``docs/``.
- :mod:`~dispatch.scenario.display`: the HTML view of a study.

May import: :mod:`dispatch.core` only.
"""
