"""Adoption engine: usage, licences, seat assignments and the directory -> adoption figures (CONTRACTS section 5).

Modules: `reader` (usage files and frames -> compact integer arrays), `inputs` (licences, assignments,
directory, activity rules), `windows` (distinct-user counts over days and trailing windows, vectorised),
`engine` (`compute_adoption`, `write_outputs`), `summary` (the JSON summary and period-over-period change),
`task` (thin Prefect wrappers; the only module importing prefect).
"""
