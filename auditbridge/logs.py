"""Logging for command-line runs of the flow: errors users can act on are shown once, without a traceback.

Prefect logs a failed task or flow run with its traceback. For an `AuditError` (refused data, a bad
configuration, an unreachable store), the CLI prints the error itself as one message per problem, so the
traceback is removed from those log records; unexpected exceptions keep theirs. WeasyPrint's notes about CSS
it ignores are not for the user either.
"""

from __future__ import annotations

import logging

from auditbridge.errors import AuditError


class _NoTracebackForAuditErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, AuditError):
            record.exc_info = None
            record.exc_text = None
        return True


def quiet_expected_failures() -> None:
    for name in (
        "prefect.task_runs",
        "prefect.flow_runs",
        "prefect.engine",
        "prefect.task_engine",
        "prefect.flow_engine",
    ):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoTracebackForAuditErrors) for f in logger.filters):
            logger.addFilter(_NoTracebackForAuditErrors())
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
