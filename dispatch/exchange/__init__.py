"""Exchange with a grid partner: signals in, a site's plan and flexibility envelope out.

Modules: :mod:`~dispatch.exchange.fields` (the fields, units and tables exchanged),
:mod:`~dispatch.exchange.signal_checks` (checks of signals and demand-response calls),
the formats :mod:`~dispatch.exchange.netcdf_format`,
:mod:`~dispatch.exchange.csv_format` and OpenADR 3.0.1
(:mod:`~dispatch.exchange.openadr_objects`, :mod:`~dispatch.exchange.openadr_reader`,
:mod:`~dispatch.exchange.openadr_writer`), :mod:`~dispatch.exchange.signal_import`
(signals into a study), :mod:`~dispatch.exchange.forecast_import` (a forecast file
into a new study), :mod:`~dispatch.exchange.result_folder` (reading a result
folder), :mod:`~dispatch.exchange.envelope` (the flexibility envelope),
:mod:`~dispatch.exchange.envelope_cache` (the envelope kept with its result) and
:mod:`~dispatch.exchange.plan_export` (a site's plan out). ``docs/exchange.md``
specifies the formats. Bounded reading of untrusted files and ISO 8601 times are
:mod:`dispatch.core.untrusted_input` and :mod:`dispatch.core.times`, shared with the
forecast files of :mod:`dispatch.operation.forecast_files`.

Its modules may import from :mod:`dispatch.core`, :mod:`dispatch.scenario`,
:mod:`dispatch.model`, :mod:`dispatch.results`, :mod:`dispatch.optimization` and
:mod:`dispatch.operation`; never from :mod:`dispatch.testing`, :mod:`dispatch.batch` or
:mod:`dispatch.cli`.
"""
