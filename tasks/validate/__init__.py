"""Validation stage: one Great Expectations suite per canonical dataset, a verdict, quarantine and evidence.

`suites` says what is checked (ids, severities, thresholds), `api` runs it on an ephemeral GX context,
`evidence` turns failing rows into CSV for the run's output, `task` wraps it for Prefect. Nothing here imports
Great Expectations or Prefect at module level: their import alone takes seconds.
"""
