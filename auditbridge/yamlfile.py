"""Reading the YAML files users write (audit.yaml, sla.yaml, mappings, activity rules) with one kind of error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditbridge.errors import ConfigError


def read_yaml_mapping(path: str | Path, expected: str) -> dict[str, Any]:
    """The mapping at the top of the YAML file `path`; ConfigError naming the file when it is missing, is not
    YAML, or holds something else than a mapping (`expected` says what should be there)."""
    import yaml

    name = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(name, ["file not found"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError(name, [f"not valid YAML: {exc}"]) from None
    if not isinstance(data, dict):
        raise ConfigError(name, [f"expected {expected}"])
    return data
