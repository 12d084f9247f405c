"""Exchange with a grid partner: signals in, a site's plan and flexibility envelope out.

Modules: :mod:`~dispatch.exchange.fields` (the fields, units and tables exchanged),
:mod:`~dispatch.exchange.untrusted_input` (bounded reading of untrusted files),
:mod:`~dispatch.exchange.times` (ISO 8601 times and durations, time grids),
:mod:`~dispatch.exchange.signal_checks` (checks of signals and demand-response calls),
the formats :mod:`~dispatch.exchange.netcdf_format`,
:mod:`~dispatch.exchange.csv_format` and OpenADR 3.0.1
(:mod:`~dispatch.exchange.openadr_objects`, :mod:`~dispatch.exchange.openadr_reader`,
:mod:`~dispatch.exchange.openadr_writer`), :mod:`~dispatch.exchange.signal_import`
(signals into a study), :mod:`~dispatch.exchange.result_folder` (reading a result
folder), :mod:`~dispatch.exchange.envelope` (the flexibility envelope),
:mod:`~dispatch.exchange.envelope_cache` (the envelope kept with its result) and
:mod:`~dispatch.exchange.plan_export` (a site's plan out). ``docs/exchange.md``
specifies the formats.

Its modules may import from :mod:`dispatch.core`, :mod:`dispatch.scenario`,
:mod:`dispatch.model`, :mod:`dispatch.results`, :mod:`dispatch.optimization` and
:mod:`dispatch.operation`; never from :mod:`dispatch.testing`, :mod:`dispatch.batch` or
:mod:`dispatch.cli`.
"""
