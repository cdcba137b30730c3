"""The audit configuration, `audit.yaml` (CONTRACTS section 3): one file a company writes once.

Relative paths are resolved against the folder of the config file. Unknown keys are an error naming their
path (e.g. `sources.tickets[0].formt`). Credentials never appear here: they come from the AWS credential
chain or from Prefect blocks named here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from auditbridge.errors import ConfigError
from auditbridge.yamlfile import read_yaml_mapping

Lang = Literal["fr", "en"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Strict):
    """One input: a local path, a glob or an `s3://bucket/prefix`, and the format of what is there."""

    path: str
    format: str = "auto"
    kind: str | None = None  # force the dataset kind (tickets, ticket_events, usage, ...)
    timezone: str | None = None  # for naive timestamps in the export
    tool: str | None = None  # usage: the tool name when the format does not say it (generic event logs)
    mapping: str | dict[str, Any] | None = None  # generic format: column mapping (path or inline)


class Sources(_Strict):
    tickets: list[Source] = Field(default_factory=list)
    ticket_events: list[Source] = Field(default_factory=list)
    usage: list[Source] = Field(default_factory=list)
    licences: Source | None = None
    assignments: Source | None = None
    directory: Source | None = None

    @field_validator("licences", "assignments", "directory", mode="before")
    @classmethod
    def _path_shorthand(cls, value: Any) -> Any:
        return {"path": value} if isinstance(value, str) else value

    @field_validator("tickets", "ticket_events", "usage", mode="before")
    @classmethod
    def _list_shorthand(cls, value: Any) -> Any:
        if isinstance(value, (str, dict)):
            value = [value]
        return [{"path": v} if isinstance(v, str) else v for v in value or []]


class ActivityRule(_Strict):
    """What counts as activity for one tool: only these actions, or all but these."""

    include_actions: list[str] | None = None
    exclude_actions: list[str] = Field(default_factory=list)


class AdoptionSettings(_Strict):
    min_group_size: int = Field(5, ge=1)
    activity: dict[str, ActivityRule] = Field(default_factory=dict)
    zombie_days: int = Field(90, ge=1)


class ValidationSettings(_Strict):
    on_row_error: Literal["refuse", "quarantine"] = "refuse"
    # named thresholds, e.g. {"tickets.department_missing_max": 0.02}
    thresholds: dict[str, float] = Field(default_factory=dict)


class FindingThresholds(_Strict):
    utilisation_min: float = Field(0.40, ge=0, le=1)
    department_gap: float = Field(0.30, ge=0, le=1)  # a department this far below the tool's utilisation
    idle_cost_max: float = Field(1000.0, ge=0)  # idle licence cost over the period that deserves a finding
    sla_compliance_min: float = Field(0.90, ge=0, le=1)
    no_priority_max: float = Field(0.20, ge=0, le=1)
    backlog_growth_max: float = Field(0.10, ge=0)  # backlog growth vs previous period
    at_risk_share: float = Field(
        0.80, gt=0, le=1
    )  # open tickets past this share of their target are "at risk"


class PublishSettings(_Strict):
    bucket: str | None = None  # default: $AUDITBRIDGE_BUCKET, or the embedded store's bucket
    prefix: str = "audits"
    endpoint_url: str | None = None  # default: $AWS_ENDPOINT_URL, or AWS S3
    region: str | None = None
    aws_credentials_block: str | None = None  # name of a Prefect AwsCredentials block
    presign_expiry: str = "7d"
    server_side_encryption: Literal["AES256", "aws:kms", "none"] = "AES256"
    local_copy: str | None = None  # folder for the local copy; default: the state folder


class PseudonymSettings(_Strict):
    key_env: str = "AUDITBRIDGE_PSEUDONYM_KEY"
    secret_block: str | None = None  # name of a Prefect Secret block holding the key
    demo_key: bool = False  # the demo's fixed, public key: never for real data


class AuditConfig(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    company: str = ""
    timezone: str = "Europe/Paris"
    currency: str = "EUR"
    languages: list[Lang] = Field(default_factory=lambda: ["fr", "en"], min_length=1)
    sources: Sources
    sla_policy: str | dict[str, Any] | None = None
    adoption: AdoptionSettings = Field(default_factory=AdoptionSettings)
    validation: ValidationSettings = Field(default_factory=ValidationSettings)
    findings: FindingThresholds = Field(default_factory=FindingThresholds)
    publish: PublishSettings = Field(default_factory=PublishSettings)
    pseudonymisation: PseudonymSettings = Field(default_factory=PseudonymSettings)

    # where the file was read from; relative paths resolve against it
    base_dir: Path = Field(default=Path("."), exclude=True)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone {value!r} (expected an IANA name such as Europe/Paris)"
            ) from None
        return value

    def resolve(self, path: str) -> str:
        """A config-relative path made absolute; `s3://` URIs and absolute paths are kept as they are."""
        if path.startswith("s3://") or Path(path).is_absolute():
            return path
        return str((self.base_dir / path).resolve())


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def load_config(path: str | Path) -> AuditConfig:
    """Read and check `audit.yaml`; every problem is reported with its key path."""
    path = Path(path)
    data = read_yaml_mapping(path, "a mapping of settings at the top level")
    return config_from_dict(data, base_dir=path.resolve().parent, file=str(path))


def config_from_dict(data: dict, *, base_dir: Path, file: str = "audit.yaml") -> AuditConfig:
    try:
        return AuditConfig.model_validate({**data, "base_dir": base_dir})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = _loc(err["loc"])
            if err["type"] == "extra_forbidden":
                problems.append(f"{where}: unknown key")
            else:
                problems.append(f"{where}: {err['msg']}")
        raise ConfigError(file, problems) from None


def load_config_uri(target: str) -> AuditConfig:
    """`load_config` for a local path or an `s3://bucket/key` (then relative source paths resolve against the
    config's own prefix, so a config and its data can live side by side in a bucket)."""
    if not target.startswith("s3://"):
        return load_config(target)
    import posixpath
    import tempfile

    from auditbridge.s3 import make_client, split_uri

    bucket, key = split_uri(target)
    try:
        body = make_client().get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as exc:
        raise ConfigError(target, [f"cannot be read from the bucket: {exc}"]) from None
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / "audit.yaml"
        local.write_bytes(body)
        data = yaml.safe_load(body) or {}
    if not isinstance(data, dict):
        raise ConfigError(target, ["expected a mapping of settings at the top level"])
    folder = f"s3://{bucket}/{posixpath.dirname(key)}".rstrip("/")

    def rebase(value: Any) -> Any:
        if isinstance(value, str) and not value.startswith("s3://") and not value.startswith("/"):
            return f"{folder}/{value}"
        if isinstance(value, dict) and "path" in value:
            return {**value, "path": rebase(value["path"])}
        if isinstance(value, list):
            return [rebase(v) for v in value]
        return value

    sources = data.get("sources")
    if isinstance(sources, dict):
        data["sources"] = {k: rebase(v) for k, v in sources.items()}
    return config_from_dict(data, base_dir=Path.cwd(), file=target)


CONFIG_ENV = "AUDITBRIDGE_CONFIG"


def load_run_config(config: str = "") -> AuditConfig:
    """What a run audits: `config` (a path or an s3:// URI), else `$AUDITBRIDGE_CONFIG` (how a worker or a
    scheduled deployment is pointed at a company's audit.yaml), else the demo's configuration (generated for
    today when missing)."""
    import os

    target = config or os.environ.get(CONFIG_ENV, "")
    if not target:
        from datetime import UTC, datetime

        from auditbridge.demo_data import ensure_demo
        from auditbridge.home import state_dir

        target = str(ensure_demo(state_dir(), anchor=datetime.now(UTC).date()))
    return load_config_uri(target)
