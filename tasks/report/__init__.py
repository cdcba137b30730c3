"""The audit report: findings, both language editions in HTML and PDF, metrics.json and spreadsheet tables.

findings.py (rules and thresholds), view.py (what the templates see), format.py (per-language filters),
charts.py (inline SVG), tables.py (formula-safe CSV), i18n.py (gettext catalogues, Jinja environment),
build.py (`build_report_files`, pure: returns bytes), task.py (the Prefect wrapper).
"""
