"""Errors users see. Every refusal names the file, the row (as the user counts it) and the column.

The CLI turns these into one readable message per problem and an exit code (CONTRACTS section 1):
1 when the data was refused, 2 on a usage error. Nothing here imports heavy libraries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_PROBLEMS_SHOWN = 50


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what was expected."""

    file: str
    message: str
    row: int | None = None  # 1-based data row as a spreadsheet user counts it (header is row 1)
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        text = f"{where}: {self.message}"
        if self.value is not None:
            shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
            text += f" (found {shown!r})"
        return text

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class AuditError(Exception):
    """Base class of the errors a user is shown without a traceback."""

    exit_code = 1


class UsageError(AuditError):
    """The command line or a configuration value is wrong (exit 2)."""

    exit_code = 2


class ConfigError(AuditError):
    """A configuration file (audit.yaml, sla.yaml, a generic mapping) is wrong (exit 2)."""

    exit_code = 2

    def __init__(self, file: str, problems: list[str]):
        self.file = file
        self.problems = problems
        super().__init__("\n".join(f"{file}: {p}" for p in problems))


class DataError(AuditError):
    """Input data was refused (exit 1). Carries every problem found, bounded."""

    exit_code = 1

    def __init__(self, problems: list[Problem] | Problem, total: int | None = None):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        self.total = total if total is not None else len(self.problems)
        super().__init__(self.render())

    def render(self) -> str:
        lines = [str(p) for p in self.problems[:MAX_PROBLEMS_SHOWN]]
        hidden = self.total - min(len(self.problems), MAX_PROBLEMS_SHOWN)
        if hidden > 0:
            lines.append(f"... and {hidden} more problem(s) of the same kind")
        return "\n".join(lines)


class StorageError(AuditError):
    """The object store is down, refuses the key, or a publication could not complete (exit 1)."""

    exit_code = 1


@dataclass
class ProblemCollector:
    """Collects row-level problems without losing count past the bound."""

    limit: int = 200
    problems: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(self, problem: Problem) -> None:
        self.total += 1
        if len(self.problems) < self.limit:
            self.problems.append(problem)

    def __bool__(self) -> bool:
        return self.total > 0

    def raise_if_any(self) -> None:
        if self.total:
            raise DataError(self.problems, total=self.total)
